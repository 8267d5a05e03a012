// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner, 32-bit world: the Platform for 32-bit and PAE programs, and run_program32().
//
// Runs from the 32-bit entry in protected mode with paging off: installs the 32-bit TSS and IDT
// (arch32/descriptors32.cpp), and for each 32-bit or PAE module (runner/program_loop.hpp) lets ProgramRunner build the
// tables with the walker's Mapper while paging is still off (physical = linear, so run_unprivileged just calls),
// turns paging on (arch32/paging32.cpp), runs the steps, and turns paging off again (Platform32::leave). Accesses go
// through this world's arch::try_call / arch::try_user (arch32/trap32.S) and the stubs of runner/access32.S.
#include "runner/runner32.hpp"

#include "arch/cpu.hpp"
#include "arch/trap.hpp"
#include "arch32/descriptors32.hpp"
#include "arch32/paging32.hpp"
#include "boot/boot_context.h"
#include "report/serial.hpp"
#include "runner/cpu_features.hpp"
#include "runner/program_loop.hpp"
#include "runner/runner_core.hpp"

extern "C" {
extern std::uint64_t pw_gdt[PW_GDT_ENTRIES];
extern pagewalk::guest::BootContext pw_boot_context;
extern const char pw_image_start[], pw_image_end[], pw_user_start[], pw_user_end[];
void pw_k32_fetch_ac(void*);
void pw_k32_implicit(void*);
void pw_k32_implicit_ac(void*);
void pw_u32_implicit(void*);
void pw_k32_read1(void*), pw_k32_read2(void*), pw_k32_read4(void*), pw_k32_read8(void*);
void pw_k32_read_ac1(void*), pw_k32_read_ac2(void*), pw_k32_read_ac4(void*), pw_k32_read_ac8(void*);
void pw_k32_write1(void*), pw_k32_write2(void*), pw_k32_write4(void*), pw_k32_write8(void*);
void pw_k32_write_ac1(void*), pw_k32_write_ac2(void*), pw_k32_write_ac4(void*), pw_k32_write_ac8(void*);
void pw_u32_read1(void*), pw_u32_read2(void*), pw_u32_read4(void*), pw_u32_read8(void*);
void pw_u32_write1(void*), pw_u32_write2(void*), pw_u32_write4(void*), pw_u32_write8(void*);
}

namespace pagewalk::guest::runner {
namespace {

/// This world's access stubs (access32.S).
const AccessStubs kStubs = {
    {pw_k32_read1, pw_k32_read2, pw_k32_read4, pw_k32_read8},
    {pw_k32_read_ac1, pw_k32_read_ac2, pw_k32_read_ac4, pw_k32_read_ac8},
    {pw_k32_write1, pw_k32_write2, pw_k32_write4, pw_k32_write8},
    {pw_k32_write_ac1, pw_k32_write_ac2, pw_k32_write_ac4, pw_k32_write_ac8},
    {pw_u32_read1, pw_u32_read2, pw_u32_read4, pw_u32_read8},
    {pw_u32_write1, pw_u32_write2, pw_u32_write4, pw_u32_write8},
    pw_k32_implicit,
    pw_k32_implicit_ac,
    pw_u32_implicit,
    pw_k32_fetch_ac,
};
AccessArgs g_kernel_args;
PW_USER_DATA AccessArgs g_user_args;  // CPL 3 code reads and writes it: a user page

// EFLAGS.AC around the runner's own accesses to user pages (SMAP may be on): POPF, not STAC.
inline void ac_on() {
    asm volatile("pushfl; orl $0x40000, (%%esp); popfl" ::: "memory", "cc");
}
inline void ac_off() {
    asm volatile("pushfl; andl $~0x40000, (%%esp); popfl" ::: "memory", "cc");
}

/// LDT descriptor for base `va`, limit 7 (one descriptor): SDM Vol. 3A §3.5 (type 2 = LDT, P = 1); 8 bytes in
/// protected mode (the slot's second qword is unused here).
void load_ldt(std::uint64_t va) {
    pw_gdt[PW_SEL_LDT32 / 8] = 7 | ((va & 0xffffff) << 16) | (std::uint64_t{0x82} << 40) | ((va >> 24 & 0xff) << 56);
    asm volatile("lldt %w0" ::"r"(PW_SEL_LDT32) : "memory");
}
void clear_ldt() {
    asm volatile("lldt %w0" ::"r"(0) : "memory");
}

/// perform_access's hooks in this world.
struct World32 {
    static void load_ldt(std::uint64_t va) { runner::load_ldt(va); }
    static void clear_ldt() { runner::clear_ldt(); }
    static void ac_on() { runner::ac_on(); }
    static void ac_off() { runner::ac_off(); }
    /// The 8-byte stubs move through MM0: leave MMX state (also after a fault).
    static void after(unsigned width_slot, bool implicit) {
        if (width_slot == 3 && !implicit) asm volatile("emms" ::: "memory");
    }
};

class Platform32 {
public:
    static constexpr std::uint8_t code_bits = 32;

    /// Remembers the state between programs (protected mode, paging off) for leave().
    Platform32() : base_(registers()) {}

    bool supports(PagingMode m) const {
        if (m == PagingMode::legacy32) return true;
        return m == PagingMode::pae && arch::cpu_has(cpuid::pae);
    }

