// Plugin: migctl's kubelet device plugin for a node, NVIDIA's
// k8s-device-plugin behaviour in one loop.
//
// Every poll interval Run reads the node through Nvml, groups its devices
// into resources (resources.h) and reconciles one ResourceServer per
// resource: new resources get a server that registers with the kubelet,
// vanished ones stop, the rest get their new device list (ListAndWatch
// resends it) — so a MIG layout change shows up without a restart. Between
// polls it waits for XID events and marks the devices they concern
// Unhealthy until Config::health_recovery passes quietly; the wait is cut
// into slices of at most kEventWaitSlice so that Stop and SetPausedGpus take
// effect within one. When kubelet.sock
// is recreated (a kubelet restart, which also deletes the plugins' sockets)
// every server restarts and registers again; a server whose socket vanished
// restarts alone.
//
// Owns its servers; borrows `nvml`, used only by the thread calling Run.
// Stop and the accessors are thread-safe.
#ifndef MIGCTL_DEVICEPLUGIN_PLUGIN_H_
#define MIGCTL_DEVICEPLUGIN_PLUGIN_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "deviceplugin/config.h"
#include "deviceplugin/health.h"
#include "deviceplugin/resource_server.h"
#include "deviceplugin/resources.h"
#include "nvml/nvml.h"

namespace migctl::deviceplugin {

// The longest single wait for XID events.
inline constexpr absl::Duration kEventWaitSlice = absl::Milliseconds(50);

struct PluginOptions {
  Config config;
  XidFilter xids = XidFilter::FromEnvironment(std::nullopt, std::nullopt);
  // Names CDI annotations; empty: random UUIDs.
  std::function<std::string()> response_id;
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class Plugin {
 public:
  Plugin(nvml::Nvml& nvml, PluginOptions options);
  ~Plugin();

  // Serves until Stop. Fails at once when the node cannot be read or the
  // MIG strategy cannot serve it; later failures are logged and retried.
  absl::Status Run();
  // Makes Run return within kEventWaitSlice (plus a reconcile).
  void Stop();

  // Stops advertising the devices of `gpus` (their resources shrink, or go
  // when nothing else is left in them); an empty set advertises every
  // device again, as the node has them now. Returns once the servers
  // advertise it, or at once when Run is not running.
  void SetPausedGpus(std::set<int> gpus);

  // Resource names served now.
  std::vector<std::string> Resources() const;

 private:
  struct Served {
    std::unique_ptr<ResourceServer> server;
    bool registered = false;
    bool warned = false;  // the last registration attempt failed
  };
  absl::Status Refresh();
  void Reconcile();
  void CheckKubelet();
  void WaitForEvents();
  bool Stopping() const;
  // Stopping, or SetPausedGpus waits for a reconcile.
  bool Interrupted() const;
  std::vector<AdvertisedDevice> Advertised(const std::vector<Device>& devices);

  nvml::Nvml& nvml_;
  const PluginOptions options_;
  HealthTracker health_;
  bool events_supported_ = true;
  ResourceMap resources_;
  std::map<std::string, Served> served_;
  std::optional<std::pair<uint64_t, int64_t>> kubelet_id_;  // inode, ctime

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::set<int> paused_gpus_ ABSL_GUARDED_BY(mu_);
  int64_t pause_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reconciled_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> resource_names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_PLUGIN_H_
