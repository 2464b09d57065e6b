#include "agent/status_page.h"

#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace migctl::agent {
namespace {

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string ModeText(const nvml::MigMode& mode) {
  std::string text = mode.current ? "enabled" : "disabled";
  if (mode.pending != mode.current) {
    absl::StrAppend(&text, " (", mode.pending ? "enabled" : "disabled",
                    " after a GPU reset or reboot)");
  }
  return text;
}

constexpr absl::string_view kStyle = R"(<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.15em;margin:0 0 .3em}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1em;margin:0 0 1em}
.meta{color:#555;margin:.2em 0 .8em}
.map{display:grid;gap:4px;max-width:60em}
.axis{text-align:center;color:#777;font-size:.8em}
.gi,.free{grid-row:2;border-radius:4px;padding:.5em .2em;text-align:center;font-family:monospace;line-height:1.5}
.gi{border:2px solid #2f6fb0;background:#dbe9f7}
.gi.busy{border-color:#b06a2f;background:#f7e3d1}
.free{border:2px dashed #bbb;color:#999;background:#f4f4f4}
.gi span,.free span{display:block}
.ok{color:#1d7a2f}.bad{color:#b00020}
table{border-collapse:collapse}td{padding:.1em .8em .1em 0;font-family:monospace}
</style>
)";

constexpr absl::string_view kRefresh = R"(<script>
setInterval(async () => {
  try {
    const r = await fetch('/', {cache: 'no-store'});
    const d = new DOMParser().parseFromString(await r.text(), 'text/html');
    const m = d.getElementById('status');
    if (m) document.getElementById('status').replaceWith(m);
  } catch (e) {}
}, 2000);
</script>
)";

std::string RenderGpu(const GpuStatus& gpu) {
  std::string out = absl::StrCat(
      "<section class=\"gpu\" id=\"gpu-", gpu.index, "\">\n<h2>GPU ", gpu.index,
      ": ", EscapeHtml(gpu.name), "</h2>\n<p class=\"meta\">",
      gpu.model.empty() ? "model not known to migctl"
                        : absl::StrCat("model ", EscapeHtml(gpu.model)),
      " · ", EscapeHtml(gpu.uuid), " · MIG <b class=\"mode\">",
      ModeText(gpu.mode), "</b> · health <b class=\"health ",
      gpu.health == "ok" ? "ok" : "bad", "\">", EscapeHtml(gpu.health),
      "</b></p>\n");
  if (gpu.memory_slices > 0 && gpu.mode.current) {
    int memory_used = 0;
    int busy = 0;
    for (const InstanceStatus& i : gpu.instances) {
      memory_used += i.size;
      busy += i.busy ? 1 : 0;
    }
    absl::StrAppend(&out, "<p class=\"use\">", gpu.compute_slices_used, " of ",
                    gpu.compute_slices, " compute slices and ", memory_used,
                    " of ", gpu.memory_slices, " memory slices in use; ", busy,
                    " of ", gpu.instances.size(), " instances busy</p>\n",
                    RenderSliceMap(gpu));
  } else if (gpu.memory_slices > 0) {
    absl::StrAppend(&out,
                    "<p class=\"whole\">MIG is disabled: the GPU is one "
                    "device.</p>\n");
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderSliceMap(const GpuStatus& gpu) {
  std::string out =
      absl::StrCat("<div class=\"map\" style=\"grid-template-columns:repeat(",
                   gpu.memory_slices, ",1fr)\">\n");
  for (int s = 0; s < gpu.memory_slices; ++s) {
    absl::StrAppend(&out, "<div class=\"axis\" style=\"grid-column:", s + 1,
                    "\">", s, "</div>\n");
  }
  std::vector<bool> taken(gpu.memory_slices, false);
  for (const InstanceStatus& i : gpu.instances) {
    for (int s = i.start; s < i.start + i.size && s < gpu.memory_slices; ++s) {
      taken[s] = true;
    }
    const char* use = i.busy ? "busy" : "idle";
    absl::StrAppend(&out, "<div class=\"gi ", use,
                    "\" style=\"grid-column:", i.start + 1, "/span ", i.size,
                    "\" data-profile=\"", EscapeHtml(i.profile),
                    "\" data-gi=\"", i.gi_id, "\" data-start=\"", i.start,
                    "\" data-size=\"", i.size, "\"><span class=\"profile\">",
                    EscapeHtml(i.profile), "</span><span>GI ", i.gi_id,
                    "</span><span>", use, "</span></div>\n");
  }
  for (int s = 0; s < gpu.memory_slices; ++s) {
    if (taken[s]) continue;
    absl::StrAppend(&out, "<div class=\"free\" style=\"grid-column:", s + 1,
                    "\" data-slice=\"", s, "\"><span>free</span></div>\n");
  }
  absl::StrAppend(&out, "</div>\n");
  return out;
}

std::string RenderStatusMain(const NodeStatus& status) {
  std::string out = absl::StrCat(
      "<main id=\"status\">\n<p class=\"meta\">Updated ",
      FormatUtc(status.time), ". Config <b id=\"config\">",
      status.config_label.empty() ? "(none)" : EscapeHtml(status.config_label),
      "</b>, state <b id=\"state\">",
      status.state_label.empty() ? "(none)" : EscapeHtml(status.state_label),
      "</b>.</p>\n");
  if (!status.phase.empty()) {
    absl::StrAppend(&out, "<p id=\"phase\">Now: ", EscapeHtml(status.phase),
                    "</p>\n");
  }
  for (const GpuStatus& gpu : status.gpus)
    absl::StrAppend(&out, RenderGpu(gpu));

  absl::StrAppend(&out,
                  "<section id=\"pending\">\n<h2>Pending operations</h2>\n");
  if (status.pending.empty()) {
    absl::StrAppend(&out,
                    "<p>None: the node is in its configured state.</p>\n");
  } else {
    absl::StrAppend(&out, "<ul>\n");
    for (const std::string& op : status.pending) {
      absl::StrAppend(&out, "<li>", EscapeHtml(op), "</li>\n");
    }
    absl::StrAppend(&out, "</ul>\n");
  }
  absl::StrAppend(&out, "</section>\n");

  absl::StrAppend(&out,
                  "<section id=\"last\">\n<h2>Last reconfiguration</h2>\n<p>");
  if (!status.last) {
    absl::StrAppend(&out, "None since the agent started.");
  } else {
    const ReconfigurationStatus& last = *status.last;
    absl::StrAppend(
        &out, "<b class=\"", last.state == "failed" ? "bad" : "ok", "\">",
        EscapeHtml(last.state), "</b>: config ", EscapeHtml(last.config),
        ", finished ", FormatUtc(last.finished), " after ",
        absl::FormatDuration(absl::Trunc(last.took, absl::Milliseconds(1))),
        ".");
  }
  if (!status.failure.empty()) {
    absl::StrAppend(&out, "</p>\n<p class=\"bad\" id=\"failure\">",
                    EscapeHtml(status.failure));
  }
  absl::StrAppend(&out, "</p>\n</section>\n");

  absl::StrAppend(&out,
                  "<section id=\"labels\">\n<h2>Node labels (nvidia.com/mig*, "
                  "nvidia.com/gpu.*)</h2>\n");
  if (status.labels.empty()) {
    absl::StrAppend(&out, "<p>No MIG labels.</p>\n");
  } else {
    absl::StrAppend(&out, "<table>\n");
    for (const auto& [key, value] : status.labels) {
      absl::StrAppend(&out, "<tr><td>", EscapeHtml(key), "</td><td>",
                      EscapeHtml(value), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n");
  }
  absl::StrAppend(&out, "</section>\n</main>\n");
  return out;
}

std::string RenderStatusPage(const NodeStatus& status) {
  const std::string title =
      absl::StrCat("migctl agent — ", EscapeHtml(status.node));
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>",
      title, "</title>\n",
      "<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>\n",
      kStyle, "</head>\n<body>\n<h1>", title, "</h1>\n",
      RenderStatusMain(status), kRefresh, "</body>\n</html>\n");
}

nlohmann::json StatusJson(const NodeStatus& status) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const GpuStatus& g : status.gpus) {
    nlohmann::json instances = nlohmann::json::array();
    for (const InstanceStatus& i : g.instances) {
      instances.push_back({{"profile", i.profile},
                           {"gpu_instance_id", i.gi_id},
                           {"start", i.start},
                           {"size", i.size},
                           {"busy", i.busy}});
    }
    gpus.push_back({{"index", g.index},
                    {"name", g.name},
                    {"uuid", g.uuid},
                    {"model", g.model},
                    {"memory_slices", g.memory_slices},
                    {"compute_slices", g.compute_slices},
                    {"compute_slices_used", g.compute_slices_used},
                    {"mig_enabled", g.mode.current},
                    {"mig_enabled_pending", g.mode.pending},
                    {"health", g.health},
                    {"instances", instances}});
  }
  nlohmann::json last = nullptr;
  if (status.last) {
    last = {{"config", status.last->config},
            {"state", status.last->state},
            {"finished", FormatUtc(status.last->finished)},
            {"seconds", absl::ToDoubleSeconds(status.last->took)}};
  }
  return {{"node", status.node},           {"time", FormatUtc(status.time)},
          {"config", status.config_label}, {"state", status.state_label},
          {"phase", status.phase},         {"pending", status.pending},
          {"last_reconfiguration", last},  {"failure", status.failure},
          {"labels", status.labels},       {"gpus", gpus}};
}

void ServeStatusPage(httplib::Server& server,
                     const std::function<NodeStatus()>& collect) {
  server.Get("/", [collect](const httplib::Request&, httplib::Response& r) {
    r.set_header("Cache-Control", "no-store");
    r.set_content(RenderStatusPage(collect()), "text/html; charset=utf-8");
  });
  server.Get(
      "/status.json", [collect](const httplib::Request&, httplib::Response& r) {
        r.set_header("Cache-Control", "no-store");
        r.set_content(StatusJson(collect()).dump(2) + "\n", "application/json");
      });
}

}  // namespace migctl::agent
