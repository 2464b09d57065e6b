#include "support/kubelet_stand_in.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace migctl::testing {
namespace {

constexpr char kKubeletSocket[] = "kubelet.sock";

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

std::chrono::system_clock::time_point In(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

}  // namespace

class KubeletStandIn::Registration final
    : public v1beta1::Registration::Service {
 public:
  explicit Registration(KubeletStandIn& kubelet) : kubelet_(kubelet) {}
  grpc::Status Register(grpc::ServerContext*,
                        const v1beta1::RegisterRequest* request,
                        v1beta1::Empty*) override {
    return kubelet_.OnRegister(*request);
  }

 private:
  KubeletStandIn& kubelet_;
};

class KubeletStandIn::PodResourcesLister final
    : public v1::PodResourcesLister::Service {
 public:
  explicit PodResourcesLister(KubeletStandIn& kubelet) : kubelet_(kubelet) {}
  grpc::Status List(grpc::ServerContext*, const v1::ListPodResourcesRequest*,
                    v1::ListPodResourcesResponse* response) override {
    absl::MutexLock lock(&kubelet_.mu_);
    for (const PodDevices& a : kubelet_.pod_devices_) {
      v1::PodResources* pod = nullptr;
      for (v1::PodResources& p : *response->mutable_pod_resources()) {
        if (p.namespace_() == a.pod_namespace && p.name() == a.pod) pod = &p;
      }
      if (pod == nullptr) {
        pod = response->add_pod_resources();
        pod->set_namespace_(a.pod_namespace);
        pod->set_name(a.pod);
      }
      v1::ContainerResources* container = pod->add_containers();
      container->set_name(a.container);
      v1::ContainerDevices* devices = container->add_devices();
      devices->set_resource_name(a.resource);
      for (const std::string& id : a.device_ids) devices->add_device_ids(id);
    }
    return grpc::Status::OK;
  }

 private:
  KubeletStandIn& kubelet_;
};

KubeletStandIn::KubeletStandIn(std::string dir)
    : dir_(std::move(dir)), service_(std::make_unique<Registration>(*this)) {}

absl::StatusOr<std::unique_ptr<KubeletStandIn>> KubeletStandIn::Start(
    std::string dir) {
  std::unique_ptr<KubeletStandIn> k(new KubeletStandIn(std::move(dir)));
  if (absl::Status s = k->Serve(); !s.ok()) return s;
  return k;
}

KubeletStandIn::~KubeletStandIn() {
  if (pod_resources_server_ != nullptr) {
    pod_resources_server_->Shutdown(In(absl::Seconds(1)));
    pod_resources_server_->Wait();
  }
  Shutdown();
}

absl::Status KubeletStandIn::ServePodResources(const std::string& socket) {
  std::error_code ec;
  std::filesystem::create_directories(
      std::filesystem::path(socket).parent_path(), ec);
  std::filesystem::remove(socket, ec);
  pod_resources_ = std::make_unique<PodResourcesLister>(*this);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", socket),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(pod_resources_.get());
  pod_resources_server_ = builder.BuildAndStart();
  if (pod_resources_server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve ", socket));
  }
  return absl::OkStatus();
}

void KubeletStandIn::SetPodDevices(std::vector<PodDevices> assignments) {
  absl::MutexLock lock(&mu_);
  pod_devices_ = std::move(assignments);
}

absl::Status KubeletStandIn::Serve() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  // The kubelet clears its device-plugin directory when it starts.
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", dir_, "/", kKubeletSocket),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve ", dir_, "/", kKubeletSocket));
  }
  return absl::OkStatus();
}

void KubeletStandIn::Shutdown() {
  if (server_ != nullptr) {
    server_->Shutdown(In(absl::Seconds(1)));
    server_->Wait();
    server_.reset();
  }
  std::vector<std::shared_ptr<Endpoint>> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, e] : endpoints_) all.push_back(e);
    for (auto& e : retired_) all.push_back(e);
    endpoints_.clear();
    retired_.clear();
    changed_.SignalAll();
  }
  for (auto& e : all) {
    e->stream_ctx.TryCancel();
    if (e->reader.joinable()) e->reader.join();
  }
}

absl::Status KubeletStandIn::Restart() {
  Shutdown();
  return Serve();
}

grpc::Status KubeletStandIn::OnRegister(
    const v1beta1::RegisterRequest& request) {
  if (request.version() != "v1beta1") {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("unsupported API version \"", request.version(), "\""));
  }
  const std::string& name = request.resource_name();
  if (name.find('/') == std::string::npos || name.size() > 63 + 1 + 253) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("invalid resource name \"", name, "\""));
  }
  auto endpoint = std::make_shared<Endpoint>();
  endpoint->request = request;
  endpoint->stub = v1beta1::DevicePlugin::NewStub(
      grpc::CreateChannel(absl::StrCat("unix:", dir_, "/", request.endpoint()),
                          grpc::InsecureChannelCredentials()));
  endpoint->stream_ctx.set_wait_for_ready(true);
  endpoint->stream_ctx.set_deadline(In(absl::Seconds(60)));
  std::shared_ptr<Endpoint> old;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = endpoints_.find(name); it != endpoints_.end()) {
      old = it->second;
      retired_.push_back(old);
    }
    endpoints_[name] = endpoint;
    ++registrations_[name];
    endpoint->streaming = true;
    endpoint->reader =
        std::thread([this, e = endpoint.get()] { ReadStream(e); });
    changed_.SignalAll();
  }
  // The replaced plugin's stream ends; its thread is joined at shutdown.
  if (old != nullptr) old->stream_ctx.TryCancel();
  return grpc::Status::OK;
}

