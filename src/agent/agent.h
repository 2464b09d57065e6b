// Agent: the node agent's main loop (`migctl agent`).
//
// It watches its own Node. Each new value of `nvidia.com/mig.config` is
// handed to the Reconfigurer; values that arrive while one is being applied
// are coalesced to the latest; a failed value is retried with exponential
// backoff without needing a label change; a value that is in no config file
// yet is looked for again at each config poll (see Reconfigurer); a change
// of any mounted config file re-applies the current value. After every
// reconfiguration (and at start) it publishes the GFD-compatible labels and an
// annotation with the node's layout (an instance is busy while NVML shows
// processes on it or the kubelet has assigned it to a pod); the annotation
// is recomputed every layout_refresh and published again when it changed.
// It serves /healthz, /readyz, /metrics and
// the status page
// (`/`, `/status.json`, agent/status_page.h) when given a port.
// Run blocks until its stop token is triggered; thread-safe as documented
// on each member.
#ifndef MIGCTL_AGENT_AGENT_H_
#define MIGCTL_AGENT_AGENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/reconfigurer.h"
#include "agent/status_board.h"
#include "deviceplugin/pod_resources.h"
#include "kube/client.h"
#include "labels/collect.h"

namespace migctl::agent {

inline constexpr absl::string_view kLayoutAnnotation = "migctl.dev/mig.layout";

struct AgentOptions {
  std::string node_name;
  ReconfigureOptions reconfigure;
  labels::CollectOptions collect;
  labels::LabelOptions labels;
  bool publish_labels = true;
  // Apply nothing: leave nvidia.com/mig.config to another applier (NVIDIA's
  // mig-manager) and only publish the layout annotation (for `migctl
  // planner`), the GPU labels unless !publish_labels, and the status page.
  bool observe_only = false;
  int health_port = -1;  // -1: no HTTP server; 0: any free port
  absl::Duration retry_initial = absl::Seconds(10);
  absl::Duration retry_max = absl::Minutes(5);
  absl::Duration config_poll = absl::Seconds(5);
  // The pods the kubelet assigned each device to
  // (deviceplugin::ListPodDevices): such instances are busy in the layout
  // annotation and are never destroyed by a reconfiguration. Unset, or
  // failing (logged once): an instance is busy only while NVML shows
  // processes on it.
  std::function<absl::StatusOr<deviceplugin::PodsByDevice>()> pod_devices;
  absl::Duration layout_refresh = absl::Seconds(30);
};

// Counters behind /metrics.
struct AgentMetrics {
  std::atomic<int64_t> reconfigurations_success{0};
  std::atomic<int64_t> reconfigurations_failed{0};
  std::atomic<int64_t> reconfiguration_millis_sum{0};
  std::atomic<bool> watching{false};
};

class Agent {
 public:
  Agent(nvml::Nvml& nvml, kube::Client& client, AgentOptions options);
  ~Agent();

  // Runs until `stop` is requested. Errors only for a broken setup (the node
  // does not exist, the health port is taken).
  absl::Status Run(std::stop_token stop);

  // The health server's port once Run has started it (for tests).
  int health_port() const { return health_port_.load(); }

  // Prometheus text exposition of the metrics.
  std::string MetricsText();

  // Publishes the GPU labels and the layout annotation now.
  absl::Status PublishLabels();

  // What the status page (`/`, `/status.json`) shows now.
  NodeStatus Status();

 private:
  void Watch(std::stop_token stop);
  void OnNode(const nlohmann::json& node);
  // Shows the step on the status page; a Node Event per GPU and pass.
  void OnApplyProgress(const reconcile::ApplyProgress& p);
  // options_.pod_devices' answer; none when unset or failing.
  deviceplugin::PodsByDevice PodDevices();
  // Publishes the layout annotation when it differs from the last one.
  absl::Status RefreshLayout();

  nvml::Nvml& nvml_;
  kube::Client& client_;
  AgentOptions options_;
  AgentMetrics metrics_;
  StatusBoard status_;
  std::atomic<int> health_port_{-1};
  std::atomic<bool> pod_devices_failing_{false};
  absl::Mutex layout_mu_;
  std::string published_layout_ ABSL_GUARDED_BY(layout_mu_);

  // Run waits on mu_ for a new wanted_ (conditions, no CondVar).
  absl::Mutex mu_;
  std::optional<std::string> wanted_ ABSL_GUARDED_BY(mu_);
  bool node_seen_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_AGENT_H_
