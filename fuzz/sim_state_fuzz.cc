// The simulator's state file: nlohmann::json::parse (no exceptions), then
// sim::FromJson, as StateFile::Load does. Invariants: errors are
// INVALID_ARGUMENT or FAILED_PRECONDITION; a parsed state written with
// ToJson reads back to the same document.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "nlohmann/json.hpp"
#include "sim/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sim = migctl::sim;
  const nlohmann::json doc =
      nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  absl::StatusOr<sim::SimState> state = sim::FromJson(doc);
  if (!state.ok()) {
    FUZZ_CHECK(state.status().code() == absl::StatusCode::kInvalidArgument ||
               state.status().code() == absl::StatusCode::kFailedPrecondition);
    return 0;
  }
  const nlohmann::json written = sim::ToJson(*state);
  absl::StatusOr<sim::SimState> again = sim::FromJson(written);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(sim::ToJson(*again) == written);
  return 0;
}
