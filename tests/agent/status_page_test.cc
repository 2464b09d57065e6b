// The status page as a pure function of NodeStatus: exact HTML of the slice
// map, the sections and the JSON.
#include "agent/status_page.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

GpuStatus StoryGpu1() {
  GpuStatus g;
  g.index = 1;
  g.name = "NVIDIA H100 NVL";
  g.uuid = "GPU-1";
  g.model = "H100-NVL";
  g.memory_slices = 8;
  g.compute_slices = 7;
  g.compute_slices_used = 6;
  g.mode = {true, true};
  g.instances = {{"1g.24gb", 5, 0, 2, true},   {"1g.12gb", 13, 2, 1, false},
                 {"1g.12gb", 14, 3, 1, false}, {"1g.12gb", 7, 4, 1, false},
                 {"1g.12gb", 8, 5, 1, false},  {"1g.12gb", 9, 6, 1, false}};
  return g;
}

NodeStatus Story() {
  NodeStatus s;
  s.node = "gpu-node-1";
  s.time = absl::FromUnixSeconds(1796000000);
  s.config_label = "custom-mig";
  s.state_label = "success";
  s.labels = {{"nvidia.com/mig.config", "custom-mig"},
              {"nvidia.com/mig.config.state", "success"}};
  s.gpus = {StoryGpu1()};
  return s;
}

TEST(StatusPageTest, SliceMapDrawsEachInstanceOverItsSlicesAndFreeSlices) {
  EXPECT_EQ(
      RenderSliceMap(StoryGpu1()),
      "<div class=\"map\" style=\"grid-template-columns:repeat(8,1fr)\">\n"
      "<div class=\"axis\" style=\"grid-column:1\">0</div>\n"
      "<div class=\"axis\" style=\"grid-column:2\">1</div>\n"
      "<div class=\"axis\" style=\"grid-column:3\">2</div>\n"
      "<div class=\"axis\" style=\"grid-column:4\">3</div>\n"
      "<div class=\"axis\" style=\"grid-column:5\">4</div>\n"
      "<div class=\"axis\" style=\"grid-column:6\">5</div>\n"
      "<div class=\"axis\" style=\"grid-column:7\">6</div>\n"
      "<div class=\"axis\" style=\"grid-column:8\">7</div>\n"
      "<div class=\"gi busy\" style=\"grid-column:1/span 2\" "
      "data-profile=\"1g.24gb\" data-gi=\"5\" data-start=\"0\" "
      "data-size=\"2\"><span class=\"profile\">1g.24gb</span>"
      "<span>GI 5</span><span>busy</span></div>\n"
      "<div class=\"gi idle\" style=\"grid-column:3/span 1\" "
      "data-profile=\"1g.12gb\" data-gi=\"13\" data-start=\"2\" "
      "data-size=\"1\"><span class=\"profile\">1g.12gb</span>"
      "<span>GI 13</span><span>idle</span></div>\n"
      "<div class=\"gi idle\" style=\"grid-column:4/span 1\" "
      "data-profile=\"1g.12gb\" data-gi=\"14\" data-start=\"3\" "
      "data-size=\"1\"><span class=\"profile\">1g.12gb</span>"
      "<span>GI 14</span><span>idle</span></div>\n"
      "<div class=\"gi idle\" style=\"grid-column:5/span 1\" "
      "data-profile=\"1g.12gb\" data-gi=\"7\" data-start=\"4\" "
      "data-size=\"1\"><span class=\"profile\">1g.12gb</span>"
      "<span>GI 7</span><span>idle</span></div>\n"
      "<div class=\"gi idle\" style=\"grid-column:6/span 1\" "
      "data-profile=\"1g.12gb\" data-gi=\"8\" data-start=\"5\" "
      "data-size=\"1\"><span class=\"profile\">1g.12gb</span>"
      "<span>GI 8</span><span>idle</span></div>\n"
      "<div class=\"gi idle\" style=\"grid-column:7/span 1\" "
      "data-profile=\"1g.12gb\" data-gi=\"9\" data-start=\"6\" "
      "data-size=\"1\"><span class=\"profile\">1g.12gb</span>"
      "<span>GI 9</span><span>idle</span></div>\n"
      "<div class=\"free\" style=\"grid-column:8\" data-slice=\"7\">"
      "<span>free</span></div>\n"
      "</div>\n");
}

