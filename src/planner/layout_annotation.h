// The node layout annotation the agent publishes (migctl.dev/mig.layout), read
// into planner GPUs. Its value is JSON:
//   {"gpus": [{"index": 0, "uuid": "GPU-…", "model": "H100-NVL",
//              "mig_enabled": true,
//              "gpu_instances": [{"profile": "1g.12gb", "start": 0,
//                                 "size": 1, "busy": false}]}]}
// `uuid`, `mig_enabled` (default true), `gpu_instances`, `size` and `busy`
// are optional; an instance may also list its `pods` (busy when any), and a
// GPU the `pods` holding it whole. Unknown fields are errors.
#ifndef MIGCTL_PLANNER_LAYOUT_ANNOTATION_H_
#define MIGCTL_PLANNER_LAYOUT_ANNOTATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "planner/planner.h"

namespace migctl::planner {

inline constexpr absl::string_view kLayoutAnnotation = "migctl.dev/mig.layout";

// A list of GPU objects. Errors are INVALID_ARGUMENT "<where> gpus[1]
// gpu_instances[0]: <what>" (an unknown model or profile lists the known
// ones); a GPU that could not be real (ValidateGpu: instances that overlap
// or sit where their profile cannot, instances with MIG disabled) is refused
// as a whole ("<where> gpus[1]: current layout is not valid on <model>:
// ...").
absl::StatusOr<std::vector<Gpu>> ParseLayoutGpus(const nlohmann::json& gpus,
                                                 const std::string& where);

// The annotation's value; errors as above, with "<where>
// migctl.dev/mig.layout" as the place, or "<where>: migctl.dev/mig.layout is
// not JSON with \"gpus\"".
absl::StatusOr<std::vector<Gpu>> ParseLayoutAnnotation(
    absl::string_view value, const std::string& where);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_LAYOUT_ANNOTATION_H_
