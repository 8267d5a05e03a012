// SPDX-License-Identifier: MIT OR Apache-2.0
// Scenario → program: the encoding, the features a program needs, and every refusal (with the step's position).
#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/program.hpp>
#include <string>

#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

using namespace pagewalk;
using namespace pagewalk::host::scenario;
namespace h = pagewalk::harness;

namespace {

Scenario parse_ok(const std::string& text) {
    ParseResult r = parse_scenario_text(text, "c.toml");
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
    return r.scenario;
}

std::string with_modes(const std::string& modes, const std::string& steps, const std::string& extra = "") {
    return "rule = \"r\"\nmodes = " + modes + "\n" + extra + steps;
}

const std::string kMap = "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"8K\"\nrights = \"rw\"\n";

std::vector<h::Step> steps_of(const Program& p) {
    std::vector<h::Step> out;
    const auto& hdr = *reinterpret_cast<const h::ProgramHeader*>(p.bytes.data());
    for (std::uint32_t i = 0; i < hdr.step_count; ++i) {
        h::Step s;
        std::memcpy(&s, p.bytes.data() + hdr.step_offset + i * sizeof s, sizeof s);
        out.push_back(s);
    }
    return out;
}

/// The first compile error for `mode`; fails the test if it compiles.
Diagnostic compile_error(const std::string& text, PagingMode mode) {
    static Scenario s;  // the result refers to it
    s = parse_ok(text);
    const CompileResult c = compile(s, mode);
    EXPECT_FALSE(c.ok()) << "compiled:\n" << text;
    return c.errors.empty() ? Diagnostic{} : c.errors.front();
}

}  // namespace

TEST(ScenarioCompiler, EncodesHeaderAndSteps) {
    const Scenario s = parse_ok(with_modes("[\"4level\"]", kMap + R"([[step]]
op = "write"
va = 0x4000_1008
cpl = 3
ac = true
expect = "model"
[[step]]
op = "invlpg"
va = 0x4000_0000
)",
                                           "name = \"enc\"\n[control]\nsmep = true\n"));
    CompileOptions o;
    o.scenario_id = 42;
    o.serial_handshake = true;
    const CompileResult c = compile(s, PagingMode::long4, o);
    ASSERT_TRUE(c.ok()) << c.errors.front().to_string();
    const Program& p = c.program;
    ASSERT_TRUE(h::validate_program(p.bytes.data(), p.bytes.size()));
    const auto& hdr = *reinterpret_cast<const h::ProgramHeader*>(p.bytes.data());
    EXPECT_EQ(hdr.scenario_id, 42u);
    EXPECT_EQ(hdr.mode, static_cast<std::uint8_t>(pagewalk::PagingMode::long4));
    EXPECT_EQ(hdr.flags, h::program_flag::serial_handshake);
    EXPECT_STREQ(hdr.name, "enc");
    EXPECT_EQ(hdr.controls, h::control::wp | h::control::nxe | h::control::smep);  // PSE dropped outside 32-bit
    EXPECT_EQ(hdr.features, h::feature::nx | h::feature::smep);
    EXPECT_EQ(hdr.data_frames, 2u);
    const auto st = steps_of(p);
    ASSERT_EQ(st.size(), 4u);  // tag (frame 1, the page the write reaches), map, write, invlpg
    EXPECT_EQ(st[0].op, static_cast<std::uint16_t>(h::StepOp::tag));
    EXPECT_EQ(st[0].pa, 4096u);
    EXPECT_EQ(st[0].a, 1u);
    EXPECT_EQ(st[1].op, static_cast<std::uint16_t>(h::StepOp::map));
    EXPECT_EQ(st[1].id, 1u);
    EXPECT_EQ(st[1].flags, h::step_flag::pa_data);
    EXPECT_EQ(st[1].a, 8192u);
    EXPECT_EQ(st[1].rights, h::step_rights::writable);  // NXE on: no x means XD
    EXPECT_EQ(st[2].access, static_cast<std::uint8_t>(h::AccessKind::write));
    EXPECT_EQ(st[2].cpl, 3);
    EXPECT_EQ(st[2].access_flags, h::access_flag::ac);
    EXPECT_EQ(st[2].a, default_write_value(2));
    EXPECT_EQ(st[3].id, 3u);
    EXPECT_EQ(p.step_count, 3u);
    EXPECT_EQ(p.tagged_frames.size(), 1u);
}

