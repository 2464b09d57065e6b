#include "mig/models/compute_profiles.h"

#include <cstdlib>

namespace migctl::mig::models {
namespace {

// NVML_COMPUTE_INSTANCE_PROFILE_* index of a CI of `slices` compute slices.
int ComputeProfileIndex(int slices) {
  switch (slices) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 3:
      return 2;
    case 4:
      return 3;
    case 7:
      return 4;
    case 8:
      return 5;
    case 6:
      return 6;
  }
  std::abort();
}

}  // namespace

std::vector<ComputeProfile> ComputeProfilesFor(int gi_slices,
                                               const SmsByCiSlices& sms) {
  std::vector<ComputeProfile> out;
  for (int c : {1, 2, 3, 4, 7}) {
    if (c > gi_slices || (c == 3 && gi_slices == 4)) continue;
    ComputeProfile p;
    p.index = ComputeProfileIndex(c);
    p.id = p.index;
    p.slices = c;
    p.instance_count = gi_slices / c;
    p.multiprocessors = sms.at(c);
    for (int k = 0; k < p.instance_count; ++k)
      p.placements.push_back({k * c, c});
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<ComputeProfile> Rev1ComputeProfile(int sms) {
  constexpr int kOneSliceRev1 = 7;
  return {ComputeProfile{kOneSliceRev1, kOneSliceRev1, 1, 1, sms, {{0, 1}}}};
}

}  // namespace migctl::mig::models
