// nvml::Library over the simulator's libnvidia-ml.so.1 (src/sim/shim/)
// against sim::SimNvml called directly: the same operations on two copies of
// one simulated node must give the same results, error codes included. This
// tests the real binding's marshalling (struct versions, placement arrays,
// handles, error codes) without a GPU.
#include "nvml/library.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"

namespace migctl::nvml {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kShim[] = MIGCTL_NVML_SHIM;

std::string Show(int v) { return absl::StrCat(v); }
std::string Show(const std::string& v) { return v; }
std::string Show(Return r) { return std::string(ReturnName(r)); }
std::string Show(const mig::Placement& p) {
  return absl::StrCat("{", p.start, "}:", p.size);
}
std::string Show(const mig::Engines& e) {
  return absl::StrCat("ce=", e.copy, " dec=", e.decoder, " enc=", e.encoder,
                      " jpeg=", e.jpeg, " ofa=", e.ofa);
}
std::string Show(const DeviceInfo& d) {
  return absl::StrCat(d.index, " ", d.name, " ", d.uuid, " ", d.pci_bus_id, " ",
                      absl::Hex(d.pci_device_id), " ",
                      absl::Hex(d.pci_subsystem_id), " ", d.memory_total_bytes,
                      " arch=", d.architecture, " cc=", d.compute_major, ".",
                      d.compute_minor);
}
std::string Show(const MigMode& m) {
  return absl::StrCat("current=", m.current, " pending=", m.pending);
}
std::string Show(const mig::GpuInstanceProfile& p) {
  return absl::StrCat("index=", p.index, " id=", p.id, " ", p.name,
                      " slices=", p.slices, " n=", p.instance_count,
                      " mb=", p.memory_mb, " sm=", p.multiprocessors, " ",
                      Show(p.engines), " placements=", p.placements.size(),
                      " cis=", p.compute_profiles.size());
}
std::string Show(const mig::ComputeProfile& c) {
  std::vector<std::string> at;
  for (const mig::Placement& p : c.placements) at.push_back(Show(p));
  return absl::StrCat("index=", c.index, " id=", c.id, " slices=", c.slices,
                      " n=", c.instance_count, " sm=", c.multiprocessors,
                      " at=", absl::StrJoin(at, ","));
}
std::string Show(const GpuInstance& gi) {
  return absl::StrCat("GI ", gi.id, " profile ", gi.profile_id, " ",
                      Show(gi.placement));
}
std::string Show(const ComputeInstance& ci) {
  return absl::StrCat("CI ", ci.gi_id, "/", ci.id, " profile ", ci.profile_id,
                      " ", Show(ci.placement));
}
std::string Show(const MigDevice& d) {
  return absl::StrCat("MIG ", d.index, " ", d.uuid, " ", d.gi_id, "/", d.ci_id,
                      " profiles ", d.gi_profile_id, "/", d.ci_profile_id,
                      " slices ", d.gi_slices, "/", d.ci_slices,
                      " sm=", d.multiprocessors, " ", Show(d.engines),
                      " mb=", d.memory_mb);
}
std::string Show(const Process& p) {
  return absl::StrCat("pid ", p.pid, " ", p.name, " ", p.used_memory_bytes,
                      " gi=", p.gi_id ? absl::StrCat(*p.gi_id) : "-",
                      " ci=", p.ci_id ? absl::StrCat(*p.ci_id) : "-");
}
std::string Show(const XidEvent& e) {
  return absl::StrCat("XID ", e.xid, " GPU ", e.gpu,
                      " gi=", e.gi_id ? absl::StrCat(*e.gi_id) : "-",
                      " ci=", e.ci_id ? absl::StrCat(*e.ci_id) : "-");
}
template <typename T>
std::string Show(const std::vector<T>& v) {
  std::vector<std::string> parts;
  for (const T& x : v) parts.push_back(Show(x));
  return absl::StrCat("[", absl::StrJoin(parts, "; "), "]");
}
std::string Show(const absl::Status& s) {
  if (s.ok()) return "OK";
  std::optional<Return> r = ReturnOf(s);
  return absl::StrCat("error ", absl::StatusCodeToString(s.code()), " ",
                      r ? ReturnName(*r) : "(no NVML code)");
}
template <typename T>
std::string Show(const absl::StatusOr<T>& v) {
  return v.ok() ? Show(*v) : Show(v.status());
}

// One step of a scenario: an NVML call, or a simulator control.
struct Step {
  std::string what;
  std::function<std::string(Nvml&)> call;
  std::function<absl::Status(sim::SimState&)> control;  // set: not NVML
};

Step Call(std::string what, std::function<std::string(Nvml&)> call) {
  return {std::move(what), std::move(call), nullptr};
}
Step Control(std::string what,
             std::function<absl::Status(sim::SimState&)> control) {
  return {std::move(what), nullptr, std::move(control)};
}

class LibraryOverShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string base =
        (std::filesystem::temp_directory_path() /
         absl::StrCat(
             "migctl-shim-", ::getpid(), "-",
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
            .string();
    via_shim_ = base + "-shim.json";
    direct_ = base + "-direct.json";
    absl::StatusOr<sim::SimState> node =
        sim::NewNode("shim-node", {"H100-SXM5-80GB", "A30-24GB"});
    ASSERT_TRUE(node.ok()) << node.status();
    ASSERT_TRUE(sim::StateFile(via_shim_).Save(*node).ok());
    ASSERT_TRUE(sim::StateFile(direct_).Save(*node).ok());
    ::setenv("MIGCTL_SIM_STATE", via_shim_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("MIGCTL_SIM_STATE");
    for (const std::string& f : {via_shim_, direct_}) {
      std::filesystem::remove(f);
      std::filesystem::remove(f + ".lock");
    }
  }

  // Runs `steps` through the shim (Library) and directly (SimNvml) and
  // expects identical results and identical final states.
  void ExpectSameResults(const std::vector<Step>& steps,
                         std::vector<std::string> hidden = {}) {
    absl::StatusOr<std::unique_ptr<Library>> lib =
        Library::OpenForTest(kShim, std::move(hidden));
    ASSERT_TRUE(lib.ok()) << lib.status();
    std::unique_ptr<sim::SimNvml> shim_state =
        sim::SimNvml::FromFile(via_shim_);
    std::unique_ptr<sim::SimNvml> sim = sim::SimNvml::FromFile(direct_);
    for (const Step& step : steps) {
      SCOPED_TRACE(step.what);
      if (step.control) {
        ASSERT_TRUE(shim_state->Update(step.control).ok());
        ASSERT_TRUE(sim->Update(step.control).ok());
        continue;
      }
      EXPECT_EQ(step.call(**lib), step.call(*sim));
    }
    absl::StatusOr<sim::SimState> a = shim_state->Snapshot();
    absl::StatusOr<sim::SimState> b = sim->Snapshot();
    ASSERT_TRUE(a.ok() && b.ok());
    // Through NVML a call on a missing instance fails at the handle lookup
    // and never reaches the mutating call the simulator counts.
    a->mutating_calls = b->mutating_calls = 0;
    EXPECT_EQ(sim::ToJson(*a).dump(1), sim::ToJson(*b).dump(1));
  }

  std::string via_shim_;
  std::string direct_;
};

std::vector<Step> ReadOnlySteps() {
  std::vector<Step> steps = {
      Call("DeviceCount", [](Nvml& n) { return Show(n.DeviceCount()); }),
      Call("DriverVersion", [](Nvml& n) { return Show(n.DriverVersion()); }),
      Call("CudaDriverVersion",
           [](Nvml& n) { return Show(n.CudaDriverVersion()); }),
  };
  for (int gpu : {0, 1, 2, -1}) {
    steps.push_back(Call(absl::StrCat("MinorNumber ", gpu),
                         [gpu](Nvml& n) { return Show(n.MinorNumber(gpu)); }));
    steps.push_back(Call(absl::StrCat("GetDevice ", gpu),
                         [gpu](Nvml& n) { return Show(n.GetDevice(gpu)); }));
    steps.push_back(Call(absl::StrCat("GetMigMode ", gpu),
                         [gpu](Nvml& n) { return Show(n.GetMigMode(gpu)); }));
  }
  for (int gpu : {0, 1}) {
    for (int index = 0; index < 16; ++index) {
      steps.push_back(Call(absl::StrCat("GI profile ", gpu, "/", index),
                           [gpu, index](Nvml& n) {
                             return Show(n.GetGpuInstanceProfile(gpu, index));
                           }));
    }
    for (int id : {0, 1, 5, 9, 14, 15, 19, 20, 99}) {
      steps.push_back(
          Call(absl::StrCat("placements ", gpu, "/", id), [gpu, id](Nvml& n) {
            return Show(n.GetGpuInstancePossiblePlacements(gpu, id));
          }));
      steps.push_back(
          Call(absl::StrCat("remaining ", gpu, "/", id), [gpu, id](Nvml& n) {
            return Show(n.GetGpuInstanceRemainingCapacity(gpu, id));
          }));
    }
    steps.push_back(Call(absl::StrCat("GIs ", gpu), [gpu](Nvml& n) {
      return Show(n.ListGpuInstances(gpu));
    }));
    steps.push_back(Call(absl::StrCat("MIG devices ", gpu), [gpu](Nvml& n) {
      return Show(n.ListMigDevices(gpu));
    }));
    steps.push_back(Call(absl::StrCat("processes ", gpu), [gpu](Nvml& n) {
      return Show(n.ListProcesses(gpu));
    }));
  }
  return steps;
}

Step CreateGi(int gpu, int profile, std::optional<mig::Placement> at) {
  return Call(
      absl::StrCat("create GI ", gpu, " profile ", profile,
                   at ? Show(*at) : ""),
      [=](Nvml& n) { return Show(n.CreateGpuInstance(gpu, profile, at)); });
}

Step WaitXid(int timeout_ms) {
  return Call(absl::StrCat("wait for XIDs ", timeout_ms, " ms"),
              [=](Nvml& n) { return Show(n.WaitForXidEvents(timeout_ms)); });
}

Step InjectXid(int gpu, uint64_t xid, std::optional<int> gi_id,
               std::optional<int> ci_id) {
  return Control(absl::StrCat("XID ", xid, " on GPU ", gpu),
                 [=](sim::SimState& s) {
                   return sim::rules::InjectXid(s, gpu, xid, gi_id, ci_id);
                 });
}

// Needs GPU instance 8 (1g) on GPU 0, without compute instances.
std::vector<Step> XidSteps() {
  return {
      Call("CI full 1g in GI 8",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 8, 0)); }),
      InjectXid(0, 13, std::nullopt, std::nullopt),  // before subscribing
      WaitXid(0),                                    // subscribes: none
      WaitXid(20),
      InjectXid(1, 79, std::nullopt, std::nullopt),
      InjectXid(0, 43, 8, 0),
      InjectXid(0, 31, std::nullopt, std::nullopt),
      WaitXid(1000),  // all three, in order
      WaitXid(0),
      InjectXid(0, 48, 8, 0),
      WaitXid(1000),
  };
}