TEST(ScenarioCompiler, FeaturesFollowModeControlsAndPageSizes) {
    const Scenario s = parse_ok(with_modes(
        "\"all\"",
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\npa = 0\nsize = \"1G\"\nrights = \"r\"\npage_sizes = \"1G\"\n"
        "modes = [\"4level\", \"5level\"]\n[[step]]\nop = \"control\"\npke = true\npkru = 0\nmodes = [\"5level\"]\n"));
    EXPECT_EQ(required_features(s, PagingMode::long5),
              h::feature::nx | h::feature::la57 | h::feature::page1gb | h::feature::pku);
    EXPECT_EQ(required_features(s, PagingMode::long4), h::feature::nx | h::feature::page1gb);
    EXPECT_EQ(required_features(s, PagingMode::legacy32),
              h::feature::pse);  // PSE on by default, NXE means nothing there
    EXPECT_EQ(required_features(s, PagingMode::pae), h::feature::nx);
}

TEST(ScenarioCompiler, PagesAreExecutableWhereXdCannotBeWritten) {
    const Scenario s = parse_ok(with_modes("\"all\"", kMap, "[control]\nnxe = false\n"));
    for (pagewalk::PagingMode m : pagewalk::kPagingModes) {
        const CompileResult c = compile(s, m);
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(steps_of(c.program)[0].rights, h::step_rights::writable | h::step_rights::executable);
    }
}

TEST(ScenarioCompiler, RefusesAddressesInTheGuestsOwnMapAndOutsideTheMode) {
    Diagnostic d = compile_error(with_modes("[\"4level\"]", "[[step]]\nop = \"read\"\nva = 0x1000\nexpect = \"ok\"\n"),
                                 PagingMode::long4);
    EXPECT_EQ(d.key, "step[1].va");
    EXPECT_EQ(d.pos.line, 3);
    EXPECT_NE(d.message.find("identity map"), std::string::npos);
    d = compile_error(with_modes("[\"pae\"]", "[[step]]\nop = \"read\"\nva = 0x1_0000_0000\nexpect = \"ok\"\n"),
                      PagingMode::pae);
    EXPECT_NE(d.message.find("32-bit"), std::string::npos);
    d = compile_error(
        with_modes("[\"4level\"]", "[[step]]\nop = \"unmap\"\nva = \"0x8000_0000_0000_0000\"\nsize = \"4K\"\n"),
        PagingMode::long4);
    EXPECT_NE(d.message.find("not canonical"), std::string::npos);
    // An access may be non-canonical: that is the #GP rule.
    const Scenario s = parse_ok(with_modes(
        "[\"4level\"]", "[[step]]\nop = \"read\"\nva = \"0x8000_0000_0000_0000\"\nexpect = { fault = \"GP\" }\n"));
    EXPECT_TRUE(compile(s, PagingMode::long4).ok());
}

