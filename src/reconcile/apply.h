// Applies a mig-parted config to every GPU of a node through Nvml.
//
// All GPUs are read and planned before anything changes, so a config that
// cannot be reached (a busy instance in the way, a layout that does not fit)
// fails with the GPU untouched. MIG mode changes come first; a GPU whose mode
// stays pending (held by a process, or no GPU reset) keeps its instances as
// they are and is reported. Each mutating call is recorded in a journal
// before it is made, so an apply killed at any point is visible, and
// re-running the same apply converges: planning starts again from what the
// GPU really has and keeps everything that can stay.
#ifndef MIGCTL_RECONCILE_APPLY_H_
#define MIGCTL_RECONCILE_APPLY_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/mig_config.h"
#include "nvml/nvml.h"
#include "reconcile/hooks_runner.h"
#include "reconcile/plan.h"

namespace migctl::reconcile {

struct NodePlan {
  std::string config_name;
  std::vector<GpuPlan> gpus;
  // GPUs the config has no entry for (allowed by apply, not by assert).
  std::vector<int> unmatched;
  bool already_applied() const;
};

// Plans every GPU of the node for config `name`.
absl::StatusOr<NodePlan> PlanNode(nvml::Nvml& nvml,
                                  const config::MigConfigFile& file,
                                  absl::string_view name,
                                  const PlanOptions& options = {});

// The target of each GPU, by GPU index; GPUs without one are left alone.
using GpuTargets = std::map<int, config::GpuTarget>;

// Plans every GPU of `targets`; `label` names them in logs and the journal.
absl::StatusOr<NodePlan> PlanTargets(nvml::Nvml& nvml,
                                     const GpuTargets& targets,
                                     absl::string_view label,
                                     const PlanOptions& options = {});

// One operation of an apply about to run, for progress reports: GPU `gpu`
// is the `gpu_number`-th of the `gpu_count` GPUs the apply changes, and
// `step` is its `op_number`-th of `op_count` operations.
struct ApplyProgress {
  int gpu = 0;
  int gpu_number = 0;
  int gpu_count = 0;
  int op_number = 0;
  int op_count = 0;
  std::string step;  // "create 1g.12gb at {2}:1", as `migctl plan` says it
};

// "[GPU 2 of 2] GPU 1, step 3 of 6: create 1g.12gb at {2}:1".
std::string DescribeProgress(const ApplyProgress& p);

struct ApplyOptions {
  PlanOptions plan;
  bool skip_reset = false;   // do not reset GPUs whose mode change is pending
  std::string journal_path;  // empty: no journal
  // As mig-parted runs them: apply-start first; pre-apply-mode before any
  // MIG mode change; pre-apply-config before any instance change;
  // apply-exit always, last. A failing hook stops the apply (before the GPU
  // is touched, for the first three).
  Hooks hooks;
  // Called before each operation; unset: no reports.
  std::function<void(const ApplyProgress&)> progress;
};

struct GpuOutcome {
  int gpu = 0;
  bool changed = false;
  // The MIG mode change is waiting for a GPU reset or a reboot.
  bool pending = false;
  nvml::Return activation = nvml::Return::kSuccess;
  std::vector<uint32_t> holders;  // PIDs holding the GPU, when known
};

struct ApplyResult {
  NodePlan plan;
  std::vector<GpuOutcome> gpus;
  bool pending() const;
};

// Applies config `name`: runs apply-start, plans every GPU (so hooks that
// stop GPU clients run before instances are judged busy), sets the MIG mode
// of every GPU (with the destroys a disable needs), then the instances of
// every GPU whose mode is active, and runs apply-exit whatever happened.
absl::StatusOr<ApplyResult> Apply(nvml::Nvml& nvml,
                                  const config::MigConfigFile& file,
                                  absl::string_view name,
                                  const ApplyOptions& options);

// As Apply, for explicit per-GPU targets (restore from a checkpoint).
absl::StatusOr<ApplyResult> ApplyTargets(nvml::Nvml& nvml,
                                         const GpuTargets& targets,
                                         absl::string_view label,
                                         const ApplyOptions& options);

// OK when every GPU is matched by config `name` and already in its target;
// FAILED_PRECONDITION listing what differs otherwise.
absl::Status AssertApplied(nvml::Nvml& nvml, const config::MigConfigFile& file,
                           absl::string_view name, bool mode_only);

// The node's current MIG state as a config named `name`, GPUs with equal
// state grouped into one entry.
absl::StatusOr<config::MigConfigFile> ExportConfig(nvml::Nvml& nvml,
                                                   const std::string& name);

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_APPLY_H_
