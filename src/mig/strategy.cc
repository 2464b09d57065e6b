#include "mig/strategy.h"

#include "absl/strings/str_cat.h"

namespace migctl::mig {

absl::string_view MigStrategyName(MigStrategy s) {
  switch (s) {
    case MigStrategy::kNone:
      return "none";
    case MigStrategy::kSingle:
      return "single";
    case MigStrategy::kMixed:
      return "mixed";
  }
  return "none";
}

std::optional<MigStrategy> MigStrategyFromName(absl::string_view name) {
  for (MigStrategy s :
       {MigStrategy::kNone, MigStrategy::kSingle, MigStrategy::kMixed}) {
    if (name == MigStrategyName(s)) return s;
  }
  return std::nullopt;
}

absl::StatusOr<MigStrategy> ParseMigStrategy(absl::string_view text) {
  if (std::optional<MigStrategy> s = MigStrategyFromName(text)) return *s;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown MIG strategy \"", text, "\"; use none, single or mixed"));
}

}  // namespace migctl::mig
