// The agent's reading of malformed Node objects (the inputs of
// fuzz/regressions/node_object/): the status board ignores them, keeping
// what the last well-formed Node said, and nothing throws.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/status_board.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace migctl::agent {
namespace {

TEST(MalformedNodeTest, StatusBoardKeepsTheLastWellFormedNode) {
  StatusBoard board;
  board.ObserveNode(nlohmann::json::parse(R"({"metadata": {
      "name": "gpu-node-1",
      "labels": {"nvidia.com/mig.config": "custom-mig"},
      "annotations": {"migctl.dev/mig.config.failure": "boom"}}})"));
  const std::filesystem::path dir =
      std::filesystem::path(MIGCTL_SOURCE_DIR) / "fuzz/regressions/node_object";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json node =
        nlohmann::json::parse(text.str(), nullptr, false);
    ASSERT_FALSE(node.is_discarded());
    EXPECT_NO_THROW(board.ObserveNode(node));
    ++seen;
  }
  EXPECT_EQ(seen, 5);
  NodeStatus s = board.Snapshot();
  EXPECT_EQ(s.config_label, "custom-mig");
  EXPECT_EQ(s.failure, "boom");
}

}  // namespace
}  // namespace migctl::agent
