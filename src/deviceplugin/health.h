// Device health from NVML XID events, with NVIDIA's k8s-device-plugin rules
// for which XIDs count, plus recovery: a device is Unhealthy from an XID
// until `recovery` has passed without another one (NVIDIA's plugin never
// recovers).
//
// XidFilter: XIDs 13, 31, 43, 45, 68 and 109 (application errors) are
// ignored; DP_DISABLE_HEALTHCHECKS adds a comma list of XIDs to ignore, or
// "all"/"xids" to ignore every XID; DP_ENABLE_HEALTHCHECKS names XIDs that
// count even so ("all" counts every XID, the defaults included).
//
// HealthTracker attributes an event to the devices it concerns: for a whole
// GPU event, the GPU and every MIG device on it; for an event naming a MIG
// device (GI and CI), that device. Values; the caller serialises access.
#ifndef MIGCTL_DEVICEPLUGIN_HEALTH_H_
#define MIGCTL_DEVICEPLUGIN_HEALTH_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "deviceplugin/resources.h"
#include "nvml/nvml.h"

namespace migctl::deviceplugin {

class XidFilter {
 public:
  static XidFilter FromEnvironment(const std::optional<std::string>& disable,
                                   const std::optional<std::string>& enable);
  // Health checks are off entirely.
  bool AllDisabled() const;
  bool IsDisabled(uint64_t xid) const;

 private:
  // XID -> disabled; key 0 stands for every XID.
  std::map<uint64_t, bool> disabled_;
};

class HealthTracker {
 public:
  explicit HealthTracker(absl::Duration recovery) : recovery_(recovery) {}

  // Records `event` against the devices of `resources` it concerns; returns
  // their IDs (none for an ignored XID or an unknown GPU).
  std::vector<std::string> Record(const nvml::XidEvent& event,
                                  const XidFilter& filter,
                                  const ResourceMap& resources, absl::Time now);
  // Marks every device of `resources` unhealthy (NVML stopped reporting).
  void RecordAll(const ResourceMap& resources, absl::Time now);
  bool IsHealthy(const std::string& id, absl::Time now) const;

 private:
  absl::Duration recovery_;
  std::map<std::string, absl::Time> last_error_;
};

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_HEALTH_H_
