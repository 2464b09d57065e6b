#include "cli/smi_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "util/absl_fmt.h"

namespace migctl::cli {
namespace {

constexpr absl::string_view kGipBorder =
    "+-------------------------------------------------------------------------"
    "------+\n";
constexpr absl::string_view kGipHeader =
    "+-------------------------------------------------------------------------"
    "------+\n"
    "| GPU instance profiles:                                                  "
    "      |\n"
    "| GPU   Name               ID    Instances   Memory     P2P    SM    DEC  "
    " ENC  |\n"
    "|                                Free/Total   GiB              CE    JPEG "
    " OFA  |\n"
    "|========================================================================="
    "======|\n";

constexpr absl::string_view kCipBorder =
    "+-------------------------------------------------------------------------"
    "-------------+\n";
constexpr absl::string_view kCipHeader =
    "+-------------------------------------------------------------------------"
    "-------------+\n"
    "| Compute instance profiles:                                              "
    "             |\n"
    "| GPU     GPU       Name             Profile  Instances   Exclusive       "
    "Shared       |\n"
    "|       Instance                       ID     Free/Total     SM       DEC "
    "  ENC   OFA  |\n"
    "|         ID                                                          CE  "
    "  JPEG       |\n"
    "|========================================================================="
    "=============|\n";

std::string FreeTotal(int free, int total) {
  return absl::StrCat(free, "/", total);
}

}  // namespace

std::string FormatDeviceList(const std::vector<GpuLine>& gpus) {
  std::string out;
  for (const GpuLine& gpu : gpus) {
    out +=
        fmt::format("GPU {}: {} (UUID: {})\n", gpu.index, gpu.name, gpu.uuid);
    for (const MigDeviceLine& d : gpu.mig_devices) {
      out += fmt::format("  {:<16}Device {:>2}: (UUID: {})\n",
                         absl::StrCat("MIG ", d.profile_name), d.index, d.uuid);
    }
  }
  return out;
}

std::string FormatGpuInstanceProfiles(
    const std::vector<GpuInstanceProfileRow>& rows) {
  std::string out(kGipHeader);
  for (const GpuInstanceProfileRow& r : rows) {
    out += fmt::format(
        "|{:>4}  {:<18}{:>4}     {:<11}{:<11}{:<7}{:<7}{:<6}{:<4}|\n", r.gpu,
        absl::StrCat("MIG ", r.name), r.id, FreeTotal(r.free, r.total),
        fmt::format("{:.2f}", static_cast<double>(r.memory_mb) / 1024.0),
        r.p2p ? "Yes" : "No", r.multiprocessors, r.engines.decoder,
        r.engines.encoder);
    out += fmt::format("|{:63}{:<6}{:<6}{:<4}|\n", "", r.engines.copy,
                       r.engines.jpeg, r.engines.ofa);
    absl::StrAppend(&out, kGipBorder);
  }
  return out;
}

std::string FormatPlacements(const std::vector<PlacementRow>& rows) {
  std::string out;
  for (const PlacementRow& r : rows) {
    std::vector<int> starts;
    for (const mig::Placement& p : r.placements) starts.push_back(p.start);
    int size = r.placements.empty() ? 0 : r.placements[0].size;
    out += fmt::format("GPU {:>2} Profile ID {:>2} {}: {{{}}}:{}\n", r.gpu,
                       r.profile_id,
                       r.placements.size() == 1 ? "Placement " : "Placements",
                       absl::StrJoin(starts, ","), size);
  }
  return out;
}

std::string FormatComputeProfiles(const std::vector<ComputeProfileRow>& rows) {
  std::string out(kCipHeader);
  for (const ComputeProfileRow& r : rows) {
    out += fmt::format(
        "|{:>4}{:>7}       {:<21}{:<7}{:<14}{:<10}{:<6}{:<6}{:<4}|\n", r.gpu,
        r.gi_id, absl::StrCat("MIG ", r.name),
        absl::StrCat(r.id, r.is_default ? "*" : ""), FreeTotal(r.free, r.total),
        r.multiprocessors, r.engines.decoder, r.engines.encoder, r.engines.ofa);
    out +=
        fmt::format("|{:70}{:<6}{:<10}|\n", "", r.engines.copy, r.engines.jpeg);
    absl::StrAppend(&out, kCipBorder);
  }
  return out;
}

std::string FormatMigModeChange(const std::string& pci_bus_id, bool enabled,
                                nvml::Return activation) {
  absl::string_view verb = enabled ? "Enabled" : "Disabled";
  absl::string_view state = enabled ? "enable" : "disable";
  if (activation == nvml::Return::kSuccess) {
    return fmt::format("{} MIG Mode for GPU {}\nAll done.\n", verb, pci_bus_id);
  }
  std::string out =
      fmt::format("Warning: MIG mode is in pending {} state for GPU {}:{}\n",
                  state, pci_bus_id, nvml::ErrorString(activation));
  if (activation == nvml::Return::kInUse) {
    out += fmt::format(
        "{} is currently being used by one or more other processes (e.g. CUDA "
        "application or a monitoring application such as another instance of "
        "nvidia-smi). Please first kill all processes using the device and "
        "retry the command or reboot the system to make MIG mode effective.\n",
        pci_bus_id);
  } else {
    out += fmt::format(
        "Reboot the system or try nvidia-smi --gpu-reset to make MIG mode "
        "effective on GPU {}\n",
        pci_bus_id);
  }
  out += "All done.\n";
  return out;
}

}  // namespace migctl::cli
