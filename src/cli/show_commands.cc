// migctl's picture commands: `show` (slice maps of the node's GPUs) and
// `layouts` (every valid combination of a model, as NVIDIA draws them).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "cli/gpu_views.h"
#include "cli/slice_map.h"
#include "fmt/format.h"
#include "mig/catalogue.h"
#include "reconcile/gpu_state.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

using nlohmann::json;

bool UseColor(const Context& ctx, const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return ctx.out == &std::cout && ::isatty(STDOUT_FILENO) == 1 &&
         (no_color == nullptr || *no_color == '\0') &&
         (term == nullptr || std::string(term) != "dumb");
}

json PlacementJson(const mig::Placement& p) {
  return {{"start", p.start}, {"size", p.size}};
}

json FitsJson(const std::vector<ProfileFit>& fits) {
  json out = json::array();
  for (const ProfileFit& f : fits) {
    json placements = json::array();
    for (const mig::Placement& p : f.placements)
      placements.push_back(PlacementJson(p));
    out.push_back({{"profile", f.profile->name},
                   {"profile_id", f.profile->id},
                   {"placements", placements}});
  }
  return out;
}

absl::StatusOr<GpuMapView> ReadView(nvml::Nvml& nvml, int gpu) {
  absl::StatusOr<reconcile::GpuState> state =
      reconcile::ReadGpuState(nvml, gpu);
  if (absl::IsNotFound(state.status())) {
    ASSIGN_OR_RETURN(nvml::DeviceInfo info, nvml.GetDevice(gpu));
    return GpuMapView{gpu, info.name, nullptr, {}, {}};
  }
  if (!state.ok()) return state.status();
  GpuMapView view{gpu, state->device.name, state->model, state->mode, {}};
  for (const reconcile::InstanceState& i : state->instances) {
    view.instances.push_back(
        {i.gi.profile_id, i.gi.placement, i.gi.id, i.pids});
  }
  std::sort(view.instances.begin(), view.instances.end(),
            [](const MappedInstance& a, const MappedInstance& b) {
              return a.placement < b.placement;
            });
  return view;
}

json ViewJson(const GpuMapView& v) {
  json doc = {{"gpu", v.index}, {"name", v.name}};
  if (v.model == nullptr) {
    doc["mig_capable"] = false;
    return doc;
  }
  const mig::GpuModel& model = *v.model;
  doc["mig_capable"] = true;
  doc["model"] = model.key;
  doc["mig_mode"] = {{"current", v.mode.current ? "Enabled" : "Disabled"},
                     {"pending", v.mode.pending ? "Enabled" : "Disabled"}};
  doc["memory_slices"] = model.memory_slices;
  doc["compute_slices"] = model.compute_slices;
  if (!v.mode.current) return doc;
  mig::Layout layout;
  json instances = json::array();
  std::vector<json> slices(model.memory_slices, nullptr);
  for (const MappedInstance& i : v.instances) {
    layout.push_back({i.profile_id, i.placement});
    const mig::GpuInstanceProfile* p = model.FindProfileById(i.profile_id);
    instances.push_back({{"gpu_instance_id", i.gi_id},
                         {"profile", p != nullptr ? p->name : ""},
                         {"profile_id", i.profile_id},
                         {"placement", PlacementJson(i.placement)},
                         {"busy", i.busy()},
                         {"pids", i.pids}});
    for (int s = i.placement.start;
         s < i.placement.end() && s < model.memory_slices; ++s) {
      slices[s] = i.gi_id;
    }
  }
  mig::Canonicalize(layout);
  json slice_docs = json::array();
  for (int s = 0; s < model.memory_slices; ++s) {
    slice_docs.push_back({{"index", s}, {"gpu_instance_id", slices[s]}});
  }
  doc["slices"] = slice_docs;
  doc["instances"] = instances;
  doc["free_memory_slices"] = FreeMemorySlices(model, layout);
  doc["fits"] = FitsJson(FittingProfiles(model, layout));
  return doc;
}

absl::Status Show(Context& ctx, std::optional<int> gpu,
                  const std::string& color_mode) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<int> gpus, SelectGpus(*nvml, gpu));
  const bool color = UseColor(ctx, color_mode);
  json doc = json::array();
  bool first = true;
  for (int g : gpus) {
    ASSIGN_OR_RETURN(GpuMapView view, ReadView(*nvml, g));
    if (ctx.format == Format::kJson) {
      doc.push_back(ViewJson(view));
      continue;
    }
    if (!first) *ctx.out << "\n";
    first = false;
    *ctx.out << RenderGpuMap(view, color);
  }
  if (ctx.format == Format::kJson) PrintJson(*ctx.out, doc);
  return absl::OkStatus();
}

std::string ProfileNames(const mig::GpuModel& model) {
  std::vector<std::string> names;
  for (const mig::GpuInstanceProfile& p : model.profiles)
    names.push_back(p.name);
  return absl::StrJoin(names, ", ");
}

struct LayoutsFlags {
  std::string model;
  std::vector<std::string> with;
  bool maximal = false;
  bool all = false;
  std::string color = "auto";
};

