// The device plugin's settings, read as NVIDIA's k8s-device-plugin reads
// them: its config file v1 (`version: v1`, `flags.migStrategy`,
// `flags.plugin.deviceListStrategy`, …), then the same environment variables
// (MIG_STRATEGY, DEVICE_LIST_STRATEGY, DEVICE_ID_STRATEGY, PASS_DEVICE_SPECS,
// NVIDIA_DRIVER_ROOT, CDI_ANNOTATION_PREFIX, FAIL_ON_INIT_ERROR), each later
// source overriding the earlier. Paths NVIDIA hard-codes (socket dir, /sys,
// /proc, /dev) are settable so tests can run on a temporary tree.
#ifndef MIGCTL_DEVICEPLUGIN_CONFIG_H_
#define MIGCTL_DEVICEPLUGIN_CONFIG_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mig/strategy.h"

namespace migctl::deviceplugin {

using mig::MigStrategy;  // deviceplugin::MigStrategy, as callers name it
enum class DeviceIdStrategy { kUuid, kIndex };

inline constexpr absl::string_view kDefaultSocketDir =
    "/var/lib/kubelet/device-plugins";

struct Config {
  MigStrategy mig_strategy = MigStrategy::kNone;
  // Any of "envvar", "volume-mounts", "cdi-annotations", "cdi-cri".
  std::vector<std::string> device_list_strategies = {"envvar"};
  DeviceIdStrategy device_id_strategy = DeviceIdStrategy::kUuid;
  bool pass_device_specs = false;
  bool fail_on_init_error = true;
  std::string nvidia_driver_root = "/";
  std::string cdi_annotation_prefix = "cdi.k8s.io/";

  // Where kubelet.sock and the plugins' sockets live.
  std::string socket_dir = std::string(kDefaultSocketDir);
  // Root of sysfs (NUMA node of PCI devices), procfs
  // (driver/nvidia-caps/mig-minors) and of the /dev entries whose presence
  // is checked (nvidiactl, nvidia-uvm, …).
  std::string sysfs_root = "/sys";
  std::string proc_root = "/proc";
  std::string dev_root = "/";
  // How long after its last XID a device turns Healthy again.
  absl::Duration health_recovery = absl::Minutes(5);
  // How often the MIG layout and kubelet.sock are checked; also the longest
  // wait for XID events.
  absl::Duration poll_interval = absl::Seconds(1);

  friend bool operator==(const Config&, const Config&) = default;
};

using mig::MigStrategyName;
using mig::ParseMigStrategy;

// Applies NVIDIA's config file v1 (YAML or JSON) onto `config`.
// INVALID_ARGUMENT "<path>:<line>:<col>: <field>: <what>" for a bad value, an
// unknown version or a malformed document; `config` is then unchanged.
absl::Status ApplyConfigFile(absl::string_view text, absl::string_view path,
                             Config& config);

// Applies the environment variables NVIDIA's plugin reads; `getenv` returns
// nullopt for an unset variable.
absl::Status ApplyEnvironment(
    const std::function<std::optional<std::string>(const char*)>& getenv,
    Config& config);

// Checks that the strategies named are known.
absl::Status Validate(const Config& config);

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_CONFIG_H_
