// `migctl plan --cluster`: golden text and JSON for examples/
// cluster-snapshot.json (tests/golden/planner/; MIGCTL_UPDATE_GOLDEN=1
// rewrites them, then read the diff), and errors that name the culprit.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_replace.h"
#include "cli/cluster_snapshot.h"
#include "cli/run_migctl.h"
#include "gtest/gtest.h"

namespace migctl::cli {
namespace {

const std::string kSource = std::string(MIGCTL_SOURCE_DIR) + "/";
const std::string kExample = kSource + "examples/cluster-snapshot.json";

void ExpectGolden(const std::string& actual, const std::string& name) {
  const std::string path = kSource + "tests/golden/planner/" + name;
  if (const char* update = std::getenv("MIGCTL_UPDATE_GOLDEN");
      update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(actual, s.str()) << name;
}

std::string Relative(const std::string& text) {
  return absl::StrReplaceAll(text, {{kSource, ""}});
}

TEST(PlanClusterCommand, ExampleSnapshotText) {
  MigctlResult r = RunMigctl({"plan", "--cluster", kExample});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(Relative(r.out), "cluster_plan.txt");
}

TEST(PlanClusterCommand, ExampleSnapshotJson) {
  MigctlResult r = RunMigctl({"-o", "json", "plan", "--cluster", kExample});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectGolden(r.out, "cluster_plan.json");
}

TEST(PlanClusterCommand, ExcludesConfigFileFlags) {
  MigctlResult r =
      RunMigctl({"plan", "--cluster", kExample, "-f", "config.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--config-file excludes --cluster"), std::string::npos)
      << r.err;
}

TEST(PlanClusterCommand, MissingFileIsAUsageError) {
  MigctlResult r = RunMigctl({"plan", "--cluster", "/nonexistent/s.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(
      r.err,
      "migctl: error: cannot read cluster snapshot /nonexistent/s.json\n");
}

TEST(PlanClusterCommand, PlannerErrorsNameTheFile) {
  const std::string path = ::testing::TempDir() + "migctl-plan-cluster-" +
                           std::to_string(::getpid()) + ".json";
  std::ofstream(path) << R"({"nodes": [
    {"name": "a", "gpus": [{"index": 0, "model": "H100-NVL"}]},
    {"name": "a", "gpus": [{"index": 0, "model": "H100-NVL"}]}]})";
  MigctlResult r = RunMigctl({"plan", "--cluster", path});
  std::filesystem::remove(path);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "migctl: error: " + path + ": node a is listed twice\n");
}

absl::Status ParseError(const std::string& text) {
  return ParseClusterSnapshot(text, "s.json").status();
}

TEST(ClusterSnapshot, ErrorsNameFileNodeGpuAndProfile) {
  EXPECT_EQ(ParseError("[").message(), "s.json: not valid JSON");
  EXPECT_EQ(ParseError(R"({"nodes": [], "polcy": {}})").message(),
            "s.json: unknown field \"polcy\"; known: nodes, demand, policy");
  EXPECT_EQ(
      ParseError(R"({"nodes": [{"name": "a", "gpus": [{"index": 0,
          "model": "H100-NVL", "gpu_instances": [{"profile": "1g.10gb",
          "start": 0}]}]}]})")
          .message(),
      "s.json: nodes[0] (a) gpus[0] gpu_instances[0]: profile \"1g.10gb\" "
      "does not exist on H100-NVL; it has 1g.12gb, 2g.24gb, 3g.47gb, "
      "4g.47gb, 7g.94gb, 1g.12gb+me, 1g.24gb");
  EXPECT_EQ(ParseError(R"({"nodes": [{"name": "b", "gpus": [{"index": 1,
          "model": "H100-NVL", "gpu_instances": [{"profile": "2g.24gb",
          "start": 0, "size": 1}]}]}]})")
                .message(),
            "s.json: nodes[0] (b) gpus[0] gpu_instances[0]: size 1 is not "
            "the 2 slices of 2g.24gb");
  EXPECT_EQ(
      ParseError(R"({"nodes": [{"name": "c", "annotations": {}}]})").message(),
      "s.json: nodes[0] (c): \"annotations\" has no string "
      "\"migctl.dev/mig.layout\"");
  EXPECT_EQ(ParseError(R"({"nodes": [], "demand": [{"resource":
          "nvidia.com/gpu", "count": 1}]})")
                .message(),
            "s.json: demand[0]: resource \"nvidia.com/gpu\" is not "
            "nvidia.com/mig-<profile>");
}

TEST(ClusterSnapshot, IntegersOutOfRangeAreErrors) {
  EXPECT_EQ(ParseError(R"({"nodes": [{"name": "a", "gpus": []}, {"name": "b",
          "gpus": [{"index": 0, "model": "H100-NVL", "gpu_instances": [
          {"profile": "1g.12gb", "start": 4294967296}]}]}]})")
                .message(),
            "s.json: nodes[1] (b) gpus[0] gpu_instances[0]: \"start\" "
            "4294967296 is out of range [-2147483648, 2147483647]");
  EXPECT_EQ(ParseError(R"({"nodes": [{"name": "b", "gpus": [{"index":
          -2147483649, "model": "H100-NVL"}]}]})")
                .message(),
            "s.json: nodes[0] (b) gpus[0]: \"index\" -2147483649 is out of "
            "range [-2147483648, 2147483647]");
  EXPECT_EQ(ParseError(R"({"nodes": [], "demand": [{"resource":
          "nvidia.com/mig-1g.12gb", "count": 4294967297}]})")
                .message(),
            "s.json: demand[0]: \"count\" 4294967297 is out of range "
            "[-2147483648, 2147483647]");
  EXPECT_EQ(ParseError(R"({"nodes": [], "demand": [{"resource":
          "nvidia.com/mig-1g.12gb", "count": 1, "priority":
          18446744073709551615}]})")
                .message(),
            "s.json: demand[0]: \"priority\" 18446744073709551615 is out of "
            "range");
  EXPECT_EQ(ParseError(
                R"({"nodes": [], "policy": {"max_nodes_touched": 2147483648}})")
                .message(),
            "s.json: policy: \"max_nodes_touched\" 2147483648 is out of range "
            "[-2147483648, 2147483647]");
}

TEST(ClusterSnapshot, ReadsTheAgentsLayoutAnnotation) {
  absl::StatusOr<ClusterSnapshot> s = ParseClusterSnapshot(
      R"({"nodes": [{"name": "n", "annotations": {"migctl.dev/mig.layout":
      "{\"gpus\":[{\"index\":0,\"uuid\":\"GPU-1\",\"model\":\"H100-NVL\",\"mig_enabled\":true,\"gpu_instances\":[{\"profile\":\"1g.24gb\",\"start\":0,\"size\":2,\"busy\":true}]}]}"}}],
      "demand": [{"resource": "nvidia.com/mig-1g.12gb", "count": 2}]})",
      "s.json");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->cluster.nodes.size(), 1u);
  const planner::Gpu& gpu = s->cluster.nodes[0].gpus.at(0);
  EXPECT_EQ(gpu.uuid, "GPU-1");
  ASSERT_EQ(gpu.instances.size(), 1u);
  EXPECT_TRUE(gpu.instances[0].busy());
  EXPECT_EQ(s->demand.items.at(0).profile, "1g.12gb");
}

}  // namespace
}  // namespace migctl::cli
