// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, 32-bit world: the self-test in 32-bit and PAE paging (see selftest32.hpp).
#include "selftest/selftest32.hpp"

#include <pagewalk/pagewalk.hpp>

#include "arch/cpu.hpp"
#include "arch/trap.hpp"
#include "arch32/descriptors32.hpp"
#include "arch32/paging32.hpp"
#include "runner/cpu_features.hpp"
#include "runner/layout.hpp"
#include "selftest/trap_report.hpp"

extern "C" const char pw_image_start[], pw_image_end[], pw_user_start[], pw_user_end[];

namespace pagewalk::guest {
namespace {

/// Linear 1 GiB and up is not mapped: a read is #PF with P = 0 (SDM Vol. 3A §4.7).
constexpr std::uint32_t kUnmapped = 0x40001234;
std::uint64_t g_supervisor_word;  // .bss: a supervisor page

void kernel_read(void* p) {
    (void)*static_cast<volatile std::uint32_t*>(p);
}
PW_USER_CODE void user_write(void* p) {
    *static_cast<volatile std::uint32_t*>(p) = 1;
}
PW_USER_CODE void user_nothing(void*) {}

std::uint64_t addr(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}

[[noreturn]] void finish(Reporter& r, unsigned steps, unsigned failures) {
    const auto status = failures == 0 ? harness::ExitStatus::ok : harness::ExitStatus::check_failed;
    r.final(steps, status);
    r.exit(status);
}

/// The identity map: image (supervisor), .user (user), the rest of RAM (supervisor), all writable and executable;
/// tables from the first 2 MiB boundary above the image. Returns the root, 0 on failure (logged).
std::uint64_t build_identity_map(Reporter& r, const BootInfo& info, const ControlRegisters& regs,
                                 const CpuFeatures& cpu) {
    runner::GuestMemoryMap m;
    m.image_start = addr(pw_image_start);
    m.user_start = addr(pw_user_start);
    m.user_end = addr(pw_user_end);
    m.image_end = addr(pw_image_end);
    m.module_start = info.module_start;
    m.module_end = info.module_end;
    m.memory_end = info.memory_end;
    const runner::ProgramAreas a = runner::plan_areas(m, 64, 0);
    const std::uint64_t end = (m.memory_end != 0 ? m.memory_end : runner::kDefaultMemoryEnd) & ~std::uint64_t{0xfff};
    using Frames = BumpAllocator<16>;
    IdentityMemory memory;
    Frames frames(a.tables_base, a.table_bytes);
    const std::uint64_t root =
        Mapper<IdentityMemory, Frames>::create_root(Context::from_registers(regs, cpu), memory, frames);
    ControlRegisters live = regs;
    live.cr3 = root;
    const Context ctx = Context::from_registers(live, cpu);
    if (root == 0 || !ctx) {
        r.log("self-test: no root table / the walker rejects the registers", 2);
        return 0;
    }
    Mapper<IdentityMemory, Frames> mapper{ctx, memory, frames};
    const MapRights kernel{true, false, true}, user{true, true, true};
    const struct {
        std::uint64_t lo, hi;
        MapRights rights;
    } ranges[] = {{m.image_start, m.user_start, kernel}, {m.user_start, m.user_end, user}, {m.user_end, end, kernel}};
    for (const auto& range : ranges) {
        if (range.hi <= range.lo) continue;
        if (!mapper.map(range.lo, range.lo, range.hi - range.lo, range.rights, {})) {
            r.log((Text{} << "self-test: the mapper could not map ").hex(range.lo).c_str(), 2);
            return 0;
        }
    }
    return root;
}

}  // namespace

void run_selftest32(Reporter& r, const BootInfo& info, bool pae) {
    unsigned failures = 0;
    arch32::init_descriptors();
    const CpuFeatures cpu = runner::cpu_features();
    if (pae && !cpu.pae) {
        r.log("self-test: no PAE (CPUID.01H:EDX[6])", 2);
        finish(r, 0, 1);
    }
    // SDM Vol. 3A §4.1.1: CR0.PG with CR4.PAE = 0 is 32-bit paging (PSE for 4 MiB pages where the CPU has it),
    // with CR4.PAE = 1 and IA32_EFER.LME = 0 PAE paging.
    ControlRegisters regs;
    regs.cr0 = arch::read_cr0() | cr0::pe | cr0::pg | cr0::wp;
    regs.cr4 = pae ? cr4::pae : (cpu.pse ? cr4::pse : 0);
    regs.efer = 0;
    regs.cr3 = build_identity_map(r, info, regs, cpu);
    if (regs.cr3 == 0) finish(r, 0, 1);
    const arch::Trap on = arch::try_call(arch32::enable_paging_thunk, &regs);
    if (on.taken) {
        r.log((Text{} << "self-test: enabling paging raised vector ").hex(on.vector).c_str(), 2);
        finish(r, 0, 1);
    }
    check(r, (arch::read_cr0() & cr0::pg) != 0 && ((arch::read_cr4() & cr4::pae) != 0) == pae,
          pae ? "PAE paging on (CR0.PG, CR4.PAE)" : "32-bit paging on (CR0.PG, CR4.PAE = 0)", failures);
    r.log(pae ? "self-test (PAE paging): #PF at CPL 0 and CPL 3" : "self-test (32-bit paging): #PF at CPL 0 and CPL 3");

    const arch::Trap t0 = arch::try_call(kernel_read, reinterpret_cast<void*>(std::uintptr_t{kUnmapped}));
    report_trap(r, 1, t0, 32);
    check(r, t0.taken && t0.vector == 14 && t0.error_code == 0 && t0.cr2 == kUnmapped && t0.cpl == 0,
          "CPL 0 read of an unmapped page: #PF, error code 0, CR2 = address", failures);

    const arch::Trap t3 = arch::try_user(user_write, &g_supervisor_word);
    report_trap(r, 2, t3, 32);
    // P | W | U (SDM Vol. 3A §4.7, Figure 4-12).
    check(r, t3.taken && t3.vector == 14 && t3.error_code == 0x7 && t3.cr2 == addr(&g_supervisor_word) && t3.cpl == 3,
          "CPL 3 write to a supervisor page: #PF, error code 7, CR2 = address", failures);

    const arch::Trap back = arch::try_user(user_nothing, nullptr);
    check(r, !back.taken, "CPL 3 call returns through UD2", failures);
    finish(r, 3, failures);
}

}  // namespace pagewalk::guest
