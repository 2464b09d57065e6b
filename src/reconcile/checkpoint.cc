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
  if (!doc.is_object() || doc.value("kind", "") != "migctl-checkpoint") {
    return Malformed(
        "not a migctl checkpoint (\"kind\": \"migctl-checkpoint\" missing)");
  }
  if (doc.value("version", 0) != kCheckpointVersion) {
    return Malformed(absl::StrCat("version ", doc.value("version", 0),
                                  " is not supported (this migctl reads ",
                                  kCheckpointVersion, ")"));
  }
  if (!doc.contains("gpus") || !doc["gpus"].is_array()) {
    return Malformed("\"gpus\" must be an array");
  }
  Checkpoint checkpoint;
  for (size_t i = 0; i < doc["gpus"].size(); ++i) {
    const json& g = doc["gpus"][i];
    const std::string where = absl::StrCat("gpus[", i, "]");
    if (!g.is_object() || !g.contains("uuid") || !g["uuid"].is_string() ||
        !g.contains("model") || !g["model"].is_string() ||
        !g.contains("mig_enabled") || !g["mig_enabled"].is_boolean() ||
        !g.contains("gpu_instances") || !g["gpu_instances"].is_array()) {
      return Malformed(absl::StrCat(
          where, " needs uuid, model, mig_enabled and gpu_instances"));
    }
    Checkpoint::Gpu gpu{
        g["uuid"], g.value("index", 0), g["model"], g["mig_enabled"], {}};
    const mig::GpuModel* model = mig::FindModel(gpu.model);
    if (model == nullptr) {
      return Malformed(absl::StrCat(where, ".model \"", gpu.model,
                                    "\" is not a known GPU model"));
    }
    for (const json& gi : g["gpu_instances"]) {
      if (!gi.contains("profile_id") || !gi["profile_id"].is_number_integer() ||
          !gi.contains("placement") || !gi["placement"].is_object()) {
        return Malformed(absl::StrCat(
            where, ".gpu_instances needs profile_id and placement"));
      }
      gpu.layout.push_back({gi["profile_id"].get<int>(),
                            {gi["placement"].value("start", -1),
                             gi["placement"].value("size", 0)}});
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
