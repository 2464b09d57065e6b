#include "cli/gpu_views.h"

#include <algorithm>
#include <bit>

#include "absl/strings/str_cat.h"
#include "mig/layout.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

// NVML_GPU_INSTANCE_PROFILE_COUNT and NVML_COMPUTE_INSTANCE_PROFILE_COUNT on
// current drivers; indices past the GPU's own return NOT_SUPPORTED.
constexpr int kGpuInstanceProfileIndices = 16;
constexpr int kComputeInstanceProfileIndices = 9;

bool IsNotSupported(const absl::Status& s) {
  return nvml::ReturnOf(s) == nvml::Return::kNotSupported;
}

}  // namespace

absl::StatusOr<std::vector<int>> SelectGpus(nvml::Nvml& nvml,
                                            std::optional<int> gpu) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  if (gpu) {
    if (*gpu < 0 || *gpu >= count) {
      return absl::InvalidArgumentError(
          absl::StrCat("no GPU ", *gpu, ": this node has ", count, " GPUs (0..",
                       count - 1, ")"));
    }
    return std::vector<int>{*gpu};
  }
  std::vector<int> all(count);
  for (int i = 0; i < count; ++i) all[i] = i;
  return all;
}

std::string MigDeviceName(const std::string& gi_name, int ci_slices,
                          int gi_slices) {
  if (ci_slices == gi_slices) return gi_name;
  return absl::StrCat(ci_slices, "c.", gi_name);
}

absl::StatusOr<std::vector<mig::GpuInstanceProfile>> ListGpuInstanceProfiles(
    nvml::Nvml& nvml, int gpu) {
  std::vector<mig::GpuInstanceProfile> out;
  for (int index = 0; index < kGpuInstanceProfileIndices; ++index) {
    absl::StatusOr<mig::GpuInstanceProfile> p =
        nvml.GetGpuInstanceProfile(gpu, index);
    if (IsNotSupported(p.status())) continue;
    if (!p.ok()) return p.status();
    out.push_back(*std::move(p));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.slices < b.slices;
  });
  return out;
}

absl::StatusOr<std::vector<GpuLine>> ReadDeviceList(nvml::Nvml& nvml) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  std::vector<GpuLine> out;
  for (int gpu = 0; gpu < count; ++gpu) {
    ASSIGN_OR_RETURN(nvml::DeviceInfo info, nvml.GetDevice(gpu));
    GpuLine line{gpu, info.name, info.uuid, {}};
    ASSIGN_OR_RETURN(std::vector<nvml::MigDevice> devices,
                     nvml.ListMigDevices(gpu));
    if (!devices.empty()) {
      ASSIGN_OR_RETURN(auto profiles, ListGpuInstanceProfiles(nvml, gpu));
      for (const nvml::MigDevice& d : devices) {
        auto p = std::find_if(
            profiles.begin(), profiles.end(),
            [&](const auto& x) { return x.id == d.gi_profile_id; });
        std::string gi_name = p == profiles.end()
                                  ? absl::StrCat("profile ", d.gi_profile_id)
                                  : p->name;
        line.mig_devices.push_back(
            {MigDeviceName(gi_name, d.ci_slices, d.gi_slices), d.index,
             d.uuid});
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

absl::StatusOr<std::vector<GpuInstanceProfileRow>> ReadGpuInstanceProfiles(
    nvml::Nvml& nvml, const std::vector<int>& gpus) {
  std::vector<GpuInstanceProfileRow> rows;
  for (int gpu : gpus) {
    ASSIGN_OR_RETURN(auto profiles, ListGpuInstanceProfiles(nvml, gpu));
    for (const mig::GpuInstanceProfile& p : profiles) {
      ASSIGN_OR_RETURN(int free,
                       nvml.GetGpuInstanceRemainingCapacity(gpu, p.id));
      rows.push_back({gpu, p.name, p.id, free, p.instance_count, p.memory_mb,
                      false, p.multiprocessors, p.engines});
    }
  }
  return rows;
}

absl::StatusOr<std::vector<PlacementRow>> ReadPlacements(
    nvml::Nvml& nvml, const std::vector<int>& gpus) {
  std::vector<PlacementRow> rows;
  for (int gpu : gpus) {
    ASSIGN_OR_RETURN(auto profiles, ListGpuInstanceProfiles(nvml, gpu));
    for (const mig::GpuInstanceProfile& p : profiles) {
      ASSIGN_OR_RETURN(auto placements,
                       nvml.GetGpuInstancePossiblePlacements(gpu, p.id));
      rows.push_back({gpu, p.id, std::move(placements)});
    }
  }
  return rows;
}

absl::StatusOr<std::vector<ComputeProfileRow>> ReadComputeProfiles(
    nvml::Nvml& nvml, const std::vector<int>& gpus, std::optional<int> gi_id) {
  std::vector<ComputeProfileRow> rows;
  for (int gpu : gpus) {
    ASSIGN_OR_RETURN(nvml::MigMode mode, nvml.GetMigMode(gpu));
    if (!mode.current) continue;
    ASSIGN_OR_RETURN(auto profiles, ListGpuInstanceProfiles(nvml, gpu));
    ASSIGN_OR_RETURN(auto instances, nvml.ListGpuInstances(gpu));
    if (gi_id &&
        std::none_of(instances.begin(), instances.end(),
                     [&](const auto& gi) { return gi.id == *gi_id; })) {
      return absl::NotFoundError(
          absl::StrCat("GPU ", gpu, " has no GPU instance ", *gi_id));
    }
    for (const nvml::GpuInstance& gi : instances) {
      if (gi_id && gi.id != *gi_id) continue;
      auto p =
          std::find_if(profiles.begin(), profiles.end(),
                       [&](const auto& x) { return x.id == gi.profile_id; });
      if (p == profiles.end()) continue;
      ASSIGN_OR_RETURN(auto cis, nvml.ListComputeInstances(gpu, gi.id));
      uint32_t taken = 0;
      for (const nvml::ComputeInstance& ci : cis) {
        taken |= mig::MemoryMask(ci.placement);
      }
      std::vector<mig::ComputeProfile> offered;
      for (int index = 0; index < kComputeInstanceProfileIndices; ++index) {
        absl::StatusOr<mig::ComputeProfile> c =
            nvml.GetComputeInstanceProfile(gpu, gi.id, index);
        if (IsNotSupported(c.status())) continue;
        if (!c.ok()) return c.status();
        offered.push_back(*std::move(c));
      }
      int largest = 0;
      for (const mig::ComputeProfile& c : offered)
        largest = std::max(largest, c.slices);
      for (const mig::ComputeProfile& c : offered) {
        int same = static_cast<int>(std::count_if(
            cis.begin(), cis.end(),
            [&](const auto& ci) { return ci.profile_id == c.id; }));
        int free = 0;
        uint32_t mask = taken;
        for (const mig::Placement& at : c.placements) {
          if (same + free >= c.instance_count) break;
          if ((mask & mig::MemoryMask(at)) != 0) continue;
          mask |= mig::MemoryMask(at);
          ++free;
        }
        rows.push_back({gpu, gi.id, MigDeviceName(p->name, c.slices, p->slices),
                        c.id, c.slices == largest, free, c.instance_count,
                        c.multiprocessors, p->engines});
      }
    }
  }
  return rows;
}

}  // namespace migctl::cli
