// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the 64-bit world's entry (pw_main64), reached from both entry paths in long mode.
#include <pagewalk/harness/boot_header.hpp>

#include "arch/cpu.hpp"
#include "arch/descriptors.hpp"
#include "boot/boot_info.hpp"
#include "inspect_demo/demo.hpp"
#include "report/reporter.hpp"
#include "report/text.hpp"
#include "runner/runner64.hpp"
#include "selftest/selftest.hpp"

using namespace pagewalk;

extern "C" [[noreturn]] void pw_main64(guest::BootContext* ctx) {
    guest::Reporter r(&ctx->reporter);
    if (ctx->entry_path == static_cast<std::uint32_t>(harness::EntryPath::direct64)) {
        r.init(ctx->ecx);
        guest::send_hello(r, *ctx, 64);
    }
    guest::arch::init_descriptors();
    guest::arch::mark_user_pages();
    if (guest::arch::cpu_has(cpuid::nx)) guest::arch::wrmsr(msr::efer, guest::arch::rdmsr(msr::efer) | efer::nxe);

    const guest::BootInfo info = guest::parse_boot_info(*ctx);
    if (!info.valid) {
        r.log("no multiboot information (EAX/EBX not from a multiboot loader)", 2);
        r.final(0, harness::ExitStatus::bad_boot);
        r.exit(harness::ExitStatus::bad_boot);
    }
    char test[32] = "selftest";
    guest::cmdline_option(info.cmdline, "pw.test=", test, sizeof test);
    if (guest::equals(test, "program") || guest::equals(test, "matrix")) guest::runner::run_programs64(r, info);
    if (info.module_end > info.module_start)
        r.log((guest::Text{} << "module: " << (info.module_end - info.module_start) << " bytes at ")
                  .hex(info.module_start)
                  .c_str());
    if (guest::equals(test, "selftest")) guest::run_selftest(r);
    if (guest::equals(test, "bench")) guest::run_bench(r);
    if (guest::equals(test, "la57")) guest::run_la57(r);
    if (guest::equals(test, "inspect-4level")) guest::run_inspect_demo64(r, false);
    if (guest::equals(test, "inspect-5level")) guest::run_inspect_demo64(r, true);
    guest::run_broken(r, test);
    r.log((guest::Text{} << "unknown pw.test=" << test).c_str(), 2);
    r.final(0, harness::ExitStatus::bad_boot);
    r.exit(harness::ExitStatus::bad_boot);
}
