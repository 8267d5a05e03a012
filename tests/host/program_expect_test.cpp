// SPDX-License-Identifier: MIT OR Apache-2.0
// The program format's expectations (harness/step_expect.hpp, program version 2): the compiler encodes every
// `expect` form of a scenario file into the step the guest judges, from the same fields the host's evaluator reads;
// validate_program() refuses expectations that do not fit their step; a scenario's qemu_cpu becomes CPU conditions
// (features absent, MAXPHYADDR) the guest can check on any machine; the new records decode and are bounds-checked.
#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/program.hpp>
#include <vector>

#include "one_step_program.hpp"
#include "scenario/compiler.hpp"
#include "scenario/cpu_condition.hpp"
#include "scenario/parser.hpp"

using namespace pagewalk;
using namespace pagewalk::host;
namespace h = pagewalk::harness;

namespace {

/// The scenario with `steps` appended to a map of one read-write page, compiled for 4-level paging.
struct Built {
    scenario::Scenario s;
    scenario::CompileResult c;
    explicit Built(const std::string& steps, const std::string& head = "", PagingMode m = PagingMode::long4) {
        auto r = scenario::parse_scenario_text("rule = \"r\"\nmodes = \"all\"\n" + head +
                                                   "[[step]]\nop = \"map\"\nva = 0x4000_0000\nframe = 0\nsize = "
                                                   "\"4K\"\nrights = \"rw\"\n" +
                                                   steps,
                                               "x.toml");
        EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
        s = r.scenario;
        c = scenario::compile(s, m);
    }
    /// The encoded step with this scenario step id.
    [[nodiscard]] h::Step step(std::uint32_t id) const {
        const h::ProgramHeader& hdr = h::program_header(c.program.bytes.data());
        const h::Step* st = h::program_steps(c.program.bytes.data());
        for (std::uint32_t i = 0; i < hdr.step_count; ++i)
            if (st[i].id == id && st[i].op != static_cast<std::uint16_t>(h::StepOp::tag)) return st[i];
        ADD_FAILURE() << "no step " << id;
        return {};
    }
};

std::string access(const std::string& op, const std::string& expect, const std::string& extra = "") {
    return "[[step]]\nop = \"" + op + "\"\nva = 0x4000_0008\n" + extra + "expect = " + expect + "\n";
}

bool valid_with(h::Step step, std::uint16_t op = static_cast<std::uint16_t>(h::StepOp::access)) {
    step.op = op;
    if (op == static_cast<std::uint16_t>(h::StepOp::access) && step.width == 0) step.width = 8;  // a plain read
    return pagewalk::test::one_step_program_valid(step, pagewalk::PagingMode::long4);
}

}  // namespace

