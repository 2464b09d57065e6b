#include "labels/labels.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "mig/profile_name.h"

namespace migctl::labels {
namespace {

constexpr absl::string_view kGpuResource = "nvidia.com/gpu";
constexpr uint32_t kPciVgaControllerClass = 0x030000;
constexpr uint32_t kPci3dControllerClass = 0x030200;

// config.Sharing.SharingStrategy(): a strategy without resources is none.
Sharing::Strategy EffectiveStrategy(const Sharing& s) {
  return s.resources.empty() ? Sharing::Strategy::kNone : s.strategy;
}

// GFD's getArchFamily (internal/lm/resource.go).
std::string ArchFamily(int major, int minor) {
  switch (major) {
    case 1:
      return "tesla";
    case 2:
      return "fermi";
    case 3:
      return "kepler";
    case 5:
      return "maxwell";
    case 6:
      return "pascal";
    case 7:
      return minor < 5 ? "volta" : "turing";
    case 8:
      return minor < 9 ? "ampere" : "ada-lovelace";
    case 9:
      return "hopper";
    case 10:
    case 12:
      return "blackwell";
  }
  return "undefined";
}

// GFD's resourceLabeler: the labels of one resource name,
// "<resource>.<suffix>". A null `sharing` means sharing is disabled for the
// resource (GFD passes a nil config for MIG-enabled whole GPUs).
class ResourceLabeler {
 public:
  ResourceLabeler(std::string resource, const Sharing* sharing)
      : resource_(std::move(resource)), sharing_(sharing) {}

  void Set(Labels& out, absl::string_view suffix, const std::string& value) {
    out[absl::StrCat(resource_, ".", suffix)] = value;
  }
  template <typename T>
  void Set(Labels& out, absl::string_view suffix, T value) {
    Set(out, suffix, absl::StrCat(value));
  }

  // product, count, replicas and sharing-strategy.
  void Base(Labels& out, int count,
            const std::vector<absl::string_view>& parts) {
    const int replicas = Replicas();
    Set(out, "product", ProductName(parts));
    Set(out, "count", count);
    Set(out, "replicas", replicas);
    Set(out, "sharing-strategy",
        sharing_ != nullptr && replicas > 1
            ? std::string(SharingStrategyName(EffectiveStrategy(*sharing_)))
            : std::string("none"));
  }

  std::string ProductName(const std::vector<absl::string_view>& parts) const {
    std::vector<std::string> kept;
    for (absl::string_view p : parts) {
      if (!p.empty()) kept.push_back(Sanitise(p));
    }
    if (kept.empty()) return "";
    const ReplicatedResource* r = Replication();
    if (r != nullptr && r->replicas > 1 && !r->renamed)
      kept.push_back("SHARED");
    return absl::StrJoin(kept, "-");
  }

 private:
  int Replicas() const {
    if (sharing_ == nullptr) return 0;
    const ReplicatedResource* r = Replication();
    return r != nullptr && r->replicas > 0 ? r->replicas : 1;
  }

  const ReplicatedResource* Replication() const {
    if (sharing_ == nullptr ||
        EffectiveStrategy(*sharing_) == Sharing::Strategy::kNone) {
      return nullptr;
    }
    for (const ReplicatedResource& r : sharing_->resources) {
      if (r.name == resource_) return &r;
    }
    return nullptr;
  }

