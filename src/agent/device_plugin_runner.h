// DevicePluginRunner: the device plugin (deviceplugin::Plugin) inside the
// node agent's process, on its own thread, with a pause switch for the
// Reconfigurer (ReconfigureOptions::pause_device_plugin).
//
// Pausing takes only the GPUs being changed out of what the plugin
// advertises (deviceplugin::Plugin::SetPausedGpus): the kubelet keeps
// scheduling on the others. Resuming advertises the node's devices as they
// are after the change. Header-only so that migctl_agent need not link the
// device plugin; whoever uses it links migctl_deviceplugin.
//
// Thread-safe: Start, SetPaused and Stop may be called from any thread.
#ifndef MIGCTL_AGENT_DEVICE_PLUGIN_RUNNER_H_
#define MIGCTL_AGENT_DEVICE_PLUGIN_RUNNER_H_

#include <functional>
#include <memory>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "deviceplugin/plugin.h"
#include "nvml/nvml.h"
#include "spdlog/spdlog.h"

namespace migctl::agent {

class DevicePluginRunner {
 public:
  using NvmlFactory =
      std::function<absl::StatusOr<std::unique_ptr<nvml::Nvml>>()>;

  DevicePluginRunner(NvmlFactory open_nvml, deviceplugin::PluginOptions options)
      : open_nvml_(std::move(open_nvml)), options_(std::move(options)) {}
  ~DevicePluginRunner() { Stop(); }
  DevicePluginRunner(const DevicePluginRunner&) = delete;
  DevicePluginRunner& operator=(const DevicePluginRunner&) = delete;

  void Start() {
    absl::MutexLock lock(&mu_);
    StartLocked();
  }

  // Paused: the plugin stops advertising the devices of `gpus`; unpaused:
  // it advertises every device the node has now. Returns once the plugin
  // advertises it.
  void SetPaused(bool paused, const std::vector<int>& gpus) {
    absl::MutexLock lock(&mu_);
    if (plugin_ == nullptr) return;
    if (paused) {
      spdlog::info("Device plugin stops advertising GPU {} while it changes",
                   absl::StrJoin(gpus, ", "));
      plugin_->SetPausedGpus(std::set<int>(gpus.begin(), gpus.end()));
    } else {
      spdlog::info("Device plugin advertises every GPU again");
      plugin_->SetPausedGpus({});
    }
  }

  void Stop() {
    absl::MutexLock lock(&mu_);
    StopLocked();
  }

  bool running() {
    absl::MutexLock lock(&mu_);
    return plugin_ != nullptr;
  }

 private:
  void StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (plugin_ != nullptr) return;
    absl::StatusOr<std::unique_ptr<nvml::Nvml>> nvml = open_nvml_();
    if (!nvml.ok()) {
      spdlog::error("device plugin: {}", nvml.status().ToString());
      return;
    }
    nvml_ = *std::move(nvml);
    plugin_ = std::make_unique<deviceplugin::Plugin>(*nvml_, options_);
    thread_ = std::thread([plugin = plugin_.get()] {
      if (absl::Status s = plugin->Run(); !s.ok()) {
        spdlog::error("device plugin: {}", s.ToString());
      }
    });
  }

  void StopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (plugin_ == nullptr) return;
    plugin_->Stop();
    if (thread_.joinable()) thread_.join();
    plugin_.reset();
    nvml_.reset();
  }

  const NvmlFactory open_nvml_;
  const deviceplugin::PluginOptions options_;
  absl::Mutex mu_;
  std::unique_ptr<nvml::Nvml> nvml_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<deviceplugin::Plugin> plugin_ ABSL_GUARDED_BY(mu_);
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_DEVICE_PLUGIN_RUNNER_H_
