// Golden tests: migctl's nvidia-smi-compatible output against MISSION.md's
// story and against real nvidia-smi transcripts (tests/golden/real/).
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/gpu_views.h"
#include "cli/smi_format.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "sim/sim_nvml.h"

namespace migctl::cli {
namespace {

std::string ReadGolden(const std::string& name) {
  std::ifstream in(std::string(MIGCTL_SOURCE_DIR) + "/tests/golden/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Drops the "rc=N" line the capture script appended to nvidia-smi's output.
std::string WithoutRcLine(std::string text) {
  return std::regex_replace(text, std::regex("rc=[0-9]+\n$"), "");
}

std::string MaskUuids(const std::string& text) {
  return std::regex_replace(text,
                            std::regex("(GPU|MIG)-[0-9a-f]{8}-[0-9a-f]{4}-[0-"
                                       "9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                            "$1-…");
}

std::unique_ptr<sim::SimNvml> Node(const std::vector<std::string>& models) {
  absl::StatusOr<sim::SimState> state = sim::NewNode("golden", models);
  EXPECT_TRUE(state.ok()) << state.status();
  return sim::SimNvml::InMemory(*state);
}

// Creates a GI of `profile` (lowest free placement) with its default CI.
int CreateInstance(nvml::Nvml& nvml, int gpu, const std::string& profile) {
  absl::StatusOr<nvml::DeviceInfo> info = nvml.GetDevice(gpu);
  const mig::GpuModel* model = mig::FindModelByProductName(info->name);
  const mig::GpuInstanceProfile* p = model->FindProfileByName(profile);
  EXPECT_NE(p, nullptr) << profile;
  absl::StatusOr<nvml::GpuInstance> gi =
      nvml.CreateGpuInstance(gpu, p->id, std::nullopt);
  EXPECT_TRUE(gi.ok()) << gi.status();
  absl::StatusOr<nvml::ComputeInstance> ci =
      nvml.CreateComputeInstance(gpu, gi->id, p->FullComputeProfile()->id);
  EXPECT_TRUE(ci.ok()) << ci.status();
  return gi->id;
}

// The story's node after `custom-mig`: GPU 0 2×1g.12gb, GPU 1 1g.24gb +
// 5×1g.12gb.
std::unique_ptr<sim::SimNvml> StoryNode() {
  auto nvml = Node({"H100-NVL", "H100-NVL"});
  for (int gpu : {0, 1})
    EXPECT_EQ(*nvml->SetMigMode(gpu, true), nvml::Return::kSuccess);
  for (int i = 0; i < 2; ++i) CreateInstance(*nvml, 0, "1g.12gb");
  CreateInstance(*nvml, 1, "1g.24gb");
  for (int i = 0; i < 5; ++i) CreateInstance(*nvml, 1, "1g.12gb");
  return nvml;
}

TEST(StoryGoldenTest, ListMatchesMissionListing) {
  auto nvml = StoryNode();
  absl::StatusOr<std::vector<GpuLine>> gpus = ReadDeviceList(*nvml);
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  EXPECT_EQ(MaskUuids(FormatDeviceList(*gpus)), ReadGolden("story_list.txt"));
}

TEST(StoryGoldenTest, ProfilesMatchMissionTable) {
  auto nvml = Node({"H100-NVL", "H100-NVL"});
  ASSERT_EQ(*nvml->SetMigMode(0, true), nvml::Return::kSuccess);
  auto rows = ReadGpuInstanceProfiles(*nvml, {0});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(FormatGpuInstanceProfiles(*rows),
            ReadGolden("h100nvl_lgip_gpu0.txt"));
}

TEST(StoryGoldenTest, ProfilesShowRemainingCapacityOfTheStoryLayout) {
  auto nvml = StoryNode();
  auto rows = ReadGpuInstanceProfiles(*nvml, {1});
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::pair<std::string, std::string>> free_total;
  for (const auto& r : *rows) {
    free_total.emplace_back(
        r.name, std::to_string(r.free) + "/" + std::to_string(r.total));
  }
  // 1g.24gb at {0}:2 and 1g.12gb at 2..6: only memory slice 7 is left, and
  // no profile can be placed there.
  EXPECT_EQ(free_total, (std::vector<std::pair<std::string, std::string>>{
                            {"1g.12gb", "0/7"},
                            {"1g.12gb+me", "0/1"},
                            {"1g.24gb", "0/4"},
                            {"2g.24gb", "0/3"},
                            {"3g.47gb", "0/2"},
                            {"4g.47gb", "0/1"},
                            {"7g.94gb", "0/1"}}));
}

TEST(RealH200GoldenTest, ProfilesPlacementsAndListMatchNvidiaSmi) {
  auto nvml = Node({"H200"});
  auto gips = ReadGpuInstanceProfiles(*nvml, {0});
  ASSERT_TRUE(gips.ok()) << gips.status();
  EXPECT_EQ(FormatGpuInstanceProfiles(*gips),
            WithoutRcLine(ReadGolden("real/h200_lgip.txt")));
  auto placements = ReadPlacements(*nvml, {0});
  ASSERT_TRUE(placements.ok()) << placements.status();
  EXPECT_EQ(FormatPlacements(*placements),
            WithoutRcLine(ReadGolden("real/h200_lgipp.txt")));
  auto list = ReadDeviceList(*nvml);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(MaskUuids(FormatDeviceList(*list)),
            MaskUuids(ReadGolden("real/h200_L.txt")));
}

// Splits a transcript into the outputs of its "$ command" lines, in order.
std::vector<std::pair<std::string, std::string>> Transcript(
    const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("$ ", 0) == 0) {
      out.emplace_back(line.substr(2), "");
    } else if (!out.empty() && !line.empty()) {
      out.back().second += line + "\n";
    }
  }
  return out;
}

// Replays an A100-SXM4-40GB session on driver 580 (GI 4g.20gb, 2g.10gb,
// 1g.5gb; CIs in them) and compares every -lgip, -lcip and -L output.
TEST(RealA100GoldenTest, ReplaysTheSessionTranscript) {
  auto session = Transcript(ReadGolden("real/ssup2_a100_580_mig_session.txt"));
  auto nvml = Node({"A100-SXM4-40GB"});
  ASSERT_EQ(*nvml->SetMigMode(0, true), nvml::Return::kSuccess);
  const mig::GpuModel& a100 = *mig::FindModel("A100-SXM4-40GB");
  int compared = 0;
  for (const auto& [command, expected] : session) {
    SCOPED_TRACE(command);
    std::smatch m;
    if (command == "nvidia-smi mig -i 0 -lgip") {
      auto rows = ReadGpuInstanceProfiles(*nvml, {0});
      ASSERT_TRUE(rows.ok());
      EXPECT_EQ(FormatGpuInstanceProfiles(*rows), expected);
      ++compared;
    } else if (std::regex_match(
                   command, m, std::regex("nvidia-smi mig -i 0 -cgi (\\S+)"))) {
      const mig::GpuInstanceProfile* p = a100.FindProfileByName(m[1].str());
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(nvml->CreateGpuInstance(0, p->id, std::nullopt).ok());
    } else if (std::regex_match(
                   command, m,
                   std::regex("nvidia-smi mig -i 0 -gi (\\d+) -lcip"))) {
      auto rows = ReadComputeProfiles(*nvml, {0}, std::stoi(m[1].str()));
      ASSERT_TRUE(rows.ok()) << rows.status();
      EXPECT_EQ(FormatComputeProfiles(*rows), expected);
      ++compared;
    } else if (std::regex_match(
                   command, m,
                   std::regex("nvidia-smi mig -i 0 -gi (\\d+) -cci ?(\\S*)"))) {
      int gi = std::stoi(m[1].str());
      auto rows = ReadComputeProfiles(*nvml, {0}, gi);
      ASSERT_TRUE(rows.ok());
      int ci_profile = -1;
      for (const auto& r : *rows) {
        if (m[2].str().empty() ? r.is_default : r.name == m[2].str())
          ci_profile = r.id;
      }
      ASSERT_GE(ci_profile, 0);
      ASSERT_TRUE(nvml->CreateComputeInstance(0, gi, ci_profile).ok());
    } else if (command == "nvidia-smi -L") {
      auto list = ReadDeviceList(*nvml);
      ASSERT_TRUE(list.ok());
      std::string gpu0 = expected.substr(0, expected.find("\nGPU 1:") + 1);
      EXPECT_EQ(MaskUuids(FormatDeviceList(*list)), MaskUuids(gpu0));
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12);
  // GI ids as the driver gave them: nvidia-smi mig -lgi in the transcript.
  auto gis = nvml->ListGpuInstances(0);
  ASSERT_TRUE(gis.ok());
  std::vector<std::tuple<int, int, int, int>> seen;
  for (const auto& gi : *gis) {
    seen.emplace_back(gi.id, gi.profile_id, gi.placement.start,
                      gi.placement.size);
  }
  EXPECT_EQ(seen, (std::vector<std::tuple<int, int, int, int>>{
                      {2, 5, 0, 4}, {3, 14, 4, 2}, {9, 19, 6, 1}}));
}

TEST(MigModeMessageTest, MatchesNvidiaSmiWording) {
  EXPECT_EQ(
      FormatMigModeChange("00000000:36:00.0", true, nvml::Return::kSuccess),
      "Enabled MIG Mode for GPU 00000000:36:00.0\nAll done.\n");
  EXPECT_EQ(
      FormatMigModeChange("00000000:07:00.0", true, nvml::Return::kInUse),
      "Warning: MIG mode is in pending enable state for GPU "
      "00000000:07:00.0:In use by another client\n"
      "00000000:07:00.0 is currently being used by one or more other processes "
      "(e.g. CUDA application or a monitoring application such as another "
      "instance of nvidia-smi). Please first kill all processes using the "
      "device and retry the command or reboot the system to make MIG mode "
      "effective.\nAll done.\n");
  EXPECT_EQ(FormatMigModeChange("00000000:00:03.0", true,
                                nvml::Return::kNotSupported),
            "Warning: MIG mode is in pending enable state for GPU "
            "00000000:00:03.0:Not Supported\n"
            "Reboot the system or try nvidia-smi --gpu-reset to make MIG mode "
            "effective on GPU 00000000:00:03.0\nAll done.\n");
}

}  // namespace
}  // namespace migctl::cli
