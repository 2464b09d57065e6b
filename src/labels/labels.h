// GPU Feature Discovery's node labels, as a pure function of what a node has.
//
// ComputeLabels gives the label set NVIDIA's GPU Feature Discovery (GFD, now
// in NVIDIA/k8s-device-plugin, internal/lm/) writes for a node, key for key
// and value for value, so that pod selectors, dashboards and NVIDIA's own
// components keep working when migctl labels the node instead of GFD. Its
// input is NodeFacts, plain values a collector (labels/collect.h) reads from
// an Nvml plus the few files GFD reads; nothing here does I/O. Values are
// plain structs, safe to share between threads.
//
// Where GFD's result depends on Go map iteration order (two GPU models on one
// node writing the same nvidia.com/gpu.* keys), ComputeLabels is
// deterministic: see ComputeLabels.
#ifndef MIGCTL_LABELS_LABELS_H_
#define MIGCTL_LABELS_LABELS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mig/model.h"
#include "mig/strategy.h"

namespace migctl::labels {

// Label key -> value, sorted by key.
using Labels = std::map<std::string, std::string>;

// How MIG devices are advertised (device plugin and GFD `--mig-strategy`).
using mig::MigStrategy;  // labels::MigStrategy, as callers name it
using mig::MigStrategyName;
using mig::ParseMigStrategy;

// One MIG device, as nvmlDeviceGetAttributes describes it.
struct MigDeviceFacts {
  // GFD's name for it (go-nvlib MigProfile.String() with "+" written "."):
  // "1g.12gb", "1c.2g.24gb", "1g.12gb.me". See GfdProfileName.
  std::string profile;
  uint64_t memory_mb = 0;  // MemorySizeMB, raw
  int multiprocessors = 0;
  int gi_slices = 0;
  int ci_slices = 0;
  mig::Engines engines;  // shared engine counts of the device
};

// One physical GPU.
struct GpuFacts {
  std::string name;  // nvmlDeviceGetName, "NVIDIA H100 NVL"
  uint64_t memory_total_bytes = 0;
  int compute_major = 0;
  int compute_minor = 0;
  bool mig_capable = false;
  bool mig_enabled = false;                 // current MIG mode
  std::vector<MigDeviceFacts> mig_devices;  // when mig_enabled
  // PCI class from sysfs (0x030200 3D controller, 0x030000 VGA); nullopt when
  // it could not be read.
  std::optional<uint32_t> pci_class;
};

// nvmlSystemGetCudaDriverVersion_v2 as major.minor (13000 -> 13.0).
struct CudaVersion {
  int major = 0;
  int minor = 0;
  friend bool operator==(const CudaVersion&, const CudaVersion&) = default;
};

struct NodeFacts {
  std::vector<GpuFacts> gpus;  // by NVML index
  std::string driver_version;  // nvmlSystemGetDriverVersion, "580.159.04"
  // Nvml::CudaDriverVersion, or CollectOptions' override; without it the
  // cuda.runtime* labels are left out (GFD fails instead).
  std::optional<CudaVersion> cuda_version;
  // The machine type file's text, trimmed (/sys/class/dmi/id/product_name);
  // nullopt when it could not be read: GFD then says "unknown".
  std::optional<std::string> machine_type;
};

// The `sharing` part of NVIDIA's device-plugin/GFD config file v1.
struct ReplicatedResource {
  std::string name;  // "nvidia.com/gpu", "nvidia.com/mig-1g.12gb"
  int replicas = 0;
  bool renamed = false;  // `rename` set (or renameByDefault)
};
struct Sharing {
  enum class Strategy { kNone, kTimeSlicing, kMps };
  Strategy strategy = Strategy::kNone;
  std::vector<ReplicatedResource> resources;
};
absl::string_view SharingStrategyName(Sharing::Strategy s);

// What GFD's flags and config decide.
struct LabelOptions {
  MigStrategy mig_strategy = MigStrategy::kNone;
  Sharing sharing;
  // nvidia.com/gfd.timestamp (Unix seconds); nullopt: no timestamp label
  // (GFD's --no-timestamp).
  std::optional<int64_t> timestamp;
};

// GFD's labels for `node`. Empty for a node without GPUs (as GFD). Fails as
// GFD does: INVALID_ARGUMENT for a driver version not "X.Y[.Z]";
// FAILED_PRECONDITION for MPS sharing on a node with MIG enabled.
//
// Resource labels follow GFD's merge order: whole-GPU labels per model (the
// MIG-enabled models first, without sharing, so replicas=0; then the models
// with MIG disabled, which win), then the MIG strategy's labels. Where GFD
// iterates a Go map, models are taken in name order and the last one wins.
absl::StatusOr<Labels> ComputeLabels(const NodeFacts& node,
                                     const LabelOptions& options);

// GFD's `sanitise`: drops characters other than [A-Za-z0-9-_. ], then joins
// the words with "-": "NVIDIA H100 NVL" -> "NVIDIA-H100-NVL".
std::string Sanitise(absl::string_view text);

// The name GFD gives a MIG device (go-nvlib's MigProfile.String(), "+"
// replaced by "."): "<g>g.<gb>gb" when the CI spans the GI, else
// "<c>c.<g>g.<gb>gb", then the GI profile's attributes ("+me" -> ".me").
// The GB figure is go-nvlib's, from the device's memory and the GPU's.
// `gi_profile_name` is the GI profile's name as NVML gives it ("1g.12gb+me")
// and supplies the attributes.
std::string GfdProfileName(absl::string_view gi_profile_name, int gi_slices,
                           int ci_slices, uint64_t memory_mb,
                           uint64_t gpu_memory_bytes);

// "key=value\n" per label, sorted: what GFD writes to the NFD features file
// /etc/kubernetes/node-feature-discovery/features.d/gfd.
std::string FormatFeatureFile(const Labels& labels);

}  // namespace migctl::labels

#endif  // MIGCTL_LABELS_LABELS_H_
