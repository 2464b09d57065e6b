// `migctl completion bash|zsh` prints a completion script generated from the
// command tree; the hidden `migctl __complete …` lists the dynamic words the
// script asks for (config names of a file, GPU indices, GPU models, profile
// names).
#include <algorithm>
#include <memory>
#include <vector>

#include "cli/app.h"
#include "cli/completion.h"
#include "config/mig_config.h"
#include "mig/catalogue.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

struct CompletionFlags {
  std::string shell;
  std::string config_file;
  std::string model;
};

absl::Status ConfigNames(Context& ctx, const CompletionFlags& f) {
  ASSIGN_OR_RETURN(config::MigConfigFile file,
                   config::LoadMigConfig(f.config_file));
  for (const auto& [name, entries] : file.configs) *ctx.out << name << "\n";
  return absl::OkStatus();
}

absl::Status GpuIndices(Context& ctx) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(int count, nvml->DeviceCount());
  for (int i = 0; i < count; ++i) *ctx.out << i << "\n";
  return absl::OkStatus();
}

absl::Status ProfileNames(Context& ctx, const CompletionFlags& f) {
  std::vector<const mig::GpuModel*> models;
  if (f.model.empty()) {
    for (const mig::GpuModel& m : mig::Catalogue()) models.push_back(&m);
  } else if (const mig::GpuModel* m = mig::FindModel(f.model)) {
    models.push_back(m);
  } else {
    return absl::InvalidArgumentError("unknown GPU model \"" + f.model +
                                      "\"; `migctl models` lists them");
  }
  std::vector<std::string> names;
  for (const mig::GpuModel* m : models) {
    for (const mig::GpuInstanceProfile& p : m->profiles) {
      if (std::find(names.begin(), names.end(), p.name) == names.end()) {
        names.push_back(p.name);
      }
    }
  }
  for (const std::string& n : names) *ctx.out << n << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddCompletionCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<CompletionFlags>();
  CLI::App* completion = app.add_subcommand(
      "completion",
      "Print a shell completion script for bash or zsh; load it with "
      "`source <(migctl completion bash)`");
  completion->add_option("shell", f->shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([&app, &ctx, f] {
    ctx.action = [&app, &ctx, f] {
      *ctx.out << (f->shell == "bash" ? BashCompletion(app)
                                      : ZshCompletion(app));
      return absl::OkStatus();
    };
  });

  // Hidden (no group): what the completion script calls.
  CLI::App* complete =
      app.add_subcommand("__complete", "Words for shell completion")->group("");
  complete->require_subcommand(1);
  CLI::App* configs = complete->add_subcommand(
      "config-names", "The config names of a mig-parted file");
  configs->add_option("-f,--config-file", f->config_file, "Config file")
      ->envname("MIG_PARTED_CONFIG_FILE")
      ->required();
  configs->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return ConfigNames(ctx, *f); }; });
  CLI::App* gpus = complete->add_subcommand(
      "gpus", "The GPU indices of the node (--sim STATE or the driver)");
  gpus->callback([&ctx] { ctx.action = [&ctx] { return GpuIndices(ctx); }; });
  CLI::App* models =
      complete->add_subcommand("models", "The GPU models of the catalogue");
  models->callback([&ctx] {
    ctx.action = [&ctx] {
      for (const mig::GpuModel& m : mig::Catalogue()) *ctx.out << m.key << "\n";
      return absl::OkStatus();
    };
  });
  CLI::App* profiles = complete->add_subcommand(
      "profiles", "GPU instance profile names of MODEL (default: every model)");
  profiles->add_option("model", f->model, "GPU model");
  profiles->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return ProfileNames(ctx, *f); }; });
}

}  // namespace migctl::cli
