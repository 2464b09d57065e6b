// Device-plugin config files that broke the device_plugin_config fuzz
// target's invariants (fuzz/regressions/device_plugin_config/): each is
// refused with an error naming the file, line and field, and leaves the
// config as it was.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "deviceplugin/config.h"
#include "gtest/gtest.h"

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
  const std::filesystem::path dir = std::filesystem::path(MIGCTL_SOURCE_DIR) /
                                    "fuzz/regressions/device_plugin_config";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name)) << "add the reproducer to the table";
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    Config config;
    absl::Status status = ApplyConfigFile(text.str(), "dp.yaml", config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), expected.at(name));
    EXPECT_EQ(config, Config());
    ++seen;
  }
  EXPECT_EQ(seen, static_cast<int>(expected.size()));
}

}  // namespace
}  // namespace migctl::deviceplugin
