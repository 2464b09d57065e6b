// `migctl agent --observe-only`: beside NVIDIA's mig-manager, the agent
// applies nothing whatever nvidia.com/mig.config says, and still publishes
// the layout annotation `migctl planner` plans from (with --no-labels, no
// GPU labels).
#include <thread>

#include "agent/agent.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/state.h"
#include "simulated_cluster.h"

namespace migctl::agent {
namespace {

class ObserveOnlyTest : public SimulatedClusterTest {
 protected:
  // The whole simulated node (modes, instances, ids) as text.
  std::string SimJson() { return sim::ToJson(*nvml_->Snapshot()).dump(); }
};

TEST_F(ObserveOnlyTest, PublishesTheLayoutAndAppliesNothing) {
  options_.observe_only = true;
  options_.publish_labels = false;
  options_.layout_refresh = absl::Milliseconds(50);
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "custom-mig"}})
                  .ok());
  const std::string sim_before = SimJson();
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });

  // The annotation: both H100 NVL GPUs as they are (no instances).
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string layout;
  while (layout.empty() && absl::Now() < deadline) {
    layout = Annotation("migctl.dev/mig.layout");
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE(layout.empty());
  const nlohmann::json gpus = nlohmann::json::parse(layout)["gpus"];
  ASSERT_EQ(gpus.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(gpus[i]["index"], i);
    EXPECT_EQ(gpus[i]["model"], "H100-NVL");
    EXPECT_EQ(gpus[i]["gpu_instances"], nlohmann::json::array());
  }

  // The agent has seen the label; several loop turns later it still has
  // not acted on it (there is no event to await for "nothing happened").
  while (agent.Status().labels.count("nvidia.com/mig.config") == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(agent.Status().labels.at("nvidia.com/mig.config"), "custom-mig");
  absl::SleepFor(10 * options_.config_poll);
  EXPECT_EQ(State(), "");
  EXPECT_EQ(SimJson(), sim_before);
  // --no-labels: no GPU labels either.
  EXPECT_EQ(Label("nvidia.com/gpu.product"), "");
  EXPECT_EQ(Label("nvidia.com/mig.strategy"), "");
}

}  // namespace
}  // namespace migctl::agent
