#include "mig/model.h"

#include "absl/strings/string_view.h"
#include "mig/profile_name.h"

namespace migctl::mig {

const ComputeProfile* GpuInstanceProfile::FindComputeProfile(
    int ci_index) const {
  for (const ComputeProfile& c : compute_profiles) {
    if (c.index == ci_index) return &c;
  }
  return nullptr;
}

const ComputeProfile* GpuInstanceProfile::FullComputeProfile() const {
  for (const ComputeProfile& c : compute_profiles) {
    if (c.slices == slices) return &c;
  }
  return nullptr;
}

const GpuInstanceProfile* GpuModel::FindProfileById(int id) const {
  for (const GpuInstanceProfile& p : profiles) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const GpuInstanceProfile* GpuModel::FindProfileByIndex(int index) const {
  for (const GpuInstanceProfile& p : profiles) {
    if (p.index == index) return &p;
  }
  return nullptr;
}

const GpuInstanceProfile* GpuModel::FindProfileByName(
    absl::string_view name) const {
  absl::StatusOr<ProfileName> wanted = ParseProfileName(name);
  if (!wanted.ok() || wanted->compute_slices != 0) return nullptr;
  for (const GpuInstanceProfile& p : profiles) {
    absl::StatusOr<ProfileName> have = ParseProfileName(p.name);
    if (have.ok() && *have == *wanted) return &p;
  }
  return nullptr;
}

}  // namespace migctl::mig
