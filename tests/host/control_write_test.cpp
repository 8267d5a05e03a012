// SPDX-License-Identifier: MIT OR Apache-2.0
// PAE PDPTE loads and reload_cr3 steps (harness::ControlWriteRecord): the record decodes and is bounds-checked;
// the host judges the load against the guest's prediction and the scenario's expectation, with QEMU's PDPTE
// deviations known; `expect` on reload_cr3 parses and compiles only where it means something; the live check walks
// PAE through the PDPTE registers it tracked, not through the PDPT in memory; the 32-bit self-test's records are
// told apart by their code bits.
#include "check/control_write.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/decoder.hpp>
#include <vector>

#include "check/evaluate.hpp"
#include "check/known_deviations.hpp"
#include "check/live_check.hpp"
#include "guest_judgement.hpp"
#include "run/selftest_check.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

using namespace pagewalk;
using namespace pagewalk::host;
namespace h = pagewalk::harness;

namespace {

const check::BackendInfo kKvm{"kvm", "Linux 6"};
const check::BackendInfo kQemu{"qemu", "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)"};

template <class T>
h::DecodeError decode(T rec, h::RecordType type) {
    rec.header = h::make_header(type, sizeof rec);
    return h::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec).error;
}

/// MOV to CR3 in PAE paging; `reserved` != 0: predicted #GP with those reserved bits in PDPTE 1.
h::ControlWriteRecord pdpte_load(std::uint32_t step, std::uint64_t reserved, bool cpu_faulted) {
    h::ControlWriteRecord w{};
    w.header = h::make_header(h::RecordType::control_write, sizeof w);
    w.step = step;
    w.reg = 3;
    w.mode = 2;
    w.loads_pdptes = 1;
    w.value = w.cr3 = 0x20'0000;
    w.pdpt[0] = 0x20'1001;
    w.pdpt[1] = 0x20'4001 | reserved;
    if (reserved != 0) {
        w.predicted_vector = 13;
        w.pdpte_index = 1;
        w.reserved_bits = reserved;
    }
    if (cpu_faulted) {
        w.outcome = 1;
        w.vector = 13;
        w.has_error_code = 1;
    }
    return w;
}

bool has(const std::vector<check::Finding>& fs, check::Finding::Severity s, const std::string& check,
         const std::string& words) {
    for (const auto& f : fs)
        if (f.severity == s && f.check == check && f.message.find(words) != std::string::npos) return true;
    return false;
}

const char* const kReloadScenario = R"(rule = "r"
modes = ["pae"]
[[step]]
op = "map"
va = 0x4000_0000
frame = 0
size = "4K"
rights = "rw"
[[step]]
op = "edit"
va = 0x4000_0000
entry = "PDPTE"
set = [1]
flush = false
[[step]]
op = "reload_cr3"
expect = { fault = "GP", error = 0 }
)";

}  // namespace

TEST(ControlWriteRecord, DecodesAndRefusesFieldsOutOfRange) {
    EXPECT_EQ(decode(pdpte_load(3, 0x2, true), h::RecordType::control_write), h::DecodeError::ok);
    auto w = pdpte_load(3, 0x2, true);
    w.reg = 1;
    EXPECT_EQ(decode(w, h::RecordType::control_write), h::DecodeError::bad_field);
    w = pdpte_load(3, 0x2, true);
    w.predicted_vector = 14;
    EXPECT_EQ(decode(w, h::RecordType::control_write), h::DecodeError::bad_field);
    w = pdpte_load(3, 0x2, true);
    w.pdpte_index = 4;
    EXPECT_EQ(decode(w, h::RecordType::control_write), h::DecodeError::bad_field);
    w = pdpte_load(3, 0x2, true);
    w.header = h::make_header(h::RecordType::control_write, sizeof w - 8);
    EXPECT_EQ(h::decode(reinterpret_cast<const std::uint8_t*>(&w), sizeof w - 8).error,
              h::DecodeError::bad_payload_length);
}

