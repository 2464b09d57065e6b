#include "cli/app.h"

#include <iostream>

#include "nvml/driver.h"
#include "sim/sim_nvml.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace migctl::cli {

namespace {

// Logs go to stderr as logfmt lines, like NVIDIA's Go tools print them.
void SetUpLogging(bool verbose) {
  auto logger = spdlog::stderr_logger_mt("migctl");
  logger->set_pattern("time=%Y-%m-%dT%H:%M:%S%z level=%l msg=\"%v\"");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

absl::StatusOr<std::unique_ptr<nvml::Nvml>> Context::OpenNvml() const {
  if (!sim_path.empty()) {
    spdlog::debug("using the simulated node in {}", sim_path);
    std::unique_ptr<nvml::Nvml> sim = sim::SimNvml::FromFile(sim_path);
    return sim;
  }
  spdlog::debug("using the NVIDIA driver (libnvidia-ml.so.1)");
  return nvml::OpenDriver();
}

int Run(int argc, const char* const* argv, std::ostream& out,
        std::ostream& err) {
  CLI::App app{
      "migctl partitions NVIDIA GPUs with MIG (Multi-Instance GPU): see the "
      "GPUs, list profiles as nvidia-smi does, enable MIG mode, apply "
      "mig-parted configs with the fewest changes, and drive a simulated "
      "node for trying it without MIG hardware.",
      "migctl"};
  app.footer(std::string(kExitCodesHelp));
  app.require_subcommand(1);
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  app.add_option("--sim", ctx.sim_path,
                 "Use the simulated node in STATE (see `migctl sim create`) "
                 "instead of the NVIDIA driver")
      ->type_name("STATE");
  std::string format = "table";
  app.add_option("-o,--output", format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_flag("-v,--verbose", ctx.verbose, "Debug logging");
  app.set_version_flag("--version", "migctl 0.1.0");

  AddGpuCommands(app, ctx);
  AddSimCommands(app, ctx);
  AddConfigCommands(app, ctx);
  AddDevicePluginCommands(app, ctx);
  AddLabelsCommands(app, ctx);
  AddShowCommands(app, ctx);
  AddAgentCommands(app, ctx);
  AddPlannerCommands(app, ctx);
  AddCompletionCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e, out, err);
      return kExitOk;
    }
    app.exit(e, out, err);
    return kExitUsage;
  }
  ctx.format = format == "json" ? Format::kJson : Format::kTable;
  if (spdlog::get("migctl") == nullptr) SetUpLogging(ctx.verbose);
  spdlog::get("migctl")->set_level(ctx.verbose ? spdlog::level::debug
                                               : spdlog::level::info);
  if (!ctx.action) return kExitUsage;
  absl::Status status = ctx.action();
  if (!status.ok()) {
    err << "migctl: error: " << status.message() << "\n";
    return ExitCodeFor(status);
  }
  return ctx.exit_code_override >= 0 ? ctx.exit_code_override : kExitOk;
}

}  // namespace migctl::cli
