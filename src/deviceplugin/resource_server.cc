#include "deviceplugin/resource_server.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "deviceplugin/allocate.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace migctl::deviceplugin {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

void FillDevice(const AdvertisedDevice& a, v1beta1::Device& out) {
  out.set_id(a.device.id);
  out.set_health(std::string(a.healthy ? kHealthy : kUnhealthy));
  if (a.device.numa_node) {
    out.mutable_topology()->add_nodes()->set_id(*a.device.numa_node);
  }
}

}  // namespace

ResourceServer::ResourceServer(std::string resource, Config config,
                               std::function<std::string()> response_id)
    : resource_(std::move(resource)),
      config_(std::move(config)),
      socket_path_(
          absl::StrCat(config_.socket_dir, "/", SocketName(resource_))),
      response_id_(std::move(response_id)) {}

ResourceServer::~ResourceServer() { Stop(); }

absl::Status ResourceServer::Start() {
  std::error_code ec;
  std::filesystem::remove(socket_path_, ec);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", socket_path_),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve '", resource_, "' on ", socket_path_,
                     ": is the directory there and writable?"));
  }
  spdlog::info("serving '{}' on {}", resource_, socket_path_);
  return absl::OkStatus();
}

absl::Status ResourceServer::Register() {
  std::string kubelet = absl::StrCat(config_.socket_dir, "/", kKubeletSocket);
  auto channel = grpc::CreateChannel(absl::StrCat("unix:", kubelet),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1beta1::Registration::NewStub(channel);
  v1beta1::RegisterRequest request;
  request.set_version(std::string(kApiVersion));
  request.set_endpoint(SocketName(resource_));
  request.set_resource_name(resource_);
  request.mutable_options()->set_get_preferred_allocation_available(true);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1beta1::Empty empty;
  grpc::Status s = stub->Register(&ctx, request, &empty);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("registering '", resource_, "' with ",
                                     kubelet, ": ", s.error_message()));
  }
  spdlog::info("registered '{}' with the kubelet", resource_);
  return absl::OkStatus();
}

void ResourceServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.SignalAll();
  }
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove(socket_path_, ec);
  spdlog::info("stopped serving '{}' on {}", resource_, socket_path_);
}

void ResourceServer::SetDevices(std::vector<AdvertisedDevice> devices) {
  absl::MutexLock lock(&mu_);
  if (devices == devices_) return;
  devices_ = std::move(devices);
  ++version_;
  changed_.SignalAll();
}

std::vector<AdvertisedDevice> ResourceServer::devices() const {
  absl::MutexLock lock(&mu_);
  return devices_;
}

std::vector<Device> ResourceServer::PlainDevices() const {
  absl::MutexLock lock(&mu_);
  std::vector<Device> out;
  out.reserve(devices_.size());
  for (const AdvertisedDevice& a : devices_) out.push_back(a.device);
  return out;
}

grpc::Status ResourceServer::GetDevicePluginOptions(
    grpc::ServerContext*, const v1beta1::Empty*,
    v1beta1::DevicePluginOptions* response) {
  response->set_get_preferred_allocation_available(true);
  return grpc::Status::OK;
}

grpc::Status ResourceServer::ListAndWatch(
    grpc::ServerContext* ctx, const v1beta1::Empty*,
    grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) {
  uint64_t sent = 0;
  while (true) {
    v1beta1::ListAndWatchResponse response;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && version_ == sent) {
        if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
        changed_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
      }
      if (stopping_) return grpc::Status::OK;
      sent = version_;
      for (const AdvertisedDevice& a : devices_) {
        FillDevice(a, *response.add_devices());
      }
    }
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
  }
}

grpc::Status ResourceServer::GetPreferredAllocation(
    grpc::ServerContext*, const v1beta1::PreferredAllocationRequest* request,
    v1beta1::PreferredAllocationResponse* response) {
  std::vector<Device> devices = PlainDevices();
  for (const auto& req : request->container_requests()) {
    std::vector<std::string> ids = PreferredAllocation(
        devices,
        {req.available_deviceids().begin(), req.available_deviceids().end()},
        {req.must_include_deviceids().begin(),
         req.must_include_deviceids().end()},
        req.allocation_size());
    auto* out = response->add_container_responses();
    for (std::string& id : ids) out->add_deviceids(std::move(id));
  }
  return grpc::Status::OK;
}

grpc::Status ResourceServer::Allocate(grpc::ServerContext*,
                                      const v1beta1::AllocateRequest* request,
                                      v1beta1::AllocateResponse* response) {
  std::vector<Device> devices = PlainDevices();
  for (const auto& req : request->container_requests()) {
    absl::StatusOr<v1beta1::ContainerAllocateResponse> r =
        AllocateContainer(config_, resource_, devices,
                          {req.devices_ids().begin(), req.devices_ids().end()},
                          response_id_ ? response_id_() : RandomUuid());
    if (!r.ok()) return ToGrpc(r.status());
    *response->add_container_responses() = *std::move(r);
  }
  return grpc::Status::OK;
}

grpc::Status ResourceServer::PreStartContainer(
    grpc::ServerContext*, const v1beta1::PreStartContainerRequest*,
    v1beta1::PreStartContainerResponse*) {
  return grpc::Status::OK;
}

}  // namespace migctl::deviceplugin
