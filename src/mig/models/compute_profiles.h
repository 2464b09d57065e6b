// Builds the compute-instance profiles of a GI profile from the SM count a
// MIG device of each CI size reports on one GPU model.
#ifndef MIGCTL_MIG_MODELS_COMPUTE_PROFILES_H_
#define MIGCTL_MIG_MODELS_COMPUTE_PROFILES_H_

#include <map>
#include <vector>

#include "mig/model.h"

namespace migctl::mig::models {

// SMs reported by a CI of N compute slices: {{1, 16}, {2, 32}, ...}.
using SmsByCiSlices = std::map<int, int>;

// The CI profiles NVML offers inside a GI of `gi_slices` compute slices, as
// `nvidia-smi mig -lcip` lists them on A100/H100: 1g {1c}, 2g {1c, 2c},
// 3g {1c, 2c, 3c}, 4g {1c, 2c, 4c} (no 3c), 7g {1c, 2c, 3c, 4c, 7c}; instance
// count gi_slices / c, placed at multiples of c; profile id = NVML index.
// `sms` must name every size used.
std::vector<ComputeProfile> ComputeProfilesFor(int gi_slices,
                                               const SmsByCiSlices& sms);

// The single CI of a Hopper 1-slice REV2 GI (1g.20gb, 1g.24gb, 1g.35gb):
// NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE_REV1 (index and id 7), as
// `nvidia-smi mig -cci` reports "using profile MIG 1g.20gb (ID  7)".
std::vector<ComputeProfile> Rev1ComputeProfile(int sms);

}  // namespace migctl::mig::models

#endif  // MIGCTL_MIG_MODELS_COMPUTE_PROFILES_H_
