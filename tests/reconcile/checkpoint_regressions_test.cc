// Inputs the checkpoint fuzz target (fuzz/checkpoint_fuzz.cc) crashed on, kept
// in fuzz/regressions/checkpoint/: each is a malformed checkpoint that must be
// refused with INVALID_ARGUMENT naming the field, never an exception.
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "reconcile/checkpoint.h"
#include "support/fuzz_regressions.h"

namespace migctl::reconcile {
namespace {

using ::testing::HasSubstr;

TEST(CheckpointRegressionsTest, FuzzReproducersAreRefusedNamingTheField) {
  // Reproducer -> the field its error must name.
  const std::map<std::string, std::string> field = {
      {"kind-is-a-number.json", "kind"},
      {"index-is-a-string.json", "index"},
      {"start-out-of-int-range.json", "start"},
  };
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("checkpoint");
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(field.contains(name)) << "add the new reproducer to the table";
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    absl::StatusOr<Checkpoint> checkpoint = absl::UnknownError("not run");
    EXPECT_NO_THROW(checkpoint = CheckpointFromJson(doc));
    EXPECT_EQ(checkpoint.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(checkpoint.status().message(), HasSubstr(field.at(name)));
  }
  EXPECT_EQ(inputs.size(), field.size());
}

}  // namespace
}  // namespace migctl::reconcile
