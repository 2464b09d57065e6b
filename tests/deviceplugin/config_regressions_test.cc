// Device-plugin config files that broke the device_plugin_config fuzz
// target's invariants (fuzz/regressions/device_plugin_config/): each is
// refused with an error naming the file, line and field, and leaves the
// config as it was.
#include <map>
#include <string>

#include "deviceplugin/config.h"
#include "gtest/gtest.h"
#include "support/fuzz_regressions.h"

namespace migctl::deviceplugin {
namespace {

TEST(DevicePluginConfigRegressionsTest, RefusedNamingTheFileAndUnchanged) {
  const std::map<std::string, std::string> expected = {
      {"unknown-list-strategy.yaml",
       "dp.yaml:4:25: flags.plugin.deviceListStrategy: deviceListStrategy "
       "\"nfs\" is not one of envvar, volume-mounts, cdi-annotations, "
       "cdi-cri"},
      {"error-after-a-good-field.yaml",
       "dp.yaml:5:23: flags.plugin.deviceIDStrategy: deviceIDStrategy "
       "\"serial\" is not a device ID strategy (uuid, index)"},
  };
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("device_plugin_config");
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name)) << "add the reproducer to the table";
    Config config;
    absl::Status status = ApplyConfigFile(text, "dp.yaml", config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), expected.at(name));
    EXPECT_EQ(config, Config());
  }
  EXPECT_EQ(inputs.size(), expected.size());
}

}  // namespace
}  // namespace migctl::deviceplugin