  std::string resource_;
  const Sharing* sharing_;
};

// NewGPUResourceLabeler: a whole-GPU model seen `count` times.
void WholeGpuLabels(Labels& out, const GpuFacts& gpu, int count,
                    const Sharing* sharing) {
  if (count == 0) return;
  ResourceLabeler rl(std::string(kGpuResource), sharing);
  rl.Base(out, count, {gpu.name});
  // nvmlDeviceGetMemoryInfo total in MiB, rounded down.
  const uint64_t memory_mib = gpu.memory_total_bytes / (uint64_t{1024} * 1024);
  if (memory_mib != 0) rl.Set(out, "memory", memory_mib);
  if (gpu.compute_major != 0) {
    rl.Set(out, "family", ArchFamily(gpu.compute_major, gpu.compute_minor));
    rl.Set(out, "compute.major", gpu.compute_major);
    rl.Set(out, "compute.minor", gpu.compute_minor);
  }
}

// NewMIGResourceLabeler: `count` MIG devices like `device` of a `model` GPU.
void MigResourceLabels(Labels& out, const std::string& resource,
                       const Sharing* sharing, const std::string& model,
                       const MigDeviceFacts& device, int count) {
  if (count == 0) return;
  ResourceLabeler rl(resource, sharing);
  rl.Base(out, count, {model, "MIG", device.profile});
  // The device's MemorySizeMB exactly as NVML reports it.
  rl.Set(out, "memory", device.memory_mb);
  rl.Set(out, "multiprocessors", device.multiprocessors);
  rl.Set(out, "slices.gi", device.gi_slices);
  rl.Set(out, "slices.ci", device.ci_slices);
  rl.Set(out, "engines.copy", device.engines.copy);
  rl.Set(out, "engines.decoder", device.engines.decoder);
  rl.Set(out, "engines.encoder", device.engines.encoder);
  rl.Set(out, "engines.jpeg", device.engines.jpeg);
  rl.Set(out, "engines.ofa", device.engines.ofa);
}

// newGPULabelers (internal/lm/mig-strategy.go).
void GpuLabels(Labels& out, const NodeFacts& node, const Sharing& sharing) {
  std::map<std::string, int> counts;
  std::map<std::string, const GpuFacts*> mig_enabled;
  std::map<std::string, const GpuFacts*> whole;
  for (const GpuFacts& gpu : node.gpus) {
    ++counts[gpu.name];
    auto& group = gpu.mig_enabled ? mig_enabled : whole;
    group.emplace(gpu.name, &gpu);
  }
  for (const auto& [name, gpu] : mig_enabled) {
    WholeGpuLabels(out, *gpu, counts[name], nullptr);
  }
  for (const auto& [name, gpu] : whole) {
    WholeGpuLabels(out, *gpu, counts[name], &sharing);
  }
}

// One MIG resource: the first device seen, its parent, and how many.
struct MigResource {
  std::string name;
  const MigDeviceFacts* device = nullptr;
  const GpuFacts* parent = nullptr;
  int count = 0;
};

// Every MIG device of the MIG-enabled GPUs, by profile, in order of first
// appearance.
std::vector<MigResource> GroupMigDevices(const NodeFacts& node) {
  std::vector<MigResource> out;
  for (const GpuFacts& gpu : node.gpus) {
    if (!gpu.mig_enabled) continue;
    for (const MigDeviceFacts& d : gpu.mig_devices) {
      auto it = std::find_if(out.begin(), out.end(), [&](const MigResource& r) {
        return r.device->profile == d.profile;
      });
      if (it == out.end()) {
        out.push_back({"", &d, &gpu, 1});
      } else {
        ++it->count;
      }
    }
  }
  return out;
}

// newInvalidMigStrategyLabeler: no sharing, so no "SHARED" suffix.
void InvalidSingleLabels(Labels& out, const GpuFacts& first_mig_enabled) {
  ResourceLabeler rl(std::string(kGpuResource), nullptr);
  rl.Set(out, "product",
         rl.ProductName({first_mig_enabled.name, "MIG", "INVALID"}));
  rl.Set(out, "count", 0);
  rl.Set(out, "replicas", 0);
  rl.Set(out, "memory", 0);
}

// newMigStrategySingleLabeler.
void SingleLabels(Labels& out, const NodeFacts& node, const Sharing& sharing) {
  std::vector<const GpuFacts*> enabled;
  bool any_disabled = false;
  for (const GpuFacts& gpu : node.gpus) {
    if (gpu.mig_enabled) {
      enabled.push_back(&gpu);
    } else {
      any_disabled = true;
    }
  }
  if (enabled.empty()) return;
  for (const GpuFacts* gpu : enabled) {
    if (gpu->mig_devices.empty()) return InvalidSingleLabels(out, *enabled[0]);
  }
  if (any_disabled) return InvalidSingleLabels(out, *enabled[0]);
  std::vector<MigResource> resources = GroupMigDevices(node);
  if (resources.size() != 1) return InvalidSingleLabels(out, *enabled[0]);
  const MigResource& r = resources[0];
  MigResourceLabels(out, std::string(kGpuResource), &sharing, r.parent->name,
                    *r.device, r.count);
}

// newMigStrategyMixedLabeler: MIG-enabled GPUs without MIG devices are
// ignored.
void MixedLabels(Labels& out, const NodeFacts& node, const Sharing& sharing) {
  for (const MigResource& r : GroupMigDevices(node)) {
    MigResourceLabels(out, absl::StrCat("nvidia.com/mig-", r.device->profile),
                      &sharing, r.parent->name, *r.device, r.count);
  }
}

// newGPUModeLabeler (internal/lm/nvml.go).
std::string GpuMode(const NodeFacts& node) {
  std::set<uint32_t> classes;
  for (const GpuFacts& gpu : node.gpus) {
    if (!gpu.pci_class.has_value()) return "unknown";
    classes.insert(*gpu.pci_class);
  }
  if (classes.size() != 1) return "unknown";
  switch (*classes.begin()) {
    case kPciVgaControllerClass:
      return "graphics";
    case kPci3dControllerClass:
      return "compute";
  }
  return "unknown";
}

}  // namespace

absl::string_view SharingStrategyName(Sharing::Strategy s) {
  switch (s) {
    case Sharing::Strategy::kNone:
      return "none";
    case Sharing::Strategy::kTimeSlicing:
      return "time-slicing";
    case Sharing::Strategy::kMps:
      return "mps";
  }
  return "none";
}

std::string Sanitise(absl::string_view text) {
  std::string kept;
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == ' ') {
      kept.push_back(c);
    }
  }
  return absl::StrJoin(absl::StrSplit(kept, ' ', absl::SkipEmpty()), "-");
}

