#include "cli/plan_maps.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace migctl::cli {
namespace {

std::vector<MappedInstance> CurrentInstances(
    const reconcile::GpuState& current) {
  std::vector<MappedInstance> out;
  for (const reconcile::InstanceState& i : current.instances) {
    out.push_back({i.gi.profile_id, i.gi.placement, i.gi.id, i.pids});
  }
  return out;
}

std::string Side(const mig::GpuModel& model, bool mig_enabled,
                 const std::vector<MappedInstance>& instances, bool color) {
  if (!mig_enabled) return "  MIG disabled: the GPU is one device\n";
  std::string out;
  for (absl::string_view line : absl::StrSplit(
           SliceMap(model, instances, color), '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  return out;
}

}  // namespace

std::vector<MappedInstance> TargetInstances(const reconcile::GpuState& current,
                                            const reconcile::GpuPlan& plan) {
  std::vector<MappedInstance> out;
  for (const mig::PlacedGpuInstance& t : plan.target_layout) {
    MappedInstance m{t.profile_id, t.placement, kNewInstance, {}};
    for (const nvml::GpuInstance& kept : plan.kept) {
      if (kept.profile_id != t.profile_id || kept.placement != t.placement) {
        continue;
      }
      m.gi_id = kept.id;
      for (const reconcile::InstanceState& i : current.instances) {
        if (i.gi.id == kept.id) m.pids = i.pids;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string PlanMaps(const reconcile::GpuState& current,
                     const reconcile::GpuPlan& plan, bool color) {
  const mig::GpuModel& model = *current.model;
  return absl::StrCat(
      "GPU ", plan.gpu, " (", current.device.name, "), before:\n",
      Side(model, current.mode.current, CurrentInstances(current), color),
      "GPU ", plan.gpu, " (", current.device.name, "), after:\n",
      Side(model, plan.mig_enabled, TargetInstances(current, plan), color));
}

}  // namespace migctl::cli
