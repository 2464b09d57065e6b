#include "agent/agent.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/config_files.h"
#include "agent/gpu_pods.h"
#include "agent/kube_node_api.h"
#include "agent/labels.h"
#include "httplib.h"
#include "kube/node.h"
#include "labels/node_patch.h"
#include "reconcile/gpu_state.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::agent {
namespace {

// The node's layout for the planner: per GPU its model, MIG mode, GPU
// instances, which of them are busy (processes or pods) and their pods.
absl::StatusOr<std::string> LayoutAnnotation(
    nvml::Nvml& nvml, const deviceplugin::PodsByDevice& pods) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  nlohmann::json gpus = nlohmann::json::array();
  for (int gpu = 0; gpu < count; ++gpu) {
    absl::StatusOr<reconcile::GpuState> s = reconcile::ReadGpuState(nvml, gpu);
    if (!s.ok()) continue;  // not a MIG GPU migctl knows
    reconcile::GpuPods on_gpu = PodsOnGpu(nvml, gpu, pods);
    nlohmann::json gis = nlohmann::json::array();
    for (const reconcile::InstanceState& i : s->instances) {
      const std::vector<std::string>& on = on_gpu.instances[i.gi.id];
      gis.push_back(
          {{"profile", s->model->FindProfileById(i.gi.profile_id)->name},
           {"start", i.gi.placement.start},
           {"size", i.gi.placement.size},
           {"busy", i.busy() || !on.empty()},
           {"pods", on}});
    }
    nlohmann::json entry = {{"index", gpu},
                            {"uuid", s->device.uuid},
                            {"model", s->model->key},
                            {"mig_enabled", s->mode.current},
                            {"gpu_instances", gis}};
    // A whole GPU assigned as nvidia.com/gpu (strategy none).
    if (!on_gpu.whole_gpu.empty()) entry["pods"] = on_gpu.whole_gpu;
    gpus.push_back(std::move(entry));
  }
  return nlohmann::json{{"gpus", gpus}}.dump();
}

}  // namespace

Agent::Agent(nvml::Nvml& nvml, kube::Client& client, AgentOptions options)
    : nvml_(nvml), client_(client), options_(std::move(options)) {
  if (options_.publish_labels && !options_.reconfigure.publish_labels) {
    options_.reconfigure.publish_labels = [this] { return PublishLabels(); };
  }
  // What the kubelet assigned to pods is busy: applying never destroys
  // such an instance, nor changes the MIG mode of such a GPU, even while
  // the pod runs no process.
  if (options_.pod_devices && !options_.reconfigure.apply.plan.pods) {
    options_.reconfigure.apply.plan.pods = [this] {
      return PodsOnGpus(nvml_, PodDevices());
    };
  }
  if (!options_.reconfigure.apply.progress) {
    options_.reconfigure.apply.progress =
        [this](const reconcile::ApplyProgress& p) { OnApplyProgress(p); };
  }
}

void Agent::OnApplyProgress(const reconcile::ApplyProgress& p) {
  status_.SetPhase(reconcile::DescribeProgress(p));
  if (p.op_number != 1) return;
  (void)KubeNodeApi(client_, options_.node_name)
      .RecordEvent("Normal", "MigConfigApplying",
                   absl::StrCat("Changing GPU ", p.gpu, " (", p.gpu_number,
                                " of ", p.gpu_count, "): ", p.op_count,
                                " operation(s), first: ", p.step));
}

Agent::~Agent() = default;

absl::Status Agent::PublishLabels() {
  nlohmann::json patch = nlohmann::json::object();
  if (options_.publish_labels) {
    ASSIGN_OR_RETURN(
        labels::Labels desired,
        labels::NodeLabels(nvml_, options_.collect, options_.labels));
    ASSIGN_OR_RETURN(nlohmann::json node, client_.GetNode(options_.node_name));
    ASSIGN_OR_RETURN(kube::NodeMetadata meta, kube::ReadNodeMetadata(node));
    labels::Labels current(meta.labels.begin(), meta.labels.end());
    patch = labels::LabelMergePatch(current, desired);
  }
  ASSIGN_OR_RETURN(std::string layout, LayoutAnnotation(nvml_, PodDevices()));
  patch["metadata"]["annotations"][std::string(kLayoutAnnotation)] = layout;
  absl::MutexLock lock(&layout_mu_);
  RETURN_IF_ERROR(
      client_.Patch("/api/v1/nodes/" + options_.node_name, patch).status());
  published_layout_ = std::move(layout);
  return absl::OkStatus();
}

absl::Status Agent::RefreshLayout() {
  ASSIGN_OR_RETURN(std::string layout, LayoutAnnotation(nvml_, PodDevices()));
  absl::MutexLock lock(&layout_mu_);
  if (layout == published_layout_) return absl::OkStatus();
  nlohmann::json patch;
  patch["metadata"]["annotations"][std::string(kLayoutAnnotation)] = layout;
  RETURN_IF_ERROR(
      client_.Patch("/api/v1/nodes/" + options_.node_name, patch).status());
  published_layout_ = std::move(layout);
  return absl::OkStatus();
}

