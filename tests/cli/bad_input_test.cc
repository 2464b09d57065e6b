// The bad-input table of docs/quality.md: migctl run against inputs a user or
// a broken node can hand it. For each: the exact exit code and message, and
// proof that the simulated GPUs were left alone (the state file byte for
// byte, and no file added or removed beside it). The table in the doc is this
// test's output: MIGCTL_WRITE_DOCS=1 rewrites it; otherwise the test fails
// when the doc is out of date.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/app.h"
#include "cli/run_migctl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace migctl::cli {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The files in `dir`, but for flock(2) lock files, which stay by design.
std::set<std::string> Files(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(".lock")) names.insert(name);
  }
  return names;
}

// What must hold of the state file after the command.
enum class Untouched {
  // Byte-identical: migctl refused before calling the driver.
  kBytes,
  // The driver refused the call: the GPUs (mode, instances, processes) are
  // identical; only the simulator's count of mutating calls moved.
  kGpus,
};

struct BadInput {
  std::string input;  // for the doc
  // Writes the input files into the case's directory (which already holds
  // node.json, the busy story node, and the story config story.yaml).
  std::function<void(const fs::path&)> setup;
  // "@name": the file `name` in the case's directory.
  std::vector<std::string> args;
  int code;
  std::string message;  // stderr, the directory written as "./"
  Untouched untouched = Untouched::kBytes;
};

std::string Config(const std::string& entry) {
  return absl::StrCat("version: v1\nmig-configs:\n  c:\n    - devices: all\n",
                      entry);
}