TEST(StatusPageTest, GpuHeadingShowsModelUuidModeAndHealth) {
  const std::string page = RenderStatusMain(Story());
  EXPECT_THAT(page, HasSubstr("<section class=\"gpu\" id=\"gpu-1\">\n"
                              "<h2>GPU 1: NVIDIA H100 NVL</h2>\n"
                              "<p class=\"meta\">model H100-NVL · GPU-1 · MIG "
                              "<b class=\"mode\">enabled</b> · health "
                              "<b class=\"health ok\">ok</b></p>\n"
                              "<p class=\"use\">6 of 7 compute slices and 7 "
                              "of 8 memory slices in use; 1 of 6 instances "
                              "busy</p>\n<div class=\"map\""));
}

TEST(StatusPageTest, PendingModeChangeAndDisabledGpu) {
  GpuStatus g;
  g.index = 0;
  g.name = "NVIDIA H100 NVL";
  g.uuid = "GPU-0";
  g.model = "H100-NVL";
  g.memory_slices = 8;
  g.mode = {false, true};
  NodeStatus s = Story();
  s.gpus = {g};
  s.pending = {
      "GPU 0: MIG mode change to enabled waits for a GPU reset or a "
      "reboot"};
  const std::string page = RenderStatusMain(s);
  EXPECT_THAT(page, HasSubstr("MIG <b class=\"mode\">disabled (enabled after "
                              "a GPU reset or reboot)</b>"));
  EXPECT_THAT(page, HasSubstr("<p class=\"whole\">MIG is disabled: the GPU is "
                              "one device.</p>\n</section>\n"));
  EXPECT_THAT(page, Not(HasSubstr("class=\"map\"")));
  EXPECT_THAT(
      page, HasSubstr("<section id=\"pending\">\n<h2>Pending operations</h2>\n"
                      "<ul>\n<li>GPU 0: MIG mode change to enabled waits "
                      "for a GPU reset or a reboot</li>\n</ul>\n</section>\n"));
}

TEST(StatusPageTest, UnknownModelAndUnreadableGpu) {
  GpuStatus g;
  g.index = 2;
  g.name = "NVIDIA T4";
  g.uuid = "GPU-2";
  g.health = "GPU 2: GPU is lost";
  NodeStatus s = Story();
  s.gpus = {g};
  EXPECT_THAT(
      RenderStatusMain(s),
      HasSubstr("<h2>GPU 2: NVIDIA T4</h2>\n<p class=\"meta\">model "
                "not known to migctl · GPU-2 · MIG <b "
                "class=\"mode\">disabled</b> · health <b class=\"health "
                "bad\">GPU 2: GPU is lost</b></p>\n</section>\n"));
}

TEST(StatusPageTest, HeaderLastReconfigurationAndLabels) {
  NodeStatus s = Story();
  s.phase = "applying GPU 2 of 2";
  s.last = ReconfigurationStatus{"custom-mig", "success",
                                 absl::FromUnixSeconds(1796000000),
                                 absl::Milliseconds(1234)};
  const std::string page = RenderStatusMain(s);
  EXPECT_THAT(page, HasSubstr("<main id=\"status\">\n<p class=\"meta\">Updated "
                              "2026-11-30T00:53:20Z. Config <b "
                              "id=\"config\">custom-mig</b>, state <b "
                              "id=\"state\">success</b>.</p>\n<p "
                              "id=\"phase\">Now: applying GPU 2 of 2</p>\n"));
  EXPECT_THAT(page, HasSubstr("<section id=\"pending\">\n<h2>Pending "
                              "operations</h2>\n<p>None: the node is in its "
                              "configured state.</p>\n</section>\n"));
  EXPECT_THAT(page, HasSubstr("<section id=\"last\">\n<h2>Last "
                              "reconfiguration</h2>\n<p><b "
                              "class=\"ok\">success</b>: config custom-mig, "
                              "finished 2026-11-30T00:53:20Z after "
                              "1.234s.</p>\n</section>\n"));
  EXPECT_THAT(
      page,
      HasSubstr("<section id=\"labels\">\n<h2>Node labels (nvidia.com/mig*, "
                "nvidia.com/gpu.*)</h2>\n"
                "<table>\n<tr><td>nvidia.com/mig.config</td><td>"
                "custom-mig</td></tr>\n<tr><td>nvidia.com/"
                "mig.config.state</td><td>success</td></tr>\n"
                "</table>\n</section>\n</main>\n"));
}

