// Checkpoints: every GPU's MIG mode and exact GI placements, keyed by GPU
// UUID, so `migctl restore` can put a node back exactly as it was (after a
// reboot wiped the instances, or onto a replaced node with the same GPUs).
#ifndef MIGCTL_RECONCILE_CHECKPOINT_H_
#define MIGCTL_RECONCILE_CHECKPOINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "nvml/nvml.h"
#include "reconcile/apply.h"

namespace migctl::reconcile {

inline constexpr int kCheckpointVersion = 1;

struct Checkpoint {
  struct Gpu {
    std::string uuid;
    int index = 0;      // informational: GPUs are matched by UUID
    std::string model;  // catalogue key
    bool mig_enabled = false;
    mig::Layout layout;
  };
  std::vector<Gpu> gpus;
};

absl::StatusOr<Checkpoint> TakeCheckpoint(nvml::Nvml& nvml);

nlohmann::json CheckpointToJson(const Checkpoint& checkpoint);
// INVALID_ARGUMENT naming the field for a malformed document.
absl::StatusOr<Checkpoint> CheckpointFromJson(const nlohmann::json& doc);

// The per-GPU targets that restore `checkpoint` on this node. NOT_FOUND when
// a GPU of the checkpoint is not on the node (by UUID); INVALID_ARGUMENT when
// its model differs.
absl::StatusOr<GpuTargets> RestoreTargets(nvml::Nvml& nvml,
                                          const Checkpoint& checkpoint);

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_CHECKPOINT_H_
