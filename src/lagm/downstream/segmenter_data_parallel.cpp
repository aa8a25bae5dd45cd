#include "lagm/downstream/segmenter_data_parallel.h"

#include <torch/torch.h>

#include <vector>

#include "lagm/eval/evaluate.h"
#include "lagm/train/distributed.h"
#include "lagm/train/training_state.h"

namespace lagm::downstream {
namespace F = torch::nn::functional;

double share_loss_backward(models::Segmenter& seg, const torch::Tensor& x, const torch::Tensor& y,
                           const F::CrossEntropyFuncOptions& options, train::ProcessGroup& group,
                           torch::Device device) {
  const auto [begin, end] = train::rank_rows(x.size(0), group.rank(), group.world_size());
  const auto xs = x.narrow(0, begin, end - begin).to(device);
  const auto ys = y.narrow(0, begin, end - begin).to(device);
  const auto valid = ys != 255;
  const auto& weight = options.weight();
  auto normaliser = weight.defined()
                        ? weight.index({ys.masked_select(valid)}).sum().to(torch::kFloat64)
                        : valid.sum().to(torch::kFloat64);
  std::vector<torch::Tensor> total{normaliser.reshape({1}).cpu()};
  group.all_reduce_sum(total);
  auto sum_options = options;
  sum_options.reduction(torch::kSum);
  // The batches are drawn from the global random stream on every process alike; a forward pass
  // that draws from it (DeepLab's dropout) on shares of different sizes would make the processes'
  // streams, and so their next batches, differ. The stream is put back as it was.
  const auto stream = train::rng_state(torch::kCPU);
  const auto loss = F::cross_entropy(seg.forward(xs), ys, sum_options) / total[0].item<double>();
  loss.backward();
  train::set_rng_state(torch::kCPU, stream);
  train::all_reduce_gradients(group, seg.module());
  std::vector<torch::Tensor> value{loss.detach().to(torch::kFloat64).reshape({1}).cpu()};
  group.all_reduce_sum(value);
  return value[0].item<double>();
}

eval::SegmentationMetrics validate_segmenter(models::Segmenter& seg,
                                             const data::LabelledDataset& val, torch::Device device,
                                             train::ProcessGroup* group) {
  if (!group) return eval::evaluate_segmenter(seg, val, device).metrics();
  auto cm = eval::evaluate_segmenter(seg, val, device, 1, {group->rank(), group->world_size()});
  std::vector<torch::Tensor> counts{cm.counts().clone()};
  group->all_reduce_sum(counts);
  eval::ConfusionMatrix total(cm.num_classes());
  total.add_counts(counts[0]);
  return total.metrics();
}

}  // namespace lagm::downstream
