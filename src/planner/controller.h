// Controller: the planner as a Kubernetes controller (`migctl planner`).
//
// It watches pods (all namespaces) and nodes. A change starts a batch window;
// then a round: the cluster from the nodes that carry the agent's layout
// annotation (migctl.dev/mig.layout), the demand from pending unschedulable
// pods that request nvidia.com/mig-<profile> (pod_demand.h), PlanCluster,
// and for each node the plan touches:
//   1. its config, named `migctl-planner-<10 hex of FNV-1a 64 of its YAML>`
//      (equal configs share a name; new content gives a new name), is written
//      into ONE planner-owned ConfigMap (key config.yaml, a mig-parted v1
//      file holding every config a node label still references plus the new
//      ones, labelled app.kubernetes.io/managed-by=migctl-planner; a
//      ConfigMap of that name without the label is never overwritten);
//   2. then the node's nvidia.com/mig.config label is set to that name (the
//      agent, or NVIDIA's stock mig-manager, applies it);
//   3. then a Node Event (reason MigPlannerRelabel) lists, per GPU, the
//      instances destroyed and created.
// In flight: a relabelled node is planned with its target layout and not
// changed again until nvidia.com/mig.config.state reads `success` for that
// config and its layout annotation shows the target's profile counts;
// `failed` (or no success
// within the apply timeout) gives a Warning Event and protects the node for
// a back-off. Nodes whose state is `pending` or `rebooting` are protected.
// After a restart, relabels of an earlier run not applied yet are found from
// the node labels and the ConfigMap and are in flight again.
//
// Thread safety: MetricsText() may be called from any thread; RunOnce and
// Run from one thread at a time.
#ifndef MIGCTL_PLANNER_CONTROLLER_H_
#define MIGCTL_PLANNER_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kube/client.h"
#include "kube/node.h"
#include "nlohmann/json.hpp"
#include "planner/planner.h"
#include "planner/pod_demand.h"

namespace migctl::planner {

inline constexpr absl::string_view kDefaultConfigMap = "migctl-planner-config";
inline constexpr absl::string_view kConfigMapKey = "config.yaml";
inline constexpr absl::string_view kManagedByLabel =
    "app.kubernetes.io/managed-by";
inline constexpr absl::string_view kManagedByValue = "migctl-planner";
inline constexpr absl::string_view kConfigNamePrefix = "migctl-planner-";
// The node labels of NVIDIA's mig-manager (the agent uses the same).
inline constexpr absl::string_view kMigConfigLabel = "nvidia.com/mig.config";
inline constexpr absl::string_view kMigStateLabel =
    "nvidia.com/mig.config.state";
// Event reasons.
inline constexpr absl::string_view kRelabelReason = "MigPlannerRelabel";
inline constexpr absl::string_view kApplyFailedReason = "MigPlannerApplyFailed";

struct ControllerOptions {
  std::string namespace_ = "migctl";  // of the ConfigMap
  std::string configmap = std::string(kDefaultConfigMap);
  absl::Duration batch_window = absl::Seconds(10);
  bool dry_run = false;  // plan and log, write nothing
  // Label selector of the nodes planned ("" = every node with the layout
  // annotation).
  std::string node_selector;
  // Weights, max_nodes_touched, protected_nodes (config_name is ignored).
  Policy policy;
  absl::Duration apply_timeout = absl::Minutes(10);
  // How long a node whose apply failed (or timed out) is left alone.
  absl::Duration failure_backoff = absl::Minutes(5);
  // The clock (tests replace it).
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// What one round did.
struct RoundResult {
  Plan plan;
  PodDemand demand;  // pods counted and skipped
  // Node -> config name set on it this round (dry run: would be set).
  std::map<std::string, std::string> relabelled;
  // The ConfigMap's config.yaml as written (dry run: as it would be); empty
  // when nothing was written.
  std::string config_yaml;
  // Nodes left alone this round (protected option, in flight, back-off,
  // state pending/rebooting), ascending.
  std::vector<std::string> protected_nodes;
};

class Controller {
 public:
  Controller(kube::Client& client, ControllerOptions options);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Lists nodes and pods now and runs one round on them. Errors: the API
  // failed, or the ConfigMap is not the planner's (nothing is relabelled
  // then).
  absl::StatusOr<RoundResult> RunOnce();

  // Watches nodes and pods; after each change, waits the batch window and
  // runs a round (also re-checks in-flight nodes every few seconds). Returns
  // when `stop` is requested; a failed round is logged, counted and retried
  // after 30 s, not returned.
  absl::Status Run(std::stop_token stop);

  // Prometheus text exposition (migctl_planner_*; docs/planner.md).
  std::string MetricsText() const;

 private:
  // A node relabelled by the controller whose apply is not confirmed yet:
  // until its state is `success` and its layout annotation shows `target`.
  struct InFlight {
    std::string config;
    absl::Time since;
    std::vector<Gpu> target;  // planned layouts, for the supply
  };
  struct Metrics {
    std::map<std::string, int64_t> requested;  // profile -> count
    std::map<std::string, int64_t> unmet;
    double last_plan_seconds = 0;
    double plan_seconds_sum = 0;
    int64_t rounds = 0;
    int64_t gpus_reconfigured = 0;
    int64_t nodes_relabelled = 0;
    int64_t apply_failures = 0;
    int64_t errors = 0;
    int64_t skipped_pods = 0;
    int64_t nodes_in_flight = 0;
  };

  absl::StatusOr<RoundResult> Round(const std::vector<nlohmann::json>& nodes,
                                    const std::vector<nlohmann::json>& pods);
  // Puts back in flight the nodes a run before this start relabelled whose
  // config is not applied yet (their label names a config of the
  // ConfigMap, their state is not `failed`, and their annotation does not
  // show that config); sets recovered_ once the ConfigMap could be read.
  void RecoverInFlight(const std::vector<const kube::NodeMetadata*>& nodes,
                       absl::Time now);
  absl::Status ListAll();
  void CountError();

  kube::Client& client_;
  ControllerOptions options_;

  mutable absl::Mutex mu_;
  // name -> object; pods only those that request nvidia.com/mig-*.
  std::map<std::string, nlohmann::json> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, nlohmann::json> pods_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  Metrics metrics_ ABSL_GUARDED_BY(mu_);

  // Only the round's thread touches these.
  bool recovered_ = false;
  std::map<std::string, InFlight> in_flight_;
  std::map<std::string, absl::Time> backoff_until_;
};

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_CONTROLLER_H_
