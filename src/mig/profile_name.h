// The grammar of MIG profile names, as NVIDIA prints them.
//
//   1g.12gb          GPU instance of 1 compute slice, 12 GB
//   1c.3g.40gb       compute instance of 1 slice inside a 3g.40gb GI
//   1g.10gb+me       with media extensions; "-me" without; "+me.all" all of
//                    them; "+gfx" with graphics
//
// mig-parted configs and Kubernetes resource names write "+" as ".": the
// parser accepts "1g.10gb.me" as "1g.10gb+me".
#ifndef MIGCTL_MIG_PROFILE_NAME_H_
#define MIGCTL_MIG_PROFILE_NAME_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace migctl::mig {

struct ProfileName {
  int compute_slices = 0;  // 0 for a GI name (no "<c>c." prefix)
  int gpu_slices = 0;
  int memory_gb = 0;
  // In order of appearance, each with its sign: "+me", "-me", "+me.all",
  // "+gfx".
  std::vector<std::string> attributes;

  friend bool operator==(const ProfileName&, const ProfileName&) = default;
};

absl::StatusOr<ProfileName> ParseProfileName(absl::string_view text);

// Canonical form: "1c.3g.40gb", "1g.10gb+me".
std::string FormatProfileName(const ProfileName& name);

// The form used in resource names and labels: "+" written as ".".
std::string ResourceProfileName(const ProfileName& name);

// The GB figure in a profile name, by NVIDIA's rule: the instance's share of
// the GPU memory rounded up to eighths, times the GPU memory in whole GiB
// (rounded up), rounded to the nearest integer.
int ProfileMemoryGb(uint64_t instance_memory_mb, uint64_t gpu_memory_bytes);

}  // namespace migctl::mig

#endif  // MIGCTL_MIG_PROFILE_NAME_H_
