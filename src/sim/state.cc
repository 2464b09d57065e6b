#include "sim/state.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "mig/catalogue.h"

namespace migctl::sim {
namespace {

using nlohmann::json;

uint64_t Fnv1a(absl::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// splitmix64's finaliser: spreads FNV's weak low-entropy differences.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

json PlacementJson(const mig::Placement& p) {
  return {{"start", p.start}, {"size", p.size}};
}

// Reads fields of a JSON object with errors naming the path of the field.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  absl::Status Check() const {
    if (!j_.is_object()) return Error(path_, "must be an object");
    return absl::OkStatus();
  }
  bool Has(const char* key) const { return j_.is_object() && j_.contains(key); }

  absl::StatusOr<const json*> Field(const char* key, json::value_t type) const {
    if (!Has(key)) return Error(Path(key), "is missing");
    const json& v = j_.at(key);
    bool ok = v.type() == type ||
              (type == json::value_t::number_integer && v.is_number_integer());
    if (!ok) {
      return Error(Path(key), absl::StrCat("must be ", TypeName(type)));
    }
    return &v;
  }
  absl::StatusOr<int64_t> Int(const char* key) const {
    auto f = Field(key, json::value_t::number_integer);
    if (!f.ok()) return f.status();
    return (*f)->get<int64_t>();
  }
  absl::StatusOr<std::string> String(const char* key) const {
    auto f = Field(key, json::value_t::string);
    if (!f.ok()) return f.status();
    return (*f)->get<std::string>();
  }
  absl::StatusOr<bool> Bool(const char* key) const {
    auto f = Field(key, json::value_t::boolean);
    if (!f.ok()) return f.status();
    return (*f)->get<bool>();
  }
  absl::StatusOr<const json*> Array(const char* key) const {
    return Field(key, json::value_t::array);
  }
  std::string Path(absl::string_view key) const {
    return absl::StrCat(path_, ".", key);
  }

  static absl::Status Error(absl::string_view path, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("simulator state: ", path, " ", what));
  }

 private:
  static absl::string_view TypeName(json::value_t t) {
    switch (t) {
      case json::value_t::string:
        return "a string";
      case json::value_t::boolean:
        return "true or false";
      case json::value_t::array:
        return "an array";
      case json::value_t::object:
        return "an object";
      default:
        return "an integer";
    }
  }
  const json& j_;
  std::string path_;
};

#define MIGCTL_READ(lhs, expr)                            \
  do {                                                    \
    auto migctl_read_ = (expr);                           \
    if (!migctl_read_.ok()) return migctl_read_.status(); \
    (lhs) = *migctl_read_;                                \
  } while (0)

absl::StatusOr<mig::Placement> ReadPlacement(const json& j,
                                             const std::string& path) {
  Reader r(j, path);
  if (auto s = r.Check(); !s.ok()) return s;
  mig::Placement p;
  MIGCTL_READ(p.start, r.Int("start"));
  MIGCTL_READ(p.size, r.Int("size"));
  if (p.start < 0 || p.size <= 0 || p.end() > 32) {
    return Reader::Error(path, "is not a valid placement");
  }
  return p;
}

