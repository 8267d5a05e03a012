// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: inspect-demo in 32-bit paging (CR4.PSE, 4 MiB pages, PSE-36) and PAE paging (see demo.hpp).
// Compiled -m32 into the 32-bit world and run from pw_main32 while paging is still off, so physical memory is
// reached directly; page-table frames come from 8 – 12 MiB, data pages from 16 – 64 MiB. Once CR0.PG is set the
// guest needs no IDT: it only writes to COM1 and halts.
#include "arch/cpu.hpp"
#include "inspect_demo/demo.hpp"
#include "inspect_demo/plan.hpp"

namespace pagewalk::guest {
namespace {

using demo::Step;

constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;
constexpr unsigned kRecursiveSlot = 1022;  // 0xff800000: PD[1023] holds the last page
constexpr MapOptions k4K{.sizes = page_4k};
constexpr MapOptions kGlobal4K{.sizes = page_4k, .global = true};

// Both modes: the image, user pages with a hole and a change of rights, PAT/PCD/PWT, scattered frames with equal
// rights, a kernel-style high map and the last page.
constexpr Step kCommon[] = {
    {Step::map, 0x1000, 0x1000, 2 * MiB - 0x1000, MapRights::rw(), kGlobal4K},
    {Step::map, 0x1000'0000, 16 * MiB, 16 * 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x1001'0000, 16 * MiB + 0x10000, 8 * 4 * KiB, MapRights::user_ro(), k4K},
    {Step::unmap, 0x1000'5000, 0, 2 * 4 * KiB, {}, {}},
    {Step::protect, 0x1000'8000, 0, 4 * KiB, MapRights::user_ro(), {}},
    {Step::map, 0x1010'0000, 17 * MiB, 4 * KiB, MapRights::user_rw(), {.sizes = page_4k, .pat_index = 4}},
    {Step::map, 0x2000'0000, 32 * MiB, 8 * MiB, MapRights::user_ro(), {.pat_index = 3}},  // huge pages, PCD|PWT
    {Step::map, 0x2080'0000, 40 * MiB, 4 * MiB, MapRights::user_rw(), {.pat_index = 4}},  // huge pages, PAT
    {Step::map, 0x5000'0000, 48 * MiB, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5000'1000, 48 * MiB + 0x5000, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5000'2000, 48 * MiB + 0x2000, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5000'3000, 48 * MiB + 0xa000, 4 * KiB, MapRights::user_ro(), k4K},
    {Step::map, 0xc000'0000, 1 * MiB, 16 * 4 * KiB, MapRights::read_only(), kGlobal4K},
    {Step::map, 0xc001'0000, 1 * MiB + 0x10000, 8 * 4 * KiB, MapRights::rw(), kGlobal4K},
    {Step::map, 0xffff'f000, 49 * MiB, 4 * KiB, MapRights::rw(), k4K},
};

// 32-bit paging: 4 MiB pages, two above 4 GiB through PSE-36, and a 4 MiB PDE with bit 21 (reserved) set.
constexpr Step kLegacy[] = {
    {Step::map, 4 * MiB, 4 * MiB, 12 * MiB, MapRights::rw(), {.sizes = page_huge, .global = true}},
    {Step::map, 0x3000'0000, 4 * GiB, 4 * MiB, MapRights::rw(), {}},
    {Step::map, 0x3040'0000, 0x3'4040'0000, 4 * MiB, MapRights::read_only(), {.global = true}},
    {Step::map, 0x3800'0000, 44 * MiB, 4 * MiB, MapRights::rw(), {}},
    {Step::reserve, 0x3800'0000, 0, 0, {}, {}, 2, Pde4M::reserved21_field::mask},
};

// PAE: 2 MiB pages, NX, a page above 4 GiB, PDPTE 2 left empty, and a 2 MiB PDE with bit 13 (reserved) set.
constexpr Step kPae[] = {
    {Step::map, 2 * MiB, 2 * MiB, 14 * MiB, MapRights::rw_nx(), {.global = true}},
    {Step::map, 0x1001'8000, 16 * MiB + 0x18000, 4 * 4 * KiB, {true, true, false}, k4K},
    {Step::map, 0xc001'8000, 1 * MiB + 0x18000, 8 * 4 * KiB, {false, false, false}, kGlobal4K},
    {Step::map, 0x3000'0000, 4 * GiB, 2 * MiB, MapRights::rw(), {}},
    {Step::map, 0x3800'0000, 44 * MiB, 2 * MiB, MapRights::rw(), {}},
    {Step::reserve, 0x3800'0000, 0, 0, {}, {}, 2, bits::bit(PaePde2M::alignment_field::shift)},
};

[[noreturn]] void fail(Reporter& r) {
    r.final(0, harness::ExitStatus::check_failed);
    r.exit(harness::ExitStatus::check_failed);
}

}  // namespace

void run_inspect_demo32(Reporter& r, bool pae) {
    const PagingMode mode = pae ? PagingMode::pae : PagingMode::legacy32;
    if (pae) {
        if (!arch::cpu_has(cpuid::nx)) {
            r.log("inspect-demo: no NX (CPUID.80000001H:EDX[20])", 2);
            fail(r);
        }
        arch::wrmsr(msr::efer, arch::rdmsr(msr::efer) | efer::nxe);
    }
    // PAE has no recursive slot (install_recursive_slot refuses it: the PDPT is no full table).
    const demo::Tables tables = pae ? demo::build_tables(r, mode, kCommon, kPae, -1)
                                    : demo::build_tables(r, mode, kCommon, kLegacy, kRecursiveSlot);
    const std::uint64_t root = tables.root;
    if (tables.failures != 0) fail(r);

    // SDM Vol. 3A §4.1.2: CR4 (PSE or PAE, PGE) and CR3 first, then CR0.PG (with WP).
    arch::write_cr4(arch::read_cr4() | (pae ? cr4::pae : cr4::pse) | cr4::pge);
    arch::write_cr3(static_cast<arch::ureg>(root));
    arch::write_cr0(arch::read_cr0() | cr0::pg | cr0::wp);

    demo::touch(0x1000'0000, true);
    demo::touch(0x1001'0000, false);
    demo::touch(0x2000'0000, false);
    demo::touch(0x5000'2000, true);
    demo::touch(0xc000'0000, false);
    demo::touch(0xffff'f000, true);
    if (!pae) {
        RecursiveMemory recursive{mode, kRecursiveSlot};
        demo::touch(static_cast<std::uintptr_t>(recursive.table_address(2, 0)), false);
    }
    r.log((Text{} << "inspect-demo: " << (pae ? "PAE" : "32-bit") << " tables at ").hex(root).c_str());
    r.console(kInspectReadyLine);
    arch::halt_forever();
}

}  // namespace pagewalk::guest
