// SPDX-License-Identifier: MIT OR Apache-2.0
// A recursive slot in scenarios: the `recursive` step, `va = { recursive = "PTE", of = … }` and the expectation
// `{ ok = true, entry = "PTE", of = … }` — parsed, compiled (addresses per mode, refusals with file/line/key, the TLB
// model) and validated in the program (harness/program.hpp, step_expect.hpp).
#include "scenario/recursive_slot.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/program.hpp>
#include <string>
#include <vector>

#include "one_step_program.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

using namespace pagewalk;
using namespace pagewalk::host::scenario;
namespace h = pagewalk::harness;

namespace {

const std::string kHead = "rule = \"r\"\nmodes = [\"32bit\", \"4level\", \"5level\"]\n";
// Lines 3-8: the map; 9-11: the slot.
const std::string kMapAndSlot =
    "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"4K\"\nrights = \"rw\"\n"
    "[[step]]\nop = \"recursive\"\nslot = 300\n";
const std::string kReadPte =
    "[[step]]\nop = \"read\"\nva = { recursive = \"PTE\", of = 0x4000_0000 }\n"
    "expect = { ok = true, entry = \"PTE\", of = 0x4000_0000 }\n";

struct Built {
    Scenario s;
    CompileResult c;
    Built(const std::string& steps, PagingMode m) {
        ParseResult r = parse_scenario_text(kHead + steps, "r.toml");
        EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
        s = r.scenario;
        c = compile(s, m);
    }
    /// The encoded steps without the tag steps.
    [[nodiscard]] std::vector<h::Step> steps() const {
        std::vector<h::Step> out;
        if (!c.ok()) return out;
        const h::ProgramHeader& hdr = h::program_header(c.program.bytes.data());
        const h::Step* st = h::program_steps(c.program.bytes.data());
        for (std::uint32_t i = 0; i < hdr.step_count; ++i)
            if (st[i].op != static_cast<std::uint16_t>(h::StepOp::tag)) out.push_back(st[i]);
        return out;
    }
    [[nodiscard]] const Diagnostic& first_error() const {
        static const Diagnostic none;
        return c.errors.empty() ? none : c.errors.front();
    }
};

/// The first parse error of `steps` after the header.
Diagnostic parse_error(const std::string& steps) {
    const ParseResult r = parse_scenario_text(kHead + steps, "r.toml");
    EXPECT_FALSE(r.ok()) << steps;
    return r.errors.empty() ? Diagnostic{} : r.errors.front();
}

bool valid(h::Step step, pagewalk::PagingMode mode) {
    if (step.op == static_cast<std::uint16_t>(h::StepOp::access) && step.width == 0) step.width = 8;  // a plain read
    return pagewalk::test::one_step_program_valid(step, mode);
}

}  // namespace