deviceplugin::PodsByDevice Agent::PodDevices() {
  if (!options_.pod_devices) return {};
  absl::StatusOr<deviceplugin::PodsByDevice> pods = options_.pod_devices();
  if (!pods.ok()) {
    if (!pod_devices_failing_.exchange(true)) {
      spdlog::warn(
          "cannot read the kubelet's pod resources ({}); an instance counts "
          "as busy only while it has processes",
          pods.status().message());
    }
    return {};
  }
  if (pod_devices_failing_.exchange(false)) {
    spdlog::info("reading the kubelet's pod resources again");
  }
  if (pods->empty()) return {};
  // Some kubelets list the devices of pods that have finished (Succeeded,
  // Failed) until they are deleted; those hold nothing. Without the API's
  // answer every pod the kubelet lists counts.
  absl::StatusOr<std::set<std::string>> finished =
      KubeNodeApi(client_, options_.node_name).TerminatedPods();
  if (!finished.ok()) {
    spdlog::debug("listing this node's finished pods: {}",
                  finished.status().message());
    return *std::move(pods);
  }
  for (auto& [device, names] : *pods) {
    std::erase_if(names,
                  [&](const std::string& n) { return finished->contains(n); });
  }
  std::erase_if(*pods, [](const auto& kv) { return kv.second.empty(); });
  return *std::move(pods);
}

std::string Agent::MetricsText() {
  std::string out;
  absl::StrAppend(
      &out,
      "# HELP migctl_reconfigurations_total MIG reconfigurations by result.\n"
      "# TYPE migctl_reconfigurations_total counter\n"
      "migctl_reconfigurations_total{result=\"success\"} ",
      metrics_.reconfigurations_success.load(), "\n",
      "migctl_reconfigurations_total{result=\"failed\"} ",
      metrics_.reconfigurations_failed.load(), "\n",
      "# HELP migctl_reconfiguration_seconds_sum Time spent reconfiguring.\n"
      "# TYPE migctl_reconfiguration_seconds_sum counter\n"
      "migctl_reconfiguration_seconds_sum ",
      metrics_.reconfiguration_millis_sum.load() / 1000.0, "\n");
  absl::StatusOr<int> count = nvml_.DeviceCount();
  absl::StrAppend(
      &out,
      "# HELP migctl_mig_instances MIG devices by GPU and profile.\n"
      "# TYPE migctl_mig_instances gauge\n");
  for (int gpu = 0; count.ok() && gpu < *count; ++gpu) {
    absl::StatusOr<reconcile::GpuState> s = reconcile::ReadGpuState(nvml_, gpu);
    if (!s.ok()) continue;
    std::map<std::string, int> by_profile;
    for (const reconcile::InstanceState& i : s->instances) {
      ++by_profile[s->model->FindProfileById(i.gi.profile_id)->name];
    }
    for (const auto& [profile, n] : by_profile) {
      absl::StrAppend(&out, "migctl_mig_instances{gpu=\"", gpu, "\",profile=\"",
                      profile, "\"} ", n, "\n");
    }
  }
  return out;
}

NodeStatus Agent::Status() {
  return CollectNodeStatus(nvml_, status_, options_.node_name,
                           options_.reconfigure.config_paths, absl::Now());
}

void Agent::OnNode(const nlohmann::json& node) {
  absl::StatusOr<kube::NodeMetadata> meta = kube::ReadNodeMetadata(node);
  if (!meta.ok()) {
    spdlog::warn("ignoring a malformed Node object: {}",
                 meta.status().message());
    return;
  }
  std::optional<std::string> value;
  auto label = meta->labels.find(std::string(kConfigLabel));
  if (label != meta->labels.end()) value = label->second;
  status_.ObserveNode(node);
  // Waiters re-check their conditions when the lock is released.
  absl::MutexLock lock(&mu_);
  node_seen_ = true;
  wanted_ = std::move(value);
}

void Agent::Watch(std::stop_token stop) {
  kube::WatchOptions watch;
  watch.field_selector = "metadata.name=" + options_.node_name;
  while (!stop.stop_requested()) {
    metrics_.watching = true;
    absl::Status s = client_.Watch(
        "/api/v1/nodes", watch,
        [this](const kube::WatchEvent& e) {
          if (e.type == kube::WatchEventType::kAdded ||
              e.type == kube::WatchEventType::kModified) {
            OnNode(e.object);
          }
          return true;
        },
        stop);
    metrics_.watching = false;
    if (!s.ok() && !stop.stop_requested()) {
      spdlog::warn("watching node {} failed: {}; retrying", options_.node_name,
                   s.message());
      // Two seconds, or until stopped (the callback's lock and unlock makes
      // the condition be checked again).
      std::stop_callback wake(stop,
                              [this] { absl::MutexLock wake_lock(&mu_); });
      auto stopped = [&stop] { return stop.stop_requested(); };
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Seconds(2));
    }
  }
}

