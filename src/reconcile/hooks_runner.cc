#include "reconcile/hooks_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"

extern char** environ;

namespace migctl::reconcile {

absl::Status ProcessRunner::Run(const config::HookCommand& command,
                                const std::vector<std::string>& env) {
  std::vector<std::string> args = {command.command};
  args.insert(args.end(), command.args.begin(), command.args.end());
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  environment.insert(environment.end(), env.begin(), env.end());
  environment.insert(environment.end(), command.envs.begin(),
                     command.envs.end());

  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(environment.size() + 1);
  for (std::string& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);

  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(error_pipe[0]);
    int err = 0;
    if (!command.workdir.empty() && ::chdir(command.workdir.c_str()) != 0) {
      err = errno;
    } else {
      ::execvpe(argv[0], argv.data(), envp.data());
      err = errno;
    }
    (void)!::write(error_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(error_pipe[1]);
  int exec_error = 0;
  bool failed_to_start =
      ::read(error_pipe[0], &exec_error, sizeof exec_error) ==
      static_cast<ssize_t>(sizeof exec_error);
  ::close(error_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string what = absl::StrJoin(args, " ");
  if (failed_to_start) {
    return absl::FailedPreconditionError(absl::StrCat(
        "`", what, "` could not start: ", std::strerror(exec_error),
        command.workdir.empty()
            ? ""
            : absl::StrCat(" (workdir ", command.workdir, ")")));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFSIGNALED(status)) {
    return absl::FailedPreconditionError(
        absl::StrCat("`", what, "` was killed by signal ", WTERMSIG(status)));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("`", what, "` exited with ", WEXITSTATUS(status)));
}

absl::Status Hooks::Run(absl::string_view name) const {
  if (file == nullptr) return absl::OkStatus();
  auto it = file->hooks.find(std::string(name));
  if (it == file->hooks.end() || it->second.empty()) return absl::OkStatus();
  spdlog::info("Running {} hook", name);
  for (const config::HookCommand& command : it->second) {
    absl::Status s = runner->Run(command, env);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("error running ", name,
                                                 " hook: ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace migctl::reconcile
