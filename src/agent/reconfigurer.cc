#include "agent/reconfigurer.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/config_files.h"
#include "agent/labels.h"
#include "config/gpu_clients.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::agent {

std::vector<Operand> DefaultOperands() {
  return {{"device-plugin", "app=nvidia-device-plugin-daemonset"},
          {"gpu-feature-discovery", "app=gpu-feature-discovery"},
          {"dcgm-exporter", "app=nvidia-dcgm-exporter"},
          {"dcgm", "app=nvidia-dcgm"}};
}

Reconfigurer::Reconfigurer(nvml::Nvml& nvml, NodeApi& node,
                           ReconfigureOptions options)
    : nvml_(nvml), node_(node), options_(std::move(options)) {
  if (!options_.sleep)
    options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  if (!options_.now) options_.now = [] { return absl::Now(); };
}

absl::StatusOr<std::string> Reconfigurer::Report(absl::string_view state,
                                                 const absl::Status& why,
                                                 const std::string& selected) {
  Changes annotation;
  if (state == kStateFailed) {
    spdlog::error("MIG config \"{}\" failed: {}", selected, why.message());
    annotation[std::string(kFailureAnnotation)] = std::string(why.message());
    (void)node_.RecordEvent(
        "Warning", "MigConfigFailed",
        absl::StrCat("MIG config \"", selected, "\" failed: ", why.message()));
  } else if (state == kStateSuccess) {
    annotation[std::string(kFailureAnnotation)] = std::nullopt;
    (void)node_.RecordEvent(
        "Normal", "MigConfigApplied",
        absl::StrCat("MIG config \"", selected, "\" applied"));
  }
  if (!annotation.empty()) (void)node_.PatchAnnotations(annotation);
  RETURN_IF_ERROR(
      node_.PatchLabels({{std::string(kStateLabel), std::string(state)}}));
  spdlog::info("Changed {} to {}", kStateLabel, state);
  return std::string(state);
}

absl::StatusOr<std::string> Reconfigurer::Handle(const std::string& selected) {
  if (options_.host_services != nullptr) {
    HostClientStopper host(*options_.host_services,
                           options_.host_services_state);
    if (absl::Status s = host.RestartLeftovers(); !s.ok()) {
      spdlog::error("Starting host GPU clients stopped earlier failed: {}",
                    s.message());
    }
  }
  ASSIGN_OR_RETURN(auto labels, node_.GetLabels());
  std::vector<std::string> left_paused;
  for (const Operand& op : options_.operands) {
    auto it = labels.find(absl::StrCat(kDeployLabelPrefix, op.name));
    if (it != labels.end() && it->second == kPausedValue) {
      left_paused.push_back(op.name);
    }
  }
  if (!left_paused.empty()) {
    spdlog::info("Resuming GPU clients an earlier run left paused");
    if (absl::Status s = ResumeOperands(left_paused); !s.ok()) {
      spdlog::error("Resuming GPU clients failed: {}", s.message());
    }
  }
  const bool after_reboot =
      labels.contains(std::string(kStateLabel)) &&
      labels.at(std::string(kStateLabel)) == kStateRebooting;
  if (!wait_ || wait_->config != selected) {
    spdlog::info("Updating to MIG config: {}", selected);
  }
  absl::StatusOr<MergedConfigs> configs = LoadMigConfigs(options_.config_paths);
  if (!configs.ok()) return Report(kStateFailed, configs.status(), selected);
  if (configs->file.Find(selected) == nullptr) {
    return AwaitConfig(selected, *configs);
  }
  wait_.reset();
  const config::MigConfigFile& file = configs->file;
  if (!after_reboot &&
      reconcile::AssertApplied(nvml_, file, selected, false).ok()) {
    spdlog::info("MIG configuration already applied");
    if (options_.publish_labels) (void)options_.publish_labels();
    return Report(kStateSuccess, absl::OkStatus(), selected);
  }
  RETURN_IF_ERROR(node_.PatchLabels(
      {{std::string(kStateLabel), std::string(kStatePending)}}));
  absl::StatusOr<std::string> state = Reconfigure(file, selected, after_reboot);
  if (!state.ok()) return Report(kStateFailed, state.status(), selected);
  if (*state == kStateRebooting) return *state;  // set before the reboot
  return Report(*state, absl::OkStatus(), selected);
}

