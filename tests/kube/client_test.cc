#include "kube/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "support/api_server.h"

namespace migctl::kube {
namespace {

using migctl::testing::ApiServer;
using nlohmann::json;

ClientOptions FastOptions() {
  ClientOptions options;
  options.request_timeout = absl::Seconds(5);
  options.connect_timeout = absl::Seconds(2);
  options.initial_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  return options;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServer::Options options;
    options.bookmark_interval = absl::Milliseconds(100);
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->AddNode("gpu-node-1", {{"team", "a"}}).ok());
    ASSERT_TRUE(server_->AddNode("cpu-node-1", {{"team", "b"}}).ok());
    ASSERT_TRUE(server_->Start().ok());
    client_ = MakeClient(FastOptions());
  }

  std::unique_ptr<Client> MakeClient(ClientOptions options) {
    ClusterConfig config;
    config.server = server_->url();
    auto client = Client::Create(config, options);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(client).value();
  }

  int Count(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : server_->requests()) {
      if (r.method == method && r.path.rfind(prefix, 0) == 0) ++n;
    }
    return n;
  }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, GetNode) {
  auto node = client_->GetNode("gpu-node-1");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ((*node)["metadata"]["labels"]["team"], "a");
  EXPECT_EQ((*node)["kind"], "Node");
}