absl::Status Agent::Run(std::stop_token stop) {
  ASSIGN_OR_RETURN(nlohmann::json node, client_.GetNode(options_.node_name));
  OnNode(node);

  std::unique_ptr<httplib::Server> http;
  std::jthread http_thread;
  if (options_.health_port >= 0) {
    http = std::make_unique<httplib::Server>();
    http->Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
      r.set_content("ok\n", "text/plain");
    });
    http->Get("/readyz", [this](const httplib::Request&, httplib::Response& r) {
      bool ready = metrics_.watching.load();
      r.status = ready ? 200 : 503;
      r.set_content(ready ? "ok\n" : "not watching the node yet\n",
                    "text/plain");
    });
    http->Get("/metrics",
              [this](const httplib::Request&, httplib::Response& r) {
                r.set_content(MetricsText(), "text/plain; version=0.0.4");
              });
    ServeStatusPage(*http, [this] { return Status(); });
    int port = options_.health_port == 0
                   ? http->bind_to_any_port("127.0.0.1")
                   : (http->bind_to_port("0.0.0.0", options_.health_port)
                          ? options_.health_port
                          : -1);
    if (port < 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot serve health checks on port ", options_.health_port));
    }
    health_port_ = port;
    http_thread = std::jthread([&http] { http->listen_after_bind(); });
  }

  // The layout annotation is what an observer is for.
  const bool publish = options_.publish_labels || options_.observe_only;
  if (publish) {
    if (absl::Status s = PublishLabels(); !s.ok()) {
      spdlog::warn("publishing labels failed: {}", s.message());
    }
  }
  std::jthread watcher([this](std::stop_token st) { Watch(st); });
  std::stop_callback stop_watcher(stop, [&watcher] { watcher.request_stop(); });
  // Wakes the wait below: its condition is checked again on unlock.
  std::stop_callback wake_on_stop(stop, [this] { absl::MutexLock lock(&mu_); });

  KubeNodeApi node_api(client_, options_.node_name);
  Reconfigurer reconfigurer(nvml_, node_api, options_.reconfigure);
  std::optional<std::string> handled;
  std::vector<std::optional<absl::Time>> handled_config_times;
  absl::Duration backoff = options_.retry_initial;
  std::optional<absl::Time> retry_at;
  absl::Time refresh_at = absl::Now() + options_.layout_refresh;

  while (!stop.stop_requested()) {
    std::optional<std::string> wanted;
    {
      absl::Duration poll = options_.config_poll;
      if (retry_at) {
        poll = std::min(
            poll, std::max(absl::ZeroDuration(), *retry_at - absl::Now()));
      }
      auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop.stop_requested() || wanted_ != handled;
      };
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&woken), poll);
      wanted = wanted_;
    }
    if (stop.stop_requested()) break;
    if (publish && absl::Now() >= refresh_at) {
      refresh_at = absl::Now() + options_.layout_refresh;
      if (absl::Status s = RefreshLayout(); !s.ok()) {
        spdlog::warn("refreshing the layout annotation failed: {}",
                     s.message());
      }
    }
    // No config label, or another applier owns it: nothing to do.
    if (!wanted || options_.observe_only) continue;
    const std::vector<std::optional<absl::Time>> config_times =
        ConfigFileTimes(options_.reconfigure.config_paths);
    const bool changed = wanted != handled;
    const bool config_changed =
        !changed && config_times != handled_config_times;
    const bool retry_due = retry_at && absl::Now() >= *retry_at;
    if (!changed && !config_changed && !retry_due) continue;
    if (config_changed)
      spdlog::info("Config file changed; re-applying {}", *wanted);

    const absl::Time start = absl::Now();
    absl::StatusOr<std::string> state = reconfigurer.Handle(*wanted);
    metrics_.reconfiguration_millis_sum +=
        absl::ToInt64Milliseconds(absl::Now() - start);
    status_.SetPhase("");
    handled = wanted;
    handled_config_times = config_times;
    if (!state.ok()) {
      spdlog::warn("could not report the state ({}); retrying",
                   state.status().message());
      retry_at = absl::Now() + backoff;
      continue;
    }
    if (*state == kStatePending) {
      // The config is in no file yet: read the files again at the next poll.
      status_.SetPhase(
          absl::StrCat("waiting for MIG config \"", *wanted, "\" to appear in ",
                       JoinPaths(options_.reconfigure.config_paths)));
      retry_at = absl::Now() + options_.config_poll;
      continue;
    }
    status_.RecordReconfiguration(
        {*wanted, *state, absl::Now(), absl::Now() - start});
    if (*state == kStateFailed) {
      ++metrics_.reconfigurations_failed;
      retry_at = absl::Now() + backoff;
      spdlog::info("Retrying {} in {}", *wanted, absl::FormatDuration(backoff));
      backoff = std::min(backoff * 2, options_.retry_max);
    } else {
      if (*state == kStateSuccess) ++metrics_.reconfigurations_success;
      retry_at.reset();
      backoff = options_.retry_initial;
    }
  }
  watcher.request_stop();
  if (http) http->stop();
  return absl::OkStatus();
}

}  // namespace migctl::agent