TEST(ControlWrite, AgreeingLoadsHaveNoFindings) {
    EXPECT_TRUE(check::check_control_write(pdpte_load(4, 0, false), nullptr, kKvm).empty());
    EXPECT_TRUE(check::check_control_write(pdpte_load(4, 0x2, true), nullptr, kKvm).empty());
}

TEST(ControlWrite, PdpteReservedBitWithoutGpFailsOnKvm) {
    const auto fs = check::check_control_write(pdpte_load(4, 0x2, false), nullptr, kKvm);
    ASSERT_EQ(fs.size(), 1u);
    EXPECT_TRUE(has(fs, check::Finding::Severity::failure, "prediction", "predicted #GP(0)")) << fs[0].message;
}

TEST(ControlWrite, QemuPdpteDeviationsAreKnown) {
    // Only bit 5 — the bit QEMU itself sets when it walks — and a scenario's reserved bit are told apart.
    auto fs = check::check_control_write(pdpte_load(4, 0x20, false), nullptr, kQemu);
    EXPECT_TRUE(has(fs, check::Finding::Severity::known_deviation, "prediction", "qemu-pae-pdpte-accessed"));
    fs = check::check_control_write(pdpte_load(4, 0x22, false), nullptr, kQemu);
    EXPECT_TRUE(has(fs, check::Finding::Severity::known_deviation, "prediction", "qemu-pae-pdpte-no-gp"));
    // Another backend or a #GP the model did not predict is no known deviation.
    fs = check::check_control_write(pdpte_load(4, 0, true), nullptr, kQemu);
    EXPECT_TRUE(has(fs, check::Finding::Severity::failure, "prediction", "the CPU raised #GP"));
}

TEST(ControlWrite, ReloadCr3ExpectationIsChecked) {
    auto r = scenario::parse_scenario_text(kReloadScenario, "r.toml");
    ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
    const scenario::StepSpec& reload = r.scenario.steps[2];
    ASSERT_TRUE(reload.expect);
    EXPECT_EQ(reload.expect->vector, 13);
    EXPECT_TRUE(check::check_control_write(pdpte_load(3, 0x2, true), &reload, kKvm).empty());
    const auto fs = check::check_control_write(pdpte_load(3, 0, false), &reload, kKvm);
    EXPECT_TRUE(has(fs, check::Finding::Severity::failure, "expectation", "expected #GP(0x0) at the MOV to CR3"));
}

TEST(ControlWrite, ReloadCr3ExpectParsesAndCompilesOnlyWhereItMeansSomething) {
    auto r = scenario::parse_scenario_text(kReloadScenario, "r.toml");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(scenario::compile(r.scenario, PagingMode::pae).ok());
    std::string four = kReloadScenario;
    four.replace(four.find("[\"pae\"]"), 7, "[\"4level\"]");
    four.replace(four.find("entry = \"PDPTE\""), 15, "entry = \"PTE\"");
    r = scenario::parse_scenario_text(four, "r.toml");
    ASSERT_TRUE(r.ok());
    const auto c = scenario::compile(r.scenario, PagingMode::long4);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.errors.front().to_string().find("only in PAE paging"), std::string::npos);
    std::string pf = kReloadScenario;
    pf.replace(pf.find("fault = \"GP\""), 12, "fault = \"PF\"");
    r = scenario::parse_scenario_text(pf, "r.toml");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors.front().to_string().find("raises only #GP"), std::string::npos);
}