TEST_F(ClientTest, NotFoundCarriesApiMessageAndHttpStatus) {
  auto node = client_->GetNode("nope");
  EXPECT_EQ(node.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(node.status().message(), "nodes \"nope\" not found (HTTP 404)");
  EXPECT_EQ(HttpStatusOf(node.status()), 404);
  EXPECT_EQ(Count("GET", "/api/v1/nodes/nope"), 1);  // not retried
}

TEST_F(ClientTest, ListWithLabelSelectors) {
  auto names = [&](const std::string& selector) {
    std::vector<std::string> out;
    auto list = client_->List("/api/v1/nodes", selector);
    EXPECT_TRUE(list.ok()) << list.status();
    for (const auto& item : (*list)["items"]) {
      out.push_back(item["metadata"]["name"]);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(""), (V{"cpu-node-1", "gpu-node-1"}));
  EXPECT_EQ(names("team=a"), (V{"gpu-node-1"}));
  EXPECT_EQ(names("team!=a"), (V{"cpu-node-1"}));
  EXPECT_EQ(names("team in (a,b)"), (V{"cpu-node-1", "gpu-node-1"}));
  EXPECT_EQ(names("team notin (a)"), (V{"cpu-node-1"}));
  EXPECT_EQ(names("team,kubernetes.io/os=linux"),
            (V{"cpu-node-1", "gpu-node-1"}));
  EXPECT_EQ(names("!team"), V{});
  auto bad = client_->List("/api/v1/nodes", "team in a");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, PatchNodeLabelsSetsAndRemovesKeepingOthers) {
  auto patched = client_->PatchNodeLabels(
      "gpu-node-1",
      {{"nvidia.com/mig.config.state", "pending"}, {"team", std::nullopt}});
  ASSERT_TRUE(patched.ok()) << patched.status();
  json labels = (*patched)["metadata"]["labels"];
  EXPECT_EQ(labels["nvidia.com/mig.config.state"], "pending");
  EXPECT_FALSE(labels.contains("team"));
  EXPECT_EQ(labels["kubernetes.io/hostname"], "gpu-node-1");
  auto requests = server_->requests();
  EXPECT_EQ(requests.back().content_type, "application/merge-patch+json");
}

TEST_F(ClientTest, PatchTypes) {
  ASSERT_TRUE(client_
                  ->Create("/api/v1/namespaces/default/configmaps",
                           {{"metadata", {{"name", "cfg"}}},
                            {"data", {{"a", "1"}, {"b", "2"}}}})
                  .ok());
  const std::string path = "/api/v1/namespaces/default/configmaps/cfg";
  auto merged = client_->Patch(path, {{"data", {{"a", nullptr}, {"c", "3"}}}},
                               PatchType::kStrategicMerge);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ((*merged)["data"], (json{{"b", "2"}, {"c", "3"}}));
  auto jsonpatch = client_->Patch(
      path,
      json::array({{{"op", "replace"}, {"path", "/data/b"}, {"value", "9"}}}),
      PatchType::kJson);
  ASSERT_TRUE(jsonpatch.ok()) << jsonpatch.status();
  EXPECT_EQ((*jsonpatch)["data"]["b"], "9");
}

TEST_F(ClientTest, StaleResourceVersionConflicts) {
  auto node = client_->GetNode("gpu-node-1");
  ASSERT_TRUE(client_->PatchNodeLabels("gpu-node-1", {{"x", "1"}}).ok());
  auto replaced = client_->Replace("/api/v1/nodes/gpu-node-1", *node);
  EXPECT_EQ(replaced.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(replaced.status().message(),
            "Operation cannot be fulfilled on nodes \"gpu-node-1\": the object "
            "has been modified; please apply your changes to the latest "
            "version and try again (HTTP 409)");
  EXPECT_EQ(Count("PUT", "/api/v1/nodes/gpu-node-1"), 1);
}

TEST_F(ClientTest, UpdateRereadsAfterConflict) {
  int calls = 0;
  auto updated = client_->Update("/api/v1/nodes/gpu-node-1", [&](json& node) {
    if (++calls == 1) {  // someone else writes between our read and write
      EXPECT_TRUE(server_->AddNode("racer").ok());
      auto other = server_->GetObject("nodes", "", "gpu-node-1");
      (*other)["metadata"]["labels"]["other"] = "yes";
      (*other)["metadata"].erase("resourceVersion");
      auto status = server_->UpdateObject("nodes", "", *other);
      EXPECT_TRUE(status.ok()) << status.status();
    }
    node["metadata"]["labels"]["mine"] = "yes";
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*updated)["metadata"]["labels"]["other"], "yes");
  EXPECT_EQ((*updated)["metadata"]["labels"]["mine"], "yes");
}

TEST_F(ClientTest, ConflictOnPatchWithoutPreconditionIsRetried) {
  server_->FailNextRequestsForTest(1, 409, "PATCH");
  auto patched = client_->PatchNodeLabels("gpu-node-1", {{"x", "1"}});
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(Count("PATCH", "/api/v1/nodes/gpu-node-1"), 2);
}

TEST_F(ClientTest, ServerErrorsAreRetriedThenReported) {
  server_->FailNextRequestsForTest(2, 500);
  EXPECT_TRUE(client_->GetNode("gpu-node-1").ok());
  EXPECT_EQ(Count("GET", "/api/v1/nodes/gpu-node-1"), 3);

  ClientOptions options = FastOptions();
  options.max_attempts = 3;
  auto client = MakeClient(options);
  server_->FailNextRequestsForTest(10, 503);
  auto node = client->GetNode("gpu-node-1");
  EXPECT_EQ(node.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(node.status().message(), "injected failure (HTTP 503)");
  EXPECT_EQ(Count("GET", "/api/v1/nodes/gpu-node-1"), 6);
}

TEST_F(ClientTest, TooManyRequestsIsRetried) {
  server_->FailNextRequestsForTest(1, 429);
  EXPECT_TRUE(client_->GetNode("gpu-node-1").ok());
  EXPECT_EQ(Count("GET", "/api/v1/nodes/gpu-node-1"), 2);
}

TEST_F(ClientTest, SlowServerTimesOut) {
  ClientOptions options = FastOptions();
  options.request_timeout = absl::Milliseconds(200);
  options.max_attempts = 1;
  auto client = MakeClient(options);
  server_->SetLatencyForTest(absl::Seconds(1));
  absl::Time start = absl::Now();
  auto node = client->GetNode("gpu-node-1");
  EXPECT_EQ(node.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  server_->SetLatencyForTest(absl::ZeroDuration());
}

TEST_F(ClientTest, ConnectionRefusedIsUnavailable) {
  int port = server_->port();
  server_->Stop();
  ClientOptions options = FastOptions();
  options.max_attempts = 2;
  auto client = MakeClient(options);
  auto node = client->GetNode("gpu-node-1");
  EXPECT_EQ(node.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(HttpStatusOf(node.status()).has_value());
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_EQ(server_->port(), port);
  EXPECT_TRUE(client->GetNode("gpu-node-1").ok());
}

TEST_F(ClientTest, TokenFileIsSentAsBearer) {
  auto dir = std::filesystem::temp_directory_path() /
             ("kube_client_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "rotating-token\n";
  ClusterConfig config;
  config.server = server_->url();
  config.token_file = (dir / "token").string();
  auto client = Client::Create(config, FastOptions());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->GetNode("gpu-node-1").ok());
  EXPECT_EQ(server_->requests().back().authorization, "Bearer rotating-token");
  std::filesystem::remove_all(dir);
}

TEST_F(ClientTest, CreateEventShowsUpForTheNode) {
  auto node = client_->GetNode("gpu-node-1");
  ASSERT_TRUE(node.ok());
  auto event = client_->CreateEvent(NodeReference(*node), "MigConfigFailed",
                                    "no config \"bogus\"", EventType::kWarning);
  ASSERT_TRUE(event.ok()) << event.status();
  auto events =
      client_->List("/api/v1/events", "",
                    "involvedObject.kind=Node,involvedObject.name=gpu-node-1");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ((*events)["items"].size(), 1u);
  const json& e = (*events)["items"][0];
  EXPECT_EQ(e["metadata"]["namespace"], "default");
  EXPECT_EQ(e["involvedObject"]["uid"], (*node)["metadata"]["uid"]);
  EXPECT_EQ(e["reason"], "MigConfigFailed");
  EXPECT_EQ(e["type"], "Warning");
}

TEST_F(ClientTest, CreateExistingIsAlreadyExists) {
  auto created = client_->Create("/api/v1/nodes",
                                 {{"metadata", {{"name", "gpu-node-1"}}}});
  EXPECT_EQ(created.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(created.status().message(),
            "nodes \"gpu-node-1\" already exists (HTTP 409)");
}

// Collects watch events as "TYPE name" strings.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> events;
  int bookmarks = 0;
  void Add(const WatchEvent& e) {
    std::lock_guard lock(mu);
    if (e.type == WatchEventType::kBookmark) {
      ++bookmarks;
      return;
    }
    events.push_back(std::string(WatchEventTypeName(e.type)) + " " +
                     e.object["metadata"]["name"].get<std::string>());
  }
  std::vector<std::string> Snapshot() {
    std::lock_guard lock(mu);
    return events;
  }
  int Bookmarks() {
    std::lock_guard lock(mu);
    return bookmarks;
  }
};

bool WaitFor(const std::function<bool()>& done,
             absl::Duration limit = absl::Seconds(10)) {
  absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

class WatchTest : public ClientTest {
 protected:
  void StartWatch(WatchOptions options = {}) {
    options.timeout = absl::Seconds(30);
    thread_ = std::jthread([this, options](std::stop_token stop) {
      result_ = client_->Watch(
          "/api/v1/nodes", options,
          [this](const WatchEvent& e) {
            recorder_.Add(e);
            return true;
          },
          stop);
    });
  }
  void StopWatch() {
    thread_.request_stop();
    thread_.join();
    EXPECT_TRUE(result_.ok()) << result_;
  }
  Recorder recorder_;
  absl::Status result_ = absl::UnknownError("not run");
  std::jthread thread_;  // last: joined before the members it writes go
};

using V = std::vector<std::string>;

TEST_F(WatchTest, ListsThenStreamsChangesAndBookmarks) {
  StartWatch();
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 2; }));
  ASSERT_TRUE(client_->PatchNodeLabels("gpu-node-1", {{"x", "1"}}).ok());
  ASSERT_TRUE(server_->DeleteObject("nodes", "", "cpu-node-1").ok());
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 4; }));
  ASSERT_TRUE(WaitFor([&] { return recorder_.Bookmarks() >= 2; }));
  StopWatch();
  EXPECT_EQ(recorder_.Snapshot(),
            (V{"ADDED cpu-node-1", "ADDED gpu-node-1", "MODIFIED gpu-node-1",
               "DELETED cpu-node-1"}));
  EXPECT_EQ(Count("GET", "/api/v1/nodes?"), 1);  // one watch
  EXPECT_EQ(Count("GET", "/api/v1/nodes"), 2);   // and one list
}

TEST_F(WatchTest, DroppedWatchResumesWithoutRelisting) {
  StartWatch();
  ASSERT_TRUE(WaitFor([&] { return server_->open_watches() == 1; }));
  server_->DropWatchesForTest();
  ASSERT_TRUE(client_->PatchNodeLabels("gpu-node-1", {{"x", "1"}}).ok());
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 3; }));
  StopWatch();
  EXPECT_EQ(recorder_.Snapshot(),
            (V{"ADDED cpu-node-1", "ADDED gpu-node-1", "MODIFIED gpu-node-1"}));
  EXPECT_EQ(Count("GET", "/api/v1/nodes?labelSelector") +
                Count("GET", "/api/v1/nodes?fieldSelector"),
            0);
  int lists = 0;
  for (const auto& r : server_->requests()) {
    if (r.path == "/api/v1/nodes") ++lists;
  }
  EXPECT_EQ(lists, 1);
}

