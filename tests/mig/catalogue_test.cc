// Tests of the MIG model catalogue against the specification:
// shared/reference/h100-80gb-sxm.md and h200-141gb.md (real GPUs read through
// NVML) and the H100 NVL `nvidia-smi mig -lgip` table in shared/MISSION.md.
#include "mig/catalogue.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/model.h"
#include "mig/profile_name.h"

namespace migctl::mig {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// One row of a reference table.
struct ExpectedProfile {
  int index;
  int id;
  std::string name;
  int slices;
  int instances;
  uint64_t memory_mb;
  int sms;
  int ce, dec, enc, jpeg, ofa;
  std::vector<int> starts;
  int size;
};

std::vector<Placement> Placements(const std::vector<int>& starts, int size) {
  std::vector<Placement> out;
  for (int s : starts) out.push_back({s, size});
  return out;
}

void ExpectProfiles(const GpuModel& m,
                    const std::vector<ExpectedProfile>& expected) {
  ASSERT_EQ(m.profiles.size(), expected.size()) << m.key;
  for (const ExpectedProfile& e : expected) {
    SCOPED_TRACE(m.key + " " + e.name);
    const GpuInstanceProfile* p = m.FindProfileByIndex(e.index);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->index, e.index);
    EXPECT_EQ(p->id, e.id);
    EXPECT_EQ(p->name, e.name);
    EXPECT_EQ(p->slices, e.slices);
    EXPECT_EQ(p->instance_count, e.instances);
    EXPECT_EQ(p->memory_mb, e.memory_mb);
    EXPECT_EQ(p->multiprocessors, e.sms);
    EXPECT_EQ(p->engines.copy, e.ce);
    EXPECT_EQ(p->engines.decoder, e.dec);
    EXPECT_EQ(p->engines.encoder, e.enc);
    EXPECT_EQ(p->engines.jpeg, e.jpeg);
    EXPECT_EQ(p->engines.ofa, e.ofa);
    EXPECT_THAT(p->placements, ElementsAreArray(Placements(e.starts, e.size)));
    EXPECT_EQ(p->memory_slices(), e.size);
    EXPECT_EQ(m.FindProfileById(e.id), p);
    EXPECT_EQ(m.FindProfileByName(e.name), p);
  }
}

const GpuModel& Model(const std::string& key) {
  const GpuModel* m = FindModel(key);
  if (m == nullptr) {
    ADD_FAILURE() << "no model " << key;
    static const GpuModel empty;
    return empty;
  }
  return *m;
}

// ---------------------------------------------------------------------------
// H100 80GB HBM3 (SXM5): shared/reference/h100-80gb-sxm.md.

