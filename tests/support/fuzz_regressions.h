// FuzzRegressions: the inputs a fuzz target crashed on or broke an invariant
// with (fuzz/regressions/<target>/, file name -> bytes), for the unit tests
// that replay them. Empty when the target has none.
#ifndef MIGCTL_TESTS_SUPPORT_FUZZ_REGRESSIONS_H_
#define MIGCTL_TESTS_SUPPORT_FUZZ_REGRESSIONS_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace migctl::testing {

inline std::map<std::string, std::string> FuzzRegressions(
    const std::string& target) {
  std::map<std::string, std::string> out;
  const std::filesystem::path dir =
      std::filesystem::path(MIGCTL_SOURCE_DIR) / "fuzz/regressions" / target;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    out[entry.path().filename().string()] = text.str();
  }
  return out;
}

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_FUZZ_REGRESSIONS_H_
