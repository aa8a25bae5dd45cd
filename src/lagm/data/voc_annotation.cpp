#include "lagm/data/voc_annotation.h"

#include <tinyxml2.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "lagm/core/error.h"

namespace lagm::data {
namespace {

const tinyxml2::XMLElement* child(const tinyxml2::XMLElement* parent, const char* name,
                                  const std::string& path, const std::string& where) {
  const auto* c = parent->FirstChildElement(name);
  if (!c) throw InputError(path + ": " + where + " has no <" + name + ">");
  return c;
}

// Python's int(text): optional surrounding whitespace and sign, decimal digits only.
int64_t integer(const tinyxml2::XMLElement* e, const std::string& path) {
  const char* t = e->GetText();
  std::string s = t ? t : "";
  const auto b = s.find_first_not_of(" \t\r\n"), last = s.find_last_not_of(" \t\r\n");
  s = b == std::string::npos ? "" : s.substr(b, last - b + 1);
  size_t digits_from = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool ok = s.size() > digits_from;
  for (size_t i = digits_from; i < s.size() && ok; ++i)
    ok = std::isdigit(static_cast<unsigned char>(s[i])) != 0;
  if (!ok)
    throw InputError(path + ": <" + std::string(e->Name()) + "> is '" + s + "', not an integer");
  return std::strtoll(s.c_str(), nullptr, 10);
}

}  // namespace

VocAnnotation read_voc_annotation(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": no such file");
  tinyxml2::XMLDocument doc;
  if (doc.LoadFile(path.c_str()) != tinyxml2::XML_SUCCESS)
    throw InputError(path + ": not readable XML (" +
                     std::string(doc.ErrorStr() ? doc.ErrorStr() : "?") + ")");
  const auto* root = doc.RootElement();
  if (!root) throw InputError(path + ": empty XML document");
  VocAnnotation out;
  const auto* size = child(root, "size", path, "<" + std::string(root->Name()) + ">");
  out.width = integer(child(size, "width", path, "<size>"), path);
  out.height = integer(child(size, "height", path, "<size>"), path);
  for (const auto* o = root->FirstChildElement("object"); o; o = o->NextSiblingElement("object")) {
    VocObject obj;
    const char* name = child(o, "name", path, "<object>")->GetText();
    obj.name = name ? name : "";
    const auto* box = child(o, "bndbox", path, "<object>");
    obj.xmin = integer(child(box, "xmin", path, "<bndbox>"), path);
    obj.ymin = integer(child(box, "ymin", path, "<bndbox>"), path);
    obj.xmax = integer(child(box, "xmax", path, "<bndbox>"), path);
    obj.ymax = integer(child(box, "ymax", path, "<bndbox>"), path);
    out.objects.push_back(std::move(obj));
  }
  return out;
}

}  // namespace lagm::data
