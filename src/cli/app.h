// The migctl command line: global flags, subcommand registration and the
// single place where a command's absl::Status becomes a message and an exit
// code.
#ifndef MIGCTL_CLI_APP_H_
#define MIGCTL_CLI_APP_H_

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "cli/output.h"
#include "nvml/nvml.h"

namespace migctl::cli {

// What a subcommand sees: global flags, streams, and the chosen Nvml.
struct Context {
  std::string sim_path;  // --sim STATE; empty: the real driver
  Format format = Format::kTable;
  bool verbose = false;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Set by the subcommand that was parsed; run after parsing.
  std::function<absl::Status()> action;
  // A command's status that is not an error but needs its own exit code.
  int exit_code_override = -1;

  // The simulator when --sim is given, the real driver otherwise.
  absl::StatusOr<std::unique_ptr<nvml::Nvml>> OpenNvml() const;
};

void AddGpuCommands(CLI::App& app, Context& ctx);
void AddSimCommands(CLI::App& app, Context& ctx);
void AddConfigCommands(CLI::App& app, Context& ctx);
void AddDevicePluginCommands(CLI::App& app, Context& ctx);
void AddLabelsCommands(CLI::App& app, Context& ctx);
void AddShowCommands(CLI::App& app, Context& ctx);
void AddAgentCommands(CLI::App& app, Context& ctx);
// `migctl planner`, the planner controller (cli/planner_command.cc).
void AddPlannerCommands(CLI::App& app, Context& ctx);
// Registers `completion` (and the hidden `__complete`); `app` is the root,
// whose whole tree the script is generated from when the command runs.
void AddCompletionCommands(CLI::App& app, Context& ctx);

// Runs migctl; returns its exit code.
int Run(int argc, const char* const* argv, std::ostream& out,
        std::ostream& err);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_APP_H_