TEST(ScenarioCompiler, RefusesAccessesAStaleTlbCouldAnswer) {
    const std::string remap =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 1\nsize = \"4K\"\nrights = \"rw\"\nreplace = true\n"
        "flush = false\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"ok\"\n";
    Diagnostic d = compile_error(with_modes("[\"4level\"]", kMap + remap + read), PagingMode::long4);
    EXPECT_EQ(d.key, "step[3]");
    EXPECT_NE(d.message.find("§4.10.4"), std::string::npos);
    // Each flush makes it legal again; stale = true accepts it.
    for (const std::string flush : {"[[step]]\nop = \"invlpg\"\nva = 0x4000_0000\n", "[[step]]\nop = \"reload_cr3\"\n",
                                    "[[step]]\nop = \"toggle_pge\"\n"}) {
        const Scenario s = parse_ok(with_modes("[\"4level\"]", kMap + remap + flush + read));
        EXPECT_TRUE(compile(s, PagingMode::long4).ok()) << flush;
    }
    const Scenario stale = parse_ok(with_modes(
        "[\"4level\"]", kMap + remap + "[[step]]\nop = \"read\"\nva = 0x4000_0008\nstale = true\nexpect = \"ok\"\n"));
    EXPECT_TRUE(compile(stale, PagingMode::long4).ok());
    // A global translation survives a CR3 reload: only the PGE toggle (or INVLPG) makes the read legal.
    const std::string global_map =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"4K\"\n"
        "rights = \"rw\"\nglobal = true\n";
    d = compile_error(with_modes("[\"4level\"]", global_map + remap + "[[step]]\nop = \"reload_cr3\"\n" + read,
                                 "[control]\npge = true\n"),
                      PagingMode::long4);
    EXPECT_EQ(d.key, "step[4]");
    // Another page of the table is not affected by a PTE change.
    const Scenario other = parse_ok(
        with_modes("[\"4level\"]", kMap + remap + "[[step]]\nop = \"read\"\nva = 0x4000_1000\nexpect = \"ok\"\n"));
    EXPECT_TRUE(compile(other, PagingMode::long4).ok());
}

TEST(ScenarioCompiler, GlobalNeedsCr4Pge) {
    // G = 1 makes a translation global only with CR4.PGE = 1 (SDM §4.10.2.4): without PGE a CR3 reload flushes it.
    const std::string global_map =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"4K\"\nrights = \"rw\"\nglobal = true\n";
    const std::string remap =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 1\nsize = \"4K\"\nrights = \"rw\"\nglobal = true\n"
        "replace = true\nflush = false\n[[step]]\nop = \"reload_cr3\"\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"ok\"\n";
    const Scenario without = parse_ok(with_modes("[\"4level\"]", global_map + remap + read));
    EXPECT_TRUE(compile(without, PagingMode::long4).ok());
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", global_map + remap + read, "[control]\npge = true\n"),
                            PagingMode::long4)
                  .key,
              "step[4]");
}

TEST(ScenarioCompiler, PaePdpteEditIsFlushedByTheCr3ReloadTheRunnerMakes) {
    // The runner reloads CR3 after a PAE PDPTE edit (the PDPTEs are registers, SDM §4.4.1): every non-global page of
    // the PDPTE's 1 GiB is fresh afterwards, and bit 8 of a PDPTE (reserved, never G) does not make anything global.
    const std::string edit =
        "[[step]]\nop = \"edit\"\nva = 0x4000_0000\nentry = \"PDPTE\"\nclear = \"P\"\nset = [1, 8]\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_1000\nexpect = \"model\"\n";
    const Scenario s = parse_ok(with_modes("[\"pae\"]", kMap + edit + read));
    EXPECT_TRUE(compile(s, PagingMode::pae).ok());
    // In 4-level paging an edit flushes only its own page (INVLPG), so the other page may still be stale.
    const std::string edit4 = "[[step]]\nop = \"edit\"\nva = 0x4000_0000\nentry = \"PDPTE\"\nclear = \"US\"\n";
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + edit4 + read), PagingMode::long4).key, "step[3]");
}

TEST(ScenarioCompiler, ControlChangesTheTlbMayNotReflectNeedAFlush) {
    // SDM §4.10.2.2: a TLB entry holds the protection key only if made with CR4.PKE = 1, XD only with EFER.NXE = 1;
    // MOV to CR4 (PKE, PSE) and WRMSR EFER do not flush (§4.10.4.1).
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0000\nexpect = \"model\"\n";
    for (const std::string control : {"pke = true", "nxe = false"}) {
        const std::string step = "[[step]]\nop = \"control\"\n" + control + "\n";
        EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + read + step + read), PagingMode::long4).key,
                  "step[4]")
            << control;
        const Scenario flushed = parse_ok(
            with_modes("[\"4level\"]", kMap + read + step + "[[step]]\nop = \"invlpg\"\nva = 0x4000_0000\n" + read));
        EXPECT_TRUE(compile(flushed, PagingMode::long4).ok()) << control;
    }
    // Clearing PKE needs no flush (keys are then ignored at access time), nor do WP, SMAP or SMEP changes.
    for (const std::string control : {"pke = false", "wp = false", "smap = true", "smep = false"}) {
        const Scenario s =
            parse_ok(with_modes("[\"4level\"]", kMap + read + "[[step]]\nop = \"control\"\n" + control + "\n" + read,
                                "[control]\npke = true\nsmep = true\n"));
        EXPECT_TRUE(compile(s, PagingMode::long4).ok()) << control;
    }
    // CR4.PSE in 32-bit paging: 4 MiB translations may outlive the change.
    EXPECT_EQ(compile_error(with_modes("[\"32bit\"]", kMap + read + "[[step]]\nop = \"control\"\npse = false\n" + read),
                            PagingMode::legacy32)
                  .key,
              "step[4]");
}

