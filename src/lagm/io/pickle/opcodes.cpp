// The opcodes of protocols 2 to 5 (and the text ones older torch files hold), grouped by what they
// do. Object, extension and out-of-band opcodes are refused: network pickles do not use them.
#include "lagm/io/pickle/machine_core.h"

namespace lagm::io::pickle::detail {

bool Machine::stack_op(char op, size_t at) {
  switch (op) {
    case '\x80': {  // PROTO
      const int protocol = read_u8();
      if (protocol > 5) fail(at, "pickle protocol " + std::to_string(protocol) + " (5 at most)");
      return true;
    }
    case '\x95':  // FRAME: a length hint only
      need(read_le(8));
      return true;
    case '(':  // MARK
      budget_.charge_values(1);
      marks_.push_back(stack_.size());
      return true;
    case '0':  // POP
      pop(at);
      return true;
    case '1':  // POP_MARK
      pop_mark(at);
      return true;
    case '2':  // DUP
      push(top(at));
      return true;
    default:
      return false;
  }
}

bool Machine::scalar_op(char op, size_t at) {
  switch (op) {
    case 'N':
      push(make_none());
      return true;
    case '\x88':
      push(make_bool(true));
      return true;
    case '\x89':
      push(make_bool(false));
      return true;
    case 'J':  // BININT
      push(make_int(static_cast<int32_t>(read_le(4))));
      return true;
    case 'K':  // BININT1
      push(make_int(read_u8()));
      return true;
    case 'M':  // BININT2
      push(make_int(static_cast<int64_t>(read_le(2))));
      return true;
    case '\x8a':  // LONG1
      push(integer_from_bytes(read_bytes(read_u8())));
      return true;
    case '\x8b': {  // LONG4
      const auto n = static_cast<int32_t>(read_le(4));
      if (n < 0) fail(at, "negative LONG4 length");
      push(integer_from_bytes(read_bytes(static_cast<uint64_t>(n))));
      return true;
    }
    case 'G': {  // BINFLOAT: big-endian IEEE double
      const uint64_t bits = read_be8();
      double d;
      std::memcpy(&d, &bits, 8);
      push(make_float(d));
      return true;
    }
    case 'X':  // BINUNICODE
      push(make_string(read_bytes(read_le(4))));
      return true;
    case '\x8c':  // SHORT_BINUNICODE
      push(make_string(read_bytes(read_u8())));
      return true;
    case '\x8d':  // BINUNICODE8
      push(make_string(read_bytes(read_le(8))));
      return true;
    case 'T': {  // BINSTRING (Python 2)
      const auto n = static_cast<int32_t>(read_le(4));
      if (n < 0) fail(at, "negative BINSTRING length");
      push(make_string(read_bytes(static_cast<uint64_t>(n))));
      return true;
    }
    case 'U':  // SHORT_BINSTRING
      push(make_string(read_bytes(read_u8())));
      return true;
    case 'B':  // BINBYTES
      push(make_bytes(read_bytes(read_le(4))));
      return true;
    case 'C':  // SHORT_BINBYTES
      push(make_bytes(read_bytes(read_u8())));
      return true;
    case '\x8e':  // BINBYTES8
    case '\x96':  // BYTEARRAY8
      push(make_bytes(read_bytes(read_le(8))));
      return true;
    default:
      return false;
  }
}

/// The text opcodes of protocols 0 and 1 that torch files of Python 2 days still hold.
bool Machine::text_op(char op, size_t at) {
  switch (op) {
    case 'I':  // INT
    case 'L':  // LONG
      push(text_integer(read_line(), at));
      return true;
    case 'F': {  // FLOAT
      const auto line = read_line();
      char* end = nullptr;
      const double d = std::strtod(line.c_str(), &end);
      if (line.empty() || *end != '\0') fail(at, "bad float '" + line + "'");
      push(make_float(d));
      return true;
    }
    case 'P':  // PERSID
      persistent(make_string(read_line()), at);
      return true;
    default:
      return false;
  }
}

bool Machine::container_op(char op, size_t at) {
  switch (op) {
    case ')':
      push(make_container(Kind::kTuple));
      return true;
    case ']':
      push(make_container(Kind::kList));
      return true;
    case '}':
      push(make_container(Kind::kDict));
      return true;
    case '\x8f':  // EMPTY_SET
      push(make_container(Kind::kSet));
      return true;
    case 't':
      push(collect(Kind::kTuple, pop_mark(at), at));
      return true;
    case 'l':
      push(collect(Kind::kList, pop_mark(at), at));
      return true;
    case 'd':
      push(collect(Kind::kDict, pop_mark(at), at));
      return true;
    case '\x91':  // FROZENSET
      push(collect(Kind::kSet, pop_mark(at), at));
      return true;
    case '\x85':
    case '\x86':
    case '\x87': {  // TUPLE1-3
      std::vector<ValuePtr> items(static_cast<size_t>(op - '\x85' + 1));
      for (size_t i = items.size(); i-- > 0;) items[i] = pop(at);
      push(collect(Kind::kTuple, std::move(items), at));
      return true;
    }
    default:
      return false;
  }
}

bool Machine::fill_op(char op, size_t at) {
  switch (op) {
    case 'a': {  // APPEND
      auto v = pop(at);
      add_items(*top(at), {v}, at, "APPEND");
      return true;
    }
    case 'e': {  // APPENDS
      auto items = pop_mark(at);
      add_items(*top(at), std::move(items), at, "APPENDS");
      return true;
    }
    case '\x90': {  // ADDITEMS
      auto items = pop_mark(at);
      add_items(*top(at), std::move(items), at, "SET ADDITEMS");
      return true;
    }
    case 's': {  // SETITEM
      auto value = pop(at);
      auto key = pop(at);
      auto& dict = top(at);
      if (!dict->is(Kind::kDict)) fail(at, "SETITEM on a " + dict->describe());
      set_item(*dict, key, value);
      return true;
    }
    case 'u': {  // SETITEMS
      auto items = pop_mark(at);
      auto& dict = top(at);
      if (!dict->is(Kind::kDict)) fail(at, "SETITEMS on a " + dict->describe());
      if (items.size() % 2 != 0) fail(at, "SETITEMS with an odd number of items");
      for (size_t i = 0; i < items.size(); i += 2) set_item(*dict, items[i], items[i + 1]);
      return true;
    }
    default:
      return false;
  }
}

bool Machine::memo_op(char op, size_t at) {
  switch (op) {
    case 'p':
      memo_put(static_cast<uint64_t>(text_integer(read_line(), at)->integer), at);
      return true;
    case 'q':  // BINPUT
      memo_put(read_u8(), at);
      return true;
    case 'r':  // LONG_BINPUT
      memo_put(read_le(4), at);
      return true;
    case '\x94':  // MEMOIZE
      memo_put(memo_.size(), at);
      return true;
    case 'g':
      memo_get(static_cast<uint64_t>(text_integer(read_line(), at)->integer), at);
      return true;
    case 'h':  // BINGET
      memo_get(read_u8(), at);
      return true;
    case 'j':  // LONG_BINGET
      memo_get(read_le(4), at);
      return true;
    default:
      return false;
  }
}

bool Machine::call_op(char op, size_t at) {
  switch (op) {
    case 'c': {  // GLOBAL
      const auto module = read_line();
      const auto name = read_line();
      push_global(module, name);
      return true;
    }
    case '\x93': {  // STACK_GLOBAL
      auto name = pop(at);
      auto module = pop(at);
      if (!name->is(Kind::kString) || !module->is(Kind::kString))
        fail(at, "STACK_GLOBAL needs two strings");
      push_global(module->text, name->text);
      return true;
    }
    case 'R':       // REDUCE
    case '\x81': {  // NEWOBJ
      auto args = pop(at);
      auto callable = pop(at);
      call(callable, args, at);
      return true;
    }
    case '\x92': {  // NEWOBJ_EX
      auto kwargs = pop(at);
      auto args = pop(at);
      auto callable = pop(at);
      if (!kwargs->is(Kind::kDict) || !kwargs->entries.empty())
        fail(at, "NEWOBJ_EX with keyword arguments");
      call(callable, args, at);
      return true;
    }
    case 'b':
      build(at);
      return true;
    case 'Q':  // BINPERSID
      persistent(pop(at), at);
      return true;
    default:
      return false;
  }
}

void Machine::step(char op, size_t at) {
  if (stack_op(op, at) || scalar_op(op, at) || text_op(op, at) || container_op(op, at) ||
      fill_op(op, at) || memo_op(op, at) || call_op(op, at))
    return;
  static const char* hex = "0123456789abcdef";
  const auto u = static_cast<uint8_t>(op);
  fail(at, "opcode 0x" + std::string{hex[u >> 4], hex[u & 15]} +
               " is not read (object, extension and out-of-band opcodes are refused)");
}

}  // namespace lagm::io::pickle::detail
