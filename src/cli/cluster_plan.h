// `migctl plan --cluster SNAPSHOT`: the offline what-if of the demand-driven
// planner. Reads a cluster snapshot, plans it, prints the report and each
// GPU's layout before and after (or the whole plan as JSON with -o json).
#ifndef MIGCTL_CLI_CLUSTER_PLAN_H_
#define MIGCTL_CLI_CLUSTER_PLAN_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cli/app.h"
#include "nlohmann/json.hpp"
#include "planner/planner.h"

namespace migctl::cli {

struct ClusterPlanFlags {
  std::string snapshot;  // --cluster FILE; empty: not this mode
};

// Adds --cluster to `plan`, exclusive with its config-file flags (added
// before this is called).
std::shared_ptr<ClusterPlanFlags> AddClusterPlanFlags(CLI::App* plan);

absl::Status ClusterPlanCommand(Context& ctx, const ClusterPlanFlags& f);

// The report and per-GPU before/after rows, as `plan --cluster` prints them.
std::string ClusterPlanText(const planner::Plan& plan,
                            const std::string& snapshot);
nlohmann::json ClusterPlanJson(const planner::Plan& plan);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_CLUSTER_PLAN_H_
