// migctl's GPU commands: list, profiles, placements, ci-profiles, mig-mode,
// reset, models.
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/gpu_views.h"
#include "cli/smi_format.h"
#include "fmt/format.h"
#include "mig/catalogue.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

using nlohmann::json;

json EnginesJson(const mig::Engines& e) {
  return {{"copy", e.copy},
          {"decoder", e.decoder},
          {"encoder", e.encoder},
          {"jpeg", e.jpeg},
          {"ofa", e.ofa}};
}

json PlacementJson(const mig::Placement& p) {
  return {{"start", p.start}, {"size", p.size}};
}

void AddGpuOption(CLI::App* cmd, std::optional<int>& gpu) {
  cmd->add_option("-i,--id", gpu, "GPU index (default: every GPU)")
      ->type_name("N");
}

absl::Status List(Context& ctx) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<GpuLine> gpus, ReadDeviceList(*nvml));
  if (ctx.format == Format::kTable) {
    *ctx.out << FormatDeviceList(gpus);
    return absl::OkStatus();
  }
  json doc = json::array();
  for (const GpuLine& g : gpus) {
    ASSIGN_OR_RETURN(nvml::DeviceInfo info, nvml->GetDevice(g.index));
    absl::StatusOr<nvml::MigMode> mode = nvml->GetMigMode(g.index);
    json mig_devices = json::array();
    for (const MigDeviceLine& d : g.mig_devices) {
      mig_devices.push_back(
          {{"index", d.index}, {"profile", d.profile_name}, {"uuid", d.uuid}});
    }
    json entry = {
        {"index", g.index},
        {"name", g.name},
        {"uuid", g.uuid},
        {"pci_bus_id", info.pci_bus_id},
        {"pci_device_id", fmt::format("0x{:08X}", info.pci_device_id)},
        {"memory_total_mib", info.memory_total_bytes >> 20},
        {"mig_capable", mode.ok()},
        {"mig_devices", mig_devices}};
    if (mode.ok()) {
      entry["mig_mode"] = {{"current", mode->current ? "Enabled" : "Disabled"},
                           {"pending", mode->pending ? "Enabled" : "Disabled"}};
    }
    doc.push_back(entry);
  }
  PrintJson(*ctx.out, doc);
  return absl::OkStatus();
}

absl::Status Profiles(Context& ctx, std::optional<int> gpu) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<int> gpus, SelectGpus(*nvml, gpu));
  ASSIGN_OR_RETURN(auto rows, ReadGpuInstanceProfiles(*nvml, gpus));
  if (ctx.format == Format::kTable) {
    *ctx.out << FormatGpuInstanceProfiles(rows);
    return absl::OkStatus();
  }
  json doc = json::array();
  for (const GpuInstanceProfileRow& r : rows) {
    doc.push_back({{"gpu", r.gpu},
                   {"name", r.name},
                   {"id", r.id},
                   {"instances_free", r.free},
                   {"instances_total", r.total},
                   {"memory_mb", r.memory_mb},
                   {"p2p", r.p2p},
                   {"multiprocessors", r.multiprocessors},
                   {"engines", EnginesJson(r.engines)}});
  }
  PrintJson(*ctx.out, doc);
  return absl::OkStatus();
}

absl::Status Placements(Context& ctx, std::optional<int> gpu) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<int> gpus, SelectGpus(*nvml, gpu));
  ASSIGN_OR_RETURN(auto rows, ReadPlacements(*nvml, gpus));
  if (ctx.format == Format::kTable) {
    *ctx.out << FormatPlacements(rows);
    return absl::OkStatus();
  }
  json doc = json::array();
  for (const PlacementRow& r : rows) {
    json placements = json::array();
    for (const mig::Placement& p : r.placements)
      placements.push_back(PlacementJson(p));
    doc.push_back({{"gpu", r.gpu},
                   {"profile_id", r.profile_id},
                   {"placements", placements}});
  }
  PrintJson(*ctx.out, doc);
  return absl::OkStatus();
}