std::vector<Step> Scenario() {
  std::vector<Step> steps = ReadOnlySteps();
  auto add = [&](std::vector<Step> more) {
    for (Step& s : more) steps.push_back(std::move(s));
  };
  auto ci_steps = [](int gpu, int gi) {
    std::vector<Step> out;
    for (int index = 0; index < 9; ++index) {
      out.push_back(Call(
          absl::StrCat("CI profile ", gpu, "/", gi, "/", index), [=](Nvml& n) {
            return Show(n.GetComputeInstanceProfile(gpu, gi, index));
          }));
    }
    out.push_back(Call(absl::StrCat("CIs ", gpu, "/", gi), [=](Nvml& n) {
      return Show(n.ListComputeInstances(gpu, gi));
    }));
    return out;
  };
  add({
      CreateGi(0, 19, std::nullopt),  // MIG disabled: NOT_SUPPORTED
      Call("enable 0", [](Nvml& n) { return Show(n.SetMigMode(0, true)); }),
      Call("mode 0", [](Nvml& n) { return Show(n.GetMigMode(0)); }),
      CreateGi(0, 9, std::nullopt),
      CreateGi(0, 19, mig::Placement{4, 1}),
      CreateGi(0, 14, mig::Placement{0, 2}),  // overlaps the 3g
      CreateGi(0, 19, mig::Placement{7, 1}),  // not a 1g placement
      CreateGi(0, 0, std::nullopt),           // no room
      CreateGi(0, 77, std::nullopt),          // no such profile
      CreateGi(0, 19, std::nullopt),
      Call("disable 0 with GIs",
           [](Nvml& n) { return Show(n.SetMigMode(0, false)); }),
  });
  add(ReadOnlySteps());
  // GI ids of the H100 layout above: 3g at {0}:4 is 2, 1g at {4}:1 is 7,
  // 1g at {5}:1 is 8.
  for (int gi : {2, 7, 8, 99}) add(ci_steps(0, gi));
  add({
      Call("CI 1c in 3g",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 2, 0)); }),
      Call("CI 2c in 3g",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 2, 1)); }),
      Call("CI 3c in full 3g",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 2, 2)); }),
      Call("CI full 1g",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 7, 0)); }),
      Call("CI in missing GI",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 99, 0)); }),
      Call("CI bad profile",
           [](Nvml& n) { return Show(n.CreateComputeInstance(0, 8, 7)); }),
      Control("process on MIG 2/0",
              [](sim::SimState& s) {
                sim::SimProcess p;
                p.pid = 4242;
                p.name = "python3";
                p.used_memory_bytes = 1 << 30;
                p.gi_id = 2;
                p.ci_id = 0;
                return sim::rules::AttachProcess(s, 0, p);
              }),
      Control("process on GPU 1",
              [](sim::SimState& s) {
                sim::SimProcess p;
                p.pid = 77;
                p.name = "train";
                p.used_memory_bytes = 5ull << 30;
                return sim::rules::AttachProcess(s, 1, p);
              }),
  });
  for (int gi : {2, 7, 8}) add(ci_steps(0, gi));
  add(ReadOnlySteps());
  add({
      Call("destroy busy CI",
           [](Nvml& n) { return Show(n.DestroyComputeInstance(0, 2, 0)); }),
      Call("destroy GI with CIs",
           [](Nvml& n) { return Show(n.DestroyGpuInstance(0, 2)); }),
      Call("destroy missing GI",
           [](Nvml& n) { return Show(n.DestroyGpuInstance(0, 98)); }),
      Call("destroy missing CI",
           [](Nvml& n) { return Show(n.DestroyComputeInstance(0, 2, 9)); }),
      Call("enable 1 while held",
           [](Nvml& n) { return Show(n.SetMigMode(1, true)); }),
      Call("mode 1", [](Nvml& n) { return Show(n.GetMigMode(1)); }),
      Control(
          "end process",
          [](sim::SimState& s) { return sim::rules::DetachProcess(s, 4242); }),
      Call("destroy CI 2/0",
           [](Nvml& n) { return Show(n.DestroyComputeInstance(0, 2, 0)); }),
      Call("destroy CI 7/0",
           [](Nvml& n) { return Show(n.DestroyComputeInstance(0, 7, 0)); }),
      Call("destroy GI 7",
           [](Nvml& n) { return Show(n.DestroyGpuInstance(0, 7)); }),
      Control("arm fault",
              [](sim::SimState& s) {
                s.fault.countdown = 1;
                s.fault.code = Return::kGpuIsLost;
                return absl::OkStatus();
              }),
      CreateGi(0, 19, std::nullopt),  // the injected fault
      CreateGi(0, 19, std::nullopt),
      Control("driver 12.4, GPU 1 is /dev/nvidia5",
              [](sim::SimState& s) {
                s.cuda_driver_version = 12040;
                s.gpus[1].minor_number = 5;
                return absl::OkStatus();
              }),
  });
  add(ReadOnlySteps());
  add(XidSteps());
  return steps;
}

