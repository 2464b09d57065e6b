// migctl's config commands, compatible with nvidia-mig-parted: apply,
// assert, export, plus plan (apply --dry-run's output on its own).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/gpu_pods.h"
#include "cli/app.h"
#include "cli/cluster_plan.h"
#include "cli/plan_maps.h"
#include "config/hooks.h"
#include "config/mig_config.h"
#include "deviceplugin/pod_resources.h"
#include "reconcile/apply.h"
#include "reconcile/checkpoint.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

using nlohmann::json;

struct ConfigFlags {
  std::string file;
  std::string selected;
  bool dry_run = false;
  bool skip_reset = false;
  bool mode_only = false;
  bool valid_config = false;
  std::string journal;
  std::string hooks_file;
  std::string checkpoint_file;
  std::string export_name = "current";
  std::string export_format = "yaml";
  bool progress = false;
  bool show = false;
  std::string pod_resources_socket =
      std::string(deviceplugin::kDefaultPodResourcesSocket);
};

absl::StatusOr<config::MigConfigFile> LoadConfig(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "no config file: pass -f FILE (or - for stdin), or set "
        "MIG_PARTED_CONFIG_FILE");
  }
  if (path == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), {});
    return config::ParseMigConfig(text, "<stdin>");
  }
  spdlog::info("Parsing config file...");
  return config::LoadMigConfig(path);
}

// On a Kubernetes node (the kubelet's PodResources socket exists), makes
// planning count what the kubelet assigned to pods as busy: such an instance
// may run no process yet. A socket that does not answer stops the command
// rather than plan without it.
absl::Status AddPodAssignments(const std::string& socket, nvml::Nvml& nvml,
                               reconcile::PlanOptions& options) {
  if (socket.empty()) return absl::OkStatus();
  absl::StatusOr<deviceplugin::PodsByDevice> pods =
      deviceplugin::ListPodDevices(socket, absl::Seconds(5));
  if (absl::IsNotFound(pods.status())) {
    spdlog::debug("{}", pods.status().message());
    return absl::OkStatus();
  }
  if (!pods.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read which pods the kubelet assigned the GPUs to (",
        pods.status().message(),
        "); an instance assigned to a pod may run no process yet. Pass "
        "--pod-resources-socket \"\" to plan with processes alone"));
  }
  options.pods = [&nvml, pods = *std::move(pods)] {
    return agent::PodsOnGpus(nvml, pods);
  };
  return absl::OkStatus();
}

// The config to use: -c, or the only one in the file.
absl::StatusOr<std::string> SelectedConfig(const config::MigConfigFile& file,
                                           const std::string& selected) {
  if (!selected.empty()) return selected;
  if (file.configs.size() == 1) return file.configs[0].first;
  std::vector<std::string> names;
  for (const auto& [name, entries] : file.configs) names.push_back(name);
  return absl::InvalidArgumentError(
      absl::StrCat("the file has several MIG configs; choose one with -c (or "
                   "MIG_PARTED_SELECTED_CONFIG): ",
                   absl::StrJoin(names, ", ")));
}

// Where apply keeps its journal and lock: beside the simulator's state, or
// under /run/migctl for the real driver.
std::string JournalPath(const Context& ctx, const ConfigFlags& f) {
  if (!f.journal.empty()) return f.journal;
  if (!ctx.sim_path.empty()) return ctx.sim_path + ".apply-journal";
  return "/run/migctl/apply-journal.json";
}

// One apply per node at a time: an exclusive flock held for the whole apply.
class ApplyLock {
 public:
  static absl::StatusOr<std::unique_ptr<ApplyLock>> Take(
      const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path(), ec);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot open apply lock ", path));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("another migctl apply is running on this node (lock ",
                       path, "); wait for it to finish"));
    }
    return std::unique_ptr<ApplyLock>(new ApplyLock(fd));
  }
  ~ApplyLock() { ::close(fd_); }

 private:
  explicit ApplyLock(int fd) : fd_(fd) {}
  int fd_;
};