absl::StatusOr<std::string> Reconfigurer::AwaitConfig(
    const std::string& selected, const MergedConfigs& configs) {
  const absl::Status why =
      ConfigNotFound(configs, options_.config_paths, selected);
  const absl::Time now = options_.now();
  if (wait_ && wait_->config == selected) {
    if (now < wait_->deadline) return std::string(kStatePending);
    return Report(kStateFailed, why, selected);
  }
  if (options_.config_wait <= absl::ZeroDuration()) {
    return Report(kStateFailed, why, selected);
  }
  std::vector<std::string> missing;
  for (const absl::Status& m : configs.missing) {
    missing.emplace_back(m.message());
  }
  const std::string message = absl::StrCat(
      "Waiting up to ", absl::FormatDuration(options_.config_wait),
      " for MIG config \"", selected, "\" to appear in ",
      JoinPaths(options_.config_paths),
      missing.empty() ? ""
                      : absl::StrCat(" (", absl::StrJoin(missing, "; "), ")"));
  spdlog::info("{}", message);
  (void)node_.RecordEvent("Normal", "MigConfigWaiting", message);
  RETURN_IF_ERROR(node_.PatchLabels(
      {{std::string(kStateLabel), std::string(kStatePending)}}));
  spdlog::info("Changed {} to {}", kStateLabel, kStatePending);
  wait_ = ConfigWait{selected, now + options_.config_wait};
  return std::string(kStatePending);
}

absl::StatusOr<std::string> Reconfigurer::Reconfigure(
    const config::MigConfigFile& file, const std::string& selected,
    bool after_reboot) {
  // Everything paused here is resumed on the way out, whatever happens.
  std::vector<std::string> paused;
  std::optional<HostClientStopper> host;
  if (options_.host_services != nullptr) {
    host.emplace(*options_.host_services, options_.host_services_state);
  }
  const std::vector<int> changing = ChangingGpus(file, selected);
  if (options_.pause_device_plugin) {
    options_.pause_device_plugin(true, changing);
  }
  absl::StatusOr<std::string> state = [&]() -> absl::StatusOr<std::string> {
    RETURN_IF_ERROR(PauseOperands(paused));
    if (host) {
      ASSIGN_OR_RETURN(config::GpuClients clients,
                       config::LoadGpuClients(options_.gpu_clients_file));
      RETURN_IF_ERROR(host->Stop(clients.systemd_services));
    }
    ASSIGN_OR_RETURN(reconcile::ApplyResult result,
                     reconcile::Apply(nvml_, file, selected, options_.apply));
    if (result.pending()) {
      std::vector<std::string> gpus;
      for (const reconcile::GpuOutcome& g : result.gpus) {
        if (!g.pending) continue;
        gpus.push_back(absl::StrCat(
            g.gpu, g.holders.empty()
                       ? ""
                       : absl::StrCat(" (held by PIDs ",
                                      absl::StrJoin(g.holders, ", "), ")")));
      }
      const std::string which = absl::StrJoin(gpus, ", ");
      if (after_reboot) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the MIG mode of GPU ", which, " did not change after a reboot"));
      }
      if (!options_.with_reboot || !options_.reboot) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the MIG mode change of GPU ", which,
            " waits for a GPU reset or a reboot; set WITH_REBOOT=true to let "
            "migctl reboot the node, or reboot it"));
      }
      RETURN_IF_ERROR(node_.PatchLabels(
          {{std::string(kStateLabel), std::string(kStateRebooting)}}));
      spdlog::info("Rebooting the node to change the MIG mode of GPU {}",
                   which);
      (void)node_.RecordEvent(
          "Normal", "RebootingNode",
          absl::StrCat("Rebooting to change the MIG mode of GPU ", which));
      RETURN_IF_ERROR(options_.reboot());
      return std::string(kStateRebooting);
    }
    if (options_.publish_labels) RETURN_IF_ERROR(options_.publish_labels());
    return std::string(kStateSuccess);
  }();
  absl::Status restarted = host ? host->Restart() : absl::OkStatus();
  absl::Status resumed = ResumeOperands(paused);
  if (options_.pause_device_plugin) {
    options_.pause_device_plugin(false, changing);
  }
  if (state.ok() && !restarted.ok()) return restarted;
  if (state.ok() && !resumed.ok()) return resumed;
  return state;
}

