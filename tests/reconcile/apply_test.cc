// Apply, assert and export on simulated nodes: the story end to end,
// idempotence, busy refusal, pending mode changes, and crash convergence
// (the apply killed at every mutating call, then run again).
#include "reconcile/apply.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"

namespace migctl::reconcile {
namespace {

// NVIDIA-style configs with one entry per GPU model (device-filter).
constexpr char kTransitions[] = R"(version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false
  all-1g:
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices: {"1g.5gb": 7}
    - device-filter: ["0x232110DE"]
      devices: all
      mig-enabled: true
      mig-devices: {"1g.12gb": 7}
  all-balanced:
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices: {"1g.5gb": 2, "2g.10gb": 1, "3g.20gb": 1}
    - device-filter: ["0x232110DE"]
      devices: all
      mig-enabled: true
      mig-devices: {"1g.12gb": 2, "2g.24gb": 1, "3g.47gb": 1}
  all-3g:
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices: {"3g.20gb": 2}
    - device-filter: ["0x232110DE"]
      devices: all
      mig-enabled: true
      mig-devices: {"3g.47gb": 2}
)";

// The story's config (MISSION.md), as the demo and the CLI tests use it.
config::MigConfigFile StoryConfig() {
  absl::StatusOr<config::MigConfigFile> f = config::LoadMigConfig(
      std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml");
  EXPECT_TRUE(f.ok()) << f.status();
  return *f;
}

config::MigConfigFile Parse(const char* yaml) {
  absl::StatusOr<config::MigConfigFile> f =
      config::ParseMigConfig(yaml, "test.yaml");
  EXPECT_TRUE(f.ok()) << f.status();
  return *f;
}

std::unique_ptr<sim::SimNvml> Node(std::vector<std::string> models) {
  return sim::SimNvml::InMemory(*sim::NewNode("t", models));
}

absl::StatusOr<ApplyResult> Apply(nvml::Nvml& nvml,
                                  const config::MigConfigFile& f,
                                  const std::string& name,
                                  ApplyOptions options = {}) {
  return reconcile::Apply(nvml, f, name, options);
}

TEST(ApplyTest, StoryConfigGivesTheStoryLayoutAndIsIdempotent) {
  auto node = Node({"H100-NVL", "H100-NVL"});
  config::MigConfigFile f = StoryConfig();
  auto first = Apply(*node, f, "custom-mig");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->pending());
  std::vector<std::vector<int>> profiles;
  for (int gpu : {0, 1}) {
    std::vector<int> ids;
    const std::vector<nvml::MigDevice> devices = *node->ListMigDevices(gpu);
    for (const nvml::MigDevice& d : devices) ids.push_back(d.gi_profile_id);
    profiles.push_back(ids);
  }
  EXPECT_EQ(profiles, (std::vector<std::vector<int>>{
                          {19, 19}, {15, 19, 19, 19, 19, 19}}));
  EXPECT_TRUE(AssertApplied(*node, f, "custom-mig", false).ok());

  const uint64_t calls = node->Snapshot()->mutating_calls;
  auto second = Apply(*node, f, "custom-mig");
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->plan.already_applied());
  EXPECT_EQ(node->Snapshot()->mutating_calls, calls);
}

TEST(ApplyTest, AssertNamesWhatDiffersAndUnmatchedGpus) {
  auto node = Node({"H100-NVL", "H100-NVL"});
  config::MigConfigFile f = StoryConfig();
  absl::Status s = AssertApplied(*node, f, "custom-mig", false);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              ::testing::StartsWith(
                  "MIG config \"custom-mig\" is not applied: GPU 0 "
                  "needs: enable MIG mode; create 1g.12gb at {0}:1;"));
  auto three = Node({"H100-NVL", "H100-NVL", "H100-NVL"});
  ASSERT_TRUE(Apply(*three, f, "custom-mig").ok());
  EXPECT_EQ(AssertApplied(*three, f, "custom-mig", false).message(),
            "MIG config \"custom-mig\" is not applied: GPU 2 is not matched by "
            "any entry");
}

