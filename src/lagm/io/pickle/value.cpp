#include "lagm/io/pickle/value.h"

#include "lagm/core/error.h"

namespace lagm::io::pickle {

ValuePtr Value::find(const std::string& key) const {
  for (const auto& [k, v] : entries)
    if (k->kind == Kind::kString && k->text == key) return v;
  return nullptr;
}

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kLargeInt:
      return "large int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kSet:
      return "set";
    case Kind::kDict:
      return "dict";
    case Kind::kTensor:
      return "tensor";
    case Kind::kStorage:
      return "storage";
    case Kind::kObject:
      return "object";
    case Kind::kGlobal:
      return "global";
  }
  return "value";
}

std::string Value::describe() const {
  switch (kind) {
    case Kind::kList:
    case Kind::kTuple:
    case Kind::kSet:
      return kind_name(kind) + " of " + std::to_string(items.size());
    case Kind::kDict:
      return "dict of " + std::to_string(entries.size());
    case Kind::kTensor:
      return "tensor " + format_shape(tensor.sizes().vec()) + " " +
             std::string(c10::toString(tensor.scalar_type()));
    case Kind::kObject:
      return text + " object";
    case Kind::kGlobal:
      return text;
    default:
      return kind_name(kind);
  }
}

namespace {
ValuePtr make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}
}  // namespace

ValuePtr make_none() { return make(Kind::kNone); }
ValuePtr make_bool(bool value) {
  auto v = make(Kind::kBool);
  v->boolean = value;
  return v;
}
ValuePtr make_int(int64_t value) {
  auto v = make(Kind::kInt);
  v->integer = value;
  return v;
}
ValuePtr make_float(double value) {
  auto v = make(Kind::kFloat);
  v->number = value;
  return v;
}
ValuePtr make_string(std::string text) {
  auto v = make(Kind::kString);
  v->text = std::move(text);
  return v;
}
ValuePtr make_bytes(std::string bytes) {
  auto v = make(Kind::kBytes);
  v->text = std::move(bytes);
  return v;
}
ValuePtr make_container(Kind kind) { return make(kind); }
ValuePtr make_tensor(torch::Tensor tensor) {
  auto v = make(Kind::kTensor);
  v->tensor = std::move(tensor);
  return v;
}
ValuePtr make_object(std::string class_name) {
  auto v = make(Kind::kObject);
  v->text = std::move(class_name);
  return v;
}

}  // namespace lagm::io::pickle