TEST_F(WatchTest, GoneRelistsAndDeliversTheDifference) {
  StartWatch();
  ASSERT_TRUE(WaitFor([&] { return server_->open_watches() == 1; }));
  // While the server is down, objects change and history is compacted.
  server_->Stop();
  ASSERT_TRUE(server_->AddNode("new-node").ok());
  ASSERT_TRUE(server_->DeleteObject("nodes", "", "cpu-node-1").ok());
  server_->CompactForTest();
  ASSERT_TRUE(server_->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 4; }));
  StopWatch();
  EXPECT_EQ(recorder_.Snapshot(), (V{"ADDED cpu-node-1", "ADDED gpu-node-1",
                                     "ADDED new-node", "DELETED cpu-node-1"}));
  int lists = 0;
  for (const auto& r : server_->requests()) {
    if (r.path == "/api/v1/nodes") ++lists;
  }
  EXPECT_EQ(lists, 2);
}

TEST_F(WatchTest, InjectedGoneRelists) {
  StartWatch();
  ASSERT_TRUE(WaitFor([&] { return server_->open_watches() == 1; }));
  server_->GoneOnNextWatchForTest();
  server_->DropWatchesForTest();
  ASSERT_TRUE(WaitFor([&] {
    int lists = 0;
    for (const auto& r : server_->requests())
      lists += r.path == "/api/v1/nodes";
    return lists == 2 && server_->open_watches() == 1;
  }));
  ASSERT_TRUE(client_->PatchNodeLabels("gpu-node-1", {{"x", "1"}}).ok());
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 3; }));
  StopWatch();
  // The relist found nothing new: no duplicate ADDED events.
  EXPECT_EQ(recorder_.Snapshot(),
            (V{"ADDED cpu-node-1", "ADDED gpu-node-1", "MODIFIED gpu-node-1"}));
}