json PlanJson(const reconcile::NodePlan& plan) {
  json gpus = json::array();
  for (const reconcile::GpuPlan& p : plan.gpus) {
    json kept = json::array();
    for (const nvml::GpuInstance& gi : p.kept) {
      kept.push_back(
          {{"gpu_instance_id", gi.id},
           {"profile", p.model->FindProfileById(gi.profile_id)->name},
           {"placement",
            {{"start", gi.placement.start}, {"size", gi.placement.size}}}});
    }
    json ops = json::array();
    for (const reconcile::Operation& op : p.operations) {
      ops.push_back(
          {{"operation", reconcile::Describe(*p.model, op)}, {"why", op.why}});
    }
    gpus.push_back({{"gpu", p.gpu},
                    {"mig_enabled", p.mig_enabled},
                    {"already_applied", p.already_applied()},
                    {"kept", kept},
                    {"operations", ops}});
  }
  return {{"config", plan.config_name},
          {"gpus", gpus},
          {"unmatched_gpus", plan.unmatched}};
}

std::string PlanText(const reconcile::NodePlan& plan) {
  std::string out;
  for (const reconcile::GpuPlan& p : plan.gpus) {
    absl::StrAppend(&out, "GPU ", p.gpu, " (", p.model->product_name, "): ");
    if (p.already_applied()) {
      absl::StrAppend(&out, "already set to desired value\n");
      continue;
    }
    absl::StrAppend(&out, p.operations.size(), " operations, keeps ",
                    p.kept.size(), " GPU instances\n");
    for (const nvml::GpuInstance& gi : p.kept) {
      absl::StrAppend(&out, "  keep     GPU instance ", gi.id, " (",
                      p.model->FindProfileById(gi.profile_id)->name, " at {",
                      gi.placement.start, "}:", gi.placement.size, ")\n");
    }
    for (const reconcile::Operation& op : p.operations) {
      absl::StrAppend(&out, "  ", reconcile::Describe(*p.model, op), " — ",
                      op.why, "\n");
    }
  }
  for (int gpu : plan.unmatched) {
    absl::StrAppend(&out, "GPU ", gpu,
                    ": not matched by the config, left as it is\n");
  }
  return out;
}

absl::StatusOr<reconcile::NodePlan> Plan(Context& ctx, nvml::Nvml& nvml,
                                         const ConfigFlags& f,
                                         config::MigConfigFile& file) {
  ASSIGN_OR_RETURN(file, LoadConfig(f.file));
  ASSIGN_OR_RETURN(std::string name, SelectedConfig(file, f.selected));
  spdlog::info("Selecting specific MIG config: {}", name);
  reconcile::PlanOptions options;
  options.mode_only = f.mode_only;
  RETURN_IF_ERROR(AddPodAssignments(f.pod_resources_socket, nvml, options));
  (void)ctx;
  return reconcile::PlanNode(nvml, file, name, options);
}

