#include "labels/node_patch.h"

#include "gtest/gtest.h"

namespace migctl::labels {
namespace {

using nlohmann::json;

TEST(IsGfdLabelTest, OwnsGfdKeysOnly) {
  for (const char* key :
       {"nvidia.com/gpu.product", "nvidia.com/gpu.count",
        "nvidia.com/gpu.sharing-strategy", "nvidia.com/gpu.engines.ofa",
        "nvidia.com/gpu.machine", "nvidia.com/gpu.mode",
        "nvidia.com/mig-1g.12gb.count", "nvidia.com/mig-1g.12gb.me.product",
        "nvidia.com/mig-1c.3g.47gb.slices.ci", "nvidia.com/mig.capable",
        "nvidia.com/mig.strategy", "nvidia.com/mps.capable",
        "nvidia.com/cuda.driver-version.full", "nvidia.com/cuda.runtime.major",
        "nvidia.com/gfd.timestamp", "nvidia.com/vgpu.present"}) {
    EXPECT_TRUE(IsGfdLabel(key)) << key;
  }
  for (const char* key :
       {"nvidia.com/mig.config", "nvidia.com/mig.config.state",
        "nvidia.com/gpu.deploy.device-plugin", "nvidia.com/gpu.present",
        "nvidia.com/gpu.workload.config", "nvidia.com/gpu-driver-upgrade-state",
        "nvidia.com/mig-1g.12gb", "kubernetes.io/hostname",
        "example.com/gpu.product"}) {
    EXPECT_FALSE(IsGfdLabel(key)) << key;
  }
}

TEST(LabelMergePatchTest, SetsChangedAndRemovesStaleGfdLabels) {
  const Labels current = {
      {"kubernetes.io/hostname", "node-a"},
      {"nvidia.com/gpu.deploy.device-plugin", "true"},
      {"nvidia.com/mig.config", "custom-mig"},
      {"nvidia.com/mig.config.state", "success"},
      {"nvidia.com/gpu.product", "NVIDIA-H100-NVL"},
      {"nvidia.com/gpu.count", "1"},
      {"nvidia.com/mig-3g.47gb.count", "2"},
      {"nvidia.com/mig-3g.47gb.memory", "47488"},
  };
  const Labels desired = {
      {"nvidia.com/gpu.product", "NVIDIA-H100-NVL"},
      {"nvidia.com/gpu.count", "2"},
      {"nvidia.com/mig-1g.12gb.count", "7"},
  };
  EXPECT_EQ(LabelMergePatch(current, desired),
            json::parse(R"({"metadata": {"labels": {
              "nvidia.com/gpu.count": "2",
              "nvidia.com/mig-1g.12gb.count": "7",
              "nvidia.com/mig-3g.47gb.count": null,
              "nvidia.com/mig-3g.47gb.memory": null}}})"));
}

TEST(LabelMergePatchTest, NothingToDo) {
  const Labels labels = {{"nvidia.com/gpu.count", "2"},
                         {"nvidia.com/mig.config", "custom-mig"}};
  EXPECT_EQ(LabelMergePatch(labels, {{"nvidia.com/gpu.count", "2"}}),
            json::object());
}

}  // namespace
}  // namespace migctl::labels
