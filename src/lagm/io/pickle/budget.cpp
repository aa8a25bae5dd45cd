#include "lagm/io/pickle/budget.h"

#include "lagm/core/error.h"

namespace lagm::io::pickle {

Budget::Budget(std::string source, Limits limits, int64_t input_size)
    : source_(std::move(source)), limits_(limits) {
  if (limits_.max_bytes <= 0) limits_.max_bytes = 3 * input_size + 4096;
}

void Budget::fail(const std::string& problem) const { throw InputError(source_ + ": " + problem); }

void Budget::charge_values(int64_t count) {
  values_ += count;
  if (values_ > limits_.max_values)
    fail("more than " + std::to_string(limits_.max_values) +
         " pickled values; not a network pickle (or a hostile one)");
}

void Budget::charge_bytes(int64_t bytes, const std::string& what) {
  if (bytes < 0 || bytes > limits_.max_bytes - bytes_)
    fail(what + " would take " + std::to_string(bytes) + " bytes, more than the file can hold (" +
         std::to_string(limits_.max_bytes - bytes_) + " left of the reader's limit)");
  bytes_ += bytes;
}

void Budget::require_depth(int depth) const {
  if (depth > limits_.max_depth)
    fail("values nested more than " + std::to_string(limits_.max_depth) + " deep");
}

void Budget::enter_nested() {
  if (++nesting_ > limits_.max_nesting)
    fail("torch files nested more than " + std::to_string(limits_.max_nesting) + " deep");
}

}  // namespace lagm::io::pickle
