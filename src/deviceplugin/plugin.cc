#include "deviceplugin/plugin.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"

namespace migctl::deviceplugin {
namespace {

std::optional<std::pair<uint64_t, int64_t>> FileIdentity(
    const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::make_pair(static_cast<uint64_t>(st.st_ino),
                        static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 +
                            st.st_ctim.tv_nsec);
}

}  // namespace

Plugin::Plugin(nvml::Nvml& nvml, PluginOptions options)
    : nvml_(nvml),
      options_(std::move(options)),
      health_(options_.config.health_recovery) {}

Plugin::~Plugin() {
  for (auto& [name, served] : served_) served.server->Stop();
}

void Plugin::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
}

bool Plugin::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool Plugin::Interrupted() const {
  absl::MutexLock lock(&mu_);
  return stop_ || reconciled_generation_ != pause_generation_;
}

void Plugin::SetPausedGpus(std::set<int> gpus) {
  absl::MutexLock lock(&mu_);
  if (gpus == paused_gpus_ && reconciled_generation_ == pause_generation_) {
    return;
  }
  paused_gpus_ = std::move(gpus);
  const int64_t generation = ++pause_generation_;
  auto done = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !running_ || reconciled_generation_ >= generation;
  };
  mu_.Await(absl::Condition(&done));
}

std::vector<std::string> Plugin::Resources() const {
  absl::MutexLock lock(&mu_);
  return resource_names_;
}

absl::Status Plugin::Refresh() {
  absl::StatusOr<ResourceMap> resources =
      DiscoverResources(nvml_, options_.config);
  if (!resources.ok()) return resources.status();
  if (*resources != resources_) {
    spdlog::info("devices changed: {} resource(s)", resources->size());
  }
  resources_ = *std::move(resources);
  return absl::OkStatus();
}

std::vector<AdvertisedDevice> Plugin::Advertised(
    const std::vector<Device>& devices) {
  absl::Time now = options_.now();
  std::vector<AdvertisedDevice> out;
  out.reserve(devices.size());
  for (const Device& d : devices) {
    out.push_back({d, health_.IsHealthy(d.id, now)});
  }
  return out;
}

void Plugin::Reconcile() {
  std::set<int> paused;
  int64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    paused = paused_gpus_;
    generation = pause_generation_;
  }
  // What is advertised: the devices of GPUs that are not paused.
  ResourceMap advertised;
  for (const auto& [name, devices] : resources_) {
    std::vector<Device> kept;
    for (const Device& d : devices) {
      if (!paused.contains(d.gpu)) kept.push_back(d);
    }
    if (!kept.empty()) advertised[name] = std::move(kept);
  }
  for (auto it = served_.begin(); it != served_.end();) {
    if (advertised.count(it->first) == 0) {
      spdlog::info("resource '{}' is gone from the node", it->first);
      it->second.server->Stop();
      it = served_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [name, devices] : advertised) {
    Served& s = served_[name];
    if (s.server != nullptr &&
        !std::filesystem::exists(s.server->socket_path())) {
      spdlog::info("socket of '{}' was removed; restarting its server", name);
      s.server->Stop();
      s.server.reset();
    }
    if (s.server == nullptr) {
      s.server = std::make_unique<ResourceServer>(name, options_.config,
                                                  options_.response_id);
      s.server->SetDevices(Advertised(devices));
      if (absl::Status st = s.server->Start(); !st.ok()) {
        spdlog::error("{}", st.ToString());
        s.server.reset();
        continue;
      }
      s.registered = false;
    } else {
      s.server->SetDevices(Advertised(devices));
    }
    // Registers once kubelet.sock is there; warns once per failure streak.
    if (!s.registered && kubelet_id_.has_value()) {
      absl::Status st = s.server->Register();
      s.registered = st.ok();
      if (!st.ok() && !s.warned) {
        spdlog::warn("{}; retrying", st.ToString());
      }
      s.warned = !st.ok();
    }
  }
  for (auto it = served_.begin(); it != served_.end();) {
    it = it->second.server == nullptr ? served_.erase(it) : std::next(it);
  }
  std::vector<std::string> names;
  for (const auto& [name, s] : served_) names.push_back(name);
  absl::MutexLock lock(&mu_);
  resource_names_ = std::move(names);
  reconciled_generation_ = generation;
}