absl::Status PlanCommand(Context& ctx, const ConfigFlags& f) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  config::MigConfigFile file;
  ASSIGN_OR_RETURN(reconcile::NodePlan plan, Plan(ctx, *nvml, f, file));
  if (ctx.format == Format::kJson) {
    PrintJson(*ctx.out, PlanJson(plan));
  } else {
    *ctx.out << PlanText(plan);
    for (size_t i = 0; f.show && i < plan.gpus.size(); ++i) {
      ASSIGN_OR_RETURN(reconcile::GpuState current,
                       reconcile::ReadGpuState(*nvml, plan.gpus[i].gpu));
      *ctx.out << "\n" << PlanMaps(current, plan.gpus[i], /*color=*/false);
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyCommand(Context& ctx, const ConfigFlags& f) {
  if (f.dry_run) return PlanCommand(ctx, f);
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  const std::string journal = JournalPath(ctx, f);
  ASSIGN_OR_RETURN(auto lock, ApplyLock::Take(journal + ".lock"));
  ASSIGN_OR_RETURN(config::MigConfigFile file, LoadConfig(f.file));
  ASSIGN_OR_RETURN(std::string name, SelectedConfig(file, f.selected));
  spdlog::info("Selecting specific MIG config: {}", name);
  config::HooksFile hooks;
  if (!f.hooks_file.empty()) {
    spdlog::info("Parsing Hooks file...");
    ASSIGN_OR_RETURN(hooks, config::LoadHooks(f.hooks_file));
  }
  reconcile::ProcessRunner runner;
  reconcile::ApplyOptions options;
  options.plan.mode_only = f.mode_only;
  RETURN_IF_ERROR(
      AddPodAssignments(f.pod_resources_socket, *nvml, options.plan));
  options.skip_reset = f.skip_reset;
  options.journal_path = journal;
  if (f.progress || (ctx.err == &std::cerr && ::isatty(STDERR_FILENO))) {
    options.progress = [&ctx](const reconcile::ApplyProgress& p) {
      *ctx.err << reconcile::DescribeProgress(p) << std::endl;
    };
  }
  if (!f.hooks_file.empty()) {
    auto flag = [](bool b) { return b ? "true" : "false"; };
    options.hooks = {
        &hooks,
        &runner,
        {"MIG_PARTED_CONFIG_FILE=" + f.file,
         "MIG_PARTED_SELECTED_CONFIG=" + name,
         "MIG_PARTED_HOOKS_FILE=" + f.hooks_file,
         absl::StrCat("MIG_PARTED_SKIP_RESET=", flag(f.skip_reset)),
         absl::StrCat("MIG_PARTED_MODE_CHANGE_ONLY=", flag(f.mode_only))}};
  }
  ASSIGN_OR_RETURN(reconcile::ApplyResult result,
                   reconcile::Apply(*nvml, file, name, options));
  if (ctx.format == Format::kJson) {
    json doc = PlanJson(result.plan);
    for (size_t i = 0; i < result.gpus.size(); ++i) {
      doc["gpus"][i]["pending_reset"] = result.gpus[i].pending;
      doc["gpus"][i]["activation"] =
          nvml::ReturnName(result.gpus[i].activation);
    }
    PrintJson(*ctx.out, doc);
  }
  if (result.pending()) {
    std::vector<std::string> gpus;
    for (const reconcile::GpuOutcome& g : result.gpus) {
      if (!g.pending) continue;
      gpus.push_back(absl::StrCat(
          "GPU ", g.gpu, " (", nvml::ErrorString(g.activation),
          g.holders.empty()
              ? ""
              : absl::StrCat(", held by PIDs ", absl::StrJoin(g.holders, ", ")),
          ")"));
    }
    spdlog::warn(
        "MIG mode change pending a GPU reset or a reboot on {}; run apply "
        "again afterwards",
        absl::StrJoin(gpus, ", "));
    ctx.exit_code_override = kExitPending;
    return absl::OkStatus();
  }
  if (ctx.format == Format::kTable)
    *ctx.out << "MIG configuration applied successfully\n";
  return absl::OkStatus();
}

absl::Status AssertCommand(Context& ctx, const ConfigFlags& f) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(config::MigConfigFile file, LoadConfig(f.file));
  ASSIGN_OR_RETURN(std::string name, SelectedConfig(file, f.selected));
  if (file.Find(name) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no MIG config named \"", name, "\""));
  }
  if (f.valid_config) {
    spdlog::info("Selected MIG configuration is valid");
    return absl::OkStatus();
  }
  absl::Status applied =
      reconcile::AssertApplied(*nvml, file, name, f.mode_only);
  if (absl::IsFailedPrecondition(applied)) {
    spdlog::error(
        "Assertion failure: selected configuration not currently applied");
    *ctx.err << "migctl: " << applied.message() << "\n";
    ctx.exit_code_override = kExitNotApplied;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(applied);
  spdlog::info("Selected MIG configuration currently applied");
  return absl::OkStatus();
}

