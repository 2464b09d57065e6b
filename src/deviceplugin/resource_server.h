// ResourceServer: the kubelet DevicePlugin service for one extended
// resource, served over gRPC on <socket_dir>/<SocketName(resource)> and
// registered with <socket_dir>/kubelet.sock, as each of NVIDIA's per-resource
// plugins is.
//
// The device list is replaced with SetDevices; every open ListAndWatch
// stream then resends the full list. Thread-safe: gRPC threads serve the
// RPCs while the owner (Plugin) updates devices and stops the server. A
// stopped server is not restarted; make a new one.
#ifndef MIGCTL_DEVICEPLUGIN_RESOURCE_SERVER_H_
#define MIGCTL_DEVICEPLUGIN_RESOURCE_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "deviceplugin/config.h"
#include "deviceplugin/resources.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "grpcpp/server.h"

namespace migctl::deviceplugin {

inline constexpr absl::string_view kApiVersion = "v1beta1";
inline constexpr absl::string_view kKubeletSocket = "kubelet.sock";
inline constexpr absl::string_view kHealthy = "Healthy";
inline constexpr absl::string_view kUnhealthy = "Unhealthy";

struct AdvertisedDevice {
  Device device;
  bool healthy = true;
  friend bool operator==(const AdvertisedDevice&,
                         const AdvertisedDevice&) = default;
};

class ResourceServer final : public v1beta1::DevicePlugin::Service {
 public:
  // `response_id` names each Allocate response's CDI annotation; empty:
  // a random UUID, as NVIDIA's plugin does.
  ResourceServer(std::string resource, Config config,
                 std::function<std::string()> response_id = {});
  ~ResourceServer() override;
  ResourceServer(const ResourceServer&) = delete;
  ResourceServer& operator=(const ResourceServer&) = delete;

  const std::string& resource() const { return resource_; }
  const std::string& socket_path() const { return socket_path_; }

  // Removes a stale socket file and starts serving on it.
  absl::Status Start();
  // Registers with the kubelet; UNAVAILABLE while it is not there.
  absl::Status Register();
  // Ends ListAndWatch streams, stops serving and removes the socket.
  void Stop();

  void SetDevices(std::vector<AdvertisedDevice> devices);
  std::vector<AdvertisedDevice> devices() const;

  grpc::Status GetDevicePluginOptions(
      grpc::ServerContext* ctx, const v1beta1::Empty* request,
      v1beta1::DevicePluginOptions* response) override;
  grpc::Status ListAndWatch(
      grpc::ServerContext* ctx, const v1beta1::Empty* request,
      grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) override;
  grpc::Status GetPreferredAllocation(
      grpc::ServerContext* ctx,
      const v1beta1::PreferredAllocationRequest* request,
      v1beta1::PreferredAllocationResponse* response) override;
  grpc::Status Allocate(grpc::ServerContext* ctx,
                        const v1beta1::AllocateRequest* request,
                        v1beta1::AllocateResponse* response) override;
  grpc::Status PreStartContainer(
      grpc::ServerContext* ctx,
      const v1beta1::PreStartContainerRequest* request,
      v1beta1::PreStartContainerResponse* response) override;

 private:
  std::vector<Device> PlainDevices() const;

  const std::string resource_;
  const Config config_;
  const std::string socket_path_;
  const std::function<std::string()> response_id_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  std::vector<AdvertisedDevice> devices_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Start and Stop run on the owner's thread only.
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_RESOURCE_SERVER_H_
