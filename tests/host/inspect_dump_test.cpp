// SPDX-License-Identifier: MIT OR Apache-2.0
// The inspector's dump reader: format detection, bounds, and every way an ELF core can be broken.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "inspect/dump.hpp"
#include "inspect/dump_memory.hpp"
#include "inspect_fixtures.hpp"

namespace pagewalk::test::inspect {
namespace {

using host::inspect::Dump;
using host::inspect::DumpFormat;
using host::inspect::DumpFormatChoice;

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
    return v;
}

template <class T>
void put(std::vector<std::uint8_t>& v, std::size_t at, T value) {
    std::memcpy(v.data() + at, &value, sizeof value);
}

/// A core of two segments, [0x1000, 0x3000) and [0x10000, 0x11000), with a QEMU note.
std::vector<std::uint8_t> two_segment_core(bool elf64 = true) {
    CoreOptions o;
    o.elf64 = elf64;
    DumpCpuState s;
    s.version = 1;
    s.cr[0] = 0x80010011;
    s.cr[3] = 0x1000;
    s.cr[4] = 0x20;
    s.cs_flags = 0x00af9b00;
    o.cpu = s;
    return host::inspect::make_core({{0x1000, pattern(0x2000, 1)}, {0x10000, pattern(0x1000, 2)}}, o);
}

Expected<Dump> open_bytes(const TempDir& dir, const std::vector<std::uint8_t>& bytes,
                          DumpFormatChoice choice = DumpFormatChoice::automatic) {
    return Dump::open(write_file(dir.file("dump"), bytes), choice);
}

TEST(InspectDump, RawImageIsFlatPhysicalMemory) {
    TempDir dir;
    const auto bytes = pattern(0x3000, 5);
    auto d = open_bytes(dir, bytes);
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ(d->format(), DumpFormat::raw);
    EXPECT_TRUE(d->cpus().empty());
    std::uint64_t v = 0;
    ASSERT_TRUE(d->read(0x2ff8, &v, 8));
    std::uint64_t expected = 0;
    std::memcpy(&expected, bytes.data() + 0x2ff8, 8);
    EXPECT_EQ(v, expected);
    EXPECT_FALSE(d->read(0x2ffc, &v, 8)) << "a read running past the end fails";
    EXPECT_FALSE(d->read(~std::uint64_t{0} - 3, &v, 8));
}

TEST(InspectDump, AFileTruncatedWhileMappedGivesMemoryErrorsNotSigbus) {
    // 4-level tables at 8 MiB map 0x400000000 → 0x100000; the file then shrinks to 1 MiB + 4 KiB under the
    // mapping (another process truncates it): entries past the new end are unreadable, the rest still reads.
    TempDir dir;
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x4'0000'0000, 0x100000, 0x1000));
    auto d = Dump::open(write_file(dir.file("dump"), g.ram()));
    ASSERT_TRUE(d) << d.error();
    host::inspect::DumpMemory mem(*d);
    EXPECT_TRUE(translate(g.ctx(), mem, 0x4'0000'0000, Access::read()).mapping());
    ASSERT_EQ(::truncate(dir.file("dump").c_str(), 0x101000), 0);
    const TranslateResult after = translate(g.ctx(), mem, 0x4'0000'0000, Access::read());
    ASSERT_TRUE(after.memory_error());
    EXPECT_EQ(after.memory_error()->pa, g.ctx().registers().cr3 & ~0xfffull);
    std::uint64_t v = 0;
    EXPECT_FALSE(d->read(0x200000, &v, 8));
    EXPECT_FALSE(d->read(0x100ffc, &v, 8)) << "half of it is past the new end";
    EXPECT_TRUE(d->read(0x100ff8, &v, 8));
}

TEST(InspectDump, ElfGapsAreUnreadableNotZero) {
    TempDir dir;
    auto d = open_bytes(dir, two_segment_core());
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ(d->format(), DumpFormat::elf_core);
    ASSERT_EQ(d->segments().size(), 2u);
    EXPECT_EQ(d->memory_bytes(), 0x3000u);
    std::uint8_t b = 0;
    EXPECT_TRUE(d->read(0x1000, &b, 1));
    EXPECT_EQ(b, 1);
    EXPECT_FALSE(d->read(0x0, &b, 1));
    EXPECT_FALSE(d->read(0x3000, &b, 1));
    EXPECT_FALSE(d->read(0xffff, &b, 1));
    EXPECT_TRUE(d->read(0x10fff, &b, 1));
    EXPECT_FALSE(d->read(0x11000, &b, 1));
    std::uint64_t v = 0;
    EXPECT_FALSE(d->read(0x2ffc, &v, 8)) << "a read running from a segment into a gap fails";
    host::inspect::DumpMemory mem(*d);
    EXPECT_FALSE(mem.read_entry({0x3000, 0, 0, 1, 8}, v));
    EXPECT_TRUE(mem.read_entry({0x10000, 0, 1, 1, 8}, v));
}