absl::Status Layouts(Context& ctx, const LayoutsFlags& f) {
  const mig::GpuModel* model = mig::FindModel(f.model);
  if (model == nullptr) {
    std::vector<std::string> keys;
    for (const mig::GpuModel& m : mig::Catalogue()) keys.push_back(m.key);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown GPU model \"", f.model,
                     "\"; known models: ", absl::StrJoin(keys, ", ")));
  }
  mig::ProfileCounts wanted;
  std::vector<std::string> wanted_names;
  for (const std::string& name : f.with) {
    const mig::GpuInstanceProfile* p = model->FindProfileByName(name);
    if (p == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(model->key, " has no GPU instance profile \"", name,
                       "\"; its profiles are: ", ProfileNames(*model)));
    }
    ++wanted[p->id];
    wanted_names.push_back(p->name);
  }
  const std::vector<mig::Layout> every = mig::EnumerateLayouts(*model);
  std::vector<mig::Layout> shown;
  int maximal = 0;
  for (const mig::Layout& l : every) {
    const bool is_maximal = mig::IsMaximal(*model, l);
    maximal += is_maximal ? 1 : 0;
    if (!f.all && !is_maximal) continue;
    const mig::ProfileCounts counts = mig::CountProfiles(l);
    bool holds = true;
    for (const auto& [id, n] : wanted) {
      auto it = counts.find(id);
      holds = holds && it != counts.end() && it->second >= n;
    }
    if (holds) shown.push_back(l);
  }
  SortForDiagram(*model, shown);
  const std::string kind = f.all ? "valid" : "maximal";

  if (ctx.format == Format::kJson) {
    json layouts = json::array();
    for (const mig::Layout& l : shown) {
      json instances = json::array();
      for (const mig::PlacedGpuInstance& i : l) {
        instances.push_back(
            {{"profile", model->FindProfileById(i.profile_id)->name},
             {"profile_id", i.profile_id},
             {"placement", PlacementJson(i.placement)}});
      }
      layouts.push_back({{"maximal", mig::IsMaximal(*model, l)},
                         {"instances", instances},
                         {"free_memory_slices", FreeMemorySlices(*model, l)}});
    }
    PrintJson(*ctx.out, {{"model", model->key},
                         {"product_name", model->product_name},
                         {"compute_slices", model->compute_slices},
                         {"memory_slices", model->memory_slices},
                         {"valid_layouts", every.size()},
                         {"maximal_layouts", maximal},
                         {"shown", kind},
                         {"with", wanted_names},
                         {"layouts", layouts}});
    return absl::OkStatus();
  }

  const bool color = UseColor(ctx, f.color);
  std::string out = absl::StrCat(
      model->key, " (", model->product_name, "): ", model->compute_slices,
      " compute slices, ", model->memory_slices, " memory slices\n",
      every.size(), " valid layouts, ", maximal,
      " of them maximal (no further instance fits)\n");
  if (!wanted.empty()) {
    absl::StrAppend(&out, "Showing the ", shown.size(), " ", kind,
                    shown.size() == 1 ? " layout" : " layouts", " with ",
                    absl::StrJoin(wanted_names, ", "), ".\n");
  } else if (f.all) {
    absl::StrAppend(&out, "Showing all ", shown.size(), " valid layouts.\n");
  } else {
    absl::StrAppend(&out, "Showing the ", shown.size(),
                    " maximal layouts; --all shows every valid layout.\n");
  }
  absl::StrAppend(&out, "\n     ", SliceAxis(*model), "\n");
  int n = 0;
  for (const mig::Layout& l : shown) {
    absl::StrAppend(&out, fmt::format("{:>4} ", ++n),
                    LayoutRow(*model, l, color), "\n");
  }
  *ctx.out << out;
  return absl::OkStatus();
}

}  // namespace

void AddShowCommands(CLI::App& app, Context& ctx) {
  struct Flags {
    std::optional<int> gpu;
    std::string color = "auto";
    LayoutsFlags layouts;
  };
  auto f = std::make_shared<Flags>();

  CLI::App* show = app.add_subcommand(
      "show",
      "Draw each GPU's MIG slice map: its GPU instances over the memory "
      "slices they occupy, busy or idle, the free slices, and where each "
      "profile still fits");
  show->add_option("-i,--id", f->gpu, "GPU index (default: every GPU)")
      ->type_name("N");
  show->add_option("--color", f->color,
                   "Colour: auto (when stdout is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return Show(ctx, f->gpu, f->color); };
  });

  CLI::App* layouts = app.add_subcommand(
      "layouts",
      "Draw the valid GPU-instance combinations of a GPU model, one row per "
      "layout, as NVIDIA's \"valid combinations\" diagram; maximal ones (no "
      "further instance fits) unless --all");
  layouts
      ->add_option("model", f->layouts.model,
                   "GPU model (`migctl models` lists them)")
      ->required();
  layouts
      ->add_option("--with", f->layouts.with,
                   "Only layouts holding these profiles (repeat a name to "
                   "require it more than once)")
      ->delimiter(',')
      ->type_name("PROFILE[,PROFILE...]");
  CLI::Option* maximal = layouts->add_flag(
      "--maximal", f->layouts.maximal, "Only maximal layouts (the default)");
  layouts->add_flag("--all", f->layouts.all, "Every valid layout")
      ->excludes(maximal);
  layouts
      ->add_option("--color", f->layouts.color,
                   "Colour: auto (when stdout is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  layouts->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return Layouts(ctx, f->layouts); };
  });
}

}  // namespace migctl::cli