TEST(ApplyTest, BusyInstanceStopsTheApplyBeforeAnyChange) {
  auto node = Node({"A100-SXM4-40GB"});
  config::MigConfigFile f = Parse(kTransitions);
  ASSERT_TRUE(Apply(*node, f, "all-1g").ok());
  int gi = node->ListGpuInstances(0)->front().id;
  ASSERT_TRUE(node->Update([&](sim::SimState& s) {
                    return sim::rules::AttachProcess(
                        s, 0, {31337, "train.py", 1 << 30, gi, 0});
                  })
                  .ok());
  const uint64_t calls = node->Snapshot()->mutating_calls;
  auto result = Apply(*node, f, "all-3g");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "GPU 0: GPU instance 7 (1g.5gb at {4}:1) runs processes 31337; the "
            "target has no 1g.5gb. Stop those processes, or choose a config "
            "that keeps it");
  EXPECT_EQ(node->Snapshot()->mutating_calls, calls);
}

TEST(ApplyTest, InstanceAssignedToAPodStopsTheApplyBeforeAnyChange) {
  auto node = Node({"A100-SXM4-40GB"});
  config::MigConfigFile f = Parse(kTransitions);
  ASSERT_TRUE(Apply(*node, f, "all-1g").ok());
  const int gi = node->ListGpuInstances(0)->front().id;
  ApplyOptions options;
  options.plan.pods = [&] {
    std::map<int, GpuPods> pods;
    pods[0].instances[gi] = {"ml/infer-0"};
    return pods;
  };
  const uint64_t calls = node->Snapshot()->mutating_calls;
  auto result = reconcile::Apply(*node, f, "all-3g", options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "GPU 0: GPU instance 7 (1g.5gb at {4}:1) is assigned to pod "
            "ml/infer-0; the target has no 1g.5gb. Delete that pod, or choose "
            "a config that keeps it");
  EXPECT_EQ(node->Snapshot()->mutating_calls, calls);

  // The same apply without the pod goes through.
  options.plan.pods = [] { return std::map<int, GpuPods>(); };
  ASSERT_TRUE(reconcile::Apply(*node, f, "all-3g", options).ok());
  EXPECT_GT(node->Snapshot()->mutating_calls, calls);
}

TEST(ApplyTest, ModeChangeOnABusyGpuIsReportedPending) {
  auto node = Node({"H100-NVL"});
  ASSERT_TRUE(
      node->Update([](sim::SimState& s) {
            return sim::rules::AttachProcess(s, 0, {99, "dcgm", 0, {}, {}});
          })
          .ok());
  auto result = Apply(*node, Parse(kTransitions), "all-1g");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->gpus.size(), 1u);
  EXPECT_TRUE(result->gpus[0].pending);
  EXPECT_EQ(result->gpus[0].activation, nvml::Return::kInUse);
  EXPECT_EQ(result->gpus[0].holders, std::vector<uint32_t>{99});
  EXPECT_EQ(*node->GetMigMode(0), (nvml::MigMode{false, true}));
  EXPECT_TRUE(node->ListGpuInstances(0)->empty());
}

TEST(ApplyTest, ExportRoundTripsThroughAssert) {
  auto node = Node({"H100-NVL", "H100-NVL"});
  ASSERT_TRUE(Apply(*node, StoryConfig(), "custom-mig").ok());
  auto exported = ExportConfig(*node, "current");
  ASSERT_TRUE(exported.ok());
  auto reparsed =
      config::ParseMigConfig(config::WriteMigConfig(*exported), "export.yaml");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(*reparsed, *exported);
  EXPECT_TRUE(AssertApplied(*node, *reparsed, "current", false).ok());
}

TEST(ApplyTest, StaleJournalIsClearedWhenNothingIsLeftToDo) {
  auto node = Node({"H100-NVL", "H100-NVL"});
  config::MigConfigFile f = StoryConfig();
  ASSERT_TRUE(Apply(*node, f, "custom-mig").ok());
  const std::string journal = (std::filesystem::temp_directory_path() /
                               ("migctl-stale-" + std::to_string(::getpid())))
                                  .string();
  std::ofstream(journal) << R"({"config": "custom-mig", "entries": [)"
                            R"({"gpu": 0, "operation": "x", "done": true}]})";
  ApplyOptions options;
  options.journal_path = journal;
  ASSERT_TRUE(Apply(*node, f, std::string("custom-mig"), options).ok());
  EXPECT_FALSE(std::filesystem::exists(journal));
}

