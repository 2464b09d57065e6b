// UnschedulablePod: a Pod object as the API server holds one the scheduler
// could not place (phase Pending, no node, PodScheduled=False with reason
// Unschedulable) whose one container asks for one `resource` — the demand
// the planner reads. For the planner, chart and end-to-end tests.
#ifndef MIGCTL_TESTS_SUPPORT_UNSCHEDULABLE_POD_H_
#define MIGCTL_TESTS_SUPPORT_UNSCHEDULABLE_POD_H_

#include <string>

#include "nlohmann/json.hpp"

namespace migctl::testing {

inline nlohmann::json UnschedulablePod(const std::string& namespace_,
                                       const std::string& name,
                                       const std::string& resource) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", namespace_}}},
          {"spec",
           {{"containers",
             {{{"name", "main"},
               {"resources", {{"limits", {{resource, "1"}}}}}}}}}},
          {"status",
           {{"phase", "Pending"},
            {"conditions",
             {{{"type", "PodScheduled"},
               {"status", "False"},
               {"reason", "Unschedulable"}}}}}}};
}

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_UNSCHEDULABLE_POD_H_