TEST_F(LibraryOverShimTest, EveryCallMatchesSimNvml) {
  ExpectSameResults(Scenario());
}

TEST_F(LibraryOverShimTest, FallbacksForOlderDriversMatchToo) {
  ExpectSameResults(
      Scenario(),
      {"nvmlInit_v2", "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2",
       "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetGpuInstanceProfileInfoV",
       "nvmlDeviceGetGpuInstancePossiblePlacements_v2",
       "nvmlGpuInstanceGetComputeInstanceProfileInfoV",
       "nvmlComputeInstanceGetInfo_v2", "nvmlDeviceGetAttributes_v2",
       "nvmlSystemGetCudaDriverVersion_v2"});
}

TEST_F(LibraryOverShimTest, XidEventsKeepGpuAndMigDevice) {
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::OpenForTest(kShim);
  ASSERT_TRUE(lib.ok()) << lib.status();
  ASSERT_TRUE((*lib)->SetMigMode(1, true).ok());
  ASSERT_TRUE((*lib)->CreateGpuInstance(1, 0, std::nullopt).ok());
  ASSERT_TRUE((*lib)->CreateComputeInstance(1, 0, 0).ok());
  EXPECT_EQ(Show((*lib)->WaitForXidEvents(0)), "[]");
  std::unique_ptr<sim::SimNvml> node = sim::SimNvml::FromFile(via_shim_);
  ASSERT_TRUE(node->Update([](sim::SimState& s) {
                    return sim::rules::InjectXid(s, 1, 94, 0, 0);
                  })
                  .ok());
  ASSERT_TRUE(node->Update([](sim::SimState& s) {
                    return sim::rules::InjectXid(s, 0, 79, std::nullopt,
                                                 std::nullopt);
                  })
                  .ok());
  EXPECT_EQ(Show((*lib)->WaitForXidEvents(1000)),
            "[XID 94 GPU 1 gi=0 ci=0; XID 79 GPU 0 gi=- ci=-]");
  EXPECT_EQ(Show((*lib)->WaitForXidEvents(0)), "[]");
}