TEST(CatalogueH100Sxm5, MatchesRealGpu) {
  const GpuModel& m = Model("H100-SXM5-80GB");
  EXPECT_EQ(m.key, "H100-SXM5-80GB");
  EXPECT_EQ(m.product_name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(m.memory_total_bytes, 85520809984ull);
  EXPECT_EQ(m.memory_total_mib(), 81559u);
  EXPECT_EQ(m.architecture, 9);
  EXPECT_EQ(m.compute_major, 9);
  EXPECT_EQ(m.compute_minor, 0);
  EXPECT_EQ(m.compute_slices, 7);
  EXPECT_EQ(m.memory_slices, 8);
  // PCI id from NVIDIA/mig-parted (the reference file does not print it).
  EXPECT_EQ(m.pci_device_id, 0x233010DEu);
  ExpectProfiles(
      m,
      {
          {0,
           19,
           "1g.10gb",
           1,
           7,
           9984,
           16,
           1,
           1,
           0,
           1,
           0,
           {0, 1, 2, 3, 4, 5, 6},
           1},
          {1, 14, "2g.20gb", 2, 3, 20096, 32, 2, 2, 0, 2, 0, {0, 2, 4}, 2},
          {2, 9, "3g.40gb", 3, 2, 40448, 60, 3, 3, 0, 3, 0, {0, 4}, 4},
          {3, 5, "4g.40gb", 4, 1, 40448, 64, 4, 4, 0, 4, 0, {0}, 4},
          {4, 0, "7g.80gb", 7, 1, 81152, 132, 8, 7, 0, 7, 1, {0}, 8},
          {7,
           20,
           "1g.10gb+me",
           1,
           1,
           9984,
           16,
           1,
           1,
           0,
           1,
           1,
           {0, 1, 2, 3, 4, 5, 6},
           1},
          {9, 15, "1g.20gb", 1, 4, 20096, 26, 1, 1, 0, 1, 0, {0, 2, 4, 6}, 2},
      });
  // Profile indexes 5, 6, 8 and 10+ are not supported.
  for (int index : {5, 6, 8, 10, 11}) {
    EXPECT_EQ(m.FindProfileByIndex(index), nullptr) << index;
  }
}

// ---------------------------------------------------------------------------
// H200 (141 GB): shared/reference/h200-141gb.md.

TEST(CatalogueH200, MatchesRealGpu) {
  const GpuModel& m = Model("H200");
  EXPECT_EQ(m.key, "H200");
  EXPECT_EQ(m.product_name, "NVIDIA H200");
  EXPECT_EQ(m.pci_device_id, 0x233510DEu);
  EXPECT_EQ(m.memory_total_bytes, 150754820096ull);
  EXPECT_EQ(m.memory_total_mib(), 143771u);
  EXPECT_EQ(m.architecture, 9);
  EXPECT_EQ(m.compute_major, 9);
  EXPECT_EQ(m.compute_minor, 0);
  EXPECT_EQ(m.compute_slices, 7);
  EXPECT_EQ(m.memory_slices, 8);
  ExpectProfiles(
      m,
      {
          {0,
           19,
           "1g.18gb",
           1,
           7,
           16384,
           16,
           1,
           1,
           0,
           1,
           0,
           {0, 1, 2, 3, 4, 5, 6},
           1},
          {1, 14, "2g.35gb", 2, 3, 33280, 32, 2, 2, 0, 2, 0, {0, 2, 4}, 2},
          {2, 9, "3g.71gb", 3, 2, 71424, 60, 3, 3, 0, 3, 0, {0, 4}, 4},
          {3, 5, "4g.71gb", 4, 1, 71424, 64, 4, 4, 0, 4, 0, {0}, 4},
          {4, 0, "7g.141gb", 7, 1, 143360, 132, 8, 7, 0, 7, 1, {0}, 8},
          {7,
           20,
           "1g.18gb+me",
           1,
           1,
           16384,
           16,
           1,
           1,
           0,
           1,
           1,
           {0, 1, 2, 3, 4, 5, 6},
           1},
          {9, 15, "1g.35gb", 1, 4, 33280, 26, 1, 1, 0, 1, 0, {0, 2, 4, 6}, 2},
      });
  for (int index : {5, 6, 8, 10, 11, 12, 13, 14, 15}) {
    EXPECT_EQ(m.FindProfileByIndex(index), nullptr) << index;
  }
  // nvidia-smi prints GiB = MB / 1024 with two decimals.
  EXPECT_EQ(m.FindProfileById(14)->memory_mb / 1024.0, 32.50);
  EXPECT_EQ(m.FindProfileById(9)->memory_mb / 1024.0, 69.75);
  EXPECT_EQ(m.FindProfileById(0)->memory_mb / 1024.0, 140.00);
}

// ---------------------------------------------------------------------------
// H100 NVL (94 GB): the table in shared/MISSION.md.

TEST(CatalogueH100Nvl, MatchesMissionTable) {
  const GpuModel& m = Model("H100-NVL");
  EXPECT_EQ(m.key, "H100-NVL");
  EXPECT_EQ(m.product_name, "NVIDIA H100 NVL");
  EXPECT_EQ(m.pci_device_id, 0x232110DEu);
  EXPECT_EQ(m.compute_slices, 7);
  EXPECT_EQ(m.memory_slices, 8);
  // name, id, instances, memory GiB (* 1024 = MB exactly), SM, DEC, ENC, CE,
  // JPEG, OFA; placements as the H100 80GB.
  ExpectProfiles(
      m,
      {
          {0,
           19,
           "1g.12gb",
           1,
           7,
           11008,
           16,
           1,
           1,
           0,
           1,
           0,
           {0, 1, 2, 3, 4, 5, 6},
           1},
          {7,
           20,
           "1g.12gb+me",
           1,
           1,
           11008,
           16,
           1,
           1,
           0,
           1,
           1,
           {0, 1, 2, 3, 4, 5, 6},
           1},
          {9, 15, "1g.24gb", 1, 4, 22144, 26, 1, 1, 0, 1, 0, {0, 2, 4, 6}, 2},
          {1, 14, "2g.24gb", 2, 3, 22144, 32, 2, 2, 0, 2, 0, {0, 2, 4}, 2},
          {2, 9, "3g.47gb", 3, 2, 47488, 60, 3, 3, 0, 3, 0, {0, 4}, 4},
          {3, 5, "4g.47gb", 4, 1, 47488, 64, 4, 4, 0, 4, 0, {0}, 4},
          {4, 0, "7g.94gb", 7, 1, 95360, 132, 8, 7, 0, 7, 1, {0}, 8},
      });
  // The GiB column, exactly.
  EXPECT_EQ(11008 / 1024.0, 10.75);
  EXPECT_EQ(22144 / 1024.0, 21.625);  // printed 21.62
  EXPECT_EQ(47488 / 1024.0, 46.375);  // printed 46.38
  EXPECT_EQ(95360 / 1024.0, 93.125);  // printed 93.12
}

TEST(CatalogueH100Nvl, OneG24gbDeviceReports16SmsWhileItsGiHas26) {
  const GpuModel& m = Model("H100-NVL");
  const GpuInstanceProfile* p = m.FindProfileByName("1g.24gb");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->id, 15);
  EXPECT_EQ(p->multiprocessors, 26);
  const ComputeProfile* ci = p->FullComputeProfile();
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->multiprocessors, 16);
  EXPECT_EQ(ci->slices, 1);
  EXPECT_EQ(ci->instance_count, 1);
  EXPECT_THAT(ci->placements, ElementsAre(Placement{0, 1}));
  // NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE_REV1.
  EXPECT_EQ(ci->index, 7);
  EXPECT_EQ(ci->id, 7);
  ASSERT_EQ(p->compute_profiles.size(), 1u);

  // The story's labels: both MIG devices report 16 SMs.
  const GpuInstanceProfile* small = m.FindProfileByName("1g.12gb");
  ASSERT_NE(small, nullptr);
  ASSERT_NE(small->FullComputeProfile(), nullptr);
  EXPECT_EQ(small->FullComputeProfile()->multiprocessors, 16);
}

