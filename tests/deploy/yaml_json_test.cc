// YamlToJson (tests/support/yaml_json.h): values files read as Helm reads
// them (go-yaml v2's YAML 1.1 scalar resolution).
#include "support/yaml_json.h"

#include <gtest/gtest.h>

namespace migctl::testing {
namespace {

using nlohmann::json;

json Convert(const std::string& yaml) {
  absl::StatusOr<std::vector<json>> docs = YamlStreamToJson(yaml);
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok() || docs->empty()) return json();
  return docs->front();
}

TEST(YamlJsonTest, PlainScalarsResolveAsHelmReadsThem) {
  EXPECT_EQ(Convert(R"(
a: true
b: yes
c: On
d: "true"
e: no
f: OFF
g: ~
h: null
i:
j: 8080
k: 010
l: 0x1F
m: 1.5
n: 1e3
o: 09
p: !!str 123
q: '8080'
r: mixed
s: 1_000
t: -7
)"),
            json::parse(R"({"a": true, "b": true, "c": true, "d": "true",
                            "e": false, "f": false, "g": null, "h": null,
                            "i": null, "j": 8080, "k": 8, "l": 31, "m": 1.5,
                            "n": 1000.0, "o": 9.0, "p": "123", "q": "8080",
                            "r": "mixed", "s": 1000, "t": -7})"));
}

TEST(YamlJsonTest, CollectionsAndBlocks) {
  EXPECT_EQ(Convert("env:\n- name: A\n  value: \"1\"\nempty: {}\nnone: []\n"
                    "text: |-\n  a\n  b\nkeep: |\n  c\n"),
            json::parse(R"({"env": [{"name": "A", "value": "1"}],
                            "empty": {}, "none": [], "text": "a\nb",
                            "keep": "c\n"})"));
}

TEST(YamlJsonTest, StreamsSkipEmptyDocuments) {
  absl::StatusOr<std::vector<json>> docs =
      YamlStreamToJson("---\n# only a comment\n---\na: 1\n---\nb: 2\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ(*docs, (std::vector<json>{{{"a", 1}}, {{"b", 2}}}));
}

TEST(YamlJsonTest, ErrorsNameThePlace) {
  absl::StatusOr<std::vector<json>> docs = YamlStreamToJson("a: .inf\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(), "line 1, column 4: .inf has no JSON form");
  docs = YamlStreamToJson("a: 99999999999999999999\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(),
            "line 1, column 4: integer 99999999999999999999 is out of range");
  EXPECT_FALSE(YamlStreamToJson("a: [1, 2\n").ok());
}

}  // namespace
}  // namespace migctl::testing
