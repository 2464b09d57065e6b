// Test helpers for deploy/helm/migctl: render it with tests/support/helmrender
// (release "migctl", namespace "gpu-operator") and find objects in the output.
#ifndef MIGCTL_TESTS_DEPLOY_CHART_H_
#define MIGCTL_TESTS_DEPLOY_CHART_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace migctl::testing {

// MIGCTL_SOURCE_DIR/relative.
std::string SourcePath(const std::string& relative);
std::string ReadSourceFile(const std::string& relative);

// Writes `text` to a file of this test process's temporary directory and
// returns its path.
std::string WriteValues(const std::string& name, const std::string& text);

// The rendered stream (or NOTES.txt with notes=true) for the chart's values
// plus `value_files`; the renderer's stderr as the error when it fails.
absl::StatusOr<std::string> RenderChartText(
    const std::vector<std::string>& value_files, bool notes = false);

// The rendered objects, in output order (Helm's install order by kind).
absl::StatusOr<std::vector<nlohmann::json>> RenderChart(
    const std::vector<std::string>& value_files);

// The object of `kind` named `name`, or nullptr.
const nlohmann::json* FindObject(const std::vector<nlohmann::json>& objects,
                                 const std::string& kind,
                                 const std::string& name);

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_DEPLOY_CHART_H_
