// Inputs the checkpoint fuzz target (fuzz/checkpoint_fuzz.cc) crashed on, kept
// in fuzz/regressions/checkpoint/: each is a malformed checkpoint that must be
// refused with INVALID_ARGUMENT naming the field, never an exception.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "reconcile/checkpoint.h"

namespace migctl::reconcile {
namespace {

using ::testing::HasSubstr;

TEST(CheckpointRegressionsTest, FuzzReproducersAreRefusedNamingTheField) {
  const std::filesystem::path dir =
      std::filesystem::path(MIGCTL_SOURCE_DIR) / "fuzz/regressions/checkpoint";
  // Reproducer -> the field its error must name.
  const std::map<std::string, std::string> field = {
      {"kind-is-a-number.json", "kind"},
      {"index-is-a-string.json", "index"},
      {"start-out-of-int-range.json", "start"},
  };
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    ASSERT_TRUE(field.contains(name)) << "add the new reproducer to the table";
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json doc =
        nlohmann::json::parse(text.str(), nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    absl::StatusOr<Checkpoint> checkpoint = absl::UnknownError("not run");
    EXPECT_NO_THROW(checkpoint = CheckpointFromJson(doc));
    EXPECT_EQ(checkpoint.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(checkpoint.status().message(), HasSubstr(field.at(name)));
    ++seen;
  }
  EXPECT_EQ(seen, static_cast<int>(field.size()));
}

}  // namespace
}  // namespace migctl::reconcile