TEST(ControlWrite, MissingReloadRecordFailsTheStep) {
    auto r = scenario::parse_scenario_text(kReloadScenario, "r.toml");
    ASSERT_TRUE(r.ok());
    const scenario::Scenario s = r.scenario;
    auto c = scenario::compile(s, PagingMode::pae);
    ASSERT_TRUE(c.ok());
    c.program.scenario = &s;
    RunResult run;
    run.backend = "kvm";
    run.outcome = Outcome::passed;
    h::RunInfoRecord ri{};
    ri.header = h::make_header(h::RecordType::run_info, sizeof ri);
    ri.mode = 2;
    ri.code_bits = 32;
    run.records.push_back({h::decode(reinterpret_cast<const std::uint8_t*>(&ri), sizeof ri).record, 0});
    auto e = check::evaluate(c.program, run, nullptr, kKvm);
    EXPECT_EQ(e.verdict, check::Verdict::fail);
    EXPECT_TRUE(has(e.findings, check::Finding::Severity::failure, "run", "no control_write record"));
    auto w = pdpte_load(3, 0x2, true);
    w.guest = test::judgement(h::guest_check::prediction | h::guest_check::expectation);
    run.records.push_back({h::decode(reinterpret_cast<const std::uint8_t*>(&w), sizeof w).record, 0});
    ASSERT_TRUE(test::end_program(run));
    e = check::evaluate(c.program, run, nullptr, kKvm);
    EXPECT_EQ(e.verdict, check::Verdict::pass) << (e.findings.empty() ? "" : e.findings.front().message);
}

TEST(KnownDeviations, QemuPse36AboveMaxphyaddr) {
    check::Disagreement d;
    d.backend = kQemu.name;
    d.backend_version = kQemu.version;
    d.expected_vector = 14;
    d.expected_error = 0x9;
    d.fault_causes = 1u << 1;
    d.fault_level = 2;
    d.fault_entry = 0x20200a3;  // 4 MiB PDE, bit 17 (PA bit 36) set
    d.mode = 1;
    const auto k = check::match_known_deviation(d);
    ASSERT_TRUE(k);
    EXPECT_STREQ(k->id, "qemu-pse36-above-maxphyaddr");
    d.mode = 2;  // a PAE 2 MiB PDE's bits 20:13 are alignment bits, which QEMU does check
    EXPECT_FALSE(check::match_known_deviation(d));
}

namespace {

/// Guest memory as a byte vector, and the vCPU's registers when a test sets them.
class FakeGuest final : public LiveGuest {
public:
    std::vector<std::uint8_t> ram = std::vector<std::uint8_t>(0x10000);
    std::optional<LiveRegisters> vcpu;
    void put(std::uint64_t pa, std::uint64_t v) { std::memcpy(ram.data() + pa, &v, 8); }
    bool read_physical(std::uint64_t pa, void* out, std::size_t n) override {
        if (pa + n > ram.size()) return false;
        std::memcpy(out, ram.data() + pa, n);
        return true;
    }
    std::optional<LiveRegisters> registers() override { return vcpu; }
    bool has_registers() const override { return vcpu.has_value() || vcpu_fails; }
    bool vcpu_fails = false;  ///< registers() is meant to answer but cannot
    std::optional<std::optional<std::uint64_t>> translate(std::uint64_t) override { return std::nullopt; }
    const char* source() const override { return "fake"; }
};

template <class T>
h::DecodedRecord decoded(T rec, h::RecordType type) {
    rec.header = h::make_header(type, sizeof rec);
    return h::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec).record;
}

}  // namespace

