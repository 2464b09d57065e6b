// Host GPU clients (WITH_SHUTDOWN_HOST_GPU_CLIENTS): the host's systemd
// services that use the GPUs, stopped across a MIG change and started again.
//
// HostServices is what the agent needs from systemd: whether a unit runs,
// stop it, start it, each returning once systemd's job finished. The real one
// is SystemdServices (systemd_services.h); tests also use fakes.
//
// HostClientStopper stops the listed units that run and starts exactly
// those again, last stopped first. Before stopping a unit it records it in a
// state file, so that when the agent dies mid-change the next agent starts
// them (RestartLeftovers). Not thread-safe.
#ifndef MIGCTL_AGENT_HOST_SERVICES_H_
#define MIGCTL_AGENT_HOST_SERVICES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace migctl::agent {

class HostServices {
 public:
  virtual ~HostServices() = default;
  // Active, activating or reloading; a unit systemd has not loaded is not.
  virtual absl::StatusOr<bool> IsActive(const std::string& unit) = 0;
  virtual absl::Status Stop(const std::string& unit) = 0;
  virtual absl::Status Start(const std::string& unit) = 0;
};

class HostClientStopper {
 public:
  // `state_path`: where the stopped units are remembered (a tmpfs such as
  // /run, so that a reboot forgets them: systemd starts them at boot).
  HostClientStopper(HostServices& services, std::string state_path)
      : services_(services), state_path_(std::move(state_path)) {}

  // Starts the units an earlier agent stopped and did not start again.
  absl::Status RestartLeftovers();
  // Stops each unit of `units` that runs, in order. On an error the units
  // stopped so far stay remembered: call Restart on every path.
  absl::Status Stop(const std::vector<std::string>& units);
  // Starts the stopped units in reverse order; tries every one, forgets
  // those that started and returns the first error.
  absl::Status Restart();

  const std::vector<std::string>& stopped() const { return stopped_; }

 private:
  absl::Status Save() const;

  HostServices& services_;
  const std::string state_path_;
  std::vector<std::string> stopped_;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_HOST_SERVICES_H_
