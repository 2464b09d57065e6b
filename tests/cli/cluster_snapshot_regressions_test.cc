// Inputs that broke the cluster_snapshot fuzz target
// (fuzz/regressions/cluster_snapshot/, none so far): each still parses, or
// is refused with INVALID_ARGUMENT naming the file, without an exception.

#include <map>
#include <string>

#include "cli/cluster_snapshot.h"
#include "gtest/gtest.h"
#include "support/fuzz_regressions.h"

namespace migctl::cli {
namespace {

TEST(ClusterSnapshotRegressionsTest, ReadWithoutCrashOrWithAnError) {
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("cluster_snapshot");
  if (inputs.empty()) GTEST_SKIP() << "no reproducers yet";
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    absl::StatusOr<ClusterSnapshot> s = absl::UnknownError("not run");
    EXPECT_NO_THROW(s = ParseClusterSnapshot(text, "c.json"));
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(s.status().message().substr(0, 8), "c.json: ");
    }
  }
}

}  // namespace
}  // namespace migctl::cli
