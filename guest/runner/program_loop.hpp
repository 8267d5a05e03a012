// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: every program of a boot. The boot loader hands over any number of modules (GRUB
// `module2` lines, QEMU `-initrd a,b,c`, the KVM launcher's one); each world runs the ones it can, in the boot
// loader's order: the 32-bit world (protected mode) the 32-bit and PAE programs, then — once, after the switch to
// long mode — the 64-bit world the 4-level and 5-level ones (and everything the 32-bit world could not reach).
// Around each program: a program_begin record, the runner's records, the guest's own verdict in a program_end record,
// and a line on the screen and COM1; between programs the world puts its own paging state back (Platform::leave).
// Portable (-m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/harness/boot_header.hpp>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/harness/summary.hpp>

#include "boot/boot_info.hpp"
#include "matrix/matrix_runner.hpp"
#include "report/boot_context.hpp"
#include "report/reporter.hpp"
#include "report/screen.hpp"
#include "report/text.hpp"
#include "runner/cpu_line.hpp"
#include "runner/layout.hpp"
#include "runner/program_report.hpp"
#include "runner/records.hpp"
#include "runner/runner_core.hpp"
#include "runner/summary_screen.hpp"

extern "C" const pagewalk::harness::BootHeader pw_boot_header;

namespace pagewalk::guest::runner {

/// A module's program header as far as routing and the program_begin record need it (before validation).
struct ModulePeek {
    bool program = false;  ///< large enough and the program magic
    bool matrix = false;   ///< a matrix job (harness/matrix/job.hpp); `mode` is its mode
    std::uint32_t scenario_id = 0;
    std::uint8_t mode = 0;  ///< 0 when no program or an unknown mode
    std::uint32_t step_count = 0;
    char name[harness::kMaxScenarioName + 1] = {};
};

inline ModulePeek peek_module(const BootModule& m) {
    ModulePeek k;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(m.start));
    if (harness::matrix::is_job(bytes, static_cast<std::size_t>(m.end - m.start))) {
        const auto* job = reinterpret_cast<const harness::matrix::Job*>(bytes);
        k.matrix = true;
        k.mode = paging_mode_from_value(job->mode).has_value() ? job->mode : 0;
        const char name[] = "access matrix";
        for (unsigned i = 0; i < sizeof name; ++i) k.name[i] = name[i];
        return k;
    }
    if (m.end < m.start + sizeof(harness::ProgramHeader)) return k;
    const auto* h = reinterpret_cast<const harness::ProgramHeader*>(static_cast<std::uintptr_t>(m.start));
    if (h->magic != harness::kProgramMagic) return k;
    k.program = true;
    k.scenario_id = h->scenario_id;
    k.mode = paging_mode_from_value(h->mode).has_value() ? h->mode : 0;
    k.step_count = h->step_count;
    for (unsigned i = 0; i < harness::kMaxScenarioName && h->name[i] != 0; ++i) k.name[i] = h->name[i];
    return k;
}

/// 32-bit and PAE programs: the 32-bit world's.
constexpr bool is_world32_program(const ModulePeek& k) {
    return k.mode == static_cast<std::uint8_t>(PagingMode::legacy32) ||
           k.mode == static_cast<std::uint8_t>(PagingMode::pae);
}

/// The memory every program of this boot gets: `image` (the world fills the image fields) plus every module, the
/// boot information and the RAM below kIdentityLimit. False when the boot loader put a module below the image's
/// end or anything of it above kBootDataLimit (`bad_end`: the highest end) — then no program can run safely.
inline bool boot_memory_map(const BootInfo& info, GuestMemoryMap& map, std::uint64_t& bad_end) {
    std::uint64_t lo = 0, hi = 0;
    for (std::uint32_t i = 0; i < info.module_count; ++i) {
        const BootModule m = module_at(info, i);
        if (i == 0 || m.start < lo) lo = m.start;
        if (m.end > hi) hi = m.end;
    }
    map.module_start = lo;
    map.module_end = hi;
    map.reserved_end = info.info_end > info.info_start ? info.info_end : 0;
    // A memory map, when there is one, is what counts: under UEFI mem_upper ends at the first firmware region.
    map.ram = info.ram;
    const std::uint64_t end = info.ram.known() ? info.ram.end_below(kIdentityLimit) : info.memory_end;
    map.memory_end = end < kIdentityLimit ? end : kIdentityLimit;
    bad_end = hi > map.reserved_end ? hi : map.reserved_end;
    return info.module_count == 0 || (lo >= map.image_end && bad_end <= kBootDataLimit);
}

