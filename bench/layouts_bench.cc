// Benchmarks of GPU-instance layout enumeration and fitting (mig/layout.h).
//
//   EnumerateLayouts/<model key>            every valid layout of the model
//   FitProfiles/H100-NVL/story_gpu0         {1g.12gb: 2}
//   FitProfiles/H100-NVL/story_gpu1         {1g.24gb: 1, 1g.12gb: 5}
//   FitProfilesFragmented/<model key>       smallest profile kept at its 2nd
//                                           and next-to-last placements; add
//                                           the most instances that still fit
//   FitProfilesFragmentedFail/<model key>   same keep; a request that passes
//                                           the memory and compute checks but
//                                           that no arrangement fits (the
//                                           whole search runs)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "mig/catalogue.h"
#include "mig/layout.h"
#include "mig/model.h"

namespace migctl::mig {
namespace {

void BM_EnumerateLayouts(benchmark::State& state, const GpuModel* model) {
  size_t count = 0;
  for (auto _ : state) {
    std::vector<Layout> layouts = EnumerateLayouts(*model);
    count = layouts.size();
    benchmark::DoNotOptimize(layouts);
  }
  state.counters["layouts"] = static_cast<double>(count);
}

void BM_FitProfiles(benchmark::State& state, const GpuModel* model,
                    ProfileCounts add, Layout keep, bool expect_ok) {
  // Check once, outside the timing, that the case is what it claims.
  if (FitProfiles(*model, add, keep).ok() != expect_ok) {
    state.SkipWithError("FitProfiles result differs from the expected one");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<Layout> got = FitProfiles(*model, add, keep);
    benchmark::DoNotOptimize(got);
  }
}

// The smallest profile (NVML index 0) at its second and next-to-last
// placements: 1g at 1 and 5 on an 8-slice GPU, at 1 and 2 on an A30.
Layout FragmentedKeep(const GpuModel& m) {
  const GpuInstanceProfile& p = m.profiles.front();
  Layout keep = {{p.id, p.placements[1]},
                 {p.id, p.placements[p.placements.size() - 2]}};
  Canonicalize(keep);
  return keep;
}

// The counts a maximal layout containing `keep` adds, choosing the one
// with the most instances (ties: the first in enumeration order).
ProfileCounts LargestAddition(const GpuModel& m, const Layout& keep) {
  ProfileCounts best;
  size_t best_size = 0;
  for (const Layout& l : EnumerateLayouts(m)) {
    if (l.size() <= best_size) continue;
    bool contains = true;
    for (const PlacedGpuInstance& gi : keep) {
      contains = contains && std::find(l.begin(), l.end(), gi) != l.end();
    }
    if (!contains) continue;
    ProfileCounts add = CountProfiles(l);
    for (const PlacedGpuInstance& gi : keep) {
      if (--add[gi.profile_id] == 0) add.erase(gi.profile_id);
    }
    best = add;
    best_size = l.size();
  }
  return best;
}

// The first request of up to three instances (in profile order) that
// FitProfiles refuses for want of an arrangement ("no placement fits").
bool UnfittableAddition(const GpuModel& m, const Layout& keep,
                        ProfileCounts& out) {
  const size_t n = m.profiles.size();
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = a; b <= n; ++b) {
      for (size_t c = b; c <= n; ++c) {
        ProfileCounts add;
        ++add[m.profiles[a].id];
        if (b < n) ++add[m.profiles[b].id];
        if (c < n && b < n) ++add[m.profiles[c].id];
        absl::StatusOr<Layout> got = FitProfiles(m, add, keep);
        if (!got.ok() &&
            std::string(got.status().message()).rfind("no placement fits", 0) ==
                0) {
          out = add;
          return true;
        }
      }
    }
  }
  return false;
}

int RegisterAll() {
  for (const GpuModel& m : Catalogue()) {
    benchmark::RegisterBenchmark(("EnumerateLayouts/" + m.key).c_str(),
                                 BM_EnumerateLayouts, &m)
        ->Unit(benchmark::kMicrosecond);
  }
  if (const GpuModel* nvl = FindModel("H100-NVL"); nvl != nullptr) {
    benchmark::RegisterBenchmark("FitProfiles/H100-NVL/story_gpu0",
                                 BM_FitProfiles, nvl, ProfileCounts{{19, 2}},
                                 Layout{}, true);
    benchmark::RegisterBenchmark(
        "FitProfiles/H100-NVL/story_gpu1", BM_FitProfiles, nvl,
        ProfileCounts{{15, 1}, {19, 5}}, Layout{}, true);
  }
  for (const GpuModel& m : Catalogue()) {
    const Layout keep = FragmentedKeep(m);
    benchmark::RegisterBenchmark(("FitProfilesFragmented/" + m.key).c_str(),
                                 BM_FitProfiles, &m, LargestAddition(m, keep),
                                 keep, true);
    ProfileCounts fail;
    if (UnfittableAddition(m, keep, fail)) {
      benchmark::RegisterBenchmark(
          ("FitProfilesFragmentedFail/" + m.key).c_str(), BM_FitProfiles, &m,
          fail, keep, false);
    }
  }
  return 0;
}

const int registered = RegisterAll();

}  // namespace
}  // namespace migctl::mig
