#include "agent/systemd_services.h"

#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"

namespace migctl::agent {
namespace {

constexpr char kService[] = "org.freedesktop.systemd1";
constexpr char kManagerPath[] = "/org/freedesktop/systemd1";
constexpr char kManager[] = "org.freedesktop.systemd1.Manager";
constexpr char kUnit[] = "org.freedesktop.systemd1.Unit";
constexpr char kNoSuchUnit[] = "org.freedesktop.systemd1.NoSuchUnit";

// An sd_bus_error freed on scope exit.
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&e); }
  // "<what>: <D-Bus error name>: <message>", or errno's text.
  absl::Status Status(absl::string_view what, int r) const {
    const std::string why = sd_bus_error_is_set(&e)
                                ? absl::StrCat(e.name, ": ", e.message)
                                : std::string(std::strerror(-r));
    return absl::UnavailableError(absl::StrCat(what, ": ", why));
  }
};

struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;

struct SlotUnref {
  void operator()(sd_bus_slot* s) const { sd_bus_slot_unref(s); }
};

// Job object path -> result, filled by the JobRemoved handler.
using FinishedJobs = std::map<std::string, std::string>;

int OnJobRemoved(sd_bus_message* m, void* userdata, sd_bus_error*) {
  uint32_t id = 0;
  const char* path = nullptr;
  const char* unit = nullptr;
  const char* result = nullptr;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0) {
    (*static_cast<FinishedJobs*>(userdata))[path] = result;
  }
  return 0;
}

}  // namespace

SystemdServices::SystemdServices(std::string address,
                                 absl::Duration job_timeout)
    : address_(std::move(address)), job_timeout_(job_timeout) {}

SystemdServices::~SystemdServices() { sd_bus_flush_close_unref(bus_); }

absl::Status SystemdServices::Connect() {
  // Reading what is queued notices a connection systemd closed.
  while (bus_ != nullptr && sd_bus_process(bus_, nullptr) > 0) {
  }
  if (bus_ != nullptr && sd_bus_is_open(bus_) > 0) return absl::OkStatus();
  bus_ = sd_bus_flush_close_unref(bus_);
  int r = 0;
  if (address_.empty()) {
    r = sd_bus_open_system(&bus_);
  } else if ((r = sd_bus_new(&bus_)) >= 0 &&
             (r = sd_bus_set_address(bus_, address_.c_str())) >= 0) {
    r = sd_bus_start(bus_);
  }
  if (r < 0) {
    bus_ = sd_bus_flush_close_unref(bus_);
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to systemd at ",
        address_.empty() ? std::string("the system bus") : address_, ": ",
        std::strerror(-r)));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SystemdServices::IsActive(const std::string& unit) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  BusError error;
  sd_bus_message* raw = nullptr;
  int r = sd_bus_call_method(bus_, kService, kManagerPath, kManager, "GetUnit",
                             &error.e, &raw, "s", unit.c_str());
  Message reply(raw);
  if (r < 0) {
    if (sd_bus_error_has_name(&error.e, kNoSuchUnit)) return false;
    return error.Status(absl::StrCat("systemd GetUnit ", unit), r);
  }
  const char* path = nullptr;
  if ((r = sd_bus_message_read(reply.get(), "o", &path)) < 0) {
    return error.Status(absl::StrCat("systemd GetUnit ", unit), r);
  }
  char* state = nullptr;
  r = sd_bus_get_property_string(bus_, kService, path, kUnit, "ActiveState",
                                 &error.e, &state);
  if (r < 0) {
    return error.Status(absl::StrCat("systemd ActiveState of ", unit), r);
  }
  const std::string active_state(state);
  std::free(state);
  return active_state == "active" || active_state == "activating" ||
         active_state == "reloading";
}

absl::Status SystemdServices::Stop(const std::string& unit) {
  return RunJob("StopUnit", unit);
}

absl::Status SystemdServices::Start(const std::string& unit) {
  return RunJob("StartUnit", unit);
}

absl::Status SystemdServices::RunJob(const char* method,
                                     const std::string& unit) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  const std::string what = absl::StrCat("systemd ", method, " ", unit);
  // Subscribed before the call, so that the job's end cannot be missed.
  // On the bus only systemd's signals count; a direct connection has no
  // sender names.
  FinishedJobs finished;
  sd_bus_slot* raw_slot = nullptr;
  int r = sd_bus_match_signal(
      bus_, &raw_slot, sd_bus_is_bus_client(bus_) > 0 ? kService : nullptr,
      kManagerPath, kManager, "JobRemoved", OnJobRemoved, &finished);
  std::unique_ptr<sd_bus_slot, SlotUnref> slot(raw_slot);
  BusError error;
  if (r < 0) return error.Status(what, r);
  sd_bus_message* raw = nullptr;
  r = sd_bus_call_method(bus_, kService, kManagerPath, kManager, method,
                         &error.e, &raw, "ss", unit.c_str(), "replace");
  Message reply(raw);
  if (r < 0) return error.Status(what, r);
  const char* job_path = nullptr;
  if ((r = sd_bus_message_read(reply.get(), "o", &job_path)) < 0) {
    return error.Status(what, r);
  }
  const std::string job(job_path);
  const absl::Time deadline = absl::Now() + job_timeout_;
  while (!finished.contains(job)) {
    r = sd_bus_process(bus_, nullptr);
    if (r < 0)
      return error.Status(absl::StrCat(what, ": waiting for ", job), r);
    if (r > 0) continue;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": job ", job, " did not finish within ",
                       absl::FormatDuration(job_timeout_)));
    }
    r = sd_bus_wait(bus_, absl::ToInt64Microseconds(left));
    if (r < 0 && r != -EINTR) {
      return error.Status(absl::StrCat(what, ": waiting for ", job), r);
    }
  }
  if (finished[job] != "done") {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the job ended \"", finished[job], "\""));
  }
  return absl::OkStatus();
}

}  // namespace migctl::agent