TEST(InspectDump, ElfReadsSpanAdjacentSegments) {
    TempDir dir;
    CoreOptions o;
    auto bytes = host::inspect::make_core({{0x1000, pattern(0x1000, 1)}, {0x2000, pattern(0x1000, 9)}}, o);
    auto d = open_bytes(dir, bytes);
    ASSERT_TRUE(d) << d.error();
    std::uint64_t v = 0;
    EXPECT_TRUE(d->read(0x1ffc, &v, 8));
    host::inspect::DumpMemory mem(*d);
    EXPECT_TRUE(mem.read_entry({0x1ffc, 0, 0, 1, 8}, v)) << "an entry straddling two adjacent segments";
}

TEST(InspectDump, QemuNoteGivesTheControlRegisters) {
    for (const bool elf64 : {true, false}) {
        TempDir dir;
        auto d = open_bytes(dir, two_segment_core(elf64));
        ASSERT_TRUE(d) << d.error();
        ASSERT_EQ(d->cpus().size(), 1u);
        EXPECT_EQ(d->cpus()[0].cr[0], 0x80010011u);
        EXPECT_EQ(d->cpus()[0].cr[3], 0x1000u);
        EXPECT_EQ(d->cpus()[0].cr[4], 0x20u);
        EXPECT_TRUE(d->cpus()[0].cs_long());
        EXPECT_TRUE(d->elf_says_long_mode());
    }
}

TEST(InspectDump, ErrorsNameTheFileAndTheProblem) {
    TempDir dir;
    auto missing = Dump::open(dir.file("nope"));
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find(dir.file("nope")), std::string::npos);
    EXPECT_NE(missing.error().find("cannot open"), std::string::npos);

    auto empty = open_bytes(dir, {});
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().find("empty"), std::string::npos);

    auto directory = Dump::open(dir.file(""));
    EXPECT_FALSE(directory);
}

struct Corruption {
    const char* what;
    void (*apply)(std::vector<std::uint8_t>&);
    const char* message;  // expected in the error
};

TEST(InspectDump, BrokenHeadersAreErrors) {
    const Corruption cases[] = {
        {"truncated header", [](auto& v) { v.resize(40); }, "truncated ELF header"},
        {"bad class", [](auto& v) { v[4] = 7; }, "bad ELF class"},
        {"big endian", [](auto& v) { v[5] = 2; }, "little-endian"},
        {"not a core", [](auto& v) { put<std::uint16_t>(v, 16, 2); }, "not a core dump"},
        {"not x86", [](auto& v) { put<std::uint16_t>(v, 18, 183); }, "not an x86 core"},
        {"small phentsize", [](auto& v) { put<std::uint16_t>(v, 54, 20); }, "e_phentsize"},
        {"no program headers", [](auto& v) { put<std::uint16_t>(v, 56, 0); }, "no program headers"},
        {"phoff past the end", [](auto& v) { put<std::uint64_t>(v, 32, 1ull << 40); }, "past the end"},
        {"too many headers", [](auto& v) { put<std::uint16_t>(v, 56, 60000); }, "past the end"},
        {"PN_XNUM without sections", [](auto& v) { put<std::uint16_t>(v, 56, 0xffff); }, "PN_XNUM"},
        {"truncated in the headers", [](auto& v) { v.resize(64 + 56 + 20); }, "past the end"},
        {"paddr wraps",
         [](auto& v) {
             put<std::uint64_t>(v, 64 + 56 + 24, ~std::uint64_t{0} - 0x10);  // second header: first PT_LOAD
         },
         "wraps"},
        {"overlapping segments",
         [](auto& v) { put<std::uint64_t>(v, 64 + 2 * 56 + 24, 0x2000); },  // second PT_LOAD into the first
         "overlap"},
    };
    for (const Corruption& c : cases) {
        TempDir dir;
        auto bytes = two_segment_core();
        c.apply(bytes);
        auto d = open_bytes(dir, bytes);
        ASSERT_FALSE(d) << c.what;
        EXPECT_NE(d.error().find(c.message), std::string::npos) << c.what << ": " << d.error();
        EXPECT_NE(d.error().find(dir.file("dump")), std::string::npos) << c.what;
    }
}

