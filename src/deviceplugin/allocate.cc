#include "deviceplugin/allocate.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace migctl::deviceplugin {
namespace {

// Added to every device spec list when present on the host.
constexpr absl::string_view kControlDevices[] = {
    "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
    "/dev/nvidia-modeset"};

bool Has(const Config& config, absl::string_view strategy) {
  return std::find(config.device_list_strategies.begin(),
                   config.device_list_strategies.end(),
                   strategy) != config.device_list_strategies.end();
}

std::string JoinPath(absl::string_view root, absl::string_view path) {
  return (std::filesystem::path(std::string(root)) /
          std::filesystem::path(std::string(path)).relative_path())
      .string();
}

}  // namespace

absl::StatusOr<v1beta1::ContainerAllocateResponse> AllocateContainer(
    const Config& config, absl::string_view resource,
    const std::vector<Device>& devices, const std::vector<std::string>& ids,
    absl::string_view response_id) {
  std::vector<const Device*> chosen;
  std::vector<std::string> unknown;
  for (const std::string& id : ids) {
    auto it = std::find_if(devices.begin(), devices.end(),
                           [&](const Device& d) { return d.id == id; });
    if (it == devices.end()) {
      unknown.push_back(id);
    } else {
      chosen.push_back(&*it);
    }
  }
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid allocation request for '", resource, "': unknown device",
        unknown.size() > 1 ? "s" : "", ": ", absl::StrJoin(unknown, ", ")));
  }
  std::vector<std::string> visible;
  visible.reserve(chosen.size());
  for (const Device* d : chosen) {
    visible.push_back(config.device_id_strategy == DeviceIdStrategy::kIndex
                          ? d->index
                          : d->id);
  }

  v1beta1::ContainerAllocateResponse r;
  std::vector<std::string> cdi_names;
  cdi_names.reserve(visible.size());
  for (const std::string& v : visible) {
    cdi_names.push_back(absl::StrCat("nvidia.com/gpu=", v));
  }
  if (Has(config, "cdi-annotations")) {
    (*r.mutable_annotations())[absl::StrCat(
        config.cdi_annotation_prefix, "nvidia-device-plugin_", response_id)] =
        absl::StrJoin(cdi_names, ",");
  }
  if (Has(config, "cdi-cri")) {
    for (const std::string& n : cdi_names) r.add_cdi_devices()->set_name(n);
  }
  const std::string env(kVisibleDevicesEnv);
  if (Has(config, "envvar")) {
    (*r.mutable_envs())[env] = absl::StrJoin(visible, ",");
  }
  if (Has(config, "volume-mounts")) {
    (*r.mutable_envs())[env] = std::string(kVolumeMountsRoot);
    for (const std::string& v : visible) {
      v1beta1::Mount* m = r.add_mounts();
      m->set_container_path(absl::StrCat(kVolumeMountsRoot, "/", v));
      m->set_host_path("/dev/null");
    }
  }
  if (config.pass_device_specs) {
    std::vector<std::string> paths;
    for (absl::string_view p : kControlDevices) {
      if (std::filesystem::exists(JoinPath(config.dev_root, p))) {
        paths.emplace_back(p);
      }
    }
    for (const Device* d : chosen) {
      for (const std::string& p : d->paths) {
        if (std::find(paths.begin(), paths.end(), p) == paths.end()) {
          paths.push_back(p);
        }
      }
    }
    for (const std::string& p : paths) {
      v1beta1::DeviceSpec* s = r.add_devices();
      s->set_container_path(p);
      s->set_host_path(JoinPath(config.nvidia_driver_root, p));
      s->set_permissions("rw");
    }
  }
  return r;
}

std::vector<std::string> PreferredAllocation(
    const std::vector<Device>& devices,
    const std::vector<std::string>& available,
    const std::vector<std::string>& must_include, int size) {
  std::map<std::string, int> parent;
  for (const Device& d : devices) parent[d.id] = d.gpu;
  std::vector<std::string> chosen;
  std::set<std::string> taken;
  std::set<int> used_gpus;
  for (const std::string& id : must_include) {
    if (!taken.insert(id).second) continue;
    chosen.push_back(id);
    if (auto it = parent.find(id); it != parent.end()) {
      used_gpus.insert(it->second);
    }
  }
  // Candidates per parent GPU, in the order the kubelet offered them.
  std::map<int, std::vector<std::string>> by_gpu;
  for (const std::string& id : available) {
    auto it = parent.find(id);
    if (it == parent.end() || taken.count(id)) continue;
    by_gpu[it->second].push_back(id);
    taken.insert(id);
  }
  while (static_cast<int>(chosen.size()) < size && !by_gpu.empty()) {
    auto best = by_gpu.begin();
    for (auto it = by_gpu.begin(); it != by_gpu.end(); ++it) {
      auto key = [&](const auto& e) {
        return std::make_pair(used_gpus.count(e->first) > 0, e->second.size());
      };
      if (key(it) > key(best)) best = it;
    }
    for (const std::string& id : best->second) {
      if (static_cast<int>(chosen.size()) >= size) break;
      chosen.push_back(id);
    }
    used_gpus.insert(best->first);
    by_gpu.erase(best);
  }
  return chosen;
}

std::string RandomUuid() {
  thread_local std::mt19937_64 gen(std::random_device{}());
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffull);
}

}  // namespace migctl::deviceplugin
