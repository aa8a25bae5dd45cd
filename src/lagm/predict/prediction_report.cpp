#include "lagm/predict/prediction_report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lagm/core/atomic_file.h"

namespace lagm::predict {

std::string html_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// A file path as an HTML attribute: each path segment percent-encoded where it must be.
std::string url_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// "skin 41.2 %, hair 20.3 %, ..." for the classes covering at least 0.5 % of the image.
std::string largest_classes(const nlohmann::json& fractions) {
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [name, value] : fractions.items())
    sorted.emplace_back(value.get<double>(), name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::ostringstream o;
  for (const auto& [value, name] : sorted) {
    if (value < 0.005) break;
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.1f %%", 100 * value);
    o << (o.tellp() > 0 ? ", " : "") << html_escaped(name) << buf;
  }
  return o.str();
}

}  // namespace

void write_prediction_report(const std::string& out, const std::string& model_path,
                             const std::vector<nlohmann::json>& records) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>lagm predict</title>\n"
       << "<style>body{font-family:sans-serif}figure{display:inline-block;margin:8px;"
          "vertical-align:top;max-width:420px}img{max-width:400px;image-rendering:pixelated}"
          "figcaption{font-size:13px}</style></head><body>\n"
       << "<h1>Predictions</h1>\n<p>Model: " << html_escaped(model_path) << ". " << records.size()
       << " images; each shows the image blended with its predicted parts "
       << "(legend below each picture); masks/ holds the class-index masks.</p>\n";
  for (const auto& r : records) {
    if (r.is_null()) continue;
    const std::string picture = r.value("overlay", r.value("mask", std::string()));
    html << "<figure><img src=\"" << url_path(picture) << "\" alt=\""
         << html_escaped(r.value("name", std::string())) << "\"><figcaption><b>"
         << html_escaped(r.value("name", std::string())) << "</b> (" << r.value("width", 0) << "x"
         << r.value("height", 0)
         << "): " << largest_classes(r.value("class_fractions", nlohmann::json::object()))
         << "</figcaption></figure>\n";
  }
  html << "</body></html>\n";
  core::write_file_atomic((std::filesystem::path(out) / "index.html").string(), html.str());
}

}  // namespace lagm::predict
