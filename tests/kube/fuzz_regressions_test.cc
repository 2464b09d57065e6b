// Inputs that crashed the Kubernetes parsers or broke a fuzz target's
// invariant (fuzz/regressions/{watch_event,node_object,kubeconfig}/): each
// is read without an exception, as the table says. Also the exact results
// of ParseWatchLine, ReadNodeMetadata and KeyChangesPatch on good input.
#include "support/fuzz_regressions.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/node.h"
#include "nlohmann/json.hpp"

namespace migctl::kube {
namespace {

using nlohmann::json;

using testing::FuzzRegressions;

std::string Line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

TEST(KubeFuzzRegressionsTest, WatchLines) {
  struct Expected {
    WatchLine::Kind kind;
    absl::StatusCode code;
    std::string message;
  };
  const std::map<std::string, Expected> expected = {
      {"type-is-a-number.json",
       {WatchLine::Kind::kNotEvent, absl::StatusCode::kInvalidArgument,
        "watch /api/v1/nodes: not a watch event: no string \"type\""}},
      {"error-object-is-a-string.json",
       {WatchLine::Kind::kNotEvent, absl::StatusCode::kInvalidArgument,
        "watch /api/v1/nodes: not a watch event: no object \"object\""}},
      {"added-without-object.json",
       {WatchLine::Kind::kNotEvent, absl::StatusCode::kInvalidArgument,
        "watch /api/v1/nodes: not a watch event: no object \"object\""}},
      {"error-message-is-a-number.json",
       {WatchLine::Kind::kError, absl::StatusCode::kInternal,
        "watch /api/v1/nodes: {\"code\":500,\"kind\":\"Status\",\"message\":5}"
        " (HTTP 500)"}},
      {"error-code-out-of-int-range.json",
       {WatchLine::Kind::kError, absl::StatusCode::kInternal,
        "watch /api/v1/nodes: {\"code\":1e+300,\"kind\":\"Status\"} (HTTP "
        "500)"}},
      {"metadata-fields-not-strings.json",
       {WatchLine::Kind::kEvent, absl::StatusCode::kOk, ""}},
  };
  const std::map<std::string, std::string> inputs =
      FuzzRegressions("watch_event");
  ASSERT_EQ(inputs.size(), expected.size());
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name)) << "add the reproducer to the table";
    WatchLine parsed;
    EXPECT_NO_THROW(parsed = ParseWatchLine(Line(text), "/api/v1/nodes"));
    EXPECT_EQ(parsed.kind, expected.at(name).kind);
    EXPECT_EQ(parsed.error.code(), expected.at(name).code);
    EXPECT_EQ(parsed.error.message(), expected.at(name).message);
  }
}

TEST(KubeFuzzRegressionsTest, NodeObjects) {
  const std::map<std::string, std::string> expected = {
      {"node-is-an-array.json", "Node object: not a JSON object"},
      {"metadata-is-an-array.json", "Node object: metadata is not an object"},
      {"labels-is-a-string.json",
       "Node \"gpu-node-1\": metadata.labels is not an object"},
      {"uid-is-a-number.json",
       "Node \"gpu-node-1\": metadata.uid is not a string"},
      {"label-value-is-a-list.json",
       "Node \"gpu-node-1\": metadata.labels[\"nvidia.com/mig.config\"] is "
       "not a string"},
  };
  const std::map<std::string, std::string> inputs =
      FuzzRegressions("node_object");
  ASSERT_EQ(inputs.size(), expected.size());
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name)) << "add the reproducer to the table";
    const json doc = json::parse(text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    absl::StatusOr<NodeMetadata> meta = absl::UnknownError("not run");
    EXPECT_NO_THROW(meta = ReadNodeMetadata(doc));
    EXPECT_EQ(meta.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(meta.status().message(), expected.at(name));
    EXPECT_NO_THROW(NodeReference(doc));  // Events' involvedObject
  }
}

TEST(KubeFuzzRegressionsTest, Kubeconfigs) {
  const std::map<std::string, std::string> expected = {
      {"server-is-only-slashes.yaml",
       "kubeconfig: cluster \"c\" has no server"},
  };
  const std::map<std::string, std::string> inputs =
      FuzzRegressions("kubeconfig");
  ASSERT_EQ(inputs.size(), expected.size());
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name)) << "add the reproducer to the table";
    absl::StatusOr<ClusterConfig> config = absl::UnknownError("not run");
    EXPECT_NO_THROW(config = ParseKubeconfig(text, "/etc/kube"));
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(config.status().message(), expected.at(name));
  }
}

TEST(WatchLineTest, EventsErrorsAndOtherLines) {
  WatchLine added = ParseWatchLine(
      R"({"type":"ADDED","object":{"metadata":{"name":"n","resourceVersion":"7"}}})",
      "/api/v1/nodes");
  EXPECT_EQ(added.kind, WatchLine::Kind::kEvent);
  EXPECT_EQ(added.event.type, WatchEventType::kAdded);
  EXPECT_EQ(added.event.object,
            json::parse(R"({"metadata":{"name":"n","resourceVersion":"7"}})"));

  WatchLine gone = ParseWatchLine(
      R"json({"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old resource version: 1 (5)","reason":"Expired"}})json",
      "/api/v1/nodes");
  EXPECT_EQ(gone.kind, WatchLine::Kind::kError);
  EXPECT_EQ(gone.error.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(gone.error.message(), "too old resource version: 1 (5) (HTTP 410)");
  EXPECT_EQ(HttpStatusOf(gone.error), 410);

  WatchLine unknown =
      ParseWatchLine(R"({"type":"SYNC","object":{}})", "/api/v1/nodes");
  EXPECT_EQ(unknown.kind, WatchLine::Kind::kSkipped);

  WatchLine status = ParseWatchLine(
      R"({"kind":"Status","code":403,"message":"forbidden"})", "/api/v1/nodes");
  EXPECT_EQ(status.kind, WatchLine::Kind::kNotEvent);
  EXPECT_EQ(status.error.message(),
            "watch /api/v1/nodes: not a watch event: no string \"type\"");
  EXPECT_EQ(ParseWatchLine("not json", "/api/v1/nodes").error.message(),
            "watch /api/v1/nodes: not a watch event: not JSON");
}

TEST(NodeMetadataTest, ReadsNameUidLabelsAndAnnotations) {
  absl::StatusOr<NodeMetadata> meta = ReadNodeMetadata(json::parse(R"({
    "kind": "Node",
    "metadata": {"name": "gpu-node-1", "uid": "u-1", "resourceVersion": "9",
                 "labels": {"nvidia.com/mig.config": "all-1g.12gb"},
                 "annotations": null}})"));
  ASSERT_TRUE(meta.ok()) << meta.status();
  NodeMetadata want;
  want.name = "gpu-node-1";
  want.uid = "u-1";
  want.resource_version = "9";
  want.labels = {{"nvidia.com/mig.config", "all-1g.12gb"}};
  EXPECT_EQ(*meta, want);
  EXPECT_EQ(*ReadNodeMetadata(json::object()), NodeMetadata());
}

TEST(NodeMetadataTest, KeyChangesPatchSetsAndRemoves) {
  EXPECT_EQ(KeyChangesPatch("labels", {{"a", "1"}, {"b", std::nullopt}}),
            json::parse(R"({"metadata":{"labels":{"a":"1","b":null}}})"));
}

}  // namespace
}  // namespace migctl::kube
