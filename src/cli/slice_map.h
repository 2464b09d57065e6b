// Slice maps: MIG layouts drawn as text, the way NVIDIA's documentation draws
// them — one column per memory slice, each GPU instance a box over the memory
// slices it occupies.
//
// Geometry (the contract tests check): memory slice s of a GPU occupies the
// characters [kSliceWidth * s + 1, kSliceWidth * (s + 1)) of a drawn row, and
// a box over slices [a, b) has its edges ('|' in rows, '+' in borders) at
// columns kSliceWidth * a and kSliceWidth * b. A row of an 8-slice GPU is 73
// characters wide, so a map with a short margin fits an 80-column terminal.
//
// Everything here is a pure function of its arguments: no I/O, no NVML. With
// `color` set the output carries ANSI SGR codes around cell contents (never
// around the borders), so the geometry above holds once they are removed.
#ifndef MIGCTL_CLI_SLICE_MAP_H_
#define MIGCTL_CLI_SLICE_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mig/layout.h"
#include "mig/model.h"
#include "nvml/nvml.h"

namespace migctl::cli {

inline constexpr int kSliceWidth = 9;

// The gi_id of an instance a plan will create (drawn "GI new").
inline constexpr int kNewInstance = -1;

// A GPU instance as `show` draws it.
struct MappedInstance {
  int profile_id = 0;
  mig::Placement placement;  // in memory slices
  int gi_id = 0;
  std::vector<uint32_t> pids;  // processes on its MIG devices
  bool busy() const { return !pids.empty(); }
};

// One GPU as `show` draws it.
struct GpuMapView {
  int index = 0;
  std::string name;                      // "NVIDIA H100 NVL"
  const mig::GpuModel* model = nullptr;  // null: not a MIG model migctl knows
  nvml::MigMode mode;
  std::vector<MappedInstance> instances;  // by placement
};

// Where one more GI of a profile can go now.
struct ProfileFit {
  const mig::GpuInstanceProfile* profile = nullptr;
  std::vector<mig::Placement> placements;  // ascending
};

// Every profile of `model` that can be added to `layout`, in the model's
// profile order, each with every placement that keeps the layout valid.
std::vector<ProfileFit> FittingProfiles(const mig::GpuModel& model,
                                        const mig::Layout& layout);

// Memory slices no instance of `layout` occupies, ascending.
std::vector<int> FreeMemorySlices(const mig::GpuModel& model,
                                  const mig::Layout& layout);

// "2-3" for a placement of two slices at 2, "5" for one slice at 5.
std::string SliceRange(const mig::Placement& p);

// Slice numbers centred over their columns: "    0        1    …".
std::string SliceAxis(const mig::GpuModel& model);

// One line: each instance of `layout` a box labelled with its profile name,
// free slices as "-". No trailing blanks, no newline. Labels longer than a
// box (only "+me" profiles in one slice) drop their "gb".
std::string LayoutRow(const mig::GpuModel& model, const mig::Layout& layout,
                      bool color);

// The boxed map of one GPU: axis, border, three lines (profile, "GI n",
// busy/idle; "free" in free slices), border. Each line ends in "\n".
std::string SliceMap(const mig::GpuModel& model,
                     const std::vector<MappedInstance>& instances, bool color);

// `migctl show` for one GPU: heading, map, busy instances, what still fits.
std::string RenderGpuMap(const GpuMapView& gpu, bool color);

// Orders layouts as NVIDIA's "valid combinations" diagram reads: from the
// lowest memory slice, larger instances first.
void SortForDiagram(const mig::GpuModel& model,
                    std::vector<mig::Layout>& layouts);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_SLICE_MAP_H_
