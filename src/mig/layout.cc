#include "mig/layout.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace migctl::mig {
namespace {

std::string SliceList(uint32_t mask, int slices) {
  std::vector<int> free;
  for (int i = 0; i < slices; ++i) {
    if ((mask & (1u << i)) == 0) free.push_back(i);
  }
  return absl::StrCat("{", absl::StrJoin(free, ","), "}");
}

bool OffersPlacement(const GpuInstanceProfile& p, const Placement& at) {
  return std::find(p.placements.begin(), p.placements.end(), at) !=
         p.placements.end();
}

int ComputeSlicesUsed(const GpuModel& model, const Layout& layout) {
  int used = 0;
  for (const PlacedGpuInstance& gi : layout) {
    const GpuInstanceProfile* p = model.FindProfileById(gi.profile_id);
    if (p != nullptr) used += p->slices;
  }
  return used;
}

// One GI that may be placed: a profile at one of its placements.
struct Candidate {
  const GpuInstanceProfile* profile;
  Placement placement;
  uint32_t mask;
};

std::vector<Candidate> Candidates(const GpuModel& model) {
  std::vector<Candidate> out;
  for (const GpuInstanceProfile& p : model.profiles) {
    for (const Placement& at : p.placements) {
      out.push_back({&p, at, MemoryMask(at)});
    }
  }
  return out;
}

}  // namespace

void Canonicalize(Layout& layout) { std::sort(layout.begin(), layout.end()); }

uint32_t MemoryMask(const Placement& p) {
  if (p.size <= 0 || p.start < 0 || p.end() > 32) return 0;
  uint32_t ones = p.size >= 32 ? ~0u : ((1u << p.size) - 1);
  return ones << p.start;
}

uint32_t MemoryMask(const Layout& layout) {
  uint32_t mask = 0;
  for (const PlacedGpuInstance& gi : layout) mask |= MemoryMask(gi.placement);
  return mask;
}

std::string DescribeLayout(const GpuModel& model, const Layout& layout) {
  if (layout.empty()) return "empty";
  Layout sorted = layout;
  Canonicalize(sorted);
  std::vector<std::string> parts;
  for (const PlacedGpuInstance& gi : sorted) {
    const GpuInstanceProfile* p = model.FindProfileById(gi.profile_id);
    parts.push_back(
        absl::StrCat(p ? p->name : absl::StrCat("id", gi.profile_id), "@",
                     gi.placement.start));
  }
  return absl::StrJoin(parts, " ");
}

absl::Status ValidateLayout(const GpuModel& model, const Layout& layout) {
  uint32_t taken = 0;
  ProfileCounts counts;
  for (const PlacedGpuInstance& gi : layout) {
    const GpuInstanceProfile* p = model.FindProfileById(gi.profile_id);
    if (p == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("GPU instance profile ID ", gi.profile_id,
                       " does not exist on ", model.product_name));
    }
    if (!OffersPlacement(*p, gi.placement)) {
      return absl::InvalidArgumentError(
          absl::StrCat(p->name, " cannot be placed at {", gi.placement.start,
                       "}:", gi.placement.size, " on ", model.product_name));
    }
    uint32_t mask = MemoryMask(gi.placement);
    if ((taken & mask) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          p->name, " at {", gi.placement.start, "}:", gi.placement.size,
          " overlaps another GPU instance"));
    }
    taken |= mask;
    if (++counts[p->id] > p->instance_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", p->instance_count, " × ", p->name, " on ",
                       model.product_name));
    }
  }
  if (int used = ComputeSlicesUsed(model, layout);
      used > model.compute_slices) {
    return absl::InvalidArgumentError(
        absl::StrCat("layout uses ", used, " compute slices; ",
                     model.product_name, " has ", model.compute_slices));
  }
  return absl::OkStatus();
}

ProfileCounts CountProfiles(const Layout& layout) {
  ProfileCounts counts;
  for (const PlacedGpuInstance& gi : layout) ++counts[gi.profile_id];
  return counts;
}

std::vector<Layout> EnumerateLayouts(const GpuModel& model) {
  const std::vector<Candidate> candidates = Candidates(model);
  std::vector<Layout> out;
  Layout current;
  ProfileCounts counts;
  std::function<void(size_t, uint32_t, int)> extend =
      [&](size_t first, uint32_t taken, int compute) {
        for (size_t i = first; i < candidates.size(); ++i) {
          const Candidate& c = candidates[i];
          if ((taken & c.mask) != 0) continue;
          if (counts[c.profile->id] >= c.profile->instance_count) continue;
          if (compute + c.profile->slices > model.compute_slices) continue;
          current.push_back({c.profile->id, c.placement});
          ++counts[c.profile->id];
          Layout canonical = current;
          Canonicalize(canonical);
          out.push_back(std::move(canonical));
          extend(i + 1, taken | c.mask, compute + c.profile->slices);
          --counts[c.profile->id];
          current.pop_back();
        }
      };
  extend(0, 0, 0);
  std::sort(out.begin(), out.end());
  return out;
}