TEST(ScenarioCompiler, RefusesWhatTheGuestCannotCheck) {
    auto err = [](const std::string& steps, pagewalk::PagingMode m = pagewalk::PagingMode::long4) {
        return compile_error(with_modes("\"all\"", steps), m).message;
    };
    EXPECT_NE(err("[[step]]\nop = \"implicit\"\nva = 0x4000_0004\nexpect = \"ok\"\n").find("8-byte aligned"),
              std::string::npos);
    EXPECT_NE(err("[[step]]\nop = \"fetch\"\nva = 0x4000_0800\nexpect = \"ok\"\n").find("first 256 bytes"),
              std::string::npos);
    EXPECT_NE(
        err("[[step]]\nop = \"write\"\nva = 0x4000_0000\nexpect = { ok = true, value = 1 }\n").find("only a read"),
        std::string::npos);
    EXPECT_NE(err("[[step]]\nop = \"edit\"\nva = 0x4000_0000\nentry = \"PML4E\"\nset = 1\n", PagingMode::pae)
                  .find("no such entry"),
              std::string::npos);
    EXPECT_NE(err(kMap.substr(0, kMap.size() - 1) + "\npkey = 3\n", PagingMode::pae).find("protection keys"),
              std::string::npos);
    EXPECT_NE(err("[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"1G\"\nrights = \"r\"\n"
                  "page_sizes = \"1G\"\n")
                  .find("absolute pa"),
              std::string::npos);
    EXPECT_NE(err("[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 3\nsize = \"2M\"\nrights = \"r\"\n"
                  "page_sizes = \"2M\"\n")
                  .find("multiple of 512"),
              std::string::npos);
    EXPECT_NE(err("[[step]]\nop = \"control\"\npke = true\npkru = 0xc000_0000\n").find("key 15"), std::string::npos);
}

TEST(ScenarioCompiler, StepsOfOtherModesAreLeftOut) {
    const Scenario s = parse_ok(
        with_modes("\"all\"", kMap + "[[step]]\nop = \"read\"\nva = 0x80_0000_0000\nmodes = [\"4level\", \"5level\"]\n"
                                     "expect = { fault = \"PF\" }\n"));
    const CompileResult c32 = compile(s, PagingMode::legacy32);
    ASSERT_TRUE(c32.ok()) << c32.errors.front().to_string();
    EXPECT_EQ(c32.program.step_count, 1u);
    const CompileResult c4 = compile(s, PagingMode::long4);
    ASSERT_TRUE(c4.ok());
    EXPECT_EQ(c4.program.step_count, 2u);
    EXPECT_EQ(c4.program.steps.count(2), 1u);
}

TEST(ScenarioCompiler, TagsEveryFrameAnAccessOrExpectationReaches) {
    const Scenario s = parse_ok(with_modes(
        "[\"4level\"]",
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"2M\"\nrights = \"rw\"\npage_sizes = \"2M\"\n"
        "[[step]]\nop = \"read\"\nva = 0x4000_3010\nexpect = { ok = true, frames = [3, 700] }\n"));
    const CompileResult c = compile(s, PagingMode::long4);
    ASSERT_TRUE(c.ok()) << c.errors.front().to_string();
    EXPECT_EQ(c.program.tagged_frames, (std::set<std::uint32_t>{3, 700}));
    EXPECT_EQ(c.program.data_frames, 701u);
    const auto st = steps_of(c.program);
    EXPECT_EQ(st[0].op, static_cast<std::uint16_t>(h::StepOp::tag));
    EXPECT_EQ(st[1].op, static_cast<std::uint16_t>(h::StepOp::tag));
    EXPECT_EQ(st[1].pa, 700u * 4096);
}