TEST(LiveCheck, PaeWalksThroughTheTrackedPdpteRegisters) {
    // PDPT at 0x1000 whose PDPTE 0 has bit 5 set in memory (what QEMU writes), PD at 0x2000, PT at 0x3000.
    FakeGuest g;
    g.put(0x1000, 0x2001 | 0x20);
    g.put(0x2000, 0x3007);
    g.put(0x3008, 0x5007);
    h::HelloRecord hello{};
    hello.code_bits = 32;
    hello.max_basic_leaf = 1;
    hello.leaf1_edx = (1u << 6) | (1u << 3);  // PAE, PSE
    hello.max_extended_leaf = 0x8000'0008u;
    hello.maxphyaddr = 36;
    std::memcpy(hello.vendor, "GenuineIntel", 12);
    h::AnnounceRecord a{};
    a.step = 2;
    a.va = 0x1000;
    a.mode = 2;
    a.cr0 = 0x8000'0011;
    a.cr3 = 0x1000;
    a.cr4 = 0x20;
    a.prediction.kind = 0;
    a.prediction.level = 1;
    a.prediction.pa = 0x5000;

    check::LiveChecker without;  // no PDPTE load seen: memory as it is, and bit 5 makes it a #GP
    without.on_record(decoded(hello, h::RecordType::hello), g);
    without.on_record(decoded(a, h::RecordType::announce), g);
    ASSERT_EQ(without.findings().size(), 1u);

    check::LiveChecker with;
    with.on_record(decoded(hello, h::RecordType::hello), g);
    h::ControlWriteRecord w{};  // the load at CR0.PG: the PDPT was clean then
    w.reg = 0;
    w.mode = 2;
    w.loads_pdptes = 1;
    w.cr3 = 0x1000;
    w.pdpt[0] = 0x2001;
    with.on_record(decoded(w, h::RecordType::control_write), g);
    with.on_record(decoded(a, h::RecordType::announce), g);
    EXPECT_TRUE(with.findings().empty()) << with.findings().front().message;
    EXPECT_EQ(with.checked(), 1u);
}

TEST(LiveCheck, TheVcpusRegistersDecideAndADifferenceFromTheGuestsAccountFails) {
    // 4-level tables at 0x1000 (PML4) … 0x4000 (PT) map 0x0 → 0x5000; a second PML4 at 0x6000 maps nothing.
    FakeGuest g;
    g.put(0x1000, 0x2003);
    g.put(0x2000, 0x3003);
    g.put(0x3000, 0x4003);
    g.put(0x4000, 0x5003);
    h::HelloRecord hello{};
    hello.code_bits = 64;
    hello.max_basic_leaf = 1;
    hello.leaf1_edx = (1u << 6) | (1u << 3);
    hello.max_extended_leaf = 0x8000'0008u;
    hello.ext1_edx = (1u << 29) | (1u << 20);  // long mode, NX
    hello.maxphyaddr = 40;
    std::memcpy(hello.vendor, "GenuineIntel", 12);
    h::AnnounceRecord a{};
    a.step = 3;
    a.va = 0x8;
    a.mode = 3;
    a.cr0 = 0x8001'0011;
    a.cr3 = 0x1000;
    a.cr4 = 0x20;
    a.efer = 0xd00;
    a.prediction.kind = 0;
    a.prediction.level = 1;
    a.prediction.pa = 0x5008;

    g.vcpu = LiveRegisters{a.cr0, a.cr3, a.cr4, a.efer};  // the vCPU agrees: nothing to report
    check::LiveChecker same;
    same.on_record(decoded(hello, h::RecordType::hello), g);
    same.on_record(decoded(a, h::RecordType::announce), g);
    EXPECT_TRUE(same.findings().empty()) << same.findings().front().message;

    g.vcpu->cr3 = 0x6000;  // the guest says it loaded 0x1000; the CPU walks 0x6000, where nothing is mapped
    check::LiveChecker other;
    other.on_record(decoded(hello, h::RecordType::hello), g);
    other.on_record(decoded(a, h::RecordType::announce), g);
    ASSERT_EQ(other.findings().size(), 2u);
    EXPECT_NE(other.findings()[0].message.find("differ from what the guest read"), std::string::npos);
    EXPECT_NE(other.findings()[1].message.find("the host's walk of the live tables (kind)"), std::string::npos)
        << other.findings()[1].message;

    g.vcpu.reset();  // the backend has registers but cannot read them now: a failure, not the guest's account
    g.vcpu_fails = true;
    check::LiveChecker unread;
    unread.on_record(decoded(hello, h::RecordType::hello), g);
    unread.on_record(decoded(a, h::RecordType::announce), g);
    ASSERT_EQ(unread.findings().size(), 1u);
    EXPECT_NE(unread.findings()[0].message.find("cannot read the vCPU's control registers"), std::string::npos)
        << unread.findings()[0].message;
}

