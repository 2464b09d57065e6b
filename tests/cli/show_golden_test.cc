// Golden tests of `migctl show` and `migctl layouts`, end to end through
// cli::Run on a simulated node: the story's node after `custom-mig` (two H100
// NVL) and an A100-SXM4-40GB as in the real session transcript. The expected
// text lives in tests/golden/show/; MIGCTL_UPDATE_GOLDEN=1 rewrites it (then
// read the diff: the files are the spec).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/run_migctl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/sim_nvml.h"

namespace migctl::cli {
namespace {

using ::testing::HasSubstr;

std::string GoldenPath(const std::string& name) {
  return std::string(MIGCTL_SOURCE_DIR) + "/tests/golden/show/" + name;
}

void ExpectGolden(const std::string& actual, const std::string& name) {
  if (const char* update = std::getenv("MIGCTL_UPDATE_GOLDEN");
      update != nullptr && std::string(update) == "1") {
    std::ofstream(GoldenPath(name)) << actual;
    return;
  }
  std::ifstream in(GoldenPath(name));
  ASSERT_TRUE(in) << GoldenPath(name);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(actual, s.str()) << name;
}

class ShowGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-show-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "node.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Run(std::vector<std::string> args) {
    MigctlResult r = RunMigctl(args);
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // (GI id, CI id) of the instance at memory slice `start` of `gpu`.
  std::pair<int, int> MigDeviceAt(int gpu, int start) {
    auto nvml = sim::SimNvml::FromFile(state_);
    auto gis = nvml->ListGpuInstances(gpu);
    EXPECT_TRUE(gis.ok()) << gis.status();
    for (const nvml::GpuInstance& gi : *gis) {
      if (gi.placement.start != start) continue;
      auto cis = nvml->ListComputeInstances(gpu, gi.id);
      EXPECT_TRUE(cis.ok() && !cis->empty());
      return {gi.id, cis->front().id};
    }
    ADD_FAILURE() << "no instance at slice " << start;
    return {-1, -1};
  }

  // The story's node after `migctl apply -c custom-mig`, with a process on
  // GPU 1's 1g.24gb instance.
  void StoryNode() {
    Run({"sim", "create", state_, "--gpus", "2xH100-NVL"});
    Run({"--sim", state_, "apply", "-f",
         std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml", "-c",
         "custom-mig"});
    auto [gi, ci] = MigDeviceAt(1, 0);
    Run({"sim", "attach-process", state_, "-i", "1", "--gi", std::to_string(gi),
         "--ci", std::to_string(ci), "--pid", "4242", "--name", "python"});
  }

  // An A100-SXM4-40GB with 4g.20gb, 2g.10gb and 1g.5gb, as in
  // tests/golden/real/ssup2_a100_580_mig_session.txt.
  void A100Node() {
    Run({"sim", "create", state_, "--gpus", "1xA100-SXM4-40GB"});
    const std::string config = (dir_ / "a100.yaml").string();
    std::ofstream(config) << "version: v1\n"
                             "mig-configs:\n"
                             "  session:\n"
                             "    - devices: all\n"
                             "      mig-enabled: true\n"
                             "      mig-devices:\n"
                             "        \"4g.20gb\": 1\n"
                             "        \"2g.10gb\": 1\n"
                             "        \"1g.5gb\": 1\n";
    Run({"--sim", state_, "apply", "-f", config, "-c", "session"});
  }

