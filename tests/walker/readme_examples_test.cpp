// SPDX-License-Identifier: MIT OR Apache-2.0
// The README's API examples, compiled and run: if the README changes, change this test with it.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

// --- README: "Inside a kernel: physical memory mapped at an offset" ---
std::uint64_t KernelExample(std::uintptr_t physmap_base, std::uint64_t physmap_size, std::uint64_t cr0,
                            std::uint64_t cr3, std::uint64_t cr4, std::uint64_t efer, std::uint64_t va) {
    pagewalk::OffsetMemory phys{physmap_base, physmap_size};
    auto cpu = pagewalk::CpuFeatures::from_cpuid([](unsigned leaf, unsigned sub) {
        pagewalk::CpuidResult r;
        __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
        return r;
    });
    auto ctx = pagewalk::Context::from_registers({.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer}, cpu);

    auto r = pagewalk::translate(ctx, phys, va, pagewalk::Access::write().user());
    if (auto m = r.mapping()) return m->pa;                            // m->page_size, m->writable, m->pkey …
    if (auto f = r.page_fault()) return 0xf000'0000u | f->error_code;  // exactly the #PF the CPU would raise
    return 0;
}

TEST(ReadmeExamples, KernelWithOffsetMapping) {
    HandTables t(PagingMode::long4);
    t.map(0x7000'0000'0000ull, 1, 0x5000, RW | US);
    const Context c = t.context();
    const auto& regs = c.registers();
    // The test's "physmap" is the buffer behind HandTables.
    auto mem = t.memory();
    const std::uint64_t pa =
        KernelExample(mem.address_of(0), mem.size(), regs.cr0, regs.cr3, regs.cr4, regs.efer, 0x7000'0000'0123ull);
    EXPECT_EQ(pa, 0x5123u);
}

// --- README: "From a hypervisor: guest-physical reads that can fail" ---
struct FakeVm {
    std::vector<std::uint8_t> ram;
    bool read_guest_phys(std::uint64_t gpa, void* out, std::size_t n) {
        if (gpa > ram.size() || n > ram.size() - gpa) return false;  // MMIO hole, beyond RAM …
        std::memcpy(out, ram.data() + gpa, n);
        return true;
    }
};

