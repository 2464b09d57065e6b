#include "deviceplugin/health.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace migctl::deviceplugin {
namespace {

constexpr uint64_t kAllXids = 0;
// Application errors: the GPU stays usable.
constexpr uint64_t kIgnoredXids[] = {13, 31, 43, 45, 68, 109};

std::map<uint64_t, bool> ParseXids(const std::optional<std::string>& text) {
  std::map<uint64_t, bool> out;
  if (!text) return out;
  for (absl::string_view part :
       absl::StrSplit(absl::AsciiStrToLower(*text), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "all" || part == "xids") return {{kAllXids, true}};
    if (part.empty()) continue;
    uint64_t xid = 0;
    if (!absl::SimpleAtoi(part, &xid)) {
      spdlog::info("ignoring malformed XID value \"{}\"", std::string(part));
      continue;
    }
    out[xid] = true;
  }
  return out;
}

}  // namespace

XidFilter XidFilter::FromEnvironment(const std::optional<std::string>& disable,
                                     const std::optional<std::string>& enable) {
  XidFilter f;
  f.disabled_ = ParseXids(disable);
  for (uint64_t xid : kIgnoredXids) f.disabled_[xid] = true;
  for (const auto& [xid, unused] : ParseXids(enable)) f.disabled_[xid] = false;
  return f;
}

// As NVIDIA documents it: off when every XID is disabled and none is
// explicitly enabled again (its code forgets the second half).
bool XidFilter::AllDisabled() const {
  auto it = disabled_.find(kAllXids);
  if (it == disabled_.end() || !it->second) return false;
  for (const auto& [xid, disabled] : disabled_) {
    if (!disabled) return false;
  }
  return true;
}

bool XidFilter::IsDisabled(uint64_t xid) const {
  auto all = disabled_.find(kAllXids);
  if (all != disabled_.end() && !all->second) return false;
  if (auto it = disabled_.find(xid); it != disabled_.end()) return it->second;
  return all != disabled_.end() && all->second;
}

std::vector<std::string> HealthTracker::Record(const nvml::XidEvent& event,
                                               const XidFilter& filter,
                                               const ResourceMap& resources,
                                               absl::Time now) {
  std::vector<std::string> hit;
  if (filter.IsDisabled(event.xid)) return hit;
  const bool names_mig = event.gi_id.has_value() && event.ci_id.has_value();
  for (const auto& [resource, devices] : resources) {
    for (const Device& d : devices) {
      if (d.gpu != event.gpu) continue;
      if (names_mig && d.mig &&
          (d.gi_id != *event.gi_id || d.ci_id != *event.ci_id)) {
        continue;
      }
      last_error_[d.id] = now;
      hit.push_back(d.id);
    }
  }
  return hit;
}

void HealthTracker::RecordAll(const ResourceMap& resources, absl::Time now) {
  for (const auto& [resource, devices] : resources) {
    for (const Device& d : devices) last_error_[d.id] = now;
  }
}

bool HealthTracker::IsHealthy(const std::string& id, absl::Time now) const {
  auto it = last_error_.find(id);
  return it == last_error_.end() || now - it->second >= recovery_;
}

}  // namespace migctl::deviceplugin
