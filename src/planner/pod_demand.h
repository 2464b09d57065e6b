// The planner's demand from Pod objects (as the API server returns them).
//
// A pod counts when it is pending (status.phase "Pending"), not bound
// (spec.nodeName empty) and unschedulable (condition PodScheduled with status
// "False" and reason "Unschedulable"). Its MIG requests are the resources
// named nvidia.com/mig-<profile> (resource form: "1g.10gb.me" for
// "1g.10gb+me"), from each container's resources.limits, or its requests when
// it sets no limit for that resource. As Kubernetes computes a pod's
// effective request, each resource counts max(the largest initContainer
// amount, the sum over containers). Priority is spec.priority (default 0).
// Pure: no I/O.
#ifndef MIGCTL_PLANNER_POD_DEMAND_H_
#define MIGCTL_PLANNER_POD_DEMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "planner/planner.h"

namespace migctl::planner {

inline constexpr absl::string_view kMigResourcePrefix = "nvidia.com/mig-";
// The most instances of one profile a pod may ask for; a pod asking for
// more is skipped.
inline constexpr int64_t kMaxInstances = 1'000'000;

// A pod that counted, with what it asks for.
struct CountedPod {
  std::string name;  // "namespace/name"
  int priority = 0;
  // Canonical profile ("1g.10gb+me") -> instances, ascending profile.
  std::vector<std::pair<std::string, int>> requests;
};

// A pod that asks for MIG instances but could not be read.
struct SkippedPod {
  std::string name;    // "namespace/name"
  std::string reason;  // e.g. resource "nvidia.com/mig-1x.5gb": <why>
};

struct PodDemand {
  Demand demand;                    // one item per (profile, priority), sorted
  std::vector<CountedPod> counted;  // by name
  std::vector<SkippedPod> skipped;  // by name
};

// "namespace/name" of `pod` (a part that is absent or not a string reads
// as ""), or "<unnamed>" when it is not an object, or its metadata is
// malformed and names nothing.
std::string PodName(const nlohmann::json& pod);

// True when `pod` is pending, unbound and unschedulable.
bool IsUnschedulable(const nlohmann::json& pod);

// True when any container or initContainer of `pod` names a
// nvidia.com/mig-* resource (in limits or requests).
bool RequestsMig(const nlohmann::json& pod);

// The demand of the pods that count; pods whose metadata, spec.priority, MIG
// resource name or quantity is malformed are skipped with the reason. Non-MIG
// pods and pods that do not count are ignored.
PodDemand DemandFromPods(const std::vector<nlohmann::json>& pods);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_POD_DEMAND_H_
