// SystemdServices (sd-bus) against the systemd stand-in on a private unix
// socket, and HostClientStopper's bookkeeping across a crash.
#include "agent/host_services.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/systemd_services.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/systemd_stand_in.h"

namespace migctl::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Unit = testing::SystemdStandIn::Unit;

class HostServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mc-sd-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    systemd_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartSystemd(absl::Duration job_duration = absl::ZeroDuration()) {
    systemd_.reset();
    auto s = testing::SystemdStandIn::Start(
        {(dir_ / "systemd.sock").string(), job_duration});
    ASSERT_TRUE(s.ok()) << s.status();
    systemd_ = *std::move(s);
    systemd_->AddUnit("nvsm.service", {"active"});
    systemd_->AddUnit("nvidia-dcgm.service", {"inactive"});
    systemd_->AddUnit("dcgm-exporter.service", {"active"});
    systemd_->AddUnit("broken.service", {"failed", true});
  }
  std::string StateFile() const { return (dir_ / "stopped").string(); }
  std::string ReadStateFile() const {
    std::ifstream in(StateFile());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::filesystem::path dir_;
  std::unique_ptr<testing::SystemdStandIn> systemd_;
};

TEST_F(HostServicesTest, IsActiveReadsTheUnitsActiveState) {
  StartSystemd();
  SystemdServices sd(systemd_->address());
  EXPECT_EQ(*sd.IsActive("nvsm.service"), true);
  EXPECT_EQ(*sd.IsActive("nvidia-dcgm.service"), false);
  EXPECT_EQ(*sd.IsActive("broken.service"), false);
  EXPECT_EQ(*sd.IsActive("not-loaded.service"), false);
  EXPECT_THAT(
      systemd_->calls(),
      ElementsAre("GetUnit nvsm.service", "GetUnit nvidia-dcgm.service",
                  "GetUnit broken.service", "GetUnit not-loaded.service"));
}

TEST_F(HostServicesTest, StopAndStartReturnOnceTheJobEnded) {
  StartSystemd(absl::Milliseconds(200));
  SystemdServices sd(systemd_->address());
  ASSERT_TRUE(sd.Stop("nvsm.service").ok());
  // Not "deactivating": the call waited for JobRemoved.
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "inactive");
  ASSERT_TRUE(sd.Start("nvsm.service").ok());
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "active");
  EXPECT_THAT(systemd_->calls(), ElementsAre("StopUnit nvsm.service replace",
                                             "StartUnit nvsm.service replace"));
}

TEST_F(HostServicesTest, AFailedJobIsAnErrorNamingTheUnit) {
  StartSystemd();
  SystemdServices sd(systemd_->address());
  absl::Status s = sd.Start("broken.service");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "systemd StartUnit broken.service: the job ended \"failed\"");
  s = sd.Stop("not-loaded.service");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "systemd StopUnit not-loaded.service: "
            "org.freedesktop.systemd1.NoSuchUnit: Unit not-loaded.service not "
            "loaded.");
}

TEST_F(HostServicesTest, AJobThatDoesNotEndTimesOut) {
  StartSystemd(absl::Seconds(30));
  SystemdServices sd(systemd_->address(), absl::Milliseconds(100));
  absl::Status s = sd.Stop("nvsm.service");
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(
      s.message(),
      "systemd StopUnit nvsm.service: job /org/freedesktop/systemd1/job/1 "
      "did not finish within 100ms");
}

TEST_F(HostServicesTest, NoSystemdIsUnavailableNamingTheAddress) {
  const std::string address = "unix:path=" + (dir_ / "no-such.sock").string();
  SystemdServices sd(address);
  absl::StatusOr<bool> active = sd.IsActive("nvsm.service");
  ASSERT_FALSE(active.ok());
  EXPECT_EQ(active.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(active.status().message(), "cannot connect to systemd at " +
                                           address +
                                           ": No such file or directory");
}

TEST_F(HostServicesTest, ReconnectsAfterSystemdRestarted) {
  StartSystemd();
  SystemdServices sd(systemd_->address());
  ASSERT_TRUE(sd.Stop("nvsm.service").ok());
  StartSystemd();  // a new systemd; the old connection is gone
  ASSERT_TRUE(sd.Stop("nvsm.service").ok());
  EXPECT_THAT(systemd_->calls(), ElementsAre("StopUnit nvsm.service replace"));
}

TEST_F(HostServicesTest, StopperStopsRunningUnitsAndRestartsThemInReverse) {
  StartSystemd();
  SystemdServices sd(systemd_->address());
  HostClientStopper stopper(sd, StateFile());
  ASSERT_TRUE(stopper
                  .Stop({"nvsm.service", "nvidia-dcgm.service",
                         "dcgm-exporter.service"})
                  .ok());
  EXPECT_EQ(ReadStateFile(), "nvsm.service\ndcgm-exporter.service\n");
  ASSERT_TRUE(stopper.Restart().ok());
  EXPECT_FALSE(std::filesystem::exists(StateFile()));
  EXPECT_THAT(
      systemd_->calls(),
      ElementsAre("GetUnit nvsm.service", "StopUnit nvsm.service replace",
                  "GetUnit nvidia-dcgm.service",
                  "GetUnit dcgm-exporter.service",
                  "StopUnit dcgm-exporter.service replace",
                  "StartUnit dcgm-exporter.service replace",
                  "StartUnit nvsm.service replace"));
  EXPECT_EQ(systemd_->ActiveState("nvidia-dcgm.service"), "inactive");
}

TEST_F(HostServicesTest, UnitsStoppedByADeadAgentAreStartedByTheNext) {
  StartSystemd();
  SystemdServices sd(systemd_->address());
  {
    HostClientStopper dies(sd, StateFile());
    ASSERT_TRUE(dies.Stop({"nvsm.service", "dcgm-exporter.service"}).ok());
    // ... and the agent is killed before Restart.
  }
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "inactive");
  HostClientStopper next(sd, StateFile());
  ASSERT_TRUE(next.RestartLeftovers().ok());
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "active");
  EXPECT_EQ(systemd_->ActiveState("dcgm-exporter.service"), "active");
  EXPECT_FALSE(std::filesystem::exists(StateFile()));
  EXPECT_THAT(next.stopped(), IsEmpty());
  const std::vector<std::string> calls = systemd_->calls();
  EXPECT_THAT(std::vector<std::string>(calls.end() - 2, calls.end()),
              ElementsAre("StartUnit dcgm-exporter.service replace",
                          "StartUnit nvsm.service replace"));
}

TEST_F(HostServicesTest, AUnitThatFailsToStartStaysRememberedForNextTime) {
  StartSystemd();
  systemd_->AddUnit("flaky.service", {"active", true});
  SystemdServices sd(systemd_->address());
  HostClientStopper stopper(sd, StateFile());
  ASSERT_TRUE(stopper.Stop({"nvsm.service", "flaky.service"}).ok());
  absl::Status s = stopper.Restart();
  EXPECT_EQ(s.message(),
            "systemd StartUnit flaky.service: the job ended \"failed\"");
  EXPECT_EQ(systemd_->ActiveState("nvsm.service"), "active");
  EXPECT_EQ(ReadStateFile(), "flaky.service\n");
}

}  // namespace
}  // namespace migctl::agent
