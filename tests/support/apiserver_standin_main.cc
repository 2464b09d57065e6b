// migctl_apiserver_standin: runs ApiServer (support/api_server.h) on
// 127.0.0.1 until SIGINT/SIGTERM, for the demo and for trying real kubectl.
//
//   migctl_apiserver_standin --port 18080 --kubeconfig /tmp/kc --node
//   gpu-node-1
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "support/api_server.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  migctl::testing::ApiServer::Options options;
  std::string kubeconfig;
  std::vector<std::string> nodes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--port") {
      options.port = std::atoi(next().c_str());
    } else if (arg == "--kubeconfig") {
      kubeconfig = next();
    } else if (arg == "--node") {
      nodes.push_back(next());
    } else {
      std::fprintf(
          stderr, "usage: %s [--port N] [--kubeconfig PATH] [--node NAME]...\n",
          argv[0]);
      return 2;
    }
  }
  migctl::testing::ApiServer server(options);
  for (const auto& node : nodes) {
    if (auto added = server.AddNode(node); !added.ok()) {
      std::fprintf(stderr, "%s\n", added.status().ToString().c_str());
      return 1;
    }
  }
  if (auto started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", started.ToString().c_str());
    return 1;
  }
  if (!kubeconfig.empty()) {
    if (auto written = server.WriteKubeconfig(kubeconfig); !written.ok()) {
      std::fprintf(stderr, "%s\n", written.ToString().c_str());
      return 1;
    }
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  while (!g_stop) pause();
  server.Stop();
  return 0;
}