// --- Crash convergence -----------------------------------------------------

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-crash-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// MIG device UUIDs by (GPU, GI placement start): the identity of kept
// instances.
std::map<std::pair<int, int>, std::string> Identities(sim::SimNvml& node) {
  std::map<std::pair<int, int>, std::string> out;
  sim::SimState s = *node.Snapshot();
  for (size_t g = 0; g < s.gpus.size(); ++g) {
    for (const sim::SimGpuInstance& gi : s.gpus[g].gpu_instances) {
      for (const sim::SimComputeInstance& ci : gi.compute_instances) {
        out[{static_cast<int>(g), gi.placement.start}] = ci.uuid;
      }
    }
  }
  return out;
}

TEST_F(CrashTest, KilledAtEveryMutatingCallTheRerunConverges) {
  const config::MigConfigFile f = Parse(kTransitions);
  const std::vector<std::string> steps = {"all-1g", "all-balanced", "all-3g",
                                          "all-balanced", "all-disabled"};
  int fault_points = 0;
  for (const char* model : {"A100-SXM4-40GB", "H100-NVL"}) {
    const std::string path = (dir_ / (std::string(model) + ".json")).string();
    ASSERT_TRUE(
        sim::StateFile(path).Save(*sim::NewNode("c", {model, model})).ok());
    for (const std::string& target : steps) {
      SCOPED_TRACE(std::string(model) + " -> " + target);
      // The clean run's number of calls, on a copy of the state.
      sim::SimState before = *sim::StateFile(path).Load();
      auto dry = sim::SimNvml::InMemory(before);
      ASSERT_TRUE(Apply(*dry, f, target).ok());
      const int calls = static_cast<int>(dry->Snapshot()->mutating_calls -
                                         before.mutating_calls);
      ASSERT_GT(calls, 0);
      std::map<std::pair<int, int>, std::string> kept_by_clean_run;
      const auto clean = Identities(*dry);
      for (const auto& [where, uuid] :
           Identities(*sim::SimNvml::InMemory(before))) {
        auto it = clean.find(where);
        if (it != clean.end() && it->second == uuid)
          kept_by_clean_run[where] = uuid;
      }
      for (int k = 1; k <= calls; ++k) {
        ASSERT_TRUE(sim::StateFile(path).Save(before).ok());
        ASSERT_TRUE(sim::SimNvml::FromFile(path)
                        ->Update([k](sim::SimState& s) {
                          s.fault = {k, nvml::Return::kUnknown, true};
                          return absl::OkStatus();
                        })
                        .ok());
        ApplyOptions options;
        options.journal_path = path + ".journal";
        pid_t child = ::fork();
        if (child == 0) {
          auto node = sim::SimNvml::FromFile(path);
          (void)Apply(*node, f, target, options);
          ::_exit(0);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "call " << k << " of " << calls << " did not crash";
        ASSERT_TRUE(std::filesystem::exists(options.journal_path)) << k;
        auto node = sim::SimNvml::FromFile(path);
        auto rerun = Apply(*node, f, target, options);
        ASSERT_TRUE(rerun.ok())
            << "after a crash at call " << k << ": " << rerun.status();
        ASSERT_TRUE(AssertApplied(*node, f, target, false).ok()) << k;
        EXPECT_FALSE(std::filesystem::exists(options.journal_path));
        // Instances the clean run keeps are never touched by a crashed one.
        const auto after = Identities(*node);
        for (const auto& [where, uuid] : kept_by_clean_run) {
          EXPECT_EQ(after.at(where), uuid)
              << "GPU " << where.first << " slot " << where.second;
        }
        ++fault_points;
      }
      // Leave the node in the target for the next step.
      ASSERT_TRUE(sim::StateFile(path).Save(*dry->Snapshot()).ok());
    }
  }
  RecordProperty("fault_points", fault_points);
  std::cout << "crash convergence: " << fault_points
            << " fault points covered\n";
  EXPECT_GE(fault_points, 100);
}

}  // namespace
}  // namespace migctl::reconcile
