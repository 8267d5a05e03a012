// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix --emit-scenarios (host/matrix/scenario_of_class.hpp, emit_scenarios.hpp): a class's first example
// becomes a scenario that the real parser and compiler accept, whose program has the example's control state, makes
// every entry the walk read exactly the example's (flags, reserved bits, keys — over the scenario's own addresses)
// and makes the example's access with expect = "model"; files get unique, deterministic names and are never
// overwritten with other content.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/program.hpp>

#include "matrix/emit_scenarios.hpp"
#include "matrix/scenario_of_class.hpp"
#include "matrix_stream.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

namespace pagewalk::test {
namespace {

namespace h = harness;
using host::matrix::ClassInRow;
using host::matrix::ClassScenario;

/// A CPU with every feature the matrix uses, MAXPHYADDR 40 (or `maxphyaddr`), AMD (so bit 8 of a PML4E/PML5E is
/// reserved).
CpuFeatures full_cpu(std::uint8_t maxphyaddr = 40) {
    CpuFeatures c;
    c.nx = c.smep = c.smap = c.pku = c.la57 = c.page1gb = c.pse = c.pse36 = c.pge = c.pat = true;
    c.maxphyaddr = maxphyaddr;
    c.vendor = Vendor::amd;
    return c;
}

/// Where the guest's batch layout would put a combination: its own top-level entry above the identity map, tables
/// in low memory, the page at 1 GiB (aligned to every page size), the qword at offset 0x5f8 of the page.
hm::Layout guest_like_layout(PagingMode mode, unsigned leaf_level) {
    const ModeShape s = shape(mode);
    hm::Layout l;
    for (unsigned level = 1; level <= s.levels; ++level) l.table_pa[level] = 0x30'0000 + level * 0x1000;
    l.page_pa = 0x4000'0000;
    const std::uint64_t top_index = mode == PagingMode::legacy32 ? 300 : mode == PagingMode::pae ? 2 : 1;
    const std::uint64_t offset = (l.page_pa + 0x5f8) & (s.at(leaf_level).span() - 1);
    l.va = s.canonical((top_index << s.at(s.levels).shift) | offset);
    return l;
}

/// Calls `visit` with the case records an honest guest sends for legal combinations of `mode` that apply on `cpu`:
/// block by block (every `state_step`-th control state), every `reserved_step`-th index of a reserved segment and
/// every `rights_step`-th of a rights segment, until `visit` returns false.
void for_each_case(PagingMode mode, const CpuFeatures& cpu, std::uint64_t state_step, std::uint64_t reserved_step,
                   std::uint64_t rights_step,
                   const std::function<bool(const hm::Combination&, const SyntheticCase&)>& visit,
                   hm::Space space = hm::Space::standard) {
    const hm::Matrix m(mode, space);
    const hm::BlockLayout& block = m.block();
    for (std::uint64_t state = 0; state < m.states(); state += state_step) {
        std::uint64_t first = state * block.size;
        for (unsigned seg = 0; seg < block.count; first += block.segment[seg++].size) {
            const bool reserved = block.segment[seg].family == hm::Family::reserved;
            const std::uint64_t step = reserved ? reserved_step : rights_step;
            for (std::uint64_t i = first + state % step; i < first + block.segment[seg].size; i += step) {
                const hm::Combination c = m.decode(i);
                if (hm::legality(m, c) != hm::Rule::legal) continue;
                const hm::Layout layout = guest_like_layout(mode, c.leaf_level);
                const unsigned top = shape(mode).levels;
                const Context ctx = Context::from_registers(hm::control_registers(c, layout.table_pa[top]), cpu);
                const host::matrix::HostWalk w = host::matrix::host_walk(c, ctx, cpu, layout);
                if (w.inputs.status != hm::Applicability::applies) continue;
                if (!visit(c, honest_case(i, c, ctx, w, layout, 0))) return;
            }
        }
    }
}

/// The first case of `mode` on `cpu` whose combination satisfies `want`.
SyntheticCase find_case(PagingMode mode, const CpuFeatures& cpu,
                        const std::function<bool(const hm::Combination&)>& want,
                        hm::Space space = hm::Space::standard) {
    std::optional<SyntheticCase> found;
    for_each_case(
        mode, cpu, 1, 1, 7919,
        [&](const hm::Combination& c, const SyntheticCase& sc) {
            if (want(c)) found = sc;
            return !found;
        },
        space);
    if (!found) ADD_FAILURE() << "no such combination in " << to_string(mode);
    return found.value_or(SyntheticCase{});
}

/// The class of mismatches `sc` would be the first example of if the CPU had cleared P in the error code of a
/// predicted #PF (or faulted with #PF 0x0 where the walker predicts no fault).
ClassInRow class_of(const SyntheticCase& sc, PagingMode mode, const CpuFeatures& cpu, const char* deviation) {
    ClassInRow c;
    c.mode = mode;
    c.cpu = cpu;
    c.backend = "qemu";
    c.backend_version = "QEMU emulator version 7.2.22";
    c.qemu_cpu = "max";
    c.count = 3;
    c.example.report = sc.c;
    c.example.access = sc.a;
    c.example.deviation = deviation;
    h::MatrixClassRecord& k = c.example.cls;
    k.count = 3;
    k.examples = 1;
    k.mismatch = hm::mismatch::error_code;
    k.outcome_class = sc.c.outcome_class;
    k.predicted_kind = sc.a.prediction.kind;
    k.predicted_error = sc.a.prediction.error_code;
    k.outcome = 1;
    k.vector = vector::page_fault;
    k.error_code = sc.a.prediction.error_code & ~std::uint64_t{pf::p};
    k.kind = sc.a.kind;
    k.cpl = sc.a.cpl;
    k.access_flags = sc.a.access_flags;
    k.leaf_level = sc.c.leaf_level;
    return c;
}

/// The address the scenario's own mapper puts in the entry of `level` (below 4 GiB, aligned to the page).
std::uint64_t mapper_address(PagingMode mode, unsigned level, bool leaf) {
    const std::uint64_t pa = !leaf ? 0x0012'3000 : shape(mode).at(level).span() >= (1ull << 30) ? 0 : 0x0200'0000;
    return leaf && mode == PagingMode::legacy32 && level == 2 ? Pde4M{}.set_address(pa).raw() : pa;
}

/// Every bit of an entry of `level` outside the page's (or next table's) address: whatever the mapper wrote there
/// (flags, keys, ignored bits), the edits must leave the matrix's value.
std::uint64_t beside_address(PagingMode mode, unsigned level, bool leaf) {
    const unsigned low = leaf ? shape(mode).at(level).shift : 12;
    const unsigned high = shape(mode).entry_bytes == 4 ? 32 : 52;
    const std::uint64_t width = shape(mode).entry_bytes == 4 ? 0xffff'ffffull : ~std::uint64_t{0};
    return width & ~bits::mask(high - 1, low);
}

/// Compiles the emitted scenario with the real parser and compiler and checks its program against the case.
void expect_program_is_the_case(const ClassInRow& row) {
    const ClassScenario out = host::matrix::scenario_of_class(row);
    SCOPED_TRACE(out.text);
    EXPECT_TRUE(out.unexpressed.empty()) << out.unexpressed.front();
    auto parsed = host::scenario::parse_scenario_text(out.text, out.stem + ".toml");
    ASSERT_TRUE(parsed.ok()) << parsed.errors.front().to_string();
    const host::scenario::CompileResult compiled = host::scenario::compile(parsed.scenario, row.mode);
    ASSERT_TRUE(compiled.ok()) << compiled.errors.front().to_string();
    const std::uint8_t* bytes = compiled.program.bytes.data();
    const h::ProgramHeader& header = h::program_header(bytes);
    const h::Step* steps = h::program_steps(bytes);

    const h::MatrixCaseRecord& r = row.example.report;
    const h::AccessRecord& a = row.example.access;
    const hm::Combination comb = hm::Matrix(row.mode, row.space).decode(r.index);
    // The control state.
    const hm::Controls& k = comb.controls;
    EXPECT_EQ((header.controls & h::control::wp) != 0, k.wp);
    EXPECT_EQ((header.controls & h::control::smep) != 0, k.smep);
    EXPECT_EQ((header.controls & h::control::smap) != 0, k.smap);
    EXPECT_EQ((header.controls & h::control::pke) != 0, k.pke);
    EXPECT_EQ(header.controls & h::control::pge, 0u);
    if (row.mode == PagingMode::legacy32) {
        EXPECT_EQ((header.controls & h::control::pse) != 0, k.pse);
    } else {
        EXPECT_EQ((header.controls & h::control::nxe) != 0, k.nxe);
    }
    if (k.pke) {
        EXPECT_EQ(header.pkru, hm::pkru_value(comb));
    }

    // The map step: one page of the leaf's size over the example's leaf-aligned address.
    const std::uint64_t leaf_size = shape(row.mode).at(comb.leaf_level).span();
    const h::Step* map = nullptr;
    const h::Step* access = nullptr;
    for (std::uint32_t i = 0; i < header.step_count; ++i) {
        if (steps[i].op == static_cast<std::uint16_t>(h::StepOp::map)) map = &steps[i];
        if (steps[i].op == static_cast<std::uint16_t>(h::StepOp::access)) access = &steps[i];
    }
    ASSERT_NE(map, nullptr);
    EXPECT_EQ(map->a, leaf_size);
    EXPECT_EQ(map->va, r.va & ~(leaf_size - 1));

    // Every entry of the walk, after the map and the edits, is the example's (as the matrix wrote it: the entries
    // the access read are its chain) with the scenario's address.
    const unsigned top = shape(row.mode).levels;
    hm::Layout layout;
    std::copy(std::begin(r.table_pa), std::end(r.table_pa), layout.table_pa);
    layout.page_pa = r.page_pa;
    layout.va = r.va;
    const hm::WalkerInputs inputs = hm::walker_inputs(comb, row.cpu, layout);
    for (unsigned n = 0; n < a.chain_count; ++n) EXPECT_EQ(a.chain_before[n], inputs.entry[top - n]);
    for (unsigned level = top; level >= comb.leaf_level; --level) {
        const bool leaf = level == comb.leaf_level;
        std::uint64_t matrix_address = leaf ? r.page_pa : r.table_pa[level - 1];
        if (leaf && row.mode == PagingMode::legacy32 && level == 2)
            matrix_address = Pde4M{}.set_address(r.page_pa).raw();
        const std::uint64_t scenario_address = mapper_address(row.mode, level, leaf);
        // The mapper's entry with none and with all of the other bits set: the edits alone decide them.
        for (const std::uint64_t junk : {std::uint64_t{0}, beside_address(row.mode, level, leaf)}) {
            std::uint64_t entry = scenario_address | junk;
            unsigned edits = 0;
            for (std::uint32_t i = 0; i < header.step_count; ++i) {
                const h::Step& st = steps[i];
                if (st.op != static_cast<std::uint16_t>(h::StepOp::edit_entry) || st.level != level) continue;
                ++edits;
                entry = (entry & ~st.b) | st.a;
                if ((st.flags & h::step_flag::maxphyaddr_bit) != 0) entry |= std::uint64_t{1} << row.cpu.maxphyaddr;
            }
            EXPECT_EQ(edits, 1u) << "level " << level;
            EXPECT_EQ(entry, (inputs.entry[level] & ~matrix_address) | scenario_address)
                << "level " << level << ", mapper bits " << std::hex << junk << ": the example's entry "
                << inputs.entry[level];
        }
    }

    // The access, judged by the walker.
    ASSERT_NE(access, nullptr);
    EXPECT_EQ(access->access, a.kind);
    EXPECT_EQ(access->cpl, a.cpl);
    EXPECT_EQ(access->access_flags, a.access_flags);
    EXPECT_EQ(access->va & ~(leaf_size - 1), r.va & ~(leaf_size - 1));
    EXPECT_EQ(access->expect.kind, static_cast<std::uint8_t>(h::ExpectKind::model));
}

bool reserved_at(const hm::Combination& c, hm::ReservedClass cls, unsigned level) {
    return c.family == hm::Family::reserved && c.holder_present &&
           ((c.reserved[0].cls == cls && c.reserved[0].level == level) ||
            (c.reserved[1].cls == cls && c.reserved[1].level == level));
}

TEST(MatrixEmitScenarios, ReservedAddressBitInAPml4eUsesMaxphyaddr) {
    const CpuFeatures cpu = full_cpu();
    const SyntheticCase sc = find_case(PagingMode::long4, cpu, [](const hm::Combination& c) {
        return reserved_at(c, hm::ReservedClass::physical_address, 4) && c.access.type == AccessType::write;
    });
    const ClassInRow row = class_of(sc, PagingMode::long4, cpu, "qemu-rsvd-without-p");
    expect_program_is_the_case(row);
    const ClassScenario s = host::matrix::scenario_of_class(row);
    EXPECT_NE(s.text.find("\"MAXPHYADDR\""), std::string::npos);
    EXPECT_EQ(s.stem.rfind("matrix-qemu-rsvd-without-p-4level-qemu-write-cpl", 0), 0u) << s.stem;
    EXPECT_NE(s.text.find("qemu_cpu = 'max'"), std::string::npos);
    EXPECT_NE(s.text.find("index " + std::to_string(sc.c.index)), std::string::npos);
}

TEST(MatrixEmitScenarios, ProtectionKeysAndAOneGibLeaf) {
    const CpuFeatures cpu = full_cpu();
    const SyntheticCase sc = find_case(PagingMode::long4, cpu, [](const hm::Combination& c) {
        return c.leaf_level == 3 && c.controls.pke && c.leaf_key != 0 && c.table_key != 0 && c.controls.pkru_wd &&
               c.access.type == AccessType::fetch;
    });
    const ClassInRow row = class_of(sc, PagingMode::long4, cpu, "");
    expect_program_is_the_case(row);
    // A class no known deviation explains says so, in its name and its comments.
    const ClassScenario s = host::matrix::scenario_of_class(row);
    EXPECT_EQ(s.stem.rfind("matrix-unexplained-4level-qemu-fetch-cpl", 0), 0u) << s.stem;
    EXPECT_NE(s.text.find("no known deviation explains it"), std::string::npos);
}

TEST(MatrixEmitScenarios, ImplicitAccessWithAcAtCpl3) {
    const CpuFeatures cpu = full_cpu();
    const SyntheticCase sc = find_case(PagingMode::long5, cpu, [](const hm::Combination& c) {
        return c.access.implicit && c.access.ac && c.controls.smap && c.leaf_level == 2;
    });
    expect_program_is_the_case(class_of(sc, PagingMode::long5, cpu, "qemu-smap-implicit-ac"));
    EXPECT_NE(host::matrix::scenario_of_class(class_of(sc, PagingMode::long5, cpu, "")).text.find("op = \"implicit\""),
              std::string::npos);
}

TEST(MatrixEmitScenarios, AmdBit8InAPml5e) {
    const CpuFeatures cpu = full_cpu();
    expect_program_is_the_case(
        class_of(find_case(PagingMode::long5, cpu,
                           [](const hm::Combination& c) { return reserved_at(c, hm::ReservedClass::amd_bit8, 5); }),
                 PagingMode::long5, cpu, "qemu-amd-pml4e-bit8"));
}

TEST(MatrixEmitScenarios, FourMibPageWithPse36BitsIn32BitPaging) {
    const CpuFeatures cpu = full_cpu(36);  // PSE-36 bits 20:17 (PA 39:36) reserved
    expect_program_is_the_case(class_of(find_case(PagingMode::legacy32, cpu,
                                                  [](const hm::Combination& c) {
                                                      return reserved_at(c, hm::ReservedClass::physical_address, 2) &&
                                                             c.leaf_level == 2;
                                                  }),
                                        PagingMode::legacy32, cpu, "qemu-pse36-above-maxphyaddr"));
}

TEST(MatrixEmitScenarios, PaePdpteReservedBitIsJudgedAtTheLoad) {
    const CpuFeatures cpu = full_cpu();
    const SyntheticCase sc = find_case(PagingMode::pae, cpu, [](const hm::Combination& c) {
        return reserved_at(c, hm::ReservedClass::pdpte_middle, 3);
    });
    const ClassInRow row = class_of(sc, PagingMode::pae, cpu, "qemu-pae-pdpte-no-gp");
    expect_program_is_the_case(row);
    const std::string text = host::matrix::scenario_of_class(row).text;
    EXPECT_NE(text.find("op = \"reload_cr3\"\nexpect = \"model\""), std::string::npos) << text;
}

TEST(MatrixEmitScenarios, TwoMibAlignmentBit) {
    const CpuFeatures cpu = full_cpu();
    expect_program_is_the_case(class_of(
        find_case(PagingMode::long4, cpu,
                  [](const hm::Combination& c) { return reserved_at(c, hm::ReservedClass::alignment_low, 2); }),
        PagingMode::long4, cpu, "qemu-rsvd-without-p"));
}

/// The full space (--full): every table level's flags of its own, decoded with the row's space.
TEST(MatrixEmitScenarios, FullSpaceTableLevelsOfTheirOwn) {
    const CpuFeatures cpu = full_cpu();
    const SyntheticCase sc = find_case(
        PagingMode::long5, cpu,
        [](const hm::Combination& c) {
            return c.leaf_level == 1 && c.flags[5] != c.flags[4] && c.flags[4] != c.flags[3] &&
                   (c.flags[5] & entry_bit::present) != 0 && (c.flags[4] & entry_bit::present) != 0 &&
                   (c.flags[3] & entry_bit::present) != 0;
        },
        hm::Space::full);
    ClassInRow row = class_of(sc, PagingMode::long5, cpu, "");
    row.space = hm::Space::full;
    expect_program_is_the_case(row);
    EXPECT_NE(host::matrix::scenario_of_class(row).text.find("full space"), std::string::npos);
}

TEST(MatrixEmitScenarios, EveryKindOfCaseCompilesToItsProgram) {
    // Every mode, 8 control states, every 13th (4/5-level: 41st) reserved case (placements and accesses in turn) and a
    // sample of the rights cases: nothing the scenario language cannot say, and the compiled program is the case. Stops
    // at the first case that is not.
    for (PagingMode mode : {PagingMode::legacy32, PagingMode::pae, PagingMode::long4, PagingMode::long5}) {
        const CpuFeatures cpu = full_cpu(mode == PagingMode::legacy32 ? 36 : 40);
        unsigned checked = 0;
        const hm::Matrix m(mode, hm::Space::standard);
        const std::uint64_t state_step = std::max<std::uint64_t>(1, m.states() / 8);
        const std::uint64_t rights_step = m.block().size / 100 + 1;
        const std::uint64_t reserved_step = m.block().size > 1'000'000 ? 41 : 13;  // 4/5-level blocks are large
        for_each_case(mode, cpu, state_step, reserved_step, rights_step,
                      [&](const hm::Combination&, const SyntheticCase& sc) {
                          expect_program_is_the_case(class_of(sc, mode, cpu, ""));
                          ++checked;
                          return !::testing::Test::HasFailure();
                      });
        ASSERT_GT(checked, 100u) << to_string(mode);
        std::printf("%s: %u cases\n", to_string(mode), checked);
    }
}

/// A private directory under the system's temporary directory, removed with everything in it.
struct TempDir {
    std::string path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "pagewalk-emit-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
};

TEST(MatrixEmitScenarios, FilesAreUniqueAndNeverOverwrittenWithOtherContent) {
    const CpuFeatures cpu = full_cpu();
    const SyntheticCase sc = find_case(PagingMode::long4, cpu, [](const hm::Combination& c) {
        return reserved_at(c, hm::ReservedClass::physical_address, 4);
    });
    // Two classes of one signature (they differ in the outcome class only): two names.
    std::vector<ClassInRow> classes = {class_of(sc, PagingMode::long4, cpu, "qemu-rsvd-without-p"),
                                       class_of(sc, PagingMode::long4, cpu, "qemu-rsvd-without-p")};
    classes[1].example.cls.outcome_class ^= 1;
    const std::vector<ClassScenario> scenarios = host::matrix::scenarios_of_classes(classes);
    ASSERT_EQ(scenarios.size(), 2u);
    EXPECT_EQ(scenarios[1].stem, scenarios[0].stem + "-2");
    EXPECT_NE(scenarios[1].text.find("name = '" + scenarios[1].stem + "'"), std::string::npos);

    const TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    const std::string sub = dir.path + "/new/scenarios";
    ASSERT_TRUE(host::matrix::prepare_scenario_dir(sub));
    auto first = host::matrix::write_scenarios(sub, classes, scenarios);
    EXPECT_TRUE(first.ok) << first.text;
    EXPECT_NE(first.text.find("2 files written, 0 unchanged"), std::string::npos) << first.text;
    auto again = host::matrix::write_scenarios(sub, classes, scenarios);
    EXPECT_TRUE(again.ok) << again.text;
    EXPECT_NE(again.text.find("0 files written, 2 unchanged"), std::string::npos) << again.text;
    const std::string path = sub + "/" + scenarios[0].stem + ".toml";
    std::ofstream(path) << "# edited by hand\n";
    auto clash = host::matrix::write_scenarios(sub, classes, scenarios);
    EXPECT_FALSE(clash.ok);
    EXPECT_NE(clash.text.find("NOT WRITTEN (the file exists with other content)"), std::string::npos) << clash.text;
    std::ifstream in(path);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "# edited by hand\n");
    // A directory that cannot be made: a clear error naming it.
    const auto bad = host::matrix::prepare_scenario_dir(path + "/sub");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find(path + "/sub"), std::string::npos) << bad.error();
}

}  // namespace
}  // namespace pagewalk::test
