// migctl_yaml2json FILE: prints the first YAML document of FILE as JSON
// (support/yaml_json.h), for tests/support/helmrender, which reads values
// files and Chart.yaml through it. Exit 1 with the reason on stderr.
#include <fstream>
#include <iostream>
#include <sstream>

#include "support/yaml_json.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " FILE.yaml\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << argv[1] << ": cannot be read\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<nlohmann::json>> docs =
      migctl::testing::YamlStreamToJson(text.str());
  if (!docs.ok()) {
    std::cerr << argv[1] << ": " << docs.status().message() << "\n";
    return 1;
  }
  std::cout << (docs->empty() ? nlohmann::json(nullptr) : docs->front()).dump()
            << "\n";
  return 0;
}
