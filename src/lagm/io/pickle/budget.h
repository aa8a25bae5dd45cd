// What one read of a pickle may spend: values, nesting depth, allocated bytes and nested files,
// all bounded by limits that follow from the input's size, so that no input makes the reader
// allocate without bound or recurse without end.
#pragma once

#include <cstdint>
#include <string>

namespace lagm::io::pickle {

struct Limits {
  /// Values pushed and memo entries, each counted (a 1024-px network pickle has ~10^5).
  int64_t max_values = int64_t{1} << 20;
  /// Nesting of containers (a StyleGAN2 module tree is ~40 deep).
  int max_depth = 256;
  /// Bytes of strings, storages and arrays the reader may allocate; 0 = three times the input's
  /// size (a network pickle holds each storage as bytes, which become the storage).
  int64_t max_bytes = 0;
  /// Torch files inside a pickle inside a torch file... (each storage of a network pickle is one).
  int max_nesting = 3;
};

class Budget {
 public:
  Budget(std::string source, Limits limits, int64_t input_size);

  const std::string& source() const { return source_; }
  const Limits& limits() const { return limits_; }
  /// InputError("<source>: <problem>").
  [[noreturn]] void fail(const std::string& problem) const;
  void charge_values(int64_t count);
  /// Refuses `what` when its `bytes` would pass the allocation limit.
  void charge_bytes(int64_t bytes, const std::string& what);
  void require_depth(int depth) const;
  /// Enters a file nested in the one being read (a storage's own torch.save); refuses past the
  /// limit.
  void enter_nested();
  void leave_nested() { --nesting_; }

 private:
  std::string source_;
  Limits limits_;
  int64_t values_ = 0;
  int64_t bytes_ = 0;
  int nesting_ = 0;
};

}  // namespace lagm::io::pickle
