// `migctl completion bash|zsh` run in the real shells.
//
// bash: COMP_WORDS/COMP_CWORD set as bash's completion sets them (it splits
// `--flag=value` into `--flag`, `=`, `value`), `_migctl` called, COMPREPLY
// compared exactly. COMP_WORDS[0] is the built migctl, which the script calls
// for config names, GPU indices, models and profiles.
//
// zsh (`zsh -f`, non-interactive): compinit run as a ~/.zshrc would, the
// script sourced, words/CURRENT/PREFIX set as zsh's completion sets them (it
// keeps `--flag=value` one word) and the function compdef registered for
// migctl called, with compadd and compset (which work only inside a
// completion widget) replaced by stubs: compset does what zsh's does for the
// patterns the script uses, compadd prints each candidate as the word it
// completes to (IPREFIX + match), then `(files)` for file names and
// `(nospace)` when no space is to follow. migctl is found on PATH, as a user
// types it.
#include <unistd.h>

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

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = out.find('\n'); nl != std::string::npos;
       start = nl + 1, nl = out.find('\n', start)) {
    if (nl > start) lines.push_back(out.substr(start, nl - start));
  }
  return lines;
}

constexpr char kZshHarness[] = R"zsh(
autoload -U compinit && compinit -u -D
source "$1"
shift
compadd() {
  local -a m
  local files="" nospace=""
  while (( $# )); do
    case $1 in
      -a) shift; m+=("${(@P)1}") ;;
      -S) shift; [[ -z $1 ]] && nospace=1 ;;
      -f) files=1 ;;
      -) shift; m+=("$@"); break ;;
      -*) ;;
      *) m+=("$1") ;;
    esac
    shift
  done
  local w
  for w in "${m[@]}"; do print -r -- "$IPREFIX$w"; done
  [[ -n $files ]] && print "(files)"
  [[ -n $nospace ]] && print "(nospace)"
  return 0
}
compset() {
  case "$*" in
    "-P 1 *=") [[ $PREFIX == *=* ]] || return 1
               IPREFIX+=${PREFIX%%=*}=; PREFIX=${PREFIX#*=} ;;
    "-P */") [[ $PREFIX == */* ]] || return 1
             IPREFIX+=${PREFIX%/*}/; PREFIX=${PREFIX##*/} ;;
    *) return 1 ;;
  esac
}
words=("$@")
CURRENT=$#
PREFIX=${words[CURRENT]}
IPREFIX=""
${=_comps[migctl]}
)zsh";

