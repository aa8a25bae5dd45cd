#include "lagm/data/data_survey.h"

#include <torch/torch.h>

#include "lagm/core/error.h"
#include "lagm/core/fingerprint.h"

namespace lagm::data {

DataSurvey survey_dataset(const LabelledDataset& data, const std::string& what) {
  const int64_t k = data.num_classes();
  DataSurvey survey;
  core::Fingerprint fingerprint;
  auto counts = torch::zeros({k}, torch::kFloat64);
  for (size_t i = 0; i < data.size(); ++i) {
    const Sample s = data.get(i);
    const auto image = s.image.to(torch::kCPU, torch::kFloat32).contiguous();
    const auto label = s.label.to(torch::kCPU, torch::kInt64).contiguous();
    fingerprint.add(s.id);
    fingerprint.add(image.data_ptr(), image.nbytes());
    fingerprint.add(label.data_ptr(), label.nbytes());
    const auto flat = label.reshape(-1);
    const auto labelled = flat.masked_select((flat >= 0) & (flat < k));
    if (labelled.numel() == 0) ++survey.unlabelled_images;
    counts += torch::bincount(labelled, {}, k).to(torch::kFloat64);
  }
  survey.images = static_cast<int64_t>(data.size());
  survey.fingerprint = fingerprint.hex();
  const double total = counts.sum().item<double>();
  if (survey.images > 0 && total == 0)
    throw InputError(data.root() + " (" + what + "): no labelled pixel in any of its " +
                     std::to_string(survey.images) +
                     " labels (every pixel is 255, ignored): nothing to learn from or score");
  for (int64_t c = 0; c < k; ++c)
    survey.class_frequencies.push_back(total > 0 ? counts[c].item<double>() / total : 0.0);
  return survey;
}

}  // namespace lagm::data
