// `migctl sim …`: create and drive a simulated node (processes, reboots,
// injected faults).
#include <filesystem>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

struct SimFlags {
  std::string state;
  std::vector<std::string> gpu_models;
  std::string gpus;  // "2xH100-NVL,1xA100-SXM4-40GB"
  std::string node = "sim-node";
  bool no_reset = false;
  bool force = false;
  int gpu = 0;
  std::optional<int> gi;
  std::optional<int> ci;
  uint32_t pid = 0;
  std::string process_name = "python";
  uint64_t memory_mib = 1024;
  int fault_after = 0;
  std::string fault_return = "UNKNOWN";
  bool fault_abort = false;
  bool fault_clear = false;
  uint64_t xid = 0;
};

// "2xH100-NVL,A30-24GB" -> {"H100-NVL", "H100-NVL", "A30-24GB"}.
absl::StatusOr<std::vector<std::string>> ExpandGpus(const std::string& spec) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    int count = 1;
    absl::string_view model = part;
    size_t x = part.find('x');
    if (x != absl::string_view::npos && x > 0 &&
        absl::SimpleAtoi(part.substr(0, x), &count)) {
      model = part.substr(x + 1);
    }
    if (count < 1 || count > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("--gpus \"", part, "\": count must be 1..64"));
    }
    for (int i = 0; i < count; ++i) out.emplace_back(model);
  }
  return out;
}

absl::Status Create(Context& ctx, const SimFlags& f) {
  std::vector<std::string> models = f.gpu_models;
  if (!f.gpus.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> more, ExpandGpus(f.gpus));
    models.insert(models.end(), more.begin(), more.end());
  }
  if (std::filesystem::exists(f.state) && !f.force) {
    return absl::AlreadyExistsError(
        absl::StrCat(f.state, " already exists; pass --force to replace it"));
  }
  ASSIGN_OR_RETURN(sim::SimState state, sim::NewNode(f.node, models));
  state.reset_supported = !f.no_reset;
  sim::StateFile file(f.state);
  ASSIGN_OR_RETURN(sim::StateFile::Lock lock, file.Acquire());
  RETURN_IF_ERROR(file.Save(state));
  if (ctx.format == Format::kJson) {
    PrintJson(*ctx.out, sim::ToJson(state));
  } else {
    *ctx.out << "Created simulated node \"" << f.node << "\" in " << f.state
             << " with " << models.size() << " GPUs; use `migctl --sim "
             << f.state << " list`.\n";
  }
  return absl::OkStatus();
}

