// SPDX-License-Identifier: MIT OR Apache-2.0
#include "selftest/selftest.hpp"

#include "arch/cpu.hpp"
#include "arch/descriptors.hpp"
#include "arch/trap.hpp"
#include "boot/boot_info.hpp"
#include "report/text.hpp"
#include "selftest/trap_report.hpp"

extern "C" char pw_boot_pml5[], pw_boot_pml4[];  // boot/page_tables.S

namespace pagewalk::guest {
namespace {

/// Not mapped by the boot tables (PDPT[1] = 0): a read is #PF with P = 0 (SDM Vol. 3A §4.7).
constexpr std::uint64_t kUnmapped = 0x40001234;
std::uint64_t g_supervisor_word;  // .bss: a supervisor page

void kernel_read(void* p) {
    (void)*static_cast<volatile std::uint64_t*>(p);
}
void kernel_nothing(void*) {}
PW_USER_CODE void user_write(void* p) {
    *static_cast<volatile std::uint64_t*>(p) = 1;
}
PW_USER_CODE void user_nothing(void*) {}

}  // namespace

void run_selftest(Reporter& r) {
    unsigned failures = 0;
    r.log("self-test: #PF at CPL 0 and CPL 3");
    const arch::Trap t0 = arch::try_call(kernel_read, reinterpret_cast<void*>(kUnmapped));
    report_trap(r, 1, t0, 64);
    check(r, t0.taken && t0.vector == 14 && t0.error_code == 0 && t0.cr2 == kUnmapped && t0.cpl == 0,
          "CPL 0 read of an unmapped page: #PF, error code 0, CR2 = address", failures);

    const arch::Trap t3 = arch::try_user(user_write, &g_supervisor_word);
    report_trap(r, 2, t3, 64);
    // P | W | U (SDM Vol. 3A §4.7, Figure 4-12).
    check(r,
          t3.taken && t3.vector == 14 && t3.error_code == 0x7 &&
              t3.cr2 == reinterpret_cast<std::uint64_t>(&g_supervisor_word) && t3.cpl == 3,
          "CPL 3 write to a supervisor page: #PF, error code 7, CR2 = address", failures);

    const arch::Trap back = arch::try_user(user_nothing, nullptr);
    check(r, !back.taken, "CPL 3 call returns through UD2", failures);
    const auto status = failures == 0 ? harness::ExitStatus::ok : harness::ExitStatus::check_failed;
    r.final(3, status);
    r.exit(status);
}

void run_bench(Reporter& r) {
    constexpr std::uint64_t n = 200;
    struct Case {
        const char* name;
        bool user;
        arch::GuardedFn fn;
        void* arg;
    };
    const Case cases[] = {
        {"#PF round trip at CPL 0", false, kernel_read, reinterpret_cast<void*>(kUnmapped)},
        {"#PF round trip at CPL 3", true, user_write, &g_supervisor_word},
        {"CPL 3 call and return (UD2)", true, user_nothing, nullptr},
        {"guarded call at CPL 0, no fault", false, kernel_nothing, nullptr},
    };
    r.log("bench: begin");
    for (const Case& c : cases) {
        const std::uint64_t start = arch::rdtsc();
        for (std::uint64_t i = 0; i < n; ++i)
            (void)(c.user ? arch::try_user(c.fn, c.arg) : arch::try_call(c.fn, c.arg));
        const std::uint64_t cycles = arch::rdtsc() - start;
        r.log((Text{} << "bench: " << c.name << ": " << cycles / n << " TSC cycles each (" << n << " runs)").c_str());
    }
    r.final(0, harness::ExitStatus::ok);
    r.exit(harness::ExitStatus::ok);
}

void run_la57(Reporter& r) {
    if (!arch::cpu_has(cpuid::la57)) {
        r.log("la57: CPUID.(7,0):ECX.LA57 = 0, nothing to switch to");
        r.final(0, harness::ExitStatus::ok);
        r.exit(harness::ExitStatus::ok);
    }
    unsigned failures = 0;
    const auto cr4 = arch::read_cr4();
    arch::pw_relaunch_long_mode(reinterpret_cast<std::uint64_t>(pw_boot_pml5), cr4 | cr4::la57);
    r.log((Text{} << "la57: 5-level paging on, CR4 = ").hex(arch::read_cr4()).c_str());
    check(r, (arch::read_cr4() & cr4::la57) != 0, "CR4.LA57 set after the switch", failures);
    const arch::Trap t = arch::try_call(kernel_read, reinterpret_cast<void*>(kUnmapped));
    report_trap(r, 1, t, 64);
    check(r, t.taken && t.vector == 14 && t.error_code == 0 && t.cr2 == kUnmapped, "5-level: #PF on unmapped",
          failures);
    arch::pw_relaunch_long_mode(reinterpret_cast<std::uint64_t>(pw_boot_pml4), cr4 & ~cr4::la57);
    check(r, (arch::read_cr4() & cr4::la57) == 0, "CR4.LA57 clear after switching back", failures);
    r.log("la57: back to 4-level paging");
    const auto status = failures == 0 ? harness::ExitStatus::ok : harness::ExitStatus::check_failed;
    r.final(1, status);
    r.exit(status);
}

bool run_broken(Reporter& r, const char* name) {
    if (equals(name, "triple-fault")) {
        r.log("broken: triple fault (no IDT, then UD2)");
        arch::load_null_idt();
        asm volatile("ud2");
    } else if (equals(name, "hang")) {
        r.log("broken: hang");
        for (;;) asm volatile("pause");
    } else if (equals(name, "garbage")) {
        harness::LogRecord rec{};
        rec.header = harness::make_header(harness::RecordType::log, harness::kLogFixedSize);
        rec.header.magic = 0xdeadbeef;
        r.send(rec.header);
        r.final(0, harness::ExitStatus::ok);
        r.exit(harness::ExitStatus::ok);
    } else if (equals(name, "early-stop")) {
        r.log("broken: exit before the final record");
        r.exit(harness::ExitStatus::ok);
    } else if (equals(name, "stray-exception")) {
        r.log("broken: an unexpected #PF outside any guarded call (read at 0x40001234, not mapped)");
        (void)*reinterpret_cast<volatile std::uint64_t*>(0x40001234);
        r.final(0, harness::ExitStatus::ok);
        r.exit(harness::ExitStatus::ok);
    } else if (equals(name, "mmio")) {
        r.log("broken: read unbacked guest-physical memory at 512 MiB");
        (void)*reinterpret_cast<volatile std::uint64_t*>(0x20000000);
        r.final(0, harness::ExitStatus::ok);
        r.exit(harness::ExitStatus::ok);
    }
    return false;
}

}  // namespace pagewalk::guest