// Before R450 nvmlEventSetWait had no GPU/compute instance ids: every event
// names the whole GPU.
TEST_F(LibraryOverShimTest, XidEventsThroughTheOldWaitNameTheWholeGpu) {
  absl::StatusOr<std::unique_ptr<Library>> lib =
      Library::OpenForTest(kShim, {"nvmlEventSetWait_v2"});
  ASSERT_TRUE(lib.ok()) << lib.status();
  ASSERT_TRUE((*lib)->SetMigMode(1, true).ok());
  ASSERT_TRUE((*lib)->CreateGpuInstance(1, 0, std::nullopt).ok());
  ASSERT_TRUE((*lib)->CreateComputeInstance(1, 0, 0).ok());
  EXPECT_EQ(Show((*lib)->WaitForXidEvents(0)), "[]");
  ASSERT_TRUE(sim::SimNvml::FromFile(via_shim_)
                  ->Update([](sim::SimState& s) {
                    return sim::rules::InjectXid(s, 1, 94, 0, 0);
                  })
                  .ok());
  EXPECT_EQ(Show((*lib)->WaitForXidEvents(1000)), "[XID 94 GPU 1 gi=- ci=-]");
}

TEST_F(LibraryOverShimTest, MissingEventEntryPointIsFunctionNotFound) {
  absl::StatusOr<std::unique_ptr<Library>> lib =
      Library::OpenForTest(kShim, {"nvmlEventSetWait_v2", "nvmlEventSetWait"});
  ASSERT_TRUE(lib.ok()) << lib.status();
  absl::Status s = (*lib)->WaitForXidEvents(0).status();
  EXPECT_EQ(ReturnOf(s), Return::kFunctionNotFound);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("nvmlEventSetWait: libnvidia-ml.so.1 does not "
                         "export it"));
}

