// The pickle machine's state and the steps every opcode shares: reading the stream, the stack
// with its marks, the memo, sealing values as they are used, and resolving globals. The opcodes
// themselves are in opcodes.cpp; run_pickle (machine.h) is the way in.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lagm/io/pickle/budget.h"
#include "lagm/io/pickle/globals.h"
#include "lagm/io/pickle/value.h"

namespace lagm::io::pickle::detail {

/// A container adopts a child: the child is sealed and the container's depth follows from it.
inline void adopt(Value& container, const ValuePtr& child, Budget& budget) {
  if (container.sealed) budget.fail("malformed pickle: a value changes after it was used");
  if (child.get() == &container) budget.fail("malformed pickle: a value contains itself");
  child->sealed = true;
  container.depth = std::max(container.depth, child->depth + 1);
  budget.require_depth(container.depth);
}

/// A value built from others (a function's result): its depth from its immediate children.
inline void settle(const ValuePtr& v, Budget& budget) {
  int depth = 1;
  for (const auto& item : v->items) depth = std::max(depth, item->depth + 1);
  for (const auto& [k, x] : v->entries) depth = std::max({depth, k->depth + 1, x->depth + 1});
  if (v->state) depth = std::max(depth, v->state->depth + 1);
  v->depth = std::max(v->depth, depth);
  budget.require_depth(v->depth);
}

class Machine {
 public:
  Machine(std::string_view data, size_t offset, const Globals& globals, Budget& budget)
      : data_(data), pos_(offset), globals_(globals), budget_(budget) {}

  ValuePtr run() {
    while (true) {
      const size_t at = pos_;
      const char op = static_cast<char>(read_u8());
      if (op == '.') return pop(at);
      step(op, at);
    }
  }
  size_t position() const { return pos_; }

 private:
  [[noreturn]] void fail(size_t at, const std::string& problem) const {
    budget_.fail("malformed pickle at byte " + std::to_string(at) + ": " + problem);
  }

