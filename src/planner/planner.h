// The demand-driven MIG planner: from a cluster's GPUs (their current placed
// layouts and busy instances) and pending demand (requests per MIG profile,
// each with a priority), a target placed layout per GPU, a mig-parted v1
// config per changed node, and a report. Pure: no I/O, deterministic (the
// same input, in any node order, gives the same plan).
//
// The problem (docs/planner.md has the algorithm and its justification):
//   * Each GPU gets a target layout: a valid layout of its model (catalogue
//     placement rules) that holds every busy instance at its placement. A GPU
//     on a protected node, or one with MIG disabled and whole-GPU pods, keeps
//     its layout.
//   * A request for profile p is served by a non-busy instance of p (an
//     existing free one or a new one) on any GPU whose model has a profile of
//     that name. Supply of p is split between requests by priority, highest
//     first.
//   * Objective, lexicographic: (1) requests served, compared priority level
//     by level from the highest; (2) cost = destroy_weight * instances
//     destroyed + node_weight * nodes touched; (3) the most free memory slices
//     usable by requested profiles (idle instances of requested profiles and
//     free slices where one still fits), i.e. the least fragmentation.
//   * At most max_nodes_touched nodes change (a node is touched when any of
//     its GPUs' layouts changes or MIG is enabled on one of them).
//   * For each changed GPU, the target is exactly what migctl's apply
//     (reconcile::PlanGpu) builds from the node config's counts: it keeps the
//     largest set of current instances and places new ones with
//     mig::FitProfiles. So the count-only config reproduces the layout, and
//     stock mig-manager gets the same counts.
#ifndef MIGCTL_PLANNER_PLANNER_H_
#define MIGCTL_PLANNER_PLANNER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/mig_config.h"
#include "mig/layout.h"
#include "mig/model.h"

namespace migctl::planner {

// ---------------------------------------------------------------- input --

// A GPU instance that exists now, with the pods using it (busy when any).
struct Instance {
  mig::PlacedGpuInstance gi;
  std::vector<std::string> pods;
  bool busy() const { return !pods.empty(); }
};

// One GPU of a node as it is now.
struct Gpu {
  int index = 0;                         // NVML index on its node
  std::string uuid;                      // informational
  const mig::GpuModel* model = nullptr;  // from mig::Catalogue()
  bool mig_enabled = true;
  // Pods holding the whole GPU (MIG disabled); such a GPU is left alone.
  std::vector<std::string> pods;
  // In GI-id order, as the agent publishes them (migctl.dev/mig.layout);
  // apply breaks ties between equal keep sets in this order.
  std::vector<Instance> instances;
};

struct Node {
  std::string name;
  std::vector<Gpu> gpus;
};

struct Cluster {
  std::vector<Node> nodes;
};

// `count` pending requests for one instance each of GI profile `profile`
// ("1g.12gb"; the resource form "1g.10gb.me" and "1g.10gb+me" are the same).
struct DemandItem {
  std::string profile;
  int count = 0;
  int priority = 0;  // higher is served first
};

struct Demand {
  std::vector<DemandItem> items;  // several items may share profile+priority
};

struct Policy {
  int64_t destroy_weight = 1;  // cost of destroying one (idle) instance
  int64_t node_weight = 1;     // cost of touching one node
  int max_nodes_touched = -1;  // < 0: no limit
  std::vector<std::string> protected_nodes;    // never changed
  std::string config_name = "migctl-planner";  // name inside node configs
};

// --------------------------------------------------------------- output --

// One GPU's change (or not).
struct GpuPlan {
  int index = 0;
  const mig::GpuModel* model = nullptr;
  bool mig_enabled_before = true;
  bool mig_enabled_after = true;
  mig::Layout before;  // canonical
  mig::Layout after;   // canonical; == before when unchanged
  std::vector<mig::PlacedGpuInstance> destroyed;  // canonical order
  std::vector<mig::PlacedGpuInstance> created;    // canonical order
  bool changed() const {
    return before != after || mig_enabled_before != mig_enabled_after;
  }
  // The exact target for reconcile::PlanGpu (layout set).
  config::GpuTarget Target() const;
};

// One node: every GPU (by index), and when touched its mig-parted config.
struct NodePlan {
  std::string name;
  bool touched = false;
  std::vector<GpuPlan> gpus;  // ascending index
  // Set when touched: one config named policy.config_name with one entry per
  // GPU (`devices: [index]`, the target's counts).
  std::optional<config::MigConfigFile> config;
};

// Demand for one profile at one priority and what the plan serves.
struct DemandReport {
  std::string profile;  // canonical name ("1g.10gb+me")
  int priority = 0;
  int requested = 0;
  int served = 0;
  // Why `requested - served` are not served; empty when all are. One of:
  //   "no GPU model in the cluster offers <p>"
  //   "not enough capacity: <n> more needed"  (+ "; node limit <k> reached"
  //   when the max_nodes_touched policy stopped the planner)
  std::string unmet_reason;
};

// Figures of the whole plan.
struct Report {
  std::vector<DemandReport> demand;  // priority descending, then profile
  int requested = 0;
  int served = 0;
  int instances_created = 0;
  int instances_destroyed = 0;
  int gpus_changed = 0;
  int nodes_touched = 0;
  int64_t cost = 0;  // destroy_weight * destroyed + node_weight * touched
  // Memory slices of all GPUs not held by a busy instance or one serving a
  // request (idle instances count as free).
  int free_memory_slices = 0;
  // Of those, slices in idle instances of requested profiles, plus free
  // slices where more instances of requested profiles can still be placed.
  int usable_free_memory_slices = 0;
  // 1 - usable / free (0 when nothing is free).
  double fragmentation() const;
};

struct Plan {
  std::vector<NodePlan> nodes;  // ascending name
  Report report;
};

// ------------------------------------------------------------ functions --

// Plans the cluster. INVALID_ARGUMENT naming the culprit (node, GPU, profile)
// for malformed input: a GPU without a model, an invalid current layout,
// duplicate node names or GPU indices, a negative count, a demand profile
// name that does not parse. Demand that cannot be served is not an error:
// the report says why.
absl::StatusOr<Plan> PlanCluster(const Cluster& cluster, const Demand& demand,
                                 const Policy& policy);

// Scores given target layouts (targets[n][g] for cluster.nodes[n].gpus[g],
// in input order) with the same report as PlanCluster: for comparing other
// planners (the ILP reference, baselines) on equal terms. INVALID_ARGUMENT
// when a target is not valid for its GPU (invalid layout, a busy instance
// missing, a protected node changed).
absl::StatusOr<Plan> EvaluateTargets(
    const Cluster& cluster, const Demand& demand, const Policy& policy,
    const std::vector<std::vector<mig::Layout>>& targets);

// Every layout GPU `gpu` may take: the valid layouts of its model (the empty
// one included) that hold its busy instances at their placements; canonical,
// in a stable order. Just {current} when the GPU cannot change.
std::vector<mig::Layout> CandidateLayouts(const Gpu& gpu);

// The placed profiles of `gpu`'s GPU instances, canonical.
mig::Layout CurrentLayout(const Gpu& gpu);

// OK when `gpu` could be a real GPU: it has a model, no GPU instances while
// MIG is disabled, at most 16 of them, and a valid layout of its model.
// INVALID_ARGUMENT saying what is wrong otherwise ("current layout is not
// valid on H100-NVL: 1g.12gb at {1}:1 overlaps another GPU instance").
absl::Status ValidateGpu(const Gpu& gpu);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_PLANNER_H_
