// ApiServer: an in-memory stand-in for kube-apiserver, for tests and the
// demo. Serves plain HTTP on 127.0.0.1 only: the core/v1 resources nodes,
// pods, configmaps, events and namespaces, and (stored as sent, for the Helm
// chart's objects) serviceaccounts, services, apps/v1 daemonsets and
// deployments, rbac.authorization.k8s.io/v1 clusterroles,
// clusterrolebindings, roles and rolebindings and monitoring.coreos.com/v1
// servicemonitors, with a global resourceVersion,
// optimistic concurrency (409 on a stale metadata.resourceVersion), watch
// (chunked JSON lines, bookmarks, 410 for a compacted resourceVersion),
// JSON merge / strategic merge / JSON patch, label and field selectors, Table
// output for `kubectl get`, and the discovery documents real kubectl asks for.
//
// What it is not: no admission, no defaulting beyond metadata, no
// authentication, no controllers; strategic merge merges lists by key only
// where the patch says how ($setElementOrder, as kubectl sends for env,
// volumes, containers…), other lists are replaced whole.
//
// Fault injection (…ForTest): fail the next N requests with a status, make
// the next watch answer 410, drop open watches, slow every response.
//
// Thread safety: all methods may be called from any thread while serving.
// Stop() (and the destructor) end open watches and join the server thread;
// state survives Stop() and a later Start() on the same port.
#ifndef MIGCTL_TESTS_SUPPORT_API_SERVER_H_
#define MIGCTL_TESTS_SUPPORT_API_SERVER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace migctl::testing {

// Kubernetes label selector semantics: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
// `a notin (x)`, `a`, `!a`, comma-separated (all must hold). InvalidArgument
// for a malformed selector.
absl::StatusOr<bool> MatchesLabelSelector(const std::string& selector,
                                          const nlohmann::json& labels);

class ApiServer {
 public:
  struct Options {
    int port = 0;  // 0: any free port
    absl::Duration bookmark_interval = absl::Seconds(1);
    // Watch events kept for resuming; older resourceVersions get 410.
    size_t history_limit = 1000;
  };

  struct RequestRecord {
    std::string method;
    std::string path;  // with query string
    std::string content_type;
    std::string authorization;
    int status = 0;
  };

  explicit ApiServer(Options options);
  ApiServer() : ApiServer(Options{}) {}
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds 127.0.0.1:options.port (or the port of the previous Start) and
  // serves on a background thread.
  absl::Status Start();
  void Stop();

  int port() const { return port_; }
  std::string url() const;
  // A kubeconfig pointing at this server (context "standin").
  std::string Kubeconfig() const;
  absl::Status WriteKubeconfig(const std::string& path) const;

  // Direct state access, bypassing HTTP (and fault injection). `resource` is
  // the plural ("nodes"); `ns` empty for cluster-scoped resources.
  absl::StatusOr<nlohmann::json> CreateObject(const std::string& resource,
                                              const std::string& ns,
                                              nlohmann::json object);
  std::optional<nlohmann::json> GetObject(const std::string& resource,
                                          const std::string& ns,
                                          const std::string& name) const;
  absl::StatusOr<nlohmann::json> UpdateObject(const std::string& resource,
                                              const std::string& ns,
                                              nlohmann::json object);
  absl::Status DeleteObject(const std::string& resource, const std::string& ns,
                            const std::string& name);
  std::vector<nlohmann::json> ListObjects(const std::string& resource,
                                          const std::string& ns = "") const;
  // A Ready node with kubelet-like status; `labels` added to the defaults.
  absl::StatusOr<nlohmann::json> AddNode(
      const std::string& name,
      const std::map<std::string, std::string>& labels = {});
  int64_t resource_version() const;

  // Fault injection.
  // The next `count` requests (of `method`, or any if empty; watches
  // included) answer `http_status` with a Status body.
  void FailNextRequestsForTest(int count, int http_status,
                               const std::string& method = "");
  // The next watch request answers with a 410 ERROR event.
  void GoneOnNextWatchForTest();
  // Forgets the watch history: resuming from any older resourceVersion
  // gets 410.
  void CompactForTest();
  // Ends every open watch stream abruptly.
  void DropWatchesForTest();
  void SetLatencyForTest(absl::Duration latency);

  std::vector<RequestRecord> requests() const;
  int open_watches() const;

 private:
  struct HistoryEntry {
    int64_t rv;
    std::string type;
    std::string resource;
    std::string ns;
    nlohmann::json object;
    nlohmann::json previous;  // null for ADDED
  };
  struct Watcher;

  void Handle(const httplib::Request& req, httplib::Response& res);
  void HandleWatch(const std::string& resource, const std::string& ns,
                   const httplib::Request& req, httplib::Response& res);
  bool StreamWatch(Watcher& watcher, std::string& out);
  nlohmann::json Discovery(const std::string& path, bool* found) const;
  void Record(int64_t rv_before, const std::string& type,
              const std::string& resource, const std::string& ns,
              const nlohmann::json& object, const nlohmann::json& previous)
      /* mu_ held */;
  absl::StatusOr<nlohmann::json> CreateLocked(const std::string& resource,
                                              const std::string& ns,
                                              nlohmann::json object);
  absl::StatusOr<nlohmann::json> ReplaceLocked(const std::string& resource,
                                               const std::string& ns,
                                               const std::string& name,
                                               nlohmann::json object);

  Options options_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  int64_t rv_ = 1;
  int64_t uid_counter_ = 0;
  // resource → "ns/name" → object
  std::map<std::string, std::map<std::string, nlohmann::json>> store_;
  std::deque<HistoryEntry> history_;
  int64_t compacted_rv_ = 0;  // watches from rv < this get 410
  int drop_generation_ = 0;
  int open_watches_ = 0;
  int fail_count_ = 0;
  int fail_status_ = 500;
  std::string fail_method_;
  bool gone_next_watch_ = false;
  absl::Duration latency_ = absl::ZeroDuration();
  std::vector<RequestRecord> requests_;
};

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_API_SERVER_H_
