// Generators straight from the files people download, read natively (io/pickle, no Python):
// stylegan2-ada-pytorch network pickles, TensorFlow StyleGAN2 pickles and DatasetGAN's StyleGAN1
// .pt files, each into the checkpoint a lagm .safetensors file gives (reference state-dict names,
// the reference's init kwargs), so that every command that takes a generator takes them.
#pragma once

#include <string>
#include <vector>

#include "lagm/models/checkpoint.h"

namespace lagm::models {

/// Whether `path` names a pickled generator (.pkl, .pt, .pth) rather than a lagm checkpoint.
bool is_pickled_generator(const std::string& path);

/// Network `network` of the pickle at `path`: "G_ema" (the default; the moving average the
/// reference samples from) or "G". Sampling defaults psi 0.7, cutoff 8 (the Python converter's).
/// A StyleGAN1 .pt takes its average latent from avg_latent_stylegan1.npy beside it (DatasetGAN's
/// name). Throws InputError("<path>: ...") for anything it cannot read.
ModelCheckpoint read_pickled_generator(const std::string& path,
                                       const std::string& network = "G_ema");

/// What a pickle holds, for `lagm info`: its networks (class, init kwargs, tensors), one per line.
std::vector<std::string> describe_pickle(const std::string& path);

}  // namespace lagm::models
