#include "planner/pod_demand.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kube/object_fields.h"
#include "mig/profile_name.h"

namespace migctl::planner {
namespace {

using nlohmann::json;

using kube::Field;
using kube::StringField;

// The container lists of a pod's spec ("containers", "initContainers").
const json& Containers(const json& pod, const char* key) {
  static const json kEmpty = json::array();
  if (!pod.contains("spec") || !pod["spec"].is_object()) return kEmpty;
  const json& spec = pod["spec"];
  if (!spec.contains(key) || !spec[key].is_array()) return kEmpty;
  return spec[key];
}

// A container's MIG resources: limits, or requests for a resource without
// a limit. Raw quantities, by resource name.
std::map<std::string, json> MigQuantities(const json& container) {
  std::map<std::string, json> out;
  if (!container.is_object() || !container.contains("resources")) return out;
  const json& r = container["resources"];
  if (!r.is_object()) return out;
  for (const char* key : {"requests", "limits"}) {  // limits win
    if (!r.contains(key) || !r[key].is_object()) continue;
    for (const auto& [name, value] : r[key].items()) {
      if (absl::StartsWith(name, kMigResourcePrefix)) out[name] = value;
    }
  }
  return out;
}

// A whole, non-negative quantity ("2" or 2); extended resources take no
// fractions or suffixes. One beyond int64_t reads as its maximum.
std::optional<int64_t> WholeQuantity(const json& q) {
  constexpr int64_t kHuge = std::numeric_limits<int64_t>::max();
  if (q.is_number_unsigned()) {
    return q.get<uint64_t>() > static_cast<uint64_t>(kHuge) ? kHuge
                                                            : q.get<int64_t>();
  }
  if (q.is_number_integer()) {
    int64_t v = q.get<int64_t>();
    return v >= 0 ? std::optional<int64_t>(v) : std::nullopt;
  }
  if (!q.is_string()) return std::nullopt;
  const std::string s = q.get<std::string>();
  if (s.empty() || !std::all_of(s.begin(), s.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(s, &v)) return kHuge;  // digits only: too many
  return v;
}

// The canonical GI profile of resource `name`, or why not.
absl::StatusOr<std::string> ProfileOf(const std::string& name) {
  const std::string profile = name.substr(kMigResourcePrefix.size());
  absl::StatusOr<mig::ProfileName> parsed = mig::ParseProfileName(profile);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource \"", name, "\": ", parsed.status().message()));
  }
  if (parsed->compute_slices != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource \"", name,
                     "\": names a compute instance, not a GPU instance"));
  }
  return mig::FormatProfileName(*parsed);
}

// The pod's effective MIG requests (profile -> count), or why it cannot
// be read.
absl::StatusOr<std::map<std::string, int64_t>> PodRequests(const json& pod) {
  std::map<std::string, int64_t> sum;       // over containers
  std::map<std::string, int64_t> init_max;  // over initContainers
  for (const auto& [key, into_sum] :
       {std::pair{"containers", true}, std::pair{"initContainers", false}}) {
    for (const json& c : Containers(pod, key)) {
      for (const auto& [name, q] : MigQuantities(c)) {
        std::optional<int64_t> n = WholeQuantity(q);
        if (!n) {
          return absl::InvalidArgumentError(
              absl::StrCat("resource \"", name, "\": quantity ", q.dump(),
                           " is not a whole number of instances"));
        }
        if (*n > kMaxInstances) {
          return absl::InvalidArgumentError(
              absl::StrCat("resource \"", name, "\": quantity ", q.dump(),
                           " is more than ", kMaxInstances, " instances"));
        }
        absl::StatusOr<std::string> profile = ProfileOf(name);
        if (!profile.ok()) return profile.status();
        if (into_sum) {
          sum[*profile] += *n;
          if (sum[*profile] > kMaxInstances) {
            return absl::InvalidArgumentError(absl::StrCat(
                "resource \"", name, "\": the containers ask for more than ",
                kMaxInstances, " instances in all"));
          }
        } else {
          init_max[*profile] = std::max(init_max[*profile], *n);
        }
      }
    }
  }
  for (const auto& [profile, n] : init_max) {
    sum[profile] = std::max(sum[profile], n);
  }
  std::erase_if(sum, [](const auto& kv) { return kv.second == 0; });
  return sum;
}

