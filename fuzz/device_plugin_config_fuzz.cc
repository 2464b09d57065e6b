// The device plugin's config file (NVIDIA's k8s-device-plugin config v1, YAML
// or JSON): deviceplugin::ApplyConfigFile onto the defaults, as `migctl
// device-plugin --config-file` does. Invariants: errors are INVALID_ARGUMENT
// "dp.yaml:<line>:<col>: " and leave the config unchanged; an accepted
// config is valid, and applying the file again changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "deviceplugin/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace dp = migctl::deviceplugin;
  const std::string text(reinterpret_cast<const char*>(data), size);
  dp::Config config;
  const absl::Status status = dp::ApplyConfigFile(text, "dp.yaml", config);
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(status.message(), "dp.yaml:"));
    FUZZ_CHECK(config == dp::Config());
    return 0;
  }
  FUZZ_CHECK(dp::Validate(config).ok());
  FUZZ_CHECK(!config.device_list_strategies.empty());
  dp::Config again = config;
  FUZZ_CHECK(dp::ApplyConfigFile(text, "dp.yaml", again).ok());
  FUZZ_CHECK(again == config);
  return 0;
}
