// An exact reference for the MIG planner: the same problem as an integer
// linear program, solved by GLPK. Test and bench support only.
//
// GPUs are aggregated into classes: identical GPUs (same model, current
// layout and busy instances) of one node form a GPU class with a count, and
// nodes with the same multiset of GPU classes form a node class with a count.
// Variables are integer counts of GPUs of a class that get each candidate
// layout, so a few hundred GPUs solve in seconds. Candidate layouts of a GPU
// are its current layout plus every maximal valid layout that keeps its busy
// instances where they are (a subset of a layout never serves more nor
// destroys fewer). Layouts that serve the same demanded resources with the same
// disruption are merged, dominated ones dropped.
//
// Objective, lexicographic as the planner's (src/planner/planner.h), one GLPK
// solve per level, each level fixed before the next: (1) requests served,
// priority by priority from the highest, (2) cost = destroy_weight * instances
// destroyed + node_weight * nodes touched. The planner's third level
// (fragmentation) is not modelled. Hard constraints: each GPU gets exactly
// one valid placed layout, busy instances stay, fixed GPUs and protected nodes
// keep their layout, at most `max_nodes_touched` nodes change. Free instances
// that stay serve requests like new ones. One request takes one instance of
// the profile it names ("1g.10gb"), on any GPU model with a profile of that
// name.
#ifndef MIGCTL_TESTS_SUPPORT_PLANNER_ILP_H_
#define MIGCTL_TESTS_SUPPORT_PLANNER_ILP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mig/layout.h"
#include "mig/model.h"
#include "planner/planner.h"

namespace migctl::planner_ilp {

// Identical GPUs of one node.
struct IlpGpuClass {
  const mig::GpuModel* model = nullptr;
  mig::Layout current;
  mig::Layout busy;  // instances of `current` that must stay where they are
  int per_node = 1;
  bool fixed = false;  // keeps its current layout (whole-GPU pods)
};

// Identical nodes.
struct IlpNodeClass {
  std::vector<IlpGpuClass> gpus;
  int nodes = 1;
  bool frozen = false;  // protected: every GPU keeps its current layout
};

// `count` requests for one instance each of `resource` ("1g.10gb").
struct IlpDemand {
  std::string resource;
  int priority = 0;
  int count = 0;
};

struct IlpProblem {
  std::vector<IlpNodeClass> node_classes;
  std::vector<IlpDemand> demand;
  int64_t destroy_weight = 1;
  int64_t node_weight = 1;
  int max_nodes_touched = -1;  // -1: no limit
};

struct IlpOptions {
  double time_limit_s = 30;  // for all levels together
};

// What the ILP chose for one GPU class.
struct IlpGpuAssignment {
  int node_class = 0;
  int gpu_class = 0;
  std::vector<std::pair<mig::Layout, int>> layouts;  // layout -> GPU count
};

// When the time limit stops a level, the solution is the best one found (it
// never serves fewer requests than the current layouts' free instances can)
// and `optimal` is false.
struct IlpSolution {
  bool optimal = false;  // every level proved optimal within the time limit
  int served = 0;
  std::map<int, int, std::greater<>> served_by_priority;
  std::map<std::string, int> served_by_resource;
  int destroyed = 0;
  int nodes_touched = 0;
  int64_t cost = 0;
  std::vector<IlpGpuAssignment> assignments;
  int columns = 0;  // integer variables after merging layouts
  double seconds = 0;
};

// INVALID_ARGUMENT naming the class when a current layout is not valid or a
// busy instance is not part of it.
absl::StatusOr<IlpSolution> SolveIlp(const IlpProblem& problem,
                                     const IlpOptions& options = {});

// The ILP of a planner input and its answer per GPU.
struct PlannerIlp {
  IlpProblem problem;
  IlpSolution solution;
  // targets[n][g] for cluster.nodes[n].gpus[g], for planner::EvaluateTargets.
  std::vector<std::vector<mig::Layout>> targets;
};

// Aggregates `cluster` into classes, solves, and spreads each class's layouts
// back over its GPUs (changed GPUs on as few nodes as possible).
// INVALID_ARGUMENT as planner::PlanCluster for malformed input.
absl::StatusOr<PlannerIlp> SolvePlannerIlp(const planner::Cluster& cluster,
                                           const planner::Demand& demand,
                                           const planner::Policy& policy,
                                           const IlpOptions& options = {});

}  // namespace migctl::planner_ilp

#endif  // MIGCTL_TESTS_SUPPORT_PLANNER_ILP_H_
