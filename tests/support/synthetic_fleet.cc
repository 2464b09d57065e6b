#include "support/synthetic_fleet.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mig/catalogue.h"
#include "mig/layout.h"

namespace migctl::planner_ilp {
namespace {

constexpr int kGpusPerNode = 8;

// Profile shapes by compute slices; kDouble1g is the 1-slice profile with
// twice the memory ("1g.20gb").
enum Shape { k1g, kDouble1g, k2g, k3g, k4g, k7g };

class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  // Index into `weights`, drawn by weight.
  int Pick(const std::vector<int>& weights) {
    int total = 0;
    for (int w : weights) total += w;
    int x = static_cast<int>(engine_() % static_cast<uint32_t>(total));
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return static_cast<int>(i);
      x -= weights[i];
    }
    return static_cast<int>(weights.size()) - 1;
  }
  bool Chance(int percent) {
    return static_cast<int>(engine_() % 100) < percent;
  }
  int Below(int n) {
    return static_cast<int>(engine_() % static_cast<uint32_t>(n));
  }

 private:
  std::mt19937 engine_;
};

const mig::GpuInstanceProfile& ProfileOf(const mig::GpuModel& model,
                                         Shape shape) {
  static constexpr int kSlices[] = {1, 1, 2, 3, 4, 7};
  const mig::GpuInstanceProfile* best = nullptr;
  for (const mig::GpuInstanceProfile& p : model.profiles) {
    if (p.slices != kSlices[shape] || p.name.find('+') != std::string::npos ||
        p.name.find('-') != std::string::npos) {
      continue;
    }
    if (best == nullptr ||
        (shape == kDouble1g ? p.memory_slices() > best->memory_slices()
                            : p.memory_slices() < best->memory_slices())) {
      best = &p;
    }
  }
  if (best == nullptr) {
    std::fprintf(stderr, "synthetic fleet: %s has no shape %d\n",
                 model.key.c_str(), static_cast<int>(shape));
    std::abort();
  }
  return *best;
}

// mig-parted's common whole-node layouts, by shape counts.
const std::vector<std::vector<std::pair<Shape, int>>>& CommonLayouts() {
  static const auto* const layouts =
      new std::vector<std::vector<std::pair<Shape, int>>>{
          {{k1g, 2}, {k2g, 1}, {k3g, 1}},  // all-balanced
          {{k1g, 7}},                      // all-1g
          {{k2g, 3}},                      // all-2g
          {{k3g, 2}},                      // all-3g
          {{k4g, 1}, {k3g, 1}},            // 4g + 3g
          {{k7g, 1}},                      // all-7g
      };
  return *layouts;
}

mig::Layout Realise(const mig::GpuModel& model,
                    const std::vector<std::pair<Shape, int>>& shapes) {
  mig::ProfileCounts counts;
  for (const auto& [shape, count] : shapes) {
    counts[ProfileOf(model, shape).id] += count;
  }
  absl::StatusOr<mig::Layout> layout = mig::FitProfiles(model, counts);
  if (!layout.ok()) {
    std::fprintf(stderr, "synthetic fleet: %s\n",
                 std::string(layout.status().message()).c_str());
    std::abort();
  }
  return *std::move(layout);
}

}  // namespace

Fleet MakeFleet(const FleetOptions& options) {
  static const char* const kModels[] = {"A100-SXM4-40GB", "A100-SXM4-80GB",
                                        "H100-SXM5-80GB", "H100-NVL", "H200"};
  const std::vector<int> model_weights = {15, 20, 35, 15, 15};
  const std::vector<int> layout_weights = {30, 25, 10, 15, 10, 10};
  Random random(options.seed);
  Fleet fleet;
  const int nodes = (options.gpus + kGpusPerNode - 1) / kGpusPerNode;
  std::vector<const mig::GpuModel*> gpu_models;
  for (int n = 0; n < nodes; ++n) {
    const mig::GpuModel* model =
        mig::FindModel(kModels[random.Pick(model_weights)]);
    planner::Node node;
    node.name = absl::StrFormat("gpu-node-%05d", n);
    const bool fresh = random.Chance(35);
    mig::Layout layout;
    if (!fresh) {
      layout = Realise(*model, CommonLayouts()[random.Pick(layout_weights)]);
    }
    const int gpus = std::min(kGpusPerNode, options.gpus - n * kGpusPerNode);
    for (int g = 0; g < gpus; ++g) {
      planner::Gpu gpu;
      gpu.index = g;
      gpu.uuid = absl::StrFormat("GPU-%05d-%d", n, g);
      gpu.model = model;
      gpu.mig_enabled = !fresh;
      for (const mig::PlacedGpuInstance& gi : layout) {
        planner::Instance instance{gi, {}};
        if (random.Chance(40)) {
          instance.pods.push_back(
              absl::StrFormat("pod-%05d-%d-%d", n, g, gi.placement.start));
          ++fleet.busy_instances;
        }
        gpu.instances.push_back(std::move(instance));
      }
      node.gpus.push_back(std::move(gpu));
      gpu_models.push_back(model);
    }
    fleet.cluster.nodes.push_back(std::move(node));
  }
  fleet.gpus = static_cast<int>(gpu_models.size());

  // Requests: a model by fleet share, then a shape and a priority.
  const std::vector<int> shape_weights = {45, 8, 25, 10, 7, 5};
  const std::vector<int> small_priorities = {20, 50, 30};  // 0, 5, 10
  const std::vector<int> large_priorities = {60, 30, 10};
  std::map<std::pair<std::string, int>, int> counts;
  fleet.requests = fleet.gpus * options.requests_per_gpu;
  for (int r = 0; r < fleet.requests; ++r) {
    const mig::GpuModel& model = *gpu_models[random.Below(fleet.gpus)];
    const auto shape = static_cast<Shape>(random.Pick(shape_weights));
    const bool small = shape == k1g || shape == kDouble1g || shape == k2g;
    const int priority =
        5 * random.Pick(small ? small_priorities : large_priorities);
    ++counts[{ProfileOf(model, shape).name, priority}];
  }
  for (const auto& [key, count] : counts) {
    fleet.demand.items.push_back({key.first, count, key.second});
  }
  return fleet;
}

}  // namespace migctl::planner_ilp
