// The reconfigurer's state machine on a simulated node with an in-memory
// Node: states, events, operand pausing, reboots and failures.
#include "agent/reconfigurer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/labels.h"
#include "agent/systemd_services.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "support/systemd_stand_in.h"

namespace migctl::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A Node kept in memory: labels, annotations, events, pods per selector, and
// a history of every state the label took.
class FakeNode : public NodeApi {
 public:
  absl::StatusOr<std::map<std::string, std::string>> GetLabels() override {
    return labels;
  }
  absl::Status PatchLabels(const Changes& changes) override {
    if (fail_patches > 0) {
      --fail_patches;
      return absl::UnavailableError("API server unavailable (HTTP 503)");
    }
    Apply(labels, changes);
    auto it = changes.find(std::string(kStateLabel));
    if (it != changes.end() && it->second) states.push_back(*it->second);
    for (const auto& [key, value] : changes) {
      if (key.rfind(std::string(kDeployLabelPrefix), 0) == 0 &&
          value == "paused-for-mig-change") {
        pods.erase(pod_of[key]);  // the operand's DaemonSet pod goes away
      }
    }
    return absl::OkStatus();
  }
  absl::Status PatchAnnotations(const Changes& changes) override {
    Apply(annotations, changes);
    return absl::OkStatus();
  }
  absl::Status RecordEvent(absl::string_view type, absl::string_view reason,
                           absl::string_view message) override {
    events.push_back(absl::StrCat(type, " ", reason, ": ", message));
    return absl::OkStatus();
  }
  absl::StatusOr<int> CountPods(absl::string_view selector) override {
    return pods.contains(std::string(selector)) && !stuck
               ? 1
               : (stuck && pods.contains(std::string(selector)) ? 1 : 0);
  }

  static void Apply(std::map<std::string, std::string>& m, const Changes& c) {
    for (const auto& [k, v] : c) {
      if (v)
        m[k] = *v;
      else
        m.erase(k);
    }
  }

  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> events;
  std::vector<std::string> states;
  std::set<std::string> pods;
  std::map<std::string, std::string> pod_of;
  bool stuck = false;
  int fail_patches = 0;
};

class ReconfigurerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = (std::filesystem::temp_directory_path() /
               ("migctl-agent-" + std::to_string(::getpid()) + ".yaml"))
                  .string();
    std::filesystem::copy_file(
        std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml", config_,
        std::filesystem::copy_options::overwrite_existing);
    options_.config_paths = {config_};
    options_.sleep = [](absl::Duration) {};
    options_.operand_timeout = absl::Milliseconds(50);
  }
  void TearDown() override { std::filesystem::remove(config_); }

  std::unique_ptr<sim::SimNvml> node_ =
      sim::SimNvml::InMemory(*sim::NewNode("agent", {"H100-NVL", "H100-NVL"}));
  FakeNode kube_;
  ReconfigureOptions options_;
  std::string config_;
};

TEST_F(ReconfigurerTest, StoryGoesPendingThenSuccessAndPublishesLabels) {
  int published = 0;
  std::vector<std::string> plugin;
  options_.publish_labels = [&] {
    ++published;
    return absl::OkStatus();
  };
  options_.pause_device_plugin = [&](bool paused, const std::vector<int>& g) {
    plugin.push_back(
        absl::StrCat(paused ? "pause " : "resume ", absl::StrJoin(g, ",")));
  };
  Reconfigurer r(*node_, kube_, options_);
  auto state = r.Handle("custom-mig");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, "success");
  EXPECT_THAT(kube_.states, ElementsAre("pending", "success"));
  EXPECT_EQ(kube_.labels.at("nvidia.com/mig.config.state"), "success");
  EXPECT_EQ(published, 1);
  EXPECT_THAT(plugin, ElementsAre("pause 0,1", "resume 0,1"));
  EXPECT_THAT(
      kube_.events,
      ElementsAre(
          "Normal MigConfigApplied: MIG config \"custom-mig\" applied"));
  EXPECT_EQ(node_->ListMigDevices(1)->size(), 6u);
  // The same value again: already applied, straight to success.
  kube_.states.clear();
  EXPECT_EQ(*r.Handle("custom-mig"), "success");
  EXPECT_THAT(kube_.states, ElementsAre("success"));
}

