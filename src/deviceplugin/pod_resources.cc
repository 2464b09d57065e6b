#include "deviceplugin/pod_resources.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "deviceplugin/resources.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "podresources/v1/api.grpc.pb.h"

namespace migctl::deviceplugin {
namespace {

bool IsGpuResource(absl::string_view name) {
  return name == kGpuResource || absl::StartsWith(name, "nvidia.com/mig-");
}

}  // namespace

absl::StatusOr<PodsByDevice> ListPodDevices(const std::string& socket,
                                            absl::Duration timeout) {
  std::error_code ec;
  if (!std::filesystem::exists(socket, ec)) {
    return absl::NotFoundError(
        absl::StrCat("no kubelet PodResources socket at ", socket));
  }
  std::unique_ptr<v1::PodResourcesLister::Stub> stub =
      v1::PodResourcesLister::NewStub(grpc::CreateChannel(
          absl::StrCat("unix:", socket), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(timeout));
  v1::ListPodResourcesResponse response;
  grpc::Status s = stub->List(&ctx, v1::ListPodResourcesRequest(), &response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("kubelet PodResources List on ", socket,
                                     ": ", s.error_message()));
  }
  PodsByDevice out;
  for (const v1::PodResources& pod : response.pod_resources()) {
    const std::string name = absl::StrCat(pod.namespace_(), "/", pod.name());
    for (const v1::ContainerResources& c : pod.containers()) {
      for (const v1::ContainerDevices& d : c.devices()) {
        if (!IsGpuResource(d.resource_name())) continue;
        for (const std::string& id : d.device_ids()) {
          std::vector<std::string>& pods = out[id];
          auto at = std::lower_bound(pods.begin(), pods.end(), name);
          if (at == pods.end() || *at != name) pods.insert(at, name);
        }
      }
    }
  }
  return out;
}

}  // namespace migctl::deviceplugin
