// Runs mig-parted hooks around an apply: each command with its args, the
// apply's environment (the flags' MIG_PARTED_* variables) plus its own envs,
// in its workdir. A command that cannot start or exits non-zero fails the
// hook, naming the hook, the command and how it ended.
#ifndef MIGCTL_RECONCILE_HOOKS_RUNNER_H_
#define MIGCTL_RECONCILE_HOOKS_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "config/hooks.h"

namespace migctl::reconcile {

// Runs one command; the seam tests replace.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // `env` holds "NAME=value" entries added to the process environment.
  virtual absl::Status Run(const config::HookCommand& command,
                           const std::vector<std::string>& env) = 0;
};

// fork + execvp, waiting for the command to end.
class ProcessRunner : public CommandRunner {
 public:
  absl::Status Run(const config::HookCommand& command,
                   const std::vector<std::string>& env) override;
};

// The hooks of one apply.
struct Hooks {
  const config::HooksFile* file = nullptr;  // null: no hooks
  CommandRunner* runner = nullptr;
  std::vector<std::string> env;  // MIG_PARTED_CONFIG_FILE=… and friends

  // Runs every command of hook `name` in order; stops at the first failure.
  absl::Status Run(absl::string_view name) const;
};

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_HOOKS_RUNNER_H_
