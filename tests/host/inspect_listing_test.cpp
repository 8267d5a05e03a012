// SPDX-License-Identifier: MIT OR Apache-2.0
// `inspect maps`: the four formats, QEMU's conventions in qemu-tlb / qemu-mem, problems, hostile tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "inspect/dump.hpp"
#include "inspect/listing.hpp"
#include "inspect/registers.hpp"
#include "inspect/translator.hpp"
#include "inspect_fixtures.hpp"

namespace pagewalk::test::inspect {
namespace {

using host::inspect::Dump;
using host::inspect::ListFormat;
using host::inspect::ListOptions;

/// The listing of `g` (as a core with its CPU state) in `format`; an error becomes "error: …".
std::string listing(const Guest& g, ListFormat format, ListOptions options = {}) {
    TempDir dir;
    auto d = Dump::open(write_file(dir.file("core"), g.core()));
    if (!d) return "error: " + d.error();
    auto r = host::inspect::resolve_context(*d, {});
    if (!r) return "error: " + r.error();
    options.format = format;
    host::inspect::Output out;
    const host::inspect::DumpMemory memory(*d);
    auto stats = host::inspect::write_listing(r->ctx, memory, options, out);
    if (!stats) return out.text() + "error: " + stats.error();
    return out.text();
}

TEST(InspectListing, QemuTlbLinePerLeafWithQemusMasksAndFlags) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x1000, 0x1000, 0x1000, MapRights::rw(), {.sizes = page_4k, .global = true, .pat_index = 4}));
    ASSERT_TRUE(g.map(0x20'0000, 0x40'0000, 0x20'0000, MapRights::user_ro(), {.pat_index = 7}));  // PAT in bit 12
    ASSERT_TRUE(g.map(0x40'0000'0000, 0x8000'0000, 0x4000'0000, MapRights::rw_nx()));
    ASSERT_TRUE(g.map(0xffff'ffff'ffff'f000, 0x3000, 0x1000, MapRights::rw()));
    EXPECT_EQ(listing(g, ListFormat::qemu_tlb),
              "0000000000001000: 0000000000001000 -G------W\n"  // PAT (bit 7 of a PTE) is not 'P'
              "0000000000200000: 0000000000400000 --P--CTU-\n"  // bit 12 (PAT) masked out of the address
              "0000004000000000: 0000000080000000 X-P-----W\n"
              "fffffffffffff000: 0000000000003000 --------W\n");
}

TEST(InspectListing, QemuTlbPaeKeepsXdInTheAddressColumn) {
    Guest g(PagingMode::pae);
    ASSERT_TRUE(g.map(0x1000, 0x5000, 0x1000, MapRights::rw_nx(), {.sizes = page_4k}));
    ASSERT_TRUE(g.map(0xc000'0000, 0x20'0000, 0x20'0000, MapRights::rw_nx()));
    EXPECT_EQ(listing(g, ListFormat::qemu_tlb),
              "0000000000001000: 8000000000005000 X-------W\n"
              "00000000c0000000: 8000000000200000 X-P-----W\n");
}

TEST(InspectListing, QemuTlbLegacyShowsBits31To21OfA4MiBPage) {
    Guest g(PagingMode::legacy32);
    ASSERT_TRUE(g.map(0x40'0000, 0x3'4040'0000, 0x40'0000, MapRights::user_rw()));  // PSE-36: PA bits 39:32 = 3
    ASSERT_TRUE(g.map(0xffff'f000, 0x7000, 0x1000, MapRights::read_only()));
    EXPECT_EQ(listing(g, ListFormat::qemu_tlb),
              "0000000000400000: 0000000040400000 --P----UW\n"
              "00000000fffff000: 0000000000007000 ---------\n");
}

TEST(InspectListing, QemuMemMergesByRightsAcrossFramesAndTheCanonicalHole) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x1000, 0x9000, 0x1000, MapRights::user_rw(), {.sizes = page_4k}));
    ASSERT_TRUE(g.map(0x2000, 0x3000, 0x1000, MapRights::user_rw(), {.sizes = page_4k}));  // another frame
    ASSERT_TRUE(g.map(0x3000, 0x4000, 0x1000, {true, true, false}, {.sizes = page_4k}));   // NX: same prot
    ASSERT_TRUE(g.map(0x4000, 0x4000, 0x1000, MapRights::user_ro(), {.sizes = page_4k}));
    ASSERT_TRUE(g.map(0x7fff'ffe0'0000, 0x20'0000, 0x20'0000, MapRights::rw()));
    ASSERT_TRUE(g.map(0xffff'8000'0000'0000, 0x20'0000, 0x20'0000, MapRights::rw()));
    ASSERT_TRUE(g.map(0xffff'ffff'ffff'f000, 0x3000, 0x1000, MapRights::rw()));
    EXPECT_EQ(listing(g, ListFormat::qemu_mem),
              "0000000000001000-0000000000004000 0000000000003000 urw\n"
              "0000000000004000-0000000000005000 0000000000001000 ur-\n"
              "00007fffffe00000-ffff800000200000 0000000000400000 -rw\n"
              "fffffffffffff000-0001000000000000 0000000000001000 -rw\n");
    EXPECT_EQ(listing(g, ListFormat::ranges),
              "0x1000-0x1fff -> 0x9000-0x9fff 4K urwx\n"
              "0x2000-0x2fff -> 0x3000-0x3fff 4K urwx\n"
              "0x3000-0x3fff -> 0x4000-0x4fff 4K urw-\n"
              "0x4000-0x4fff -> 0x4000-0x4fff 4K ur-x\n"
              "0x7fffffe00000-0x7fffffffffff -> 0x200000-0x3fffff 2M srwx\n"
              "0xffff800000000000-0xffff8000001fffff -> 0x200000-0x3fffff 2M srwx\n"
              "0xfffffffffffff000-0xffffffffffffffff -> 0x3000-0x3fff 4K srwx\n");
}

TEST(InspectListing, QemuMemCombinesRightsOverLevels) {
    Guest g(PagingMode::legacy32);
    ASSERT_TRUE(g.map(0x1000, 0x1000, 0x2000, MapRights::user_rw(), {.sizes = page_4k}));
    ASSERT_TRUE(g.map(0x40'0000, 0x40'0000, 0x40'0000, MapRights::rw()));
    const std::uint64_t pde0 = g.peek(g.root(), 0);
    g.poke(g.root(), 0, pde0 & ~std::uint64_t{2});  // the PDE is read-only: both pages are
    EXPECT_EQ(listing(g, ListFormat::qemu_mem),
              "0000000000001000-0000000000003000 0000000000002000 ur-\n"
              "0000000000400000-0000000000800000 0000000000400000 -rw\n");
}

TEST(InspectListing, FiveLevelAddressesAndTheirEnd) {
    Guest g(PagingMode::long5);
    ASSERT_TRUE(g.map(0x0001'0000'0000'0000, 0x1000, 0x1000, MapRights::rw(), {.sizes = page_4k}));
    ASSERT_TRUE(g.map(0xffff'ffff'ffff'f000, 0x2000, 0x1000, MapRights::rw()));
    EXPECT_EQ(listing(g, ListFormat::qemu_tlb),
              "0001000000000000: 0000000000001000 --------W\n"
              "fffffffffffff000: 0000000000002000 --------W\n");
    EXPECT_EQ(listing(g, ListFormat::qemu_mem),
              "0001000000000000-0001000000001000 0000000000001000 -rw\n"
              "fffffffffffff000-0200000000000000 0000000000001000 -rw\n");
}

TEST(InspectListing, ReservedEntriesAreProblemsNotMappings) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x20'0000, 0x40'0000, 0x20'0000, MapRights::rw()));
    ASSERT_TRUE(g.map(0x40'0000, 0x60'0000, 0x20'0000, MapRights::rw()));
    ASSERT_TRUE(g.set_bits(0x40'0000, 2, 1u << 13));
    const std::string ranges = listing(g, ListFormat::ranges);
    EXPECT_NE(ranges.find("0x200000-0x3fffff -> 0x400000-0x5fffff 2M srwx\n"), std::string::npos) << ranges;
    EXPECT_NE(ranges.find("0x400000-0x5fffff ! reserved bits 0x2000 in PDE 0x602083 at "), std::string::npos) << ranges;
    EXPECT_EQ(listing(g, ListFormat::qemu_tlb), "0000000000200000: 0000000000400000 --P-----W\n");
    const std::string json = listing(g, ListFormat::json);
    EXPECT_NE(json.find("{\"va\":\"0x200000\",\"va_last\":\"0x3fffff\",\"pa\":\"0x400000\",\"size\":\"0x200000\","
                        "\"page_size\":\"0x200000\",\"writable\":true,\"user\":false,\"executable\":true,"
                        "\"global\":false,\"pkey\":\"0x0\"}\n"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("\"problem\":\"reserved bits\",\"level\":\"0x2\""), std::string::npos) << json;
}

TEST(InspectListing, UnreadableTablesAreProblems) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x20'0000, 0x40'0000, 0x1000, MapRights::rw()));
    const std::uint64_t pdpt = g.peek(g.root(), 0) & 0xff'ffff'f000;
    g.poke(pdpt, 1, 0x40'0000'0000 | 3);  // a PD outside the dump
    const std::string ranges = listing(g, ListFormat::ranges);
    EXPECT_NE(ranges.find("0x40000000-0x7fffffff ! the table with the PDE at 0x4000000000 is not in the dump"),
              std::string::npos)
        << ranges;
}

TEST(InspectListing, RecursiveSlotsAreFollowedAsTheCpuWould) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x1000, 0x1000, 0x1000, MapRights::rw(), {.sizes = page_4k}));
    ASSERT_TRUE(g.install_recursive(511));
    const std::string tlb = listing(g, ListFormat::qemu_tlb);
    // Slot 511 four times over: the PML4 itself is the page at 0xfffffffffffff000.
    char root_line[64];
    std::snprintf(root_line, sizeof root_line, "fffffffffffff000: %016llx --------W\n",
                  static_cast<unsigned long long>(g.root()));
    EXPECT_NE(tlb.find(root_line), std::string::npos) << tlb;
    EXPECT_NE(tlb.find("0000000000001000: 0000000000001000"), std::string::npos) << tlb;
}

TEST(InspectListing, SelfReferencingTablesExhaustTheBudgetInsteadOfHanging) {
    Guest g(PagingMode::long4);
    for (unsigned i = 0; i < 512; ++i) g.poke(g.root(), i, g.root() | 0x3);
    ListOptions o;
    o.max_entries = 1u << 16;
    const std::string out = listing(g, ListFormat::qemu_mem, o);
    EXPECT_EQ(out,
              "error: gave up after reading 65536 entries (--max-entries), before writing anything: the tables "
              "reference themselves too often to list");
}

TEST(InspectListing, RangeAndPagingDisabled) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x1000, 0x1000, 0x3000, MapRights::rw(), {.sizes = page_4k}));
    ListOptions o;
    o.range = *host::inspect::parse_range("0x2000-0x2fff");
    EXPECT_EQ(listing(g, ListFormat::qemu_tlb, o), "0000000000002000: 0000000000002000 --------W\n");
    EXPECT_FALSE(host::inspect::parse_range("0x3000-0x2000"));
    EXPECT_FALSE(host::inspect::parse_range("0x3000"));

    TempDir dir;
    auto d = Dump::open(write_file(dir.file("raw"), g.ram()));
    ASSERT_TRUE(d);
    host::inspect::RegisterOptions regs;
    regs.cr3 = 0;
    regs.cr0 = 1;  // PE only
    auto r = host::inspect::resolve_context(*d, regs);
    ASSERT_TRUE(r) << r.error();
    host::inspect::Output out;
    const host::inspect::DumpMemory memory(*d);
    ASSERT_TRUE(host::inspect::write_listing(r->ctx, memory, {ListFormat::qemu_mem}, out));
    EXPECT_EQ(out.text(), "PG disabled\n");
}

}  // namespace
}  // namespace pagewalk::test::inspect

namespace pagewalk::test::inspect {
namespace {

// Page tables of random bytes, with holes in the dump: every listing ends (a result or the budget error) and every
// address gets an answer; the sanitizer build checks that nothing reads out of bounds.
TEST(InspectListing, RandomTablesNeverCrashOrHang) {
    std::mt19937_64 rng(99);
    for (const PagingMode mode : {PagingMode::legacy32, PagingMode::pae, PagingMode::long4, PagingMode::long5}) {
        std::vector<std::uint8_t> ram(2 * MiB);
        for (auto& b : ram) b = static_cast<std::uint8_t>(rng());
        // Keep the addresses small so that many entries point inside the dump: mask each 8-byte word to 2 MiB,
        // keep the flag bits random.
        for (std::size_t i = 0; i + 8 <= ram.size(); i += 8) {
            std::uint64_t e;
            std::memcpy(&e, ram.data() + i, 8);
            e = (e & 0x8000'0000'0000'0fffull) | (e & 0x1f'f000);
            std::memcpy(ram.data() + i, &e, 8);
        }
        TempDir dir;
        CoreOptions o;
        const auto core = host::inspect::make_core(
            {{0, {ram.begin(), ram.begin() + 0x80000}}, {0x100000, {ram.begin() + 0x100000, ram.end()}}}, o);
        auto d = Dump::open(write_file(dir.file("core"), core));
        ASSERT_TRUE(d) << d.error();
        host::inspect::RegisterOptions regs;
        regs.mode = mode;
        regs.cr3 = 0x100000 + (rng() % 0x100) * 0x1000;
        auto r = host::inspect::resolve_context(*d, regs);
        ASSERT_TRUE(r) << r.error();
        const host::inspect::DumpMemory memory(*d);
        for (const ListFormat f : {ListFormat::ranges, ListFormat::qemu_tlb, ListFormat::qemu_mem}) {
            host::inspect::Output out;
            ListOptions options;
            options.format = f;
            options.max_entries = 1u << 20;
            const auto stats = host::inspect::write_listing(r->ctx, memory, options, out);
            if (!stats) {
                EXPECT_NE(stats.error().find("gave up"), std::string::npos) << stats.error();
            }
        }
        host::inspect::Translator t(r->ctx, *d, Access::read(), false);
        std::string out;
        for (int i = 0; i < 2000; ++i) t.translate(rng(), out);
        EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2000);
    }
}

}  // namespace
}  // namespace pagewalk::test::inspect
