// Pod resources: which pods the kubelet has assigned migctl's devices to,
// from the kubelet's PodResources API v1 (PodResourcesLister.List) on its
// unix socket. The device IDs are the ones the device plugin advertises
// (resources.h: "MIG-…" and "GPU-…" UUIDs). One function; no state.
#ifndef MIGCTL_DEVICEPLUGIN_POD_RESOURCES_H_
#define MIGCTL_DEVICEPLUGIN_POD_RESOURCES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace migctl::deviceplugin {

inline constexpr absl::string_view kDefaultPodResourcesSocket =
    "/var/lib/kubelet/pod-resources/kubelet.sock";

// Device ID -> the pods it is assigned to, "namespace/name", sorted and
// without duplicates.
using PodsByDevice = std::map<std::string, std::vector<std::string>>;

// Lists the pods' devices of the resources nvidia.com/gpu and
// nvidia.com/mig-*, waiting at most `timeout`. NOT_FOUND naming `socket`
// when it does not exist (no kubelet on this host); the kubelet's error,
// prefixed with `socket`, when the call fails.
absl::StatusOr<PodsByDevice> ListPodDevices(const std::string& socket,
                                            absl::Duration timeout);

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_POD_RESOURCES_H_
