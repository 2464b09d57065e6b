// Fault tests of the node agent against the API stand-in on loopback: the
// agent killed mid-apply and restarted (with operands paused and host
// services stopped, through the systemd stand-in), a flapping label, the API
// server restarting, answering 409 / 410 / 500 or slowly during a
// reconfiguration, and a busy instance. Every wait is bounded.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reconcile/apply.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "simulated_cluster.h"
#include "support/api_server.h"
#include "support/shell.h"
#include "support/systemd_stand_in.h"

extern char** environ;

namespace migctl::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kConfigs[] = R"(version: v1
mig-configs:
  custom-mig:
    - devices: [0]
      mig-enabled: true
      mig-devices:
        "1g.12gb": 2
    - devices: [1]
      mig-enabled: true
      mig-devices:
        "1g.24gb": 1
        "1g.12gb": 5
  all-1g.12gb:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb": 7
  all-7g:
    - devices: all
      mig-enabled: true
      mig-devices:
        "7g.94gb": 1
  all-2g:
    - devices: all
      mig-enabled: true
      mig-devices:
        "2g.24gb": 3
)";

// A child process; killed (SIGKILL) if still running when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log) {
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) !=
        0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // The wait status once it exited within `timeout`.
  std::optional<int> Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!status_ && absl::Now() < deadline) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = st;
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return status_;
  }
  // SIGTERM, then waits.
  std::optional<int> Terminate() {
    if (!status_) ::kill(pid_, SIGTERM);
    return Wait(absl::Seconds(10));
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

class AgentFaultTest : public SimulatedClusterTest {
 protected:
  void SetUp() override {
    SimulatedClusterTest::SetUp();
    config_ = (dir_ / "config.yaml").string();
    std::ofstream(config_) << kConfigs;
    options_.reconfigure.config_paths = {config_};
  }

  void SetConfigLabel(const std::string& value) {
    ASSERT_TRUE(
        client_
            ->PatchNodeLabels("gpu-node-1", {{"nvidia.com/mig.config", value}})
            .ok());
  }
  bool Applied(const std::string& name) {
    auto file = config::LoadMigConfig(config_);
    return file.ok() &&
           reconcile::AssertApplied(*nvml_, *file, name, false).ok();
  }
  std::vector<std::string> AgentArgs() {
    return {MIGCTL_BINARY,
            "--sim",
            state_,
            "agent",
            "--node",
            "gpu-node-1",
            "--kubeconfig",
            kubeconfig_,
            "--config-file",
            config_,
            "--journal",
            state_ + ".journal",
            "--health-port=-1",
            "--socket-dir",
            (dir_ / "dp").string(),
            "--device-plugin-poll",
            "100"};
  }

  std::string config_;
};

int Shell(const std::string& command) {
  int st = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(AgentFaultTest, AgentKilledMidApplyAndRestartedEndsInSuccess) {
  std::filesystem::create_directories(dir_ / "dp");
  const std::string log = (dir_ / "agent.log").string();
  // An operand to pause and a host service to stop, both left so by the
  // killed agent.
  ASSERT_TRUE(
      client_
          ->PatchNodeLabels("gpu-node-1",
                            {{"nvidia.com/gpu.deploy.dcgm-exporter", "true"}})
          .ok());
  auto systemd =
      testing::SystemdStandIn::Start({(dir_ / "systemd.sock").string()});
  ASSERT_TRUE(systemd.ok()) << systemd.status();
  (*systemd)->AddUnit("nvidia-dcgm.service", {"active"});
  const std::string clients = (dir_ / "clients.yaml").string();
  std::ofstream(clients)
      << "version: v1\nsystemd-services: [nvidia-dcgm.service]\n";
  std::vector<std::string> args = AgentArgs();
  for (const std::string& a :
       {std::string("--with-shutdown-host-gpu-clients=true"),
        "--gpu-clients-file=" + clients,
        "--systemd-address=" + (*systemd)->address()}) {
    args.push_back(a);
  }
  ASSERT_EQ(Shell(std::string(MIGCTL_BINARY) + " sim fault " + state_ +
                  " --after 3 --abort"),
            0);
  SetConfigLabel("custom-mig");
  {
    Child first(args, log);
    ASSERT_GT(first.pid(), 0);
    std::optional<int> st = first.Wait(absl::Seconds(20));
    ASSERT_TRUE(st.has_value()) << "the agent did not die";
    ASSERT_TRUE(WIFSIGNALED(*st));
    EXPECT_EQ(WTERMSIG(*st), SIGKILL);
  }
  EXPECT_EQ(State(), "pending");
  EXPECT_FALSE(Applied("custom-mig"));
  EXPECT_EQ(Label("nvidia.com/gpu.deploy.dcgm-exporter"),
            "paused-for-mig-change");
  EXPECT_EQ((*systemd)->ActiveState("nvidia-dcgm.service"), "inactive");
  Child second(args, log);
  ASSERT_GT(second.pid(), 0);
  EXPECT_EQ(WaitForState("success"), "success");
  EXPECT_EQ(Shell(std::string(MIGCTL_BINARY) + " --sim " + state_ +
                  " assert -f " + config_ + " -c custom-mig"),
            0);
  EXPECT_EQ(Label("nvidia.com/gpu.deploy.dcgm-exporter"), "true");
  EXPECT_EQ((*systemd)->ActiveState("nvidia-dcgm.service"), "active");
  // Started by the second agent (left by the first), stopped and started
  // around its apply.
  EXPECT_THAT((*systemd)->calls(),
              ::testing::ElementsAre("GetUnit nvidia-dcgm.service",
                                     "StopUnit nvidia-dcgm.service replace",
                                     "StartUnit nvidia-dcgm.service replace",
                                     "GetUnit nvidia-dcgm.service",
                                     "StopUnit nvidia-dcgm.service replace",
                                     "StartUnit nvidia-dcgm.service replace"));
  std::optional<int> st = second.Terminate();
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
}

TEST_F(AgentFaultTest, FlappingLabelEndsInTheLastValue) {
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  for (const char* value : {"all-1g.12gb", "all-7g", "custom-mig", "all-2g",
                            "all-7g", "all-1g.12gb", "custom-mig", "all-2g"}) {
    SetConfigLabel(value);
    absl::SleepFor(absl::Milliseconds(15));
  }
  ASSERT_EQ(WaitForState("success"), "success");
  // Not an earlier value's success: it settles on the last one.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!(Applied("all-2g") && State() == "success") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(Applied("all-2g"));
  EXPECT_EQ(State(), "success");
  // And stays there (never back to pending).
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(State(), "success");
  EXPECT_TRUE(Applied("all-2g"));
}

TEST_F(AgentFaultTest, ApiServerRestartDuringReconfigurationEndsInSuccess) {
  int restarts = 0;
  options_.reconfigure.pause_device_plugin = [&](bool paused,
                                                 const std::vector<int>&) {
    if (!paused || restarts > 0) return;
    // Between `pending` and the apply: the API server goes away and comes
    // back on the same port with the same state.
    ++restarts;
    api_.Stop();
    absl::SleepFor(absl::Milliseconds(300));
    ASSERT_TRUE(api_.Start().ok());
  };
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  SetConfigLabel("custom-mig");
  ASSERT_EQ(WaitForState("success"), "success");
  EXPECT_EQ(restarts, 1);
  EXPECT_TRUE(Applied("custom-mig"));
  // The agent still follows the label after the restart (watch re-opened).
  SetConfigLabel("all-7g");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!(Applied("all-7g") && State() == "success") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(Applied("all-7g"));
  EXPECT_EQ(State(), "success");
}

TEST_F(AgentFaultTest, AgentProcessWaitsForAConfigOfItsSecondFile) {
  // The planner's ConfigMap, mounted as a second file, is not synced yet.
  const std::string planner = (dir_ / "planner.yaml").string();
  std::vector<std::string> args = AgentArgs();
  for (const std::string& a :
       {std::string("--config-file"), planner, std::string("--config-wait"),
        std::string("2m")}) {
    args.push_back(a);
  }
  Child agent(args, (dir_ / "agent.log").string());
  ASSERT_GT(agent.pid(), 0);
  SetConfigLabel("planner-3g");
  ASSERT_EQ(WaitForState("pending"), "pending");
  // Written whole, then renamed into place, as the kubelet does.
  std::ofstream(planner + ".tmp")
      << "version: v1\nmig-configs:\n  planner-3g:\n"
         "    - devices: all\n      mig-enabled: true\n"
         "      mig-devices: {\"3g.47gb\": 2}\n";
  std::filesystem::rename(planner + ".tmp", planner);
  EXPECT_EQ(WaitForState("success"), "success");
  EXPECT_EQ(nvml_->ListMigDevices(1)->size(), 2u);
  // Exactly the two files of the command line (not the default one).
  std::vector<std::string> waiting;
  for (const nlohmann::json& e : api_.ListObjects("events")) {
    if (e.value("reason", "") == "MigConfigWaiting") {
      waiting.push_back(e.value("message", ""));
    }
  }
  EXPECT_THAT(waiting,
              ::testing::ElementsAre(
                  "Waiting up to 2m for MIG config \"planner-3g\" to appear "
                  "in " +
                  config_ + ", " + planner + " (cannot read " + planner +
                  ": No such file or directory)"));
  std::optional<int> st = agent.Terminate();
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
}

TEST_F(AgentFaultTest, BadConfigWaitIsRefusedNamingIt) {
  std::string command;
  for (const std::string& a : AgentArgs()) command += a + " ";
  migctl::testing::ShellResult r =
      migctl::testing::RunShell(command + "--config-wait 3x 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output,
            "migctl: error: --config-wait \"3x\" is not a duration >= 0 such "
            "as 0, 90s or 3m\n");
}

TEST_F(AgentFaultTest, BusyInstanceFailsNamingThePidInAnnotationAndEvent) {
  ASSERT_TRUE(
      client_
          ->PatchNodeLabels("gpu-node-1",
                            {{"nvidia.com/gpu.deploy.dcgm-exporter", "true"}})
          .ok());
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  SetConfigLabel("custom-mig");
  ASSERT_EQ(WaitForState("success"), "success");
  const int gi = nvml_->ListGpuInstances(0)->front().id;
  ASSERT_TRUE(nvml_
                  ->Update([&](sim::SimState& s) {
                    return sim::rules::AttachProcess(
                        s, 0, {4711, "notebook", 0, gi, 0});
                  })
                  .ok());
  SetConfigLabel("all-7g");
  ASSERT_EQ(WaitForState("failed"), "failed");
  EXPECT_THAT(Annotation("migctl.dev/mig.config.failure"), HasSubstr("4711"));
  bool event = false;
  for (const nlohmann::json& e : api_.ListObjects("events")) {
    if (e.value("reason", "") == "MigConfigFailed" &&
        e.value("message", "").find("4711") != std::string::npos) {
      event = e.value("type", "") == "Warning";
    }
  }
  EXPECT_TRUE(event) << "no Warning MigConfigFailed event naming PID 4711";
  // The busy instance is untouched; once the agent stops (between retries,
  // which pause again) the operand is resumed.
  EXPECT_TRUE(Applied("custom-mig"));
  run.request_stop();
  run.join();
  EXPECT_EQ(Label("nvidia.com/gpu.deploy.dcgm-exporter"), "true");
}

// A fault the API server shows from the moment the GPU clients are paused
// (between `pending` and the apply) on.
enum class ApiFault { kConflict, kGone, kServerError, kSlow };

std::string FaultName(const ::testing::TestParamInfo<ApiFault>& info) {
  switch (info.param) {
    case ApiFault::kConflict:
      return "Conflict409";
    case ApiFault::kGone:
      return "Gone410";
    case ApiFault::kServerError:
      return "ServerError500";
    case ApiFault::kSlow:
      return "Slow";
  }
  return "";
}

class AgentApiFaultTest : public AgentFaultTest,
                          public ::testing::WithParamInterface<ApiFault> {};

TEST_P(AgentApiFaultTest, DuringAReconfigurationStillEndsInSuccess) {
  ASSERT_TRUE(
      client_
          ->PatchNodeLabels("gpu-node-1",
                            {{"nvidia.com/gpu.deploy.dcgm-exporter", "true"}})
          .ok());
  int injected = 0;
  size_t requests_before = 0;
  options_.reconfigure.pause_device_plugin = [&](bool paused,
                                                 const std::vector<int>&) {
    if (!paused || injected++ > 0) return;
    requests_before = api_.requests().size();
    switch (GetParam()) {
      case ApiFault::kConflict:  // the operand and state patches conflict
        api_.FailNextRequestsForTest(2, 409, "PATCH");
        break;
      case ApiFault::kGone:  // the resumed node watch gets 410: relist
        api_.GoneOnNextWatchForTest();
        api_.DropWatchesForTest();
        break;
      case ApiFault::kServerError:
        api_.FailNextRequestsForTest(3, 500);
        break;
      case ApiFault::kSlow:
        api_.SetLatencyForTest(absl::Milliseconds(200));
        break;
    }
  };
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  SetConfigLabel("custom-mig");
  ASSERT_EQ(WaitForState("success"), "success");
  EXPECT_EQ(injected, 1);
  EXPECT_TRUE(Applied("custom-mig"));
  int conflicts = 0;
  int server_errors = 0;
  for (const testing::ApiServer::RequestRecord& r : api_.requests()) {
    conflicts += r.status == 409;
    server_errors += r.status == 500;
  }
  EXPECT_EQ(conflicts, GetParam() == ApiFault::kConflict ? 2 : 0);
  EXPECT_EQ(server_errors, GetParam() == ApiFault::kServerError ? 3 : 0);
  // After a 410 the node watch lists again (a GET without watch=1). The
  // state can reach `success` before the watch comes back, so wait for it.
  const auto relisted = [&] {
    const std::vector<testing::ApiServer::RequestRecord> all = api_.requests();
    return std::any_of(
        all.begin() + requests_before, all.end(), [](const auto& r) {
          return r.method == "GET" && r.path.rfind("/api/v1/nodes?", 0) == 0 &&
                 r.path.find("watch=") == std::string::npos;
        });
  };
  if (GetParam() == ApiFault::kGone) {
    const absl::Time until = absl::Now() + absl::Seconds(20);
    while (!relisted() && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  EXPECT_EQ(relisted(), GetParam() == ApiFault::kGone);
  // The operand is un-paused whatever the API server did.
  EXPECT_EQ(Label("nvidia.com/gpu.deploy.dcgm-exporter"), "true");
  // And the agent still follows the label.
  SetConfigLabel("all-7g");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!(Applied("all-7g") && State() == "success") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(Applied("all-7g"));
  EXPECT_EQ(State(), "success");
  EXPECT_EQ(Label("nvidia.com/gpu.deploy.dcgm-exporter"), "true");
}

INSTANTIATE_TEST_SUITE_P(Faults, AgentApiFaultTest,
                         ::testing::Values(ApiFault::kConflict, ApiFault::kGone,
                                           ApiFault::kServerError,
                                           ApiFault::kSlow),
                         FaultName);

}  // namespace
}  // namespace migctl::agent
