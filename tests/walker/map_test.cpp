// SPDX-License-Identifier: MIT OR Apache-2.0
// Mapper unit tests: page-size choice, splits, every error (and that a failed call changes nothing), the flush
// result, permissive intermediate entries, and mapping through a recursive slot.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

/// Physical memory, a frame allocator over part of it, and an empty address space of one mode.
struct Space {
    PhysicalBuffer phys{32 * MiB};
    OffsetMemory mem = phys.memory();
    BumpAllocator<4096> frames;
    Context ctx;

    explicit Space(PagingMode mode, std::uint64_t table_frames = 4000, const CpuFeatures& cpu = {})
        : frames(1 * MiB, table_frames * 4096) {
        const std::uint64_t root =
            Mapper<OffsetMemory, BumpAllocator<4096>>::create_root(Context::for_mode(mode, 0, cpu), mem, frames);
        ctx = Context::for_mode(mode, root, cpu);
    }
    Mapper<OffsetMemory, BumpAllocator<4096>> mapper() { return {ctx, mem, frames}; }
    TranslateResult at(std::uint64_t va, Access a = Access::read()) { return translate(ctx, mem, va, a); }
    // Copies out of a result (its accessors cannot be used on a temporary). A missing mapping has page_size 0.
    Mapping mapping_at(std::uint64_t va) {
        const TranslateResult r = at(va);
        return r.mapping().value_or(Mapping{});
    }
    EntryChain chain_at(std::uint64_t va) {
        const TranslateResult r = at(va);
        return r.chain();
    }
    std::uint32_t fault_at(std::uint64_t va) {
        const TranslateResult r = at(va);
        return r.page_fault().has_value() ? r.page_fault()->error_code : 0xffff'ffffu;
    }
    std::vector<std::uint8_t> snapshot() {
        std::vector<std::uint8_t> bytes(phys.size());
        for (std::uint64_t pa = 0; pa < phys.size(); pa += 8) {
            const std::uint64_t v = phys.read64(pa);
            std::memcpy(bytes.data() + pa, &v, 8);
        }
        return bytes;
    }
};

TEST(Mapper, MixesOneGiBTwoMiBAnd4KiBPagesInOneCall) {
    for (PagingMode mode : kLongModes) {
        Space s(mode);
        auto m = s.mapper();
        // va and pa both 1 GiB aligned: 1 GiB + 2 MiB + 4 KiB → one 1 GiB page, one 2 MiB page, one 4 KiB page.
        ASSERT_TRUE(m.map(GiB, 4 * GiB, GiB + 2 * MiB + 4 * KiB, MapRights::rw()));
        const auto a = s.at(GiB + 123);
        const auto b = s.at(2 * GiB + 5);
        const auto c = s.at(2 * GiB + 2 * MiB + 7);
        ASSERT_TRUE(a.ok() && b.ok() && c.ok());
        EXPECT_EQ(a.mapping()->page_size, GiB);
        EXPECT_EQ(a.mapping()->pa, 4 * GiB + 123);
        EXPECT_EQ(b.mapping()->page_size, 2 * MiB);
        EXPECT_EQ(b.mapping()->pa, 5 * GiB + 5);
        EXPECT_EQ(c.mapping()->page_size, 4 * KiB);
        EXPECT_EQ(c.mapping()->pa, 5 * GiB + 2 * MiB + 7);
        EXPECT_FALSE(s.at(2 * GiB + 2 * MiB + 4 * KiB).ok());
    }
}