// ---- The TLB rules, through the walker's TlbModel (SDM Vol. 3A §4.10) -------------------------------------------

TEST(ScenarioCompilerTlb, AFaultingPdpteLoadFlushesNothing) {
    // A PDPTE left present with a reserved bit: the CR3 reload (or PGE toggle) that should flush raises #GP(0) and
    // changes nothing (§4.4.1), so an earlier unflushed change may still be cached.
    const std::string remap =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 1\nsize = \"4K\"\nrights = \"rw\"\nreplace = true\n"
        "flush = false\n";
    const std::string poison =
        "[[step]]\nop = \"edit\"\nva = 0x4000_0000\nentry = \"PDPTE\"\nset = [1]\nflush = false\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"model\"\n";
    for (const std::string flush : {"[[step]]\nop = \"reload_cr3\"\n", "[[step]]\nop = \"toggle_pge\"\n"}) {
        const Diagnostic d =
            compile_error(with_modes("[\"pae\"]", kMap + remap + poison + flush + read), PagingMode::pae);
        EXPECT_EQ(d.key, "step[5]") << flush;
        // Without the poisoned PDPTE the same flush counts.
        const Scenario s = parse_ok(with_modes("[\"pae\"]", kMap + remap + flush + read));
        EXPECT_TRUE(compile(s, PagingMode::pae).ok()) << flush;
    }
    // A reserved bit in a PDPTE that is not present is never checked: the reload flushes.
    const std::string absent =
        "[[step]]\nop = \"edit\"\nva = 0x4000_0000\nentry = \"PDPTE\"\nclear = \"P\"\nset = [1]\nflush = false\n";
    const std::string read_absent = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"model\"\n";
    const Scenario s =
        parse_ok(with_modes("[\"pae\"]", kMap + remap + absent + "[[step]]\nop = \"reload_cr3\"\n" + read_absent));
    EXPECT_TRUE(compile(s, PagingMode::pae).ok());
}

TEST(ScenarioCompilerTlb, WritesThroughARecursiveSlotAndPokesChangeTranslations) {
    const std::string slot = "[[step]]\nop = \"recursive\"\nslot = 300\n";
    const std::string write_pte =
        "[[step]]\nop = \"write\"\nva = { recursive = \"PTE\", of = 0x4000_0000 }\nvalue = 0\nexpect = \"model\"\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"model\"\n";
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + slot + write_pte + read), PagingMode::long4).key,
              "step[4]");
    const Scenario flushed = parse_ok(
        with_modes("[\"4level\"]", kMap + slot + write_pte + "[[step]]\nop = \"invlpg\"\nva = 0x4000_0000\n" + read));
    EXPECT_TRUE(compile(flushed, PagingMode::long4).ok());
    const std::string poke = "[[step]]\nop = \"poke\"\npa = 0x400_0000\nvalue = 0\n";
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + poke + read), PagingMode::long4).key, "step[3]");
    const std::string poke_data = "[[step]]\nop = \"poke\"\nframe = 1\nvalue = 0\n";
    const Scenario data = parse_ok(with_modes("[\"4level\"]", kMap + poke_data + read));
    EXPECT_TRUE(compile(data, PagingMode::long4).ok()) << "the data area holds no page tables";
}

TEST(ScenarioCompilerTlb, InvlpgAnywhereInAHugePageFlushesIt) {
    const std::string map2m =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"2M\"\nrights = \"rw\"\npage_sizes = \"huge\"\n";
    const std::string protect =
        "[[step]]\nop = \"protect\"\nva = 0x4000_0000\nsize = \"2M\"\nrights = \"r\"\nflush = false\n";
    const std::string invlpg = "[[step]]\nop = \"invlpg\"\nva = 0x4010_0000\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"model\"\n";
    const Scenario s = parse_ok(with_modes("[\"4level\"]", map2m + protect + invlpg + read));
    EXPECT_TRUE(compile(s, PagingMode::long4).ok());
    // 4 KiB pages: INVLPG of another page leaves this one stale.
    const std::string map4k =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = \"2M\"\nrights = \"rw\"\npage_sizes = \"4K\"\n";
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", map4k + protect + invlpg + read), PagingMode::long4).key,
              "step[4]");
}