std::string GfdProfileName(absl::string_view gi_profile_name, int gi_slices,
                           int ci_slices, uint64_t memory_mb,
                           uint64_t gpu_memory_bytes) {
  mig::ProfileName name;
  if (absl::StatusOr<mig::ProfileName> gi =
          mig::ParseProfileName(gi_profile_name);
      gi.ok()) {
    name.attributes = gi->attributes;
  }
  name.gpu_slices = gi_slices;
  name.compute_slices = ci_slices == gi_slices ? 0 : ci_slices;
  name.memory_gb = mig::ProfileMemoryGb(memory_mb, gpu_memory_bytes);
  return mig::ResourceProfileName(name);
}

absl::StatusOr<Labels> ComputeLabels(const NodeFacts& node,
                                     const LabelOptions& options) {
  Labels out;
  if (node.gpus.empty()) return out;

  // newMachineTypeLabeler (internal/lm/machine-type.go).
  out["nvidia.com/gpu.machine"] =
      absl::StrReplaceAll(node.machine_type.value_or("unknown"), {{" ", "-"}});

  // newVersionLabeler (internal/lm/nvml.go).
  std::vector<std::string> driver = absl::StrSplit(node.driver_version, '.');
  if (driver.size() < 2 || driver.size() > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "error getting driver version: Version \"", node.driver_version,
        "\" does not match format \"X.Y[.Z]\""));
  }
  const std::string rev = driver.size() > 2 ? driver[2] : "";
  out["nvidia.com/cuda.driver.major"] = driver[0];
  out["nvidia.com/cuda.driver.minor"] = driver[1];
  out["nvidia.com/cuda.driver.rev"] = rev;
  out["nvidia.com/cuda.driver-version.major"] = driver[0];
  out["nvidia.com/cuda.driver-version.minor"] = driver[1];
  out["nvidia.com/cuda.driver-version.revision"] = rev;
  out["nvidia.com/cuda.driver-version.full"] = node.driver_version;
  if (node.cuda_version.has_value()) {
    const CudaVersion& cuda = *node.cuda_version;
    out["nvidia.com/cuda.runtime.major"] = absl::StrCat(cuda.major);
    out["nvidia.com/cuda.runtime.minor"] = absl::StrCat(cuda.minor);
    out["nvidia.com/cuda.runtime-version.major"] = absl::StrCat(cuda.major);
    out["nvidia.com/cuda.runtime-version.minor"] = absl::StrCat(cuda.minor);
    out["nvidia.com/cuda.runtime-version.full"] =
        absl::StrCat(cuda.major, ".", cuda.minor);
  }

  // newMigCapabilityLabeler.
  bool mig_capable = false;
  for (const GpuFacts& gpu : node.gpus) mig_capable |= gpu.mig_capable;
  out["nvidia.com/mig.capable"] = mig_capable ? "true" : "false";

  // newSharingLabeler.
  bool mps_capable = false;
  if (EffectiveStrategy(options.sharing) == Sharing::Strategy::kMps) {
    for (const GpuFacts& gpu : node.gpus) {
      if (gpu.mig_enabled) {
        return absl::FailedPreconditionError(
            "MPS sharing is not supported for mig devices; use time-slicing "
            "or disable MIG mode");
      }
    }
    mps_capable = true;
  }
  out["nvidia.com/mps.capable"] = mps_capable ? "true" : "false";

  // NewResourceLabeler (internal/lm/mig-strategy.go).
  GpuLabels(out, node, options.sharing);
  if (options.mig_strategy != MigStrategy::kNone) {
    out["nvidia.com/mig.strategy"] =
        std::string(MigStrategyName(options.mig_strategy));
    if (options.mig_strategy == MigStrategy::kSingle) {
      SingleLabels(out, node, options.sharing);
    } else {
      MixedLabels(out, node, options.sharing);
    }
  }

  out["nvidia.com/gpu.mode"] = GpuMode(node);

  // NewTimestampLabeler (internal/lm/timestamp.go).
  if (options.timestamp.has_value()) {
    out["nvidia.com/gfd.timestamp"] = absl::StrCat(*options.timestamp);
  }
  return out;
}

std::string FormatFeatureFile(const Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    absl::StrAppend(&out, key, "=", value, "\n");
  }
  return out;
}

}  // namespace migctl::labels
