// The agent's status page in a real browser: the agent runs on the simulated
// node (two H100 NVL GPUs) against the Kubernetes API stand-in, applies the
// story's custom-mig config, and headless Chromium loads `/`. The DOM it
// renders must show exactly the story's layout (with a process on GPU 1's
// 1g.24gb instance, so it is drawn busy). Skipped only when Chromium
// is not installed (scripts/setup installs it). MIGCTL_UPDATE_SCREENSHOT=1
// also writes the screenshot to docs/status-page.png. A second test checks
// that the page refreshes itself.
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "agent/agent.h"
#include "agent/status_page.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "simulated_cluster.h"
#include "support/shell.h"

namespace migctl::agent {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

std::string Sh(const std::string& command) {
  return migctl::testing::RunShell(command).output;
}

// Each GPU section of the DOM as "GPU i: profile@start+size … free@slice …",
// in document order.
std::vector<std::string> DrawnGpus(const std::string& dom) {
  std::vector<std::string> out;
  const std::regex section(
      "<section class=\"gpu\" id=\"gpu-(\\d+)\">([\\s\\S]*?)</section>");
  const std::regex box(
      "data-profile=\"([^\"]+)\" data-gi=\"\\d+\" data-start=\"(\\d+)\" "
      "data-size=\"(\\d+)\"[^>]*><span class=\"profile\">\\1</span><span>GI "
      "\\d+</span><span>(busy|idle)</span>|data-slice=\"(\\d+)\"><span>free<");
  for (auto s = std::sregex_iterator(dom.begin(), dom.end(), section);
       s != std::sregex_iterator(); ++s) {
    std::string drawn = "GPU " + (*s)[1].str() + ":";
    const std::string body = (*s)[2].str();
    for (auto b = std::sregex_iterator(body.begin(), body.end(), box);
         b != std::sregex_iterator(); ++b) {
      if ((*b)[5].matched) {
        drawn += " free@" + (*b)[5].str();
      } else {
        drawn += " " + (*b)[1].str() + "@" + (*b)[2].str() + "+" +
                 (*b)[3].str() + "(" + (*b)[4].str() + ")";
      }
    }
    out.push_back(drawn);
  }
  return out;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

// Width and height from a PNG's IHDR chunk; {0, 0} when not a PNG.
std::pair<int, int> PngSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 24> h{};
  in.read(reinterpret_cast<char*>(h.data()), h.size());
  if (!in || h[1] != 'P' || h[2] != 'N' || h[3] != 'G') return {0, 0};
  auto be = [&](int at) {
    return (h[at] << 24) | (h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3];
  };
  return {be(16), be(20)};
}

class StatusPageBrowserTest : public SimulatedClusterTest {
 protected:
  void SetUp() override {
    SimulatedClusterTest::SetUp();
    options_.health_port = 0;
  }
  std::string Chromium(const std::string& args) {
    return Sh(std::string("timeout 120 ") + kChromium +
              " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
              "--user-data-dir=" +
              (dir_ / "chromium").string() + " " + args + " 2>" +
              (dir_ / "chromium.log").string());
  }
};

TEST_F(StatusPageBrowserTest, ChromiumRendersTheStoryLayout) {
  if (!std::filesystem::exists(kChromium)) {
    GTEST_SKIP() << "Chromium is not installed (" << kChromium
                 << "); scripts/setup installs it (Debian package chromium)";
  }
  Agent agent(*nvml_, *client_, options_);
  std::jthread run(
      [&](std::stop_token stop) { ASSERT_TRUE(agent.Run(stop).ok()); });
  ASSERT_TRUE(client_
                  ->PatchNodeLabels("gpu-node-1",
                                    {{"nvidia.com/mig.config", "custom-mig"}})
                  .ok());
  ASSERT_EQ(WaitForState("success"), "success");
  // The agent has recorded the result and seen its own labels.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  NodeStatus status = agent.Status();
  while (absl::Now() < deadline &&
         (!status.last || status.state_label != "success" ||
          !status.labels.contains("nvidia.com/mig-1g.12gb.count"))) {
    absl::SleepFor(absl::Milliseconds(20));
    status = agent.Status();
  }
  ASSERT_TRUE(status.last.has_value());
  // A process on GPU 1's 1g.24gb instance (slices 0-1): drawn busy.
  ASSERT_EQ(status.gpus.size(), 2u);
  ASSERT_FALSE(status.gpus[1].instances.empty());
  const InstanceStatus& large = status.gpus[1].instances[0];
  ASSERT_EQ(large.profile, "1g.24gb");
  Sh(std::string(MIGCTL_BINARY) + " sim attach-process " + state_ +
     " -i 1 --gi " + std::to_string(large.gi_id) +
     " --ci 0 --pid 4242 --name python3 >/dev/null");
  ASSERT_TRUE(agent.Status().gpus[1].instances[0].busy);
  const std::string url =
      "http://127.0.0.1:" + std::to_string(agent.health_port()) + "/";

  const std::string dom = Chromium("--dump-dom " + url);
  ASSERT_THAT(dom, ::testing::HasSubstr("<main id=\"status\">"))
      << Sh("cat " + (dir_ / "chromium.log").string());
  EXPECT_THAT(DrawnGpus(dom),
              ::testing::ElementsAre(
                  "GPU 0: 1g.12gb@0+1(idle) 1g.12gb@1+1(idle) free@2 free@3 "
                  "free@4 free@5 free@6 free@7",
                  "GPU 1: 1g.24gb@0+2(busy) 1g.12gb@2+1(idle) "
                  "1g.12gb@3+1(idle) 1g.12gb@4+1(idle) 1g.12gb@5+1(idle) "
                  "1g.12gb@6+1(idle) free@7"));
  EXPECT_THAT(dom, ::testing::HasSubstr(
                       "<p class=\"use\">2 of 7 compute slices and 2 of 8 "
                       "memory slices in use; 0 of 2 instances busy</p>"));
  EXPECT_THAT(dom, ::testing::HasSubstr(
                       "<p class=\"use\">6 of 7 compute slices and 7 of 8 "
                       "memory slices in use; 1 of 6 instances busy</p>"));
  EXPECT_THAT(dom, ::testing::HasSubstr("<h2>GPU 0: NVIDIA H100 NVL</h2>"));
  EXPECT_THAT(dom, ::testing::HasSubstr("<h2>GPU 1: NVIDIA H100 NVL</h2>"));
  EXPECT_THAT(dom, ::testing::HasSubstr(
                       "Config <b id=\"config\">custom-mig</b>, state <b "
                       "id=\"state\">success</b>."));
  EXPECT_THAT(dom, ::testing::HasSubstr(
                       "<p>None: the node is in its configured state.</p>"));
  EXPECT_THAT(dom, ::testing::HasSubstr(
                       "<b class=\"ok\">success</b>: config custom-mig, "));
  EXPECT_THAT(dom, ::testing::HasSubstr("<tr><td>nvidia.com/mig-1g.12gb.count"
                                        "</td><td>7</td></tr>"));
  EXPECT_THAT(dom, ::testing::HasSubstr("<tr><td>nvidia.com/mig-1g.24gb.count"
                                        "</td><td>1</td></tr>"));
  // The two GPUs' health and mode.
  EXPECT_EQ(Count(dom,
                  "MIG <b class=\"mode\">enabled</b> · health "
                  "<b class=\"health ok\">ok</b>"),
            2);

  const std::string png = (dir_ / "status-page.png").string();
  Chromium("--hide-scrollbars --window-size=1000,1400 --screenshot=" + png +
           " " + url);
  EXPECT_EQ(PngSize(png), std::make_pair(1000, 1400));
  if (std::getenv("MIGCTL_UPDATE_SCREENSHOT") != nullptr) {
    std::filesystem::copy_file(
        png, std::string(MIGCTL_SOURCE_DIR) + "/docs/status-page.png",
        std::filesystem::copy_options::overwrite_existing);
  }
}

// The page refreshes itself: served a status where GPU 0 is empty first and
// one with a 7g.94gb instance after, Chromium (given 5 s of virtual time)
// ends up showing the second.
TEST_F(StatusPageBrowserTest, PageRefreshesItselfFromTheServer) {
  if (!std::filesystem::exists(kChromium)) {
    GTEST_SKIP() << "Chromium is not installed (" << kChromium
                 << "); scripts/setup installs it (Debian package chromium)";
  }
  NodeStatus before;
  before.node = "gpu-node-1";
  GpuStatus gpu;
  gpu.name = "NVIDIA H100 NVL";
  gpu.model = "H100-NVL";
  gpu.memory_slices = 8;
  gpu.compute_slices = 7;
  gpu.mode = {true, true};
  before.gpus = {gpu};
  NodeStatus after = before;
  after.gpus[0].instances = {{"7g.94gb", 0, 0, 8, false}};
  after.gpus[0].compute_slices_used = 7;
  std::atomic<int> requests{0};
  httplib::Server server;
  ServeStatusPage(server, [&] { return requests++ == 0 ? before : after; });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::jthread serve([&] { server.listen_after_bind(); });
  const std::string dom =
      Chromium("--virtual-time-budget=5000 --dump-dom http://127.0.0.1:" +
               std::to_string(port) + "/");
  server.stop();
  EXPECT_GE(requests.load(), 2);
  EXPECT_THAT(DrawnGpus(dom),
              ::testing::ElementsAre("GPU 0: 7g.94gb@0+8(idle)"));
  EXPECT_EQ(Count(dom, "<main id=\"status\">"), 1);
}

}  // namespace
}  // namespace migctl::agent