absl::Status ExportCommand(Context& ctx, const ConfigFlags& f) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(config::MigConfigFile file,
                   reconcile::ExportConfig(*nvml, f.export_name));
  if (ctx.format == Format::kJson || f.export_format == "json") {
    json entries = json::array();
    for (const config::MigConfigEntry& e : file.configs[0].second) {
      json devices = e.all_devices ? json("all") : json(e.devices);
      json mig_devices = json::object();
      for (const auto& [name, n] : e.mig_devices) mig_devices[name] = n;
      entries.push_back({{"devices", devices},
                         {"mig-enabled", e.mig_enabled},
                         {"mig-devices", mig_devices}});
    }
    PrintJson(*ctx.out,
              {{"version", "v1"}, {"mig-configs", {{f.export_name, entries}}}});
  } else {
    *ctx.out << config::WriteMigConfig(file);
  }
  return absl::OkStatus();
}

absl::Status CheckpointCommand(Context& ctx, const ConfigFlags& f) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(reconcile::Checkpoint checkpoint,
                   reconcile::TakeCheckpoint(*nvml));
  const std::string text =
      reconcile::CheckpointToJson(checkpoint).dump(2) + "\n";
  if (f.checkpoint_file == "-") {
    *ctx.out << text;
    return absl::OkStatus();
  }
  std::ofstream out(f.checkpoint_file);
  out << text;
  if (!out.flush()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write checkpoint ", f.checkpoint_file));
  }
  *ctx.out << "Checkpoint of " << checkpoint.gpus.size() << " GPUs written to "
           << f.checkpoint_file << "\n";
  return absl::OkStatus();
}

absl::Status RestoreCommand(Context& ctx, const ConfigFlags& f) {
  std::ifstream in(f.checkpoint_file);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read checkpoint ", f.checkpoint_file));
  }
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat(f.checkpoint_file, " is not valid JSON"));
  }
  ASSIGN_OR_RETURN(reconcile::Checkpoint checkpoint,
                   reconcile::CheckpointFromJson(doc));
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(reconcile::GpuTargets targets,
                   reconcile::RestoreTargets(*nvml, checkpoint));
  const std::string label = absl::StrCat("checkpoint ", f.checkpoint_file);
  reconcile::ApplyOptions options;
  RETURN_IF_ERROR(
      AddPodAssignments(f.pod_resources_socket, *nvml, options.plan));
  if (f.dry_run) {
    ASSIGN_OR_RETURN(
        reconcile::NodePlan plan,
        reconcile::PlanTargets(*nvml, targets, label, options.plan));
    *ctx.out << PlanText(plan);
    return absl::OkStatus();
  }
  const std::string journal = JournalPath(ctx, f);
  ASSIGN_OR_RETURN(auto lock, ApplyLock::Take(journal + ".lock"));
  options.journal_path = journal;
  options.skip_reset = f.skip_reset;
  ASSIGN_OR_RETURN(reconcile::ApplyResult result,
                   reconcile::ApplyTargets(*nvml, targets, label, options));
  if (result.pending()) {
    ctx.exit_code_override = kExitPending;
    return absl::OkStatus();
  }
  *ctx.out << "Checkpoint restored successfully\n";
  return absl::OkStatus();
}

void AddPodResourcesFlag(CLI::App* cmd, ConfigFlags& f) {
  cmd->add_option("--pod-resources-socket", f.pod_resources_socket,
                  "The kubelet's PodResources API socket: where it exists, "
                  "an instance the kubelet assigned to a pod is busy even "
                  "with no process (\"\": processes alone)")
      ->type_name("PATH")
      ->capture_default_str();
}

void AddConfigFlags(CLI::App* cmd, ConfigFlags& f) {
  cmd->add_option("-f,--config-file", f.file,
                  "mig-parted v1 config file, - for stdin")
      ->envname("MIG_PARTED_CONFIG_FILE")
      ->type_name("FILE");
  cmd->add_option("-c,--selected-config", f.selected,
                  "Config name (may be omitted when the file has one)")
      ->envname("MIG_PARTED_SELECTED_CONFIG")
      ->type_name("NAME");
  cmd->add_flag("-m,--mode-only", f.mode_only,
                "Only the MIG mode, not the instances")
      ->envname("MIG_PARTED_MODE_CHANGE_ONLY");
}

}  // namespace

void AddConfigCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ConfigFlags>();

  CLI::App* apply = app.add_subcommand(
      "apply",
      "Apply a MIG config (as nvidia-mig-parted apply), destroying only the "
      "instances that must go and never one in use (processes on it, or a pod "
      "the kubelet assigned it to). Exit code 4 when a MIG mode change waits "
      "for a GPU reset or reboot.");
  AddConfigFlags(apply, *f);
  apply->add_flag("--dry-run", f->dry_run, "Print the plan, change nothing");
  apply
      ->add_option("-k,--hooks-file", f->hooks_file,
                   "mig-parted v1 hooks file: commands run at apply-start, "
                   "pre-apply-mode, pre-apply-config and apply-exit")
      ->envname("MIG_PARTED_HOOKS_FILE")
      ->type_name("FILE");
  apply
      ->add_flag("-s,--skip-reset", f->skip_reset,
                 "Do not reset GPUs to activate a MIG mode change")
      ->envname("MIG_PARTED_SKIP_RESET");
  apply->add_flag("--progress", f->progress,
                  "Print each operation to stderr as it starts (default when "
                  "stderr is a terminal)");
  apply->add_option("--journal", f->journal,
                    "Journal file of the apply in progress (default beside "
                    "the simulator state, or /run/migctl/apply-journal.json)");
  AddPodResourcesFlag(apply, *f);
  apply->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return ApplyCommand(ctx, *f); }; });

  CLI::App* plan = app.add_subcommand(
      "plan",
      "Print what apply would do, GPU by GPU, and why; with --cluster, plan "
      "a whole cluster's MIG layouts from its pending demand (offline)");
  AddConfigFlags(plan, *f);
  plan->add_flag("--show", f->show,
                 "Also draw each GPU's slice map before and after the plan");
  AddPodResourcesFlag(plan, *f);
  // --- planner (issue 8) ---
  std::shared_ptr<ClusterPlanFlags> cluster = AddClusterPlanFlags(plan);
  plan->callback([&ctx, f, cluster] {
    ctx.action = [&ctx, f, cluster] {
      return cluster->snapshot.empty() ? PlanCommand(ctx, *f)
                                       : ClusterPlanCommand(ctx, *cluster);
    };
  });
  // --- end planner ---

  CLI::App* assert_cmd = app.add_subcommand(
      "assert",
      "Check that a MIG config is applied (as nvidia-mig-parted assert); "
      "exit code 3 when it is not");
  AddConfigFlags(assert_cmd, *f);
  assert_cmd->add_flag("--valid-config", f->valid_config,
                       "Only check that the config file is valid");
  assert_cmd->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return AssertCommand(ctx, *f); }; });

  CLI::App* checkpoint = app.add_subcommand(
      "checkpoint",
      "Save every GPU's MIG mode and exact GPU instance placements, by GPU "
      "UUID, to a JSON file (- for stdout)");
  checkpoint->add_option("-f,--file", f->checkpoint_file, "Checkpoint file")
      ->required();
  checkpoint->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return CheckpointCommand(ctx, *f); };
  });

  CLI::App* restore = app.add_subcommand(
      "restore",
      "Put the GPUs of a checkpoint back exactly as saved, keeping every "
      "instance already in place");
  restore->add_option("-f,--file", f->checkpoint_file, "Checkpoint file")
      ->required();
  restore->add_flag("--dry-run", f->dry_run, "Print the plan, change nothing");
  restore->add_flag("-s,--skip-reset", f->skip_reset,
                    "Do not reset GPUs to activate a MIG mode change");
  restore->add_option("--journal", f->journal, "Journal file, as for apply");
  AddPodResourcesFlag(restore, *f);
  restore->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return RestoreCommand(ctx, *f); };
  });

  CLI::App* export_cmd = app.add_subcommand(
      "export", "Print the node's current MIG state as a mig-parted v1 config");
  export_cmd
      ->add_option("--config-name", f->export_name,
                   "Name of the exported config")
      ->capture_default_str();
  export_cmd->add_option("--format", f->export_format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  export_cmd->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return ExportCommand(ctx, *f); }; });
}

}  // namespace migctl::cli
