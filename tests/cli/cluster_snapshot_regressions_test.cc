// Inputs that broke the cluster_snapshot fuzz target
// (fuzz/regressions/cluster_snapshot/, none so far): each still parses, or
// is refused with INVALID_ARGUMENT naming the file, without an exception.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cluster_snapshot.h"
#include "gtest/gtest.h"

namespace migctl::cli {
namespace {

TEST(ClusterSnapshotRegressionsTest, ReadWithoutCrashOrWithAnError) {
  const std::filesystem::path dir = std::filesystem::path(MIGCTL_SOURCE_DIR) /
                                    "fuzz/regressions/cluster_snapshot";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no reproducers yet";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<ClusterSnapshot> s = absl::UnknownError("not run");
    EXPECT_NO_THROW(s = ParseClusterSnapshot(text.str(), "c.json"));
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(s.status().message().substr(0, 8), "c.json: ");
    }
  }
}

}  // namespace
}  // namespace migctl::cli