TEST(Mapper, AlignmentOfPaLimitsThePageSize) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0x4000'0000, 0x20'1000, 4 * MiB, MapRights::rw()));  // va aligned, pa only 4 KiB aligned
    EXPECT_EQ(s.mapping_at(0x4000'0000).page_size, 4 * KiB);
    EXPECT_EQ(s.mapping_at(0x403f'f000).pa, 0x20'1000u + 4 * MiB - 4 * KiB);
}

TEST(Mapper, AllowedSizesAreRespected) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(GiB, GiB, GiB, MapRights::rw(), {.sizes = page_4k | page_huge}));
    EXPECT_EQ(s.mapping_at(GiB).page_size, 2 * MiB);
    // Only huge pages allowed and a 4 KiB-aligned range: no size fits.
    const auto r = m.map(3 * GiB + 4 * KiB, 0, 4 * KiB, MapRights::rw(), {.sizes = page_huge});
    EXPECT_EQ(r.error, MapError::misaligned);
    EXPECT_EQ(r.error_va, 3 * GiB + 4 * KiB);
}

TEST(Mapper, OneGiBPagesOnlyWithCpuSupport) {
    CpuFeatures no_1g{};
    no_1g.page1gb = false;
    Space s(PagingMode::long4, 4000, no_1g);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(GiB, GiB, GiB, MapRights::rw()));
    EXPECT_EQ(s.mapping_at(GiB).page_size, 2 * MiB);
}

