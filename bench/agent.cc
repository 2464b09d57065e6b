// Node agent harness (issue 6): label change -> `success` latency of a
// `migctl agent` subprocess on a simulated node with 8x H100-SXM5-80GB,
// alternating two configs for 20 rounds, and the agent's resident memory
// (VmRSS) once it settles. Runs once with the in-process device plugin (its
// default poll of 1 s) and once with --no-device-plugin.
//
// Usage: migctl_agent_bench [rounds]   (the API server is an in-memory
// stand-in on 127.0.0.1; nothing else is touched.)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "bench_record.h"
#include "config/mig_config.h"
#include "kube/client.h"
#include "reconcile/apply.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "spdlog/spdlog.h"
#include "support/api_server.h"

extern char** environ;

namespace {

constexpr char kConfigs[] = R"(version: v1
mig-configs:
  all-1g.10gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 7
  all-3g.40gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "3g.40gb": 2
)";

pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) !=
      0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

long VmRssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Result {
  std::vector<double> ms;
  long rss_kib = -1;
  int timeouts = 0;
};

Result Measure(bool device_plugin, int rounds) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("migctl-agent-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "dp");
  migctl::testing::ApiServer api;
  Result r;
  if (!api.Start().ok() || !api.AddNode("gpu-node-1").ok()) return r;
  const std::string kubeconfig = (dir / "kubeconfig").string();
  (void)api.WriteKubeconfig(kubeconfig);
  const std::string state = (dir / "node.json").string();
  (void)migctl::sim::StateFile(state).Save(*migctl::sim::NewNode(
      "gpu-node-1", std::vector<std::string>(8, "H100-SXM5-80GB")));
  const std::string config = (dir / "config.yaml").string();
  std::ofstream(config) << kConfigs;
  auto file = migctl::config::LoadMigConfig(config);
  auto client = migctl::kube::Client::FromKubeconfig(kubeconfig);
  auto nvml = migctl::sim::SimNvml::FromFile(state);
  if (!file.ok() || !client.ok()) return r;

  std::vector<std::string> args = {
      MIGCTL_BINARY,     "--sim",      state,          "agent",
      "--node",          "gpu-node-1", "--kubeconfig", kubeconfig,
      "--config-file",   config,       "--journal",    state + ".journal",
      "--health-port=-1"};
  if (device_plugin) {
    args.insert(args.end(), {"--socket-dir", (dir / "dp").string()});
  } else {
    args.push_back("--no-device-plugin");
  }
  const pid_t pid = Spawn(args, (dir / "agent.log").string());
  if (pid < 0) return r;

  auto state_label = [&] {
    auto node = api.GetObject("nodes", "", "gpu-node-1");
    const auto& labels = (*node)["metadata"]["labels"];
    return labels.contains("nvidia.com/mig.config.state")
               ? labels["nvidia.com/mig.config.state"].get<std::string>()
               : std::string();
  };
  // One label change; the time until `success` for that value.
  auto round = [&](const std::string& name) -> double {
    const absl::Time start = absl::Now();
    (void)(*client)->PatchNodeLabels("gpu-node-1",
                                     {{"nvidia.com/mig.config", name}});
    // Only the API is polled (the node's state file is left to the agent):
    // `pending` lasts the whole apply, then `success`.
    const absl::Time deadline = start + absl::Seconds(60);
    bool pending = false;
    while (absl::Now() < deadline) {
      const std::string s = state_label();
      if (s == "pending") pending = true;
      if (pending && s == "success") {
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
        return migctl::reconcile::AssertApplied(*nvml, *file, name, false).ok()
                   ? ms
                   : -1;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    return -1;
  };
  const std::string names[2] = {"all-1g.10gb", "all-3g.40gb"};
  (void)round(names[1]);  // warm-up: turns MIG mode on
  for (int i = 0; i < rounds; ++i) {
    double ms = round(names[i % 2]);
    if (ms < 0)
      ++r.timeouts;
    else
      r.ms.push_back(ms);
  }
  absl::SleepFor(absl::Seconds(2));  // settle
  r.rss_kib = VmRssKib(pid);
  ::kill(pid, SIGTERM);
  int st = 0;
  ::waitpid(pid, &st, 0);
  api.Stop();
  fs::remove_all(dir);
  return r;
}

void Print(const char* mode, Result r) {
  std::sort(r.ms.begin(), r.ms.end());
  if (r.ms.empty()) {
    std::printf("| %s | - | - | %ld | (no round finished) |\n", mode,
                r.rss_kib);
    return;
  }
  const double p50 = r.ms[r.ms.size() / 2];
  migctl::bench::EmitRecord(
      {"agent", mode, "label change → success (p50)", "ms", p50});
  migctl::bench::EmitRecord(
      {"agent", mode, "resident memory (VmRSS)", "MiB", r.rss_kib / 1024.0});
  std::printf("| %s | %.0f | %.0f | %.0f | %.1f |%s\n", mode, r.ms.front(), p50,
              r.ms.back(), r.rss_kib / 1024.0,
              r.timeouts ? " (timeouts!)" : "");
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  std::printf(
      "migctl agent on a simulated node, 8x H100-SXM5-80GB, label change -> "
      "success, %d rounds alternating all-1g.10gb / all-3g.40gb\n\n",
      rounds);
  std::printf("| agent | min ms | p50 ms | max ms | VmRSS MiB |\n");
  std::printf("|---|---|---|---|---|\n");
  Print("device plugin on (poll 1 s)", Measure(true, rounds));
  Print("--no-device-plugin", Measure(false, rounds));
  return 0;
}
