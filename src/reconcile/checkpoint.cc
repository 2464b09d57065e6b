#include "reconcile/checkpoint.h"

#include "absl/strings/str_cat.h"
#include "mig/catalogue.h"
#include "reconcile/gpu_state.h"
#include "util/status_macros.h"

namespace migctl::reconcile {
namespace {

using nlohmann::json;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("checkpoint: ", what));
}

}  // namespace

absl::StatusOr<Checkpoint> TakeCheckpoint(nvml::Nvml& nvml) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  Checkpoint checkpoint;
  for (int gpu = 0; gpu < count; ++gpu) {
    ASSIGN_OR_RETURN(GpuState s, ReadGpuState(nvml, gpu));
    checkpoint.gpus.push_back(
        {s.device.uuid, gpu, s.model->key, s.mode.current, s.layout()});
  }
  return checkpoint;
}

json CheckpointToJson(const Checkpoint& checkpoint) {
  json gpus = json::array();
  for (const Checkpoint::Gpu& g : checkpoint.gpus) {
    const mig::GpuModel* model = mig::FindModel(g.model);
    json gis = json::array();
    for (const mig::PlacedGpuInstance& gi : g.layout) {
      const mig::GpuInstanceProfile* p = model->FindProfileById(gi.profile_id);
      gis.push_back(
          {{"profile", p->name},
           {"profile_id", gi.profile_id},
           {"placement",
            {{"start", gi.placement.start}, {"size", gi.placement.size}}}});
    }
    gpus.push_back({{"uuid", g.uuid},
                    {"index", g.index},
                    {"model", g.model},
                    {"mig_enabled", g.mig_enabled},
                    {"gpu_instances", gis}});
  }
  return {{"kind", "migctl-checkpoint"},
          {"version", kCheckpointVersion},
          {"gpus", gpus}};
}

absl::StatusOr<Checkpoint> CheckpointFromJson(const json& doc) {
  auto string_at = [](const json& o, const char* key) -> const json* {
    return o.is_object() && o.contains(key) && o[key].is_string() ? &o[key]
                                                                  : nullptr;
  };
  // An integer field within [0, limit].
  auto int_at = [](const json& o, const char* key,
                   int64_t limit) -> std::optional<int> {
    if (!o.is_object() || !o.contains(key) || !o[key].is_number_integer()) {
      return std::nullopt;
    }
    const int64_t v = o[key].get<int64_t>();
    if (v < 0 || v > limit) return std::nullopt;
    return static_cast<int>(v);
  };
  const json* kind = string_at(doc, "kind");
  if (kind == nullptr || *kind != "migctl-checkpoint") {
    return Malformed(
        "not a migctl checkpoint (\"kind\": \"migctl-checkpoint\" missing)");
  }
  std::optional<int> version = int_at(doc, "version", 1 << 20);
  if (version != kCheckpointVersion) {
    return Malformed(absl::StrCat(
        "version ",
        version ? absl::StrCat(*version) : std::string("(not an integer)"),
        " is not supported (this migctl reads ", kCheckpointVersion, ")"));
  }
  if (!doc.contains("gpus") || !doc["gpus"].is_array()) {
    return Malformed("\"gpus\" must be an array");
  }
  Checkpoint checkpoint;
  for (size_t i = 0; i < doc["gpus"].size(); ++i) {
    const json& g = doc["gpus"][i];
    const std::string where = absl::StrCat("gpus[", i, "]");
    const json* uuid = string_at(g, "uuid");
    const json* model_key = string_at(g, "model");
    if (uuid == nullptr || model_key == nullptr || !g.contains("mig_enabled") ||
        !g["mig_enabled"].is_boolean() || !g.contains("gpu_instances") ||
        !g["gpu_instances"].is_array()) {
      return Malformed(absl::StrCat(
          where,
          " needs uuid and model (strings), mig_enabled (true or false) "
          "and gpu_instances (an array)"));
    }
    std::optional<int> index =
        g.contains("index") ? int_at(g, "index", 1 << 16) : 0;
    if (!index) {
      return Malformed(absl::StrCat(where, ".index must be a GPU index"));
    }
    Checkpoint::Gpu gpu{uuid->get<std::string>(),
                        *index,
                        model_key->get<std::string>(),
                        g["mig_enabled"].get<bool>(),
                        {}};
    const mig::GpuModel* model = mig::FindModel(gpu.model);
    if (model == nullptr) {
      return Malformed(absl::StrCat(where, ".model \"", gpu.model,
                                    "\" is not a known GPU model"));
    }
    for (size_t k = 0; k < g["gpu_instances"].size(); ++k) {
      const json& gi = g["gpu_instances"][k];
      const std::string at = absl::StrCat(where, ".gpu_instances[", k, "]");
      std::optional<int> profile = int_at(gi, "profile_id", 1 << 16);
      const json empty;
      const json& placement =
          gi.is_object() && gi.contains("placement") ? gi["placement"] : empty;
      std::optional<int> start = int_at(placement, "start", 32);
      std::optional<int> size = int_at(placement, "size", 32);
      if (!profile || !start || !size) {
        return Malformed(absl::StrCat(at,
                                      " needs profile_id and placement {start, "
                                      "size} (small non-negative integers)"));
      }
      gpu.layout.push_back({*profile, {*start, *size}});
    }
    mig::Canonicalize(gpu.layout);
    if (absl::Status s = mig::ValidateLayout(*model, gpu.layout); !s.ok()) {
      return Malformed(absl::StrCat(where, ": ", s.message()));
    }
    checkpoint.gpus.push_back(std::move(gpu));
  }
  return checkpoint;
}

absl::StatusOr<GpuTargets> RestoreTargets(nvml::Nvml& nvml,
                                          const Checkpoint& checkpoint) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  std::map<std::string, std::pair<int, std::string>> by_uuid;
  for (int gpu = 0; gpu < count; ++gpu) {
    ASSIGN_OR_RETURN(GpuState s, ReadGpuState(nvml, gpu));
    by_uuid[s.device.uuid] = {gpu, s.model->key};
  }
  GpuTargets targets;
  for (const Checkpoint::Gpu& g : checkpoint.gpus) {
    auto it = by_uuid.find(g.uuid);
    if (it == by_uuid.end()) {
      return absl::NotFoundError(absl::StrCat(
          "GPU ", g.uuid, " of the checkpoint is not on this node"));
    }
    if (it->second.second != g.model) {
      return absl::InvalidArgumentError(
          absl::StrCat("GPU ", g.uuid, " is a ", it->second.second,
                       " but the checkpoint says ", g.model));
    }
    config::GpuTarget target;
    target.mig_enabled = g.mig_enabled;
    if (g.mig_enabled) {
      target.layout = g.layout;
      target.profiles = mig::CountProfiles(g.layout);
    }
    targets[it->second.first] = std::move(target);
  }
  return targets;
}

}  // namespace migctl::reconcile
