// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: inspect-demo in 4-level and 5-level paging (see demo.hpp). Built in the 64-bit world, under the
// boot identity map (0 – 1 GiB), with page-table frames from 8 – 12 MiB; data pages come from 16 – 64 MiB.
#include "arch/cpu.hpp"
#include "inspect_demo/demo.hpp"
#include "inspect_demo/plan.hpp"

namespace pagewalk::guest {
namespace {

using demo::Step;

constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;
constexpr unsigned kRecursiveSlot = 510;
constexpr MapRights kUserRwNx{true, true, false};
constexpr MapOptions k4K{.sizes = page_4k};
constexpr MapOptions kGlobal{.global = true};
constexpr MapOptions kGlobal4K{.sizes = page_4k, .global = true};

// Both modes. The last steps give two entries reserved bits: PS in a PML4E (QEMU's monitor walks it as a table)
// and bit 13 of a 2 MiB PDE (an alignment bit QEMU masks away); the CPU faults on both with RSVD = 1.
constexpr Step kCommon[] = {
    {Step::map, 0x1000, 0x1000, 2 * MiB - 0x1000, MapRights::rw(), kGlobal4K},      // the image: code, stack
    {Step::map, 2 * MiB, 2 * MiB, 14 * MiB, MapRights::rw_nx(), kGlobal},           // tables, 2 MiB pages
    {Step::map, 0x4'0000'0000, 16 * MiB, 16 * 4 * KiB, MapRights::user_rw(), k4K},  // user data
    {Step::map, 0x4'0001'0000, 16 * MiB + 0x10000, 8 * 4 * KiB, MapRights::user_ro(), k4K},
    {Step::map, 0x4'0001'8000, 16 * MiB + 0x18000, 4 * 4 * KiB, kUserRwNx, k4K},
    {Step::unmap, 0x4'0000'5000, 0, 2 * 4 * KiB, {}, {}},                  // a hole
    {Step::protect, 0x4'0000'8000, 0, 4 * KiB, MapRights::user_ro(), {}},  // a change in a run
    {Step::map, 0x4'0010'0000, 17 * MiB, 4 * KiB, MapRights::user_rw(), {.sizes = page_4k, .pat_index = 4}},
    {Step::map, 0x6'0000'0000, 32 * MiB, 8 * MiB, MapRights::user_ro(), {.pat_index = 3}},  // 2 MiB, PCD|PWT
    {Step::map, 0x6'0080'0000, 40 * MiB, 2 * MiB, MapRights::user_rw(), {.pat_index = 4}},  // 2 MiB, PAT
    // Same rights, scattered frames: one `info mem` range, four `ranges` runs.
    {Step::map, 0x5'0000'0000, 48 * MiB, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5'0000'1000, 48 * MiB + 0x5000, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5'0000'2000, 48 * MiB + 0x2000, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5'0000'3000, 48 * MiB + 0x9000, 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x5'0000'4000, 48 * MiB + 0xa000, 4 * KiB, MapRights::user_ro(), k4K},
    // 1 GiB pages (PML4[1]), one split down to 4 KiB by a protect in its middle.
    {Step::map, 0x80'0000'0000, 0, 3 * GiB, MapRights::rw_nx(), kGlobal},
    {Step::protect, 0x80'4020'1000, 0, 4 * KiB, MapRights::read_only(), {}},
    // Higher half: a direct map, a kernel image (text RO, rodata RO NX, data RW NX), the very last page.
    {Step::map, 0xffff'8000'0000'0000, 0, 64 * MiB, MapRights::rw_nx(), kGlobal},
    {Step::map, 0xffff'ffff'8000'0000, 1 * MiB, 16 * 4 * KiB, MapRights::read_only(), kGlobal4K},
    {Step::map, 0xffff'ffff'8001'0000, 1 * MiB + 0x10000, 8 * 4 * KiB, {false, false, false}, kGlobal4K},
    {Step::map, 0xffff'ffff'8001'8000, 1 * MiB + 0x18000, 8 * 4 * KiB, MapRights::rw_nx(), kGlobal4K},
    {Step::map, 0xffff'ffff'ffff'f000, 49 * MiB, 4 * KiB, MapRights::rw(), k4K},
    // Entries with reserved bits (kept last: the mapper must not walk through them).
    {Step::map, 0x180'0000'0000, 1 * GiB, 1 * GiB, MapRights::rw(), {.sizes = page_1g}},
    {Step::reserve, 0x180'0000'0000, 0, 0, {}, {}, 4, Pml4e::page_size_field::mask},
    {Step::map, 0x7'0000'0000, 42 * MiB, 2 * MiB, MapRights::rw(), {.sizes = page_huge}},
    {Step::reserve, 0x7'0000'0000, 0, 0, {}, {}, 2, bits::bit(Pde2M::alignment_field::shift)},
};

// 4-level only: the last 2 MiB below the non-canonical hole, with the rights of the direct map that starts right
// above it (QEMU's `info mem` merges the two into one range across the hole).
constexpr Step kLong4[] = {
    {Step::map, 0x7fff'ffe0'0000, 44 * MiB, 2 * MiB, MapRights::rw(), {}},
};

// 5-level only: addresses that need 57 bits — PML5[1], and the two sides of the 57-bit hole.
constexpr Step kLong5[] = {
    {Step::map, 0x0001'0000'0000'0000, 16 * MiB, 4 * 4 * KiB, MapRights::user_rw(), k4K},
    {Step::map, 0x00ff'ffff'ffe0'0000, 44 * MiB, 2 * MiB, MapRights::rw(), {}},
    {Step::map, 0xff00'0000'0000'0000, 46 * MiB, 2 * MiB, MapRights::rw(), {}},
};

}  // namespace

void run_inspect_demo64(Reporter& r, bool five_level) {
    const bool has_la57 = arch::cpu_has(cpuid::la57);
    if (five_level && !has_la57) {
        r.log("inspect-demo: CPUID.(7,0):ECX.LA57 = 0, no 5-level paging", 2);
        r.final(0, harness::ExitStatus::check_failed);
        r.exit(harness::ExitStatus::check_failed);
    }
    const PagingMode mode = five_level ? PagingMode::long5 : PagingMode::long4;
    const demo::Tables tables = five_level ? demo::build_tables(r, mode, kCommon, kLong5, kRecursiveSlot)
                                           : demo::build_tables(r, mode, kCommon, kLong4, kRecursiveSlot);
    const std::uint64_t root = tables.root;
    if (tables.failures != 0) {
        r.final(0, harness::ExitStatus::check_failed);
        r.exit(harness::ExitStatus::check_failed);
    }

    const std::uintptr_t cr4 = arch::read_cr4() | cr4::pge;
    if (five_level) {
        arch::pw_relaunch_long_mode(root, cr4 | cr4::la57);
    } else {
        arch::write_cr3(root);
        arch::write_cr4(cr4);
    }
    // Accessed and dirty bits: a few reads and writes through the new tables (and one through the recursive slot).
    demo::touch(0x4'0000'0000, true);
    demo::touch(0x4'0001'0000, false);
    demo::touch(0x6'0000'0000, false);
    demo::touch(0x5'0000'2000, true);
    demo::touch(0x80'4020'0000, false);  // above RAM: a read only (QEMU reads unassigned memory as 0)
    demo::touch(0xffff'8000'0010'0000, false);
    demo::touch(0xffff'ffff'ffff'f000, true);
    if (five_level) demo::touch(0x0001'0000'0000'1000, true);
    RecursiveMemory recursive{mode, kRecursiveSlot};
    demo::touch(static_cast<std::uintptr_t>(recursive.table_address(mode == PagingMode::long5 ? 5 : 4, 0)), false);

    r.log((Text{} << "inspect-demo: " << (five_level ? "5-level" : "4-level") << " tables at ").hex(root).c_str());
    r.console(kInspectReadyLine);
    arch::halt_forever();
}

}  // namespace pagewalk::guest
