// DevicePluginRunner: the device plugin (deviceplugin::Plugin) inside the
// node agent's process, on its own thread, with a pause switch for the
// Reconfigurer (ReconfigureOptions::pause_device_plugin).
//
// Pausing stops the plugin: every resource server stops and removes its
// socket, so the kubelet stops advertising the node's GPUs while they are
// being changed. Resuming starts a fresh plugin on a fresh Nvml, which reads
// the new layout and registers again. Header-only so that migctl_agent need
// not link the device plugin; whoever uses it links migctl_deviceplugin.
//
// Thread-safe: Start, SetPaused and Stop may be called from any thread.
#ifndef MIGCTL_AGENT_DEVICE_PLUGIN_RUNNER_H_
#define MIGCTL_AGENT_DEVICE_PLUGIN_RUNNER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
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

  // Starts serving unless paused.
  void Start() {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = true;
    if (!paused_) StartLocked();
  }

  // Paused: the plugin stops (its sockets go); unpaused: it serves again,
  // with the node's current layout.
  void SetPaused(bool paused) {
    std::lock_guard<std::mutex> lock(mu_);
    if (paused == paused_) return;
    paused_ = paused;
    if (!started_) return;
    if (paused) {
      spdlog::info("Device plugin paused while the GPUs change");
      StopLocked();
    } else {
      spdlog::info("Device plugin resumed");
      StartLocked();
    }
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = false;
    StopLocked();
  }

  bool running() {
    std::lock_guard<std::mutex> lock(mu_);
    return plugin_ != nullptr;
  }

 private:
  void StartLocked() {
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

  void StopLocked() {
    if (plugin_ == nullptr) return;
    plugin_->Stop();
    if (thread_.joinable()) thread_.join();
    plugin_.reset();
    nvml_.reset();
  }

  const NvmlFactory open_nvml_;
  const deviceplugin::PluginOptions options_;
  std::mutex mu_;
  bool started_ = false;
  bool paused_ = false;
  std::unique_ptr<nvml::Nvml> nvml_;
  std::unique_ptr<deviceplugin::Plugin> plugin_;
  std::thread thread_;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_DEVICE_PLUGIN_RUNNER_H_