TEST(RecursiveSlot, AddressesComeFromTheWalkersRecursiveMemoryAndAreCanonical) {
    // 32-bit paging: slot 300 at bits 31:22; the PTE of 0x4000_0000 is entry 0 of the page table of PDE 256.
    EXPECT_EQ(recursive_entry_address(PagingMode::legacy32, 300, 1, 0x4000'0000), 0x4b10'0000u);
    EXPECT_EQ(recursive_entry_address(PagingMode::legacy32, 300, 2, 0x4000'0000),
              0x4b12'c400u);  // PD[256], 4-byte entries
    // 4-level: slot 300 >= 256 puts the address in the high half, sign-extended from bit 47 (SDM §3.3.7.1).
    EXPECT_EQ(recursive_entry_address(PagingMode::long4, 300, 1, 0x4000'0000), 0xffff'9600'0020'0000u);
    EXPECT_EQ(recursive_entry_address(PagingMode::long4, 300, 2, 0x4000'0000), 0xffff'964b'0000'1000u);
    EXPECT_EQ(recursive_entry_address(PagingMode::long4, 300, 4, 0x4000'0000), 0xffff'964b'2592'c000u);
    // 5-level: sign-extended from bit 56.
    EXPECT_EQ(recursive_entry_address(PagingMode::long5, 300, 1, 0x4000'0000), 0xff2c'0000'0020'0000u);
    EXPECT_EQ(recursive_entry_address(PagingMode::long4, 5, 1, 0x4000'0000), 0x0280'0020'0000u);  // low half: as is
    const SlotRegion last = slot_region(PagingMode::long4, 511);
    EXPECT_EQ(last.lo, 0xffff'ff80'0000'0000u);
    EXPECT_EQ(last.hi, ~std::uint64_t{0});  // the end would wrap
    EXPECT_EQ(slot_region(PagingMode::legacy32, 1023).hi, 0x1'0000'0000u);
}

TEST(RecursiveSlot, CompilesToARecursiveStepAndReadsOfTheComputedAddress) {
    for (const pagewalk::PagingMode m : {PagingMode::legacy32, PagingMode::long4, PagingMode::long5}) {
        const Built b(kMapAndSlot + kReadPte, m);
        ASSERT_TRUE(b.c.ok()) << b.first_error().to_string();
        const auto st = b.steps();
        ASSERT_EQ(st.size(), 3u);
        EXPECT_EQ(st[1].op, static_cast<std::uint16_t>(h::StepOp::recursive));
        EXPECT_EQ(st[1].a, 300u);
        EXPECT_EQ(st[1].flags, 0);
        EXPECT_EQ(st[2].va, recursive_entry_address(m, 300, 1, 0x4000'0000));
        EXPECT_EQ(st[2].expect.kind, static_cast<std::uint8_t>(h::ExpectKind::table_entry));
        EXPECT_EQ(st[2].expect.vector, 1);  // the level
        EXPECT_EQ(st[2].expect.value, 0x4000'0000u);
        ASSERT_EQ(b.c.program.table_entry_pages.count(3), 1u);
        EXPECT_EQ(b.c.program.table_entry_pages.at(3).pa, 0u);  // frame 0
        EXPECT_TRUE(b.c.program.table_entry_pages.at(3).data);
    }
    // "top" is the mode's top level.
    const Built top(kMapAndSlot +
                        "[[step]]\nop = \"read\"\nva = { recursive = \"top\", of = 0x4000_0000 }\n"
                        "expect = { ok = true, entry = \"top\", of = 0x4000_0000 }\n",
                    PagingMode::long5);
    ASSERT_TRUE(top.c.ok()) << top.first_error().to_string();
    EXPECT_EQ(top.steps()[2].expect.vector, 5);
    EXPECT_EQ(top.steps()[2].va, recursive_entry_address(PagingMode::long5, 300, 5, 0x4000'0000));
}

TEST(RecursiveSlot, CompilerRefusesPaeBadAndCollidingSlots) {
    const Built pae(kMapAndSlot, PagingMode::pae);
    EXPECT_EQ(pae.first_error().key, "step[2].op");
    EXPECT_EQ(pae.first_error().pos.line, 9);
    EXPECT_NE(pae.first_error().message.find("PAE"), std::string::npos);

    const Built range("[[step]]\nop = \"recursive\"\nslot = 512\n", PagingMode::long4);  // 1023 is fine in 32-bit
    EXPECT_EQ(range.first_error().key, "step[1].slot");
    EXPECT_NE(range.first_error().message.find("512 entries"), std::string::npos);
    EXPECT_TRUE(Built("[[step]]\nop = \"recursive\"\nslot = 1023\n", PagingMode::legacy32).c.ok());

    // The guest's identity map: [0, 1 GiB) is top-level entry 0 in 4-level paging, entries 0..255 in 32-bit.
    const Built identity("[[step]]\nop = \"recursive\"\nslot = 0\n", PagingMode::long4);
    EXPECT_EQ(identity.first_error().key, "step[1].slot");
    EXPECT_NE(identity.first_error().message.find("identity map"), std::string::npos);
    EXPECT_FALSE(Built("[[step]]\nop = \"recursive\"\nslot = 255\n", PagingMode::legacy32).c.ok());

    // An earlier map step: 0x4000_0000 is PDE 256 in 32-bit paging.
    const Built mapped(kMapAndSlot.substr(0, kMapAndSlot.find("[[step]]\nop = \"recursive\"")) +
                           "[[step]]\nop = \"recursive\"\nslot = 256\n",
                       PagingMode::legacy32);
    EXPECT_EQ(mapped.first_error().key, "step[2].slot");
    EXPECT_NE(mapped.first_error().message.find("step[1] mapped 0x40000000"), std::string::npos);
    EXPECT_TRUE(Built("[[step]]\nop = \"recursive\"\nslot = 256\n", PagingMode::long4).c.ok());  // 4-level: free

    // A later map into the slot's region would make the mapper take the root for a lower-level table.
    const Built later(kMapAndSlot +
                          "[[step]]\nop = \"map\"\nva = 0x4b00_0000\nframe = 1\nsize = \"4K\"\nrights = "
                          "\"r\"\n",
                      PagingMode::legacy32);
    EXPECT_EQ(later.first_error().key, "step[3].va");
    EXPECT_NE(later.first_error().message.find("recursive slot"), std::string::npos);
}

TEST(RecursiveSlot, CompilerRefusesRecursiveAddressesAndEntryExpectationsItCannotResolve) {
    const Built no_slot(kReadPte, PagingMode::long4);
    EXPECT_EQ(no_slot.first_error().key, "step[1].va");
    EXPECT_NE(no_slot.first_error().message.find("earlier recursive step"), std::string::npos);

    const Built level(kMapAndSlot +
                          "[[step]]\nop = \"read\"\nva = { recursive = \"PML5E\", of = 0x4000_0000 }\n"
                          "expect = \"model\"\n",
                      PagingMode::long4);
    EXPECT_EQ(level.first_error().key, "step[3].va.recursive");

    const Built entry(kMapAndSlot +
                          "[[step]]\nop = \"read\"\nva = { recursive = \"PTE\", of = 0x4000_0000 }\n"
                          "expect = { ok = true, entry = \"PML4E\", of = 0x4000_0000 }\n",
                      PagingMode::legacy32);
    EXPECT_EQ(entry.first_error().key, "step[3].expect.entry");
    EXPECT_EQ(entry.first_error().pos.line, 15);

    const Built unmapped(kMapAndSlot +
                             "[[step]]\nop = \"read\"\nva = { recursive = \"PTE\", of = 0x4000_0000 }\n"
                             "expect = { ok = true, entry = \"PTE\", of = 0x5000_0000 }\n",
                         PagingMode::long4);
    EXPECT_EQ(unmapped.first_error().key, "step[3].expect.of");
    EXPECT_NE(unmapped.first_error().message.find("not mapped"), std::string::npos);

    const Built write(kMapAndSlot +
                          "[[step]]\nop = \"write\"\nva = { recursive = \"PTE\", of = 0x4000_0000 }\n"
                          "expect = { ok = true, entry = \"PTE\", of = 0x4000_0000 }\n",
                      PagingMode::long4);
    EXPECT_EQ(write.first_error().key, "step[3].expect");
    EXPECT_NE(write.first_error().message.find("only a read"), std::string::npos);
}

TEST(RecursiveSlot, TheSlotIsAChangeOfItsTopLevelEntryForTheTlbModel) {
    // flush = false: the slot's addresses may still be translated from before (SDM Vol. 3A §4.10.4) until a reload.
    const std::string unflushed =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"4K\"\nrights = \"rw\"\n"
        "[[step]]\nop = \"recursive\"\nslot = 300\nflush = false\n";
    const Built stale(unflushed + kReadPte, PagingMode::long4);
    EXPECT_EQ(stale.first_error().key, "step[3]");
    EXPECT_NE(stale.first_error().message.find("§4.10.4"), std::string::npos);
    const Built reloaded(unflushed + "[[step]]\nop = \"reload_cr3\"\n" + kReadPte, PagingMode::long4);
    ASSERT_TRUE(reloaded.c.ok()) << reloaded.first_error().to_string();
    EXPECT_EQ(reloaded.steps()[1].flags, h::step_flag::no_flush);
    // A later change of an entry changes translations through the slot too: refused until a CR3 reload.
    const Built protect(
        kMapAndSlot + "[[step]]\nop = \"protect\"\nva = 0x4000_0000\nsize = \"4K\"\nrights = \"r\"\n" + kReadPte,
        PagingMode::long4);
    EXPECT_EQ(protect.first_error().key, "step[4]");
}

TEST(RecursiveSlot, ParserErrorsNameFileLineAndKey) {
    const Diagnostic no_slot = parse_error("[[step]]\nop = \"recursive\"\n");
    EXPECT_EQ(no_slot.key, "step[1].slot");
    EXPECT_EQ(no_slot.pos.line, 3);
    EXPECT_EQ(parse_error("[[step]]\nop = \"recursive\"\nslot = 1024\n").key, "step[1].slot");
    EXPECT_EQ(parse_error("[[step]]\nop = \"recursive\"\nslot = 3\nva = 0x4000_0000\n").key, "step[1].va");

    const std::string read = "[[step]]\nop = \"read\"\n";  // va on line 5
    EXPECT_EQ(parse_error(read + "va = { recursive = \"PTX\", of = 0 }\nexpect = \"model\"\n").key,
              "step[1].va.recursive");
    const Diagnostic missing = parse_error(read + "va = { recursive = \"PTE\" }\nexpect = \"model\"\n");
    EXPECT_EQ(missing.key, "step[1].va");
    EXPECT_EQ(missing.pos.line, 5);
    EXPECT_NE(missing.message.find("give both"), std::string::npos);
    EXPECT_EQ(parse_error(read + "va = { recursive = \"PTE\", of = 0, slot = 1 }\nexpect = \"model\"\n").key,
              "step[1].va.slot");
    EXPECT_EQ(parse_error(read + "va = { recursive = \"PTE\", of = \"x\" }\nexpect = \"model\"\n").key,
              "step[1].va.of");
    // A recursive va only for accesses.
    EXPECT_EQ(parse_error("[[step]]\nop = \"invlpg\"\nva = { recursive = \"PTE\", of = 0 }\n").key, "step[1].va");

    const std::string at = read + "va = 0x4000_0000\n";  // expect on line 6
    const Diagnostic only_entry = parse_error(at + "expect = { ok = true, entry = \"PTE\" }\n");
    EXPECT_EQ(only_entry.key, "step[1].expect");
    EXPECT_EQ(only_entry.pos.line, 6);
    EXPECT_EQ(parse_error(at + "expect = { ok = true, of = 0x4000_0000 }\n").key, "step[1].expect");
    EXPECT_EQ(parse_error(at + "expect = { ok = true, entry = \"PT\", of = 0x4000_0000 }\n").key,
              "step[1].expect.entry");
    EXPECT_EQ(parse_error(at + "expect = { ok = true, entry = \"PTE\", of = 0x4000_0000, value = 3 }\n").key,
              "step[1].expect.value");
    EXPECT_EQ(parse_error(at + "expect = { fault = \"PF\", entry = \"PTE\" }\n").key, "step[1].expect.entry");
}

TEST(RecursiveSlot, ValidationOfTheRecursiveStepAndTheTableEntryExpectation) {
    h::Step r{};
    r.op = static_cast<std::uint16_t>(h::StepOp::recursive);
    r.a = 511;
    EXPECT_TRUE(valid(r, pagewalk::PagingMode::long4));
    EXPECT_FALSE(valid(r, pagewalk::PagingMode::pae));  // no recursive slot in PAE paging
    r.a = 512;
    EXPECT_FALSE(valid(r, pagewalk::PagingMode::long5));
    EXPECT_TRUE(valid(r, pagewalk::PagingMode::legacy32));  // 1024 entries
    r.a = 1024;
    EXPECT_FALSE(valid(r, pagewalk::PagingMode::legacy32));
    r.a = 3;
    r.flags = h::step_flag::no_flush;
    EXPECT_TRUE(valid(r, pagewalk::PagingMode::long4));
    r.flags = h::step_flag::global;  // only no_flush means something here
    EXPECT_FALSE(valid(r, pagewalk::PagingMode::long4));
    r.flags = 0;
    r.expect.kind = static_cast<std::uint8_t>(h::ExpectKind::table_entry);
    r.expect.vector = 1;
    EXPECT_FALSE(valid(r, pagewalk::PagingMode::long4));  // expectations belong to accesses

    h::Step a{};
    a.op = static_cast<std::uint16_t>(h::StepOp::access);
    a.expect.kind = static_cast<std::uint8_t>(h::ExpectKind::table_entry);
    a.expect.vector = 4;
    a.expect.value = 0x4000'0000;
    EXPECT_TRUE(valid(a, pagewalk::PagingMode::long4));
    EXPECT_FALSE(valid(a, pagewalk::PagingMode::legacy32));  // no level 4 there
    a.expect.flags = h::expect_flag::stale;
    EXPECT_TRUE(valid(a, pagewalk::PagingMode::long4));
    for (const auto& bad : std::vector<void (*)(h::Step&)>{
             [](h::Step& s) { s.expect.vector = 0; },                                         // no level 0
             [](h::Step& s) { s.expect.vector = 6; },                                         // nor 6
             [](h::Step& s) { s.expect.flags |= h::expect_flag::value; },                     // the entry is the value
             [](h::Step& s) { s.expect.error_code = 1; },                                     // nothing else set
             [](h::Step& s) { s.expect.frame_count = 1; },                                    // no frames
             [](h::Step& s) { s.access = static_cast<std::uint8_t>(h::AccessKind::write); },  // reads only
             [](h::Step& s) { s.access_flags = h::access_flag::implicit; },                   // not a descriptor read
         }) {
        h::Step s = a;
        bad(s);
        EXPECT_FALSE(valid(s, pagewalk::PagingMode::long4));
    }
}