TEST(CatalogueH100Nvl, ProfileNameGbFollowsNvidiaRule) {
  const GpuModel& m = Model("H100-NVL");
  EXPECT_EQ(ProfileMemoryGb(11008, m.memory_total_bytes), 12);
  EXPECT_EQ(ProfileMemoryGb(22144, m.memory_total_bytes), 24);
  EXPECT_EQ(ProfileMemoryGb(47488, m.memory_total_bytes), 47);
  EXPECT_EQ(ProfileMemoryGb(95360, m.memory_total_bytes), 94);
}

TEST(ProfileMemoryGb, RealGpus) {
  // H100 80GB: 81559 MiB total.
  EXPECT_EQ(ProfileMemoryGb(9984, 85520809984ull), 10);
  EXPECT_EQ(ProfileMemoryGb(20096, 85520809984ull), 20);
  EXPECT_EQ(ProfileMemoryGb(40448, 85520809984ull), 40);
  EXPECT_EQ(ProfileMemoryGb(81152, 85520809984ull), 80);
  // H200: 143771 MiB total.
  EXPECT_EQ(ProfileMemoryGb(16384, 150754820096ull), 18);
  EXPECT_EQ(ProfileMemoryGb(33280, 150754820096ull), 35);
  EXPECT_EQ(ProfileMemoryGb(71424, 150754820096ull), 71);
  EXPECT_EQ(ProfileMemoryGb(143360, 150754820096ull), 141);
}

