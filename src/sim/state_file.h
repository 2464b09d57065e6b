// StateFile: the simulated node's state on disk, shared by every process
// that simulates the node (migctl commands, the NVML shim, tests).
//
// Writes are atomic (temp file, fsync, rename, fsync of the directory), so a
// crash leaves either the old or the new state. A Lock (flock on
// "<path>.lock") serialises read-modify-write cycles across processes. A
// corrupt file or one of an unknown version is an error, never reset.
#ifndef MIGCTL_SIM_STATE_FILE_H_
#define MIGCTL_SIM_STATE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/state.h"

namespace migctl::sim {

class StateFile {
 public:
  // Exclusive hold of the state; released on destruction.
  class Lock {
   public:
    Lock(Lock&& other) noexcept;
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    ~Lock();

   private:
    friend class StateFile;
    explicit Lock(int fd) : fd_(fd) {}
    int fd_;
  };

  explicit StateFile(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // Blocks until no other process holds the lock.
  absl::StatusOr<Lock> Acquire() const;

  // NOT_FOUND when there is no file (with the command that creates one),
  // DATA_LOSS when it is not valid JSON, FromJson's errors otherwise.
  absl::StatusOr<SimState> Load() const;

  // Atomically replaces the file.
  absl::Status Save(const SimState& state) const;

 private:
  std::string path_;
};

}  // namespace migctl::sim

#endif  // MIGCTL_SIM_STATE_FILE_H_
