// nvml::Library: the Nvml interface over the NVIDIA driver's NVML.
//
// Loads libnvidia-ml.so.1 with dlopen at run time (migctl has no link-time
// dependency on the driver) and resolves only the entry points listed in
// nvml/entry_points.h. Versioned calls are preferred (nvmlInit_v2,
// ...ProfileInfoV with v3 then v2 structs, ...PossiblePlacements_v2) with a
// fallback to the older symbol when a driver lacks the newer one; a call
// whose symbols are all missing fails with FUNCTION_NOT_FOUND. Every failure
// is an nvml::NvmlError carrying the NVML code, the driver's
// nvmlErrorString text and the call, GPU and instance it concerns.
//
// The library is initialised (nvmlInit_v2) by Open and shut down and
// unloaded on destruction. GPU reset is not part of NVML: ResetGpu reports
// NOT_SUPPORTED with the nvidia-smi command to use. Not thread-safe, like
// every Nvml.
#ifndef MIGCTL_NVML_LIBRARY_H_
#define MIGCTL_NVML_LIBRARY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nvml/abi.h"
#include "nvml/nvml.h"

namespace migctl::nvml {

class Library : public Nvml {
 public:
  struct Options {
    // Tried in order; the first that loads wins. Empty: DefaultPaths().
    std::vector<std::string> paths;
    // Entry points to treat as missing, to test the fallbacks.
    std::vector<std::string> hidden_symbols_for_test;
  };

  // "libnvidia-ml.so.1" (the loader's search path, LD_LIBRARY_PATH
  // included), then where drivers and driver containers put it.
  static std::vector<std::string> DefaultPaths();

  // UNAVAILABLE "no NVIDIA driver found (libnvidia-ml.so.1): ..." when no
  // path loads; the NVML error of nvmlInit_v2 when the driver refuses.
  static absl::StatusOr<std::unique_ptr<Library>> Open(Options options = {});
  // Loads exactly `path` (e.g. the simulator's libnvidia-ml.so.1).
  static absl::StatusOr<std::unique_ptr<Library>> OpenForTest(
      std::string path, std::vector<std::string> hidden_symbols = {});

  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library() override;

  // The file that was loaded.
  const std::string& path() const { return path_; }

  absl::StatusOr<int> DeviceCount() override;
  absl::StatusOr<DeviceInfo> GetDevice(int gpu) override;
  absl::StatusOr<std::string> DriverVersion() override;
  absl::StatusOr<int> CudaDriverVersion() override;
  absl::StatusOr<int> MinorNumber(int gpu) override;
  absl::StatusOr<MigMode> GetMigMode(int gpu) override;
  absl::StatusOr<Return> SetMigMode(int gpu, bool enabled) override;
  absl::Status ResetGpu(int gpu) override;
  absl::StatusOr<mig::GpuInstanceProfile> GetGpuInstanceProfile(
      int gpu, int profile_index) override;
  absl::StatusOr<std::vector<mig::Placement>> GetGpuInstancePossiblePlacements(
      int gpu, int profile_id) override;
  absl::StatusOr<int> GetGpuInstanceRemainingCapacity(int gpu,
                                                      int profile_id) override;
  absl::StatusOr<std::vector<GpuInstance>> ListGpuInstances(int gpu) override;
  absl::StatusOr<GpuInstance> CreateGpuInstance(
      int gpu, int profile_id,
      std::optional<mig::Placement> placement) override;
  absl::Status DestroyGpuInstance(int gpu, int gi_id) override;
  absl::StatusOr<mig::ComputeProfile> GetComputeInstanceProfile(
      int gpu, int gi_id, int ci_profile_index) override;
  absl::StatusOr<std::vector<ComputeInstance>> ListComputeInstances(
      int gpu, int gi_id) override;
  absl::StatusOr<ComputeInstance> CreateComputeInstance(
      int gpu, int gi_id, int ci_profile_id) override;
  absl::Status DestroyComputeInstance(int gpu, int gi_id, int ci_id) override;
  absl::StatusOr<std::vector<MigDevice>> ListMigDevices(int gpu) override;
  absl::StatusOr<std::vector<Process>> ListProcesses(int gpu) override;
  // One nvmlEventSetWait_v2 for up to `timeout_ms`, then the events already
  // queued. GPUs whose driver refuses XID events (NOT_SUPPORTED) are left
  // out of the subscription.
  absl::StatusOr<std::vector<XidEvent>> WaitForXidEvents(
      int timeout_ms) override;

 private:
  struct Functions;  // one pointer per entry point, from the table

  Library(std::string path, void* handle, std::unique_ptr<Functions> fns);

  // A failed status for `r` with the driver's own error text.
  absl::Status Error(Return r, const std::string& context) const;
  absl::StatusOr<abi::nvmlDevice_t> Device(int gpu);
  absl::StatusOr<abi::nvmlGpuInstance_t> GpuInstanceHandle(int gpu, int gi_id);
  absl::StatusOr<abi::nvmlComputeInstance_t> ComputeInstanceHandle(int gpu,
                                                                   int gi_id,
                                                                   int ci_id);
  std::string FallbackProfileName(abi::nvmlDevice_t device,
                                  const mig::GpuInstanceProfile& p) const;
  absl::StatusOr<mig::GpuInstanceProfile> ProfileInfo(abi::nvmlDevice_t device,
                                                      int gpu,
                                                      int profile_index);
  absl::StatusOr<mig::ComputeProfile> ComputeProfileInfo(
      abi::nvmlGpuInstance_t gi, int gpu, int gi_id, int ci_profile_index);
  absl::StatusOr<GpuInstance> GpuInstanceInfo(abi::nvmlGpuInstance_t gi,
                                              const std::string& context);
  absl::StatusOr<ComputeInstance> ComputeInstanceInfo(
      abi::nvmlComputeInstance_t ci, int gi_id, const std::string& context);
  // Creates the event set and registers every GPU for XID errors.
  absl::Status SubscribeXidEvents();
  // One event within `timeout_ms`; nullopt on NVML_ERROR_TIMEOUT.
  absl::StatusOr<std::optional<XidEvent>> NextXidEvent(int timeout_ms);

  std::string path_;
  void* handle_;  // dlopen handle, owned
  std::unique_ptr<Functions> fns_;
  abi::nvmlEventSet_t event_set_ = nullptr;       // owned; set once subscribed
  std::vector<abi::nvmlDevice_t> event_devices_;  // by GPU index
};

}  // namespace migctl::nvml

#endif  // MIGCTL_NVML_LIBRARY_H_
