// `migctl plan --show`: each GPU of a plan drawn before and after as slice
// maps (cli/slice_map.h). Instances the plan keeps carry their GI id into the
// "after" map; instances it creates are drawn as "GI new".
#ifndef MIGCTL_CLI_PLAN_MAPS_H_
#define MIGCTL_CLI_PLAN_MAPS_H_

#include <string>
#include <vector>

#include "cli/slice_map.h"
#include "reconcile/gpu_state.h"
#include "reconcile/plan.h"

namespace migctl::cli {

// The instances of `plan`'s target as `show` draws them: kept ones with their
// id and processes (from `current`), new ones with gi_id kNewInstance.
std::vector<MappedInstance> TargetInstances(const reconcile::GpuState& current,
                                            const reconcile::GpuPlan& plan);

// "GPU 1 (NVIDIA H100 NVL), before:" + map, then "after:" + map; a GPU with
// MIG disabled on either side is said to be one device.
std::string PlanMaps(const reconcile::GpuState& current,
                     const reconcile::GpuPlan& plan, bool color);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_PLAN_MAPS_H_