// ---------------------------------------------------------------------------
// Every catalogue model.

TEST(Catalogue, HasTheExpectedModels) {
  std::vector<std::string> keys;
  for (const GpuModel& m : Catalogue()) keys.push_back(m.key);
  EXPECT_THAT(keys,
              ElementsAre("A100-SXM4-40GB", "A100-SXM4-80GB", "A100-PCIE-80GB",
                          "A30-24GB", "H100-SXM5-80GB", "H100-PCIE-80GB",
                          "H100-NVL", "H200", "GH200-96GB"));
}

TEST(Catalogue, ProfileNamesFollowNvidiaRule) {
  for (const GpuModel& m : Catalogue()) {
    for (const GpuInstanceProfile& p : m.profiles) {
      SCOPED_TRACE(m.key + " " + p.name);
      absl::StatusOr<ProfileName> name = ParseProfileName(p.name);
      ASSERT_TRUE(name.ok()) << name.status();
      EXPECT_EQ(name->compute_slices, 0);
      EXPECT_EQ(name->gpu_slices, p.slices);
      EXPECT_EQ(name->memory_gb,
                ProfileMemoryGb(p.memory_mb, m.memory_total_bytes));
      EXPECT_EQ(FormatProfileName(*name), p.name);
      // The profile's memory never exceeds the GPU's.
      EXPECT_LE(p.memory_mb, m.memory_total_mib());
    }
  }
}

TEST(Catalogue, PlacementsAreConsistent) {
  for (const GpuModel& m : Catalogue()) {
    EXPECT_GT(m.compute_slices, 0) << m.key;
    EXPECT_GT(m.memory_slices, 0) << m.key;
    EXPECT_LE(m.memory_slices, 32) << m.key;
    for (const GpuInstanceProfile& p : m.profiles) {
      SCOPED_TRACE(m.key + " " + p.name);
      ASSERT_FALSE(p.placements.empty());
      const int size = p.placements[0].size;
      EXPECT_GT(size, 0);
      std::set<int> starts;
      for (const Placement& at : p.placements) {
        EXPECT_EQ(at.size, size);
        EXPECT_GE(at.start, 0);
        EXPECT_LE(at.end(), m.memory_slices);
        EXPECT_TRUE(starts.insert(at.start).second) << "duplicate start";
      }
      EXPECT_TRUE(std::is_sorted(p.placements.begin(), p.placements.end()));
      EXPECT_GE(p.instance_count, 1);
      EXPECT_LE(p.instance_count, static_cast<int>(p.placements.size()));
      EXPECT_LE(p.slices, m.compute_slices);
      EXPECT_EQ(p.memory_slices(), size);
    }
  }
}

TEST(Catalogue, IdsAndIndexesAreUnique) {
  std::set<std::string> keys;
  std::set<std::string> products;
  for (const GpuModel& m : Catalogue()) {
    EXPECT_TRUE(keys.insert(m.key).second) << m.key;
    EXPECT_TRUE(products.insert(m.product_name).second) << m.product_name;
    std::set<int> ids, indexes;
    std::set<std::string> names;
    for (const GpuInstanceProfile& p : m.profiles) {
      EXPECT_TRUE(ids.insert(p.id).second) << m.key << " id " << p.id;
      EXPECT_TRUE(indexes.insert(p.index).second)
          << m.key << " index " << p.index;
      EXPECT_TRUE(names.insert(p.name).second) << m.key << " " << p.name;
      std::set<int> ci_ids;
      for (const ComputeProfile& c : p.compute_profiles) {
        EXPECT_TRUE(ci_ids.insert(c.id).second)
            << m.key << " " << p.name << " CI id " << c.id;
      }
    }
    // Ordered by NVML profile index.
    EXPECT_TRUE(std::is_sorted(
        m.profiles.begin(), m.profiles.end(),
        [](const GpuInstanceProfile& a, const GpuInstanceProfile& b) {
          return a.index < b.index;
        }))
        << m.key;
  }
}

