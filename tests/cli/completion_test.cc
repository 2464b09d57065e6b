// `migctl completion bash` run in a real bash: COMP_WORDS/COMP_CWORD set as
// bash's completion sets them, `_migctl` called, COMPREPLY compared exactly.
// COMP_WORDS[0] is the built migctl, which the script calls for config names,
// models and profiles.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "run_migctl.h"
#include "support/shell.h"

namespace migctl::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

class CompletionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    script_ = new std::string(
        (std::filesystem::temp_directory_path() /
         ("migctl-completion-" + std::to_string(::getpid()) + ".bash"))
            .string());
    MigctlResult r = RunMigctl({"completion", "bash"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::ofstream(*script_) << r.out;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove(*script_);
    delete script_;
  }

  // The completions bash offers for `words` (the last one is being typed),
  // one per element.
  std::vector<std::string> Complete(std::vector<std::string> words) {
    words.insert(words.begin(), MIGCTL_BINARY);
    std::string array;
    for (const std::string& w : words) array += Quote(w) + " ";
    const std::string command =
        "cd " + Quote(MIGCTL_SOURCE_DIR) + " && bash --norc -c " +
        Quote("source " + *script_ + "; COMP_WORDS=(" + array +
              "); COMP_CWORD=" + std::to_string(words.size() - 1) +
              "; _migctl; printf '%s\\n' \"${COMPREPLY[@]}\"") +
        " 2>/dev/null";
    const std::string out = migctl::testing::RunShell(command).output;
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t nl = out.find('\n'); nl != std::string::npos;
         start = nl + 1, nl = out.find('\n', start)) {
      if (nl > start) lines.push_back(out.substr(start, nl - start));
    }
    return lines;
  }

  static std::string* script_;
};

std::string* CompletionTest::script_ = nullptr;

TEST_F(CompletionTest, Subcommands) {
  EXPECT_THAT(Complete({"mig-m"}), ElementsAre("mig-mode"));
  EXPECT_THAT(Complete({"sim", ""}),
              ElementsAre("create", "attach-process", "detach-process",
                          "reboot", "fault", "inject-xid", "show"));
  EXPECT_THAT(Complete({"--sim", "node.json", "-o", "json", "sim", "re"}),
              ElementsAre("reboot"));
  // The hidden __complete is not offered.
  EXPECT_THAT(Complete({"__"}), IsEmpty());
}

TEST_F(CompletionTest, FlagsOfTheCommandBeingTyped) {
  EXPECT_THAT(Complete({"apply", "--d"}), ElementsAre("--dry-run"));
  EXPECT_THAT(Complete({"apply", "-f", "x.yaml", "--s"}),
              ElementsAre("--selected-config", "--skip-reset"));
  EXPECT_THAT(Complete({"--v"}), ElementsAre("--verbose", "--version"));
  // A flag takes no value: the next word is completed on its own.
  EXPECT_THAT(Complete({"-v", "mig-m"}), ElementsAre("mig-mode"));
  EXPECT_THAT(Complete({"apply", "--dry-run", "--mode"}),
              ElementsAre("--mode-only"));
}

TEST_F(CompletionTest, ChoicesOfAnOptionOrArgument) {
  EXPECT_THAT(Complete({"-o", ""}), ElementsAre("table", "json"));
  EXPECT_THAT(Complete({"labels", "-o", "n"}), ElementsAre("nfd"));
  EXPECT_THAT(Complete({"mig-mode", ""}), ElementsAre("enable", "disable"));
  EXPECT_THAT(Complete({"mig-mode", "enable", ""}), IsEmpty());
  EXPECT_THAT(Complete({"completion", ""}), ElementsAre("bash", "zsh"));
}

TEST_F(CompletionTest, ConfigNamesFromTheFileOnTheLine) {
  EXPECT_THAT(Complete({"--sim", "node.json", "apply", "-f",
                        "examples/custom-mig.yaml", "-c", ""}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Complete({"plan", "--config-file", "examples/custom-mig.yaml",
                        "--selected-config", "cu"}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Complete({"apply", "-f", "no-such.yaml", "-c", ""}), IsEmpty());
}

TEST_F(CompletionTest, ModelsAndProfiles) {
  EXPECT_THAT(Complete({"layouts", "A3"}), ElementsAre("A30-24GB"));
  EXPECT_THAT(Complete({"layouts", "H100-NVL", "--with", "1g.1"}),
              ElementsAre("1g.12gb", "1g.12gb+me"));
  EXPECT_THAT(Complete({"layouts", "H100-NVL", "--with", "1g.12gb,2"}),
              ElementsAre("1g.12gb,2g.24gb"));
  EXPECT_THAT(Complete({"layouts", "A30-24GB", "--with", "4"}),
              ElementsAre("4g.24gb"));
}

TEST_F(CompletionTest, Files) {
  EXPECT_THAT(Complete({"apply", "-f", "examples/cus"}),
              ElementsAre("examples/custom-mig.yaml"));
  EXPECT_THAT(Complete({"--sim", "examples/cus"}),
              ElementsAre("examples/custom-mig.yaml"));
}

TEST_F(CompletionTest, HiddenCommandListsWords) {
  MigctlResult r =
      RunMigctl({"__complete", "config-names", "-f",
                 std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "custom-mig\n");
  r = RunMigctl({"__complete", "profiles", "A30-24GB"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1g.6gb\n"));
  r = RunMigctl({"__complete", "profiles", "T4"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "migctl: error: unknown GPU model \"T4\"; `migctl models` lists "
            "them\n");
  EXPECT_THAT(RunMigctl({"--help"}).out,
              ::testing::Not(HasSubstr("__complete")));
}

TEST_F(CompletionTest, ZshLoadsTheBashFunctionThroughBashcompinit) {
  MigctlResult bash = RunMigctl({"completion", "bash"});
  MigctlResult zsh = RunMigctl({"completion", "zsh"});
  ASSERT_EQ(zsh.code, 0) << zsh.err;
  EXPECT_EQ(zsh.out,
            "# zsh completion for migctl, generated by `migctl completion "
            "zsh`.\n# Load it with: source <(migctl completion zsh)\n"
            "autoload -U +X bashcompinit && bashcompinit\n" +
                bash.out);
}

}  // namespace
}  // namespace migctl::cli
