// SPDX-License-Identifier: MIT OR Apache-2.0
// Scenario files: a good file becomes the Scenario it says; every error names the file, line and key.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "scenario/parser.hpp"
#include "suite/selection.hpp"

using namespace pagewalk::host::scenario;
using pagewalk::PagingMode;
using pagewalk::harness::AccessKind;
using pagewalk::harness::StepOp;

namespace {

constexpr const char* kHeader = R"(name = "t"
rule = "SDM"
modes = ["4level"]
)";

ParseResult parse(const std::string& text) {
    return parse_scenario_text(text, "dir/t.toml");
}

/// The single error of `text` (the test fails unless there is exactly one).
Diagnostic only_error(const std::string& text) {
    const ParseResult r = parse(text);
    EXPECT_EQ(r.errors.size(), 1u);
    if (r.errors.size() > 1)
        for (const auto& e : r.errors) ADD_FAILURE() << "error: " << e.to_string();
    return r.errors.empty() ? Diagnostic{} : r.errors.front();
}

/// Checks file, line and key of the first error and that the message mentions `words`.
void expect_error(const std::string& text, int line, const std::string& key, const std::string& words) {
    const ParseResult r = parse(text);
    ASSERT_FALSE(r.errors.empty()) << "no error for:\n" << text;
    const Diagnostic& d = r.errors.front();
    EXPECT_EQ(d.pos.file, "dir/t.toml");
    EXPECT_EQ(d.pos.line, line) << d.to_string();
    EXPECT_EQ(d.key, key) << d.to_string();
    EXPECT_NE(d.message.find(words), std::string::npos) << d.to_string();
    EXPECT_NE(d.to_string().find("dir/t.toml:" + std::to_string(line) + ":"), std::string::npos) << d.to_string();
}

}  // namespace