TEST(ScenarioCompilerTlb, NonCanonicalInvlpgIsANoOpNotAnError) {
    const std::string remap =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 1\nsize = \"4K\"\nrights = \"rw\"\nreplace = true\n"
        "flush = false\n";
    const std::string invlpg = "[[step]]\nop = \"invlpg\"\nva = 0x8000_0000_0000\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"model\"\n";
    const Scenario s = parse_ok(with_modes("[\"4level\"]", kMap + invlpg));
    EXPECT_TRUE(compile(s, PagingMode::long4).ok());
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + remap + invlpg + read), PagingMode::long4).key, "step[4]")
        << "it flushed nothing";
}

TEST(ScenarioCompilerTlb, PagesMappedAfterAControlChangeAreNotStale) {
    const std::string pke = "[[step]]\nop = \"control\"\npke = true\n";
    const std::string map_later =
        "[[step]]\nop = \"map\"\nva = 0x8000_0000\nframe = 4\nsize = \"4K\"\nrights = \"rw\"\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x8000_0000\nexpect = \"model\"\n";
    const Scenario s = parse_ok(with_modes("[\"4level\"]", kMap + pke + map_later + read));
    EXPECT_TRUE(compile(s, PagingMode::long4).ok());
}

TEST(ScenarioCompilerTlb, RefusesEditsOfEntriesThatMapTheGuestItself) {
    // PML4E 0 maps [0, 512 GiB), which holds the guest's identity map: clearing U/S there breaks the guest.
    const std::string edit = "[[step]]\nop = \"edit\"\nva = 0x4000_0000\nentry = \"PML4E\"\nclear = \"US\"\n";
    const Diagnostic d = compile_error(with_modes("[\"4level\"]", kMap + edit), PagingMode::long4);
    EXPECT_EQ(d.key, "step[2].entry");
    EXPECT_NE(d.message.find("identity map"), std::string::npos);
    const std::string high_map =
        "[[step]]\nop = \"map\"\nva = 0x80_0000_0000\nframe = 0\nsize = \"4K\"\nrights = \"rw\"\n";
    const std::string high_edit = "[[step]]\nop = \"edit\"\nva = 0x80_0000_0000\nentry = \"PML4E\"\nclear = \"US\"\n";
    const Scenario s = parse_ok(with_modes("[\"4level\"]", high_map + high_edit));
    EXPECT_TRUE(compile(s, PagingMode::long4).ok());
}

TEST(ScenarioCompilerTlb, PcidLoadsAndInvpcidFollowTheModel) {
    const std::string pcide = "[control]\npcide = true\n";
    const std::string remap =
        "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 1\nsize = \"4K\"\nrights = \"rw\"\nreplace = true\n"
        "flush = false\n";
    const std::string read = "[[step]]\nop = \"read\"\nva = 0x4000_0008\nexpect = \"model\"\n";
    const std::string to1 = "[[step]]\nop = \"load_cr3\"\npcid = 1\n";
    const std::string to0_keep = "[[step]]\nop = \"load_cr3\"\npcid = 0\nnoflush = true\n";
    // PCID 0 cached the old translation; INVLPG under PCID 1 leaves it, so back in PCID 0 (no flush) it may be used.
    const std::string invlpg = "[[step]]\nop = \"invlpg\"\nva = 0x4000_0000\n";
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + to1 + remap + invlpg + to0_keep + read, pcide),
                            PagingMode::long4)
                  .key,
              "step[6]");
    // Loading PCID 0 without bit 63 flushes it.
    const Scenario flushed = parse_ok(with_modes(
        "[\"4level\"]", kMap + to1 + remap + invlpg + "[[step]]\nop = \"load_cr3\"\npcid = 0\n" + read, pcide));
    EXPECT_TRUE(compile(flushed, PagingMode::long4).ok());
    EXPECT_NE(required_features(flushed, PagingMode::long4) & h::feature::pcid, 0u);
    // INVPCID type 1 for PCID 0 flushes PCID 0's entries from PCID 1.
    const Scenario single = parse_ok(with_modes(
        "[\"4level\"]",
        kMap + to1 + remap + invlpg + "[[step]]\nop = \"invpcid\"\ntype = 1\npcid = 0\n" + to0_keep + read, pcide));
    EXPECT_TRUE(compile(single, PagingMode::long4).ok());
    EXPECT_NE(required_features(single, PagingMode::long4) & h::feature::invpcid, 0u);
}

