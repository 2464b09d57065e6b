// Test fixture: a Kubernetes API stand-in on 127.0.0.1 holding one Node,
// gpu-node-1, a simulated node with two H100 NVL GPUs in a state file, a
// client for the API, and AgentOptions set up for fast, bounded tests.
#ifndef MIGCTL_TESTS_AGENT_SIMULATED_CLUSTER_H_
#define MIGCTL_TESTS_AGENT_SIMULATED_CLUSTER_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "agent/agent.h"
#include "gtest/gtest.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "support/api_server.h"

namespace migctl::agent {

class SimulatedClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Short: device-plugin sockets live below it (unix paths <= 107 bytes).
    const std::string test =
        ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = std::filesystem::temp_directory_path() /
           ("mc-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::hash<std::string>{}(test) % 100000));
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(api_.Start().ok());
    kubeconfig_ = (dir_ / "kubeconfig").string();
    ASSERT_TRUE(api_.WriteKubeconfig(kubeconfig_).ok());
    ASSERT_TRUE(api_.AddNode("gpu-node-1").ok());
    state_ = (dir_ / "node.json").string();
    ASSERT_TRUE(sim::StateFile(state_)
                    .Save(*sim::NewNode("gpu-node-1", {"H100-NVL", "H100-NVL"}))
                    .ok());
    client_ = *kube::Client::FromKubeconfig(kubeconfig_);
    nvml_ = sim::SimNvml::FromFile(state_);
    options_.node_name = "gpu-node-1";
    options_.health_port = -1;
    options_.labels.mig_strategy = labels::MigStrategy::kMixed;
    options_.collect.machine_type_file = "";
    options_.retry_initial = absl::Milliseconds(200);
    options_.config_poll = absl::Milliseconds(100);
    options_.reconfigure.config_paths = {std::string(MIGCTL_SOURCE_DIR) +
                                         "/examples/custom-mig.yaml"};
    options_.reconfigure.apply.journal_path = state_ + ".journal";
    options_.reconfigure.poll_interval = absl::Milliseconds(20);
  }
  void TearDown() override {
    api_.Stop();
    std::filesystem::remove_all(dir_);
  }

  std::map<std::string, std::string> NodeLabels() {
    std::map<std::string, std::string> out;
    auto node = api_.GetObject("nodes", "", "gpu-node-1");
    for (const auto& [k, v] : (*node)["metadata"]["labels"].items()) out[k] = v;
    return out;
  }
  std::string Label(const std::string& key) {
    auto labels = NodeLabels();
    return labels.contains(key) ? labels[key] : "";
  }
  std::string Annotation(const std::string& key) {
    auto node = api_.GetObject("nodes", "", "gpu-node-1");
    const auto& meta = (*node)["metadata"];
    if (!meta.contains("annotations") || !meta["annotations"].contains(key)) {
      return "";
    }
    return meta["annotations"][key].get<std::string>();
  }
  std::string State() { return Label("nvidia.com/mig.config.state"); }
  // Waits (bounded) until the state label is `want`; returns the last seen.
  std::string WaitForState(const std::string& want,
                           absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string state;
    while (absl::Now() < deadline) {
      state = State();
      if (state == want) return state;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return state;
  }

  testing::ApiServer api_;
  std::filesystem::path dir_;
  std::string kubeconfig_;
  std::string state_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<sim::SimNvml> nvml_;
  AgentOptions options_;
};

}  // namespace migctl::agent

#endif  // MIGCTL_TESTS_AGENT_SIMULATED_CLUSTER_H_
