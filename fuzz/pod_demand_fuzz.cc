// Pod objects, as the planner reads them from the API server:
// nlohmann::json::parse (no exceptions) of one pod, or a list of pods under
// "items", then planner::DemandFromPods (and IsUnschedulable, RequestsMig).
// Invariants: nothing throws; a pod counts or is skipped only when it is
// unschedulable and requests MIG, and then at most once; the list's result
// is the sum of its pods' results taken one at a time (no pod lost); counts
// are positive; profiles are canonical GPU-instance names that parse back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "mig/profile_name.h"
#include "nlohmann/json.hpp"
#include "planner/pod_demand.h"

namespace {

namespace planner = migctl::planner;
using nlohmann::json;

// True when `profile` is a canonical GPU-instance profile name.
bool Canonical(const std::string& profile) {
  absl::StatusOr<migctl::mig::ProfileName> parsed =
      migctl::mig::ParseProfileName(profile);
  return parsed.ok() && parsed->compute_slices == 0 &&
         migctl::mig::FormatProfileName(*parsed) == profile;
}

// (priority, profile) -> instances, from the counted pods.
using Totals = std::map<std::pair<int, std::string>, int64_t>;

void AddCounted(const planner::CountedPod& pod, Totals& totals) {
  for (const auto& [profile, n] : pod.requests) {
    totals[{pod.priority, profile}] += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json doc = json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  std::vector<json> pods;
  if (doc.is_object() && doc.contains("items") && doc["items"].is_array()) {
    pods.assign(doc["items"].begin(), doc["items"].end());
  } else {
    pods.push_back(doc);
  }

  const planner::PodDemand all = planner::DemandFromPods(pods);
  size_t counted = 0;
  size_t skipped = 0;
  Totals expected;
  for (const json& pod : pods) {
    const bool candidate =
        planner::IsUnschedulable(pod) && planner::RequestsMig(pod);
    const planner::PodDemand one =
        planner::DemandFromPods(std::vector<json>(1, pod));
    FUZZ_CHECK(one.counted.size() + one.skipped.size() <= 1);
    if (!candidate) FUZZ_CHECK(one.counted.empty() && one.skipped.empty());
    for (const planner::SkippedPod& s : one.skipped) {
      FUZZ_CHECK(s.name == planner::PodName(pod));
      FUZZ_CHECK(!s.reason.empty());
    }
    for (const planner::CountedPod& c : one.counted) {
      FUZZ_CHECK(c.name == planner::PodName(pod));
      FUZZ_CHECK(!c.requests.empty());
      for (const auto& [profile, n] : c.requests) {
        FUZZ_CHECK(n > 0 && n <= planner::kMaxInstances);
        FUZZ_CHECK(Canonical(profile));
      }
      AddCounted(c, expected);
    }
    counted += one.counted.size();
    skipped += one.skipped.size();
  }
  // The list: every pod's result, nothing more.
  FUZZ_CHECK(all.counted.size() == counted);
  FUZZ_CHECK(all.skipped.size() == skipped);
  Totals totals;
  for (const planner::CountedPod& c : all.counted) AddCounted(c, totals);
  FUZZ_CHECK(totals == expected);
  Totals demand;
  for (const planner::DemandItem& item : all.demand.items) {
    FUZZ_CHECK(item.count > 0);
    FUZZ_CHECK(Canonical(item.profile));
    FUZZ_CHECK(
        demand.emplace(std::pair{item.priority, item.profile},
                       item.count)
            .second);  // one item per (priority, profile)
  }
  FUZZ_CHECK(demand.size() == totals.size());
  for (const auto& [key, n] : totals) {  // demand items saturate at INT_MAX
    FUZZ_CHECK(demand.contains(key) &&
               demand.at(key) ==
                   std::min<int64_t>(n, std::numeric_limits<int>::max()));
  }
  for (size_t i = 1; i < all.demand.items.size(); ++i) {
    FUZZ_CHECK(all.demand.items[i - 1].priority >=
               all.demand.items[i].priority);
  }
  return 0;
}