void Plugin::CheckKubelet() {
  auto id = FileIdentity(
      absl::StrCat(options_.config.socket_dir, "/", kKubeletSocket));
  if (id == kubelet_id_) return;
  bool restarted = kubelet_id_.has_value() && id.has_value();
  kubelet_id_ = id;
  if (!id) return;
  spdlog::info("kubelet.sock {}; registering again",
               restarted ? "was recreated (kubelet restart)" : "appeared");
  // The kubelet removes the plugins' sockets when it starts: serve anew.
  for (auto& [name, s] : served_) {
    if (s.server != nullptr) s.server->Stop();
    s.server.reset();
    s.registered = false;
  }
}

void Plugin::WaitForEvents() {
  if (events_supported_) {
    // NVML's wait cannot be interrupted: wait in slices.
    const absl::Time deadline = absl::Now() + options_.config.poll_interval;
    absl::StatusOr<std::vector<nvml::XidEvent>> events;
    while (true) {
      const absl::Duration slice = std::clamp(
          deadline - absl::Now(), absl::ZeroDuration(), kEventWaitSlice);
      events = nvml_.WaitForXidEvents(
          static_cast<int>(absl::ToInt64Milliseconds(slice)));
      if (!events.ok() || !events->empty() || Interrupted() ||
          absl::Now() >= deadline) {
        break;
      }
    }
    if (events.ok()) {
      for (const nvml::XidEvent& e : *events) {
        std::vector<std::string> hit =
            health_.Record(e, options_.xids, resources_, options_.now());
        if (hit.empty()) {
          spdlog::info("skipping XID {} on GPU {}", e.xid, e.gpu);
        } else {
          spdlog::warn("XID {} on GPU {}: marking {} device(s) unhealthy",
                       e.xid, e.gpu, hit.size());
        }
      }
      return;
    }
    if (nvml::ReturnOf(events.status()) == nvml::Return::kNotSupported) {
      spdlog::warn("XID events are not supported here: health checks off");
      events_supported_ = false;
    } else {
      spdlog::error(
          "waiting for XID events: {}; marking all devices "
          "unhealthy",
          events.status().ToString());
      health_.RecordAll(resources_, options_.now());
      return;
    }
  }
  absl::MutexLock lock(&mu_);
  auto interrupted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || reconciled_generation_ != pause_generation_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&interrupted),
                       options_.config.poll_interval);
}

absl::Status Plugin::Run() {
  if (absl::Status s = Refresh(); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    running_ = true;
  }
  events_supported_ = !options_.xids.AllDisabled();
  if (!events_supported_) spdlog::info("health checks disabled");
  if (events_supported_) {
    // Subscribes, so that no event between now and the first wait is lost.
    absl::StatusOr<std::vector<nvml::XidEvent>> first =
        nvml_.WaitForXidEvents(0);
    if (!first.ok()) {
      spdlog::warn("XID events unavailable ({}): health checks off",
                   first.status().ToString());
      events_supported_ = false;
    }
  }
  while (!Stopping()) {
    CheckKubelet();
    Reconcile();
    WaitForEvents();
    if (Stopping()) break;
    if (absl::Status s = Refresh(); !s.ok()) {
      spdlog::error("reading the node: {}; keeping the current devices",
                    s.ToString());
    }
  }
  for (auto& [name, s] : served_) {
    if (s.server != nullptr) s.server->Stop();
  }
  served_.clear();
  absl::MutexLock lock(&mu_);
  resource_names_.clear();
  running_ = false;
  return absl::OkStatus();
}

}  // namespace migctl::deviceplugin