bool IsMaximal(const GpuModel& model, const Layout& layout) {
  const uint32_t taken = MemoryMask(layout);
  const ProfileCounts counts = CountProfiles(layout);
  const int compute = ComputeSlicesUsed(model, layout);
  for (const Candidate& c : Candidates(model)) {
    if ((taken & c.mask) != 0) continue;
    auto it = counts.find(c.profile->id);
    if (it != counts.end() && it->second >= c.profile->instance_count) continue;
    if (compute + c.profile->slices > model.compute_slices) continue;
    return false;
  }
  return true;
}

absl::StatusOr<Layout> FitProfiles(const GpuModel& model,
                                   const ProfileCounts& add,
                                   const Layout& keep) {
  if (absl::Status s = ValidateLayout(model, keep); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "instances to keep are not a valid layout: ", s.message()));
  }
  const ProfileCounts kept = CountProfiles(keep);
  std::vector<const GpuInstanceProfile*> pending;
  int memory_needed = 0;
  int compute_needed = 0;
  for (const auto& [id, count] : add) {
    const GpuInstanceProfile* p = model.FindProfileById(id);
    if (p == nullptr) {
      return absl::NotFoundError(absl::StrCat("GPU instance profile ID ", id,
                                              " does not exist on ",
                                              model.product_name));
    }
    if (count < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative count ", count, " for ", p->name));
    }
    int total = count + (kept.contains(id) ? kept.at(id) : 0);
    if (total > p->instance_count) {
      return absl::ResourceExhaustedError(absl::StrCat(
          total, " × ", p->name, " requested",
          kept.contains(id) ? " (with kept ones)" : "", ", but ",
          model.product_name, " supports at most ", p->instance_count));
    }
    for (int k = 0; k < count; ++k) pending.push_back(p);
    memory_needed += count * p->memory_slices();
    compute_needed += count * p->slices;
  }
  const uint32_t taken = MemoryMask(keep);
  const int memory_free = model.memory_slices - std::popcount(taken);
  if (memory_needed > memory_free) {
    return absl::ResourceExhaustedError(
        absl::StrCat("needs ", memory_needed, " memory slices but only ",
                     memory_free, " of ", model.memory_slices,
                     " are free (kept: ", DescribeLayout(model, keep), ")"));
  }
  const int compute_free =
      model.compute_slices - ComputeSlicesUsed(model, keep);
  if (compute_needed > compute_free) {
    return absl::ResourceExhaustedError(
        absl::StrCat("needs ", compute_needed, " compute slices but only ",
                     compute_free, " of ", model.compute_slices,
                     " are free (kept: ", DescribeLayout(model, keep), ")"));
  }
  std::stable_sort(
      pending.begin(), pending.end(),
      [](const GpuInstanceProfile* a, const GpuInstanceProfile* b) {
        if (a->memory_slices() != b->memory_slices()) {
          return a->memory_slices() > b->memory_slices();
        }
        return a->placements.size() < b->placements.size();
      });

  Layout placed = keep;
  std::set<std::pair<size_t, uint32_t>> dead_ends;
  std::function<bool(size_t, uint32_t, int)> place =
      [&](size_t i, uint32_t mask, int min_start) -> bool {
    if (i == pending.size()) return true;
    if (dead_ends.contains({i, mask})) return false;
    const GpuInstanceProfile* p = pending[i];
    for (const Placement& at : p->placements) {
      if (at.start < min_start) continue;
      uint32_t m = MemoryMask(at);
      if ((mask & m) != 0) continue;
      placed.push_back({p->id, at});
      bool same_next = i + 1 < pending.size() && pending[i + 1] == p;
      if (place(i + 1, mask | m, same_next ? at.start + 1 : 0)) return true;
      placed.pop_back();
    }
    if (min_start == 0) dead_ends.insert({i, mask});
    return false;
  };
  if (!place(0, taken, 0)) {
    std::vector<std::string> names;
    names.reserve(pending.size());
    for (const GpuInstanceProfile* p : pending) names.push_back(p->name);
    return absl::ResourceExhaustedError(absl::StrCat(
        "no placement fits ", absl::StrJoin(names, ", "),
        " into the free memory slices ", SliceList(taken, model.memory_slices),
        " of ", model.product_name, " (kept: ", DescribeLayout(model, keep),
        ")"));
  }
  Canonicalize(placed);
  return placed;
}

}  // namespace migctl::mig
