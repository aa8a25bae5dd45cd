#include "lagm/toy/domain.h"

#include "lagm/core/error.h"
#include "lagm/toy/faces.h"

namespace lagm::toy {
namespace {

const std::vector<Domain>& domains() {
  static const std::vector<Domain> all = {
      {"faces", face_class_names(),
       [](uint64_t seed, Style style, int64_t res) { return render_face(seed, style, res); }},
  };
  return all;
}

}  // namespace

const Domain& find_domain(const std::string& name) {
  for (const auto& d : domains())
    if (d.name == name) return d;
  std::string known;
  for (const auto& d : domains()) known += (known.empty() ? "" : ", ") + d.name;
  throw UsageError("unknown domain '" + name + "' (known: " + known + ")");
}

std::vector<std::string> domain_names() {
  std::vector<std::string> names;
  for (const auto& d : domains()) names.push_back(d.name);
  return names;
}

Style parse_style(const std::string& text) {
  if (text == "photo") return Style::kPhoto;
  if (text == "flat") return Style::kFlat;
  throw UsageError("unknown style '" + text + "' (known: photo, flat)");
}

std::string to_string(Style style) { return style == Style::kPhoto ? "photo" : "flat"; }

}  // namespace lagm::toy
