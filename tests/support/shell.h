// RunShell: runs a command line with /bin/sh from a test and returns what it
// printed on stdout and how it exited. Redirect stderr in the command line
// (`2>&1`) to capture it too.
#ifndef MIGCTL_TESTS_SUPPORT_SHELL_H_
#define MIGCTL_TESTS_SUPPORT_SHELL_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace migctl::testing {

struct ShellResult {
  int exit_code = -1;  // -1: could not start, or did not exit normally
  std::string output;
};

inline ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    result.output.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_SHELL_H_
