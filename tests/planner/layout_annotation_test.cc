#include "planner/layout_annotation.h"

#include <string>

#include "gtest/gtest.h"
#include "mig/layout.h"

namespace migctl::planner {
namespace {

TEST(LayoutAnnotation, ReadsWhatTheAgentPublishes) {
  // As agent.cc writes it (nlohmann's dump: keys sorted).
  absl::StatusOr<std::vector<Gpu>> gpus = ParseLayoutAnnotation(
      R"({"gpus":[{"gpu_instances":[{"busy":true,"profile":"1g.24gb",)"
      R"("size":2,"start":0},{"busy":false,"profile":"1g.12gb","size":1,)"
      R"("start":2}],"index":0,"mig_enabled":true,"model":"H100-NVL",)"
      R"("uuid":"GPU-0"},{"gpu_instances":[],"index":1,)"
      R"("mig_enabled":false,"model":"H100-NVL","uuid":"GPU-1"}]})",
      "node a");
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  ASSERT_EQ(gpus->size(), 2);
  const Gpu& g0 = (*gpus)[0];
  EXPECT_EQ(g0.index, 0);
  EXPECT_EQ(g0.uuid, "GPU-0");
  EXPECT_EQ(g0.model->key, "H100-NVL");
  EXPECT_TRUE(g0.mig_enabled);
  mig::Layout layout;
  for (const Instance& i : g0.instances) layout.push_back(i.gi);
  EXPECT_EQ(mig::DescribeLayout(*g0.model, layout), "1g.24gb@0 1g.12gb@2");
  EXPECT_TRUE(g0.instances[0].busy());
  EXPECT_FALSE(g0.instances[1].busy());
  EXPECT_FALSE((*gpus)[1].mig_enabled);
  EXPECT_TRUE((*gpus)[1].instances.empty());
}

std::string Error(const char* value, const std::string& where) {
  return std::string(ParseLayoutAnnotation(value, where).status().message());
}

TEST(LayoutAnnotation, ErrorsNameThePlace) {
  EXPECT_EQ(Error("{", "node a"),
            "node a: migctl.dev/mig.layout is not JSON with \"gpus\"");
  EXPECT_EQ(Error(R"({"gpus":{}})", "node a"),
            "node a migctl.dev/mig.layout: \"gpus\" must be a list");
  EXPECT_EQ(Error(R"({"gpus":[{"index":0,"model":"H100-NVL","gpu_instances":[)"
                  R"({"profile":"1g.10gb","start":0}]}]})",
                  "node a"),
            "node a migctl.dev/mig.layout gpus[0] gpu_instances[0]: profile "
            "\"1g.10gb\" does not exist on H100-NVL; it has 1g.12gb, 2g.24gb, "
            "3g.47gb, 4g.47gb, 7g.94gb, 1g.12gb+me, 1g.24gb");
  EXPECT_EQ(
      Error(R"({"gpus":[{"index":0,"model":"H100-NVL","colour":1}]})", ""),
      "migctl.dev/mig.layout gpus[0]: unknown field \"colour\"; known: "
      "index, uuid, model, mig_enabled, pods, gpu_instances");
  EXPECT_EQ(Error(R"({"gpus":[{"index":0,"model":"H100-NVL","gpu_instances":[)"
                  R"({"profile":"2g.24gb","start":0},)"
                  R"({"profile":"1g.12gb","start":1}]}]})",
                  "node a"),
            "node a migctl.dev/mig.layout gpus[0]: current layout is not "
            "valid on H100-NVL: 1g.12gb at {1}:1 overlaps another GPU "
            "instance");
  EXPECT_EQ(Error(R"({"gpus":[{"index":0,"model":"H100-NVL","gpu_instances":[)"
                  R"({"profile":"1g.12gb","start":7}]}]})",
                  "node a"),
            "node a migctl.dev/mig.layout gpus[0]: current layout is not "
            "valid on H100-NVL: 1g.12gb cannot be placed at {7}:1 on NVIDIA "
            "H100 NVL");
  EXPECT_EQ(
      Error(R"({"gpus":[{"index":0,"model":"H100-NVL","mig_enabled":)"
            R"(false,"gpu_instances":[{"profile":"1g.12gb","start":0}]}]})",
            "node a"),
      "node a migctl.dev/mig.layout gpus[0]: MIG is disabled but GPU "
      "instances are listed");
}

}  // namespace
}  // namespace migctl::planner
