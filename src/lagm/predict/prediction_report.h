// index.html of a `lagm predict` folder: every overlay with its image's name and its largest
// classes, for a person to scroll through in a browser.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lagm::predict {

/// Writes OUT/index.html from the per-image records of predictions.json (null records skipped).
void write_prediction_report(const std::string& out, const std::string& model_path,
                             const std::vector<nlohmann::json>& records);

/// `text` with &, <, >, " and ' escaped for HTML.
std::string html_escaped(const std::string& text);

}  // namespace lagm::predict