TEST(ProgramExpect, EveryFormOfAnAccessExpectationIsEncoded) {
    const Built b(access("read", "\"ok\"") + access("read", "{ ok = true, value = 0x1234 }") +
                  access("read", "{ ok = true, frames = [0, 3] }") +
                  access("write", "{ fault = \"PF\", error = \"P|W|U\", cr2 = 0x4000_0000 }", "cpl = 3\n") +
                  access("write", "{ fault = \"PF\" }", "cpl = 3\n") + access("read", "\"model\""));
    ASSERT_TRUE(b.c.ok()) << b.c.errors.front().to_string();
    const h::StepExpect ok = b.step(2).expect;
    EXPECT_EQ(ok.kind, static_cast<std::uint8_t>(h::ExpectKind::ok));
    EXPECT_EQ(ok.flags, 0);
    const h::StepExpect value = b.step(3).expect;
    EXPECT_EQ(value.flags, h::expect_flag::value);
    EXPECT_EQ(value.value, 0x1234u);
    const h::StepExpect frames = b.step(4).expect;
    EXPECT_EQ(frames.frame_count, 2);
    EXPECT_EQ(frames.frames[0], 0u);
    EXPECT_EQ(frames.frames[1], 3u);
    const h::StepExpect fault = b.step(5).expect;
    EXPECT_EQ(fault.kind, static_cast<std::uint8_t>(h::ExpectKind::fault));
    EXPECT_EQ(fault.vector, 14);
    EXPECT_EQ(fault.flags, h::expect_flag::error_code | h::expect_flag::cr2);
    EXPECT_EQ(fault.error_code, 0x7u);
    EXPECT_EQ(fault.value, 0x4000'0000u);
    const h::StepExpect any_error = b.step(6).expect;
    EXPECT_EQ(any_error.flags, 0);
    EXPECT_EQ(b.step(7).expect.kind, static_cast<std::uint8_t>(h::ExpectKind::model));
    EXPECT_EQ(b.step(1).expect.kind, static_cast<std::uint8_t>(h::ExpectKind::none));  // the map step
}

TEST(ProgramExpect, StaleEntryAndReloadExpectations) {
    const Built b(
        "[[step]]\nop = \"map\"\nva = 0x4000_1000\nframe = 1\nsize = \"4K\"\nrights = \"rw\"\n"
        "[[step]]\nop = \"read\"\nva = 0x4000_1000\nexpect = \"ok\"\n"
        "[[step]]\nop = \"map\"\nva = 0x4000_1000\nframe = 2\nsize = \"4K\"\nrights = \"rw\"\nreplace = true\n"
        "flush = false\n"
        "[[step]]\nop = \"read\"\nva = 0x4000_1000\nstale = true\nexpect = { ok = true, frames = [1, 2] }\n"
        "[[step]]\nop = \"read_entry\"\nva = 0x4000_0000\nentry = \"PTE\"\nexpect = { accessed = true, dirty = false "
        "}\n"
        "[[step]]\nop = \"reload_cr3\"\nexpect = \"ok\"\n");
    ASSERT_TRUE(b.c.ok()) << b.c.errors.front().to_string();
    const h::StepExpect stale = b.step(5).expect;
    EXPECT_EQ(stale.flags, h::expect_flag::stale);
    EXPECT_EQ(stale.frame_count, 2);
    const h::StepExpect entry = b.step(6).expect;
    EXPECT_EQ(entry.kind, static_cast<std::uint8_t>(h::ExpectKind::entry));
    EXPECT_EQ(entry.flags, h::expect_flag::accessed | h::expect_flag::dirty);
    EXPECT_EQ(entry.value, 0x20u);  // A expected set, D expected clear
    EXPECT_EQ(b.step(7).expect.kind, static_cast<std::uint8_t>(h::ExpectKind::ok));
    // A #GP expectation needs a present PDPTE with a reserved bit (SDM §4.4.1): an edit leaves one.
    const std::string poison =
        "[[step]]\nop = \"edit\"\nva = 0x4000_1000\nentry = \"PDPTE\"\nset = [1]\nflush = false\n";
    const std::string reload_gp = "[[step]]\nop = \"reload_cr3\"\nexpect = { fault = \"GP\", error = 0 }\n";
    const Built gp(poison + reload_gp, "", PagingMode::pae);
    ASSERT_TRUE(gp.c.ok()) << gp.c.errors.front().to_string();
    EXPECT_EQ(gp.step(3).expect.vector, 13);
    EXPECT_EQ(gp.step(3).expect.flags, h::expect_flag::error_code);
    // Without it the expectation contradicts the SDM: refused at compile time.
    const Built wrong(reload_gp, "", PagingMode::pae);
    ASSERT_FALSE(wrong.c.ok());
    EXPECT_NE(wrong.c.errors.front().message.find("§4.4.1"), std::string::npos);
}

TEST(ProgramExpect, MoreFramesThanTheFormatHoldsIsACompileError) {
    const Built b(access("read", "{ ok = true, frames = [0, 1, 2, 3, 4] }"));
    ASSERT_FALSE(b.c.ok());
    EXPECT_NE(b.c.errors.front().to_string().find("at most 4 frames"), std::string::npos);
}

TEST(ProgramExpect, ValidationRefusesExpectationsThatDoNotFitTheirStep) {
    const Built b(access("read", "{ fault = \"PF\", error = 9 }"));
    ASSERT_TRUE(b.c.ok());
    const h::Step good = b.step(2);
    EXPECT_TRUE(valid_with(good));
    EXPECT_FALSE(valid_with(good, static_cast<std::uint16_t>(h::StepOp::invlpg)));      // only some ops expect
    EXPECT_FALSE(valid_with(good, static_cast<std::uint16_t>(h::StepOp::read_entry)));  // a fault is no A/D
    h::Step s = good;
    s.expect.kind = h::kMaxExpectKind + 1;  // no such kind
    EXPECT_FALSE(valid_with(s));
    s = good;
    s.expect.flags |= 0x80;  // unknown flag
    EXPECT_FALSE(valid_with(s));
    s = good;
    s.expect.vector = 32;
    EXPECT_FALSE(valid_with(s));
    s = good;
    s.expect.frame_count = 1;  // frames only for ok
    EXPECT_FALSE(valid_with(s));
    s = good;
    s.expect.value = 0x1234;  // a value without the cr2 flag
    EXPECT_FALSE(valid_with(s));
    s = good;
    s.expect.flags |= h::expect_flag::stale;
    EXPECT_TRUE(valid_with(s));
    EXPECT_FALSE(valid_with(s, static_cast<std::uint16_t>(h::StepOp::reload_cr3)));  // stale: accesses only
    s = good;
    s.expect.vector = 14;  // a MOV to CR3 raises only #GP
    EXPECT_FALSE(valid_with(s, static_cast<std::uint16_t>(h::StepOp::reload_cr3)));
    h::Step ok{};
    ok.expect.kind = static_cast<std::uint8_t>(h::ExpectKind::ok);
    ok.expect.frame_count = 5;
    EXPECT_FALSE(valid_with(ok));
    ok.expect.frame_count = 1;
    ok.expect.frames[0] = h::kMaxDataFrames;  // outside the data area
    EXPECT_FALSE(valid_with(ok));
    ok.expect.frames[0] = 7;
    EXPECT_TRUE(valid_with(ok));
    ok.expect.frames[2] = 7;  // a frame past frame_count
    EXPECT_FALSE(valid_with(ok));
    h::Step none{};
    none.expect.error_code = 1;  // "none" carries nothing
    EXPECT_FALSE(valid_with(none, static_cast<std::uint16_t>(h::StepOp::invlpg)));
}

TEST(ProgramExpect, QemuCpuBecomesCpuConditionsTheGuestChecks) {
    const auto none = scenario::cpu_condition("");
    EXPECT_EQ(none.absent, 0u);
    EXPECT_TRUE(none.error.empty());
    const auto no1g = scenario::cpu_condition("max,-pdpe1gb");
    EXPECT_EQ(no1g.absent, h::feature::page1gb);
    EXPECT_TRUE(no1g.error.empty());
    const auto bits = scenario::cpu_condition("max,phys-bits=36,smep=off,+pku");
    EXPECT_EQ(bits.maxphyaddr, 36);
    EXPECT_EQ(bits.absent, h::feature::smep);
    EXPECT_EQ(bits.present, h::feature::pku);
    EXPECT_NE(scenario::cpu_condition("Skylake-Client").error, "");
    EXPECT_NE(scenario::cpu_condition("max,-avx512f").error.find("cannot check"), std::string::npos);
    EXPECT_NE(scenario::cpu_condition("max,phys-bits=99").error, "");

    const Built b(access("read", "\"ok\""), "qemu_cpu = \"max,phys-bits=36,-pdpe1gb\"\n");
    ASSERT_TRUE(b.c.ok());
    const h::ProgramHeader& hdr = h::program_header(b.c.program.bytes.data());
    EXPECT_EQ(hdr.absent_features, h::feature::page1gb);
    EXPECT_EQ(hdr.maxphyaddr, 36);
    // A CPU model that takes away what the steps need cannot be satisfied.
    const Built c(
        "[[step]]\nop = \"map\"\nva = 0x8000_0000\npa = 0\nsize = \"1G\"\nrights = \"r\"\npage_sizes = \"1G\"\n",
        "qemu_cpu = \"max,-pdpe1gb\"\n");
    ASSERT_FALSE(c.c.ok());
    EXPECT_NE(c.c.errors.front().to_string().find("turns off page1gb"), std::string::npos);
}

TEST(ProgramExpect, HeaderValidationChecksTheCpuConditions) {
    const Built b(access("read", "\"ok\""));
    std::vector<std::uint8_t> bytes = b.c.program.bytes;
    auto* hdr = reinterpret_cast<h::ProgramHeader*>(bytes.data());
    EXPECT_TRUE(h::validate_program(bytes.data(), bytes.size()));
    hdr->maxphyaddr = 20;
    EXPECT_EQ(h::validate_program(bytes.data(), bytes.size()).error, h::ProgramError::bad_header_field);
    hdr->maxphyaddr = 0;
    hdr->absent_features = hdr->features | h::feature::nx;  // absent and needed at once
    EXPECT_EQ(h::validate_program(bytes.data(), bytes.size()).error, h::ProgramError::bad_header_field);
    hdr->absent_features = 1u << 20;  // no such feature
    EXPECT_EQ(h::validate_program(bytes.data(), bytes.size()).error, h::ProgramError::bad_header_field);
}

TEST(ProgramRecords, BeginAndEndDecodeAndAreBoundsChecked) {
    h::ProgramBeginRecord b{};
    b.header = h::make_header(h::RecordType::program_begin, sizeof b);
    b.module_index = 2;
    b.module_count = 3;
    b.mode = 4;
    b.code_bits = 64;
    EXPECT_TRUE(h::decode(reinterpret_cast<const std::uint8_t*>(&b), sizeof b).ok());
    b.module_index = 3;  // past the count
    EXPECT_EQ(h::decode(reinterpret_cast<const std::uint8_t*>(&b), sizeof b).error, h::DecodeError::bad_field);
    b.module_index = 0;
    b.mode = 5;
    EXPECT_EQ(h::decode(reinterpret_cast<const std::uint8_t*>(&b), sizeof b).error, h::DecodeError::bad_field);

    h::ProgramEndRecord e{};
    e.header = h::make_header(h::RecordType::program_end, sizeof e);
    e.verdict = static_cast<std::uint8_t>(h::ProgramVerdict::failed);
    e.code_bits = 32;
    e.steps_judged = 3;
    e.steps_passed = 2;
    e.steps_failed = 1;
    e.failed_checks = h::guest_check::expectation;
    EXPECT_TRUE(h::decode(reinterpret_cast<const std::uint8_t*>(&e), sizeof e).ok());
    e.steps_passed = 1;  // passed + failed must be judged
    EXPECT_EQ(h::decode(reinterpret_cast<const std::uint8_t*>(&e), sizeof e).error, h::DecodeError::bad_field);
    e.steps_passed = 2;
    e.verdict = 9;
    EXPECT_EQ(h::decode(reinterpret_cast<const std::uint8_t*>(&e), sizeof e).error, h::DecodeError::bad_field);

    h::AccessRecord a{};
    a.header = h::make_header(h::RecordType::access, sizeof a);
    a.guest.judged = h::guest_check::expectation;
    a.guest.failed = h::guest_check::prediction;  // a failure of a check it did not make
    EXPECT_EQ(h::decode(reinterpret_cast<const std::uint8_t*>(&a), sizeof a).error, h::DecodeError::bad_field);
}
