// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner, 64-bit world: the Platform for 4-level and 5-level programs, and the entry point that
// runs the multiboot modules the 32-bit world left to it (pw.test=program; runner/program_loop.hpp).
#include "runner/runner64.hpp"

#include "arch/cpu.hpp"
#include "arch/trap.hpp"
#include "boot/boot_context.h"
#include "report/serial.hpp"
#include "runner/cpu_features.hpp"
#include "runner/program_loop.hpp"
#include "runner/runner_core.hpp"

extern "C" {
extern std::uint64_t pw_gdt[PW_GDT_ENTRIES];
extern pagewalk::guest::BootContext pw_boot_context;
extern const char pw_image_start[], pw_image_end[], pw_user_start[], pw_user_end[];
extern char pw_boot_user_pml4[];  // boot/page_tables.S: the identity map with U/S = 1 everywhere
void pw_k_fetch_ac(void*);
void pw_k_implicit(void*);
void pw_k_implicit_ac(void*);
void pw_u_implicit(void*);
void pw_k_read1(void*), pw_k_read2(void*), pw_k_read4(void*), pw_k_read8(void*);
void pw_k_read_ac1(void*), pw_k_read_ac2(void*), pw_k_read_ac4(void*), pw_k_read_ac8(void*);
void pw_k_write1(void*), pw_k_write2(void*), pw_k_write4(void*), pw_k_write8(void*);
void pw_k_write_ac1(void*), pw_k_write_ac2(void*), pw_k_write_ac4(void*), pw_k_write_ac8(void*);
void pw_u_read1(void*), pw_u_read2(void*), pw_u_read4(void*), pw_u_read8(void*);
void pw_u_write1(void*), pw_u_write2(void*), pw_u_write4(void*), pw_u_write8(void*);
}

namespace pagewalk::guest::runner {
namespace {

/// This world's access stubs (access64.S).
const AccessStubs kStubs = {
    {pw_k_read1, pw_k_read2, pw_k_read4, pw_k_read8},
    {pw_k_read_ac1, pw_k_read_ac2, pw_k_read_ac4, pw_k_read_ac8},
    {pw_k_write1, pw_k_write2, pw_k_write4, pw_k_write8},
    {pw_k_write_ac1, pw_k_write_ac2, pw_k_write_ac4, pw_k_write_ac8},
    {pw_u_read1, pw_u_read2, pw_u_read4, pw_u_read8},
    {pw_u_write1, pw_u_write2, pw_u_write4, pw_u_write8},
    pw_k_implicit,
    pw_k_implicit_ac,
    pw_u_implicit,
    pw_k_fetch_ac,
};
AccessArgs g_kernel_args;
PW_USER_DATA AccessArgs g_user_args;  // CPL 3 code reads and writes it: a user page

// EFLAGS.AC around the runner's own accesses to user pages (SMAP may be on): POPF, not STAC (kvm_pvm).
inline void ac_on() {
    asm volatile("pushfq; orq $0x40000, (%%rsp); popfq" ::: "memory", "cc");
}
inline void ac_off() {
    asm volatile("pushfq; andq $~0x40000, (%%rsp); popfq" ::: "memory", "cc");
}

/// LDT descriptor for base `va`, limit 7 (one descriptor): SDM Vol. 3A §8.2.3 / §3.5 (type 2 = LDT, P = 1).
void load_ldt(std::uint64_t va) {
    pw_gdt[PW_SEL_LDT64 / 8] = 7 | ((va & 0xffffff) << 16) | (std::uint64_t{0x82} << 40) | ((va >> 24 & 0xff) << 56);
    pw_gdt[PW_SEL_LDT64 / 8 + 1] = va >> 32;
    asm volatile("lldt %w0" ::"r"(PW_SEL_LDT64) : "memory");
}
void clear_ldt() {
    asm volatile("lldt %w0" ::"r"(0) : "memory");
}

/// perform_access's hooks in this world.
struct World64 {
    static void load_ldt(std::uint64_t va) { runner::load_ldt(va); }
    static void clear_ldt() { runner::clear_ldt(); }
    static void ac_on() { runner::ac_on(); }
    static void ac_off() { runner::ac_off(); }
    static void after(unsigned, bool) {}
};

class Platform64 {
public:
    static constexpr std::uint8_t code_bits = 64;

    /// Remembers the guest's own state (boot identity map, CR0/CR4/EFER as pw_main64 set them) for leave().
    Platform64() : base_(registers()) {}

    bool supports(PagingMode m) const {
        if (m == PagingMode::long4) return true;
        return m == PagingMode::long5 && arch::cpu_has(cpuid::la57);
    }

    CpuFeatures cpu() const { return cpu_features(); }
    std::uint32_t cpuid_features() const { return harness_features(cpu_features()); }

    ControlRegisters registers() const {
        ControlRegisters r;
        r.cr0 = arch::read_cr0();
        r.cr3 = arch::read_cr3();
        r.cr4 = arch::read_cr4();
        r.efer = arch::rdmsr(msr::efer);
        r.pat = arch::rdmsr(msr::pat);
        return r;
    }