absl::StatusOr<SimGpu> ReadGpu(const json& j, const std::string& path) {
  Reader r(j, path);
  if (auto s = r.Check(); !s.ok()) return s;
  SimGpu gpu;
  MIGCTL_READ(gpu.model, r.String("model"));
  if (mig::FindModel(gpu.model) == nullptr) {
    return Reader::Error(r.Path("model"),
                         absl::StrCat("names unknown GPU model \"", gpu.model,
                                      "\" (see `migctl models`)"));
  }
  MIGCTL_READ(gpu.uuid, r.String("uuid"));
  MIGCTL_READ(gpu.pci_bus_id, r.String("pci_bus_id"));
  // Later than version 1's first files: optional.
  if (r.Has("minor_number")) {
    MIGCTL_READ(gpu.minor_number, r.Int("minor_number"));
  }
  MIGCTL_READ(gpu.mig_current, r.Bool("mig_current"));
  MIGCTL_READ(gpu.mig_pending, r.Bool("mig_pending"));
  const json* gis = nullptr;
  MIGCTL_READ(gis, r.Array("gpu_instances"));
  for (size_t i = 0; i < gis->size(); ++i) {
    std::string gi_path = absl::StrCat(r.Path("gpu_instances"), "[", i, "]");
    Reader g((*gis)[i], gi_path);
    if (auto s = g.Check(); !s.ok()) return s;
    SimGpuInstance gi;
    MIGCTL_READ(gi.id, g.Int("id"));
    MIGCTL_READ(gi.profile_id, g.Int("profile_id"));
    if (!g.Has("placement"))
      return Reader::Error(g.Path("placement"), "is missing");
    MIGCTL_READ(gi.placement,
                ReadPlacement((*gis)[i]["placement"], g.Path("placement")));
    const json* cis = nullptr;
    MIGCTL_READ(cis, g.Array("compute_instances"));
    for (size_t k = 0; k < cis->size(); ++k) {
      std::string ci_path =
          absl::StrCat(g.Path("compute_instances"), "[", k, "]");
      Reader c((*cis)[k], ci_path);
      if (auto s = c.Check(); !s.ok()) return s;
      SimComputeInstance ci;
      MIGCTL_READ(ci.id, c.Int("id"));
      MIGCTL_READ(ci.profile_id, c.Int("profile_id"));
      MIGCTL_READ(ci.uuid, c.String("uuid"));
      if (!c.Has("placement"))
        return Reader::Error(c.Path("placement"), "is missing");
      MIGCTL_READ(ci.placement,
                  ReadPlacement((*cis)[k]["placement"], c.Path("placement")));
      gi.compute_instances.push_back(std::move(ci));
    }
    gpu.gpu_instances.push_back(std::move(gi));
  }
  const json* procs = nullptr;
  MIGCTL_READ(procs, r.Array("processes"));
  for (size_t i = 0; i < procs->size(); ++i) {
    Reader p((*procs)[i], absl::StrCat(r.Path("processes"), "[", i, "]"));
    if (auto s = p.Check(); !s.ok()) return s;
    SimProcess proc;
    MIGCTL_READ(proc.pid, p.Int("pid"));
    MIGCTL_READ(proc.name, p.String("name"));
    MIGCTL_READ(proc.used_memory_bytes, p.Int("used_memory_bytes"));
    if (p.Has("gi_id")) MIGCTL_READ(proc.gi_id, p.Int("gi_id"));
    if (p.Has("ci_id")) MIGCTL_READ(proc.ci_id, p.Int("ci_id"));
    gpu.processes.push_back(std::move(proc));
  }
  return gpu;
}

}  // namespace

std::string StableUuid(absl::string_view seed) {
  uint64_t a = Mix(Fnv1a(seed, 0xcbf29ce484222325ull));
  uint64_t b = Mix(a ^ 0x9e3779b97f4a7c15ull);
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x",
                         static_cast<uint32_t>(a >> 32),
                         static_cast<uint32_t>((a >> 16) & 0xffff),
                         static_cast<uint32_t>(a & 0xffff),
                         static_cast<uint32_t>(b >> 48), b & 0xffffffffffffull);
}

json ToJson(const SimState& state) {
  json gpus = json::array();
  for (const SimGpu& gpu : state.gpus) {
    json gis = json::array();
    for (const SimGpuInstance& gi : gpu.gpu_instances) {
      json cis = json::array();
      for (const SimComputeInstance& ci : gi.compute_instances) {
        cis.push_back({{"id", ci.id},
                       {"profile_id", ci.profile_id},
                       {"placement", PlacementJson(ci.placement)},
                       {"uuid", ci.uuid}});
      }
      gis.push_back({{"id", gi.id},
                     {"profile_id", gi.profile_id},
                     {"placement", PlacementJson(gi.placement)},
                     {"compute_instances", cis}});
    }
    json procs = json::array();
    for (const SimProcess& p : gpu.processes) {
      json jp = {{"pid", p.pid},
                 {"name", p.name},
                 {"used_memory_bytes", p.used_memory_bytes}};
      if (p.gi_id) jp["gi_id"] = *p.gi_id;
      if (p.ci_id) jp["ci_id"] = *p.ci_id;
      procs.push_back(jp);
    }
    json jg = {{"model", gpu.model},
               {"uuid", gpu.uuid},
               {"pci_bus_id", gpu.pci_bus_id},
               {"mig_current", gpu.mig_current},
               {"mig_pending", gpu.mig_pending},
               {"gpu_instances", gis},
               {"processes", procs}};
    if (gpu.minor_number) jg["minor_number"] = *gpu.minor_number;
    gpus.push_back(jg);
  }
  json xids = json::array();
  for (const SimXidEvent& e : state.xid_events) {
    json je = {{"seq", e.seq}, {"gpu", e.gpu}, {"xid", e.xid}};
    if (e.gi_id) je["gi_id"] = *e.gi_id;
    if (e.ci_id) je["ci_id"] = *e.ci_id;
    xids.push_back(je);
  }
  return {{"kind", kStateKind},
          {"version", kStateVersion},
          {"node_name", state.node_name},
          {"driver_version", state.driver_version},
          {"cuda_driver_version", state.cuda_driver_version},
          {"reset_supported", state.reset_supported},
          {"mig_mode_persistent", state.mig_mode_persistent},
          {"boot_count", state.boot_count},
          {"mutating_calls", state.mutating_calls},
          {"next_serial", state.next_serial},
          {"fault",
           {{"countdown", state.fault.countdown},
            {"code", nvml::ReturnName(state.fault.code)},
            {"abort", state.fault.abort}}},
          {"gpus", gpus},
          {"next_xid_seq", state.next_xid_seq},
          {"xid_events", xids}};
}

