// GPU-instance layouts: which GI profiles sit at which memory slices of a GPU.
//
// A Layout is a value, kept in canonical order (by placement start, then
// profile id) so two equal layouts compare equal. Validity follows the
// driver's rules: every placement is one the profile offers, placements do not
// overlap, no profile exceeds its instance count and the compute slices used
// do not exceed the GPU's.
#ifndef MIGCTL_MIG_LAYOUT_H_
#define MIGCTL_MIG_LAYOUT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mig/model.h"

namespace migctl::mig {

struct PlacedGpuInstance {
  int profile_id = 0;
  Placement placement;
  friend bool operator==(const PlacedGpuInstance&,
                         const PlacedGpuInstance&) = default;
  friend auto operator<=>(const PlacedGpuInstance& a,
                          const PlacedGpuInstance& b) {
    if (auto c = a.placement.start <=> b.placement.start; c != 0) return c;
    if (auto c = a.profile_id <=> b.profile_id; c != 0) return c;
    return a.placement.size <=> b.placement.size;
  }
};

using Layout = std::vector<PlacedGpuInstance>;

// Profile id -> number of instances.
using ProfileCounts = std::map<int, int>;

void Canonicalize(Layout& layout);

// Bit i set when memory slice i is taken.
uint32_t MemoryMask(const Placement& p);
uint32_t MemoryMask(const Layout& layout);

// "1g.24gb@0 1g.12gb@2" (profile names at placement starts); "empty".
std::string DescribeLayout(const GpuModel& model, const Layout& layout);

// OK, or INVALID_ARGUMENT naming the first instance that breaks a rule.
absl::Status ValidateLayout(const GpuModel& model, const Layout& layout);

ProfileCounts CountProfiles(const Layout& layout);

// Every valid non-empty layout of `model`, each canonical, in a stable order.
std::vector<Layout> EnumerateLayouts(const GpuModel& model);

// True when no further GI of any profile can be added to `layout`.
bool IsMaximal(const GpuModel& model, const Layout& layout);

// Places `add` (profile id -> count) on a GPU that already holds `keep`,
// leaving every kept instance where it is. Returns keep + the new instances,
// canonical. Larger profiles are placed first, each at its lowest free start,
// backtracking where that blocks the rest. Errors: NOT_FOUND for a profile the
// model lacks; INVALID_ARGUMENT when `keep` is not valid; RESOURCE_EXHAUSTED
// with the reason when the request cannot fit.
absl::StatusOr<Layout> FitProfiles(const GpuModel& model,
                                   const ProfileCounts& add,
                                   const Layout& keep = {});

}  // namespace migctl::mig

#endif  // MIGCTL_MIG_LAYOUT_H_