TEST(StatusPageTest, FailureIsShownEscaped) {
  NodeStatus s = Story();
  s.state_label = "failed";
  s.last = ReconfigurationStatus{"custom-mig", "failed",
                                 absl::FromUnixSeconds(1796000000),
                                 absl::Seconds(2)};
  s.failure = "no MIG config named \"<x>\"";
  EXPECT_THAT(RenderStatusMain(s),
              HasSubstr("<p><b class=\"bad\">failed</b>: config custom-mig, "
                        "finished 2026-11-30T00:53:20Z after 2s.</p>\n"
                        "<p class=\"bad\" id=\"failure\">no MIG config named "
                        "&quot;&lt;x&gt;&quot;</p>\n</section>\n"));
}

TEST(StatusPageTest, PageIsSelfContainedAndRefreshesItself) {
  const std::string page = RenderStatusPage(Story());
  EXPECT_THAT(page, HasSubstr("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                              "<meta charset=\"utf-8\">\n<title>migctl agent "
                              "— gpu-node-1</title>\n<noscript><meta "
                              "http-equiv=\"refresh\" "
                              "content=\"5\"></noscript>\n<style>\n"));
  EXPECT_THAT(page, HasSubstr("const r = await fetch('/', {cache: "
                              "'no-store'});"));
  EXPECT_THAT(page, HasSubstr("}, 2000);\n</script>\n</body>\n</html>\n"));
  // No external assets: nothing is loaded from anywhere but `/`.
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("href=")));
  EXPECT_THAT(page, Not(HasSubstr("http:")));
  EXPECT_THAT(page, Not(HasSubstr("https:")));
}

TEST(StatusPageTest, EscapeHtml) {
  EXPECT_EQ(EscapeHtml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
}

TEST(StatusPageTest, Json) {
  NodeStatus s = Story();
  s.last = ReconfigurationStatus{"custom-mig", "success",
                                 absl::FromUnixSeconds(1796000000),
                                 absl::Milliseconds(1500)};
  s.gpus[0].instances.resize(1);
  EXPECT_EQ(StatusJson(s), nlohmann::json::parse(R"({
    "node": "gpu-node-1", "time": "2026-11-30T00:53:20Z",
    "config": "custom-mig", "state": "success", "phase": "", "pending": [],
    "last_reconfiguration": {"config": "custom-mig", "state": "success",
      "finished": "2026-11-30T00:53:20Z", "seconds": 1.5},
    "failure": "",
    "labels": {"nvidia.com/mig.config": "custom-mig",
               "nvidia.com/mig.config.state": "success"},
    "gpus": [{"index": 1, "name": "NVIDIA H100 NVL", "uuid": "GPU-1",
      "model": "H100-NVL", "memory_slices": 8, "compute_slices": 7,
      "compute_slices_used": 6, "mig_enabled": true,
      "mig_enabled_pending": true, "health": "ok",
      "instances": [{"profile": "1g.24gb", "gpu_instance_id": 5, "start": 0,
                     "size": 2, "busy": true}]}]
  })"));
}

}  // namespace
}  // namespace migctl::agent
