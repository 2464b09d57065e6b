// Every command-line flag the chart renders (agent and planner, with every
// optional flag switched on) is one the migctl binary of this build knows:
// `migctl <command> --help` lists it. Catches a renamed flag on either side.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "deploy/chart.h"
#include "support/shell.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

// The "--name" part of each "--name[=value]" argument of `args`, and the
// first argument that does not start with "--" (the command) in *command.
std::set<std::string> FlagNames(const json& args, std::string* command) {
  std::set<std::string> names;
  command->clear();
  for (const json& a : args) {
    std::string arg = a.get<std::string>();
    if (arg.rfind("--", 0) != 0) {
      if (command->empty()) *command = arg;
      continue;
    }
    names.insert(arg.substr(0, arg.find('=')));
  }
  return names;
}

// Whether `help` lists `flag` as a whole word.
bool Lists(const std::string& help, const std::string& flag) {
  for (size_t at = help.find(flag); at != std::string::npos;
       at = help.find(flag, at + 1)) {
    char after = at + flag.size() < help.size() ? help[at + flag.size()] : ' ';
    if (!std::isalnum(static_cast<unsigned char>(after)) && after != '-') {
      return true;
    }
  }
  return false;
}

// Values that switch every optional flag on, in two renders (the device
// plugin's and labels' flags are either-or).
constexpr char kAllFlags[] = R"(
agent: {logLevel: debug}
planner:
  enabled: true
  dryRun: true
  logLevel: debug
  maxNodesPerRound: 2
  managedNodeSelector: pool=gpu
  protectedNodes: [n1]
)";

class ChartFlagsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ChartFlagsTest, RenderedFlagsAreMigctls) {
  absl::StatusOr<std::vector<json>> objects =
      RenderChart({WriteValues("all-flags.yaml", kAllFlags),
                   WriteValues("switches.yaml", GetParam())});
  ASSERT_TRUE(objects.ok()) << objects.status();
  ShellResult global = RunShell(std::string(MIGCTL_BINARY) + " --help 2>&1");
  ASSERT_EQ(global.exit_code, 0) << global.output;
  for (const auto& [kind, name] :
       std::vector<std::pair<std::string, std::string>>{
           {"DaemonSet", "migctl"}, {"Deployment", "migctl-planner"}}) {
    const json* o = FindObject(*objects, kind, name);
    ASSERT_NE(o, nullptr) << kind;
    std::string command;
    std::set<std::string> flags = FlagNames(
        (*o)["spec"]["template"]["spec"]["containers"][0]["args"], &command);
    ASSERT_FALSE(command.empty()) << kind;
    ShellResult help =
        RunShell(std::string(MIGCTL_BINARY) + " " + command + " --help 2>&1");
    ASSERT_EQ(help.exit_code, 0) << command << ": " << help.output;
    for (const std::string& flag : flags) {
      EXPECT_TRUE(Lists(help.output, flag) ||
                  (flag == "--verbose" && Lists(global.output, flag)))
          << "migctl " << command << " has no " << flag;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Switches, ChartFlagsTest,
                         ::testing::Values("{}\n",
                                           "devicePlugin: {enabled: false}\n"
                                           "labels: {enabled: false}\n"));

}  // namespace
}  // namespace migctl::testing