    CpuFeatures cpu() const { return cpu_features(); }
    std::uint32_t cpuid_features() const { return harness_features(cpu_features()); }

    ControlRegisters registers() const {
        ControlRegisters r;
        r.cr0 = arch::read_cr0();
        r.cr3 = arch::read_cr3();
        r.cr4 = arch::read_cr4();
        r.efer = arch32::read_efer();
        if (arch::cpu_has(cpuid::pat)) r.pat = arch::rdmsr(msr::pat);
        return r;
    }

    /// Turns paging on with the scenario's tables and controls (arch32::enable_paging), guarded: in PAE paging the
    /// MOV to CR0 loads the PDPTE registers (Intel SDM Vol. 3A §4.4.1).
    arch::Trap enter(const ControlRegisters& r) {
        ControlRegisters copy = r;
        return arch::try_call(arch32::enable_paging_thunk, &copy);
    }

    // Guarded: in PAE paging MOV to CR3 (and MOV to CR0/CR4 changing PG/CD/NW or PAE/PGE/PSE/SMEP) loads the PDPTE
    // registers and raises #GP(0) when a present PDPTE has a reserved bit set (SDM Vol. 3A §4.4.1).
    arch::Trap write_cr0(std::uint64_t v) { return guarded(write_cr0_thunk, v); }
    arch::Trap write_cr3(std::uint64_t v) { return guarded(write_cr3_thunk, v); }
    arch::Trap write_cr4(std::uint64_t v) { return guarded(write_cr4_thunk, v); }
    void write_efer(std::uint64_t v) { arch32::write_efer(v); }
    void write_pkru(std::uint32_t v) {
        asm volatile(".byte 0x0f, 0x01, 0xef" ::"a"(v), "c"(0), "d"(0) : "memory");  // WRPKRU
    }
    void invlpg(std::uint64_t va) {
        arch::invlpg(reinterpret_cast<const volatile void*>(static_cast<std::uintptr_t>(va)));
    }

    AccessResult access(const AccessRequest& r) {
        return perform_access<World32>(kStubs, r, g_kernel_args, g_user_args);
    }

    /// The tables are built while paging is still off: linear = physical, nothing to gain from CPL 3.
    arch::Trap run_unprivileged(void (*fn)(void*), void* arg) { return arch::try_call(fn, arg); }

    /// Waits for the host's byte on COM1 (LSR.DR, bit 0): the host walked the live tables meanwhile.
    void wait_host() {
        while ((arch::inb(serial::kBase + 5) & 1) == 0) asm volatile("pause");
        (void)arch::inb(serial::kBase);
    }

    /// After a program: paging off again (from identity-mapped code, SDM Vol. 3A §9.9.2), then CR4 (PSE/PAE/PGE/
    /// SMEP/SMAP/PKE), CR3 and IA32_EFER as before the first program; PKRU 0 first (WRPKRU needs CR4.PKE).
    void leave() {
        ac_off();
        if ((arch::read_cr4() & cr4::pke) != 0) write_pkru(0);
        arch::write_cr0(arch::read_cr0() & ~static_cast<arch::ureg>(cr0::pg));
        arch::write_cr4(static_cast<arch::ureg>(base_.cr4));
        arch::write_cr3(static_cast<arch::ureg>(base_.cr3));
        write_efer(base_.efer);
        arch::write_cr0(static_cast<arch::ureg>(base_.cr0));
    }

private:
    ControlRegisters base_;
    static void write_cr0_thunk(void* v) { arch::write_cr0(*static_cast<const arch::ureg*>(v)); }
    static void write_cr3_thunk(void* v) { arch::write_cr3(*static_cast<const arch::ureg*>(v)); }
    static void write_cr4_thunk(void* v) { arch::write_cr4(*static_cast<const arch::ureg*>(v)); }
    static arch::Trap guarded(arch::GuardedFn fn, std::uint64_t v) {
        arch::ureg value = static_cast<arch::ureg>(v);
        return arch::try_call(fn, &value);
    }
};

std::uint64_t addr(const char* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}

bool takes32(const ModulePeek& k) {
    return is_world32_program(k);
}
bool takes_all(const ModulePeek&) {
    return true;
}

/// CPUID.80000001H:EDX.LM (Intel SDM Vol. 2A "CPUID"): whether the 64-bit world can be reached at all.
bool has_long_mode() {
    return arch::cpu_has(cpuid::long_mode);
}

}  // namespace

void run_programs32(Reporter& r, const BootInfo& info) {
    RunTally& tally = pw_boot_context.tally;
    const bool long_mode = has_long_mode();
    bool any = !long_mode;
    for (std::uint32_t i = 0; i < info.module_count && !any; ++i) any = takes32(peek_module(module_at(info, i)));
    if (any) arch32::init_descriptors();
    GuestMemoryMap map;
    map.image_start = addr(pw_image_start);
    map.user_start = addr(pw_user_start);
    map.user_end = addr(pw_user_end);
    map.image_end = addr(pw_image_end);
    Platform32 platform;
    // Without long mode this world is the only one: it takes every module (4/5-level ones are SKIP) and finishes.
    const bool ok = run_modules(platform, r, tally, info, map, long_mode ? takes32 : takes_all);
    tally.world32_done = 1;
    if (!ok || !long_mode) finish_programs(r, tally, ok, info.module_count != 0);
}

}  // namespace pagewalk::guest::runner
