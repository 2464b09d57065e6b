// mig-parted v1 hooks files: commands run around an apply.
//
//   version: v1
//   hooks:
//     apply-start:        [{command: /bin/sh, args: [-c, "..."], envs: {A: b},
//     workdir: /}] pre-apply-mode:     [...] pre-apply-config:   [...]
//     apply-exit:         [...]
#ifndef MIGCTL_CONFIG_HOOKS_H_
#define MIGCTL_CONFIG_HOOKS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace migctl::config {

struct HookCommand {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::string> envs;  // "NAME=value"
  std::string workdir;
  friend bool operator==(const HookCommand&, const HookCommand&) = default;
};

inline constexpr absl::string_view kApplyStart = "apply-start";
inline constexpr absl::string_view kPreApplyMode = "pre-apply-mode";
inline constexpr absl::string_view kPreApplyConfig = "pre-apply-config";
inline constexpr absl::string_view kApplyExit = "apply-exit";

struct HooksFile {
  // Hook name (one of the four above) -> commands in order.
  std::map<std::string, std::vector<HookCommand>> hooks;
};

// Errors as ParseMigConfig's: "file:line:column: ...".
absl::StatusOr<HooksFile> ParseHooks(absl::string_view yaml,
                                     absl::string_view filename);
absl::StatusOr<HooksFile> LoadHooks(const std::string& path);

}  // namespace migctl::config

#endif  // MIGCTL_CONFIG_HOOKS_H_
