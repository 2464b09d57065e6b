// The node labels the agent reads and writes, as NVIDIA's mig-manager names
// them, so existing clusters, scripts and dashboards keep working.
#ifndef MIGCTL_AGENT_LABELS_H_
#define MIGCTL_AGENT_LABELS_H_

#include "absl/strings/string_view.h"

namespace migctl::agent {

inline constexpr absl::string_view kConfigLabel = "nvidia.com/mig.config";
inline constexpr absl::string_view kStateLabel = "nvidia.com/mig.config.state";

inline constexpr absl::string_view kStatePending = "pending";
inline constexpr absl::string_view kStateSuccess = "success";
inline constexpr absl::string_view kStateFailed = "failed";
inline constexpr absl::string_view kStateRebooting = "rebooting";

// Why the last reconfiguration failed (removed on success).
inline constexpr absl::string_view kFailureAnnotation =
    "migctl.dev/mig.config.failure";

// NVIDIA GPU Operator operands are paused by setting their deploy label to
// this value, and resumed by setting it back to "true".
inline constexpr absl::string_view kPausedValue = "paused-for-mig-change";
inline constexpr absl::string_view kDeployLabelPrefix =
    "nvidia.com/gpu.deploy.";

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_LABELS_H_