// The pod's spec.priority (0 when absent), or why it cannot be read: it is
// a 32-bit integer in Kubernetes.
absl::StatusOr<int> Priority(const json& pod) {
  const json& spec = pod["spec"];  // an object: the pod requests MIG
  if (!spec.contains("priority") || spec["priority"].is_null()) return 0;
  const json& p = spec["priority"];
  if (!p.is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.priority ", p.dump(), " is not an integer"));
  }
  if (p.is_number_unsigned()
          ? p.get<uint64_t>() >
                static_cast<uint64_t>(std::numeric_limits<int>::max())
          : (p.get<int64_t>() < std::numeric_limits<int>::min() ||
             p.get<int64_t>() > std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.priority ", p.dump(), " is out of range"));
  }
  return p.get<int>();
}

// Fails when metadata, metadata.namespace or metadata.name is present and
// of the wrong type.
absl::Status CheckMetadata(const json& pod) {
  if (!pod.contains("metadata") || pod["metadata"].is_null()) {
    return absl::OkStatus();
  }
  const json& meta = pod["metadata"];
  if (!meta.is_object()) {
    return absl::InvalidArgumentError("metadata is not an object");
  }
  for (const char* key : {"namespace", "name"}) {
    if (meta.contains(key) && !meta[key].is_null() && !meta[key].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata.", key, " is not a string"));
    }
  }
  return absl::OkStatus();
}

// Highest priority first, then by profile.
struct ByPriority {
  bool operator()(const std::pair<int, std::string>& a,
                  const std::pair<int, std::string>& b) const {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  }
};

}  // namespace

std::string PodName(const json& pod) {
  if (!pod.is_object()) return "<unnamed>";
  auto field = [&pod](const char* key) -> std::string {
    if (!pod.contains("metadata")) return "";
    const json& meta = pod["metadata"];
    if (!meta.is_object() || !meta.contains(key) || !meta[key].is_string()) {
      return "";
    }
    return meta[key].get<std::string>();
  };
  const std::string ns = field("namespace");
  const std::string name = field("name");
  if (ns.empty() && name.empty() && !CheckMetadata(pod).ok()) {
    return "<unnamed>";
  }
  return absl::StrCat(ns, "/", name);
}

bool IsUnschedulable(const json& pod) {
  if (!pod.is_object()) return false;
  const json& status = Field(pod, "status");
  if (StringField(status, "phase") != "Pending") return false;
  // A nodeName that is not a string reads as bound: the pod is not ours.
  const json& node = Field(Field(pod, "spec"), "nodeName");
  if (!node.is_null() && (!node.is_string() || !node.empty())) return false;
  const json& conditions = Field(status, "conditions");
  if (!conditions.is_array()) return false;
  for (const json& c : conditions) {
    if (StringField(c, "type") == "PodScheduled" &&
        StringField(c, "status") == "False" &&
        StringField(c, "reason") == "Unschedulable") {
      return true;
    }
  }
  return false;
}

bool RequestsMig(const json& pod) {
  for (const char* key : {"containers", "initContainers"}) {
    for (const json& c : Containers(pod, key)) {
      if (!MigQuantities(c).empty()) return true;
    }
  }
  return false;
}

PodDemand DemandFromPods(const std::vector<json>& pods) {
  PodDemand out;
  // (priority, profile) -> count, highest priority first.
  std::map<std::pair<int, std::string>, int64_t, ByPriority> items;
  for (const json& pod : pods) {
    if (!IsUnschedulable(pod) || !RequestsMig(pod)) continue;
    const std::string name = PodName(pod);
    if (absl::Status meta = CheckMetadata(pod); !meta.ok()) {
      out.skipped.push_back({name, std::string(meta.message())});
      continue;
    }
    absl::StatusOr<std::map<std::string, int64_t>> requests = PodRequests(pod);
    if (!requests.ok()) {
      out.skipped.push_back({name, std::string(requests.status().message())});
      continue;
    }
    if (requests->empty()) continue;
    absl::StatusOr<int> priority = Priority(pod);
    if (!priority.ok()) {
      out.skipped.push_back({name, std::string(priority.status().message())});
      continue;
    }
    CountedPod counted;
    counted.name = name;
    counted.priority = *priority;
    for (const auto& [profile, n] : *requests) {
      counted.requests.emplace_back(profile, static_cast<int>(n));
      int64_t& total = items[{counted.priority, profile}];
      total = std::min<int64_t>(total + n, std::numeric_limits<int>::max());
    }
    out.counted.push_back(std::move(counted));
  }
  for (const auto& [key, n] : items) {
    out.demand.items.push_back({key.second, static_cast<int>(n), key.first});
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(out.counted.begin(), out.counted.end(), by_name);
  std::sort(out.skipped.begin(), out.skipped.end(), by_name);
  return out;
}

}  // namespace migctl::planner
