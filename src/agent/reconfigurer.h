// Reconfigurer: brings this node's GPUs to the MIG config named by its
// `nvidia.com/mig.config` label and reports progress in
// `nvidia.com/mig.config.state`, as NVIDIA's mig-manager does:
//
//   validate the name -> already applied? success
//   -> pending -> pause GPU clients -> apply (mode, reboot if needed and
//   allowed, instances) -> publish labels -> resume clients -> success
//
// A name that no config file has yet is waited for (state `pending`, each
// Handle reads the files again) for `config_wait`, then fails: a ConfigMap
// change reaches its mounted file only at the kubelet's next volume sync.
// Any failure ends in `failed`, with the reason in a Node Event and the
// migctl.dev/mig.config.failure annotation; GPU clients paused here are
// resumed on every path. After a reboot (state `rebooting`) the same config
// is applied again; a mode change still pending then is a failure.
// Operands left paused and host services left stopped by an agent that died
// mid-change are resumed by the next Handle.
// Not thread-safe: the agent calls Handle from one thread.
#ifndef MIGCTL_AGENT_RECONFIGURER_H_
#define MIGCTL_AGENT_RECONFIGURER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/config_files.h"
#include "agent/host_services.h"
#include "agent/node_api.h"
#include "nvml/nvml.h"
#include "reconcile/apply.h"

namespace migctl::agent {

// An NVIDIA GPU Operator operand paused during a change: its deploy label
// (nvidia.com/gpu.deploy.<name>) and the selector of its pods.
struct Operand {
  std::string name;
  std::string pod_selector;
};

// The operands mig-manager pauses.
std::vector<Operand> DefaultOperands();

struct ReconfigureOptions {
  // The mounted ConfigMaps' config.yaml files, read as one
  // (agent/config_files.h): the user's configs, then e.g. the planner's.
  std::vector<std::string> config_paths;
  // How long a config name in no file is waited for before it fails; zero
  // fails at once.
  absl::Duration config_wait = absl::Minutes(3);
  std::function<absl::Time()> now;  // default: absl::Now
  bool with_reboot = false;         // WITH_REBOOT
  // Reboots the node; on a real node it does not return.
  std::function<absl::Status()> reboot;
  std::vector<Operand> operands = DefaultOperands();
  absl::Duration operand_timeout = absl::Minutes(5);
  absl::Duration poll_interval = absl::Seconds(2);
  std::function<void(absl::Duration)> sleep;  // default: absl::SleepFor
  // Makes the in-process device plugin stop advertising `gpus`, the GPUs
  // the change touches (all of them when it cannot be planned), and
  // advertise every GPU again afterwards (paused false, same `gpus`).
  std::function<void(bool paused, const std::vector<int>& gpus)>
      pause_device_plugin;
  // Publishes the node's GPU labels after a change.
  std::function<absl::Status()> publish_labels;
  // WITH_SHUTDOWN_HOST_GPU_CLIENTS (on when set): the services of
  // `gpu_clients_file` that run are stopped after the operands and started
  // again, in reverse order, before they resume; `host_services_state`
  // remembers them across a crash.
  HostServices* host_services = nullptr;
  std::string gpu_clients_file;
  std::string host_services_state = "/run/migctl/stopped-host-services";
  reconcile::ApplyOptions apply;
};

class Reconfigurer {
 public:
  Reconfigurer(nvml::Nvml& nvml, NodeApi& node, ReconfigureOptions options);

  // Brings the node to config `selected`. Returns the state it reported
  // (success, failed or rebooting, or pending while `selected` is waited
  // for: call again to look for it); an error only when the state label
  // itself could not be written (the caller retries).
  absl::StatusOr<std::string> Handle(const std::string& selected);

 private:
  // A config name in no file, waited for until `deadline`.
  struct ConfigWait {
    std::string config;
    absl::Time deadline;
  };

  // `selected` is in none of `configs`: starts or continues waiting for it,
  // or fails once the wait is over.
  absl::StatusOr<std::string> AwaitConfig(const std::string& selected,
                                          const MergedConfigs& configs);
  // The work between `pending` and the final state; its error is the
  // failure reason.
  absl::StatusOr<std::string> Reconfigure(const config::MigConfigFile& file,
                                          const std::string& selected,
                                          bool after_reboot);
  // The GPUs that applying `selected` changes.
  std::vector<int> ChangingGpus(const config::MigConfigFile& file,
                                const std::string& selected);
  absl::Status PauseOperands(std::vector<std::string>& paused);
  absl::Status ResumeOperands(const std::vector<std::string>& paused);
  absl::StatusOr<std::string> Report(absl::string_view state,
                                     const absl::Status& why,
                                     const std::string& selected);

  nvml::Nvml& nvml_;
  NodeApi& node_;
  ReconfigureOptions options_;
  // The last name waited for; kept after its deadline so that retries of the
  // same name fail at once, cleared when a name is found.
  std::optional<ConfigWait> wait_;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_RECONFIGURER_H_