    /// Switches to the scenario's tables: 4-level with MOV CR3; 5-level by re-entering IA-32e mode with LA57
    /// (boot/mode_switch.S). Then EFER, CR4 and CR0 take the program's control bits.
    arch::Trap enter(const ControlRegisters& r) {
        if ((r.cr4 & cr4::la57) != 0) {
            arch::pw_relaunch_long_mode(r.cr3, (arch::read_cr4() | cr4::la57) & ~cr4::pge);
        } else {
            arch::write_cr3(r.cr3);
        }
        write_efer(r.efer);
        arch::write_cr4(r.cr4);
        arch::write_cr0(r.cr0);
        return {};
    }

    // Long mode has no PDPTE registers: these writes do not fault here (no guard needed).
    arch::Trap write_cr0(std::uint64_t v) {
        arch::write_cr0(v);
        return {};
    }
    arch::Trap write_cr3(std::uint64_t v) {
        arch::write_cr3(v);
        return {};
    }
    arch::Trap write_cr4(std::uint64_t v) {
        arch::write_cr4(v);
        return {};
    }
    void write_efer(std::uint64_t v) {
        // LMA is the CPU's to set: write back what it is.
        arch::wrmsr(msr::efer, (v & ~efer::lma) | (arch::rdmsr(msr::efer) & efer::lma));
    }
    void write_pkru(std::uint32_t v) {
        asm volatile(".byte 0x0f, 0x01, 0xef" ::"a"(v), "c"(0), "d"(0) : "memory");  // WRPKRU
    }
    void invlpg(std::uint64_t va) { arch::invlpg(reinterpret_cast<const volatile void*>(va)); }
    void invpcid(std::uint64_t type, std::uint64_t pcid, std::uint64_t va) { arch::invpcid(type, pcid, va); }

    AccessResult access(const AccessRequest& r) {
        return perform_access<World64>(kStubs, r, g_kernel_args, g_user_args);
    }

    /// Runs fn(arg) at CPL 3 over the all-user boot identity map (SMEP and SMAP are still off: the scenario's
    /// controls are not loaded yet), where kvm_pvm runs it natively.
    arch::Trap run_unprivileged(void (*fn)(void*), void* arg) {
        const auto cr3 = arch::read_cr3();
        arch::write_cr3(reinterpret_cast<std::uintptr_t>(pw_boot_user_pml4));
        const arch::Trap t = arch::try_user(fn, arg);
        arch::write_cr3(cr3);
        return t;
    }

    /// Waits for the host's byte on COM1 (LSR.DR, bit 0): the host walked the live tables meanwhile.
    void wait_host() {
        while ((arch::inb(serial::kBase + 5) & 1) == 0) asm volatile("pause");
        (void)arch::inb(serial::kBase);
    }

    /// After a program: back to the guest's own state — PKRU 0 (WRPKRU needs CR4.PKE, so before PKE goes), the
    /// boot identity map (a 5-level program: leave IA-32e mode to clear CR4.LA57, SDM Vol. 3A §9.8.5.4), CR4 (SMEP,
    /// SMAP, PKE, PGE off: the PGE change flushes global translations too, §4.10.4.1), CR0.WP and EFER.NXE as at boot.
    void leave() {
        ac_off();
        const std::uint64_t cr4 = arch::read_cr4();
        if ((cr4 & cr4::pke) != 0) write_pkru(0);
        if ((cr4 & cr4::la57) != 0)
            arch::pw_relaunch_long_mode(base_.cr3, base_.cr4);
        else
            arch::write_cr3(base_.cr3);
        arch::write_cr4(base_.cr4);
        arch::write_cr0(base_.cr0);
        write_efer(base_.efer);
    }

private:
    ControlRegisters base_;
};

std::uint64_t addr(const char* p) {
    return reinterpret_cast<std::uint64_t>(p);
}

bool takes64(const ModulePeek& k) {
    return !is_world32_program(k);
}
bool takes_all(const ModulePeek&) {
    return true;
}

}  // namespace

void run_programs64(Reporter& r, const BootInfo& info) {
    RunTally& tally = pw_boot_context.tally;
    if (info.module_count == 0) {
        send_step_failed(r, 0, nullptr, harness::StepFailure::no_program, 0, 0, 0);
        finish_programs(r, tally, true, false);
    }
    GuestMemoryMap map;
    map.image_start = addr(pw_image_start);
    map.user_start = addr(pw_user_start);
    map.user_end = addr(pw_user_end);
    map.image_end = addr(pw_image_end);
    Platform64 platform;
    // The 32-bit world ran the 32-bit and PAE programs already; without it (the direct 64-bit entry) they are
    // reported here as unsupported_mode (SKIP).
    const bool ok = run_modules(platform, r, tally, info, map, tally.world32_done != 0 ? takes64 : takes_all);
    finish_programs(r, tally, ok, true);
}

}  // namespace pagewalk::guest::runner
