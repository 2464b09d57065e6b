// `migctl device-plugin`: the kubelet device plugin (NVIDIA
// k8s-device-plugin compatible) until SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "deviceplugin/config.h"
#include "deviceplugin/plugin.h"
#include "spdlog/spdlog.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

struct DevicePluginFlags {
  std::string config_file;
  std::optional<std::string> mig_strategy;
  std::optional<std::string> device_list_strategy;
  std::optional<std::string> device_id_strategy;
  std::optional<bool> pass_device_specs;
  std::optional<std::string> driver_root;
  std::string socket_dir = std::string(deviceplugin::kDefaultSocketDir);
  std::string sysfs_root = "/sys";
  std::string proc_root = "/proc";
  std::string dev_root = "/";
  double health_recovery_s = 300;
  int poll_interval_ms = 1000;
};

std::optional<std::string> GetEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

absl::StatusOr<deviceplugin::Config> BuildConfig(const DevicePluginFlags& f) {
  deviceplugin::Config c;
  std::string file = f.config_file;
  if (file.empty()) file = GetEnv("CONFIG_FILE").value_or("");
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("cannot read the config file ", file));
    }
    std::stringstream text;
    text << in.rdbuf();
    RETURN_IF_ERROR(deviceplugin::ApplyConfigFile(text.str(), file, c));
  }
  RETURN_IF_ERROR(deviceplugin::ApplyEnvironment(GetEnv, c));
  // Flags given on the command line win, as in NVIDIA's plugin.
  auto flag = [&](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "MIG_STRATEGY") return f.mig_strategy;
    if (std::string_view(name) == "DEVICE_LIST_STRATEGY")
      return f.device_list_strategy;
    if (std::string_view(name) == "DEVICE_ID_STRATEGY")
      return f.device_id_strategy;
    if (std::string_view(name) == "PASS_DEVICE_SPECS" && f.pass_device_specs)
      return *f.pass_device_specs ? "true" : "false";
    if (std::string_view(name) == "NVIDIA_DRIVER_ROOT") return f.driver_root;
    return std::nullopt;
  };
  RETURN_IF_ERROR(deviceplugin::ApplyEnvironment(flag, c));
  c.socket_dir = f.socket_dir;
  c.sysfs_root = f.sysfs_root;
  c.proc_root = f.proc_root;
  c.dev_root = f.dev_root;
  if (f.health_recovery_s < 0 || f.poll_interval_ms < 1) {
    return absl::InvalidArgumentError(
        "--health-recovery must be >= 0 and --poll-interval >= 1");
  }
  c.health_recovery = absl::Seconds(f.health_recovery_s);
  c.poll_interval = absl::Milliseconds(f.poll_interval_ms);
  return c;
}

absl::Status RunDevicePlugin(Context& ctx, const DevicePluginFlags& f) {
  ASSIGN_OR_RETURN(deviceplugin::Config config, BuildConfig(f));
  ASSIGN_OR_RETURN(std::unique_ptr<nvml::Nvml> nvml, ctx.OpenNvml());
  deviceplugin::PluginOptions options;
  options.config = config;
  options.xids = deviceplugin::XidFilter::FromEnvironment(
      GetEnv("DP_DISABLE_HEALTHCHECKS"), GetEnv("DP_ENABLE_HEALTHCHECKS"));
  spdlog::info("starting the device plugin: mig-strategy={} socket-dir={}",
               std::string(deviceplugin::MigStrategyName(config.mig_strategy)),
               config.socket_dir);
  deviceplugin::Plugin plugin(*nvml, std::move(options));

  // SIGTERM/SIGINT go to one waiting thread (every other thread, gRPC's
  // included, inherits the blocked mask) that stops the plugin.
  sigset_t signals, old;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, &old);
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!done) {
      spdlog::info("received {}; stopping",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      plugin.Stop();
    }
  });
  absl::Status status = plugin.Run();
  done = true;
  // SIGTERM is blocked in every thread and taken by the waiter's sigwait:
  // this wakes the waiter, it does not kill it.
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return status;
}

}  // namespace

void AddDevicePluginCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<DevicePluginFlags>();
  CLI::App* cmd = app.add_subcommand(
      "device-plugin",
      "Run the kubelet device plugin (NVIDIA k8s-device-plugin compatible): "
      "advertise GPUs or MIG devices as nvidia.com/gpu or "
      "nvidia.com/mig-<profile> until SIGTERM");
  cmd->add_option("--config-file", f->config_file,
                  "NVIDIA device-plugin config file (version v1); also "
                  "CONFIG_FILE")
      ->type_name("FILE");
  cmd->add_option("--mig-strategy", f->mig_strategy,
                  "none, single or mixed; also MIG_STRATEGY (default none)")
      ->check(CLI::IsMember({"none", "single", "mixed"}));
  cmd->add_option("--device-list-strategy", f->device_list_strategy,
                  "envvar, volume-mounts, cdi-annotations, cdi-cri (comma "
                  "list); also DEVICE_LIST_STRATEGY (default envvar)");
  cmd->add_option("--device-id-strategy", f->device_id_strategy,
                  "uuid or index; also DEVICE_ID_STRATEGY (default uuid)")
      ->check(CLI::IsMember({"uuid", "index"}));
  cmd->add_option("--pass-device-specs", f->pass_device_specs,
                  "Pass /dev device specs in Allocate; also PASS_DEVICE_SPECS")
      ->type_name("BOOL");
  cmd->add_option("--nvidia-driver-root", f->driver_root,
                  "Host root of the driver's /dev entries; also "
                  "NVIDIA_DRIVER_ROOT (default /)");
  cmd->add_option("--socket-dir", f->socket_dir,
                  "Directory of kubelet.sock and the plugins' sockets")
      ->capture_default_str();
  cmd->add_option("--sysfs-root", f->sysfs_root,
                  "Root of sysfs, for the GPUs' NUMA nodes")
      ->capture_default_str();
  cmd->add_option("--proc-root", f->proc_root,
                  "Root of procfs, for driver/nvidia-caps/mig-minors")
      ->capture_default_str();
  cmd->add_option("--dev-root", f->dev_root,
                  "Root under which optional /dev entries are looked for")
      ->capture_default_str();
  cmd->add_option("--health-recovery", f->health_recovery_s,
                  "Seconds without an XID after which a device is Healthy "
                  "again")
      ->capture_default_str();
  cmd->add_option("--poll-interval", f->poll_interval_ms,
                  "Milliseconds between checks of the MIG layout and "
                  "kubelet.sock")
      ->capture_default_str();
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return RunDevicePlugin(ctx, *f); };
  });
}

}  // namespace migctl::cli