const std::vector<BadInput>& Table() {
  static const auto* table = new std::vector<BadInput>{
      {"config file missing",
       nullptr,
       {"apply", "-f", "@missing.yaml"},
       2,
       "cannot read ./missing.yaml: No such file or directory"},
      {"empty config file",
       [](const fs::path& d) { Write(d / "in.yaml", ""); },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:1:1: the document is empty; expected a map with keys "
       "version and mig-configs"},
      {"malformed YAML (unclosed `[`)",
       [](const fs::path& d) {
         Write(d / "in.yaml", "version: v1\nmig-configs: [\n");
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:3:1: invalid YAML: end of sequence flow not found; expected "
       "well-formed YAML"},
      {"unknown config version `v2`",
       [](const fs::path& d) {
         Write(d / "in.yaml", "version: v2\nmig-configs: {}\n");
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:1:10: unknown version \"v2\"; expected version: v1"},
      {"unknown profile `1g.99gb`",
       [](const fs::path& d) {
         Write(d / "in.yaml", Config("      mig-enabled: true\n"
                                     "      mig-devices: {\"1g.99gb\": 1}\n"));
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:4:7: profile \"1g.99gb\" does not exist on NVIDIA H100 NVL; "
       "valid profiles are 1g.12gb, 2g.24gb, 3g.47gb, 4g.47gb, 7g.94gb, "
       "1g.12gb+me, 1g.24gb"},
      {"malformed profile name `1g.12`",
       [](const fs::path& d) {
         Write(d / "in.yaml", Config("      mig-enabled: true\n"
                                     "      mig-devices: {\"1g.12\": 1}\n"));
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:6:21: invalid MIG profile name \"1g.12\": missing \"gb\"; "
       "expected [<c>c.]<g>g.<mem>gb[+me|-me|+me.all|+gfx], e.g. 1g.10gb, "
       "1c.3g.40gb, 1g.10gb+me"},
      {"negative count",
       [](const fs::path& d) {
         Write(d / "in.yaml", Config("      mig-enabled: true\n"
                                     "      mig-devices: {\"1g.12gb\": -1}\n"));
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:6:32: count of \"1g.12gb\" is \"-1\"; expected a "
       "non-negative integer"},
      {"more instances than fit (8 × 1g.12gb)",
       [](const fs::path& d) {
         Write(d / "in.yaml", Config("      mig-enabled: true\n"
                                     "      mig-devices: {\"1g.12gb\": 8}\n"));
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:4:7: mig-devices do not fit on GPU 0 (NVIDIA H100 NVL): 8 × "
       "1g.12gb requested, but NVIDIA H100 NVL supports at most 7"},
      {"malformed device filter",
       [](const fs::path& d) {
         Write(d / "in.yaml", Config("      device-filter: \"0xZZ\"\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices: {}\n"));
       },
       {"apply", "-f", "@in.yaml"},
       2,
       "./in.yaml:5:22: invalid device filter \"0xZZ\"; expected "
       "\"0xDDDDVVVV\" or \"0xDDDDVVVV:0xSSSSVVVV\" (device and vendor id, "
       "optional subsystem id, 8 hex digits each), e.g. \"0x233010DE\""},
      {"unknown config name",
       nullptr,
       {"apply", "-f", "@story.yaml", "-c", "nope"},
       2,
       "no MIG config named \"nope\"; the file has: custom-mig"},
      {"hooks file missing",
       nullptr,
       {"apply", "-f", "@story.yaml", "-k", "@missing-hooks.yaml"},
       2,
       "cannot read ./missing-hooks.yaml: No such file or directory"},
      {"hook command is a list",
       [](const fs::path& d) {
         Write(d / "hooks.yaml",
               "version: v1\nhooks:\n  apply-start: [{command: [5]}]\n");
       },
       {"apply", "-f", "@story.yaml", "-k", "@hooks.yaml"},
       2,
       "./hooks.yaml:3:27: \"command\" is a list; expected a program to run"},
      {"config that would destroy a busy instance",
       [](const fs::path& d) {
         Write(d / "in.yaml", Config("      mig-enabled: true\n"
                                     "      mig-devices: {\"3g.47gb\": 2}\n"));
       },
       {"apply", "-f", "@in.yaml"},
       1,
       "GPU 0: GPU instance 11 (1g.12gb at {0}:1) runs processes 99; the "
       "target has no 1g.12gb. Stop those processes, or choose a config that "
       "keeps it"},
      {"disable MIG while instances exist",
       nullptr,
       {"mig-mode", "-i", "0", "disable"},
       1,
       "nvmlDeviceSetMigMode (GPU 0): 2 GPU instances exist; destroy them "
       "first: In use by another client",
       Untouched::kGpus},
      {"unknown GPU index",
       nullptr,
       {"mig-mode", "-i", "7", "enable"},
       2,
       "no GPU 7: this node has 2 GPUs (0..1)"},
      {"unknown GPU instance",
       nullptr,
       {"ci-profiles", "-i", "0", "--gi", "9"},
       2,
       "GPU 0 has no GPU instance 9"},
      {"simulator state missing",
       nullptr,
       {"--sim", "@missing.json", "list"},
       2,
       "simulated node ./missing.json does not exist; create it with `migctl "
       "sim create ./missing.json --gpu H100-NVL`"},
      {"simulator state not JSON",
       [](const fs::path& d) { Write(d / "node.json", "{\"gpus\": [\n"); },
       {"list"},
       3,
       "simulator state ./node.json is corrupt (not valid JSON); it was left "
       "as it is — restore it or recreate it with `migctl sim create`"},
      {"simulator state of another version",
       [](const fs::path& d) {
         Write(d / "node.json",
               "{\"kind\": \"migctl-sim-node\", \"version\": 7}");
       },
       {"list"},
       1,
       "./node.json: simulator state version 7 is not supported (this migctl "
       "reads version 1); recreate it with `migctl sim create`"},
      {"simulator state with a malformed field",
       [](const fs::path& d) {
         nlohmann::json state = nlohmann::json::parse(Read(d / "node.json"));
         state["gpus"][0]["gpu_instances"] = "none";
         Write(d / "node.json", state.dump(2));
       },
       {"list"},
       2,
       "./node.json: simulator state: $.gpus[0].gpu_instances must be an "
       "array"},
      {"checkpoint file missing",
       nullptr,
       {"restore", "-f", "@missing.ckpt"},
       2,
       "cannot read checkpoint ./missing.ckpt"},
      {"checkpoint of another kind",
       [](const fs::path& d) { Write(d / "in.ckpt", "{\"kind\": \"x\"}"); },
       {"restore", "-f", "@in.ckpt"},
       2,
       "checkpoint: not a migctl checkpoint (\"kind\": \"migctl-checkpoint\" "
       "missing)"},
      {"checkpoint with overlapping placements",
       [](const fs::path& d) {
         nlohmann::json gi = {{"profile_id", 19},
                              {"placement", {{"start", 0}, {"size", 1}}}};
         nlohmann::json ckpt = {{"kind", "migctl-checkpoint"},
                                {"version", 1},
                                {"gpus",
                                 {{{"uuid", "GPU-x"},
                                   {"model", "H100-NVL"},
                                   {"mig_enabled", true},
                                   {"gpu_instances", {gi, gi}}}}}};
         Write(d / "in.ckpt", ckpt.dump());
       },
       {"restore", "-f", "@in.ckpt"},
       2,
       "checkpoint: gpus[0]: 1g.12gb at {0}:1 overlaps another GPU instance"},
      {"checkpoint of GPUs not on this node",
       [](const fs::path& d) {
         ASSERT_EQ(RunMigctl({"--sim", (d / "node.json").string(), "checkpoint",
                              "-f", (d / "in.ckpt").string()})
                       .code,
                   0);
         std::string ckpt = Read(d / "in.ckpt");
         Write(d / "in.ckpt",
               absl::StrReplaceAll(ckpt, {{"\"GPU-", "\"GPU-0"}}));
       },
       {"restore", "-f", "@in.ckpt"},
       2,
       "GPU GPU-0b3509c82-84f9-6c67-e9c3-37eea00ef49c of the checkpoint is "
       "not on this node"},
  };
  return *table;
}

// The busy story node: 2 × H100 NVL with the story's config applied and
// process 99 on GPU 0's GPU instance 11.
class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new fs::path(fs::temp_directory_path() /
                         absl::StrCat("migctl-bad-input-", ::getpid()));
    fs::create_directories(*base_);
    const std::string state = (*base_ / "node.json").string();
    ASSERT_EQ(RunMigctl({"sim", "create", state, "--gpus", "2xH100-NVL"}).code,
              0);
    ASSERT_EQ(
        RunMigctl({"--sim", state, "apply", "-f",
                   std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml",
                   "--journal", (*base_ / "journal.json").string()})
            .code,
        0);
    ASSERT_EQ(RunMigctl({"--sim", state, "sim", "attach-process", state, "-i",
                         "0", "--gi", "11", "--ci", "0", "--pid", "99"})
                  .code,
              0);
    fs::remove(*base_ / "journal.json");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*base_);
    delete base_;
  }
  static fs::path* base_;
};

fs::path* BadInputTest::base_ = nullptr;

std::string Gpus(const std::string& state_text) {
  nlohmann::json state = nlohmann::json::parse(state_text, nullptr, false);
  if (state.is_discarded() || !state.contains("gpus")) return state_text;
  return state["gpus"].dump();
}

std::string MarkdownCell(std::string text) {
  absl::StrReplaceAll({{"|", "\\|"}, {"\n", " "}}, &text);
  return text;
}

std::string Markdown(const std::vector<BadInput>& table,
                     const std::vector<MigctlResult>& results) {
  std::string md =
      "| input | command | exit | what the user sees | GPU state after |\n"
      "|---|---|---|---|---|\n";
  for (size_t i = 0; i < table.size(); ++i) {
    const BadInput& row = table[i];
    std::string args = "migctl";
    for (const std::string& a : row.args) {
      absl::StrAppend(&args, " ", a[0] == '@' ? a.substr(1) : a);
    }
    std::string err = results[i].err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    absl::StrAppend(
        &md, "| ", MarkdownCell(row.input), " | `", MarkdownCell(args), "` | ",
        results[i].code, " | `` ", MarkdownCell(err), " `` | ",
        row.untouched == Untouched::kBytes
            ? "byte-identical, no file added"
            : "GPUs identical (the driver refused; only the simulator's "
              "call counter moved), no file added",
        " |\n");
  }
  return md;
}

TEST_F(BadInputTest, EveryBadInputIsRefusedAndLeavesTheGpusAlone) {
  const std::vector<BadInput>& table = Table();
  std::vector<MigctlResult> results;
  for (size_t i = 0; i < table.size(); ++i) {
    const BadInput& row = table[i];
    SCOPED_TRACE(row.input);
    const fs::path dir = *base_ / absl::StrCat("case-", i);
    fs::create_directories(dir);
    fs::copy_file(*base_ / "node.json", dir / "node.json");
    fs::copy_file(std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml",
                  dir / "story.yaml");
    if (row.setup) row.setup(dir);
    const std::string before = Read(dir / "node.json");
    const std::set<std::string> files = Files(dir);
    std::vector<std::string> args;
    const bool names_state = !row.args.empty() && row.args[0] == "--sim";
    if (!names_state) args = {"--sim", (dir / "node.json").string()};
    for (const std::string& a : row.args) {
      args.push_back(a[0] == '@' ? (dir / a.substr(1)).string() : a);
    }
    if (row.args[0] == "apply" || row.args[0] == "restore") {
      args.push_back("--journal");
      args.push_back((dir / "journal.json").string());
    }
    MigctlResult r = RunMigctl(args);
    r.err = absl::StrReplaceAll(r.err, {{dir.string() + "/", "./"}});
    EXPECT_EQ(r.code, row.code);
    EXPECT_EQ(r.err, absl::StrCat("migctl: error: ", row.message, "\n"));
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(Files(dir), files);
    const std::string after = Read(dir / "node.json");
    if (row.untouched == Untouched::kBytes) {
      EXPECT_EQ(after, before);
    } else {
      EXPECT_NE(after, before);
      EXPECT_EQ(Gpus(after), Gpus(before));
    }
    results.push_back(r);
  }

  const fs::path doc = fs::path(MIGCTL_SOURCE_DIR) / "docs/quality.md";
  const std::string begin = "<!-- bad-input-table -->\n";
  const std::string end = "<!-- end bad-input-table -->";
  std::string text = Read(doc);
  const size_t b = text.find(begin);
  const size_t e = text.find(end);
  ASSERT_NE(b, std::string::npos) << doc << " lacks " << begin;
  ASSERT_NE(e, std::string::npos) << doc << " lacks " << end;
  const std::string table_md = Markdown(table, results);
  const char* write = std::getenv("MIGCTL_WRITE_DOCS");
  if (write != nullptr && std::string(write) == "1") {
    text.replace(b + begin.size(), e - b - begin.size(), table_md);
    Write(doc, text);
  } else {
    EXPECT_EQ(text.substr(b + begin.size(), e - b - begin.size()), table_md)
        << doc << " is out of date: run this test with MIGCTL_WRITE_DOCS=1";
  }
}

}  // namespace
}  // namespace migctl::cli
