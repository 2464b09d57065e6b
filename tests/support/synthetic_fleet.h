// Seeded synthetic clusters and demand for the planner's gap test and bench.
//
// A fleet is nodes of 8 GPUs of one model (the last node may have fewer),
// models mixed like a real fleet (A100 40/80 GB, H100 SXM, H100 NVL, H200).
// About a third of the nodes are fresh (MIG disabled); the others hold one of
// mig-parted's common layouts on every GPU (all-balanced, all-1g, all-2g,
// all-3g, 4g+3g, all-7g), each instance busy with a pod at 40 %. Demand is
// `requests_per_gpu` requests per GPU, skewed like inference plus training:
// mostly small (1g, 2g), a few large (3g, 4g, 7g), on the profile names of the
// models present, at priorities 0, 5 and 10. The same options always give the
// same fleet (own integer arithmetic over std::mt19937, no library
// distributions).
#ifndef MIGCTL_TESTS_SUPPORT_SYNTHETIC_FLEET_H_
#define MIGCTL_TESTS_SUPPORT_SYNTHETIC_FLEET_H_

#include <cstdint>

#include "planner/planner.h"

namespace migctl::planner_ilp {

struct FleetOptions {
  int gpus = 100;
  int requests_per_gpu = 5;
  uint32_t seed = 1;
};

struct Fleet {
  planner::Cluster cluster;
  planner::Demand demand;
  int gpus = 0;
  int requests = 0;
  int busy_instances = 0;
};

Fleet MakeFleet(const FleetOptions& options);

}  // namespace migctl::planner_ilp

#endif  // MIGCTL_TESTS_SUPPORT_SYNTHETIC_FLEET_H_