absl::StatusOr<SimState> FromJson(const json& doc) {
  Reader r(doc, "$");
  if (auto s = r.Check(); !s.ok()) return s;
  std::string kind;
  MIGCTL_READ(kind, r.String("kind"));
  if (kind != kStateKind) {
    return absl::FailedPreconditionError(
        absl::StrCat("not a migctl simulator state (kind \"", kind,
                     "\", want \"", kStateKind, "\")"));
  }
  int64_t version = 0;
  MIGCTL_READ(version, r.Int("version"));
  if (version != kStateVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("simulator state version ", version,
                     " is not supported (this migctl "
                     "reads version ",
                     kStateVersion, "); recreate it with `migctl sim create`"));
  }
  SimState state;
  MIGCTL_READ(state.node_name, r.String("node_name"));
  MIGCTL_READ(state.driver_version, r.String("driver_version"));
  // Later than version 1's first files: optional.
  if (r.Has("cuda_driver_version")) {
    MIGCTL_READ(state.cuda_driver_version, r.Int("cuda_driver_version"));
  }
  MIGCTL_READ(state.reset_supported, r.Bool("reset_supported"));
  MIGCTL_READ(state.mig_mode_persistent, r.Bool("mig_mode_persistent"));
  MIGCTL_READ(state.boot_count, r.Int("boot_count"));
  MIGCTL_READ(state.mutating_calls, r.Int("mutating_calls"));
  MIGCTL_READ(state.next_serial, r.Int("next_serial"));
  if (!r.Has("fault")) return Reader::Error("$.fault", "is missing");
  Reader f(doc["fault"], "$.fault");
  if (auto s = f.Check(); !s.ok()) return s;
  MIGCTL_READ(state.fault.countdown, f.Int("countdown"));
  MIGCTL_READ(state.fault.abort, f.Bool("abort"));
  std::string code;
  MIGCTL_READ(code, f.String("code"));
  std::optional<nvml::Return> parsed = nvml::ParseReturn(code);
  if (!parsed)
    return Reader::Error("$.fault.code", "is not an NVML return code");
  state.fault.code = *parsed;
  const json* gpus = nullptr;
  MIGCTL_READ(gpus, r.Array("gpus"));
  for (size_t i = 0; i < gpus->size(); ++i) {
    absl::StatusOr<SimGpu> gpu =
        ReadGpu((*gpus)[i], absl::StrCat("$.gpus[", i, "]"));
    if (!gpu.ok()) return gpu.status();
    state.gpus.push_back(*std::move(gpu));
  }
  // XID events came later than version 1's first files: optional.
  if (r.Has("next_xid_seq")) {
    MIGCTL_READ(state.next_xid_seq, r.Int("next_xid_seq"));
  }
  if (r.Has("xid_events")) {
    const json* xids = nullptr;
    MIGCTL_READ(xids, r.Array("xid_events"));
    for (size_t i = 0; i < xids->size(); ++i) {
      Reader x((*xids)[i], absl::StrCat("$.xid_events[", i, "]"));
      if (auto s = x.Check(); !s.ok()) return s;
      SimXidEvent e;
      MIGCTL_READ(e.seq, x.Int("seq"));
      MIGCTL_READ(e.gpu, x.Int("gpu"));
      MIGCTL_READ(e.xid, x.Int("xid"));
      if (x.Has("gi_id")) MIGCTL_READ(e.gi_id, x.Int("gi_id"));
      if (x.Has("ci_id")) MIGCTL_READ(e.ci_id, x.Int("ci_id"));
      state.xid_events.push_back(e);
    }
  }
  return state;
}

absl::StatusOr<SimState> NewNode(const std::string& node_name,
                                 const std::vector<std::string>& models) {
  if (models.empty()) {
    return absl::InvalidArgumentError(
        "a simulated node needs at least one GPU");
  }
  SimState state;
  state.node_name = node_name;
  for (size_t i = 0; i < models.size(); ++i) {
    const mig::GpuModel* model = mig::FindModel(models[i]);
    if (model == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "unknown GPU model \"", models[i], "\"; `migctl models` lists them"));
    }
    SimGpu gpu;
    gpu.model = model->key;
    gpu.uuid =
        absl::StrCat("GPU-", StableUuid(absl::StrCat(node_name, "/gpu/", i)));
    gpu.pci_bus_id = absl::StrFormat("00000000:%02X:00.0", 0x18 + 0x10 * i);
    state.gpus.push_back(std::move(gpu));
  }
  return state;
}

}  // namespace migctl::sim
