// The answers to Allocate and GetPreferredAllocation for one resource, as
// NVIDIA's k8s-device-plugin gives them. Pure functions of the config and
// the resource's devices (plus the file system under Config::dev_root, to
// skip optional device nodes that do not exist).
#ifndef MIGCTL_DEVICEPLUGIN_ALLOCATE_H_
#define MIGCTL_DEVICEPLUGIN_ALLOCATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "deviceplugin/config.h"
#include "deviceplugin/resources.h"
#include "deviceplugin/v1beta1/api.pb.h"

namespace migctl::deviceplugin {

inline constexpr absl::string_view kVisibleDevicesEnv =
    "NVIDIA_VISIBLE_DEVICES";
inline constexpr absl::string_view kVolumeMountsRoot =
    "/var/run/nvidia-container-devices";

// One container's allocation of `ids` (device IDs of `devices`):
//  envvar           NVIDIA_VISIBLE_DEVICES=<ids, or indices>
//  volume-mounts    NVIDIA_VISIBLE_DEVICES=/var/run/nvidia-container-devices
//                   and a /dev/null mount per device under it
//  cdi-annotations  <prefix>nvidia-device-plugin_<response_id> =
//                   nvidia.com/gpu=<id>,…
//  cdi-cri          cdi_devices nvidia.com/gpu=<id>
// plus device specs when passDeviceSpecs. INVALID_ARGUMENT naming every
// unknown ID.
absl::StatusOr<v1beta1::ContainerAllocateResponse> AllocateContainer(
    const Config& config, absl::string_view resource,
    const std::vector<Device>& devices, const std::vector<std::string>& ids,
    absl::string_view response_id);

// `size` devices from `available` that include `must_include`, packed onto
// as few parent GPUs as possible: GPUs already holding a chosen device
// first, then those with the most available devices, then by index.
std::vector<std::string> PreferredAllocation(
    const std::vector<Device>& devices,
    const std::vector<std::string>& available,
    const std::vector<std::string>& must_include, int size);

// A random RFC 4122 version 4 UUID.
std::string RandomUuid();

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_ALLOCATE_H_
