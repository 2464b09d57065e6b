// The agent's reading of malformed Node objects (the inputs of
// fuzz/regressions/node_object/): the status board ignores them, keeping
// what the last well-formed Node said, and nothing throws.

#include <map>
#include <string>

#include "agent/status_board.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "support/fuzz_regressions.h"

namespace migctl::agent {
namespace {

TEST(MalformedNodeTest, StatusBoardKeepsTheLastWellFormedNode) {
  StatusBoard board;
  board.ObserveNode(nlohmann::json::parse(R"({"metadata": {
      "name": "gpu-node-1",
      "labels": {"nvidia.com/mig.config": "custom-mig"},
      "annotations": {"migctl.dev/mig.config.failure": "boom"}}})"));
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("node_object");
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    const nlohmann::json node = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(node.is_discarded());
    EXPECT_NO_THROW(board.ObserveNode(node));
  }
  EXPECT_EQ(inputs.size(), 5u);
  NodeStatus s = board.Snapshot();
  EXPECT_EQ(s.config_label, "custom-mig");
  EXPECT_EQ(s.failure, "boom");
}

}  // namespace
}  // namespace migctl::agent