TEST(InspectDump, TruncatedSegmentsAreClippedWithAWarning) {
    TempDir dir;
    auto bytes = two_segment_core();
    bytes.resize(bytes.size() - 0x800);  // half of the second segment is gone
    auto d = open_bytes(dir, bytes);
    ASSERT_TRUE(d) << d.error();
    ASSERT_EQ(d->warnings().size(), 1u);
    EXPECT_NE(d->warnings()[0].find("truncated"), std::string::npos);
    std::uint8_t b = 0;
    EXPECT_TRUE(d->read(0x107ff, &b, 1));
    EXPECT_FALSE(d->read(0x10800, &b, 1));

    bytes.resize(bytes.size() - 0x800 - 0x100);  // the second segment starts past the end of the file
    auto gone = open_bytes(dir, bytes);
    ASSERT_TRUE(gone) << gone.error();
    EXPECT_EQ(gone->segments().size(), 1u);
    EXPECT_FALSE(gone->warnings().empty());
}

TEST(InspectDump, BadNotesAreWarningsNotErrors) {
    TempDir dir;
    auto bytes = two_segment_core();
    const std::size_t note = 64 + 3 * 56;  // the note follows the three program headers
    auto descsz = bytes;
    put<std::uint32_t>(descsz, note + 4, 0x7fffffff);
    auto d = open_bytes(dir, descsz);
    ASSERT_TRUE(d) << d.error();
    EXPECT_TRUE(d->cpus().empty());
    ASSERT_FALSE(d->warnings().empty());
    EXPECT_NE(d->warnings()[0].find("runs past"), std::string::npos);

    auto version = bytes;
    put<std::uint32_t>(version, note + 20, 2);
    auto v = open_bytes(dir, version);
    ASSERT_TRUE(v) << v.error();
    EXPECT_TRUE(v->cpus().empty());
    ASSERT_FALSE(v->warnings().empty());
    EXPECT_NE(v->warnings()[0].find("version 2"), std::string::npos);
}

TEST(InspectDump, PnXnumTakesTheCountFromSectionHeaderZero) {
    TempDir dir;
    auto bytes = two_segment_core();
    const std::uint64_t shoff = bytes.size();
    bytes.resize(bytes.size() + 64, 0);
    put<std::uint64_t>(bytes, 40, shoff);
    put<std::uint16_t>(bytes, 58, 64);
    put<std::uint16_t>(bytes, 60, 1);
    put<std::uint16_t>(bytes, 56, 0xffff);
    put<std::uint32_t>(bytes, shoff + 44, 3);
    auto d = open_bytes(dir, bytes);
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ(d->segments().size(), 2u);
    EXPECT_EQ(d->cpus().size(), 1u);
}

TEST(InspectDump, FormatCanBeForced) {
    TempDir dir;
    auto d = open_bytes(dir, two_segment_core(), DumpFormatChoice::raw);
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ(d->format(), DumpFormat::raw);
    auto e = open_bytes(dir, pattern(0x1000, 3), DumpFormatChoice::elf_core);
    EXPECT_FALSE(e);
}

// Random corruption of every header and note byte: each open either fails with a message or gives a dump whose
// reads stay in bounds (the sanitizer build checks the "in bounds").
TEST(InspectDump, RandomCorruptionNeverCrashes) {
    TempDir dir;
    const auto good = two_segment_core();
    const std::size_t header_bytes = 64 + 3 * 56 + 20 + 432;
    std::mt19937_64 rng(7);
    unsigned opened = 0, failed = 0;
    for (unsigned round = 0; round < 400; ++round) {
        auto bytes = good;
        const unsigned flips = 1 + static_cast<unsigned>(rng() % 8);
        for (unsigned k = 0; k < flips; ++k) bytes[rng() % header_bytes] = static_cast<std::uint8_t>(rng());
        if (rng() % 4 == 0) bytes.resize(rng() % bytes.size() + 1);
        auto d = open_bytes(dir, bytes);
        if (!d) {
            EXPECT_FALSE(d.error().empty());
            ++failed;
            continue;
        }
        ++opened;
        std::uint64_t v = 0;
        for (const auto& s : d->segments()) {
            (void)d->read(s.pa, &v, 8);
            (void)d->read(s.pa + s.size - 1, &v, 1);
        }
    }
    EXPECT_GT(opened, 0u);
    EXPECT_GT(failed, 0u);
}

}  // namespace
}  // namespace pagewalk::test::inspect