std::vector<int> Reconfigurer::ChangingGpus(const config::MigConfigFile& file,
                                            const std::string& selected) {
  std::vector<int> gpus;
  // The apply that follows logs the config's entries; this look ahead does not.
  reconcile::PlanOptions quiet = options_.apply.plan;
  quiet.log_entries = false;
  absl::StatusOr<reconcile::NodePlan> plan =
      reconcile::PlanNode(nvml_, file, selected, quiet);
  if (plan.ok()) {
    for (const reconcile::GpuPlan& g : plan->gpus) {
      if (!g.already_applied()) gpus.push_back(g.gpu);
    }
    return gpus;
  }
  // The apply will say why; meanwhile nothing is advertised.
  absl::StatusOr<int> count = nvml_.DeviceCount();
  for (int gpu = 0; count.ok() && gpu < *count; ++gpu) gpus.push_back(gpu);
  return gpus;
}

absl::Status Reconfigurer::PauseOperands(std::vector<std::string>& paused) {
  ASSIGN_OR_RETURN(auto labels, node_.GetLabels());
  Changes changes;
  for (const Operand& op : options_.operands) {
    const std::string key = absl::StrCat(kDeployLabelPrefix, op.name);
    auto it = labels.find(key);
    if (it == labels.end() || it->second != "true") continue;
    changes[key] = std::string(kPausedValue);
    paused.push_back(op.name);
  }
  if (changes.empty()) return absl::OkStatus();
  spdlog::info("Pausing GPU clients: {}", absl::StrJoin(paused, ", "));
  (void)node_.RecordEvent(
      "Normal", "PausingGpuClients",
      absl::StrCat("Pausing GPU clients: ", absl::StrJoin(paused, ", ")));
  RETURN_IF_ERROR(node_.PatchLabels(changes));
  const absl::Time deadline = absl::Now() + options_.operand_timeout;
  for (const Operand& op : options_.operands) {
    if (std::find(paused.begin(), paused.end(), op.name) == paused.end())
      continue;
    while (true) {
      ASSIGN_OR_RETURN(int pods, node_.CountPods(op.pod_selector));
      if (pods == 0) break;
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(pods, " pod(s) of ", op.name, " (", op.pod_selector,
                         ") still run after ",
                         absl::FormatDuration(options_.operand_timeout)));
      }
      options_.sleep(options_.poll_interval);
    }
  }
  return absl::OkStatus();
}

absl::Status Reconfigurer::ResumeOperands(
    const std::vector<std::string>& paused) {
  if (paused.empty()) return absl::OkStatus();
  Changes changes;
  for (const std::string& name : paused) {
    changes[absl::StrCat(kDeployLabelPrefix, name)] = "true";
  }
  spdlog::info("Resuming GPU clients: {}", absl::StrJoin(paused, ", "));
  (void)node_.RecordEvent(
      "Normal", "ResumingGpuClients",
      absl::StrCat("Resuming GPU clients: ", absl::StrJoin(paused, ", ")));
  // Never leave them paused: retry while the API server is unreachable.
  absl::Status s;
  absl::Duration wait = options_.poll_interval;
  for (int attempt = 0; attempt < 8; ++attempt) {
    s = node_.PatchLabels(changes);
    if (s.ok()) return s;
    spdlog::warn("Resuming GPU clients failed ({}); retrying", s.message());
    options_.sleep(wait);
    wait = std::min(wait * 2, absl::Minutes(1));
  }
  return s;
}

}  // namespace migctl::agent
