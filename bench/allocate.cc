// Allocate latency of migctl's device plugin over a unix socket, as the
// kubelet sees it: one ResourceServer for nvidia.com/mig-1g.12gb of the
// story node (simulated), one gRPC client, N sequential Allocate calls of
// one device each. Prints p50/p90/p99/max in microseconds.
//
//   migctl_allocate_bench [CALLS]   (default 20000, at least 10000)
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_record.h"
#include "deviceplugin/resource_server.h"
#include "deviceplugin/resources.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "mig/catalogue.h"
#include "sim/sim_nvml.h"

namespace {

using migctl::deviceplugin::AdvertisedDevice;

int Fail(const std::string& what) {
  std::fprintf(stderr, "migctl_allocate_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::max(10000, std::atoi(argv[1])) : 20000;
  auto state = migctl::sim::NewNode("bench", {"H100-NVL", "H100-NVL"});
  if (!state.ok()) return Fail(state.status().ToString());
  auto nvml = migctl::sim::SimNvml::InMemory(*state);
  const auto* p =
      migctl::mig::FindModel("H100-NVL")->FindProfileByName("1g.12gb");
  for (int gpu : {0, 1}) {
    (void)nvml->SetMigMode(gpu, true);
    for (int i = 0; i < (gpu == 0 ? 2 : 5); ++i) {
      auto gi = nvml->CreateGpuInstance(gpu, p->id, std::nullopt);
      if (!gi.ok()) return Fail(gi.status().ToString());
      (void)nvml->CreateComputeInstance(gpu, gi->id,
                                        p->FullComputeProfile()->id);
    }
  }
  char tmpl[] = "/tmp/migctl-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Fail("mkdtemp failed");
  migctl::deviceplugin::Config config;
  config.mig_strategy = migctl::deviceplugin::MigStrategy::kMixed;
  config.socket_dir = tmpl;
  auto resources = migctl::deviceplugin::DiscoverResources(*nvml, config);
  if (!resources.ok()) return Fail(resources.status().ToString());
  const std::string resource = "nvidia.com/mig-1g.12gb";
  std::vector<AdvertisedDevice> devices;
  for (const auto& d : resources->at(resource)) devices.push_back({d, true});

  migctl::deviceplugin::ResourceServer server(resource, config);
  server.SetDevices(devices);
  if (auto s = server.Start(); !s.ok()) return Fail(s.ToString());
  auto stub = v1beta1::DevicePlugin::NewStub(grpc::CreateChannel(
      "unix:" + server.socket_path(), grpc::InsecureChannelCredentials()));

  std::vector<double> micros;
  micros.reserve(calls);
  for (int i = -1000; i < calls; ++i) {  // 1000 warm-up calls
    v1beta1::AllocateRequest request;
    request.add_container_requests()->add_devices_ids(
        devices[(i + 1000) % devices.size()].device.id);
    v1beta1::AllocateResponse response;
    grpc::ClientContext ctx;
    auto start = std::chrono::steady_clock::now();
    grpc::Status s = stub->Allocate(&ctx, request, &response);
    auto end = std::chrono::steady_clock::now();
    if (!s.ok()) return Fail("Allocate: " + s.error_message());
    if (i >= 0) {
      micros.push_back(
          std::chrono::duration<double, std::micro>(end - start).count());
    }
  }
  server.Stop();
  std::filesystem::remove_all(tmpl);
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double q) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(q * micros.size()))];
  };
  std::printf(
      "Allocate over a unix socket, %d calls (1 device each)\n"
      "p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us\n",
      calls, pct(0.50), pct(0.90), pct(0.99), micros.back());
  const std::string name = std::to_string(calls) + " calls, unix socket";
  migctl::bench::EmitRecord(
      {"allocate", name, "Allocate p50", "µs", pct(0.50)});
  migctl::bench::EmitRecord(
      {"allocate", name, "Allocate p99", "µs", pct(0.99)});
  return 0;
}
