// SPDX-License-Identifier: MIT OR Apache-2.0
// Freestanding link check of the guest's portable runner core (guest/runner/runner_core.hpp, with its own checks in
// judge.hpp and the lines of program_report.hpp) for -m64 and -m32: the 32-bit world instantiates it for 32-bit and
// PAE programs, so it must compile there and link with no libgcc helper (no 64-bit division in -m32 code) and no
// libc. A stub Platform and Reporter stand in for a world.
#include "runner/runner_core.hpp"

#include <cstdint>

#include "runner/program_report.hpp"

namespace pagewalk::guest {
void Reporter::send(harness::RecordHeader& record) {
    record.sequence = s_->sequence++;
}
void Reporter::console(const char* text) {
    s_->digest += static_cast<std::uint8_t>(*text);
}
}  // namespace pagewalk::guest

namespace {

using namespace pagewalk;
using namespace pagewalk::guest;

volatile std::uint64_t sink;

struct StubPlatform {
    static constexpr std::uint8_t code_bits = sizeof(void*) * 8;
    bool supports(pagewalk::PagingMode) const { return true; }
    CpuFeatures cpu() const { return {}; }
    std::uint32_t cpuid_features() const { return static_cast<std::uint32_t>(sink); }
    ControlRegisters registers() const { return {}; }
    arch::Trap enter(const ControlRegisters& r) {
        sink = r.cr3;
        return {};
    }
    arch::Trap write_cr0(std::uint64_t v) {
        sink = v;
        return {};
    }
    arch::Trap write_cr3(std::uint64_t v) {
        sink = v;
        return {};
    }
    arch::Trap write_cr4(std::uint64_t v) {
        sink = v;
        return {};
    }
    void write_efer(std::uint64_t v) { sink = v; }
    void write_pkru(std::uint32_t v) { sink = v; }
    void invlpg(std::uint64_t v) { sink = v; }
    void invpcid(std::uint64_t type, std::uint64_t pcid, std::uint64_t v) { sink = type ^ pcid ^ v; }
    runner::AccessResult access(const runner::AccessRequest& a) {
        runner::AccessResult r;
        r.value = a.va + a.value;
        return r;
    }
    void wait_host() {}
    arch::Trap run_unprivileged(void (*fn)(void*), void* arg) {
        fn(arg);
        return {};
    }
};

}  // namespace

extern "C" [[noreturn]] void _start() {
    ReporterState state{};
    Reporter reporter(&state);
    StubPlatform platform;
    runner::GuestMemoryMap map{};
    map.module_end = sink;
    runner::ProgramRunner<StubPlatform> r(platform, reporter, map);
    const auto* program = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(sink));
    sink = static_cast<std::uint64_t>(r.run(program, sink)) + r.outcome().steps_executed;
    // The human lines: decimal numbers with 32-bit arithmetic only.
    RunTally tally{};
    tally.passed = static_cast<std::uint32_t>(sink);
    Text line;
    runner::program_line(line, tally.passed, tally.passed + 7, 3, "name", r.outcome());
    runner::summary_line(line, tally);
    runner::status_line(line, tally);
    sink = static_cast<std::uint64_t>(line.c_str()[0]);
    for (;;) {
    }
}
