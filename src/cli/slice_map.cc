#include "cli/slice_map.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace migctl::cli {
namespace {

constexpr absl::string_view kReset = "\x1b[0m";
constexpr absl::string_view kDim = "\x1b[2m";
constexpr absl::string_view kBusy = "\x1b[1;97;41m";
constexpr absl::string_view kIdle = "\x1b[30;42m";

// A run of memory slices [first, end) drawn as one cell: an instance, or one
// free slice.
struct Span {
  int first = 0;
  int end = 0;
  const MappedInstance* instance = nullptr;
};

std::vector<Span> Spans(const mig::GpuModel& model,
                        const std::vector<MappedInstance>& instances) {
  std::vector<const MappedInstance*> at(model.memory_slices, nullptr);
  for (const MappedInstance& i : instances) {
    for (int s = i.placement.start;
         s < i.placement.end() && s < model.memory_slices; ++s) {
      at[s] = &i;
    }
  }
  std::vector<Span> out;
  for (int s = 0; s < model.memory_slices;) {
    if (at[s] == nullptr) {
      out.push_back({s, s + 1, nullptr});
      ++s;
      continue;
    }
    const MappedInstance* i = at[s];
    int end = std::min(i->placement.end(), model.memory_slices);
    out.push_back({s, end, i});
    s = end;
  }
  return out;
}

int InnerWidth(const Span& span) {
  return kSliceWidth * (span.end - span.first) - 1;
}

std::string Centre(std::string text, int width) {
  if (static_cast<int>(text.size()) > width) text.resize(width);
  int left = (width - static_cast<int>(text.size())) / 2;
  return std::string(left, ' ') + text +
         std::string(width - left - static_cast<int>(text.size()), ' ');
}

std::string Paint(const std::string& text, absl::string_view sgr, bool color) {
  if (!color || sgr.empty()) return text;
  return absl::StrCat(sgr, text, kReset);
}

std::string ProfileName(const mig::GpuModel& model, int profile_id) {
  const mig::GpuInstanceProfile* p = model.FindProfileById(profile_id);
  return p != nullptr ? p->name : absl::StrCat("profile ", profile_id);
}

// The profile name, without "gb" when the full name does not fit.
std::string BoxLabel(const mig::GpuModel& model, int profile_id, int width) {
  std::string name = ProfileName(model, profile_id);
  if (static_cast<int>(name.size()) > width) {
    name = absl::StrReplaceAll(name, {{"gb", ""}});
  }
  return name;
}

// Background by size, so equal profiles look alike down a diagram.
absl::string_view SizeColor(const mig::GpuModel& model, int profile_id) {
  const mig::GpuInstanceProfile* p = model.FindProfileById(profile_id);
  switch (p == nullptr ? 0 : p->slices) {
    case 1:
      return "\x1b[30;46m";
    case 2:
      return "\x1b[97;44m";
    case 3:
      return "\x1b[97;45m";
    case 4:
      return "\x1b[30;43m";
    default:
      return "\x1b[30;42m";
  }
}

std::string RStrip(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

int ComputeSlicesUsed(const mig::GpuModel& model, const mig::Layout& layout) {
  int used = 0;
  for (const mig::PlacedGpuInstance& i : layout) {
    const mig::GpuInstanceProfile* p = model.FindProfileById(i.profile_id);
    if (p != nullptr) used += p->slices;
  }
  return used;
}

mig::Layout LayoutOf(const std::vector<MappedInstance>& instances) {
  mig::Layout layout;
  for (const MappedInstance& i : instances) {
    layout.push_back({i.profile_id, i.placement});
  }
  mig::Canonicalize(layout);
  return layout;
}

std::string Heading(const GpuMapView& gpu) {
  std::string head = absl::StrCat("GPU ", gpu.index, ": ", gpu.name);
  if (gpu.model == nullptr) {
    return absl::StrCat(head,
                        ": not a MIG-capable model migctl knows (`migctl "
                        "models` lists them)\n");
  }
  absl::StrAppend(&head, " (", gpu.model->key, "), MIG ",
                  gpu.mode.current ? "enabled" : "disabled");
  if (gpu.mode.pending != gpu.mode.current) {
    absl::StrAppend(&head, "; ", gpu.mode.pending ? "enabling" : "disabling",
                    " is pending a GPU reset or reboot");
  }
  return head + "\n";
}

}  // namespace

std::vector<ProfileFit> FittingProfiles(const mig::GpuModel& model,
                                        const mig::Layout& layout) {
  std::vector<ProfileFit> out;
  for (const mig::GpuInstanceProfile& p : model.profiles) {
    ProfileFit fit{&p, {}};
    for (const mig::Placement& placement : p.placements) {
      mig::Layout candidate = layout;
      candidate.push_back({p.id, placement});
      mig::Canonicalize(candidate);
      if (mig::ValidateLayout(model, candidate).ok()) {
        fit.placements.push_back(placement);
      }
    }
    std::sort(fit.placements.begin(), fit.placements.end());
    if (!fit.placements.empty()) out.push_back(std::move(fit));
  }
  return out;
}

std::vector<int> FreeMemorySlices(const mig::GpuModel& model,
                                  const mig::Layout& layout) {
  const uint32_t taken = mig::MemoryMask(layout);
  std::vector<int> out;
  for (int s = 0; s < model.memory_slices; ++s) {
    if ((taken & (1u << s)) == 0) out.push_back(s);
  }
  return out;
}

std::string SliceRange(const mig::Placement& p) {
  if (p.size == 1) return absl::StrCat(p.start);
  return absl::StrCat(p.start, "-", p.end() - 1);
}

std::string SliceAxis(const mig::GpuModel& model) {
  std::string line = " ";
  for (int s = 0; s < model.memory_slices; ++s) {
    absl::StrAppend(&line, Centre(absl::StrCat(s), kSliceWidth - 1), " ");
  }
  return RStrip(line);
}

std::string LayoutRow(const mig::GpuModel& model, const mig::Layout& layout,
                      bool color) {
  std::vector<MappedInstance> instances;
  for (const mig::PlacedGpuInstance& i : layout) {
    instances.push_back({i.profile_id, i.placement, 0, {}});
  }
  const std::vector<Span> spans = Spans(model, instances);
  std::string line;
  for (size_t k = 0; k < spans.size(); ++k) {
    const Span& span = spans[k];
    bool edge =
        span.instance != nullptr || (k > 0 && spans[k - 1].instance != nullptr);
    line += edge ? '|' : ' ';
    const int width = InnerWidth(span);
    if (span.instance == nullptr) {
      line += Paint(Centre("-", width), kDim, color);
    } else {
      const int id = span.instance->profile_id;
      line += Paint(Centre(BoxLabel(model, id, width), width),
                    SizeColor(model, id), color);
    }
  }
  if (!spans.empty() && spans.back().instance != nullptr) line += '|';
  return RStrip(line);
}

std::string SliceMap(const mig::GpuModel& model,
                     const std::vector<MappedInstance>& instances, bool color) {
  const std::vector<Span> spans = Spans(model, instances);
  std::string border;
  std::string lines[3];
  for (const Span& span : spans) {
    const int width = InnerWidth(span);
    border += '+' + std::string(width, '-');
    const MappedInstance* i = span.instance;
    std::string text[3];
    absl::string_view sgr = kDim;
    if (i == nullptr) {
      text[0] = "free";
    } else {
      text[0] = BoxLabel(model, i->profile_id, width);
      text[1] = i->gi_id == kNewInstance ? std::string("GI new")
                                         : absl::StrCat("GI ", i->gi_id);
      text[2] = i->busy() ? "busy" : "idle";
      sgr = i->busy() ? kBusy : kIdle;
    }
    for (int l = 0; l < 3; ++l) {
      lines[l] += '|' + Paint(Centre(text[l], width), sgr, color);
    }
  }
  border += "+\n";
  std::string out = SliceAxis(model) + "\n" + border;
  for (const std::string& l : lines) out += l + "|\n";
  return out + border;
}

std::string RenderGpuMap(const GpuMapView& gpu, bool color) {
  std::string out = Heading(gpu);
  if (gpu.model == nullptr) return out;
  const mig::GpuModel& model = *gpu.model;
  if (!gpu.mode.current) {
    return absl::StrCat(out,
                        "  The whole GPU is one device; `migctl mig-mode "
                        "enable -i ",
                        gpu.index, "` partitions it.\n");
  }
  const mig::Layout layout = LayoutOf(gpu.instances);
  const std::vector<int> free = FreeMemorySlices(model, layout);
  const int compute = ComputeSlicesUsed(model, layout);
  int busy = 0;
  for (const MappedInstance& i : gpu.instances) busy += i.busy() ? 1 : 0;
  absl::StrAppend(
      &out, "  ", compute, " of ", model.compute_slices, " compute slices and ",
      model.memory_slices - free.size(), " of ", model.memory_slices,
      " memory slices in use; ",
      gpu.instances.empty()
          ? std::string("no GPU instances")
          : absl::StrCat(busy, " of ", gpu.instances.size(), " instances busy"),
      "\n");
  std::string map = SliceMap(model, gpu.instances, color);
  for (absl::string_view line : absl::StrSplit(map, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "  ", line, "\n");
  }
  for (const MappedInstance& i : gpu.instances) {
    if (!i.busy()) continue;
    absl::StrAppend(&out, "  busy: GI ", i.gi_id, " (",
                    ProfileName(model, i.profile_id), ") pid",
                    i.pids.size() == 1 ? " " : "s ",
                    absl::StrJoin(i.pids, ", "), "\n");
  }
  const std::vector<ProfileFit> fits = FittingProfiles(model, layout);
  if (fits.empty()) {
    std::string why =
        free.empty() ? "every memory slice is in use"
        : compute >= model.compute_slices
            ? "every compute slice is in use"
            : absl::StrCat(
                  "no profile can be placed on "
                  "free memory slice",
                  free.size() == 1 ? " " : "s ", absl::StrJoin(free, ", "));
    absl::StrAppend(&out, "  fits: nothing more (", why, ")\n");
    return out;
  }
  absl::StrAppend(&out, "  fits (memory slices where one more can go):\n");
  for (const ProfileFit& f : fits) {
    std::vector<std::string> ranges;
    for (const mig::Placement& p : f.placements)
      ranges.push_back(SliceRange(p));
    absl::StrAppend(
        &out, "    ", f.profile->name,
        std::string(std::max<size_t>(1, 12 - f.profile->name.size()), ' '),
        absl::StrJoin(ranges, " "), "\n");
  }
  return out;
}

void SortForDiagram(const mig::GpuModel& model,
                    std::vector<mig::Layout>& layouts) {
  auto key = [&model](const mig::PlacedGpuInstance& i) {
    const mig::GpuInstanceProfile* p = model.FindProfileById(i.profile_id);
    return std::make_tuple(i.placement.start, -i.placement.size,
                           p == nullptr ? 0 : -p->slices, i.profile_id);
  };
  std::stable_sort(
      layouts.begin(), layouts.end(),
      [&key](const mig::Layout& a, const mig::Layout& b) {
        return std::lexicographical_compare(
            a.begin(), a.end(), b.begin(), b.end(),
            [&key](const auto& x, const auto& y) { return key(x) < key(y); });
      });
}

}  // namespace migctl::cli
