// NVIDIA-style default configs (tests/config/testdata/config-default.yaml:
// all-disabled, all-enabled, all-<profile>, all-balanced, a device-filter per
// model) apply unchanged on a simulated GPU of every catalogue model, one
// after the other, and each asserts afterwards.
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "reconcile/apply.h"
#include "sim/sim_nvml.h"

namespace migctl::reconcile {
namespace {

class ShippedConfigsApplyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedConfigsApplyTest, EveryConfigForTheModelAppliesAndAsserts) {
  auto file =
      config::LoadMigConfig(std::string(MIGCTL_SOURCE_DIR) +
                            "/tests/config/testdata/config-default.yaml");
  ASSERT_TRUE(file.ok()) << file.status();
  auto node =
      sim::SimNvml::InMemory(*sim::NewNode("n", {GetParam(), GetParam()}));
  int applied = 0;
  for (const auto& [name, entries] : file->configs) {
    SCOPED_TRACE(name);
    auto plan = PlanNode(*node, *file, name);
    ASSERT_TRUE(plan.ok()) << plan.status();
    if (!plan->unmatched.empty()) continue;  // no entry for this model
    auto result = Apply(*node, *file, name, {});
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->pending());
    EXPECT_TRUE(AssertApplied(*node, *file, name, false).ok());
    ++applied;
  }
  // all-disabled, all-enabled, all-balanced and one per GPU-instance profile.
  EXPECT_EQ(applied,
            3 + static_cast<int>(mig::FindModel(GetParam())->profiles.size()));
}

std::vector<std::string> ModelKeys() {
  std::vector<std::string> keys;
  for (const mig::GpuModel& m : mig::Catalogue()) keys.push_back(m.key);
  return keys;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, ShippedConfigsApplyTest,
                         ::testing::ValuesIn(ModelKeys()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace migctl::reconcile
