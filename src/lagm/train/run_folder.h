// The folder of one training run, held for the run's whole life. Phase I, downstream training and
// the GAN keep their run's files through it, so that the three share one layout and one resume
// rule:
//   config.json  the resolved configuration (written atomically)
//   log.txt      the progress lines
//   *.jsonl      records, one JSON object per line (stats, validation metrics)
//   data.json    the fingerprints of the data sets the run reads
// and a resumed run forgets the records it made after its last saved state, since it repeats that
// work (a record is never there twice).
#pragma once

#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace lagm::io {
class FolderLock;
}

namespace lagm::train {

class RunFolder {
 public:
  /// Takes `dir` (created if missing) and holds its lock: a second writer gets an InputError.
  explicit RunFolder(const std::string& dir);
  ~RunFolder();
  RunFolder(RunFolder&&) noexcept;
  RunFolder& operator=(RunFolder&&) noexcept;

  /// A new run under `parent`: the next free `NNNNN-<name>` folder.
  static RunFolder create_numbered(const std::string& parent, const std::string& name);

  const std::string& path() const { return dir_; }
  /// `<dir>/<name>`.
  std::string file(const std::string& name) const;
  /// `<dir>/<subfolder>/<name>`, the subfolder created if missing.
  std::string file_in(const std::string& subfolder, const std::string& name) const;

  void write_config(const nlohmann::json& config) const;
  bool has_config() const;
  /// The run's config.json; InputError naming the file when it is missing or not JSON.
  nlohmann::json read_config() const;

  /// The data rule: `data` maps each data set the run reads (by its option or key) to
  /// {"source", "fingerprint", "images"}. A run that continues saved work must read the data it was
  /// trained on: a set whose fingerprint differs from data.json's is refused (InputError naming it
  /// and its source). data.json is then (re)written with `data`.
  void claim_data(const nlohmann::json& data, bool continuing) const;

  /// Appends a line to log.txt.
  void log(const std::string& line) const;
  /// Appends one record to `<dir>/<name>` (flushed: an interrupted run keeps it).
  void record(const std::string& name, const nlohmann::json& line) const;
  /// The resume rule: keeps only the records of `files` whose number `key` is <= `last_kept`.
  void forget_records_after(const std::string& key, double last_kept,
                            std::initializer_list<const char*> files) const;

 private:
  std::string dir_;
  std::unique_ptr<io::FolderLock> lock_;
};

}  // namespace lagm::train
