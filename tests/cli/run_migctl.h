// Test helper: runs migctl in-process through cli::Run and captures what it
// printed and its exit code.
#ifndef MIGCTL_TESTS_CLI_RUN_MIGCTL_H_
#define MIGCTL_TESTS_CLI_RUN_MIGCTL_H_

#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"

namespace migctl::cli {

struct MigctlResult {
  int code = -1;
  std::string out;
  std::string err;
};

// `args` without the program name: {"--sim", "node.json", "list"}.
inline MigctlResult RunMigctl(std::vector<std::string> args) {
  args.insert(args.begin(), "migctl");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = Run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace migctl::cli

#endif  // MIGCTL_TESTS_CLI_RUN_MIGCTL_H_