TEST_F(ReconfigurerTest, OnlyTheGpusTheChangeTouchesArePaused) {
  std::vector<std::string> plugin;
  options_.pause_device_plugin = [&](bool paused, const std::vector<int>& g) {
    plugin.push_back(
        absl::StrCat(paused ? "pause " : "resume ", absl::StrJoin(g, ",")));
  };
  std::ofstream(config_, std::ios::app)
      << "  gpu1-all-1g:\n"
         "    - devices: [0]\n      mig-enabled: true\n"
         "      mig-devices: {\"1g.12gb\": 2}\n"
         "    - devices: [1]\n      mig-enabled: true\n"
         "      mig-devices: {\"1g.12gb\": 7}\n";
  Reconfigurer r(*node_, kube_, options_);
  ASSERT_EQ(*r.Handle("custom-mig"), "success");
  ASSERT_EQ(*r.Handle("gpu1-all-1g"), "success");
  EXPECT_THAT(plugin,
              ElementsAre("pause 0,1", "resume 0,1", "pause 1", "resume 1"));
  EXPECT_EQ(node_->ListMigDevices(1)->size(), 7u);
}

TEST_F(ReconfigurerTest, UnknownConfigFailsWithTheReason) {
  options_.config_wait = absl::ZeroDuration();  // fail at once
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("all-1g.5gb"), "failed");
  const std::string reason = "no MIG config named \"all-1g.5gb\" in " +
                             config_ + "; it has: custom-mig";
  EXPECT_EQ(kube_.annotations.at("migctl.dev/mig.config.failure"), reason);
  EXPECT_THAT(
      kube_.events,
      ElementsAre(
          "Warning MigConfigFailed: MIG config \"all-1g.5gb\" failed: " +
          reason));
  EXPECT_THAT(kube_.states, ElementsAre("failed"));
}

TEST_F(ReconfigurerTest, OperandsArePausedAndAlwaysResumed) {
  for (const Operand& op : DefaultOperands()) {
    kube_.labels["nvidia.com/gpu.deploy." + op.name] = "true";
    kube_.pods.insert(op.pod_selector);
    kube_.pod_of["nvidia.com/gpu.deploy." + op.name] = op.pod_selector;
  }
  kube_.labels["nvidia.com/gpu.deploy.dcgm"] = "false";  // not ours to touch
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "success");
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.device-plugin"), "true");
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.gpu-feature-discovery"),
            "true");
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.dcgm-exporter"), "true");
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.dcgm"), "false");
}

TEST_F(ReconfigurerTest, OperandThatDoesNotStopFailsAndIsResumed) {
  kube_.labels["nvidia.com/gpu.deploy.dcgm-exporter"] = "true";
  kube_.pods.insert("app=nvidia-dcgm-exporter");
  kube_.stuck = true;
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "failed");
  EXPECT_THAT(kube_.annotations.at("migctl.dev/mig.config.failure"),
              HasSubstr("1 pod(s) of dcgm-exporter (app=nvidia-dcgm-exporter) "
                        "still run after 50ms"));
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.dcgm-exporter"), "true");
  EXPECT_TRUE(node_->ListGpuInstances(0)->empty());
}

TEST_F(ReconfigurerTest, BusyInstanceFailsNamingThePid) {
  Reconfigurer r(*node_, kube_, options_);
  ASSERT_EQ(*r.Handle("custom-mig"), "success");
  const int gi = node_->ListGpuInstances(0)->front().id;
  ASSERT_TRUE(node_
                  ->Update([&](sim::SimState& s) {
                    return sim::rules::AttachProcess(
                        s, 0, {4711, "notebook", 0, gi, 0});
                  })
                  .ok());
  std::ofstream(config_, std::ios::app)
      << "  all-7g:\n    - devices: all\n      mig-enabled: true\n"
         "      mig-devices: {\"7g.94gb\": 1}\n";
  EXPECT_EQ(*r.Handle("all-7g"), "failed");
  EXPECT_THAT(kube_.annotations.at("migctl.dev/mig.config.failure"),
              HasSubstr("runs processes 4711"));
}

TEST_F(ReconfigurerTest, PendingModeWithoutRebootFails) {
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    s.reset_supported = false;
                    return absl::OkStatus();
                  })
                  .ok());
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "failed");
  EXPECT_EQ(
      kube_.annotations.at("migctl.dev/mig.config.failure"),
      "the MIG mode change of GPU 0, 1 waits for a GPU reset or a reboot; set "
      "WITH_REBOOT=true to let migctl reboot the node, or reboot it");
}

