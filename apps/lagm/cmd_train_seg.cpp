// lagm train-seg: a downstream segmentation network on a labelled (usually synthesized) data set;
// --resume continues a run where it stopped.
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/distributed.h"

namespace lagm::cli {
namespace {

struct TrainSegArgs {
  CommonArgs common;
  downstream::SegmenterTrainConfig config;
  std::string data, val, mix_data, unlabelled, arch = "unet", out = "seg_run", resume,
                                               ssl_method = "mean_teacher";
  int64_t base_channels = 64, img_size = 0;
  double aspp_dropout = 0.5;
  CLI::Option* epochs_option = nullptr;
  CLI::Option* max_steps_option = nullptr;
};

// A new run's configuration from the options.
downstream::SegmenterTrainConfig new_run_config(const TrainSegArgs& args) {
  if (args.data.empty()) throw UsageError("train-seg needs --data (or --resume RUN)");
  if (std::filesystem::exists(std::filesystem::path(args.out) / "train_state.safetensors"))
    throw UsageError(args.out + ": already holds a train-seg run; continue it with --resume " +
                     args.out);
  auto c = args.config;
  c.seed = args.common.seed;
  // A folder, or a data set JSON (a paper loader, the reference's training_set_kwargs).
  auto as_spec = [&](const std::string& text, const std::string& option) {
    const auto j = data::parse_dataset_argument(text);
    auto d = data::dataset_spec_from_json(j, option);
    if (j.is_string()) d.img_size = args.img_size;  // a JSON spec carries its own size
    return d;
  };
  // Absolute paths in config.json: a resume from another working directory reads the same files.
  c.data = with_absolute_path(as_spec(args.data, "--data"));
  if (!args.val.empty()) c.validation = with_absolute_path(as_spec(args.val, "--val"));
  if (!args.mix_data.empty()) c.mix_data = with_absolute_path(as_spec(args.mix_data, "--mix-data"));
  if (!args.unlabelled.empty())
    c.unlabelled = with_absolute_path(as_spec(args.unlabelled, "--unlabelled"));
  c.semi_supervised.method = downstream::parse_semi_supervised_method(args.ssl_method);
  c.init = absolute_path(c.init);
  c.backbone_weights = absolute_path(c.backbone_weights);
  c.segmenter.arch = models::parse_segmenter_arch(args.arch, "--arch");
  c.segmenter.base_channels = args.base_channels;
  c.segmenter.aspp_dropout = args.aspp_dropout;
  return c;
}

// The configuration of the run being resumed, lengthened by --epochs / --max-steps when given.
downstream::SegmenterTrainConfig resumed_config(const TrainSegArgs& args, const CLI::App& command) {
  check_options_beside_resume(command, {"--epochs", "--max-steps"});
  auto c = downstream::read_segmenter_run_config(args.resume);
  if (args.epochs_option->count()) c.epochs = args.config.epochs;
  if (args.max_steps_option->count()) c.max_steps = args.config.max_steps;
  return c;
}

void run_train_seg(const TrainSegArgs& args, const CLI::App& command) {
  const torch::Device device = apply_common(args.common);
  refuse_outputs_over_inputs({{"--out", args.resume.empty() ? args.out : std::string()}},
                             {{"--data", args.data},
                              {"--val", args.val},
                              {"--mix-data", args.mix_data},
                              {"--init", args.config.init},
                              {"--backbone-weights", args.config.backbone_weights}});
  const bool resume = !args.resume.empty();
  const auto c = resume ? resumed_config(args, command) : new_run_config(args);
  const std::string& out = resume ? args.resume : args.out;
  // Data-parallel under lagm launch (or torchrun's variables); rank 0 reports.
  const auto env = train::distributed_env_from_environment();
  std::unique_ptr<train::ProcessGroup> group;
  if (env.active()) group = std::make_unique<train::ProcessGroup>(env);
  const auto r = downstream::train_segmenter(
      c, out, device, [](const std::string& l) { std::fprintf(stderr, "%s\n", l.c_str()); },
      group.get());
  if (env.rank != 0) return;
  std::printf("%s: %lld epochs, loss %.4f -> %.4f", r.outdir.c_str(),
              static_cast<long long>(r.epochs_done), r.first_loss, r.last_loss);
  if (r.best_epoch >= 0)
    std::printf(", best val mIoU %.4f at epoch %lld", r.best_miou,
                static_cast<long long>(r.best_epoch));
  std::printf("\n");
}

// Semi-supervised training: unlabelled images, the method and its settings.
void add_semi_supervised_options(CLI::App& cmd, TrainSegArgs& args) {
  auto& mt = args.config.semi_supervised.mean_teacher;
  auto& adv = args.config.semi_supervised.adversarial;
  cmd.add_option("--unlabelled", args.unlabelled,
                 "unlabelled images (a folder data set; its labels are not used) for "
                 "semi-supervised training (--ssl)");
  cmd.add_option("--ssl", args.ssl_method,
                 "with --unlabelled: mean_teacher (the student pulled towards its weight "
                 "average's labels) or adversarial (Hung et al.'s discriminator and self-training)")
      ->capture_default_str();
  cmd.add_option("--unlabelled-per-batch", args.config.unlabelled_per_batch,
                 "unlabelled images beside each batch (0 = --batch)")
      ->capture_default_str();
  cmd.add_option("--consistency-weight", mt.consistency_weight,
                 "weight of the consistency loss beside the labelled loss")
      ->capture_default_str()
      ->check(finite_number());
  cmd.add_option("--teacher-decay", mt.teacher_decay, "decay of the teacher's weight average")
      ->capture_default_str()
      ->check(finite_number());
  cmd.add_option("--consistency-rampup", mt.rampup_steps,
                 "steps over which the consistency weight rises to its value")
      ->capture_default_str();
  cmd.add_option("--consistency-noise", mt.noise_std,
                 "standard deviation of the noise on the student's view")
      ->capture_default_str()
      ->check(finite_number());
  cmd.add_option("--adversarial-weight", adv.adversarial_weight,
                 "adversarial: weight of fooling the discriminator on labelled images")
      ->capture_default_str()
      ->check(finite_number());
  cmd.add_option("--self-training-weight", adv.self_training_weight,
                 "adversarial: weight of the segmenter's own labels the discriminator trusts")
      ->capture_default_str()
      ->check(finite_number());
  cmd.add_option("--self-training-start", adv.self_training_start,
                 "adversarial: steps before the self-training loss begins")
      ->capture_default_str();
}

}  // namespace

void add_train_seg_command(CLI::App& app) {
  auto args = std::make_shared<TrainSegArgs>();
  auto* cmd = app.add_subcommand("train-seg", "train a downstream segmentation network (phase II)");
  auto& c = args->config;
  cmd->add_option("--data", args->data,
                  "training data: a folder, or a data set JSON (inline or .json file)");
  cmd->add_option("--val", args->val, "validation data: a folder or a data set JSON");
  cmd->add_option("--arch", args->arch, "unet, deeplabv3_resnet101 or deeplabv3_resnet50")
      ->capture_default_str();
  cmd->add_option("--base-channels", args->base_channels, "U-Net width")->capture_default_str();
  cmd->add_option("--aspp-dropout", args->aspp_dropout, "DeepLab ASPP dropout")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--backbone-weights", c.backbone_weights,
                  "ImageNet ResNet (safetensors) for DeepLab");
  cmd->add_option("--init", c.init,
                  "start from this trained segmenter (train-seg checkpoint or train-annotator "
                  "snapshot; same architecture and classes): fine-tuning");
  cmd->add_option(
         "--res,--img-size", args->img_size,
         "resize folder images to this square size (0 = as stored; --img-size: older name)")
      ->capture_default_str();
  args->epochs_option =
      cmd->add_option("--epochs", c.epochs, "epochs (with --resume: lengthens the run)")
          ->capture_default_str();
  cmd->add_option("--batch", c.batch, "batch size")->capture_default_str();
  cmd->add_option("--lr", c.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_flag("--flip", c.flip, "random horizontal flips");
  cmd->add_flag("--sync-bn", c.sync_batch_norm,
                "data-parallel runs (lagm launch): BatchNorm statistics of the whole batch over "
                "every process, so that N processes train as one would");
  cmd->add_flag("--scale-crop", c.scale_crop, "random scale 0.75-1.25 and crop");
  cmd->add_flag("--color-jitter", c.color_jitter, "random brightness, contrast and saturation");
  cmd->add_option(
         "--class-balance", c.class_balance_power,
         "class-balanced loss: class c weighs (its pixel frequency)^-P (0 = plain cross entropy)")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--samples-per-epoch", c.samples_per_epoch,
                  "samples per epoch (0 = the data set once; more repeats it)");
  cmd->add_option("--mix-data", args->mix_data,
                  "real labelled images mixed into every batch (a folder or a data set JSON), "
                  "with flips, scale/crop and colour jitter");
  cmd->add_option("--mix-per-batch", c.mix_per_batch,
                  "samples of each batch taken from --mix-data (1 to --batch - 1)")
      ->capture_default_str();
  add_semi_supervised_options(*cmd, *args);
  args->max_steps_option =
      cmd->add_option("--max-steps", c.max_steps, "stop after this many steps (0 = all epochs)")
          ->capture_default_str();
  cmd->add_option("--out", args->out, "new run folder")->capture_default_str();
  cmd->add_option("--resume", args->resume,
                  "continue the run in this folder after its last finished epoch, with its own "
                  "configuration (--epochs may lengthen it)");
  add_common_options(*cmd, args->common);
  cmd->callback([args, cmd] { run_train_seg(*args, *cmd); });
}

}  // namespace lagm::cli