  std::filesystem::path dir_;
  std::string state_;
};

TEST_F(ShowGoldenTest, StoryNode) {
  StoryNode();
  MigctlResult r = RunMigctl({"--sim", state_, "show"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(r.out, "story_show.txt");
}

TEST_F(ShowGoldenTest, StoryNodeOneGpuAsJson) {
  StoryNode();
  MigctlResult r =
      RunMigctl({"--sim", state_, "-o", "json", "show", "-i", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(r.out, "story_show_gpu1.json");
  nlohmann::json doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["free_memory_slices"], nlohmann::json({7}));
  EXPECT_EQ(doc[0]["fits"], nlohmann::json::array());
  EXPECT_EQ(doc[0]["instances"][0]["profile"], "1g.24gb");
  EXPECT_EQ(doc[0]["instances"][0]["pids"], nlohmann::json({4242}));
}

TEST_F(ShowGoldenTest, ColourOnlyWhenAsked) {
  StoryNode();
  MigctlResult plain = RunMigctl({"--sim", state_, "show", "-i", "0"});
  MigctlResult always =
      RunMigctl({"--sim", state_, "show", "-i", "0", "--color", "always"});
  EXPECT_EQ(plain.out.find('\x1b'), std::string::npos);
  EXPECT_THAT(always.out, HasSubstr("\x1b[30;42m"));
}

TEST_F(ShowGoldenTest, A100Session) {
  A100Node();
  MigctlResult r = RunMigctl({"--sim", state_, "show"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(r.out, "a100_show.txt");
}

TEST_F(ShowGoldenTest, MigDisabledGpuSaysHowToEnableIt) {
  Run({"sim", "create", state_, "--gpus", "1xH100-NVL"});
  MigctlResult r = RunMigctl({"--sim", state_, "show"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "GPU 0: NVIDIA H100 NVL (H100-NVL), MIG disabled\n"
            "  The whole GPU is one device; `migctl mig-mode enable -i 0` "
            "partitions it.\n");
}

TEST(LayoutsGoldenTest, H100NvlMaximal) {
  MigctlResult r = RunMigctl({"layouts", "H100-NVL"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2318 valid layouts, 239 of them maximal"));
  ExpectGolden(r.out, "layouts_h100nvl.txt");
}

TEST(LayoutsGoldenTest, H100NvlWithTheStoryProfiles) {
  MigctlResult r =
      RunMigctl({"layouts", "h100-nvl", "--with", "1g.24gb,1g.12gb"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(r.out, "layouts_h100nvl_with_1g.24gb_1g.12gb.txt");
}

TEST(LayoutsGoldenTest, A100Maximal) {
  MigctlResult r = RunMigctl({"layouts", "A100-SXM4-40GB"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2318 valid layouts, 239 of them maximal"));
  ExpectGolden(r.out, "layouts_a100_40gb.txt");
}

TEST(LayoutsGoldenTest, A100WithA4gAndTwo1g) {
  MigctlResult r = RunMigctl(
      {"layouts", "A100-SXM4-40GB", "--with", "4g.20gb,1g.5gb,1g.5gb"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(r.out, "layouts_a100_40gb_with_4g_2x1g.txt");
}

TEST(LayoutsGoldenTest, CountsMatchEveryLayoutInJson) {
  MigctlResult maximal = RunMigctl({"-o", "json", "layouts", "A100-SXM4-40GB"});
  MigctlResult all =
      RunMigctl({"-o", "json", "layouts", "A100-SXM4-40GB", "--all"});
  ASSERT_EQ(maximal.code, 0) << maximal.err;
  ASSERT_EQ(all.code, 0) << all.err;
  nlohmann::json m = nlohmann::json::parse(maximal.out);
  nlohmann::json a = nlohmann::json::parse(all.out);
  EXPECT_EQ(m["valid_layouts"], 2318);
  EXPECT_EQ(m["maximal_layouts"], 239);
  EXPECT_EQ(m["layouts"].size(), 239u);
  EXPECT_EQ(a["layouts"].size(), 2318u);
  EXPECT_EQ(m["layouts"][0]["instances"][0]["profile"], "7g.40gb");
}

TEST(LayoutsGoldenTest, UnknownProfileListsTheValidOnesAndExits2) {
  MigctlResult r = RunMigctl({"layouts", "H100-NVL", "--with", "1g.10gb"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "migctl: error: H100-NVL has no GPU instance profile \"1g.10gb\"; "
            "its profiles are: 1g.12gb, 2g.24gb, 3g.47gb, 4g.47gb, 7g.94gb, "
            "1g.12gb+me, 1g.24gb\n");
}

TEST(LayoutsGoldenTest, UnknownModelListsTheKnownOnesAndExits2) {
  MigctlResult r = RunMigctl({"layouts", "V100"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("migctl: error: unknown GPU model \"V100\"; "
                               "known models: A100-SXM4-40GB, "));
}

}  // namespace
}  // namespace migctl::cli