void KubeletStandIn::ReadStream(Endpoint* e) {
  auto reader = e->stub->ListAndWatch(&e->stream_ctx, v1beta1::Empty());
  v1beta1::ListAndWatchResponse response;
  while (reader->Read(&response)) {
    absl::MutexLock lock(&mu_);
    e->latest.assign(response.devices().begin(), response.devices().end());
    changed_.SignalAll();
  }
  reader->Finish().IgnoreError();
  absl::MutexLock lock(&mu_);
  e->streaming = false;
  changed_.SignalAll();
}

std::set<std::string> KubeletStandIn::Resources() {
  absl::MutexLock lock(&mu_);
  std::set<std::string> out;
  for (const auto& [name, e] : endpoints_) {
    if (e->streaming) out.insert(name);
  }
  return out;
}

absl::Status KubeletStandIn::WaitForResources(const std::set<std::string>& want,
                                              absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::set<std::string> seen;
  while (true) {
    seen = Resources();
    if (seen == want) return absl::OkStatus();
    if (absl::Now() >= deadline) break;
    absl::MutexLock lock(&mu_);
    changed_.WaitWithDeadline(
        &mu_, std::min(deadline, absl::Now() + absl::Milliseconds(20)));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("resources are {", absl::StrJoin(seen, ", "), "}, want {",
                   absl::StrJoin(want, ", "), "}"));
}

absl::StatusOr<KubeletStandIn::Devices> KubeletStandIn::WaitForDevices(
    const std::string& resource,
    const std::function<bool(const Devices&)>& pred, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  while (true) {
    auto it = endpoints_.find(resource);
    if (it != endpoints_.end() && it->second->streaming &&
        !it->second->latest.empty() && pred(it->second->latest)) {
      return it->second->latest;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no matching device list for '", resource, "' within ",
                       absl::FormatDuration(timeout)));
    }
    changed_.WaitWithDeadline(&mu_, deadline);
  }
}

int KubeletStandIn::Registrations(const std::string& resource) {
  absl::MutexLock lock(&mu_);
  auto it = registrations_.find(resource);
  return it == registrations_.end() ? 0 : it->second;
}

absl::StatusOr<v1beta1::RegisterRequest> KubeletStandIn::LastRegistration(
    const std::string& resource) {
  absl::MutexLock lock(&mu_);
  auto it = endpoints_.find(resource);
  if (it == endpoints_.end()) {
    return absl::NotFoundError(absl::StrCat("'", resource, "' not registered"));
  }
  return it->second->request;
}

absl::StatusOr<v1beta1::DevicePlugin::Stub*> KubeletStandIn::StubFor(
    const std::string& resource) {
  absl::MutexLock lock(&mu_);
  auto it = endpoints_.find(resource);
  if (it == endpoints_.end()) {
    return absl::NotFoundError(absl::StrCat("'", resource, "' not registered"));
  }
  return it->second->stub.get();
}

absl::StatusOr<v1beta1::AllocateResponse> KubeletStandIn::Allocate(
    const std::string& resource,
    const std::vector<std::vector<std::string>>& containers) {
  absl::StatusOr<v1beta1::DevicePlugin::Stub*> stub = StubFor(resource);
  if (!stub.ok()) return stub.status();
  v1beta1::AllocateRequest request;
  for (const auto& ids : containers) {
    auto* c = request.add_container_requests();
    for (const std::string& id : ids) c->add_devices_ids(id);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(In(absl::Seconds(5)));
  v1beta1::AllocateResponse response;
  grpc::Status s = (*stub)->Allocate(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<v1beta1::PreferredAllocationResponse>
KubeletStandIn::GetPreferredAllocation(
    const std::string& resource, const std::vector<std::string>& available,
    const std::vector<std::string>& must_include, int size) {
  absl::StatusOr<v1beta1::DevicePlugin::Stub*> stub = StubFor(resource);
  if (!stub.ok()) return stub.status();
  v1beta1::PreferredAllocationRequest request;
  auto* c = request.add_container_requests();
  for (const std::string& id : available) c->add_available_deviceids(id);
  for (const std::string& id : must_include) c->add_must_include_deviceids(id);
  c->set_allocation_size(size);
  grpc::ClientContext ctx;
  ctx.set_deadline(In(absl::Seconds(5)));
  v1beta1::PreferredAllocationResponse response;
  grpc::Status s = (*stub)->GetPreferredAllocation(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

}  // namespace migctl::testing