TEST_F(LibraryOverShimTest, CudaVersionAndMinorNumbers) {
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::OpenForTest(kShim);
  ASSERT_TRUE(lib.ok()) << lib.status();
  EXPECT_EQ(Show((*lib)->CudaDriverVersion()), "13000");
  EXPECT_EQ(Show((*lib)->MinorNumber(1)), "1");
  ASSERT_TRUE(sim::SimNvml::FromFile(via_shim_)
                  ->Update([](sim::SimState& s) {
                    s.gpus[0].minor_number = 3;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Show((*lib)->MinorNumber(0)), "3");
  absl::Status bad = (*lib)->MinorNumber(2).status();
  EXPECT_EQ(ReturnOf(bad), Return::kInvalidArgument);
  EXPECT_EQ(bad.message(),
            "nvmlDeviceGetHandleByIndex_v2 (GPU 2): Invalid Argument");
}

TEST_F(LibraryOverShimTest, SpotChecksOfExactValues) {
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::OpenForTest(kShim);
  ASSERT_TRUE(lib.ok()) << lib.status();
  EXPECT_EQ((*lib)->path(), kShim);
  absl::StatusOr<DeviceInfo> d = (*lib)->GetDevice(0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d->pci_device_id, 0x233010DEu);
  absl::StatusOr<mig::GpuInstanceProfile> p =
      (*lib)->GetGpuInstanceProfile(0, 9);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->id, 15);
  EXPECT_EQ(p->name, "1g.20gb");
  EXPECT_EQ(p->memory_mb, 20096u);
  EXPECT_THAT(Show((*lib)->GetGpuInstancePossiblePlacements(0, 15)),
              "[{0}:2; {2}:2; {4}:2; {6}:2]");
  absl::Status none = (*lib)->GetGpuInstanceProfile(0, 5).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(none.message(),
            "nvmlDeviceGetGpuInstanceProfileInfoV (GPU 0) profile index 5: "
            "Not Supported");
}

TEST_F(LibraryOverShimTest, ErrorsKeepCodeDriverTextCallAndInstance) {
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::OpenForTest(kShim);
  ASSERT_TRUE(lib.ok()) << lib.status();
  ASSERT_TRUE((*lib)->SetMigMode(0, true).ok());
  ASSERT_TRUE((*lib)->CreateGpuInstance(0, 0, std::nullopt).ok());
  absl::Status full =
      (*lib)->CreateGpuInstance(0, 19, mig::Placement{3, 1}).status();
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReturnOf(full), Return::kInsufficientResources);
  EXPECT_EQ(full.message(),
            "nvmlDeviceCreateGpuInstanceWithPlacement (GPU 0) profile ID 19 at "
            "{3}:1: Insufficient resources for request");
  absl::Status missing = (*lib)->DestroyComputeInstance(0, 0, 5);
  EXPECT_EQ(ReturnOf(missing), Return::kNotFound);
  EXPECT_EQ(missing.message(),
            "nvmlGpuInstanceGetComputeInstanceById (GPU 0, GPU instance 0, "
            "compute instance 5): Not Found");
}