TEST(ScenarioCompilerTlb, RefusesPcidOperationsThatFault) {
    // A PCID or bit 63 without CR4.PCIDE: #GP.
    EXPECT_EQ(
        compile_error(with_modes("[\"4level\"]", kMap + "[[step]]\nop = \"load_cr3\"\npcid = 3\n"), PagingMode::long4)
            .key,
        "step[2].pcid");
    // Setting PCIDE while the PCID is not 0: #GP.
    const std::string off = "[[step]]\nop = \"control\"\npcide = false\n";
    const std::string on = "[[step]]\nop = \"control\"\npcide = true\n";
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + "[[step]]\nop = \"load_cr3\"\npcid = 2\n" + off + on,
                                       "[control]\npcide = true\n"),
                            PagingMode::long4)
                  .key,
              "step[4].pcide")
        << "CR3[11:0] stays 2 after PCIDE is cleared";
    const Scenario fine = parse_ok(with_modes("[\"4level\"]", kMap + off + on, "[control]\npcide = true\n"));
    EXPECT_TRUE(compile(fine, PagingMode::long4).ok());
    // INVPCID type 0 with a non-canonical address, and type 1 for PCID 5 without PCIDE: #GP.
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + "[[step]]\nop = \"invpcid\"\ntype = 0\naddress = "
                                                              "\"0x8000_0000_0000_0000\"\n"),
                            PagingMode::long4)
                  .key,
              "step[2]");
    EXPECT_EQ(compile_error(with_modes("[\"4level\"]", kMap + "[[step]]\nop = \"invpcid\"\ntype = 1\npcid = 5\n"),
                            PagingMode::long4)
                  .key,
              "step[2]");
    // PCIDs are IA-32e only.
    EXPECT_EQ(compile_error(with_modes("[\"pae\"]", kMap + "[[step]]\nop = \"load_cr3\"\n"), PagingMode::pae).key,
              "step[2].op");
}

TEST(ScenarioCompiler, Cr4PseWrittenOutIsKeptOutside32BitPagingTheDefaultIsNot) {
    const Scenario by_default = parse_ok(with_modes("[\"pae\", \"32bit\"]", kMap));
    EXPECT_EQ(compile(by_default, PagingMode::pae).program.controls & h::control::pse, 0u);
    EXPECT_NE(compile(by_default, PagingMode::legacy32).program.controls & h::control::pse, 0u);
    const Scenario written = parse_ok(with_modes("[\"pae\"]", kMap, "[control]\npse = true\n"));
    EXPECT_NE(compile(written, PagingMode::pae).program.controls & h::control::pse, 0u);
}

TEST(ScenarioCompiler, OkOrFaultOnlyForAStaleAccess) {
    const std::string remap =
        "[[step]]\nop = \"protect\"\nva = 0x4000_0000\nsize = \"4K\"\nrights = \"r\"\nflush = false\n";
    const std::string write =
        "[[step]]\nop = \"write\"\nva = 0x4000_0008\nexpect = { ok_or_fault = \"PF\", error = 3 }\n";
    // Without stale = true one outcome is exact: refused.
    const Diagnostic d = compile_error(with_modes("[\"4level\"]", kMap + write), PagingMode::long4);
    EXPECT_EQ(d.key, "step[2].expect");
    EXPECT_NE(d.message.find("ok_or_fault is for a stale access"), std::string::npos);
    // Stale: both outcomes, encoded for the guest with the fault's error code.
    const Scenario s = parse_ok(with_modes("[\"4level\"]", kMap + remap +
                                                               "[[step]]\nop = \"write\"\nva = 0x4000_0008\nstale = "
                                                               "true\nexpect = { ok_or_fault = \"PF\", error = 3 }\n"));
    const CompileResult r = compile(s, PagingMode::long4);
    ASSERT_TRUE(r.ok());
    const h::Step last = steps_of(r.program).back();
    EXPECT_EQ(last.expect.kind, static_cast<std::uint8_t>(h::ExpectKind::ok_or_fault));
    EXPECT_EQ(last.expect.error_code, 3u);
    EXPECT_NE(last.expect.flags & h::expect_flag::stale, 0);
}

