// SPDX-License-Identifier: MIT OR Apache-2.0
// TlbModel: each invalidation rule of SDM Vol. 3A §4.10.4.1, PCID tagging, global translations, huge pages, the
// #GP rules of PCIDs, and the fixed capacity.
#include <gtest/gtest.h>

#include <pagewalk/register_writes.hpp>
#include <pagewalk/tlb_model.hpp>

namespace {

using namespace pagewalk;

constexpr std::uint64_t kVa = 0x4000'0000;
constexpr std::uint64_t k4K = 0x1000, k2M = 0x20'0000;

bool stale_at(const TlbModel& t, std::uint64_t va) {
    return t.may_be_stale(va, va + 7);
}

TEST(TlbModel, NothingIsStaleUntilAnEntryChanges) {
    TlbModel t;
    EXPECT_FALSE(stale_at(t, kVa));
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    EXPECT_TRUE(stale_at(t, kVa));
    EXPECT_TRUE(t.may_be_stale(kVa - 4, kVa + 3)) << "an access that straddles into the range";
    EXPECT_FALSE(stale_at(t, kVa + k4K));
    EXPECT_FALSE(stale_at(t, kVa - 8));
}

TEST(TlbModel, InvlpgRemovesOnlyItsPageOfFourKilobytePages) {
    TlbModel t;
    t.translations_changed(kVa, kVa + 4 * k4K - 1, k4K, false);
    t.invlpg(kVa + k4K + 0x123);
    EXPECT_TRUE(stale_at(t, kVa));
    EXPECT_FALSE(stale_at(t, kVa + k4K));
    EXPECT_TRUE(stale_at(t, kVa + 2 * k4K)) << "the range was split around the page";
    EXPECT_TRUE(stale_at(t, kVa + 3 * k4K));
}

TEST(TlbModel, InvlpgAnywhereInAHugePageRemovesTheWholePage) {
    TlbModel t;
    t.translations_changed(kVa, kVa + k2M - 1, k2M, false);
    t.invlpg(kVa + 0x12'3456);
    EXPECT_FALSE(stale_at(t, kVa));
    EXPECT_FALSE(stale_at(t, kVa + k2M - 8));
}

TEST(TlbModel, MovCr3KeepsGlobalTranslationsAndPgeToggleDropsThem) {
    TlbModel t;
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    t.translations_changed(kVa + k4K, kVa + 2 * k4K - 1, k4K, true);
    t.mov_cr3(0x1000, false);
    EXPECT_FALSE(stale_at(t, kVa));
    EXPECT_TRUE(stale_at(t, kVa + k4K)) << "global: MOV to CR3 keeps it (§4.10.4.1)";
    t.mov_cr4(cr4::pae | cr4::pge, cr4::pae);
    EXPECT_FALSE(stale_at(t, kVa + k4K));
}

TEST(TlbModel, Cr4WritesThatDoNotChangePgeOrClearPcideInvalidateNothing) {
    TlbModel t;
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    t.mov_cr4(cr4::pae, cr4::pae | cr4::smap | cr4::pke);
    EXPECT_TRUE(stale_at(t, kVa));
    t.mov_cr0(cr0::pg | cr0::wp, cr0::pg);
    EXPECT_TRUE(stale_at(t, kVa)) << "CR0.WP changes flush nothing";
    t.mov_cr0(cr0::pg, 0);
    EXPECT_FALSE(stale_at(t, kVa)) << "clearing CR0.PG flushes everything";
}

TEST(TlbModel, PageFaultDropsTheCurrentPcidsEntryForThePageButNotGlobalOnes) {
    TlbModel t;
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    t.translations_changed(kVa + k4K, kVa + 2 * k4K - 1, k4K, true);
    t.page_fault(kVa + 8);
    EXPECT_FALSE(stale_at(t, kVa));
    t.page_fault(kVa + k4K);
    EXPECT_TRUE(stale_at(t, kVa + k4K));
}

TEST(TlbModel, TranslationsAreTaggedWithEveryPcidUsedSoFar) {
    TlbModel t;
    t.mov_cr3(0x1000 | 1, true);  // PCID 1 current; PCID 0 was used before
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    t.mov_cr3(0x1000 | 1, true);  // flushes PCID 1 only
    EXPECT_FALSE(stale_at(t, kVa));
    t.mov_cr3(0x1000 | 0 | cr3::no_flush, true);
    EXPECT_TRUE(stale_at(t, kVa)) << "PCID 0 may still hold the translation it made before the change";
    t.mov_cr3(0x1000 | 0, true);
    EXPECT_FALSE(stale_at(t, kVa));
}

TEST(TlbModel, NoFlushBitKeepsTheNewPcidsTranslations) {
    TlbModel t;
    t.mov_cr3(0x1000 | 2, true);
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    t.mov_cr3(0x1000 | 2 | cr3::no_flush, true);
    EXPECT_TRUE(stale_at(t, kVa));
}

TEST(TlbModel, InvlpgActsOnTheCurrentPcidAndOnGlobals) {
    TlbModel t;
    t.mov_cr3(0x1000 | 1, true);
    t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
    t.invlpg(kVa);
    EXPECT_FALSE(stale_at(t, kVa));
    t.mov_cr3(0x1000 | 0 | cr3::no_flush, true);
    EXPECT_TRUE(stale_at(t, kVa)) << "INVLPG need not touch PCID 0's entry";
}

TEST(TlbModel, InvpcidTypes) {
    TlbModel t;
    t.mov_cr3(0x1000 | 1, true);
    t.translations_changed(kVa, kVa + 2 * k4K - 1, k4K, false);
    t.translations_changed(kVa + 4 * k4K, kVa + 5 * k4K - 1, k4K, true);
    t.invpcid(InvpcidType::individual_address, 0, kVa);
    EXPECT_TRUE(stale_at(t, kVa)) << "type 0 for PCID 0 leaves PCID 1's entry";
    t.invpcid(InvpcidType::individual_address, 1, kVa);
    EXPECT_FALSE(stale_at(t, kVa));
    EXPECT_TRUE(stale_at(t, kVa + k4K));
    t.invpcid(InvpcidType::single_context, 1, 0);
    EXPECT_FALSE(stale_at(t, kVa + k4K));
    EXPECT_TRUE(stale_at(t, kVa + 4 * k4K)) << "type 1 keeps global translations";
    t.invpcid(InvpcidType::all_non_global, 0, 0);
    EXPECT_TRUE(stale_at(t, kVa + 4 * k4K)) << "type 3 keeps global translations";
    t.invpcid(InvpcidType::all_including_global, 0, 0);
    EXPECT_FALSE(stale_at(t, kVa + 4 * k4K));
}

TEST(TlbModel, ClearingPcideInvalidatesEverythingAndMakesPcidZeroCurrent) {
    TlbModel t;
    t.mov_cr3(0x1000 | 3, true);
    t.translations_changed(kVa, kVa + k4K - 1, k4K, true);
    t.mov_cr4(cr4::pae | cr4::pcide, cr4::pae);
    EXPECT_FALSE(stale_at(t, kVa));
    EXPECT_EQ(t.current_pcid(), 0u);
}

TEST(TlbModel, BeyondCapacityEverythingMayBeStaleUntilAFullInvalidation) {
    TlbModel t;
    for (unsigned i = 0; i <= TlbModel::capacity; ++i)
        t.translations_changed(kVa + i * 2 * k4K, kVa + i * 2 * k4K + k4K - 1, k4K, false);
    EXPECT_TRUE(stale_at(t, 0x7000'0000)) << "precision lost: conservative";
    t.mov_cr3(0x1000, false);
    EXPECT_TRUE(stale_at(t, 0x7000'0000)) << "what was lost may have been global";
    t.invpcid(InvpcidType::all_including_global, 0, 0);
    EXPECT_FALSE(stale_at(t, 0x7000'0000));
}

TEST(TlbModel, IsUsableAtCompileTime) {
    constexpr bool stale = [] {
        TlbModel t;
        t.translations_changed(kVa, kVa + k4K - 1, k4K, false);
        t.invlpg(kVa);
        return t.may_be_stale(kVa, kVa);
    }();
    static_assert(!stale);
}

TEST(PcidFaults, SettingPcideNeedsLongModeAndPcidZero) {
    ControlRegisters r{};
    r.cr4 = cr4::pae;
    r.efer = efer::lme | efer::lma;
    r.cr3 = 0x1000;
    EXPECT_FALSE(pcide_write_faults(r, r.cr4 | cr4::pcide));
    r.cr3 = 0x1001;
    EXPECT_TRUE(pcide_write_faults(r, r.cr4 | cr4::pcide)) << "CR3[11:0] = 1";
    r.cr3 = 0x1000;
    r.efer = 0;
    EXPECT_TRUE(pcide_write_faults(r, r.cr4 | cr4::pcide)) << "not IA-32e mode";
    r.cr4 |= cr4::pcide;
    EXPECT_FALSE(pcide_write_faults(r, r.cr4)) << "already set: not setting it";
}

TEST(PcidFaults, Invpcid) {
    EXPECT_TRUE(invpcid_faults(4, 0, true, true)) << "type 4";
    EXPECT_TRUE(invpcid_faults(1, 0x1000, true, true)) << "descriptor bits 63:12";
    EXPECT_TRUE(invpcid_faults(0, 1, false, true)) << "type 0, non-canonical";
    EXPECT_FALSE(invpcid_faults(1, 0, false, true)) << "type 1 ignores the address";
    EXPECT_TRUE(invpcid_faults(1, 5, true, false)) << "PCID 5 with PCIDE = 0";
    EXPECT_FALSE(invpcid_faults(2, 5, true, false)) << "type 2 ignores the PCID";
    EXPECT_FALSE(invpcid_faults(0, 0, true, false));
}

}  // namespace
