// KubeletStandIn: the kubelet's side of the device-plugin API v1beta1, for
// tests. Like the real kubelet it owns a socket directory: on start it
// removes every file there and serves Registration on kubelet.sock; on a
// Register it checks the API version and resource name, dials
// <dir>/<endpoint> and keeps a ListAndWatch stream open, replacing any
// earlier plugin of the same resource; Restart is a kubelet restart
// (streams cut, sockets deleted, a new kubelet.sock). Allocate and
// GetPreferredAllocation call the registered plugin as the kubelet would.
// ServePodResources serves the PodResources API v1 (List) on a socket of its
// own, answering with the assignments SetPodDevices set; it survives
// Restart.
//
// Thread-safe; every wait is bounded by its timeout.
#ifndef MIGCTL_TESTS_SUPPORT_KUBELET_STAND_IN_H_
#define MIGCTL_TESTS_SUPPORT_KUBELET_STAND_IN_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "grpcpp/server.h"
#include "podresources/v1/api.grpc.pb.h"

namespace migctl::testing {

class KubeletStandIn {
 public:
  using Devices = std::vector<v1beta1::Device>;

  static absl::StatusOr<std::unique_ptr<KubeletStandIn>> Start(std::string dir);
  ~KubeletStandIn();
  KubeletStandIn(const KubeletStandIn&) = delete;
  KubeletStandIn& operator=(const KubeletStandIn&) = delete;

  // A kubelet restart.
  absl::Status Restart();

  // Resources whose plugin has a ListAndWatch stream open.
  std::set<std::string> Resources();
  // Waits until Resources() == `want`; DEADLINE_EXCEEDED naming what it saw.
  absl::Status WaitForResources(const std::set<std::string>& want,
                                absl::Duration timeout);
  // Waits until the latest list of `resource` satisfies `pred`.
  absl::StatusOr<Devices> WaitForDevices(
      const std::string& resource,
      const std::function<bool(const Devices&)>& pred, absl::Duration timeout);
  // Registrations accepted for `resource` since the start.
  int Registrations(const std::string& resource);
  absl::StatusOr<v1beta1::RegisterRequest> LastRegistration(
      const std::string& resource);

  absl::StatusOr<v1beta1::AllocateResponse> Allocate(
      const std::string& resource,
      const std::vector<std::vector<std::string>>& containers);
  absl::StatusOr<v1beta1::PreferredAllocationResponse> GetPreferredAllocation(
      const std::string& resource, const std::vector<std::string>& available,
      const std::vector<std::string>& must_include, int size);

  // Devices of one resource the kubelet assigned to one container.
  struct PodDevices {
    std::string pod_namespace;
    std::string pod;
    std::string container;
    std::string resource;
    std::vector<std::string> device_ids;
  };
  // Serves PodResourcesLister on `socket` (the kubelet's
  // pod-resources/kubelet.sock) until destruction.
  absl::Status ServePodResources(const std::string& socket);
  // What List answers from now on, in this order.
  void SetPodDevices(std::vector<PodDevices> assignments);

 private:
  class Registration;
  class PodResourcesLister;
  struct Endpoint {
    v1beta1::RegisterRequest request;
    std::unique_ptr<v1beta1::DevicePlugin::Stub> stub;
    grpc::ClientContext stream_ctx;
    std::thread reader;
    bool streaming = false;
    Devices latest;
  };

  explicit KubeletStandIn(std::string dir);
  absl::Status Serve();
  void Shutdown();
  grpc::Status OnRegister(const v1beta1::RegisterRequest& request);
  void ReadStream(Endpoint* endpoint);
  absl::StatusOr<v1beta1::DevicePlugin::Stub*> StubFor(
      const std::string& resource);

  const std::string dir_;
  std::unique_ptr<Registration> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<PodResourcesLister> pod_resources_;
  std::unique_ptr<grpc::Server> pod_resources_server_;

  absl::Mutex mu_;
  absl::CondVar changed_;
  std::map<std::string, std::shared_ptr<Endpoint>> endpoints_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Endpoint>> retired_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> registrations_ ABSL_GUARDED_BY(mu_);
  std::vector<PodDevices> pod_devices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_KUBELET_STAND_IN_H_
