#include "deviceplugin/resources.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "util/status_macros.h"

namespace migctl::deviceplugin {
namespace {

// NVML_GPU_INSTANCE_PROFILE_COUNT on current drivers; indices past the
// GPU's own return NOT_SUPPORTED.
constexpr int kGpuInstanceProfileIndices = 16;

bool NotSupported(const absl::Status& s) {
  return nvml::ReturnOf(s) == nvml::Return::kNotSupported;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// NVML's "00000000:00:06.0" -> sysfs' "0000:00:06.0".
std::string SysfsBusId(absl::string_view nvml_bus_id) {
  std::string id = absl::AsciiStrToLower(nvml_bus_id);
  if (id.size() > 12 && absl::StartsWith(id, "0000")) id = id.substr(4);
  return id;
}

std::optional<int> NumaNode(const Config& config, absl::string_view bus_id) {
  std::optional<std::string> text =
      ReadFile(absl::StrCat(config.sysfs_root, "/bus/pci/devices/",
                            SysfsBusId(bus_id), "/numa_node"));
  int node = -1;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &node) ||
      node < 0) {
    return std::nullopt;
  }
  return node;
}

// GI profile id -> name ("1g.12gb") for `gpu`.
absl::StatusOr<std::map<int, std::string>> GiProfileNames(nvml::Nvml& nvml,
                                                          int gpu) {
  std::map<int, std::string> out;
  for (int index = 0; index < kGpuInstanceProfileIndices; ++index) {
    absl::StatusOr<mig::GpuInstanceProfile> p =
        nvml.GetGpuInstanceProfile(gpu, index);
    if (NotSupported(p.status())) continue;
    if (!p.ok()) return p.status();
    out[p->id] = p->name;
  }
  return out;
}

struct GpuView {
  nvml::DeviceInfo info;
  int minor = 0;  // of /dev/nvidiaN and of mig-minors' "gpuN/..."

  bool mig_enabled = false;
  std::optional<int> numa_node;
  // MIG devices with their names ("1g.12gb", "1c.2g.24gb").
  std::vector<std::pair<nvml::MigDevice, std::string>> mig_devices;
};

absl::StatusOr<std::vector<GpuView>> ReadGpus(nvml::Nvml& nvml,
                                              const Config& config) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  std::vector<GpuView> gpus;
  for (int gpu = 0; gpu < count; ++gpu) {
    GpuView view;
    ASSIGN_OR_RETURN(view.info, nvml.GetDevice(gpu));
    absl::StatusOr<int> minor = nvml.MinorNumber(gpu);
    if (minor.ok()) {
      view.minor = *minor;
    } else if (NotSupported(minor.status())) {
      view.minor = gpu;
    } else {
      return minor.status();
    }
    view.numa_node = NumaNode(config, view.info.pci_bus_id);
    absl::StatusOr<nvml::MigMode> mode = nvml.GetMigMode(gpu);
    if (mode.ok()) {
      view.mig_enabled = mode->current;
    } else if (!NotSupported(mode.status())) {
      return mode.status();
    }
    if (view.mig_enabled) {
      ASSIGN_OR_RETURN(std::vector<nvml::MigDevice> devices,
                       nvml.ListMigDevices(gpu));
      if (!devices.empty()) {
        ASSIGN_OR_RETURN(auto names, GiProfileNames(nvml, gpu));
        for (nvml::MigDevice& d : devices) {
          auto it = names.find(d.gi_profile_id);
          std::string gi_name = it == names.end()
                                    ? absl::StrCat("profile", d.gi_profile_id)
                                    : it->second;
          std::string name = d.ci_slices == d.gi_slices
                                 ? gi_name
                                 : absl::StrCat(d.ci_slices, "c.", gi_name);
          view.mig_devices.emplace_back(std::move(d), std::move(name));
        }
      }
    }
    gpus.push_back(std::move(view));
  }
  return gpus;
}

Device GpuDevice(const GpuView& g) {
  Device d;
  d.id = g.info.uuid;
  d.index = absl::StrCat(g.info.index);
  d.gpu = g.info.index;
  d.numa_node = g.numa_node;
  d.paths = {absl::StrCat("/dev/nvidia", g.minor)};
  return d;
}

