#include "lagm/models/model_description.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "lagm/core/error.h"
#include "lagm/core/provenance.h"

namespace lagm::models {

ModelDescription describe_training(const std::vector<std::string>& class_names,
                                   int64_t input_height, int64_t input_width,
                                   int64_t labelled_count, const std::string& labelled_source,
                                   const std::string& device, const std::string& precision,
                                   int64_t processes) {
  ModelDescription d;
  d.class_names = class_names;
  d.palette = io::voc_colors(static_cast<int64_t>(class_names.size()));
  d.input_height = input_height;
  d.input_width = input_width;
  d.labelled_count = labelled_count;
  d.labelled_source = labelled_source;
  d.lagm_version = core::lagm_version();
  d.command = core::command_line();
  d.device = device;
  d.precision = precision;
  d.processes = processes;
  return d;
}

nlohmann::json to_json(const ModelDescription& d) {
  nlohmann::json palette = nlohmann::json::array();
  for (const auto& c : d.palette) palette.push_back({c[0], c[1], c[2]});
  return {{"classes", d.class_names},
          {"palette", palette},
          {"input",
           {{"height", d.input_height},
            {"width", d.input_width},
            {"resize", d.resize},
            {"normalization", d.normalization}}},
          {"labelled_data", {{"count", d.labelled_count}, {"source", d.labelled_source}}},
          {"made_by",
           {{"lagm_version", d.lagm_version},
            {"command", d.command},
            {"device", d.device},
            {"precision", d.precision},
            {"processes", d.processes}}},
          {"validation", d.validation}};
}

namespace {

// j[key] as T when present, else `fallback` with `name` recorded as defaulted.
template <typename T>
T field(const nlohmann::json& j, const char* key, T fallback, const std::string& name,
        ModelDescription& d) {
  if (j.is_object() && j.contains(key) && !j.at(key).is_null()) return j.at(key).get<T>();
  d.defaulted.push_back(name);
  return fallback;
}

}  // namespace

ModelDescription model_description_from_json(const nlohmann::json& j,
                                             const std::vector<std::string>& class_names,
                                             int64_t num_classes, const std::string& where) {
  ModelDescription d;
  try {
    if (!j.is_null() && !j.is_object()) throw InputError(where + ": description is not an object");
    if (j.is_object() && j.contains("classes")) {
      d.class_names = j.at("classes").get<std::vector<std::string>>();
    } else if (!class_names.empty()) {
      d.class_names = class_names;
    } else {
      for (int64_t k = 0; k < num_classes; ++k)
        d.class_names.push_back("class" + std::to_string(k));
      d.defaulted.push_back("class names (classK)");
    }
    if (static_cast<int64_t>(d.class_names.size()) != num_classes)
      throw InputError(where + ": names " + std::to_string(d.class_names.size()) +
                       " classes, but the network predicts " + std::to_string(num_classes));
    const auto palette = field(j, "palette", nlohmann::json(), "palette (VOC colours)", d);
    if (palette.is_null()) {
      d.palette = io::voc_colors(static_cast<int64_t>(d.class_names.size()));
    } else {
      for (const auto& c : palette) {
        const auto rgb = c.get<std::vector<int>>();
        if (rgb.size() != 3 || *std::min_element(rgb.begin(), rgb.end()) < 0 ||
            *std::max_element(rgb.begin(), rgb.end()) > 255)
          throw InputError(where + ": palette entries must be [r, g, b] in 0..255");
        d.palette.push_back({static_cast<uint8_t>(rgb[0]), static_cast<uint8_t>(rgb[1]),
                             static_cast<uint8_t>(rgb[2])});
      }
      if (d.palette.size() != d.class_names.size())
        throw InputError(where + ": " + std::to_string(d.palette.size()) + " palette colours for " +
                         std::to_string(d.class_names.size()) + " classes");
    }
    const auto input = j.is_object() ? j.value("input", nlohmann::json()) : nlohmann::json();
    d.input_height = field<int64_t>(input, "height", 0, "input size (unknown)", d);
    d.input_width = input.is_object() ? input.value("width", d.input_height) : 0;
    if (d.input_height < 0 || d.input_width < 0 || d.input_height > 65536 || d.input_width > 65536)
      throw InputError(where + ": input size out of range");
    if (input.is_object()) {
      d.resize = input.value("resize", d.resize);
      d.normalization = input.value("normalization", d.normalization);
    }
    const auto data = j.is_object() ? j.value("labelled_data", nlohmann::json()) : nlohmann::json();
    d.labelled_count = field<int64_t>(data, "count", -1, "labelled data (unknown)", d);
    if (data.is_object()) d.labelled_source = data.value("source", "");
    const auto made = j.is_object() ? j.value("made_by", nlohmann::json()) : nlohmann::json();
    d.lagm_version = field<std::string>(made, "lagm_version", "", "lagm version (unknown)", d);
    if (made.is_object()) {
      d.command = made.value("command", "");
      d.device = made.value("device", d.device);
      d.precision = made.value("precision", d.precision);
      d.processes = made.value("processes", d.processes);
    }
    if (j.is_object()) d.validation = j.value("validation", nlohmann::json());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": malformed description: " + e.what());
  }
  return d;
}

std::string defaulted_warning(const ModelDescription& d, const std::string& where) {
  if (d.defaulted.empty()) return "";
  std::string fields;
  for (const auto& f : d.defaulted) fields += (fields.empty() ? "" : ", ") + f;
  return where + ": written without a full model description (an older lagm); defaults: " + fields;
}

std::string describe_text(const ModelDescription& d) {
  std::ostringstream o;
  o << "classes (" << d.class_names.size() << "):";
  for (size_t k = 0; k < d.class_names.size(); ++k) {
    char colour[16] = "";
    if (k < d.palette.size())
      std::snprintf(colour, sizeof colour, " #%02x%02x%02x", d.palette[k][0], d.palette[k][1],
                    d.palette[k][2]);
    o << "\n  " << k << " " << d.class_names[k] << colour;
  }
  o << "\ninput: ";
  if (d.input_height > 0)
    o << d.input_width << "x" << d.input_height << " (" << d.resize << "), ";
  else
    o << "size unknown, ";
  o << d.normalization;
  o << "\nlabelled data: "
    << (d.labelled_count >= 0 ? std::to_string(d.labelled_count) + " images" : "unknown");
  if (!d.labelled_source.empty()) o << " from " << d.labelled_source;
  o << "\nmade by: lagm " << (d.lagm_version.empty() ? "(unknown version)" : d.lagm_version)
    << " on " << d.device << ", precision " << d.precision << ", " << d.processes
    << (d.processes == 1 ? " process" : " data-parallel processes");
  if (!d.command.empty()) o << "\ncommand: " << d.command;
  if (!d.validation.is_null()) o << "\nvalidation: " << d.validation.dump();
  return o.str();
}

}  // namespace lagm::models