/// The screen, started by the first world that runs programs (serial transport only: QEMU or a physical machine;
/// under the host launcher there is no screen to look at): the boot loader's framebuffer when it gave one the screen
/// can draw on, else the VGA text mode when there is one (else COM1 alone carries the lines).
inline Screen program_screen(Reporter& r, RunTally& tally, const BootInfo& info) {
    Screen screen = boot_screen();
    if (screen.on() || tally.modules != 0 || r.transport() != harness::TransportKind::serial) return screen;
    if (use_framebuffer(info.framebuffer)) {
        screen = boot_screen();
        screen.start();
    } else if (info.text_screen) {
        screen.start();
        vga_hide_cursor();
    }
    tally.modules = info.module_count;
    Text cpu;
    describe_cpu(cpu, tally.summary, pw_boot_header.build_id);
    console_line(r, screen, cpu.c_str());
    Text t;
    t << "pagewalk: x86 paging checks, ";
    t.dec(info.module_count) << " programs";
    console_line(r, screen, t.c_str());
    return screen;
}

/// Sends program_begin, runs the program, puts the world's state back, sends program_end, reports the line.
template <class Platform>
void run_one(Platform& p, Reporter& r, Screen& screen, RunTally& tally, const GuestMemoryMap& map, std::uint32_t index,
             std::uint32_t count, const BootModule& m, const ModulePeek& k) {
    harness::ProgramBeginRecord b{};
    b.header = harness::make_header(harness::RecordType::program_begin, sizeof b);
    b.module_index = index;
    b.module_count = count;
    b.scenario_id = k.scenario_id;
    b.mode = k.mode;
    b.code_bits = Platform::code_bits;
    b.module_start = m.start;
    b.module_bytes = static_cast<std::uint32_t>(m.end - m.start);
    b.step_count = k.step_count;
    for (unsigned i = 0; i < harness::kMaxScenarioName; ++i) b.name[i] = k.name[i];
    r.send(b.header);

    ProgramRunner<Platform> runner(p, r, map);
    runner.run(reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(m.start)), m.end - m.start);
    p.leave();
    const ProgramOutcome& o = runner.outcome();

    harness::ProgramEndRecord e{};
    e.header = harness::make_header(harness::RecordType::program_end, sizeof e);
    e.module_index = index;
    e.scenario_id = k.scenario_id;
    e.verdict = static_cast<std::uint8_t>(o.verdict());
    e.mode = k.mode;
    e.code_bits = Platform::code_bits;
    e.reason = o.stopped ? static_cast<std::uint8_t>(o.reason) : 0;
    e.steps_executed = o.steps_executed;
    e.steps_judged = o.steps_judged;
    e.steps_passed = o.steps_passed;
    e.steps_failed = o.steps_failed;
    e.first_failed_step = o.first_failed_step;
    e.failed_checks = o.failed_checks;
    e.detail = o.detail;
    r.send(e.header);

    ++tally.done;
    tally.steps += o.steps_executed;
    const char* name = k.program ? k.name : "(not a program)";
    harness::summary::ModeCounts& per_mode = tally.summary.modes[k.mode < harness::summary::kModes ? k.mode : 0];
    switch (o.verdict()) {
        case harness::ProgramVerdict::passed:
            ++tally.passed;
            ++per_mode.passed;
            break;
        case harness::ProgramVerdict::failed:
            ++tally.failed;
            ++per_mode.failed;
            harness::summary::add_failure(tally.summary, index + 1, k.mode, false, o.first_failed_step, o.failed_checks,
                                          name);
            break;
        case harness::ProgramVerdict::skipped:
            ++tally.skipped;
            ++per_mode.skipped;
            break;
        case harness::ProgramVerdict::error:
            ++tally.errors;
            ++per_mode.failed;
            harness::summary::add_failure(tally.summary, index + 1, k.mode, true, 0, 0, name);
            break;
    }
    Text line, short_line;
    program_line(line, index + 1, count, k.mode, name, o);
    program_line(short_line, index + 1, count, k.mode, name, o, true);
    console_line(r, screen, line.c_str(), verdict_attr(o.verdict()), short_line.c_str());
    Text status;
    status_line(status, tally);
    screen.status(status.c_str());
}

