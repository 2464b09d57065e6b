// ParseHooks on arbitrary bytes. Invariants: an error is INVALID_ARGUMENT
// starting with "<file>:"; a parsed file names only the four hooks, and
// every command is set and every env is "NAME=value".
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "config/hooks.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace config = migctl::config;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<config::HooksFile> parsed =
      config::ParseHooks(yaml, "hooks.yaml");
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(parsed.status().message(), "hooks.yaml:"));
    return 0;
  }
  for (const auto& [name, commands] : parsed->hooks) {
    FUZZ_CHECK(name == config::kApplyStart || name == config::kPreApplyMode ||
               name == config::kPreApplyConfig || name == config::kApplyExit);
    for (const config::HookCommand& c : commands) {
      FUZZ_CHECK(!c.command.empty());
      for (const std::string& env : c.envs) {
        FUZZ_CHECK(env.find('=') != std::string::npos);
      }
    }
  }
  return 0;
}
