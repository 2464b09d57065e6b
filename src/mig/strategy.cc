#include "mig/strategy.h"

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

}  // namespace migctl::mig