TEST(Mapper, FourMiBPagesIn32BitPagingWithPse36Addresses) {
    Space s(PagingMode::legacy32);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0x4000'0000, 0x3'0040'0000ull, 8 * MiB, MapRights::rw()));
    const auto r = s.at(0x4040'0010);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.mapping()->page_size, 4 * MiB);
    EXPECT_EQ(r.mapping()->pa, 0x3'0080'0010ull);
    // 4 KiB pages cannot reach above 4 GiB in 32-bit paging: refused, not truncated.
    EXPECT_EQ(m.map(0x5000'0000, 0x1'0000'0000ull, 4 * KiB, MapRights::rw()).error, MapError::unsupported);
}

TEST(Mapper, LeafCarriesTheRequestedAttributes) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ControlRegisters regs = s.ctx.registers();
    regs.cr4 |= cr4::pke;
    s.ctx = Context::from_registers(regs);
    auto mk = s.mapper();
    ASSERT_TRUE(
        mk.map(0x1000'0000, 0x20'0000, 4 * KiB, MapRights::user_ro(), {.global = true, .pat_index = 5, .pkey = 9}));
    const auto r = s.at(0x1000'0000);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.mapping()->global);
    EXPECT_EQ(r.mapping()->memory_type.pat_index(), 5u);
    EXPECT_EQ(r.mapping()->pkey, 9);
    EXPECT_TRUE(r.mapping()->user);
    EXPECT_FALSE(r.mapping()->writable);
    (void)m;
}

TEST(Mapper, IntermediateEntriesArePermissiveSoTheLeafDecides) {
    for (PagingMode mode : kAllModes) {
        Space s(mode);
        auto m = s.mapper();
        const bool xd = mode != PagingMode::legacy32;
        ASSERT_TRUE(m.map(0x1000'0000, 0x50'0000, 4 * KiB, {false, true, !xd}));
        ASSERT_TRUE(m.map(0x1000'1000, 0x50'1000, 4 * KiB, {true, false, true}));
        const auto user_ro = s.at(0x1000'0000);
        ASSERT_TRUE(user_ro.ok()) << to_string(mode);
        EXPECT_TRUE(user_ro.mapping()->user);
        EXPECT_FALSE(user_ro.mapping()->writable);
        EXPECT_EQ(user_ro.mapping()->executable, !xd);
        const auto kernel_rw = s.at(0x1000'1000);
        EXPECT_TRUE(kernel_rw.mapping()->writable);
        EXPECT_FALSE(kernel_rw.mapping()->user);
        EXPECT_TRUE(kernel_rw.mapping()->executable);
        // Every table entry above is writable, not XD, and user because a user leaf lies below.
        for (const ChainEntry& e : user_ro.chain()) {
            if (e.level == 1 || (mode == PagingMode::pae && e.level == 3)) continue;
            EXPECT_TRUE(e.value & RW) << to_string(mode) << " level " << int(e.level);
            EXPECT_TRUE(e.value & US) << to_string(mode) << " level " << int(e.level);
            EXPECT_FALSE(e.value & XD);
        }
    }
}

TEST(Mapper, SupervisorOnlySubtreesKeepUsClearAbove) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0xffff'8000'0000'0000ull, 0x10'0000, 4 * KiB, MapRights::rw()));
    for (const ChainEntry& e : s.chain_at(0xffff'8000'0000'0000ull)) EXPECT_FALSE(e.value & US);
}

TEST(Mapper, AlreadyMappedFailsAndChangesNothingUnlessReplace) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0x4000'0000, 0x10'0000, 16 * KiB, MapRights::rw()));
    const auto before = s.snapshot();
    const std::uint64_t used = s.frames.allocated() - s.frames.freed();
    const auto r = m.map(0x3fff'0000, 0x90'0000, 128 * KiB, MapRights::rw());
    EXPECT_EQ(r.error, MapError::already_mapped);
    EXPECT_EQ(r.error_va, 0x4000'0000u);
    EXPECT_EQ(s.snapshot(), before) << "a failed map leaves the tables exactly as they were";
    EXPECT_EQ(s.frames.allocated() - s.frames.freed(), used);
    const auto replaced = m.map(0x3fff'0000, 0x90'0000, 128 * KiB, MapRights::rw(), {.replace = true});
    ASSERT_TRUE(replaced);
    EXPECT_EQ(s.mapping_at(0x4000'0000).pa, 0x90'0000u + 0x1'0000);
    EXPECT_EQ(replaced.flush.count, 4) << "the four replaced pages, not the new ones over holes";
}

TEST(Mapper, OutOfFramesChangesNothingAndLeaksNothing) {
    for (PagingMode mode : kAllModes) {
        Space s(mode, /*table_frames=*/3);  // root + 2: not enough for a new 5- or 4-level path plus its PT
        auto m = s.mapper();
        const auto before = s.snapshot();
        const std::uint64_t available = s.frames.available();
        const auto r = m.map(0x4000'0000, 0x10'0000, 4 * KiB, MapRights::rw());
        if (r) {
            // 32-bit paging and PAE need at most two new tables: this one fits.
            EXPECT_LE(shape(mode).levels, 3) << to_string(mode);
            continue;
        }
        EXPECT_EQ(r.error, MapError::out_of_frames) << to_string(mode);
        EXPECT_EQ(s.snapshot(), before);
        EXPECT_EQ(s.frames.available(), available);
    }
}

TEST(Mapper, RejectsMisalignedAndNonCanonicalRanges) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    EXPECT_EQ(m.map(0x1001, 0, 4096, MapRights::rw()).error, MapError::misaligned);
    EXPECT_EQ(m.map(0x1000, 0x10, 4096, MapRights::rw()).error, MapError::misaligned);
    EXPECT_EQ(m.map(0x1000, 0, 100, MapRights::rw()).error, MapError::misaligned);
    EXPECT_EQ(m.map(0x0000'8000'0000'0000ull, 0, 4096, MapRights::rw()).error, MapError::not_canonical);
    const auto crossing = m.map(0x0000'7fff'ffff'f000ull, 0, 8192, MapRights::rw());
    EXPECT_EQ(crossing.error, MapError::not_canonical) << "a range may not cross the non-canonical hole";
    EXPECT_EQ(m.unmap(0xffff'ffff'ffff'f000ull, 8192).error, MapError::not_canonical) << "nor wrap around";
    Space legacy(PagingMode::legacy32);
    auto lm = legacy.mapper();
    EXPECT_EQ(lm.map(0xffff'f000, 0, 8192, MapRights::rw()).error, MapError::not_canonical);
}

TEST(Mapper, RejectsWhatTheContextCannotExpress) {
    Space s(PagingMode::long4);
    ControlRegisters regs = s.ctx.registers();
    regs.efer &= ~efer::nxe;
    const Context no_nx = Context::from_registers(regs);
    Mapper m(no_nx, s.mem, s.frames);
    EXPECT_EQ(m.map(0x1000, 0, 4096, MapRights::rw_nx()).error, MapError::unsupported) << "XD without NXE is reserved";
    Space pae(PagingMode::pae);
    auto pm = pae.mapper();
    EXPECT_EQ(pm.map(0x1000, 0, 4096, MapRights::rw(), {.pkey = 3}).error, MapError::unsupported);
}

TEST(Mapper, UnmapPartOfAHugePageSplitsItKeepingRightsAndMemoryType) {
    for (PagingMode mode : kAllModes) {
        Space s(mode);
        auto m = s.mapper();
        const std::uint64_t huge = mode == PagingMode::legacy32 ? 4 * MiB : 2 * MiB;
        ASSERT_TRUE(m.map(0x4000'0000, 0x80'0000, huge, MapRights::user_rw(), {.global = true, .pat_index = 6}));
        ASSERT_EQ(s.mapping_at(0x4000'0000).page_size, huge);
        const auto r = m.unmap(0x4000'0000 + 8 * KiB, 4 * KiB);
        ASSERT_TRUE(r) << to_string(mode);
        EXPECT_FALSE(s.at(0x4000'2000).ok());
        for (std::uint64_t off : {std::uint64_t{0}, 4 * KiB, 12 * KiB, huge - 4 * KiB}) {
            const auto t = s.at(0x4000'0000 + off + 1);
            ASSERT_TRUE(t.ok()) << to_string(mode) << " +" << off;
            EXPECT_EQ(t.mapping()->page_size, 4 * KiB);
            EXPECT_EQ(t.mapping()->pa, 0x80'0000 + off + 1);
            EXPECT_TRUE(t.mapping()->writable && t.mapping()->user && t.mapping()->global);
            EXPECT_EQ(t.mapping()->memory_type.pat_index(), 6u) << "PAT moves from bit 12 to bit 7";
        }
        EXPECT_TRUE(r.flush.global);
        EXPECT_GE(r.flush.count, 1);
    }
}

TEST(Mapper, ProtectPartOfA1GiBPageSplitsTwice) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(GiB, GiB, GiB, MapRights::rw()));
    ASSERT_TRUE(m.protect(GiB + 4 * MiB + 4 * KiB, 4 * KiB, MapRights::read_only()));
    EXPECT_FALSE(s.mapping_at(GiB + 4 * MiB + 4 * KiB).writable);
    EXPECT_EQ(s.mapping_at(GiB + 4 * MiB + 4 * KiB).page_size, 4 * KiB);
    EXPECT_EQ(s.mapping_at(GiB + 4 * MiB).page_size, 4 * KiB);
    EXPECT_TRUE(s.mapping_at(GiB + 4 * MiB).writable);
    EXPECT_EQ(s.mapping_at(GiB + 8 * MiB).page_size, 2 * MiB);
    EXPECT_EQ(s.mapping_at(GiB + 512 * MiB).pa, GiB + 512 * MiB);
}

TEST(Mapper, ProtectOfAHoleFailsWithNotMappedAndChangesNothing) {
    Space s(PagingMode::long5);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0x1000'0000, 0x10'0000, 8 * KiB, MapRights::rw()));
    const auto before = s.snapshot();
    const auto r = m.protect(0x1000'0000, 12 * KiB, MapRights::read_only());
    EXPECT_EQ(r.error, MapError::not_mapped);
    EXPECT_EQ(r.error_va, 0x1000'2000u);
    EXPECT_EQ(s.snapshot(), before);
}

TEST(Mapper, UnmapFreesEmptyTablesBackToTheAllocator) {
    for (PagingMode mode : kAllModes) {
        Space s(mode);
        auto m = s.mapper();
        const std::uint64_t root_only = s.frames.allocated() - s.frames.freed();
        ASSERT_TRUE(m.map(0x1000'0000, 0x10'0000, 20 * KiB, MapRights::rw()));
        EXPECT_GT(s.frames.allocated() - s.frames.freed(), root_only);
        ASSERT_TRUE(m.unmap(0x1000'0000, 8 * KiB));
        ASSERT_TRUE(m.unmap(0x1000'2000, 12 * KiB));
        EXPECT_EQ(s.frames.allocated() - s.frames.freed(), root_only) << to_string(mode);
    }
}

TEST(Mapper, FlushListsChangedPagesThenFallsBackToAll) {
    Space s(PagingMode::long4);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0x1000'0000, 0x10'0000, 68 * KiB, MapRights::rw()));
    const auto few = m.protect(0x1000'0000, 3 * 4 * KiB, MapRights::read_only());
    ASSERT_TRUE(few);
    ASSERT_EQ(few.flush.count, 3);
    EXPECT_EQ(few.flush.pages[0], 0x1000'0000u);
    EXPECT_EQ(few.flush.pages[2], 0x1000'2000u);
    EXPECT_FALSE(few.flush.all);
    const auto sixteen = m.protect(0x1000'0000, 64 * KiB, MapRights::rw());
    EXPECT_EQ(sixteen.flush.count, 16);
    EXPECT_FALSE(sixteen.flush.all);
    const auto many = m.unmap(0x1000'0000, 68 * KiB);
    EXPECT_TRUE(many.flush.all) << "16 pages is the most listed";
    EXPECT_FALSE(many.flush.global);
}

TEST(Mapper, PaePdpteChangesAskForAPdpteReload) {
    Space s(PagingMode::pae);
    auto m = s.mapper();
    const auto r = m.map(0x4000'0000, 0x10'0000, 4 * KiB, MapRights::rw());
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.flush.reload_pdptes);
    const auto again = m.map(0x4000'1000, 0x11'0000, 4 * KiB, MapRights::rw());
    EXPECT_FALSE(again.flush.reload_pdptes) << "the PDPTE already pointed to the page directory";
}

TEST(Mapper, LocateFindsEntriesForRawEdits) {
    CpuFeatures cpu{};
    cpu.maxphyaddr = 46;
    Space s(PagingMode::long4, 4000, cpu);
    auto m = s.mapper();
    ASSERT_TRUE(m.map(0x4000'0000, 0x10'0000, 4 * KiB, MapRights::rw()));
    const auto pte = m.locate(0x4000'0000, 1);
    ASSERT_TRUE(pte.ok);
    EXPECT_EQ(pte.value.pa(), s.chain_at(0x4000'0000).at_level(1)->entry_pa);
    ASSERT_TRUE(s.mem.write_entry(pte.value, 0x10'0000 | P | RW | (1ull << 51)));  // a reserved bit, by hand
    EXPECT_EQ(s.fault_at(0x4000'0000), pf::p | pf::rsvd);
    EXPECT_FALSE(m.locate(0x8000'0000, 1).ok) << "no page table there";
}

// ---- Recursive slot ------------------------------------------------------------------------------------------------

// Linear accesses resolved by the model's own translate over the physical buffer, as a CPU would.
struct CpuLinearAccess {
    Context* ctx;
    OffsetMemory phys;
    bool resolve(std::uint64_t la, std::uint64_t& pa) {
        const auto r = translate(*ctx, phys, la, Access::write());
        if (!r.ok()) return false;
        pa = r.mapping()->pa;
        return true;
    }
    bool read(std::uint64_t la, unsigned bytes, std::uint64_t& out) {
        std::uint64_t pa = 0;
        return resolve(la, pa) && phys.read_entry({pa, 0, 0, 1, static_cast<std::uint8_t>(bytes)}, out);
    }
    bool write(std::uint64_t la, unsigned bytes, std::uint64_t v) {
        std::uint64_t pa = 0;
        return resolve(la, pa) && phys.write_entry({pa, 0, 0, 1, static_cast<std::uint8_t>(bytes)}, v);
    }
};

TEST(Mapper, RecursiveSlotCannotBeInstalledInPae) {
    Space s(PagingMode::pae);
    EXPECT_FALSE(install_recursive_slot(s.ctx, s.mem, 3));
    Space l(PagingMode::long4);
    EXPECT_FALSE(install_recursive_slot(l.ctx, l.mem, 512));
}

TEST(Mapper, MapsThroughARecursiveSlotLikeAKernelWould) {
    for (auto [mode, slot] : {std::pair{PagingMode::long4, 510u}, std::pair{PagingMode::long5, 300u},
                              std::pair{PagingMode::legacy32, 1023u}}) {
        Space s(mode);
        const ModeShape sh = shape(mode);
        ASSERT_TRUE(s.mem.write_entry(
            {s.ctx.root(), 0, static_cast<std::uint16_t>(slot), static_cast<std::uint8_t>(sh.levels), sh.entry_bytes},
            s.ctx.root() | P | RW));
        // Recycled frames hold garbage: the mapper must clear new tables through the slot.
        for (std::uint64_t pa = 1 * MiB + 4096; pa < 2 * MiB; pa += 8) s.phys.write64(pa, 0xffff'ffff'ffff'ffffull);
        RecursiveMemory recursive(mode, slot, CpuLinearAccess{&s.ctx, s.mem});
        Mapper m(s.ctx, recursive, s.frames);
        ASSERT_TRUE(m.map(0x1000'0000, 0x77'7000, 8 * KiB, MapRights::rw())) << to_string(mode);
        ASSERT_TRUE(m.map(0x2000'0000, 0x55'5000, 4 * KiB, MapRights::user_ro()));
        // The tables built through the slot are the ones the CPU walks.
        EXPECT_EQ(s.mapping_at(0x1000'1234).pa, 0x77'8234u);
        EXPECT_EQ(s.mapping_at(0x2000'0000).pa, 0x55'5000u);
        EXPECT_FALSE(s.at(0x1000'2000).ok()) << "the rest of the new page table was cleared";
        ASSERT_TRUE(m.unmap(0x1000'0000, 8 * KiB));
        EXPECT_FALSE(s.at(0x1000'0000).ok());
    }
}

}  // namespace
}  // namespace pagewalk::test

namespace pagewalk::test {
namespace {

TEST(MapperMerge, ProtectThatMakesATableUniformMergesItBackIntoAHugePage) {
    for (PagingMode mode : kAllModes) {
        PhysicalBuffer phys{32 * MiB};
        OffsetMemory mem = phys.memory();
        BumpAllocator<4096> frames{1 * MiB, 8 * MiB};
        const Context ctx = Context::for_mode(
            mode, Mapper<OffsetMemory, BumpAllocator<4096>>::create_root(Context::for_mode(mode, 0), mem, frames));
        Mapper m{ctx, mem, frames};
        m.merge_huge_pages(true);
        const std::uint64_t huge = mode == PagingMode::legacy32 ? 4 * MiB : 2 * MiB;
        ASSERT_TRUE(m.map(0x4000'0000, 0x80'0000, huge, MapRights::rw(), {.pat_index = 4}));
        const std::uint64_t tables_before = frames.allocated() - frames.freed();
        ASSERT_TRUE(m.protect(0x4000'3000, 4 * KiB, MapRights::read_only()));  // splits
        EXPECT_EQ(frames.allocated() - frames.freed(), tables_before + 1) << to_string(mode);
        const auto restored = m.protect(0x4000'3000, 4 * KiB, MapRights::rw());  // uniform again: merges
        ASSERT_TRUE(restored);
        EXPECT_TRUE(restored.flush.all) << "the small translations of the whole block may be cached";
        EXPECT_EQ(frames.allocated() - frames.freed(), tables_before) << "the page table was freed";
        const auto r = translate(ctx, mem, 0x4000'3123, Access::write());
        ASSERT_TRUE(r.ok()) << to_string(mode);
        EXPECT_EQ(r.mapping()->page_size, huge);
        EXPECT_EQ(r.mapping()->pa, 0x80'3123u);
        EXPECT_EQ(r.mapping()->memory_type.pat_index(), 4u) << "PAT moved back from bit 7 to bit 12";
    }
}

TEST(MapperMerge, NonUniformOrMisalignedBlocksStaySplitAndMergingIsOffByDefault) {
    PhysicalBuffer phys{32 * MiB};
    OffsetMemory mem = phys.memory();
    BumpAllocator<4096> frames{1 * MiB, 8 * MiB};
    const Context ctx = Context::for_mode(PagingMode::long4, Mapper<OffsetMemory, BumpAllocator<4096>>::create_root(
                                                                 Context::for_mode(PagingMode::long4, 0), mem, frames));
    Mapper m{ctx, mem, frames};
    // Physically contiguous but not 2 MiB aligned: map chooses 4 KiB pages, and no merge may happen.
    ASSERT_TRUE(m.map(0x4000'0000, 0x80'1000, 2 * MiB, MapRights::rw()));
    m.merge_huge_pages(true);
    ASSERT_TRUE(m.protect(0x4000'0000, 2 * MiB, MapRights::read_only()));
    const auto misaligned = translate(ctx, mem, 0x4000'0000, Access::read());
    EXPECT_EQ(misaligned.mapping()->page_size, 4 * KiB);
    // Aligned, but one page keeps other rights: no merge.
    ASSERT_TRUE(m.map(0x8000'0000, 0x100'0000, 2 * MiB, MapRights::rw(), {.sizes = page_4k}));
    ASSERT_TRUE(m.protect(0x8000'0000, 4 * KiB, MapRights::read_only()));
    const auto mixed = translate(ctx, mem, 0x8000'1000, Access::read());
    EXPECT_EQ(mixed.mapping()->page_size, 4 * KiB);
    // Uniform and aligned, merging off: stays 4 KiB.
    m.merge_huge_pages(false);
    ASSERT_TRUE(m.protect(0x8000'0000, 4 * KiB, MapRights::rw()));
    const auto off = translate(ctx, mem, 0x8000'1000, Access::read());
    EXPECT_EQ(off.mapping()->page_size, 4 * KiB);
    // On: the next protect merges it.
    m.merge_huge_pages(true);
    ASSERT_TRUE(m.protect(0x8000'0000, 4 * KiB, MapRights::rw()));
    const auto on = translate(ctx, mem, 0x8000'1000, Access::read());
    EXPECT_EQ(on.mapping()->page_size, 2 * MiB);
}

TEST(MapperMerge, TwoLevelsMergeUpToOneGiB) {
    PhysicalBuffer phys{32 * MiB};
    OffsetMemory mem = phys.memory();
    BumpAllocator<4096> frames{1 * MiB, 16 * MiB};
    const Context ctx = Context::for_mode(PagingMode::long4, Mapper<OffsetMemory, BumpAllocator<4096>>::create_root(
                                                                 Context::for_mode(PagingMode::long4, 0), mem, frames));
    Mapper m{ctx, mem, frames};
    m.merge_huge_pages(true);
    ASSERT_TRUE(m.map(GiB, GiB, GiB, MapRights::rw()));
    ASSERT_TRUE(m.protect(GiB + 8 * MiB + 4 * KiB, 4 * KiB, MapRights::read_only()));  // 1 GiB → 2 MiB → 4 KiB
    const auto split = translate(ctx, mem, GiB + 8 * MiB, Access::read());
    EXPECT_EQ(split.mapping()->page_size, 4 * KiB);
    ASSERT_TRUE(m.protect(GiB + 8 * MiB + 4 * KiB, 4 * KiB, MapRights::rw()));
    const auto merged = translate(ctx, mem, GiB + 8 * MiB, Access::read());
    EXPECT_EQ(merged.mapping()->page_size, GiB) << "merged twice: 4 KiB → 2 MiB → 1 GiB";
}

}  // namespace
}  // namespace pagewalk::test
