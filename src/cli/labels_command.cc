// migctl labels: the node labels GPU Feature Discovery would write, as
// key=value lines, JSON, or the NFD features file GFD writes.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"
#include "labels/collect.h"
#include "labels/labels.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

struct LabelsFlags {
  std::string mig_strategy = "none";
  std::string output;  // empty: the global -o
  std::string output_file;
  std::string machine_type_file = "/sys/class/dmi/id/product_name";
  std::string cuda_version;
  bool no_timestamp = false;
  std::string sharing = "none";
  std::vector<std::string> replicas;  // RESOURCE=N
};

absl::StatusOr<labels::Sharing> ParseSharing(const LabelsFlags& f) {
  labels::Sharing sharing;
  if (f.sharing == "time-slicing") {
    sharing.strategy = labels::Sharing::Strategy::kTimeSlicing;
  } else if (f.sharing == "mps") {
    sharing.strategy = labels::Sharing::Strategy::kMps;
  }
  for (const std::string& r : f.replicas) {
    std::vector<std::string> parts = absl::StrSplit(r, '=');
    int n = 0;
    if (parts.size() != 2 || parts[0].empty() ||
        !absl::SimpleAtoi(parts[1], &n) || n < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid --replicas \"", r,
          "\": expected RESOURCE=N with N >= 1, e.g. nvidia.com/gpu=4 or "
          "nvidia.com/mig-1g.12gb=2"));
    }
    sharing.resources.push_back({parts[0], n, false});
  }
  if (!sharing.resources.empty() &&
      sharing.strategy == labels::Sharing::Strategy::kNone) {
    return absl::InvalidArgumentError(
        "--replicas needs --sharing time-slicing or --sharing mps");
  }
  return sharing;
}

// Writes `text` to `path` through a temporary file and a rename, so NFD
// never reads a half-written features file.
absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp,
                                                 ": check the directory exists "
                                                 "and is writable"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::Status LabelsCommand(Context& ctx, const LabelsFlags& f) {
  labels::LabelOptions options;
  ASSIGN_OR_RETURN(options.mig_strategy,
                   labels::ParseMigStrategy(f.mig_strategy));
  ASSIGN_OR_RETURN(options.sharing, ParseSharing(f));
  if (!f.no_timestamp) {
    options.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  }
  labels::CollectOptions collect;
  collect.machine_type_file = f.machine_type_file;
  if (!f.cuda_version.empty()) {
    ASSIGN_OR_RETURN(collect.cuda_version,
                     labels::ParseCudaVersion(f.cuda_version));
  }
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(labels::Labels result,
                   labels::NodeLabels(*nvml, collect, options));

  const std::string format =
      !f.output.empty() ? f.output
                        : (ctx.format == Format::kJson ? "json" : "table");
  std::string text;
  if (format == "json") {
    text = nlohmann::json(result).dump(2) + "\n";
  } else {
    text = labels::FormatFeatureFile(result);
  }
  if (!f.output_file.empty()) return WriteAtomically(f.output_file, text);
  *ctx.out << text;
  return absl::OkStatus();
}

}  // namespace

void AddLabelsCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<LabelsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "labels",
      "Print the node labels NVIDIA GPU Feature Discovery would write "
      "(nvidia.com/gpu.*, nvidia.com/mig-*, nvidia.com/cuda.*, ...). The "
      "nfd format is GFD's features file, for "
      "/etc/kubernetes/node-feature-discovery/features.d/gfd.");
  cmd->add_option("--mig-strategy", f->mig_strategy,
                  "How MIG devices are advertised, as the device plugin's "
                  "--mig-strategy")
      ->check(CLI::IsMember({"none", "single", "mixed"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", f->output,
                  "table (sorted key=value lines), json, or nfd (the NFD "
                  "features file GFD writes)")
      ->check(CLI::IsMember({"table", "json", "nfd"}));
  cmd->add_option("--output-file", f->output_file,
                  "Write to PATH atomically instead of stdout")
      ->type_name("PATH");
  cmd->add_option("--machine-type-file", f->machine_type_file,
                  "File naming the machine for nvidia.com/gpu.machine; "
                  "unreadable: unknown")
      ->type_name("PATH")
      ->capture_default_str();
  cmd->add_option(
         "--cuda-version", f->cuda_version,
         "CUDA version the driver supports (nvidia-smi's \"CUDA "
         "Version\", e.g. 13.0) for nvidia.com/cuda.runtime-version.*; "
         "without it those labels are left out")
      ->type_name("X.Y");
  cmd->add_flag("--no-timestamp", f->no_timestamp,
                "Leave out nvidia.com/gfd.timestamp (GFD's --no-timestamp)");
  cmd->add_option("--sharing", f->sharing,
                  "GPU sharing strategy of the device plugin config")
      ->check(CLI::IsMember({"none", "time-slicing", "mps"}))
      ->capture_default_str();
  cmd->add_option("--replicas", f->replicas,
                  "Replicas of a shared resource, RESOURCE=N (repeatable), "
                  "e.g. nvidia.com/gpu=4")
      ->type_name("RESOURCE=N");
  cmd->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return LabelsCommand(ctx, *f); }; });
}

}  // namespace migctl::cli
