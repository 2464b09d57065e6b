// Shell completion scripts generated from the CLI11 command tree, so they
// always match the binary: subcommands and flags of each command, the
// choices of options checked against a fixed set (`-o table|json`), files
// for file options, and — by calling the completing `migctl` itself through
// its hidden `__complete` command — config names from the `-f` file on the
// line, GPU indices of the node (`-i`), GPU model names and profile names
// (`layouts MODEL --with P,…`). Values are completed after `--flag VALUE`
// and `--flag=VALUE` alike.
//
// Pure functions of the app; no I/O.
#ifndef MIGCTL_CLI_COMPLETION_H_
#define MIGCTL_CLI_COMPLETION_H_

#include <string>

#include "CLI/CLI.hpp"

namespace migctl::cli {

// A bash script defining and registering the `_migctl` completion function.
std::string BashCompletion(const CLI::App& app);

// A zsh script: the same function, run on zsh's words and registered with
// compdef (it runs compinit when that has not been run).
std::string ZshCompletion(const CLI::App& app);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_COMPLETION_H_
