// Cluster snapshots of `migctl plan --cluster`: cli::ParseClusterSnapshot
// (nodes with their GPUs given directly or as the agent's
// migctl.dev/mig.layout annotation, demand, policy). Invariants: errors are
// INVALID_ARGUMENT starting "cluster.json: "; every GPU of an accepted
// snapshot has a catalogue model, every instance a profile of that model and
// that profile's size, every demand item a profile, the policy a config name.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "cli/cluster_snapshot.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace cli = migctl::cli;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cli::ClusterSnapshot> snapshot =
      cli::ParseClusterSnapshot(text, "cluster.json");
  if (!snapshot.ok()) {
    FUZZ_CHECK(snapshot.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(snapshot.status().message(), "cluster.json: "));
    return 0;
  }
  for (const migctl::planner::Node& node : snapshot->cluster.nodes) {
    for (const migctl::planner::Gpu& gpu : node.gpus) {
      FUZZ_CHECK(gpu.model != nullptr);
      for (const migctl::planner::Instance& i : gpu.instances) {
        const migctl::mig::GpuInstanceProfile* p =
            gpu.model->FindProfileById(i.gi.profile_id);
        FUZZ_CHECK(p != nullptr);
        FUZZ_CHECK(i.gi.placement.size == p->memory_slices());
      }
    }
  }
  for (const migctl::planner::DemandItem& item : snapshot->demand.items) {
    FUZZ_CHECK(!item.profile.empty());
  }
  FUZZ_CHECK(!snapshot->policy.config_name.empty());
  return 0;
}