TEST_F(ReconfigurerTest, WithRebootGoesRebootingThenSuccessAfterTheReboot) {
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    s.reset_supported = false;
                    return absl::OkStatus();
                  })
                  .ok());
  options_.with_reboot = true;
  options_.reboot = [&] {
    return node_->Update([](sim::SimState& s) {
      sim::rules::Reboot(s);
      return absl::OkStatus();
    });
  };
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "rebooting");
  // The agent starts again after the reboot and sees the same value.
  Reconfigurer after(*node_, kube_, options_);
  EXPECT_EQ(*after.Handle("custom-mig"), "success");
  EXPECT_THAT(kube_.states,
              ElementsAre("pending", "rebooting", "pending", "success"));
  EXPECT_EQ(node_->ListMigDevices(1)->size(), 6u);
}

TEST_F(ReconfigurerTest, ModeStillPendingAfterTheRebootFails) {
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    s.reset_supported = false;
                    s.mig_mode_persistent = false;  // the reboot loses it
                    return absl::OkStatus();
                  })
                  .ok());
  options_.with_reboot = true;
  options_.reboot = [&] {
    return node_->Update([](sim::SimState& s) {
      sim::rules::Reboot(s);
      return absl::OkStatus();
    });
  };
  Reconfigurer r(*node_, kube_, options_);
  ASSERT_EQ(*r.Handle("custom-mig"), "rebooting");
  Reconfigurer after(*node_, kube_, options_);
  EXPECT_EQ(*after.Handle("custom-mig"), "failed");
  EXPECT_EQ(kube_.annotations.at("migctl.dev/mig.config.failure"),
            "the MIG mode of GPU 0, 1 did not change after a reboot");
}

TEST_F(ReconfigurerTest, ResumeRetriesWhileTheApiServerIsDown) {
  kube_.labels["nvidia.com/gpu.deploy.device-plugin"] = "true";
  // Pending and pause go through; the resume meets 3 failures, then works.
  options_.publish_labels = [&] {
    kube_.fail_patches = 3;
    return absl::OkStatus();
  };
  Reconfigurer flaky(*node_, kube_, options_);
  EXPECT_EQ(*flaky.Handle("custom-mig"), "success");
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.device-plugin"), "true");
}

// HostServices that notes, at each stop and start, how many GPU instances
// GPU 1 has: 0 before the apply, 6 after it.
class ObservedServices : public HostServices {
 public:
  ObservedServices(HostServices& real, nvml::Nvml& nvml)
      : real_(real), nvml_(nvml) {}
  absl::StatusOr<bool> IsActive(const std::string& unit) override {
    return real_.IsActive(unit);
  }
  absl::Status Stop(const std::string& unit) override {
    log.push_back(absl::StrCat("stop ", unit, " at ", Instances()));
    return real_.Stop(unit);
  }
  absl::Status Start(const std::string& unit) override {
    log.push_back(absl::StrCat("start ", unit, " at ", Instances()));
    return real_.Start(unit);
  }
  std::vector<std::string> log;

 private:
  std::string Instances() {
    return absl::StrCat(nvml_.ListGpuInstances(1)->size(), " GIs");
  }
  HostServices& real_;
  nvml::Nvml& nvml_;
};

// WITH_SHUTDOWN_HOST_GPU_CLIENTS through the real sd-bus client and the
// systemd stand-in.
class HostGpuClientsTest : public ReconfigurerTest {
 protected:
  void SetUp() override {
    ReconfigurerTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("mc-hc-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto s = testing::SystemdStandIn::Start({(dir_ / "sd.sock").string()});
    ASSERT_TRUE(s.ok()) << s.status();
    systemd_ = *std::move(s);
    systemd_->AddUnit("nvsm.service", {"active"});
    systemd_->AddUnit("nvidia-dcgm.service", {"inactive"});
    systemd_->AddUnit("dcgm-exporter.service", {"active"});
    std::ofstream(dir_ / "clients.yaml")
        << "version: v1\nsystemd-services:\n  - nvsm.service\n"
           "  - nvidia-dcgm.service\n  - dcgm-exporter.service\n";
    sd_ = std::make_unique<SystemdServices>(systemd_->address());
    observed_ = std::make_unique<ObservedServices>(*sd_, *node_);
    options_.host_services = observed_.get();
    options_.gpu_clients_file = (dir_ / "clients.yaml").string();
    options_.host_services_state = (dir_ / "stopped").string();
  }
  void TearDown() override {
    systemd_.reset();
    std::filesystem::remove_all(dir_);
    ReconfigurerTest::TearDown();
  }

  std::filesystem::path dir_;
  std::unique_ptr<testing::SystemdStandIn> systemd_;
  std::unique_ptr<SystemdServices> sd_;
  std::unique_ptr<ObservedServices> observed_;
};

TEST_F(HostGpuClientsTest, StoppedBeforeTheApplyAndStartedAfterInReverse) {
  kube_.labels["nvidia.com/gpu.deploy.dcgm"] = "true";
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "success");
  EXPECT_THAT(observed_->log,
              ElementsAre("stop nvsm.service at 0 GIs",
                          "stop dcgm-exporter.service at 0 GIs",
                          "start dcgm-exporter.service at 6 GIs",
                          "start nvsm.service at 6 GIs"));
  // The inactive one is looked at, never started.
  EXPECT_THAT(
      systemd_->calls(),
      ElementsAre("GetUnit nvsm.service", "StopUnit nvsm.service replace",
                  "GetUnit nvidia-dcgm.service",
                  "GetUnit dcgm-exporter.service",
                  "StopUnit dcgm-exporter.service replace",
                  "StartUnit dcgm-exporter.service replace",
                  "StartUnit nvsm.service replace"));
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "active");
  EXPECT_EQ(systemd_->ActiveState("nvidia-dcgm.service"), "inactive");
  EXPECT_FALSE(std::filesystem::exists(options_.host_services_state));
  // Operands are paused first and resumed last.
  EXPECT_EQ(kube_.labels.at("nvidia.com/gpu.deploy.dcgm"), "true");
}

