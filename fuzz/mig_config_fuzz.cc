// ParseMigConfig on arbitrary bytes. Invariants: an error is
// INVALID_ARGUMENT starting with "<file>:<line>:<col>: "; a parsed config
// written back with WriteMigConfig parses again, equal.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "config/mig_config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using migctl::config::MigConfigFile;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<MigConfigFile> parsed =
      migctl::config::ParseMigConfig(yaml, "fuzz.yaml");
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(parsed.status().message(), "fuzz.yaml:"));
    return 0;
  }
  const std::string written = migctl::config::WriteMigConfig(*parsed);
  absl::StatusOr<MigConfigFile> again =
      migctl::config::ParseMigConfig(written, "written.yaml");
  if (!again.ok()) {
    std::fprintf(stderr, "re-parse failed: %s\n--- written ---\n%s",
                 std::string(again.status().message()).c_str(),
                 written.c_str());
  }
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *parsed);
  FUZZ_CHECK(migctl::config::WriteMigConfig(*again) == written);
  return 0;
}
