// ParseProfileName on arbitrary bytes. Invariants: a parsed name formats
// (canonical and resource form) to text that parses back equal, and the
// canonical form is a fixed point.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "mig/profile_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace mig = migctl::mig;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mig::ProfileName> parsed = mig::ParseProfileName(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!parsed.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(parsed->gpu_slices > 0);
  FUZZ_CHECK(parsed->compute_slices >= 0);
  FUZZ_CHECK(parsed->compute_slices <= parsed->gpu_slices);
  const std::string canonical = mig::FormatProfileName(*parsed);
  absl::StatusOr<mig::ProfileName> again = mig::ParseProfileName(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *parsed);
  FUZZ_CHECK(mig::FormatProfileName(*again) == canonical);
  absl::StatusOr<mig::ProfileName> resource =
      mig::ParseProfileName(mig::ResourceProfileName(*parsed));
  FUZZ_CHECK(resource.ok());
  FUZZ_CHECK(*resource == *parsed);
  return 0;
}
