// SystemdServices: HostServices over systemd's D-Bus API, with libsystemd's
// sd-bus. Units are stopped and started with
// org.freedesktop.systemd1.Manager.StopUnit / StartUnit in mode "replace";
// each call returns once systemd announced the end of the job with the
// Manager's JobRemoved signal (an error unless its result is "done"), or
// fails after `job_timeout`. Whether a unit runs is its
// org.freedesktop.systemd1.Unit ActiveState (GetUnit: a unit systemd has
// not loaded does not run).
//
// Where: with no address, the system bus (sd-bus honours
// DBUS_SYSTEM_BUS_ADDRESS); with one, a direct connection to systemd's
// private socket without a bus daemon, as systemctl uses as root:
// "unix:path=/run/systemd/private". It connects on first use and again
// after the connection broke. Not thread-safe.
#ifndef MIGCTL_AGENT_SYSTEMD_SERVICES_H_
#define MIGCTL_AGENT_SYSTEMD_SERVICES_H_

#include <string>

#include "absl/time/time.h"
#include "agent/host_services.h"

struct sd_bus;

namespace migctl::agent {

class SystemdServices : public HostServices {
 public:
  explicit SystemdServices(std::string address = "",
                           absl::Duration job_timeout = absl::Minutes(2));
  ~SystemdServices() override;
  SystemdServices(const SystemdServices&) = delete;
  SystemdServices& operator=(const SystemdServices&) = delete;

  absl::StatusOr<bool> IsActive(const std::string& unit) override;
  absl::Status Stop(const std::string& unit) override;
  absl::Status Start(const std::string& unit) override;

 private:
  absl::Status Connect();
  // Runs Manager.`method`(unit, "replace") and waits for its job.
  absl::Status RunJob(const char* method, const std::string& unit);

  const std::string address_;
  const absl::Duration job_timeout_;
  ::sd_bus* bus_ = nullptr;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_SYSTEMD_SERVICES_H_