TEST(ScenarioParser, ReadsEveryPartOfAGoodFile) {
    const ParseResult r = parse(R"(name = "write-ro"
description = "d"
rule = "SDM Vol. 3A §4.6.1"
modes = ["4level", "5level"]
features = ["smep", "page1gb"]
qemu_cpu = "max,-pdpe1gb"
table_frames = 32

[control]
wp = false
smap = true
pkru = 0xc

[[step]]
op = "map"
va = 0x4000_0000
frame = 2
size = "8K"
rights = "rwu"
page_sizes = ["4K", "2M"]
global = true
pat = 3
pkey = 5

[[step]]
name = "w"
op = "write"
va = "0xffff_8000_0000_0000"
cpl = 3
ac = true
value = 7
expect = { fault = "#PF", error = "P|W|U", cr2 = 16 }

[[step]]
op = "edit"
va = 0x4000_0000
entry = "PDE"
set = ["PS", 51, "MAXPHYADDR"]
clear = 0x6
flush = false
modes = ["5level"]

[[step]]
op = "read_entry"
va = 0x4000_0000
entry = "top"
expect = { accessed = true }

[[step]]
op = "implicit"
va = 0x4000_0010
expect = { ok = true, frames = [1, 2] }
)");
    ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
    const Scenario& s = r.scenario;
    EXPECT_EQ(s.name, "write-ro");
    EXPECT_EQ(s.rule, "SDM Vol. 3A §4.6.1");
    ASSERT_EQ(s.modes.size(), 2u);
    EXPECT_EQ(s.modes[1], PagingMode::long5);
    EXPECT_EQ(s.features, pagewalk::harness::feature::smep | pagewalk::harness::feature::page1gb);
    EXPECT_EQ(s.qemu_cpu, "max,-pdpe1gb");
    EXPECT_EQ(s.table_frames, 32u);
    EXPECT_EQ(s.controls & pagewalk::harness::control::wp, 0u);
    EXPECT_NE(s.controls & pagewalk::harness::control::smap, 0u);
    EXPECT_NE(s.controls & pagewalk::harness::control::nxe, 0u);  // a default
    EXPECT_EQ(s.pkru, 0xcu);
    ASSERT_EQ(s.steps.size(), 5u);

    const StepSpec& map = s.steps[0];
    EXPECT_EQ(map.op, StepOp::map);
    EXPECT_EQ(map.id, 1u);
    EXPECT_EQ(map.pos.line, 14);
    EXPECT_EQ(map.frame, 2u);
    EXPECT_EQ(map.size, 8192u);
    EXPECT_EQ(map.rights, 3);  // w | u (r is implied; no x: not executable)
    EXPECT_EQ(map.sizes, 3);
    EXPECT_TRUE(map.global);
    EXPECT_EQ(map.pat, 3);
    EXPECT_EQ(map.pkey, 5);

    const StepSpec& w = s.steps[1];
    EXPECT_EQ(w.name, "w");
    EXPECT_EQ(w.kind, AccessKind::write);
    EXPECT_EQ(w.va, 0xffff'8000'0000'0000ull);
    EXPECT_EQ(w.cpl, 3);
    EXPECT_TRUE(w.ac);
    EXPECT_EQ(w.value, 7u);
    ASSERT_TRUE(w.expect);
    EXPECT_EQ(w.expect->kind, Expectation::Kind::fault);
    EXPECT_EQ(w.expect->vector, 14);
    EXPECT_EQ(w.expect->error_code, 7u);
    EXPECT_EQ(w.expect->cr2, 16u);

    const StepSpec& e = s.steps[2];
    EXPECT_EQ(e.op, StepOp::edit_entry);
    EXPECT_EQ(e.entry.level, 2u);
    EXPECT_EQ(e.set_bits, (1ull << 7) | (1ull << 51));
    EXPECT_TRUE(e.set_maxphyaddr_bit);
    EXPECT_EQ(e.clear_bits, 6u);
    EXPECT_FALSE(e.flush);
    ASSERT_EQ(e.modes.size(), 1u);

    EXPECT_EQ(s.steps[3].entry.resolve(PagingMode::long5), 5u);
    EXPECT_EQ(s.steps[3].expect->kind, Expectation::Kind::entry);
    EXPECT_TRUE(s.steps[4].implicit);
    EXPECT_EQ(s.steps[4].expect->frames.size(), 2u);
}

TEST(ScenarioParser, RightsLettersAndDefaults) {
    const ParseResult r = parse(std::string(kHeader) + R"(
[[step]]
op = "map"
va = 0x4000_0000
pa = 0x10_0000
size = 4096
rights = "rx"
[[step]]
op = "read"
va = 0x4000_0000
expect = "model"
)");
    ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
    EXPECT_EQ(r.scenario.name, "t");
    EXPECT_EQ(r.scenario.steps[0].rights, pagewalk::harness::step_rights::executable);
    EXPECT_EQ(r.scenario.steps[0].pa, 0x10'0000u);
    EXPECT_EQ(r.scenario.steps[0].sizes, 7);  // any
    EXPECT_TRUE(r.scenario.steps[0].flush);
    EXPECT_EQ(r.scenario.steps[1].cpl, 0);
    EXPECT_EQ(r.scenario.steps[1].expect->kind, Expectation::Kind::model);
}

TEST(ScenarioParser, NameDefaultsToTheFileStem) {
    const ParseResult r =
        parse_scenario_text("rule = \"x\"\nmodes = \"all\"\n[[step]]\nop = \"reload_cr3\"\n", "lib/cr3-reload.toml");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.scenario.name, "cr3-reload");
    EXPECT_EQ(r.scenario.modes.size(), 4u);
}

TEST(ScenarioParser, TomlSyntaxErrorNamesTheLine) {
    expect_error(std::string(kHeader) + "[[step]]\nop = \"read\nva = 1\n", 5, "", "TOML syntax");
}

TEST(ScenarioParser, MissingTopLevelKeys) {
    expect_error("modes = [\"4level\"]\n[[step]]\nop = \"reload_cr3\"\n", 1, "rule", "missing");
    expect_error("rule = \"r\"\n[[step]]\nop = \"reload_cr3\"\n", 1, "modes", "missing");
    expect_error(kHeader, 1, "step", "at least one");
}

TEST(ScenarioParser, UnknownKeysAreErrorsNotDefaults) {
    expect_error(std::string(kHeader) + "rigths = 1\n[[step]]\nop = \"reload_cr3\"\n", 4, "rigths", "unknown key");
    expect_error(std::string(kHeader) + "[control]\nwq = true\n[[step]]\nop = \"reload_cr3\"\n", 5, "control.wq",
                 "unknown key");
    expect_error(std::string(kHeader) + "[[step]]\nop = \"invlpg\"\nva = 0x4000_0000\nsize = 4\n", 7, "step[1].size",
                 "unknown key");
}

TEST(ScenarioParser, BadTopLevelValues) {
    expect_error("rule = \"r\"\nmodes = [\"4lvl\"]\n[[step]]\nop = \"reload_cr3\"\n", 2, "modes", "unknown mode");
    expect_error(std::string(kHeader) + "features = [\"sme\"]\n[[step]]\nop = \"reload_cr3\"\n", 4, "features",
                 "unknown feature");
    expect_error(std::string(kHeader) + "table_frames = 2\n[[step]]\nop = \"reload_cr3\"\n", 4, "table_frames",
                 "outside");
    expect_error(std::string(kHeader) + "[control]\nwp = 1\n[[step]]\nop = \"reload_cr3\"\n", 5, "control.wp",
                 "true or false");
}

TEST(ScenarioParser, StepErrorsNameTheStepAndKey) {
    const std::string h = std::string(kHeader) + "[[step]]\n";  // step[1] starts on line 4
    expect_error(h + "va = 1\n", 4, "step[1].op", "missing");
    expect_error(h + "op = \"jump\"\n", 5, "step[1].op", "unknown op");
    expect_error(h + "op = \"read\"\nexpect = \"ok\"\n", 4, "step[1].va", "missing");
    expect_error(h + "op = \"read\"\nva = -1\nexpect = \"ok\"\n", 6, "step[1].va", "non-negative");
    expect_error(h + "op = \"read\"\nva = \"0xzz\"\nexpect = \"ok\"\n", 6, "step[1].va", "not a number");
    expect_error(h + "op = \"read\"\nva = 8\n", 4, "step[1].expect", "missing");
    expect_error(h + "op = \"read\"\nva = 8\ncpl = 2\nexpect = \"ok\"\n", 7, "step[1].cpl", "0 or 3");
    expect_error(h + "op = \"map\"\nva = 0\nsize = \"4Q\"\nframe = 0\nrights = \"r\"\n", 7, "step[1].size",
                 "not a size");
    expect_error(h + "op = \"map\"\nva = 0\nsize = 4096\nframe = 0\nrights = \"rz\"\n", 9, "step[1].rights", "letters");
    expect_error(h + "op = \"map\"\nva = 0\nsize = 4096\nframe = 0\nrights = \"w\"\n", 9, "step[1].rights",
                 "must include r");
    expect_error(h + "op = \"map\"\nva = 0\nsize = 4096\nrights = \"r\"\n", 4, "step[1]", "exactly one of frame");
    expect_error(h + "op = \"map\"\nva = 0\nsize = 4096\nframe = 0\nrights = \"r\"\npkey = 15\n", 10, "step[1].pkey",
                 "outside");
    expect_error(h + "op = \"map\"\nva = 0\nsize = 4096\nframe = 0\nrights = \"r\"\npage_sizes = \"3M\"\n", 10,
                 "step[1].page_sizes", "unknown page size");
    expect_error(h + "op = \"edit\"\nva = 0\nentry = \"PTE\"\nset = [\"QQ\"]\n", 8, "step[1].set[0]",
                 "unknown entry bit");
    expect_error(h + "op = \"edit\"\nva = 0\nentry = \"PTE\"\nclear = \"MAXPHYADDR\"\n", 8, "step[1].clear",
                 "only be set");
    expect_error(h + "op = \"edit\"\nva = 0\nentry = \"PPE\"\nset = 1\n", 7, "step[1].entry", "unknown entry");
    expect_error(h + "op = \"edit\"\nva = 0\nentry = \"PTE\"\n", 4, "step[1]", "set and/or clear");
    expect_error(h + "op = \"control\"\n", 4, "step[1]", "at least one");
}

TEST(ScenarioParser, ExpectationErrors) {
    const std::string h = std::string(kHeader) + "[[step]]\nop = \"read\"\nva = 8\n";  // expect on line 7
    expect_error(h + "expect = \"fine\"\n", 7, "step[1].expect", "\"ok\", \"model\"");
    expect_error(h + "expect = { ok = true, fault = \"PF\" }\n", 7, "step[1].expect", "exactly one of");
    expect_error(h + "expect = { fault = \"XX\" }\n", 7, "step[1].expect.fault", "unknown exception");
    expect_error(h + "expect = { fault = \"PF\", error = \"P|Q\" }\n", 7, "step[1].expect.error",
                 "unknown error-code bit");
    expect_error(h + "expect = { ok = true, error = 3 }\n", 7, "step[1].expect.error", "only a fault");
    expect_error(h + "expect = { fault = \"PF\", frame = 3 }\n", 7, "step[1].expect.frame", "only an ok");
    expect_error(h + "expect = { ok = true, colour = 3 }\n", 7, "step[1].expect.colour", "unknown key");
    const Diagnostic d = only_error(std::string(kHeader) +
                                    "[[step]]\nop = \"read_entry\"\nva = 8\nentry = \"PTE\"\nexpect = { dirty = 1 }\n");
    EXPECT_EQ(d.key, "step[1].expect.dirty");
    EXPECT_EQ(d.pos.line, 8);
}

TEST(ScenarioParser, ErrorCodesInEveryForm) {
    const std::string h = std::string(kHeader) + "[[step]]\nop = \"read\"\nva = 8\n";
    for (const auto& [text, code] : std::vector<std::pair<std::string, std::uint32_t>>{
             {"\"P|W|U|RSVD|ID|PK\"", 0x3f}, {"[\"P\", \"RSVD\"]", 9}, {"0x11", 0x11}, {"\"0x11\"", 0x11}, {"0", 0}}) {
        const ParseResult r = parse(h + "expect = { fault = \"PF\", error = " + text + " }\n");
        ASSERT_TRUE(r.ok()) << text << ": " << r.errors.front().to_string();
        EXPECT_EQ(r.scenario.steps[0].expect->error_code, code) << text;
    }
}

TEST(ScenarioParser, EveryErrorOfAFileIsReported) {
    const ParseResult r = parse("rule = 1\nmodes = [\"x\"]\n[[step]]\nop = \"read\"\n[[step]]\nop = \"jump\"\n");
    EXPECT_GE(r.errors.size(), 4u);  // rule, modes, step 1 va and expect, step 2 op
}

TEST(ScenarioParser, UnreadableFile) {
    const ParseResult r = parse_scenario_file("/nonexistent/x.toml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].pos.file, "/nonexistent/x.toml");
}

TEST(ScenarioParser, TagsAreStringsAndFeaturesAreTagsToo) {
    const ParseResult r = parse(std::string(kHeader) + R"(tags = ["tlb", "flush"]
[control]
pke = true
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "rwu"
pkey = 1
)");
    ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
    EXPECT_EQ(r.scenario.tags, (std::vector<std::string>{"tlb", "flush"}));
    // `pagewalk run --tag pku` finds it by the feature it needs as well as by its own tags.
    const auto tags = pagewalk::host::suite::scenario_tags(r.scenario);
    for (const char* t : {"flush", "pku", "tlb"}) EXPECT_NE(std::find(tags.begin(), tags.end(), t), tags.end()) << t;
    expect_error(std::string(kHeader) + "tags = 5\n[[step]]\nop = \"reload_cr3\"\n", 4, "tags",
                 "expected a string or an array of strings");
}

TEST(ScenarioParser, AccessWidths) {
    const std::string h = std::string(kHeader) + "[[step]]\nop = \"read\"\nva = 8\nexpect = \"ok\"\n";  // size: line 8
    const ParseResult r = parse(std::string(kHeader) +
                                "[[step]]\nop = \"read\"\nva = 8\nexpect = \"ok\"\n"
                                "[[step]]\nop = \"write\"\nva = 9\nsize = 2\nexpect = \"ok\"\n");
    ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
    EXPECT_EQ(r.scenario.steps[0].width, 8);  // the default
    EXPECT_EQ(r.scenario.steps[1].width, 2);
    EXPECT_EQ(r.scenario.steps[1].size, 0u);  // not a map step's size
    for (const char* bad : {"3", "0", "16", "-1"})
        expect_error(h + "size = " + bad + "\n", 8, "step[1].size", bad[0] == '-' ? "" : "1, 2, 4 or 8 bytes");
    expect_error(std::string(kHeader) + "[[step]]\nop = \"fetch\"\nva = 8\nsize = 4\nexpect = \"ok\"\n", 7,
                 "step[1].size", "unknown key");
}