absl::StatusOr<Device> MigDevice(const GpuView& g, const nvml::MigDevice& m,
                                 const std::map<std::string, int>* minors) {
  Device d;
  d.id = m.uuid;
  d.index = absl::StrCat(g.info.index, ":", m.index);
  d.gpu = g.info.index;
  d.mig = true;
  d.gi_id = m.gi_id;
  d.ci_id = m.ci_id;
  d.numa_node = g.numa_node;
  d.paths = {absl::StrCat("/dev/nvidia", g.minor)};
  if (minors != nullptr) {
    std::string gi_key = absl::StrCat("gpu", g.minor, "/gi", m.gi_id);
    std::string ci_key = absl::StrCat(gi_key, "/ci", m.ci_id, "/access");
    gi_key += "/access";
    for (const std::string& key : {gi_key, ci_key}) {
      auto it = minors->find(key);
      if (it == minors->end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("driver/nvidia-caps/mig-minors has no \"", key,
                         "\" for MIG device ", m.uuid,
                         "; is the nvidia-caps device node set up?"));
      }
      d.paths.push_back(
          absl::StrCat("/dev/nvidia-caps/nvidia-cap", it->second));
    }
  }
  return d;
}

}  // namespace

std::string MigResourceName(absl::string_view mig_device_name) {
  return absl::StrCat("nvidia.com/mig-",
                      absl::StrReplaceAll(mig_device_name, {{"+", "."}}));
}

std::string SocketName(absl::string_view resource) {
  absl::string_view name = resource;
  if (size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
    name = name.substr(slash + 1);
  }
  std::string out = absl::StrCat("nvidia-", name, ".sock");
  for (char& c : out) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != '_') c = '_';
  }
  return out;
}

absl::StatusOr<std::map<std::string, int>> ReadMigMinors(
    const std::string& proc_root) {
  std::string path = absl::StrCat(proc_root, "/driver/nvidia-caps/mig-minors");
  std::optional<std::string> text = ReadFile(path);
  if (!text) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read ", path,
        ": MIG device specs need the nvidia-caps minors; is the NVIDIA "
        "driver loaded with MIG support?"));
  }
  std::map<std::string, int> out;
  std::istringstream lines(*text);
  std::string key;
  int minor = 0;
  while (lines >> key >> minor) out[key] = minor;
  return out;
}

absl::StatusOr<ResourceMap> DiscoverResources(nvml::Nvml& nvml,
                                              const Config& config) {
  ASSIGN_OR_RETURN(std::vector<GpuView> gpus, ReadGpus(nvml, config));
  ResourceMap out;
  const std::string gpu_resource(kGpuResource);
  std::optional<std::map<std::string, int>> minors;
  auto mig_minors = [&]() -> absl::StatusOr<const std::map<std::string, int>*> {
    if (!config.pass_device_specs) return nullptr;
    if (!minors) {
      ASSIGN_OR_RETURN(minors, ReadMigMinors(config.proc_root));
    }
    return &*minors;
  };

  bool any_mig = false;
  for (const GpuView& g : gpus) any_mig |= g.mig_enabled;
  MigStrategy strategy = config.mig_strategy;
  if (strategy == MigStrategy::kSingle && !any_mig) {
    strategy = MigStrategy::kNone;
  }

  switch (strategy) {
    case MigStrategy::kNone:
      for (const GpuView& g : gpus) out[gpu_resource].push_back(GpuDevice(g));
      break;
    case MigStrategy::kSingle: {
      std::vector<std::string> not_mig;
      std::set<std::string> names;
      for (const GpuView& g : gpus) {
        if (!g.mig_enabled) not_mig.push_back(absl::StrCat(g.info.index));
        for (const auto& [m, name] : g.mig_devices) names.insert(name);
      }
      if (!not_mig.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "mig-strategy=single needs MIG enabled on every GPU, but GPU ",
            absl::StrJoin(not_mig, ", "),
            " has it disabled; enable MIG there or use mig-strategy=mixed"));
      }
      if (names.empty()) {
        return absl::FailedPreconditionError(
            "mig-strategy=single: MIG is enabled but no MIG devices exist; "
            "create them (migctl apply) first");
      }
      if (names.size() > 1) {
        return absl::FailedPreconditionError(absl::StrCat(
            "mig-strategy=single needs every MIG device to have the same "
            "profile, but the node has ",
            absl::StrJoin(names, ", "),
            "; use one profile on every GPU or mig-strategy=mixed"));
      }
      ASSIGN_OR_RETURN(const auto* m, mig_minors());
      for (const GpuView& g : gpus) {
        for (const auto& [mig, name] : g.mig_devices) {
          ASSIGN_OR_RETURN(Device d, MigDevice(g, mig, m));
          out[gpu_resource].push_back(std::move(d));
        }
      }
      break;
    }
    case MigStrategy::kMixed:
      for (const GpuView& g : gpus) {
        if (!g.mig_enabled) {
          out[gpu_resource].push_back(GpuDevice(g));
          continue;
        }
        if (g.mig_devices.empty()) continue;
        ASSIGN_OR_RETURN(const auto* m, mig_minors());
        for (const auto& [mig, name] : g.mig_devices) {
          ASSIGN_OR_RETURN(Device d, MigDevice(g, mig, m));
          out[MigResourceName(name)].push_back(std::move(d));
        }
      }
      break;
  }
  return out;
}

}  // namespace migctl::deviceplugin