absl::Status ComputeProfiles(Context& ctx, std::optional<int> gpu,
                             std::optional<int> gi) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<int> gpus, SelectGpus(*nvml, gpu));
  ASSIGN_OR_RETURN(auto rows, ReadComputeProfiles(*nvml, gpus, gi));
  if (ctx.format == Format::kTable) {
    *ctx.out << (rows.empty() ? std::string(kNoMigDevices)
                              : FormatComputeProfiles(rows));
    return absl::OkStatus();
  }
  json doc = json::array();
  for (const ComputeProfileRow& r : rows) {
    doc.push_back({{"gpu", r.gpu},
                   {"gpu_instance_id", r.gi_id},
                   {"name", r.name},
                   {"id", r.id},
                   {"default", r.is_default},
                   {"instances_free", r.free},
                   {"instances_total", r.total},
                   {"multiprocessors", r.multiprocessors},
                   {"shared_engines", EnginesJson(r.engines)}});
  }
  PrintJson(*ctx.out, doc);
  return absl::OkStatus();
}

absl::Status MigModeCommand(Context& ctx, std::optional<int> gpu,
                            const std::string& mode) {
  const bool enable = mode == "enable";
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<int> gpus, SelectGpus(*nvml, gpu));
  json doc = json::array();
  bool pending = false;
  for (int g : gpus) {
    ASSIGN_OR_RETURN(nvml::DeviceInfo info, nvml->GetDevice(g));
    ASSIGN_OR_RETURN(nvml::Return activation, nvml->SetMigMode(g, enable));
    spdlog::debug("set MIG mode gpu={} requested={} activation={}", g, mode,
                  nvml::ReturnName(activation));
    ASSIGN_OR_RETURN(nvml::MigMode now, nvml->GetMigMode(g));
    pending = pending || activation != nvml::Return::kSuccess;
    if (ctx.format == Format::kTable) {
      *ctx.out << FormatMigModeChange(info.pci_bus_id, enable, activation);
      if (activation != nvml::Return::kSuccess) {
        *ctx.out << "migctl: GPU " << g << " keeps MIG mode "
                 << (now.current ? "enabled" : "disabled")
                 << " until it is reset or the node reboots ("
                 << (activation == nvml::Return::kInUse
                         ? "processes hold the GPU: stop them, then run "
                           "`migctl reset -i " +
                               std::to_string(g) + "`"
                         : "this node does not expose GPU reset: reboot it")
                 << ").\n";
      }
    }
    doc.push_back({{"gpu", g},
                   {"pci_bus_id", info.pci_bus_id},
                   {"requested", enable ? "Enabled" : "Disabled"},
                   {"current", now.current ? "Enabled" : "Disabled"},
                   {"pending", now.pending ? "Enabled" : "Disabled"},
                   {"activation", nvml::ReturnName(activation)},
                   {"reason", activation == nvml::Return::kSuccess
                                  ? ""
                                  : nvml::ErrorString(activation)}});
  }
  if (ctx.format == Format::kJson) PrintJson(*ctx.out, doc);
  if (pending) ctx.exit_code_override = kExitPending;
  return absl::OkStatus();
}

absl::Status Reset(Context& ctx, int gpu) {
  ASSIGN_OR_RETURN(auto nvml, ctx.OpenNvml());
  ASSIGN_OR_RETURN(std::vector<int> gpus, SelectGpus(*nvml, gpu));
  ASSIGN_OR_RETURN(nvml::DeviceInfo info, nvml->GetDevice(gpu));
  RETURN_IF_ERROR(nvml->ResetGpu(gpu));
  ASSIGN_OR_RETURN(nvml::MigMode now, nvml->GetMigMode(gpu));
  if (ctx.format == Format::kJson) {
    PrintJson(*ctx.out, {{"gpu", gpu},
                         {"pci_bus_id", info.pci_bus_id},
                         {"mig_mode", now.current ? "Enabled" : "Disabled"}});
  } else {
    *ctx.out << "GPU " << info.pci_bus_id << " was reset.\nAll done.\n";
  }
  return absl::OkStatus();
}