TEST_F(HostGpuClientsTest, StartedAgainWhenTheApplyFails) {
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    s.reset_supported = false;
                    return absl::OkStatus();
                  })
                  .ok());
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "failed");
  EXPECT_THAT(observed_->log,
              ElementsAre("stop nvsm.service at 0 GIs",
                          "stop dcgm-exporter.service at 0 GIs",
                          "start dcgm-exporter.service at 0 GIs",
                          "start nvsm.service at 0 GIs"));
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "active");
  EXPECT_EQ(systemd_->ActiveState("dcgm-exporter.service"), "active");
  EXPECT_FALSE(std::filesystem::exists(options_.host_services_state));
}

TEST_F(HostGpuClientsTest, AnUnreadableClientsFileFailsNamingIt) {
  options_.gpu_clients_file = (dir_ / "missing.yaml").string();
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "failed");
  EXPECT_THAT(kube_.annotations.at("migctl.dev/mig.config.failure"),
              HasSubstr(options_.gpu_clients_file));
  EXPECT_THAT(observed_->log, ::testing::IsEmpty());
}

TEST_F(HostGpuClientsTest, UnitsADeadAgentStoppedAreStartedByTheNextHandle) {
  Reconfigurer r(*node_, kube_, options_);
  ASSERT_EQ(*r.Handle("custom-mig"), "success");
  // An agent killed mid-change left nvsm stopped and remembered.
  systemd_->AddUnit("nvsm.service", {"inactive"});
  std::ofstream(options_.host_services_state) << "nvsm.service\n";
  observed_->log.clear();
  Reconfigurer next(*node_, kube_, options_);
  EXPECT_EQ(*next.Handle("custom-mig"), "success");  // already applied
  EXPECT_THAT(observed_->log, ElementsAre("start nvsm.service at 6 GIs"));
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "active");
  EXPECT_FALSE(std::filesystem::exists(options_.host_services_state));
}

// Several config files, and a config name that no file has yet: the
// planner's ConfigMap reaches its mounted file only at the kubelet's next
// sync. A fake clock makes the wait exact.
class ReconfigurerConfigFilesTest : public ReconfigurerTest {
 protected:
  void SetUp() override {
    ReconfigurerTest::SetUp();
    planner_ = config_ + ".planner.yaml";
    options_.config_paths = {config_, planner_};
    options_.config_wait = absl::Minutes(3);
    options_.now = [this] { return now_; };
  }
  void TearDown() override {
    std::filesystem::remove(planner_);
    ReconfigurerTest::TearDown();
  }
  void WritePlannerFile(const std::string& name) {
    std::ofstream(planner_) << "version: v1\nmig-configs:\n  " << name
                            << ":\n    - devices: all\n"
                               "      mig-enabled: true\n"
                               "      mig-devices: {\"3g.47gb\": 2}\n";
  }

