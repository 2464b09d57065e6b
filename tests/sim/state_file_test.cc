// The simulator's state file: round trip, atomic replacement, the lock, and
// clear errors for missing, corrupt and unknown-version files.
#include "sim/state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"

namespace migctl::sim {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "node.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& text) { std::ofstream(path_) << text; }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StateFileTest, RoundTripsEveryField) {
  SimState state = *NewNode("n1", {"H100-NVL", "A30-24GB"});
  state.reset_supported = false;
  state.fault = {3, nvml::Return::kInUse, true};
  state.gpus[0].mig_current = state.gpus[0].mig_pending = true;
  state.gpus[0].gpu_instances.push_back(
      {3, 15, {0, 2}, {{0, 7, {0, 1}, "MIG-x"}}});
  state.gpus[0].processes.push_back({9, "python", 1 << 20, 3, 0});
  state.gpus[1].minor_number = 7;
  state.cuda_driver_version = 12080;
  StateFile file(path_);
  ASSERT_TRUE(file.Save(state).ok());
  absl::StatusOr<SimState> loaded = file.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(ToJson(*loaded), ToJson(state));
  EXPECT_EQ(loaded->gpus[1].model, "A30-24GB");
  EXPECT_EQ(loaded->gpus[1].minor_number, 7);
  EXPECT_EQ(loaded->gpus[0].minor_number, std::nullopt);
  EXPECT_EQ(loaded->cuda_driver_version, 12080);
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".node.json.tmp"));
}

TEST_F(StateFileTest, FilesWithoutLaterFieldsLoadWithTheirDefaults) {
  nlohmann::json doc = ToJson(*NewNode("n1", {"A30-24GB"}));
  doc.erase("cuda_driver_version");
  ASSERT_FALSE(doc["gpus"][0].contains("minor_number"));
  Write(doc.dump());
  absl::StatusOr<SimState> loaded = StateFile(path_).Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->cuda_driver_version, 13000);
  EXPECT_EQ(loaded->gpus[0].minor_number, std::nullopt);
  absl::StatusOr<int> minor = SimNvml::FromFile(path_)->MinorNumber(0);
  ASSERT_TRUE(minor.ok()) << minor.status();
  EXPECT_EQ(*minor, 0);
}

TEST_F(StateFileTest, MissingFileSaysHowToCreateOne) {
  absl::StatusOr<SimState> s = StateFile(path_).Load();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(), "simulated node " + path_ +
                                      " does not exist; create it with "
                                      "`migctl sim create " +
                                      path_ + " --gpu H100-NVL`");
}

TEST_F(StateFileTest, CorruptFileIsReportedAndLeftAlone) {
  Write("{\"kind\": \"migctl-sim-node\", ");
  absl::StatusOr<SimState> s = StateFile(path_).Load();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      s.status().message(),
      "simulator state " + path_ +
          " is corrupt (not valid JSON); it "
          "was left as it is — restore it or recreate it with `migctl sim "
          "create`");
  std::ifstream in(path_);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "{\"kind\": \"migctl-sim-node\", ");
}

TEST_F(StateFileTest, UnknownVersionIsRefused) {
  nlohmann::json doc = ToJson(*NewNode("n", {"H200"}));
  doc["version"] = 7;
  Write(doc.dump());
  absl::StatusOr<SimState> s = StateFile(path_).Load();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      s.status().message(),
      path_ +
          ": simulator state version 7 is not supported (this "
          "migctl reads version 1); recreate it with `migctl sim create`");
}

TEST_F(StateFileTest, MalformedFieldIsNamed) {
  nlohmann::json doc = ToJson(*NewNode("n", {"H200"}));
  doc["gpus"][0]["gpu_instances"] = {{{"id", "three"}}};
  Write(doc.dump());
  absl::StatusOr<SimState> s = StateFile(path_).Load();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            path_ +
                ": simulator state: $.gpus[0].gpu_instances[0].id must be "
                "an integer");
  doc = ToJson(*NewNode("n", {"H200"}));
  doc["gpus"][0]["model"] = "RTX-9090";
  Write(doc.dump());
  EXPECT_EQ(StateFile(path_).Load().status().message(),
            path_ +
                ": simulator state: $.gpus[0].model names unknown GPU "
                "model \"RTX-9090\" (see `migctl models`)");
}

TEST_F(StateFileTest, LockIsExclusiveUntilReleased) {
  StateFile file(path_);
  auto try_lock = [&] {
    int fd = ::open((path_ + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
    bool got = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return got;
  };
  {
    absl::StatusOr<StateFile::Lock> lock = file.Acquire();
    ASSERT_TRUE(lock.ok());
    EXPECT_FALSE(try_lock());
  }
  EXPECT_TRUE(try_lock());
}

TEST_F(StateFileTest, ConcurrentProcessesNeverLoseAnUpdate) {
  ASSERT_TRUE(StateFile(path_).Save(*NewNode("n", {"H200"})).ok());
  constexpr int kProcesses = 4;
  constexpr int kUpdates = 25;
  for (int p = 0; p < kProcesses; ++p) {
    if (::fork() == 0) {
      auto sim = SimNvml::FromFile(path_);
      for (int i = 0; i < kUpdates; ++i) {
        if (!sim->Update([](SimState& s) {
                  ++s.next_serial;
                  return absl::OkStatus();
                })
                 .ok()) {
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
  }
  for (int p = 0; p < kProcesses; ++p) {
    int status = 0;
    ::wait(&status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EXPECT_EQ(StateFile(path_).Load()->next_serial, 1u + kProcesses * kUpdates);
}

TEST_F(StateFileTest, AbortedCallLeavesTheStateBeforeTheCall) {
  SimState state = *NewNode("n", {"H100-NVL"});
  state.gpus[0].mig_current = state.gpus[0].mig_pending = true;
  state.fault = {2, nvml::Return::kUnknown, true};
  ASSERT_TRUE(StateFile(path_).Save(state).ok());
  pid_t child = ::fork();
  if (child == 0) {
    auto sim = SimNvml::FromFile(path_);
    (void)sim->CreateGpuInstance(0, 19, std::nullopt);
    (void)sim->CreateGpuInstance(0, 19, std::nullopt);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  absl::StatusOr<SimState> after = StateFile(path_).Load();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->gpus[0].gpu_instances.size(), 1u);
  EXPECT_EQ(after->mutating_calls, 2u);
  EXPECT_EQ(after->fault.countdown, 0);
  auto sim = SimNvml::FromFile(path_);
  EXPECT_TRUE(sim->CreateGpuInstance(0, 19, std::nullopt).ok());
}

}  // namespace
}  // namespace migctl::sim