absl::Status Change(Context& ctx, const std::string& path,
                    const std::function<absl::Status(sim::SimState&)>& change,
                    const std::string& done) {
  std::unique_ptr<sim::SimNvml> sim = sim::SimNvml::FromFile(path);
  RETURN_IF_ERROR(sim->Update(change));
  if (ctx.format == Format::kJson) {
    ASSIGN_OR_RETURN(sim::SimState state, sim->Snapshot());
    PrintJson(*ctx.out, sim::ToJson(state));
  } else {
    *ctx.out << done << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddSimCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<SimFlags>();
  CLI::App* sim = app.add_subcommand(
      "sim", "Create and drive a simulated node (no GPU needed)");
  sim->require_subcommand(1);

  CLI::App* create = sim->add_subcommand(
      "create", "Create a simulated node with MIG-capable GPUs, MIG disabled");
  create->add_option("state", f->state, "State file to create")->required();
  create
      ->add_option("--gpu", f->gpu_models,
                   "GPU model (repeat per GPU; `migctl models` lists them)")
      ->type_name("MODEL");
  create->add_option("--gpus", f->gpus, "GPUs as COUNTxMODEL[,COUNTxMODEL…]")
      ->type_name("SPEC");
  create->add_option("--node", f->node, "Node name")->capture_default_str();
  create->add_flag("--no-reset", f->no_reset,
                   "Model a node without GPU reset (pass-through VM): MIG "
                   "mode changes wait for a reboot");
  create->add_flag("--force", f->force, "Replace an existing state file");
  create->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      if (f->gpu_models.empty() && f->gpus.empty()) {
        return absl::InvalidArgumentError(
            "name the GPUs with --gpu MODEL or --gpus 2xH100-NVL");
      }
      return Create(ctx, *f);
    };
  });

  CLI::App* attach = sim->add_subcommand(
      "attach-process",
      "Make a process hold a GPU (or one MIG device with --gi/--ci)");
  attach->add_option("state", f->state, "State file")->required();
  attach->add_option("-i,--id", f->gpu, "GPU index")
      ->required()
      ->type_name("N");
  attach->add_option("--gi", f->gi, "GPU instance ID of the MIG device");
  attach->add_option("--ci", f->ci, "Compute instance ID of the MIG device");
  attach->add_option("--pid", f->pid, "Process ID")->required();
  attach->add_option("--name", f->process_name, "Process name")
      ->capture_default_str();
  attach->add_option("--memory", f->memory_mib, "Used memory, MiB")
      ->capture_default_str();
  attach->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      sim::SimProcess p{f->pid, f->process_name, f->memory_mib << 20, f->gi,
                        f->ci};
      return Change(
          ctx, f->state,
          [&](sim::SimState& s) {
            return sim::rules::AttachProcess(s, f->gpu, p);
          },
          absl::StrCat("Process ", f->pid, " now holds GPU ", f->gpu,
                       f->gi ? absl::StrCat(" GPU instance ", *f->gi,
                                            " compute instance ", *f->ci)
                             : "",
                       "."));
    };
  });

  CLI::App* detach =
      sim->add_subcommand("detach-process", "End a simulated process");
  detach->add_option("state", f->state, "State file")->required();
  detach->add_option("--pid", f->pid, "Process ID")->required();
  detach->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      return Change(
          ctx, f->state,
          [&](sim::SimState& s) {
            return sim::rules::DetachProcess(s, f->pid);
          },
          absl::StrCat("Process ", f->pid, " ended."));
    };
  });

  CLI::App* reboot = sim->add_subcommand(
      "reboot",
      "Reboot the simulated node: processes end, pending MIG modes take "
      "effect, GPU instances are gone");
  reboot->add_option("state", f->state, "State file")->required();
  reboot->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      return Change(
          ctx, f->state,
          [](sim::SimState& s) {
            sim::rules::Reboot(s);
            return absl::OkStatus();
          },
          "Node rebooted.");
    };
  });

  CLI::App* fault = sim->add_subcommand(
      "fault",
      "Make the N-th mutating NVML call from now fail with an NVML error, or "
      "kill the process with SIGKILL (a crash mid-reconfiguration)");
  fault->add_option("state", f->state, "State file")->required();
  fault->add_option("--after", f->fault_after,
                    "Fail the N-th mutating call from now (1 = the next)");
  fault
      ->add_option("--return", f->fault_return,
                   "NVML error to return, e.g. IN_USE, INSUFFICIENT_RESOURCES")
      ->capture_default_str();
  fault->add_flag("--abort", f->fault_abort,
                  "Kill the calling process with SIGKILL instead");
  fault->add_flag("--clear", f->fault_clear, "Disarm any armed fault");
  fault->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> absl::Status {
      sim::SimFault armed;
      if (!f->fault_clear) {
        if (f->fault_after < 1) {
          return absl::InvalidArgumentError("--after must be 1 or more");
        }
        std::optional<nvml::Return> code = nvml::ParseReturn(f->fault_return);
        if (!code || *code == nvml::Return::kSuccess) {
          return absl::InvalidArgumentError(
              absl::StrCat("--return \"", f->fault_return,
                           "\" is not an NVML error (e.g. IN_USE, 19)"));
        }
        armed = {f->fault_after, *code, f->fault_abort};
      }
      return Change(
          ctx, f->state,
          [armed](sim::SimState& s) {
            s.fault = armed;
            return absl::OkStatus();
          },
          f->fault_clear ? "Fault cleared." : "Fault armed.");
    };
  });

  CLI::App* inject_xid = sim->add_subcommand(
      "inject-xid",
      "Report an XID error on a GPU (or one MIG device with --gi/--ci) to "
      "NVML event subscribers such as `migctl device-plugin`");
  inject_xid->add_option("state", f->state, "State file")->required();
  inject_xid->add_option("-i,--id", f->gpu, "GPU index")
      ->required()
      ->type_name("N");
  inject_xid->add_option("--xid", f->xid, "XID number, e.g. 79 or 48")
      ->required();
  inject_xid->add_option("--gi", f->gi, "GPU instance ID of the MIG device");
  inject_xid->add_option("--ci", f->ci,
                         "Compute instance ID of the MIG device");
  inject_xid->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      return Change(
          ctx, f->state,
          [&](sim::SimState& s) {
            return sim::rules::InjectXid(s, f->gpu, f->xid, f->gi, f->ci);
          },
          absl::StrCat("XID ", f->xid, " reported on GPU ", f->gpu,
                       f->gi ? absl::StrCat(" GPU instance ", *f->gi,
                                            " compute instance ", *f->ci)
                             : "",
                       "."));
    };
  });

  CLI::App* show =
      sim->add_subcommand("show", "Print the simulated node's state");
  show->add_option("state", f->state, "State file")->required();
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> absl::Status {
      ASSIGN_OR_RETURN(sim::SimState state,
                       sim::SimNvml::FromFile(f->state)->Snapshot());
      PrintJson(*ctx.out, sim::ToJson(state));
      return absl::OkStatus();
    };
  });
}

}  // namespace migctl::cli
