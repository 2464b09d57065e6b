// migctl_kubelet_standin: runs KubeletStandIn (support/kubelet_stand_in.h)
// in a socket directory until SIGINT/SIGTERM, for the demo. Whenever what
// the device plugins advertise changes it rewrites --report with one line
// per resource: "<resource> x<devices>".
//
//   migctl_kubelet_standin --dir /tmp/dp --report /tmp/dp-seen.txt
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "support/kubelet_stand_in.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  std::string report;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--dir") {
      dir = argv[i + 1];
    } else if (arg == "--report") {
      report = argv[i + 1];
    }
  }
  if (dir.empty() || report.empty()) {
    std::fprintf(stderr, "usage: %s --dir DIR --report FILE\n", argv[0]);
    return 2;
  }
  std::filesystem::create_directories(dir);
  auto kubelet = migctl::testing::KubeletStandIn::Start(dir);
  if (!kubelet.ok()) {
    std::fprintf(stderr, "%s\n", kubelet.status().ToString().c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::string last = "-";
  while (!g_stop) {
    std::string text;
    for (const std::string& resource : (*kubelet)->Resources()) {
      auto devices = (*kubelet)->WaitForDevices(
          resource, [](const auto&) { return true; }, absl::ZeroDuration());
      if (devices.ok())
        absl::StrAppend(&text, resource, " x", devices->size(), "\n");
    }
    if (text != last) {
      std::ofstream(report + ".tmp") << text;
      std::filesystem::rename(report + ".tmp", report);
      last = text;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return 0;
}
