// Plans the fewest operations that take one GPU from its current state to a
// config's target, without touching busy instances.
//
// Every GPU instance that can stay (its profile is wanted and some valid
// target layout contains it at its placement) stays; among the largest such
// sets the one needing the fewest compute-instance changes wins. New GPU
// instances get explicit placements from mig::FitProfiles, so the target is
// known to fit before anything is destroyed. A busy GPU instance (processes,
// or a pod it is assigned to) is never destroyed: when the target needs
// that, planning fails and names the instance, its profile, the PIDs and the
// pods. Nor does the MIG mode of a GPU assigned whole to a pod change. Pure:
// no I/O.
#ifndef MIGCTL_RECONCILE_PLAN_H_
#define MIGCTL_RECONCILE_PLAN_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/mig_config.h"
#include "reconcile/gpu_state.h"

namespace migctl::reconcile {

enum class OpKind {
  kSetMigMode,
  kDestroyComputeInstance,
  kDestroyGpuInstance,
  kCreateGpuInstance,
  kCreateComputeInstance,
};

struct Operation {
  OpKind kind = OpKind::kSetMigMode;
  bool enable = false;  // kSetMigMode
  // The GPU instance, by id for existing ones; new ones (id -1) are named by
  // the placement they are created at.
  int gi_id = -1;
  int gi_profile_id = -1;
  mig::Placement placement;
  int ci_id = -1;          // kDestroyComputeInstance
  int ci_profile_id = -1;  // kCreateComputeInstance, kDestroyComputeInstance
  std::string why;

  friend bool operator==(const Operation&, const Operation&) = default;
};

struct GpuPlan {
  int gpu = 0;
  const mig::GpuModel* model = nullptr;
  bool mig_enabled = false;  // the target mode
  std::vector<nvml::GpuInstance> kept;
  mig::Layout target_layout;  // empty when MIG is disabled
  std::vector<Operation> operations;
  // PIDs holding the whole GPU: a mode change will stay pending.
  std::vector<uint32_t> gpu_holders;

  bool already_applied() const { return operations.empty(); }
  int destroyed_gpu_instances() const;
  int created_gpu_instances() const;
};

struct PlanOptions {
  bool mode_only = false;  // plan the MIG mode, leave instances alone
  // PlanNode logs the config entries each GPU matches, as mig-parted does
  // ("Walking MigConfig for ..."); false for callers that plan only to show.
  bool log_entries = true;
  // The pods assigned each GPU and its GPU instances, by GPU index (the
  // agent asks the kubelet); PlanNode and PlanTargets call it once and fill
  // GpuState::pods and InstanceState::pods from it. Unset: only processes
  // make anything busy.
  std::function<std::map<int, GpuPods>()> pods;
};

// FAILED_PRECONDITION when reaching the target would destroy or change a
// busy instance.
absl::StatusOr<GpuPlan> PlanGpu(const GpuState& current,
                                const config::GpuTarget& target,
                                const PlanOptions& options = {});

// "destroy GPU instance 3 (1g.24gb at {0}:2)" and the like.
std::string Describe(const mig::GpuModel& model, const Operation& op);

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_PLAN_H_
