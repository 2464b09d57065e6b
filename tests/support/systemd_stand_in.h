// SystemdStandIn: a stand-in for systemd's D-Bus API, for tests. It serves
// a private unix socket with libsystemd's sd-bus in server mode, as systemd
// serves /run/systemd/private (a direct connection, no bus daemon), and
// implements what migctl calls on org.freedesktop.systemd1.Manager at
// /org/freedesktop/systemd1:
//
//   GetUnit(s name) -> o       NoSuchUnit for a unit it does not know
//   LoadUnit(s name) -> o
//   StopUnit(s name, s mode) -> o job
//   StartUnit(s name, s mode) -> o job
//
// plus each unit's org.freedesktop.systemd1.Unit ActiveState property at
// /org/freedesktop/systemd1/unit/<escaped name>. A job moves the unit to
// "deactivating" / "activating" at once and to its final state after
// `job_duration`, then emits JobRemoved(u id, o job, s unit, s result) to
// the connection that asked, as systemd does ("done", or "failed" for a
// unit marked to fail). Every method call is recorded in order.
//
// Thread-safe; one thread per connection. Stops (closing its connections)
// when destroyed.
#ifndef MIGCTL_TESTS_SUPPORT_SYSTEMD_STAND_IN_H_
#define MIGCTL_TESTS_SUPPORT_SYSTEMD_STAND_IN_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace migctl::testing {

class SystemdStandIn {
 public:
  struct Options {
    std::string socket_path;  // <= 107 bytes
    absl::Duration job_duration = absl::ZeroDuration();
  };
  struct Unit {
    std::string active_state = "inactive";
    bool fails_to_start = false;
  };

  static absl::StatusOr<std::unique_ptr<SystemdStandIn>> Start(Options options);
  ~SystemdStandIn();
  SystemdStandIn(const SystemdStandIn&) = delete;
  SystemdStandIn& operator=(const SystemdStandIn&) = delete;

  // The D-Bus address to connect to: "unix:path=<socket_path>".
  std::string address() const;
  void AddUnit(const std::string& name, Unit unit);
  // "" for a unit it does not know.
  std::string ActiveState(const std::string& name) const;
  // "GetUnit a.service", "StopUnit a.service replace", ... in call order.
  std::vector<std::string> calls() const;

 private:
  struct Connection;
  explicit SystemdStandIn(Options options);
  void Accept();
  void Serve(Connection& c);

  const Options options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that ends Accept
  std::thread acceptor_;

  mutable std::mutex mu_;
  bool stopping_ = false;
  std::map<std::string, Unit> units_;
  std::vector<std::string> calls_;
  uint32_t next_job_ = 1;
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_SYSTEMD_STAND_IN_H_