TEST(Catalogue, LookupsFindEveryModel) {
  for (const GpuModel& m : Catalogue()) {
    EXPECT_EQ(FindModel(m.key), &m) << m.key;
    std::string lower = m.key, upper = m.key;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    EXPECT_EQ(FindModel(lower), &m) << lower;
    EXPECT_EQ(FindModel(upper), &m) << upper;
    EXPECT_EQ(FindModelByPciDeviceId(m.pci_device_id), &m) << m.key;
    EXPECT_EQ(FindModelByProductName(m.product_name), &m) << m.key;
    for (const GpuInstanceProfile& p : m.profiles) {
      EXPECT_EQ(m.FindProfileById(p.id), &p);
      EXPECT_EQ(m.FindProfileByIndex(p.index), &p);
      EXPECT_EQ(m.FindProfileByName(p.name), &p) << m.key << " " << p.name;
    }
  }
  EXPECT_EQ(FindModel("h100-nvl"), &Model("H100-NVL"));
  EXPECT_EQ(FindModel("H100-Nvl"), &Model("H100-NVL"));
  EXPECT_EQ(FindModel("H100"), nullptr);
  EXPECT_EQ(FindModel(""), nullptr);
  EXPECT_EQ(FindModelByPciDeviceId(0x232110DE), &Model("H100-NVL"));
  EXPECT_EQ(FindModelByPciDeviceId(0x233510DE), &Model("H200"));
  EXPECT_EQ(FindModelByPciDeviceId(0x233010DE), &Model("H100-SXM5-80GB"));
  EXPECT_EQ(FindModelByPciDeviceId(0x12345678), nullptr);
  EXPECT_EQ(FindModelByProductName("NVIDIA H100 NVL"), &Model("H100-NVL"));
  EXPECT_EQ(FindModelByProductName("NVIDIA H200"), &Model("H200"));
  EXPECT_EQ(FindModelByProductName("NVIDIA H100 80GB HBM3"),
            &Model("H100-SXM5-80GB"));
  EXPECT_EQ(FindModelByProductName("NVIDIA H100"), nullptr);
}

TEST(Catalogue, FindProfileByNameAcceptsConfigForm) {
  const GpuModel& m = Model("H100-NVL");
  const GpuInstanceProfile* me = m.FindProfileById(20);
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(m.FindProfileByName("1g.12gb+me"), me);
  EXPECT_EQ(m.FindProfileByName("1g.12gb.me"), me);
  EXPECT_EQ(m.FindProfileByName("1g.12gb"), m.FindProfileById(19));
  EXPECT_EQ(m.FindProfileByName("1g.24gb"), m.FindProfileById(15));
  EXPECT_EQ(m.FindProfileByName("7g.94gb"), m.FindProfileById(0));
  EXPECT_EQ(m.FindProfileByName("1g.12gb-me"), nullptr);
  EXPECT_EQ(m.FindProfileByName("1g.12gb+me.all"), nullptr);
  EXPECT_EQ(m.FindProfileByName("1g.10gb"), nullptr);
  EXPECT_EQ(m.FindProfileByName("1c.1g.12gb"), nullptr);  // a CI name
  EXPECT_EQ(m.FindProfileByName("garbage"), nullptr);
  EXPECT_EQ(m.FindProfileByName(""), nullptr);

  const GpuModel& h100 = Model("H100-SXM5-80GB");
  EXPECT_EQ(h100.FindProfileByName("1g.10gb.me"), h100.FindProfileById(20));
  const GpuModel& h200 = Model("H200");
  EXPECT_EQ(h200.FindProfileByName("1g.18gb.me"), h200.FindProfileById(20));
  EXPECT_EQ(h200.FindProfileByName("1g.35gb"), h200.FindProfileById(15));
}

// CI sizes a GI offers, as `nvidia-smi mig -lcip` lists them.
std::vector<int> CiSizes(const GpuInstanceProfile& p) {
  std::vector<int> out;
  for (const ComputeProfile& c : p.compute_profiles) out.push_back(c.slices);
  return out;
}

