// The MIG strategy: how MIG devices are advertised to Kubernetes, as the
// device plugin's and GPU Feature Discovery's `--mig-strategy` name it. One
// type for the device plugin, the labels and the CLI.
#ifndef MIGCTL_MIG_STRATEGY_H_
#define MIGCTL_MIG_STRATEGY_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace migctl::mig {

// none: whole GPUs only; single: every GPU's MIG devices as nvidia.com/gpu;
// mixed: one nvidia.com/mig-<profile> resource per profile.
enum class MigStrategy { kNone, kSingle, kMixed };

absl::string_view MigStrategyName(MigStrategy s);  // "none", "single", ...
// The strategy named `name`; nullopt for anything but a MigStrategyName.
std::optional<MigStrategy> MigStrategyFromName(absl::string_view name);
// As MigStrategyFromName, for flags and config fields: INVALID_ARGUMENT
// "unknown MIG strategy \"<text>\"; use none, single or mixed" otherwise.
absl::StatusOr<MigStrategy> ParseMigStrategy(absl::string_view text);

}  // namespace migctl::mig

#endif  // MIGCTL_MIG_STRATEGY_H_
