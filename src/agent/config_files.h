// The agent's mig-parted v1 config files (`--config-file`, given once or
// more: the user's ConfigMap and the planner's, each a mounted file) read as
// one config file. A config name may be defined in one file only. A file that
// does not exist yet (a ConfigMap volume before the kubelet's first sync)
// holds no configs; the caller decides whether that is worth waiting for.
#ifndef MIGCTL_AGENT_CONFIG_FILES_H_
#define MIGCTL_AGENT_CONFIG_FILES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "config/mig_config.h"

namespace migctl::agent {

// Every file's configs, in file order, and why the missing files could not
// be read (NOT_FOUND, as config::LoadMigConfig words it).
struct MergedConfigs {
  config::MigConfigFile file;
  std::vector<absl::Status> missing;
};

// Reads and merges `paths`. INVALID_ARGUMENT when a file does not parse (the
// parser's file:line:column message) or when a config name is in two files
// (naming both files and the name); other read errors as the reader gives
// them.
absl::StatusOr<MergedConfigs> LoadMigConfigs(
    const std::vector<std::string>& paths);

// Why `name` is in none of `paths`: NOT_FOUND listing the configs there are
// and the read errors of the missing files; when every file is missing, the
// first one's read error (one file: as config::LoadMigConfig says it).
absl::Status ConfigNotFound(const MergedConfigs& configs,
                            const std::vector<std::string>& paths,
                            absl::string_view name);

// "a" or "a, b": the files as messages name them.
std::string JoinPaths(const std::vector<std::string>& paths);

// Each file's modification time (nullopt when it cannot be read), to notice
// when one changes.
std::vector<std::optional<absl::Time>> ConfigFileTimes(
    const std::vector<std::string>& paths);

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_CONFIG_FILES_H_
