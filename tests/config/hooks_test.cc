// Tests of mig-parted v1 hooks files.
#include "config/hooks.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<HooksFile> file = ParseHooks(yaml, "h.yaml");
  if (file.ok()) return "ok";
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(file.status().message());
}

TEST(HooksTest, LoadsNvidiaStyleFile) {
  absl::StatusOr<HooksFile> file =
      LoadHooks(std::string(MIGCTL_SOURCE_DIR) +
                "/tests/config/testdata/hooks-default.yaml");
  ASSERT_TRUE(file.ok()) << file.status();
  const HookCommand start = {
      "/bin/bash",
      {"-x", "-c",
       "source hooks.sh; persist-config ${MIG_PARTED_SELECTED_CONFIG}"},
      {},
      "/etc/nvidia-mig-manager"};
  const HookCommand stop = {"/bin/bash",
                            {"-x", "-c", "source hooks.sh; stop-services"},
                            {},
                            "/etc/nvidia-mig-manager"};
  HookCommand stop_with_envs = stop;
  stop_with_envs.envs = {"SERVICES=nvsm dcgm", "DRY_RUN=false"};
  const HookCommand exit = {"/bin/bash",
                            {"-x", "-c", "source hooks.sh; start-services"},
                            {},
                            "/etc/nvidia-mig-manager"};
  EXPECT_EQ(file->hooks.size(), 4u);
  EXPECT_THAT(file->hooks.at(std::string(kApplyStart)), ElementsAre(start));
  EXPECT_THAT(file->hooks.at(std::string(kPreApplyMode)),
              ElementsAre(stop_with_envs, HookCommand{"/bin/true"}));
  EXPECT_THAT(file->hooks.at(std::string(kPreApplyConfig)), ElementsAre(stop));
  EXPECT_THAT(file->hooks.at(std::string(kApplyExit)), ElementsAre(exit));
}

TEST(HooksTest, HooksMayBeAbsentOrEmpty) {
  for (const char* yaml :
       {"version: v1\n", "version: v1\nhooks:\n", "version: v1\nhooks: {}\n"}) {
    absl::StatusOr<HooksFile> file = ParseHooks(yaml, "h.yaml");
    ASSERT_TRUE(file.ok()) << yaml << file.status();
    EXPECT_THAT(file->hooks, IsEmpty());
  }
  absl::StatusOr<HooksFile> file =
      ParseHooks("version: v1\nhooks:\n  apply-exit: []\n", "h.yaml");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT(file->hooks.at("apply-exit"), IsEmpty());
}

TEST(HooksTest, Errors) {
  const std::string h = "version: v1\nhooks:\n  apply-exit:\n    - ";
  const struct {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"",
       "h.yaml:1:1: the document is empty; expected a map with keys "
       "version and hooks"},
      {"hooks: {}\n",
       "h.yaml:1:1: missing key \"version\"; expected version: v1"},
      {"version: v2\n",
       "h.yaml:1:10: unknown version \"v2\"; expected version: v1"},
      {"version: v1\nhooks: {}\nbogus: 1\n",
       "h.yaml:3:1: unknown key \"bogus\"; valid keys are version, hooks"},
      {"version: v1\nhooks: []\n",
       "h.yaml:2:8: \"hooks\" is a list; expected a map with keys apply-start, "
       "pre-apply-mode, pre-apply-config, apply-exit"},
      {"version: v1\nhooks:\n  post-apply: []\n",
       "h.yaml:3:3: unknown hook \"post-apply\"; valid hooks are apply-start, "
       "pre-apply-mode, pre-apply-config, apply-exit"},
      {"version: v1\nhooks:\n  apply-exit: []\n  apply-exit: []\n",
       "h.yaml:4:3: duplicate key \"apply-exit\"; expected each key once"},
      {"version: v1\nhooks:\n  apply-exit: {command: /bin/true}\n",
       "h.yaml:3:15: hook \"apply-exit\" is a map; expected a list of maps "
       "with keys command, args, envs, workdir"},
      {h + "/bin/true\n",
       "h.yaml:4:7: command of hook \"apply-exit\" is \"/bin/true\"; expected "
       "a map with keys command, args, envs, workdir"},
      {h + "args: [a]\n",
       "h.yaml:4:7: missing key \"command\"; expected the program to run, "
       "e.g. command: /bin/sh"},
      {h + "command: /bin/true\n      cmd: x\n",
       "h.yaml:5:7: unknown key \"cmd\"; valid keys are command, args, envs, "
       "workdir"},
      {h + "command: [/bin/true]\n",
       "h.yaml:4:16: \"command\" is a list; expected a program to run"},
      {h + "command:\n",
       "h.yaml:4:7: \"command\" is null; expected a program to run"},
      {h + "command: /bin/true\n      workdir: {}\n",
       "h.yaml:5:16: \"workdir\" is a map; expected a directory"},
      {h + "command: /bin/true\n      args: -x\n",
       "h.yaml:5:13: \"args\" is \"-x\"; expected a list of strings"},
      {h + "command: /bin/true\n      args: [-x, [a]]\n",
       "h.yaml:5:18: argument is a list; expected a string"},
      {h + "command: /bin/true\n      envs: [A=b]\n",
       "h.yaml:5:13: \"envs\" is a list; expected a map of variable names to "
       "values"},
      {h + "command: /bin/true\n      envs: {A: [b]}\n",
       "h.yaml:5:17: value of \"A\" is a list; expected a string"},
      {h + "command: /bin/true\n      envs: {A: b, A: c}\n",
       "h.yaml:5:20: duplicate key \"A\"; expected each key once"},
      {h + "command: /bin/true\n      command: /bin/false\n",
       "h.yaml:5:7: duplicate key \"command\"; expected each key once"},
      {"version: v1\nhooks: [\n",
       "h.yaml:3:1: invalid YAML: end of sequence flow not found; expected "
       "well-formed YAML"},
  };
  for (const auto& c : cases) EXPECT_EQ(ErrorOf(c.yaml), c.message) << c.yaml;
}

TEST(HooksTest, MissingFile) {
  absl::StatusOr<HooksFile> file = LoadHooks("/nonexistent/hooks.yaml");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(file.status().message(),
            "cannot read /nonexistent/hooks.yaml: No such file or directory");
}

}  // namespace
}  // namespace migctl::config
