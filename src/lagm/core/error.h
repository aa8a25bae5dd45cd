// Error types of the library and the one helper that formats "expected vs got".
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lagm {

/// A failure that is not the user's fault (exit code 1).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input: a malformed file, config or data set (exit code 2).
class InputError : public Error {
 public:
  using Error::Error;
};

/// Bad usage: an option or argument that makes no sense (exit code 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

/// Bad usage of one setting, named by its key in the library's terms ("epochs", "mix_per_batch"):
/// a config file reports it with the key, the CLI with the option that sets it (the CLI maps keys
/// to its options in one place). `problem` may name other settings as {key} ("needs {mix_data}").
class SettingError : public UsageError {
 public:
  SettingError(std::string key, std::string problem);
  const std::string& key() const { return key_; }
  /// The message with each setting named by `name(key)`: "<name(key)> <problem>".
  std::string message(const std::function<std::string(const std::string&)>& name) const;

 private:
  std::string key_, problem_;
};

/// Throws Error("<what> is <value> at <where>: training diverged ...") when `value` is NaN or
/// infinite. Trainers call it on every loss, every step, before anything of that step is saved.
void require_finite_loss(double value, const std::string& what, const std::string& where);

/// "[2, 3, 4]".
std::string format_shape(const std::vector<int64_t>& shape);

/// "<what> has <quantity> <got>, expected <expected>": the single place that orders the two.
std::string format_mismatch(const std::string& what, const std::string& quantity,
                            const std::string& got, const std::string& expected);

}  // namespace lagm