TEST(ReadmeExamples, HypervisorWithGuestPhysicalReader) {
    HandTables t(PagingMode::pae);
    t.map(0x0804'8000, 1, 0x1234'5000, RW | US);
    FakeVm vm{std::vector<std::uint8_t>(t.phys().size())};
    for (std::uint64_t pa = 0; pa < t.phys().size(); pa += 8) {
        const std::uint64_t v = t.phys().read64(pa);
        std::memcpy(vm.ram.data() + pa, &v, 8);
    }
    const auto sregs = t.context().registers();  // what KVM_GET_SREGS gives

    pagewalk::Reader mem{[&](std::uint64_t gpa, void* out, std::size_t n) { return vm.read_guest_phys(gpa, out, n); }};
    auto ctx = pagewalk::Context::from_registers(
        {.cr0 = sregs.cr0, .cr3 = sregs.cr3, .cr4 = sregs.cr4, .efer = sregs.efer});  // default CpuFeatures: permissive
    if (ctx.mode() == pagewalk::PagingMode::pae) ctx.load_pdptes(mem);  // or ctx.set_pdptes(sregs2.pdptrs)

    auto r = pagewalk::translate(ctx, mem, 0x0804'8abc, pagewalk::Access::read());
    ASSERT_TRUE(r.mapping());
    EXPECT_EQ(r.mapping()->pa, 0x1234'5abcu);
    for (const pagewalk::ChainEntry& e : r.chain()) EXPECT_NE(e.entry_pa, 0u);  // every entry the walk read
    EXPECT_EQ(r.chain().size(), 3);
}

// --- README: "The typed walk" ---
TEST(ReadmeExamples, TypedWalk) {
    HandTables t(PagingMode::long4);
    t.map(0x1000'0000'0000ull + 42 * 4096, 1, 0x9000, RW);
    auto phys = t.memory();
    const std::uint64_t cr3 = t.root();

    auto pml4 = pagewalk::root<pagewalk::Long4>(phys, cr3);
    auto pt = pml4.next(32).table().next(0).table().next(0).table();  // PDPT → PD → PT
    pt.entry_mut(42)->set_global(true);                               // a Pte, written back

    EXPECT_TRUE(pt.entry(42).global());
    EXPECT_TRUE(pml4.next(32).is_table());
}

// --- README: "Building tables: the mapper", "Visiting and listing mappings", "Recursive page tables" ---
TEST(ReadmeExamples, MapperVisitorAndRecursiveSlot) {
    PhysicalBuffer buffer(32 * MiB);
    pagewalk::OffsetMemory phys = buffer.memory();
    const std::uint64_t table_region_pa = 1 * MiB, table_region_size = 8 * MiB;
    pagewalk::BumpAllocator frames{table_region_pa, table_region_size};
    const auto bare = pagewalk::Context::for_mode(pagewalk::PagingMode::long4, 0);
    const auto ctx = pagewalk::Context::for_mode(
        pagewalk::PagingMode::long4,
        pagewalk::Mapper<pagewalk::OffsetMemory, decltype(frames)>::create_root(bare, phys, frames));
    const std::uint64_t va = GiB, pa = 4 * GiB;
    std::vector<std::uint64_t> invalidated;
    auto invlpg = [&](std::uint64_t page) { invalidated.push_back(page); };
    auto flush_all = [&](bool /*toggle_pge*/) { invalidated.push_back(~0ull); };
    auto reload_cr3 = [] {};

    pagewalk::Mapper mapper{ctx, phys, frames};
    auto r = mapper.map(va, pa, 3 * GiB + 4 * KiB, pagewalk::MapRights::rw(), {.global = true});
    ASSERT_TRUE(r) << pagewalk::to_string(r.error) << " at " << r.error_va;
    r.flush.apply(invlpg, flush_all, reload_cr3);
    EXPECT_TRUE(invalidated.empty()) << "filling holes needs no flush";
    const auto p = mapper.protect(va, 4 * KiB, pagewalk::MapRights::read_only());
    ASSERT_TRUE(p);
    p.flush.apply(invlpg, flush_all, reload_cr3);
    ASSERT_EQ(invalidated.size(), 1u) << "the split 1 GiB page; the new 2 MiB and 4 KiB entries were never cached";
    EXPECT_EQ(invalidated[0], va);

    struct Census {
        std::uint64_t bytes = 0;
        int holes = 0;
        pagewalk::VisitAction leaf(const pagewalk::LeafVisit& l) {
            bytes += l.page_size;
            return {};
        }
        pagewalk::VisitAction hole(const pagewalk::HoleVisit&) {
            ++holes;
            return {};
        }
    } census;
    const pagewalk::VisitResult seen = pagewalk::visit(ctx, phys, pagewalk::VisitRange::all(), census);
    EXPECT_FALSE(seen.budget_exhausted) << "a listing cut short by the entry budget is incomplete";
    EXPECT_EQ(census.bytes, 3 * GiB + 4 * KiB);

    struct ClearAccessed {
        pagewalk::VisitAction leaf(pagewalk::LeafVisit& l) {
            l.entry &= ~std::uint64_t{0x20};
            return {};
        }
    } clear;
    const pagewalk::VisitRange range{va, va + 2 * MiB - 1};
    EXPECT_TRUE(pagewalk::visit_mut(ctx, phys, range, clear).flush.empty()) << "A was clear already";

    int runs = 0;
    const auto listed =
        pagewalk::mappings(ctx, phys, pagewalk::VisitRange::all(), [&](const pagewalk::MappingRun&) { ++runs; });
    EXPECT_FALSE(listed.budget_exhausted);
    EXPECT_GE(runs, 3);

    ASSERT_TRUE(mapper.unmap(va, 3 * GiB + 4 * KiB));
    EXPECT_TRUE(pagewalk::install_recursive_slot(ctx, phys, 510));
    pagewalk::RecursiveMemory tables{pagewalk::PagingMode::long4, 510};
    EXPECT_EQ(tables.table_address(4, 0), 0xffff'ff7f'bfdf'e000ull);
}

}  // namespace
}  // namespace pagewalk::test

namespace pagewalk::test {
namespace {

// --- README: "Can the CPU still use the old mapping? The TLB model" ---
TEST(ReadmeExamples, TlbModelCatchesAMissedFlush) {
    PhysicalBuffer buffer(16 * MiB);
    pagewalk::OffsetMemory phys = buffer.memory();
    pagewalk::BumpAllocator frames{1 * MiB, 4 * MiB};
    const auto bare = pagewalk::Context::for_mode(pagewalk::PagingMode::long4, 0);
    const auto ctx = pagewalk::Context::for_mode(
        pagewalk::PagingMode::long4,
        pagewalk::Mapper<pagewalk::OffsetMemory, decltype(frames)>::create_root(bare, phys, frames));
    pagewalk::Mapper mapper{ctx, phys, frames};
    const std::uint64_t va = GiB;
    ASSERT_TRUE(mapper.map(va, 8 * MiB, 4 * KiB, pagewalk::MapRights::rw()));

    pagewalk::TlbModel tlb;
    auto r = mapper.protect(va, 4 * KiB, pagewalk::MapRights::read_only());
    ASSERT_TRUE(r);
    tlb.translations_changed(va, va + 4 * KiB - 1, 4 * KiB, /*global=*/false);
    EXPECT_TRUE(tlb.may_be_stale(va, va + 7)) << "the missed flush is caught";
    ASSERT_EQ(r.flush.count, 1);
    tlb.invlpg(r.flush.pages[0]);  // the flush the mapper asked for
    EXPECT_FALSE(tlb.may_be_stale(va, va + 7));
}

}  // namespace
}  // namespace pagewalk::test