  // ---- reading the opcode stream
  void need(uint64_t n) const {
    if (n > data_.size() - pos_)
      budget_.fail("truncated pickle: " + std::to_string(n) + " bytes needed at byte " +
                   std::to_string(pos_) + ", " + std::to_string(data_.size() - pos_) + " left");
  }
  uint64_t read_le(int n) {
    need(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  uint8_t read_u8() { return static_cast<uint8_t>(read_le(1)); }
  uint64_t read_be8() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += 8;
    return v;
  }
  std::string read_bytes(uint64_t n) {
    need(n);
    budget_.charge_bytes(static_cast<int64_t>(n), "a pickled string");
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string read_line() {
    const size_t nl = data_.find('\n', pos_);
    if (nl == std::string_view::npos) fail(pos_, "text opcode without its newline");
    std::string s(data_.substr(pos_, nl - pos_));
    pos_ = nl + 1;
    return s;
  }

  // ---- the stack, its marks and the memo. Every push is charged and never given back: a value
  // popped into a container still lives, so the count bounds what the whole pickle builds.
  void push(ValuePtr v) {
    budget_.charge_values(1);
    stack_.push_back(std::move(v));
  }
  ValuePtr pop(size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      fail(at, "stack underflow");
    auto v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  ValuePtr& top(size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      fail(at, "stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark(size_t at) {
    if (marks_.empty()) fail(at, "no MARK before this opcode");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(std::make_move_iterator(stack_.begin() + static_cast<long>(mark)),
                                std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }
  void memo_put(uint64_t index, size_t at) {
    const auto& v = top(at);
    if (memo_.emplace(index, v).second)
      budget_.charge_values(1);
    else
      memo_[index] = v;
  }
  void memo_get(uint64_t index, size_t at) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(at, "memo entry " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  // ---- values
  ValuePtr integer_from_bytes(const std::string& bytes) {
    if (bytes.size() > 8) {
      auto v = std::make_shared<Value>();
      v->kind = Kind::kLargeInt;
      v->text = bytes;
      return v;
    }
    uint64_t u = 0;
    for (size_t i = bytes.size(); i-- > 0;) u = (u << 8) | static_cast<uint8_t>(bytes[i]);
    if (!bytes.empty() && bytes.size() < 8 && (static_cast<uint8_t>(bytes.back()) & 0x80))
      u |= ~uint64_t{0} << (8 * bytes.size());  // sign extension
    return make_int(static_cast<int64_t>(u));
  }
  ValuePtr text_integer(const std::string& line, size_t at) {
    if (line == "01") return make_bool(true);
    if (line == "00") return make_bool(false);
    std::string digits = line;
    if (!digits.empty() && digits.back() == 'L') digits.pop_back();
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(digits.c_str(), &end, 10);
    if (digits.empty() || *end != '\0' || errno == ERANGE) fail(at, "bad integer '" + line + "'");
    return make_int(v);
  }
  ValuePtr collect(Kind kind, std::vector<ValuePtr> items, size_t at) {
    auto c = make_container(kind);
    if (kind == Kind::kDict) {
      if (items.size() % 2 != 0) fail(at, "DICT with an odd number of items");
      for (size_t i = 0; i < items.size(); i += 2) set_item(*c, items[i], items[i + 1]);
    } else {
      for (auto& item : items) adopt(*c, item, budget_);
      c->items = std::move(items);
    }
    return c;
  }
  void set_item(Value& dict, const ValuePtr& key, const ValuePtr& value) {
    adopt(dict, key, budget_);
    adopt(dict, value, budget_);
    dict.entries.emplace_back(key, value);
  }
  void add_items(Value& target, std::vector<ValuePtr> items, size_t at, const char* what) {
    if (!(target.kind == Kind::kList && what[0] == 'A') &&
        !(target.kind == Kind::kSet && what[0] == 'S'))
      fail(at, std::string(what) + " on a " + target.describe());
    for (auto& item : items) {
      adopt(target, item, budget_);
      target.items.push_back(std::move(item));
    }
  }

  // ---- globals, calls and objects
  void push_global(const std::string& module, const std::string& name) {
    if (!globals_.find(module, name))
      budget_.fail("refuses global " + module + "." + name +
                   " (a network pickle names only torch tensors, numpy arrays, plain containers "
                   "and NVIDIA's persistence classes; nothing in it is run)");
    auto g = std::make_shared<Value>();
    g->kind = Kind::kGlobal;
    g->text = module + "." + name;
    push(g);
  }
  void call(const ValuePtr& callable, const ValuePtr& args, size_t at) {
    if (!callable->is(Kind::kGlobal)) fail(at, "calls a " + callable->describe());
    if (!args->is(Kind::kTuple)) fail(at, "call arguments are a " + args->describe());
    const auto dot = callable->text.rfind('.');
    const auto* fn = globals_.find(callable->text.substr(0, dot), callable->text.substr(dot + 1));
    args->sealed = true;
    for (const auto& a : args->items) a->sealed = true;
    auto result = (*fn)(args->items, budget_);
    settle(result, budget_);
    push(std::move(result));
  }
  void build(size_t at) {
    auto state = pop(at);
    auto& object = *top(at);
    if (object.sealed) fail(at, "BUILD on a value already used");
    state->sealed = true;
    auto it = object.kind == Kind::kObject ? globals_.builders.find(object.text)
                                           : globals_.builders.end();
    if (it != globals_.builders.end()) {
      it->second(object, state, budget_);
    } else if ((object.kind == Kind::kObject || object.kind == Kind::kDict) && !object.state) {
      object.state = state;  // an instance's __dict__, kept as given
    } else {
      fail(at, "BUILD on a " + object.describe());
    }
    settle(top(at), budget_);
  }
  void persistent(const ValuePtr& id, size_t at) {
    if (!globals_.persistent_load) fail(at, "persistent ids are only read inside torch files");
    id->sealed = true;
    auto v = globals_.persistent_load(id, budget_);
    push(std::move(v));
  }

  void step(char op, size_t at);
  // The opcodes by what they do; each returns whether it knew `op`.
  bool stack_op(char op, size_t at);
  bool scalar_op(char op, size_t at);
  bool text_op(char op, size_t at);
  bool container_op(char op, size_t at);
  bool fill_op(char op, size_t at);
  bool memo_op(char op, size_t at);
  bool call_op(char op, size_t at);

  std::string_view data_;
  size_t pos_;
  const Globals& globals_;
  Budget& budget_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
};

}  // namespace lagm::io::pickle::detail
