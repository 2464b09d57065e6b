// `migctl agent`: the node agent (label-driven reconfiguration, state
// labels, GPU labels, health and metrics).
#include <cstdlib>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/agent.h"
#include "agent/config_files.h"
#include "agent/device_plugin_runner.h"
#include "agent/systemd_services.h"
#include "cli/app.h"
#include "cli/stop_on_signals.h"
#include "config/hooks.h"
#include "deviceplugin/config.h"
#include "deviceplugin/plugin.h"
#include "deviceplugin/pod_resources.h"
#include "reconcile/hooks_runner.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "spdlog/spdlog.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

struct AgentFlags {
  std::string node;
  std::vector<std::string> config_files = {"/etc/migctl/config.yaml"};
  std::string config_wait = "3m";
  std::string kubeconfig;
  bool with_reboot = false;
  std::string reboot_command = "systemctl reboot";
  std::string mig_strategy = "mixed";
  std::string cuda_version;
  std::string hooks_file;
  std::string journal;
  int health_port = 8080;
  bool no_labels = false;
  bool observe_only = false;
  bool device_plugin = true;
  std::string socket_dir = std::string(deviceplugin::kDefaultSocketDir);
  int device_plugin_poll_ms = 1000;
  std::string pod_resources_socket =
      std::string(deviceplugin::kDefaultPodResourcesSocket);
  bool shutdown_host_gpu_clients = false;
  std::string gpu_clients_file;
  std::string systemd_address;
};

absl::Status RunAgent(Context& ctx, const AgentFlags& f) {
  if (f.node.empty()) {
    return absl::InvalidArgumentError(
        "no node name: pass --node or set NODE_NAME (from the downward API)");
  }
  absl::Duration config_wait;
  if (!absl::ParseDuration(f.config_wait, &config_wait) ||
      config_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--config-wait \"", f.config_wait,
                     "\" is not a duration >= 0 such as 0, 90s or 3m"));
  }
  // Before any thread starts, so that every thread has the signals blocked.
  std::stop_source stop;
  StopOnSignals signals(stop);
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(auto client, kube::Client::ForCommand(f.kubeconfig));

  agent::AgentOptions options;
  options.node_name = f.node;
  options.health_port = f.health_port;
  options.publish_labels = !f.no_labels;
  options.observe_only = f.observe_only;
  if (!f.pod_resources_socket.empty()) {
    options.pod_devices = [socket = f.pod_resources_socket] {
      return deviceplugin::ListPodDevices(socket, absl::Seconds(2));
    };
  }
  ASSIGN_OR_RETURN(options.labels.mig_strategy,
                   labels::ParseMigStrategy(f.mig_strategy));
  if (!f.cuda_version.empty()) {
    ASSIGN_OR_RETURN(options.collect.cuda_version,
                     labels::ParseCudaVersion(f.cuda_version));
  }
  agent::ReconfigureOptions& r = options.reconfigure;
  r.config_paths = f.config_files;
  r.config_wait = config_wait;
  r.with_reboot = f.with_reboot;
  if (!ctx.sim_path.empty()) {
    // The simulated node "reboots" in place and the agent carries on.
    const std::string state = ctx.sim_path;
    r.reboot = [state] {
      return sim::SimNvml::FromFile(state)->Update([](sim::SimState& s) {
        sim::rules::Reboot(s);
        return absl::OkStatus();
      });
    };
  } else {
    const std::string command = f.reboot_command;
    r.reboot = [command]() -> absl::Status {
      spdlog::info("Running `{}`", command);
      int rc = std::system(command.c_str());
      if (rc != 0) {
        return absl::InternalError(
            absl::StrCat("`", command, "` failed (", rc, ")"));
      }
      return absl::OkStatus();
    };
  }
  r.apply.journal_path = !f.journal.empty() ? f.journal
                         : !ctx.sim_path.empty()
                             ? ctx.sim_path + ".apply-journal"
                             : "/run/migctl/apply-journal.json";
  std::unique_ptr<agent::SystemdServices> systemd;
  if (f.shutdown_host_gpu_clients) {
    if (f.gpu_clients_file.empty()) {
      return absl::InvalidArgumentError(
          "WITH_SHUTDOWN_HOST_GPU_CLIENTS needs the services to stop: pass "
          "--gpu-clients-file or set GPU_CLIENTS_FILE");
    }
    systemd = std::make_unique<agent::SystemdServices>(f.systemd_address);
    r.host_services = systemd.get();
    r.gpu_clients_file = f.gpu_clients_file;
    if (!ctx.sim_path.empty()) {
      r.host_services_state = ctx.sim_path + ".stopped-host-services";
    }
  }
  config::HooksFile hooks;
  reconcile::ProcessRunner runner;
  if (!f.hooks_file.empty()) {
    ASSIGN_OR_RETURN(hooks, config::LoadHooks(f.hooks_file));
    r.apply.hooks = {
        &hooks, &runner, {"MIG_PARTED_HOOKS_FILE=" + f.hooks_file}};
  }

  std::unique_ptr<agent::DevicePluginRunner> plugin;
  if (f.device_plugin) {
    deviceplugin::PluginOptions dp;
    ASSIGN_OR_RETURN(dp.config.mig_strategy,
                     deviceplugin::ParseMigStrategy(f.mig_strategy));
    dp.config.socket_dir = f.socket_dir;
    if (f.device_plugin_poll_ms < 1) {
      return absl::InvalidArgumentError("--device-plugin-poll must be >= 1");
    }
    dp.config.poll_interval = absl::Milliseconds(f.device_plugin_poll_ms);
    auto getenv = [](const char* name) -> std::optional<std::string> {
      const char* v = std::getenv(name);
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
    dp.xids = deviceplugin::XidFilter::FromEnvironment(
        getenv("DP_DISABLE_HEALTHCHECKS"), getenv("DP_ENABLE_HEALTHCHECKS"));
    plugin = std::make_unique<agent::DevicePluginRunner>(
        [&ctx] { return ctx.OpenNvml(); }, std::move(dp));
    r.pause_device_plugin = [p = plugin.get()](bool paused,
                                               const std::vector<int>& gpus) {
      p->SetPaused(paused, gpus);
    };
  }
  spdlog::info(
      "migctl agent on node {} (config {}, strategy {}, device plugin {})",
      f.node, agent::JoinPaths(f.config_files), f.mig_strategy,
      f.device_plugin ? "on, sockets in " + f.socket_dir : std::string("off"));
  agent::Agent agent(*nvml, *client, options);
  if (plugin) plugin->Start();
  absl::Status s = agent.Run(stop.get_token());
  if (plugin) plugin->Stop();
  return s;
}

}  // namespace

void AddAgentCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<AgentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "agent",
      "Run the node agent: apply the MIG config named by the node's "
      "nvidia.com/mig.config label, report nvidia.com/mig.config.state "
      "(pending, success, failed, rebooting), publish GPU Feature Discovery "
      "labels, serve /healthz, /readyz, /metrics and a status page at /");
  cmd->add_option("--node", f->node, "This node's name")->envname("NODE_NAME");
  cmd->add_option("--config-file", f->config_files,
                  "mig-parted v1 config (the mounted ConfigMap); re-read when "
                  "it changes. Repeat it for more files (e.g. the planner's "
                  "ConfigMap): they are read as one, a config name in one "
                  "file only")
      ->envname("CONFIG_FILE")
      ->capture_default_str();
  cmd->add_option("--config-wait", f->config_wait,
                  "How long an nvidia.com/mig.config value that no config file "
                  "has yet is waited for (state pending, the files re-read "
                  "at each poll) before it fails: a ConfigMap change reaches "
                  "its mounted file at the kubelet's next sync (0: fail at "
                  "once)")
      ->capture_default_str();
  cmd->add_option(
         "--kubeconfig", f->kubeconfig,
         "kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)")
      ->envname("KUBECONFIG");
  cmd->add_option(
         "--with-reboot", f->with_reboot,
         "Reboot the node when a MIG mode change needs it (true/false)")
      ->envname("WITH_REBOOT");
  cmd->add_option("--reboot-command", f->reboot_command,
                  "How to reboot the node")
      ->capture_default_str();
  cmd->add_option("--mig-strategy", f->mig_strategy, "none, single or mixed")
      ->envname("MIG_STRATEGY")
      ->capture_default_str();
  cmd->add_option("--cuda-version", f->cuda_version,
                  "CUDA version of the driver for nvidia.com/cuda.* labels")
      ->envname("CUDA_VERSION");
  cmd->add_option("-k,--hooks-file", f->hooks_file, "mig-parted v1 hooks file")
      ->envname("MIG_PARTED_HOOKS_FILE");
  cmd->add_option("--journal", f->journal, "Apply journal file");
  cmd->add_option("--health-port", f->health_port,
                  "Port of /healthz, /readyz, /metrics and the status page / "
                  "(-1: none)")
      ->capture_default_str();
  cmd->add_flag("--no-labels", f->no_labels, "Do not publish GPU labels");
  cmd->add_flag(
      "--observe-only", f->observe_only,
      "Apply nothing (NVIDIA's mig-manager owns nvidia.com/mig.config): "
      "only publish the layout annotation for `migctl planner`, the "
      "GPU labels unless --no-labels, and the status page; use with "
      "--no-device-plugin beside NVIDIA's device plugin");
  cmd->add_flag("--device-plugin,!--no-device-plugin", f->device_plugin,
                "Run the kubelet device plugin in this process (default on); "
                "it stops advertising the GPUs while they are reconfigured");
  cmd->add_option(
         "--with-shutdown-host-gpu-clients", f->shutdown_host_gpu_clients,
         "Stop the host's systemd services of --gpu-clients-file that run "
         "while the GPUs change, and start them again after (true/false)")
      ->envname("WITH_SHUTDOWN_HOST_GPU_CLIENTS");
  cmd->add_option("--gpu-clients-file", f->gpu_clients_file,
                  "mig-manager's gpu-clients file (version: v1, "
                  "systemd-services: [...])")
      ->envname("GPU_CLIENTS_FILE");
  cmd->add_option("--systemd-address", f->systemd_address,
                  "D-Bus address of systemd's private socket, e.g. "
                  "unix:path=/run/systemd/private (default: the system bus, "
                  "$DBUS_SYSTEM_BUS_ADDRESS)");
  cmd->add_option("--socket-dir", f->socket_dir,
                  "Directory of kubelet.sock and the device plugin's sockets")
      ->capture_default_str();
  cmd->add_option("--pod-resources-socket", f->pod_resources_socket,
                  "The kubelet's PodResources API socket: a GPU instance "
                  "assigned to a pod is busy, never destroyed by a "
                  "reconfiguration, and published with its pods in "
                  "migctl.dev/mig.layout (\"\": only instances with "
                  "processes are busy)")
      ->capture_default_str();
  cmd->add_option("--device-plugin-poll", f->device_plugin_poll_ms,
                  "Milliseconds between the device plugin's checks of the MIG "
                  "layout and kubelet.sock")
      ->capture_default_str();
  cmd->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return RunAgent(ctx, *f); }; });
}

}  // namespace migctl::cli