TEST(ScenarioCompiler, AccessWidthsAndPageCrossings) {
    auto err = [](const std::string& steps) { return compile_error(with_modes("\"all\"", steps), PagingMode::long4); };
    // A frame expectation reads one frame's tagged bytes: not across a page, not past the tagged bytes.
    EXPECT_NE(err("[[step]]\nop = \"read\"\nva = 0x4000_0ffc\nexpect = { ok = true, frame = 0 }\n")
                  .message.find("first 256 bytes"),
              std::string::npos);
    EXPECT_NE(err("[[step]]\nop = \"read\"\nva = 0x4000_00fe\nsize = 4\nexpect = { ok = true, frame = 0 }\n")
                  .message.find("first 256 bytes"),
              std::string::npos);
    // A narrow read returns its bytes zero-extended.
    const Diagnostic wide =
        err("[[step]]\nop = \"read\"\nva = 0x4000_0000\nsize = 2\nexpect = { ok = true, value = 0x1_0000 }\n");
    EXPECT_EQ(wide.key, "step[1].expect.value");
    EXPECT_NE(wide.message.find("at most 0xffff"), std::string::npos);
    // Across a page boundary cr2 names a byte of the access.
    const Diagnostic cr2 =
        err("[[step]]\nop = \"read\"\nva = 0x4000_0ffc\nexpect = { fault = \"PF\", cr2 = 0x4000_1004 }\n");
    EXPECT_EQ(cr2.key, "step[1].expect.cr2");
    // An entry is read with 8 bytes.
    EXPECT_EQ(
        err("[[step]]\nop = \"recursive\"\nslot = 400\n[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\n"
            "size = \"4K\"\nrights = \"rw\"\n[[step]]\nop = \"read\"\nva = { recursive = \"PTE\", of = 0x4000_0000 }\n"
            "size = 4\nexpect = { ok = true, entry = \"PTE\", of = 0x4000_0000 }\n")
            .key,
        "step[3].expect.entry");
    // What compiles: the width in the step, a misaligned read, a read across a page, in every mode.
    for (PagingMode m : {PagingMode::legacy32, PagingMode::pae, PagingMode::long4, PagingMode::long5}) {
        static Scenario s;
        s = parse_ok(with_modes("\"all\"",
                                "[[step]]\nop = \"write\"\nva = 0x4000_0ffd\nsize = 4\nexpect = \"model\"\n"
                                "[[step]]\nop = \"read\"\nva = 0x4000_0003\nsize = 2\nexpect = \"model\"\n"));
        const CompileResult c = compile(s, m);
        ASSERT_TRUE(c.ok()) << c.errors.front().to_string();
        const h::Step* st = h::program_steps(c.program.bytes.data());
        unsigned seen = 0;
        for (std::uint32_t i = 0; i < h::program_header(c.program.bytes.data()).step_count; ++i)
            if (st[i].op == static_cast<std::uint16_t>(h::StepOp::access)) {
                EXPECT_EQ(st[i].width, seen++ == 0 ? 4 : 2);
            }
        EXPECT_EQ(seen, 2u);
    }
    // Past the end of a 32-bit linear-address space is no access.
    EXPECT_NE(compile_error(
                  with_modes("\"all\"", "[[step]]\nop = \"read\"\nva = 0xffff_fffe\nsize = 4\nexpect = \"model\"\n"),
                  PagingMode::legacy32)
                  .message.find("past the linear-address space"),
              std::string::npos);
}