TEST_F(WatchTest, FieldSelectorWatchesOneNode) {
  WatchOptions options;
  options.field_selector = "metadata.name=gpu-node-1";
  StartWatch(options);
  ASSERT_TRUE(WaitFor([&] { return server_->open_watches() == 1; }));
  ASSERT_TRUE(client_->PatchNodeLabels("cpu-node-1", {{"x", "1"}}).ok());
  ASSERT_TRUE(client_->PatchNodeLabels("gpu-node-1", {{"x", "1"}}).ok());
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 2; }));
  StopWatch();
  EXPECT_EQ(recorder_.Snapshot(),
            (V{"ADDED gpu-node-1", "MODIFIED gpu-node-1"}));
}

TEST_F(WatchTest, ServerErrorsAndRestartsAreRidden) {
  StartWatch();
  ASSERT_TRUE(WaitFor([&] { return server_->open_watches() == 1; }));
  server_->Stop();
  ASSERT_TRUE(server_->Start().ok());
  server_->FailNextRequestsForTest(2, 500);
  ASSERT_TRUE(server_->AddNode("after-restart").ok());
  ASSERT_TRUE(WaitFor([&] { return recorder_.Snapshot().size() == 3; }));
  StopWatch();
  EXPECT_EQ(recorder_.Snapshot().back(), "ADDED after-restart");
}

TEST_F(WatchTest, StopsPromptlyAndCallbackCanEnd) {
  StartWatch();
  ASSERT_TRUE(WaitFor([&] { return server_->open_watches() == 1; }));
  absl::Time start = absl::Now();
  StopWatch();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  int seen = 0;
  WatchOptions options;
  options.timeout = absl::Seconds(30);
  absl::Status status = client_->Watch(
      "/api/v1/nodes", options, [&](const WatchEvent&) { return ++seen < 2; });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(seen, 2);
}

TEST_F(WatchTest, ForbiddenEndsTheWatchWithTheError) {
  server_->FailNextRequestsForTest(1, 403);
  WatchOptions options;
  absl::Status status = client_->Watch("/api/v1/nodes", options,
                                       [](const WatchEvent&) { return true; });
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "injected failure (HTTP 403)");
}

}  // namespace
}  // namespace migctl::kube