/// Runs a matrix job (its records: matrix_begin … matrix_end), puts the world's state back, reports the line.
template <class Platform>
void run_matrix_job(Platform& p, Reporter& r, Screen& screen, RunTally& tally, const GuestMemoryMap& map,
                    const BootModule& m, const ModulePeek& k) {
    matrix::MatrixRunner<Platform> runner(p, r, map);
    const bool ok =
        runner.run(reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(m.start)), m.end - m.start);
    p.leave();
    ++tally.done;
    harness::summary::ModeCounts& per_mode = tally.summary.modes[k.mode < harness::summary::kModes ? k.mode : 0];
    ++(ok ? tally.passed : tally.failed);
    ++(ok ? per_mode.passed : per_mode.failed);
    Text line;
    line << "access matrix, " << mode_name(k.mode) << ": " << (ok ? "PASS" : "FAIL");
    console_line(r, screen, line.c_str(), ok ? attr::pass : attr::fail);
}

/// Runs every module `take` accepts, in order. False (nothing run) when the boot layout leaves programs no safe
/// memory: a step_failed record (boot_layout) and a line say so.
template <class Platform>
bool run_modules(Platform& p, Reporter& r, RunTally& tally, const BootInfo& info, GuestMemoryMap map,
                 bool (*take)(const ModulePeek&)) {
    Screen screen = program_screen(r, tally, info);
    std::uint64_t bad_end = 0;
    if (!boot_memory_map(info, map, bad_end)) {
        send_step_failed(r, 0, nullptr, harness::StepFailure::boot_layout, 0, bad_end, kBootDataLimit);
        Text t;
        t << "boot layout: the modules or the boot information end at ";
        t.hex(bad_end) << " (must lie above the image, below 16 MiB): no program run";
        console_line(r, screen, t.c_str(), attr::fail);
        return false;
    }
    for (std::uint32_t i = 0; i < info.module_count; ++i) {
        const BootModule m = module_at(info, i);
        const ModulePeek k = peek_module(m);
        if (!take(k)) continue;
        if (k.matrix)
            run_matrix_job(p, r, screen, tally, map, m, k);
        else
            run_one(p, r, screen, tally, map, i, info.module_count, m, k);
    }
    return true;
}

/// The end of a boot that ran programs: the summary line, the final record (status ok only when no program failed
/// or went wrong; bad_boot when the layout or a missing module kept them from running), exit.
[[noreturn]] inline void finish_programs(Reporter& r, RunTally& tally, bool layout_ok, bool any_module) {
    Screen screen = boot_screen();
    Text t;
    summary_line(t, tally);
    const bool ok = tally.failed + tally.errors == 0;
    console_line(r, screen, t.c_str(), ok ? attr::pass : attr::fail);
    draw_summary_qr(screen, tally.summary);
    const harness::ExitStatus status = !layout_ok || !any_module ? harness::ExitStatus::bad_boot
                                       : ok                      ? harness::ExitStatus::ok
                                                                 : harness::ExitStatus::check_failed;
    r.final(tally.steps, status);
    r.exit(status);
}

}  // namespace pagewalk::guest::runner
