// Checkpoint files: nlohmann::json::parse (no exceptions), then
// reconcile::CheckpointFromJson, as `migctl restore` does. Invariants: errors
// are INVALID_ARGUMENT; a parsed checkpoint written with CheckpointToJson
// reads back to the same document.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "nlohmann/json.hpp"
#include "reconcile/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace reconcile = migctl::reconcile;
  const nlohmann::json doc =
      nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  absl::StatusOr<reconcile::Checkpoint> checkpoint =
      reconcile::CheckpointFromJson(doc);
  if (!checkpoint.ok()) {
    FUZZ_CHECK(checkpoint.status().code() ==
               absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const nlohmann::json written = reconcile::CheckpointToJson(*checkpoint);
  absl::StatusOr<reconcile::Checkpoint> again =
      reconcile::CheckpointFromJson(written);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(reconcile::CheckpointToJson(*again) == written);
  return 0;
}
