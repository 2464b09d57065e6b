#include "sim/state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace migctl::sim {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

StateFile::Lock::Lock(Lock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

StateFile::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<StateFile::Lock> StateFile::Acquire() const {
  std::string lock_path = path_ + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open lock file", lock_path);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    absl::Status s = Errno("cannot lock", lock_path);
    ::close(fd);
    return s;
  }
  return Lock(fd);
}

absl::StatusOr<SimState> StateFile::Load() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path_)) {
      return absl::NotFoundError(absl::StrCat("simulated node ", path_,
                                              " does not exist; create it with "
                                              "`migctl sim create ",
                                              path_, " --gpu H100-NVL`"));
    }
    return Errno("cannot read", path_);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(buffer.str(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::DataLossError(absl::StrCat(
        "simulator state ", path_,
        " is corrupt (not valid JSON); it was left "
        "as it is — restore it or recreate it with `migctl sim create`"));
  }
  absl::StatusOr<SimState> state = FromJson(doc);
  if (!state.ok()) {
    return absl::Status(state.status().code(),
                        absl::StrCat(path_, ": ", state.status().message()));
  }
  return state;
}

absl::Status StateFile::Save(const SimState& state) const {
  std::filesystem::path target(path_);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string temp =
      (dir / ("." + target.filename().string() + ".tmp")).string();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", temp);
  absl::Status written = WriteAll(fd, ToJson(state).dump(2) + "\n", temp);
  if (written.ok() && ::fsync(fd) != 0) written = Errno("cannot fsync", temp);
  ::close(fd);
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  if (::rename(temp.c_str(), path_.c_str()) != 0) {
    absl::Status s = Errno("cannot replace", path_);
    ::unlink(temp.c_str());
    return s;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace migctl::sim