TEST(SelftestCheck, ExceptionsMustComeFromTheWorldAsked) {
    RunResult r;
    r.outcome = Outcome::passed;
    auto push = [&](auto rec, h::RecordType t) { r.records.push_back({decoded(rec, t), 0}); };
    h::HelloRecord hello{};
    hello.code_bits = 32;
    push(hello, h::RecordType::hello);
    h::ExceptionRecord x{};
    x.vector = 14;
    x.code_bits = 32;
    x.expected = 1;
    x.step = 1;
    x.cr2 = 0x40001234;
    push(x, h::RecordType::exception);
    x.step = 2;
    x.cpl = 3;
    x.error_code = 7;
    x.has_error_code = 1;
    x.cr2 = 0x120000;
    push(x, h::RecordType::exception);
    h::FinalRecord f{};
    f.steps = 3;
    push(f, h::RecordType::final);
    EXPECT_EQ(check_selftest(r, 32), "");
    EXPECT_NE(check_selftest(r, 64).find("taken by 32-bit code"), std::string::npos);
}

TEST(ControlWrite, AnExpectationThatContradictsTheModelIsNeverExcusedAsADeviation) {
    auto r = scenario::parse_scenario_text(kReloadScenario, "r.toml");
    ASSERT_TRUE(r.ok());
    const scenario::StepSpec& reload = r.scenario.steps[2];
    // The model predicts the load completes (no reserved bit in a present PDPTE); QEMU completes it; the scenario
    // wrongly expects #GP: the scenario's error, on every backend.
    const auto fs = check::check_control_write(pdpte_load(3, 0, false), &reload, kQemu);
    EXPECT_TRUE(has(fs, check::Finding::Severity::failure, "expectation", "the walker predicted that it completes"));
    // Where the expectation agrees with the model, QEMU's missing #GP is the known deviation.
    const auto known = check::check_control_write(pdpte_load(3, 0x2, false), &reload, kQemu);
    EXPECT_TRUE(has(known, check::Finding::Severity::known_deviation, "expectation", "qemu-pae-pdpte-no-gp"));
}

TEST(KnownDeviations, QemuPdpteBit5SeenByAnEntryRead) {
    check::Disagreement d;
    d.backend = "qemu";
    d.backend_version = "QEMU emulator version 7.2.22";
    d.mode = static_cast<std::uint8_t>(PagingMode::pae);
    d.entry_read = true;
    d.entry_level = 3;
    d.entry_unexpected = 0x20;
    d.entry_value = 0x20'4021;
    const auto k = check::match_known_deviation(d);
    ASSERT_TRUE(k);
    EXPECT_STREQ(k->id, "qemu-pae-pdpte-accessed");
    d.entry_level = 2;  // a PDE's A bit is a real A bit: no excuse
    EXPECT_FALSE(check::match_known_deviation(d));
    d.entry_level = 3;
    d.entry_unexpected = 0x40;  // D
    EXPECT_FALSE(check::match_known_deviation(d));
    d.entry_unexpected = 0x20;
    d.backend = "kvm";
    EXPECT_FALSE(check::match_known_deviation(d));
}

TEST(ControlWrite, ExpectingGpForAnIgnoredPdpteBitIsRefusedAtCompileTime) {
    // Bit 9 of a PAE PDPTE is ignored (SDM Table 4-8): the load completes. On QEMU, whose walks set bit 5 of the
    // PDPTE, the model would predict #GP for that bit 5 and excuse the scenario's wrong expectation as QEMU's.
    std::string ignored = kReloadScenario;
    ignored.replace(ignored.find("set = [1]"), 9, "set = [9]");
    auto r = scenario::parse_scenario_text(ignored, "r.toml");
    ASSERT_TRUE(r.ok());
    const auto c = scenario::compile(r.scenario, PagingMode::pae);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.errors.front().key, "step[3].expect");
}
