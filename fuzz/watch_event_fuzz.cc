// One line of a Kubernetes watch response: kube::ParseWatchLine, as
// Client::Watch calls it for every line the API server streams. Invariants:
// it never throws; a line that is not an event is INVALID_ARGUMENT "watch
// /api/v1/nodes: not a watch event: "; an ERROR event carries an HTTP status
// (100..599) in its Status and message; an event's object is an object, and
// the event written back as a line parses to the same event.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "kube/client.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace kube = migctl::kube;
  using Kind = kube::WatchLine::Kind;
  const std::string line(reinterpret_cast<const char*>(data), size);
  const kube::WatchLine parsed = kube::ParseWatchLine(line, "/api/v1/nodes");
  switch (parsed.kind) {
    case Kind::kNotEvent:
      FUZZ_CHECK(parsed.error.code() == absl::StatusCode::kInvalidArgument);
      FUZZ_CHECK(absl::StartsWith(parsed.error.message(),
                                  "watch /api/v1/nodes: not a watch event: "));
      return 0;
    case Kind::kError: {
      FUZZ_CHECK(!parsed.error.ok());
      const std::optional<int> http = kube::HttpStatusOf(parsed.error);
      FUZZ_CHECK(http.has_value() && *http >= 100 && *http <= 599);
      FUZZ_CHECK(absl::EndsWith(parsed.error.message(),
                                absl::StrCat("(HTTP ", *http, ")")));
      FUZZ_CHECK((*http == 410) ==
                 (parsed.error.code() == absl::StatusCode::kOutOfRange));
      return 0;
    }
    case Kind::kSkipped:
      return 0;
    case Kind::kEvent:
      break;
  }
  FUZZ_CHECK(parsed.event.object.is_object());
  const std::string written = nlohmann::json{
      {"type", std::string(kube::WatchEventTypeName(parsed.event.type))},
      {"object",
       parsed.event.object}}.dump();
  const kube::WatchLine again = kube::ParseWatchLine(written, "/api/v1/nodes");
  FUZZ_CHECK(again.kind == Kind::kEvent);
  FUZZ_CHECK(again.event.type == parsed.event.type);
  FUZZ_CHECK(again.event.object == parsed.event.object);
  return 0;
}