  std::string planner_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

TEST_F(ReconfigurerConfigFilesTest, ConfigOfTheSecondFileIsApplied) {
  WritePlannerFile("planner-3g");
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("planner-3g"), "success");
  EXPECT_EQ(node_->ListMigDevices(0)->size(), 2u);
  EXPECT_EQ(node_->ListMigDevices(1)->size(), 2u);
  // The first file's configs are there too.
  EXPECT_EQ(*r.Handle("custom-mig"), "success");
  EXPECT_EQ(node_->ListMigDevices(1)->size(), 6u);
  EXPECT_THAT(kube_.states,
              ElementsAre("pending", "success", "pending", "success"));
}

TEST_F(ReconfigurerConfigFilesTest, SameNameInTwoFilesFailsNamingBoth) {
  std::filesystem::copy_file(config_, planner_);
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("custom-mig"), "failed");
  EXPECT_EQ(kube_.annotations.at("migctl.dev/mig.config.failure"),
            "MIG config \"custom-mig\" is defined in both " + config_ +
                " and " + planner_ + "; a config name may be in one file only");
  EXPECT_THAT(kube_.states, ElementsAre("failed"));
  EXPECT_TRUE(node_->ListGpuInstances(0)->empty());
}

TEST_F(ReconfigurerConfigFilesTest, ConfigThatAppearsWhileWaitedForIsApplied) {
  Reconfigurer r(*node_, kube_, options_);
  // The planner's file is not there yet.
  EXPECT_EQ(*r.Handle("planner-3g"), "pending");
  EXPECT_THAT(kube_.events,
              ElementsAre("Normal MigConfigWaiting: Waiting up to 3m for MIG "
                          "config \"planner-3g\" to appear in " +
                          config_ + ", " + planner_ + " (cannot read " +
                          planner_ + ": No such file or directory)"));
  now_ += absl::Minutes(1);
  EXPECT_EQ(*r.Handle("planner-3g"), "pending");
  // The kubelet's sync writes it.
  WritePlannerFile("planner-3g");
  now_ += absl::Seconds(10);
  EXPECT_EQ(*r.Handle("planner-3g"), "success");
  // `pending` is written once per wait, then once for the change.
  EXPECT_THAT(kube_.states, ElementsAre("pending", "pending", "success"));
  EXPECT_EQ(kube_.events.size(), 2u);
  EXPECT_EQ(kube_.events.back(),
            "Normal MigConfigApplied: MIG config \"planner-3g\" applied");
  EXPECT_EQ(node_->ListMigDevices(1)->size(), 2u);
}

TEST_F(ReconfigurerConfigFilesTest, ConfigInNoFileFailsWhenTheWaitIsOver) {
  WritePlannerFile("planner-3g");
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("planner-7g"), "pending");
  EXPECT_THAT(kube_.events,
              ElementsAre("Normal MigConfigWaiting: Waiting up to 3m for MIG "
                          "config \"planner-7g\" to appear in " +
                          config_ + ", " + planner_));
  now_ += absl::Minutes(3) - absl::Seconds(1);
  EXPECT_EQ(*r.Handle("planner-7g"), "pending");
  now_ += absl::Seconds(1);
  EXPECT_EQ(*r.Handle("planner-7g"), "failed");
  const std::string reason = "no MIG config named \"planner-7g\" in " +
                             config_ + ", " + planner_ +
                             "; it has: custom-mig, planner-3g";
  EXPECT_EQ(kube_.annotations.at("migctl.dev/mig.config.failure"), reason);
  EXPECT_EQ(
      kube_.events.back(),
      "Warning MigConfigFailed: MIG config \"planner-7g\" failed: " + reason);
  // A retry of the same name fails at once; a new name is waited for again.
  EXPECT_EQ(*r.Handle("planner-7g"), "failed");
  EXPECT_EQ(*r.Handle("planner-2g"), "pending");
  EXPECT_THAT(kube_.states,
              ElementsAre("pending", "failed", "failed", "pending"));
  EXPECT_TRUE(node_->ListGpuInstances(0)->empty());
}

TEST_F(ReconfigurerConfigFilesTest, ZeroWaitFailsAtOnce) {
  options_.config_wait = absl::ZeroDuration();
  Reconfigurer r(*node_, kube_, options_);
  EXPECT_EQ(*r.Handle("planner-3g"), "failed");
  EXPECT_EQ(kube_.annotations.at("migctl.dev/mig.config.failure"),
            "no MIG config named \"planner-3g\" in " + config_ + ", " +
                planner_ + "; it has: custom-mig; cannot read " + planner_ +
                ": No such file or directory");
  EXPECT_THAT(kube_.states, ElementsAre("failed"));
}

}  // namespace
}  // namespace migctl::agent
