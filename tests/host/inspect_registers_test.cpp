// SPDX-License-Identifier: MIT OR Apache-2.0
// The inspector's paging context: from QEMU's CPU-state note, from the command line, and what it refuses.
#include <gtest/gtest.h>

#include <tuple>

#include "inspect/dump.hpp"
#include "inspect/registers.hpp"
#include "inspect/translator.hpp"
#include "inspect_fixtures.hpp"

namespace pagewalk::test::inspect {
namespace {

using host::inspect::Dump;
using host::inspect::RegisterOptions;
using host::inspect::resolve_context;

bool mentions(const std::vector<std::string>& notes, const std::string& text) {
    for (const auto& n : notes)
        if (n.find(text) != std::string::npos) return true;
    return false;
}

TEST(InspectRegisters, LongModeComesFromTheNoteAndEferIsDerived) {
    for (const PagingMode mode : {PagingMode::long4, PagingMode::long5}) {
        TempDir dir;
        Guest g(mode);
        ASSERT_TRUE(g.map(0x40'0000'0000, 0x20'0000, 0x1000));
        auto d = Dump::open(write_file(dir.file("core"), g.core()));
        ASSERT_TRUE(d) << d.error();
        auto r = resolve_context(*d, {});
        ASSERT_TRUE(r) << r.error();
        EXPECT_EQ(r->ctx.mode(), mode);
        EXPECT_EQ(r->ctx.root(), g.root());
        EXPECT_EQ(r->regs.efer, efer::lme | efer::lma | efer::nxe);
        EXPECT_TRUE(mentions(r->notes, "EFER is not in QEMU's dump"));
    }
}

TEST(InspectRegisters, LongModeFromElfMachineWhenCsIsNot64Bit) {
    TempDir dir;
    Guest g(PagingMode::long4);
    DumpCpuState s = g.cpu_state();
    s.cs_flags = 0x00cf9b00;  // compatibility mode: CS.L = 0, but QEMU still writes EM_X86_64
    CoreOptions o;
    o.cpu = s;
    auto d = Dump::open(write_file(dir.file("core"), host::inspect::make_core({{0, g.ram()}}, o)));
    ASSERT_TRUE(d) << d.error();
    auto r = resolve_context(*d, {});
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->ctx.mode(), PagingMode::long4);
    EXPECT_TRUE(mentions(r->notes, "EM_X86_64"));
}

TEST(InspectRegisters, LegacyModesFromAnEm386Core) {
    for (const PagingMode mode : {PagingMode::legacy32, PagingMode::pae}) {
        TempDir dir;
        Guest g(mode);
        ASSERT_TRUE(g.map(0x4000'0000, 0x20'0000, 0x1000));
        auto d = Dump::open(write_file(dir.file("core"), g.core()));
        ASSERT_TRUE(d) << d.error();
        auto r = resolve_context(*d, {});
        ASSERT_TRUE(r) << r.error();
        EXPECT_EQ(r->ctx.mode(), mode);
        EXPECT_EQ(r->regs.efer & efer::lma, 0u);
    }
}

TEST(InspectRegisters, RawImagesNeedCr3AndMode) {
    TempDir dir;
    Guest g(PagingMode::long4);
    auto d = Dump::open(write_file(dir.file("raw"), g.ram()));
    ASSERT_TRUE(d) << d.error();
    auto none = resolve_context(*d, {});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().find("--cr3"), std::string::npos);
    EXPECT_NE(none.error().find(dir.file("raw")), std::string::npos);

    RegisterOptions cr3_only;
    cr3_only.cr3 = g.root();
    auto no_mode = resolve_context(*d, cr3_only);
    ASSERT_FALSE(no_mode);
    EXPECT_NE(no_mode.error().find("--mode"), std::string::npos);

    RegisterOptions both = cr3_only;
    both.mode = PagingMode::long4;
    auto ok = resolve_context(*d, both);
    ASSERT_TRUE(ok) << ok.error();
    EXPECT_EQ(ok->ctx.mode(), PagingMode::long4);
    EXPECT_EQ(ok->ctx.root(), g.root());
}

TEST(InspectRegisters, ExplicitFlagsOverrideTheDump) {
    TempDir dir;
    Guest g(PagingMode::long4);
    auto d = Dump::open(write_file(dir.file("core"), g.core()));
    ASSERT_TRUE(d) << d.error();
    RegisterOptions o;
    o.mode = PagingMode::long5;
    o.cr3 = 0x5000;
    o.efer = efer::lme | efer::lma;  // NXE clear: XD becomes a reserved bit
    auto r = resolve_context(*d, o);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->ctx.mode(), PagingMode::long5);
    EXPECT_EQ(r->ctx.root(), 0x5000u);
    EXPECT_FALSE(r->ctx.nxe());
    EXPECT_FALSE(mentions(r->notes, "EFER is not in QEMU's dump"));
}

TEST(InspectRegisters, ImpossibleRegistersAreRejected) {
    TempDir dir;
    Guest g(PagingMode::long4);
    auto d = Dump::open(write_file(dir.file("core"), g.core()));
    ASSERT_TRUE(d) << d.error();
    RegisterOptions lma_without_pae;
    lma_without_pae.cr4 = 0;
    lma_without_pae.efer = efer::lme | efer::lma;
    auto r = resolve_context(*d, lma_without_pae);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("EFER.LMA is set but CR4.PAE is clear"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find(dir.file("core")), std::string::npos);

    RegisterOptions pg_without_pe;
    pg_without_pe.cr0 = cr0::pg;
    EXPECT_FALSE(resolve_context(*d, pg_without_pe));

    RegisterOptions wide_cr3;  // a 32-bit CR3 in PAE paging: MOV CR3 would #GP
    wide_cr3.mode = PagingMode::pae;
    wide_cr3.cr3 = std::uint64_t{1} << 32;
    auto wide = resolve_context(*d, wide_cr3);
    ASSERT_FALSE(wide);
    EXPECT_NE(wide.error().find("CR3 has bits set"), std::string::npos) << wide.error();

    // The same rule in every mode: 4/5-level CR3 bits above MAXPHYADDR (here the permissive 52) are refused too.
    for (const PagingMode m : {PagingMode::long4, PagingMode::long5}) {
        RegisterOptions high_cr3;
        high_cr3.mode = m;
        high_cr3.cr3 = 0xffff'ffff'ffff'f123ull;
        auto high = resolve_context(*d, high_cr3);
        ASSERT_FALSE(high) << to_string(m);
        EXPECT_NE(high.error().find("CR3 has bits set"), std::string::npos) << high.error();
    }

    // Registers no CPU can hold: all ones, reserved bits of CR0/CR4/EFER, NW without CD.
    RegisterOptions ones;
    ones.cr0 = ones.cr4 = ones.efer = ~std::uint64_t{0};
    auto all_ones = resolve_context(*d, ones);
    ASSERT_FALSE(all_ones);
    EXPECT_NE(all_ones.error().find("reserved bit"), std::string::npos) << all_ones.error();
    for (const auto& [cr0v, cr4v, eferv] :
         {std::tuple{cr0::pe | cr0::pg | bits::bit(32), cr4::pae, efer::lme | efer::lma},
          std::tuple{cr0::pe | cr0::pg, cr4::pae | bits::bit(40), efer::lme | efer::lma},
          std::tuple{cr0::pe | cr0::pg, cr4::pae, efer::lme | efer::lma | bits::bit(9)},
          std::tuple{cr0::pe | cr0::pg | cr0::nw, cr4::pae, efer::lme | efer::lma}}) {
        RegisterOptions o;
        o.cr0 = cr0v;
        o.cr4 = cr4v;
        o.efer = eferv;
        EXPECT_FALSE(resolve_context(*d, o)) << std::hex << cr0v << " " << cr4v << " " << eferv;
    }

    RegisterOptions cpu;
    cpu.cpu = 3;
    auto no_cpu = resolve_context(*d, cpu);
    ASSERT_FALSE(no_cpu);
    EXPECT_NE(no_cpu.error().find("no vCPU 3"), std::string::npos);
}

TEST(InspectRegisters, Cr3OutsideTheDumpIsANoteAndEveryAddressAMemoryError) {
    TempDir dir;
    Guest g(PagingMode::long4);
    auto d = Dump::open(write_file(dir.file("core"), g.core()));
    ASSERT_TRUE(d) << d.error();
    RegisterOptions o;
    o.cr3 = 0x40'0000'0000;
    auto r = resolve_context(*d, o);
    ASSERT_TRUE(r) << r.error();
    EXPECT_TRUE(mentions(r->notes, "not in the dump"));
    host::inspect::Translator t(r->ctx, *d, Access::read(), false);
    std::string out;
    t.translate(0x1000, out);
    EXPECT_EQ(out, "0x1000 -> unreadable: PML4E at 0x4000000000 is not in the dump\n");
}

TEST(InspectRegisters, PaePdptesWithQemusAccessedBitAreLoadedClean) {
    TempDir dir;
    Guest g(PagingMode::pae);
    ASSERT_TRUE(g.map(0x4000'0000, 0x20'0000, 0x1000, MapRights::rw(), {.sizes = page_4k}));
    g.poke(g.root(), 1, g.peek(g.root(), 1) | 0x20);  // what QEMU's TCG does to a PDPTE it walks through
    auto d = Dump::open(write_file(dir.file("core"), g.core()));
    ASSERT_TRUE(d) << d.error();
    auto r = resolve_context(*d, {});
    ASSERT_TRUE(r) << r.error();
    EXPECT_TRUE(r->ctx.pdptes_loaded());
    EXPECT_TRUE(mentions(r->notes, "PDPTE 1"));
    host::inspect::Translator t(r->ctx, *d, Access::read(), false);
    std::string out;
    t.translate(0x4000'0123, out);
    EXPECT_EQ(out, "0x40000123 -> 0x200123 4K srwx\n");

    RegisterOptions raw;
    raw.raw_pdptes = true;
    auto strict = resolve_context(*d, raw);
    ASSERT_TRUE(strict) << strict.error();
    EXPECT_FALSE(strict->ctx.pdptes_loaded());
    host::inspect::Translator s(strict->ctx, *d, Access::read(), false);
    out.clear();
    s.translate(0x4000'0123, out);
    EXPECT_EQ(out, "0x40000123 -> #GP(0) at the PDPTE load: reserved bits 0x20 in PDPTE 1\n");
}

}  // namespace
}  // namespace pagewalk::test::inspect