TEST_F(LibraryOverShimTest, MissingEntryPointIsFunctionNotFound) {
  absl::StatusOr<std::unique_ptr<Library>> lib =
      Library::OpenForTest(kShim, {"nvmlDeviceGetMigMode"});
  ASSERT_TRUE(lib.ok()) << lib.status();
  absl::Status s = (*lib)->GetMigMode(0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ReturnOf(s), Return::kFunctionNotFound);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("nvmlDeviceGetMigMode: libnvidia-ml.so.1 does not "
                         "export it"));
}

TEST_F(LibraryOverShimTest, InitFailureKeepsTheDriversCode) {
  ::unsetenv("MIGCTL_SIM_STATE");
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::OpenForTest(kShim);
  EXPECT_EQ(lib.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReturnOf(lib.status()), Return::kDriverNotLoaded);
  EXPECT_EQ(lib.status().message(),
            absl::StrCat("nvmlInit_v2 (", kShim, "): Driver Not Loaded"));
}

TEST_F(LibraryOverShimTest, ResetIsNotAnNvmlCall) {
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::OpenForTest(kShim);
  ASSERT_TRUE(lib.ok()) << lib.status();
  absl::Status s = (*lib)->ResetGpu(1);
  EXPECT_EQ(ReturnOf(s), Return::kNotSupported);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("nvidia-smi --gpu-reset -i 1"));
}

TEST(LibraryTest, MissingLibraryIsUnavailableWithTheWayOut) {
  absl::StatusOr<std::unique_ptr<Library>> lib =
      Library::OpenForTest("/nonexistent/libnvidia-ml.so.1");
  EXPECT_EQ(lib.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(lib.status().message()),
              StartsWith("no NVIDIA driver found (libnvidia-ml.so.1): "
                         "/nonexistent/libnvidia-ml.so.1: cannot open shared "
                         "object file"));
  EXPECT_THAT(std::string(lib.status().message()),
              HasSubstr("migctl sim create"));
}

TEST(LibraryTest, DefaultPathsStartWithTheLoadersSearch) {
  std::vector<std::string> paths = Library::DefaultPaths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths[0], "libnvidia-ml.so.1");
}

}  // namespace
}  // namespace migctl::nvml