absl::Status Models(Context& ctx) {
  json doc = json::array();
  for (const mig::GpuModel& m : mig::Catalogue()) {
    if (ctx.format == Format::kTable) {
      *ctx.out << fmt::format(
          "{:<16} 0x{:08X}  {:<24} {:>7} MiB  {} profiles\n", m.key,
          m.pci_device_id, m.product_name, m.memory_total_mib(),
          m.profiles.size());
    }
    json profiles = json::array();
    for (const mig::GpuInstanceProfile& p : m.profiles) {
      profiles.push_back({{"name", p.name}, {"id", p.id}, {"index", p.index}});
    }
    doc.push_back({{"key", m.key},
                   {"product_name", m.product_name},
                   {"pci_device_id", fmt::format("0x{:08X}", m.pci_device_id)},
                   {"memory_total_mib", m.memory_total_mib()},
                   {"compute_slices", m.compute_slices},
                   {"memory_slices", m.memory_slices},
                   {"profiles", profiles},
                   {"source", m.source}});
  }
  if (ctx.format == Format::kJson) PrintJson(*ctx.out, doc);
  return absl::OkStatus();
}

}  // namespace

void AddGpuCommands(CLI::App& app, Context& ctx) {
  CLI::App* list = app.add_subcommand(
      "list", "List GPUs and MIG devices (as `nvidia-smi -L`)");
  list->callback([&ctx] { ctx.action = [&ctx] { return List(ctx); }; });

  // Flag values live as long as the callbacks that read them.
  struct Flags {
    std::optional<int> gpu;
    std::optional<int> gi;
    int reset_gpu = 0;
    std::string mode;
  };
  auto f = std::make_shared<Flags>();

  CLI::App* profiles = app.add_subcommand(
      "profiles", "List GPU instance profiles (as `nvidia-smi mig -lgip`)");
  AddGpuOption(profiles, f->gpu);
  profiles->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return Profiles(ctx, f->gpu); }; });

  CLI::App* placements = app.add_subcommand(
      "placements",
      "List possible GPU instance placements (as `nvidia-smi mig -lgipp`)");
  AddGpuOption(placements, f->gpu);
  placements->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return Placements(ctx, f->gpu); };
  });

  CLI::App* cip = app.add_subcommand(
      "ci-profiles",
      "List compute instance profiles of GPU instances (as `nvidia-smi mig "
      "-lcip`)");
  AddGpuOption(cip, f->gpu);
  cip->add_option("--gi", f->gi,
                  "GPU instance ID (default: every GPU instance)")
      ->type_name("ID");
  cip->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return ComputeProfiles(ctx, f->gpu, f->gi); };
  });

  CLI::App* mig_mode = app.add_subcommand(
      "mig-mode",
      "Enable or disable MIG mode (as `nvidia-smi -i N -mig 1|0`). The new "
      "mode takes effect when the driver can reset the GPU; while processes "
      "hold it, or where reset is not exposed, it stays pending (exit code "
      "4) until `migctl reset` or a reboot.");
  mig_mode->add_option("mode", f->mode, "enable or disable")
      ->required()
      ->check(CLI::IsMember({"enable", "disable"}));
  AddGpuOption(mig_mode, f->gpu);
  mig_mode->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return MigModeCommand(ctx, f->gpu, f->mode); };
  });

  CLI::App* reset = app.add_subcommand(
      "reset",
      "Reset a GPU, activating a pending MIG mode (as `nvidia-smi -r -i N`). "
      "Refused while processes hold the GPU.");
  reset->add_option("-i,--id", f->reset_gpu, "GPU index")
      ->required()
      ->type_name("N");
  reset->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return Reset(ctx, f->reset_gpu); };
  });

  CLI::App* models = app.add_subcommand(
      "models", "List the MIG-capable GPU models migctl knows");
  models->callback([&ctx] { ctx.action = [&ctx] { return Models(ctx); }; });
}

}  // namespace migctl::cli