TEST(Catalogue, ComputeProfiles) {
  for (const GpuModel& m : Catalogue()) {
    for (const GpuInstanceProfile& p : m.profiles) {
      SCOPED_TRACE(m.key + " " + p.name);
      // Every GI offers a CI taking all of it.
      const ComputeProfile* full = p.FullComputeProfile();
      ASSERT_NE(full, nullptr);
      EXPECT_EQ(full->instance_count, 1);
      EXPECT_THAT(full->placements, ElementsAre(Placement{0, p.slices}));
      switch (p.slices) {
        case 1:
          EXPECT_THAT(CiSizes(p), ElementsAre(1));
          break;
        case 2:
          EXPECT_THAT(CiSizes(p), ElementsAre(1, 2));
          break;
        case 3:
          EXPECT_THAT(CiSizes(p), ElementsAre(1, 2, 3));
          break;
        case 4:
          EXPECT_THAT(CiSizes(p), ElementsAre(1, 2, 4));
          break;  // no 3c
        case 7:
          EXPECT_THAT(CiSizes(p), ElementsAre(1, 2, 3, 4, 7));
          break;
        default:
          ADD_FAILURE() << "unexpected GI size " << p.slices;
      }
      for (const ComputeProfile& c : p.compute_profiles) {
        EXPECT_LE(c.slices, p.slices);
        EXPECT_EQ(c.instance_count, p.slices / c.slices) << c.slices << "c";
        EXPECT_EQ(static_cast<int>(c.placements.size()), c.instance_count);
        for (const Placement& at : c.placements) {
          EXPECT_EQ(at.size, c.slices);
          EXPECT_LE(at.end(), p.slices);
        }
        EXPECT_EQ(p.FindComputeProfile(c.index), &c);
        // A CI never reports more SMs than its GI has.
        EXPECT_LE(c.multiprocessors, p.multiprocessors);
      }
    }
  }
}

TEST(Catalogue, HopperComputeProfilesExactly) {
  const GpuModel& m = Model("H100-NVL");
  const GpuInstanceProfile* g4 = m.FindProfileById(5);
  ASSERT_NE(g4, nullptr);
  ASSERT_EQ(g4->compute_profiles.size(), 3u);
  // index, id, slices, count, SMs, placements.
  EXPECT_EQ(g4->compute_profiles[0].index, 0);
  EXPECT_EQ(g4->compute_profiles[0].instance_count, 4);
  EXPECT_EQ(g4->compute_profiles[0].multiprocessors, 16);
  EXPECT_THAT(g4->compute_profiles[0].placements,
              ElementsAre(Placement{0, 1}, Placement{1, 1}, Placement{2, 1},
                          Placement{3, 1}));
  EXPECT_EQ(g4->compute_profiles[1].index, 1);
  EXPECT_EQ(g4->compute_profiles[1].instance_count, 2);
  EXPECT_EQ(g4->compute_profiles[1].multiprocessors, 32);
  EXPECT_THAT(g4->compute_profiles[1].placements,
              ElementsAre(Placement{0, 2}, Placement{2, 2}));
  EXPECT_EQ(g4->compute_profiles[2].index, 3);
  EXPECT_EQ(g4->compute_profiles[2].id, 3);
  EXPECT_EQ(g4->compute_profiles[2].instance_count, 1);
  EXPECT_EQ(g4->compute_profiles[2].multiprocessors, 64);
  EXPECT_EQ(g4->FindComputeProfile(2), nullptr);  // no 3c in a 4g

  const GpuInstanceProfile* g7 = m.FindProfileById(0);
  ASSERT_NE(g7, nullptr);
  std::vector<int> indexes, counts, sms;
  for (const ComputeProfile& c : g7->compute_profiles) {
    indexes.push_back(c.index);
    counts.push_back(c.instance_count);
    sms.push_back(c.multiprocessors);
  }
  EXPECT_THAT(indexes, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(counts, ElementsAre(7, 3, 2, 1, 1));
  EXPECT_THAT(sms, ElementsAre(16, 32, 60, 64, 132));
  EXPECT_THAT(g7->compute_profiles[2].placements,
              ElementsAre(Placement{0, 3}, Placement{3, 3}));
}

}  // namespace
}  // namespace migctl::mig
