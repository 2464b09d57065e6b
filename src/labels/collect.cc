#include "labels/collect.h"

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "util/status_macros.h"

namespace migctl::labels {
namespace {

// NVML_GPU_INSTANCE_PROFILE_COUNT on current drivers.
constexpr int kGpuInstanceProfileIndices = 16;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

// GFD reads /sys/bus/pci/devices/<addr>/class with the bus id's leading
// "0000" dropped: "00000000:18:00.0" -> "0000:18:00.0".
std::optional<uint32_t> ReadPciClass(const std::string& dir,
                                     absl::string_view bus_id) {
  std::string addr = absl::AsciiStrToLower(bus_id);
  if (absl::StartsWith(addr, "0000")) addr = addr.substr(4);
  std::optional<std::string> text =
      ReadFile(absl::StrCat(dir, "/", addr, "/class"));
  if (!text.has_value()) return std::nullopt;
  uint32_t value = 0;
  if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return std::nullopt;
  }
  return value;
}

// GI profile id -> name ("1g.12gb+me"), for the profiles NVML offers.
std::map<int, std::string> GpuInstanceProfileNames(nvml::Nvml& nvml, int gpu) {
  std::map<int, std::string> out;
  for (int index = 0; index < kGpuInstanceProfileIndices; ++index) {
    absl::StatusOr<mig::GpuInstanceProfile> p =
        nvml.GetGpuInstanceProfile(gpu, index);
    if (p.ok()) out[p->id] = p->name;
  }
  return out;
}

absl::StatusOr<GpuFacts> CollectGpu(nvml::Nvml& nvml, int gpu,
                                    const CollectOptions& options) {
  GpuFacts facts;
  ASSIGN_OR_RETURN(nvml::DeviceInfo info, nvml.GetDevice(gpu));
  facts.name = info.name;
  facts.memory_total_bytes = info.memory_total_bytes;
  facts.compute_major = info.compute_major;
  facts.compute_minor = info.compute_minor;
  facts.pci_class = ReadPciClass(options.pci_devices_dir, info.pci_bus_id);
  absl::StatusOr<nvml::MigMode> mode = nvml.GetMigMode(gpu);
  if (!mode.ok()) {
    if (nvml::ReturnOf(mode.status()) != nvml::Return::kNotSupported &&
        mode.status().code() != absl::StatusCode::kUnimplemented) {
      return mode.status();
    }
    return facts;
  }
  facts.mig_capable = true;
  facts.mig_enabled = mode->current;
  if (!facts.mig_enabled) return facts;
  ASSIGN_OR_RETURN(std::vector<nvml::MigDevice> devices,
                   nvml.ListMigDevices(gpu));
  if (devices.empty()) return facts;
  std::map<int, std::string> gi_names = GpuInstanceProfileNames(nvml, gpu);
  for (const nvml::MigDevice& d : devices) {
    auto name = gi_names.find(d.gi_profile_id);
    facts.mig_devices.push_back(
        {GfdProfileName(name == gi_names.end() ? "" : name->second, d.gi_slices,
                        d.ci_slices, d.memory_mb, info.memory_total_bytes),
         d.memory_mb, d.multiprocessors, d.gi_slices, d.ci_slices, d.engines});
  }
  return facts;
}

}  // namespace

absl::StatusOr<CudaVersion> ParseCudaVersion(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  CudaVersion v;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &v.major) ||
      !absl::SimpleAtoi(parts[1], &v.minor) || v.major < 0 || v.minor < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid CUDA version \"", text,
        "\": expected MAJOR.MINOR as nvidia-smi prints it, e.g. 13.0"));
  }
  return v;
}

CudaVersion CudaVersionFromNvml(int version) {
  return {version / 1000, (version % 1000) / 10};
}

absl::StatusOr<NodeFacts> CollectNodeFacts(nvml::Nvml& nvml,
                                           const CollectOptions& options) {
  NodeFacts node;
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  for (int gpu = 0; gpu < count; ++gpu) {
    ASSIGN_OR_RETURN(GpuFacts facts, CollectGpu(nvml, gpu, options));
    node.gpus.push_back(std::move(facts));
  }
  if (count > 0) {
    ASSIGN_OR_RETURN(node.driver_version, nvml.DriverVersion());
  }
  node.cuda_version = options.cuda_version;
  if (!node.cuda_version && count > 0) {
    absl::StatusOr<int> cuda = nvml.CudaDriverVersion();
    if (cuda.ok()) {
      node.cuda_version = CudaVersionFromNvml(*cuda);
    } else if (std::optional<nvml::Return> r = nvml::ReturnOf(cuda.status());
               r != nvml::Return::kNotSupported &&
               r != nvml::Return::kFunctionNotFound) {
      return cuda.status();
    }
  }
  if (!options.machine_type_file.empty()) {
    if (std::optional<std::string> text = ReadFile(options.machine_type_file)) {
      node.machine_type = std::string(absl::StripAsciiWhitespace(*text));
    }
  } else {
    node.machine_type = "unknown";
  }
  return node;
}

absl::StatusOr<Labels> NodeLabels(nvml::Nvml& nvml,
                                  const CollectOptions& collect,
                                  const LabelOptions& options) {
  ASSIGN_OR_RETURN(NodeFacts node, CollectNodeFacts(nvml, collect));
  return ComputeLabels(node, options);
}

}  // namespace migctl::labels
