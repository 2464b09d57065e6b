// The planner's internal view of its input: nodes and GPUs in a canonical
// order (node name, GPU index), demand aggregated per (profile, priority),
// and the value function shared by PlanCluster and EvaluateTargets.
#ifndef MIGCTL_PLANNER_PROBLEM_H_
#define MIGCTL_PLANNER_PROBLEM_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mig/layout.h"
#include "mig/model.h"
#include "planner/planner.h"

namespace migctl::planner {

// One GPU of the input, in canonical order.
struct GpuRef {
  int node = 0;  // position in Problem::nodes
  const Gpu* gpu = nullptr;
  int input_node = 0;  // positions in the caller's Cluster
  int input_gpu = 0;
  bool fixed = false;  // protected node, or MIG disabled with pods
  mig::Layout before;  // canonical
  mig::Layout busy;    // canonical: the busy instances
};

// Validated, ordered input.
struct Problem {
  const Policy* policy = nullptr;
  std::vector<const Node*> nodes;     // ascending name
  std::vector<GpuRef> gpus;           // by node, then GPU index
  std::vector<std::string> profiles;  // demanded, canonical names, ascending
  std::vector<int> priorities;        // distinct, descending ("levels")
  std::vector<std::vector<int64_t>> demand;  // [profile][level]
  std::vector<bool> offered;  // [profile]: some GPU model in the cluster has it
  // Per model: profile id -> demanded profile index, -1 when not demanded.
  // Looked up, never iterated.
  std::map<const mig::GpuModel*, std::vector<int>> demanded_ids;

  // Demanded profile index of a GI profile of `model`, or -1.
  int ProfileIndex(const mig::GpuModel& model, int profile_id) const;
  // Adds `sign` * (requests served per level when profile `p` has `supply`
  // free instances) to served[0 .. levels).
  void AddServed(int p, int64_t supply, int sign, int64_t* served) const;
};

absl::StatusOr<Problem> MakeProblem(const Cluster& cluster,
                                    const Demand& demand, const Policy& policy);

// Slices, per layout of `model`'s tables, that more instances of demanded
// profiles could still take (the most over all ways to add them).
std::vector<int> UsableExtraSlices(const Problem& problem,
                                   const mig::GpuModel& model);

// The plan and report for final layouts (one per Problem::gpus entry, each
// valid and holding the GPU's busy instances).
Plan BuildPlan(const Problem& problem, const std::vector<mig::Layout>& after,
               bool node_limit_reached);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_PROBLEM_H_
