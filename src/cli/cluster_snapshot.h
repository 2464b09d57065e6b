// Cluster snapshots for `migctl plan --cluster`: a JSON file holding the
// nodes (GPUs, current layouts, busy instances), the pending demand and the
// planner policy. A node's GPUs are written as the agent publishes them in
// the migctl.dev/mig.layout annotation. docs/planner.md has the format.
#ifndef MIGCTL_CLI_CLUSTER_SNAPSHOT_H_
#define MIGCTL_CLI_CLUSTER_SNAPSHOT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "planner/planner.h"

namespace migctl::cli {

// What a snapshot file holds.
struct ClusterSnapshot {
  planner::Cluster cluster;
  planner::Demand demand;
  planner::Policy policy;
};

// Parses `text`; errors are INVALID_ARGUMENT "<filename>: <where>: <what>",
// where names the node, GPU, instance or demand item ("nodes[1] (node-b)
// gpus[0] gpu_instances[2]").
absl::StatusOr<ClusterSnapshot> ParseClusterSnapshot(
    absl::string_view text, absl::string_view filename);

// Reads and parses a snapshot file; NOT_FOUND when it cannot be read.
absl::StatusOr<ClusterSnapshot> LoadClusterSnapshot(const std::string& path);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_CLUSTER_SNAPSHOT_H_