// Writes the scripts and a simulated node of 2 GPUs once for all tests.
class ShellCompletionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(
        std::filesystem::temp_directory_path() /
        ("migctl-completion-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*dir_);
    for (const char* shell : {"bash", "zsh"}) {
      MigctlResult r = RunMigctl({"completion", shell});
      ASSERT_EQ(r.code, 0) << r.err;
      std::ofstream(*dir_ / (std::string("migctl.") + shell)) << r.out;
    }
    std::ofstream(*dir_ / "harness.zsh") << kZshHarness;
    MigctlResult r =
        RunMigctl({"sim", "create", State(), "--gpus", "2xH100-NVL"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string State() { return (*dir_ / "node.json").string(); }

  // The completions bash offers for `words` (the last one is being typed),
  // one per element.
  static std::vector<std::string> Bash(std::vector<std::string> words) {
    words.insert(words.begin(), MIGCTL_BINARY);
    std::string array;
    for (const std::string& w : words) array += Quote(w) + " ";
    return Lines(migctl::testing::RunShell(
                     "cd " + Quote(MIGCTL_SOURCE_DIR) + " && bash --norc -c " +
                     Quote("source " + (*dir_ / "migctl.bash").string() +
                           "; COMP_WORDS=(" + array +
                           "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                           "; _migctl; printf '%s\\n' \"${COMPREPLY[@]}\"") +
                     " 2>/dev/null")
                     .output);
  }

  // What zsh completes `words` to (see the file comment), one per element;
  // zsh's errors, if any, too.
  static std::vector<std::string> Zsh(std::vector<std::string> words) {
    std::string args;
    for (const std::string& w : words) args += " " + Quote(w);
    const std::string bin =
        std::filesystem::path(MIGCTL_BINARY).parent_path().string();
    return Lines(
        migctl::testing::RunShell("cd " + Quote(MIGCTL_SOURCE_DIR) +
                                  " && HOME=" + Quote(dir_->string()) +
                                  " PATH=" + Quote(bin) + ":\"$PATH\" zsh -f " +
                                  Quote((*dir_ / "harness.zsh").string()) +
                                  " " + Quote((*dir_ / "migctl.zsh").string()) +
                                  " migctl" + args + " 2>&1")
            .output);
  }

  static std::filesystem::path* dir_;
};

std::filesystem::path* ShellCompletionTest::dir_ = nullptr;

using CompletionTest = ShellCompletionTest;
using ZshCompletionTest = ShellCompletionTest;

TEST_F(CompletionTest, Subcommands) {
  EXPECT_THAT(Bash({"mig-m"}), ElementsAre("mig-mode"));
  EXPECT_THAT(Bash({"sim", ""}),
              ElementsAre("create", "attach-process", "detach-process",
                          "reboot", "fault", "inject-xid", "show"));
  EXPECT_THAT(Bash({"--sim", "node.json", "-o", "json", "sim", "re"}),
              ElementsAre("reboot"));
  // The hidden __complete is not offered.
  EXPECT_THAT(Bash({"__"}), IsEmpty());
}

TEST_F(CompletionTest, FlagsOfTheCommandBeingTyped) {
  EXPECT_THAT(Bash({"apply", "--d"}), ElementsAre("--dry-run"));
  EXPECT_THAT(Bash({"apply", "-f", "x.yaml", "--s"}),
              ElementsAre("--selected-config", "--skip-reset"));
  EXPECT_THAT(Bash({"--v"}), ElementsAre("--verbose", "--version"));
  // A flag takes no value: the next word is completed on its own.
  EXPECT_THAT(Bash({"-v", "mig-m"}), ElementsAre("mig-mode"));
  EXPECT_THAT(Bash({"apply", "--dry-run", "--mode"}),
              ElementsAre("--mode-only"));
}

TEST_F(CompletionTest, ChoicesOfAnOptionOrArgument) {
  EXPECT_THAT(Bash({"-o", ""}), ElementsAre("table", "json"));
  EXPECT_THAT(Bash({"labels", "-o", "n"}), ElementsAre("nfd"));
  EXPECT_THAT(Bash({"mig-mode", ""}), ElementsAre("enable", "disable"));
  EXPECT_THAT(Bash({"mig-mode", "enable", ""}), IsEmpty());
  EXPECT_THAT(Bash({"completion", ""}), ElementsAre("bash", "zsh"));
}

TEST_F(CompletionTest, ConfigNamesFromTheFileOnTheLine) {
  EXPECT_THAT(Bash({"--sim", "node.json", "apply", "-f",
                    "examples/custom-mig.yaml", "-c", ""}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Bash({"plan", "--config-file", "examples/custom-mig.yaml",
                    "--selected-config", "cu"}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Bash({"apply", "-f", "no-such.yaml", "-c", ""}), IsEmpty());
}

TEST_F(CompletionTest, GpuIndicesOfTheNode) {
  EXPECT_THAT(Bash({"--sim", State(), "mig-mode", "-i", ""}),
              ElementsAre("0", "1"));
  EXPECT_THAT(Bash({"sim", "attach-process", State(), "--id", ""}),
              ElementsAre("0", "1"));
  // No driver and no --sim: nothing.
  EXPECT_THAT(Bash({"show", "-i", ""}), IsEmpty());
}

TEST_F(CompletionTest, ModelsAndProfiles) {
  EXPECT_THAT(Bash({"layouts", "A3"}), ElementsAre("A30-24GB"));
  EXPECT_THAT(Bash({"layouts", "H100-NVL", "--with", "1g.1"}),
              ElementsAre("1g.12gb", "1g.12gb+me"));
  EXPECT_THAT(Bash({"layouts", "H100-NVL", "--with", "1g.12gb,2"}),
              ElementsAre("1g.12gb,2g.24gb"));
  EXPECT_THAT(Bash({"layouts", "A30-24GB", "--with", "4"}),
              ElementsAre("4g.24gb"));
}

TEST_F(CompletionTest, Files) {
  EXPECT_THAT(Bash({"apply", "-f", "examples/cus"}),
              ElementsAre("examples/custom-mig.yaml"));
  EXPECT_THAT(Bash({"--sim", "examples/cus"}),
              ElementsAre("examples/custom-mig.yaml"));
}

// bash splits `--flag=value` at `=`; the value is completed alone, as bash
// inserts it after the `=`.
TEST_F(CompletionTest, FlagEqualsValue) {
  EXPECT_THAT(Bash({"apply", "--config-file", "=", "examples/cus"}),
              ElementsAre("examples/custom-mig.yaml"));
  EXPECT_THAT(Bash({"apply", "--config-file", "=", "examples/custom-mig.yaml",
                    "--selected-config", "="}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Bash({"apply", "--config-file", "=", "examples/custom-mig.yaml",
                    "-c", ""}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Bash({"layouts", "H100-NVL", "--with", "=", "1g.12gb,2"}),
              ElementsAre("1g.12gb,2g.24gb"));
  EXPECT_THAT(Bash({"--output", "=", "j"}), ElementsAre("json"));
  // The value given with `=` is skipped: the next word is a subcommand.
  EXPECT_THAT(Bash({"--output", "=", "json", "mig-m"}),
              ElementsAre("mig-mode"));
  // bash without `=` in COMP_WORDBREAKS keeps the word whole.
  EXPECT_THAT(Bash({"apply", "--config-file=examples/cus"}),
              ElementsAre("--config-file=examples/custom-mig.yaml"));
}

TEST_F(ZshCompletionTest, Subcommands) {
  EXPECT_THAT(Zsh({"mig-m"}), ElementsAre("mig-mode"));
  EXPECT_THAT(Zsh({"sim", ""}),
              ElementsAre("create", "attach-process", "detach-process",
                          "reboot", "fault", "inject-xid", "show"));
  EXPECT_THAT(Zsh({"--sim", "node.json", "-o", "json", "sim", "re"}),
              ElementsAre("reboot"));
  EXPECT_THAT(Zsh({"__"}), IsEmpty());
}

TEST_F(ZshCompletionTest, FlagsOfASubcommand) {
  EXPECT_THAT(Zsh({"apply", "-f", "x.yaml", "--s"}),
              ElementsAre("--selected-config", "--skip-reset"));
  EXPECT_THAT(
      Zsh({"layouts", "-"}),
      ElementsAre("-h", "--help", "--with", "--maximal", "--all", "--color"));
  EXPECT_THAT(Zsh({"-v", "mig-m"}), ElementsAre("mig-mode"));
}

TEST_F(ZshCompletionTest, Choices) {
  EXPECT_THAT(Zsh({"-o", ""}), ElementsAre("table", "json"));
  EXPECT_THAT(Zsh({"mig-mode", ""}), ElementsAre("enable", "disable"));
  EXPECT_THAT(Zsh({"--output=j"}), ElementsAre("--output=json"));
}

TEST_F(ZshCompletionTest, ConfigNamesFromTheFileOnTheLine) {
  EXPECT_THAT(Zsh({"apply", "-f", "examples/custom-mig.yaml", "-c", ""}),
              ElementsAre("custom-mig"));
  EXPECT_THAT(Zsh({"plan", "--config-file=examples/custom-mig.yaml",
                   "--selected-config=cu"}),
              ElementsAre("--selected-config=custom-mig"));
  EXPECT_THAT(
      Zsh({"apply", "--config-file=examples/custom-mig.yaml", "-c", ""}),
      ElementsAre("custom-mig"));
  EXPECT_THAT(Zsh({"apply", "-f", "no-such.yaml", "-c", ""}), IsEmpty());
}

TEST_F(ZshCompletionTest, ProfileNames) {
  EXPECT_THAT(Zsh({"layouts", "H100-NVL", "--with", "1g.1"}),
              ElementsAre("1g.12gb", "1g.12gb+me", "(nospace)"));
  EXPECT_THAT(Zsh({"layouts", "H100-NVL", "--with", "1g.12gb,2"}),
              ElementsAre("1g.12gb,2g.24gb", "(nospace)"));
  EXPECT_THAT(Zsh({"layouts", "H100-NVL", "--with=1g.12gb,2"}),
              ElementsAre("--with=1g.12gb,2g.24gb", "(nospace)"));
  EXPECT_THAT(Zsh({"layouts", "A3"}), ElementsAre("A30-24GB"));
}

TEST_F(ZshCompletionTest, GpuIndices) {
  EXPECT_THAT(Zsh({"--sim", State(), "mig-mode", "-i", ""}),
              ElementsAre("0", "1"));
  EXPECT_THAT(Zsh({"--sim=" + State(), "show", "--id=1"}),
              ElementsAre("--id=1"));
  EXPECT_THAT(Zsh({"sim", "inject-xid", State(), "-i", ""}),
              ElementsAre("0", "1"));
}

TEST_F(ZshCompletionTest, Files) {
  EXPECT_THAT(Zsh({"apply", "-f", "examples/cus"}),
              ElementsAre("examples/custom-mig.yaml", "(files)"));
  EXPECT_THAT(Zsh({"apply", "--config-file=examples/cus"}),
              ElementsAre("--config-file=examples/custom-mig.yaml", "(files)"));
  EXPECT_THAT(Zsh({"apply", "--config-file=exa"}),
              ElementsAre("--config-file=examples", "(files)"));
  EXPECT_THAT(Zsh({"device-plugin", "--socket-dir", "examples/"}),
              ElementsAre("(files)"));
  EXPECT_THAT(Zsh({"agent", "--pod-resources-socket=examples/cus"}),
              ElementsAre("--pod-resources-socket=examples/custom-mig.yaml",
                          "(files)"));
}

// The script works in a shell where compinit has not been run.
TEST_F(ZshCompletionTest, RunsCompinitWhenNeeded) {
  const std::string out =
      migctl::testing::RunShell(
          "HOME=" + Quote(dir_->string()) + " zsh -f -c " +
          Quote("source " + (*dir_ / "migctl.zsh").string() +
                "; print -r -- $_comps[migctl]") +
          " 2>&1")
          .output;
  EXPECT_EQ(out, "_migctl_zsh\n");
}

TEST(CompletionCommandTest, HiddenCommandListsWords) {
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

// Both scripts hold the same tables and functions; only the header and the
// registration differ.
TEST(CompletionCommandTest, ScriptsShareTheFunctions) {
  const std::string bash = RunMigctl({"completion", "bash"}).out;
  const std::string zsh = RunMigctl({"completion", "zsh"}).out;
  const std::string registration = "complete -F _migctl migctl\n";
  ASSERT_TRUE(bash.ends_with(registration)) << bash;
  const size_t tables = bash.find("# command -> its subcommands\n");
  ASSERT_NE(tables, std::string::npos);
  const std::string shared =
      bash.substr(tables, bash.size() - tables - registration.size());
  EXPECT_EQ(zsh,
            "# zsh completion for migctl, generated by `migctl completion "
            "zsh`.\n# Load it with: source <(migctl completion zsh)\n"
            "(( $+functions[compdef] )) || { autoload -U compinit && "
            "compinit; }\n" +
                shared +
                "\n# Completes migctl in zsh: _migctl on zsh's words, replies "
                "added with compadd.\n" +
                zsh.substr(zsh.find("_migctl_zsh() {")));
  EXPECT_TRUE(zsh.ends_with("}\ncompdef _migctl_zsh migctl\n")) << zsh;
}

}  // namespace
}  // namespace migctl::cli
