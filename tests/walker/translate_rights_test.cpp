// SPDX-License-Identifier: MIT OR Apache-2.0
// translate(): access rights (SDM Vol. 3A §4.6) and the error code of protection faults (§4.7): R/W with
// CR0.WP, U/S at leaf and non-leaf levels, XD with EFER.NXE, SMEP, SMAP with EFLAGS.AC and implicit accesses,
// protection keys, and when the I/D bit is reported.
#include <gtest/gtest.h>

#include "page_tables.hpp"

namespace pagewalk::test {
namespace {

constexpr std::int64_t kAllowed = -1;

// Maps kVa with a 4 KiB leaf with `leaf_flags`, tables with `table_flags`, and returns what `access` gets:
// kAllowed, or the #PF error code.
std::int64_t Outcome(PagingMode mode, std::uint64_t leaf_flags, std::uint64_t table_flags, const Access& access,
                     std::uint64_t cr4_extra = 0, bool wp = true, bool nxe = true) {
    HandTables t(mode);
    t.map(kVa, 1, 0x123000, leaf_flags, table_flags);
    auto mem = t.memory();
    const auto r = translate(t.context({}, cr4_extra, nxe, wp), mem, kVa, access);
    if (r.ok()) return kAllowed;
    EXPECT_TRUE(r.page_fault()) << "expected a #PF, got vector " << r.vector();
    return r.page_fault() ? r.page_fault()->error_code : -2;
}

class RightsEveryMode : public testing::TestWithParam<PagingMode> {};
class RightsPaeFormat : public testing::TestWithParam<PagingMode> {};
class RightsLongModes : public testing::TestWithParam<PagingMode> {};

// ---- R/W and CR0.WP ----------------------------------------------------------------------------------------------

TEST_P(RightsEveryMode, SupervisorWriteToReadOnlyFaultsWhenWpSet) {
    EXPECT_EQ(Outcome(GetParam(), US, RW | US, Access::write()), pf::p | pf::w);
}

TEST_P(RightsEveryMode, SupervisorWriteToReadOnlyAllowedWhenWpClear) {
    EXPECT_EQ(Outcome(GetParam(), 0, 0, Access::write(), 0, /*wp=*/false), kAllowed);
}

TEST_P(RightsEveryMode, UserWriteToReadOnlyFaultsWhateverWp) {
    for (bool wp : {true, false}) {
        EXPECT_EQ(Outcome(GetParam(), US, RW | US, Access::write().user(), 0, wp), pf::p | pf::w | pf::u);
    }
}

TEST_P(RightsEveryMode, ReadOnlyNonLeafEntryMakesTheAddressReadOnly) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, US, Access::write().user()), pf::p | pf::w | pf::u);
    EXPECT_EQ(Outcome(GetParam(), RW | US, US, Access::read().user()), kAllowed);
}

TEST_P(RightsEveryMode, WritableEverywhereAllowsUserWrite) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::write().user()), kAllowed);
}

// ---- U/S ---------------------------------------------------------------------------------------------------------

TEST_P(RightsEveryMode, UserReadOfSupervisorLeafFaults) {
    EXPECT_EQ(Outcome(GetParam(), RW, RW | US, Access::read().user()), pf::p | pf::u);
}

TEST_P(RightsEveryMode, UserReadThroughSupervisorNonLeafFaults) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW, Access::read().user()), pf::p | pf::u);
}

TEST_P(RightsEveryMode, SupervisorReadOfUserPageAllowedWithoutSmap) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::read()), kAllowed);
}

TEST_P(RightsEveryMode, Cpl1And2AreSupervisorAccesses) {
    EXPECT_EQ(Outcome(GetParam(), RW, RW, Access::read().at_cpl(1)), kAllowed);
    EXPECT_EQ(Outcome(GetParam(), 0, RW, Access::write().at_cpl(2)), pf::p | pf::w);
}

// ---- XD and NXE, and the I/D bit ----------------------------------------------------------------------------------

TEST_P(RightsPaeFormat, FetchFromXdLeafFaultsWithInstructionFetchBit) {
    EXPECT_EQ(Outcome(GetParam(), RW | XD, RW, Access::fetch()), pf::p | pf::id);
    EXPECT_EQ(Outcome(GetParam(), RW | US | XD, RW | US, Access::fetch().user()), pf::p | pf::u | pf::id);
}

TEST_P(RightsPaeFormat, XdInANonLeafEntryForbidsFetches) {
    EXPECT_EQ(Outcome(GetParam(), RW, RW | XD, Access::fetch()), pf::p | pf::id);
    EXPECT_EQ(Outcome(GetParam(), RW, RW | XD, Access::read()), kAllowed);
}

TEST_P(RightsPaeFormat, FetchWithoutNxeNeverFaultsOnExecuteRights) {
    EXPECT_EQ(Outcome(GetParam(), RW, RW, Access::fetch(), 0, true, /*nxe=*/false), kAllowed);
}

TEST_P(RightsPaeFormat, InstructionFetchBitReportedOnNotPresentWhenNxeSet) {
    // SDM §4.7: I/D is set for any fetch fault once PAE = 1 and NXE = 1 — not only for XD violations.
    HandTables t(GetParam());
    auto mem = t.memory();
    const auto with_nxe = translate(t.context(), mem, kVa, Access::fetch());
    ASSERT_TRUE(with_nxe.page_fault());
    EXPECT_EQ(with_nxe.page_fault()->error_code, pf::id);
    const auto without = translate(t.context({}, 0, /*nxe=*/false), mem, kVa, Access::fetch());
    ASSERT_TRUE(without.page_fault());
    EXPECT_EQ(without.page_fault()->error_code, 0u) << "PAE = 1 but NXE = 0 and SMEP = 0: no I/D";
}

TEST(TranslateRights32Bit, FetchFaultReportsInstructionFetchOnlyWithSmep) {
    // 32-bit paging: CR4.PAE = 0, so I/D needs SMEP (SDM §4.7) — even with EFER.NXE = 1.
    HandTables t(PagingMode::legacy32);
    auto mem = t.memory();
    ControlRegisters regs = t.context().registers();
    regs.efer |= efer::nxe;
    const auto plain = translate(Context::from_registers(regs), mem, kVa, Access::fetch());
    ASSERT_TRUE(plain.page_fault());
    EXPECT_EQ(plain.page_fault()->error_code, 0u);
    regs.cr4 |= cr4::smep;
    const auto smep = translate(Context::from_registers(regs), mem, kVa, Access::fetch());
    ASSERT_TRUE(smep.page_fault());
    EXPECT_EQ(smep.page_fault()->error_code, pf::id);
}

TEST(TranslateRights32Bit, EntriesHaveNoExecuteDisable) {
    // Bit 31 of a 32-bit PTE is an address bit, not XD: a fetch is allowed.
    EXPECT_EQ(Outcome(PagingMode::legacy32, RW | (1u << 31), RW, Access::fetch()), kAllowed);
}

// ---- SMEP ----------------------------------------------------------------------------------------------------------

TEST_P(RightsEveryMode, SmepForbidsSupervisorFetchFromUserPage) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::fetch(), cr4::smep), pf::p | pf::id);
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::fetch()), kAllowed) << "SMEP off";
}

TEST_P(RightsEveryMode, SmepAllowsSupervisorFetchFromSupervisorPageAndUserFetch) {
    EXPECT_EQ(Outcome(GetParam(), RW, RW | US, Access::fetch(), cr4::smep), kAllowed);
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::fetch().user(), cr4::smep), kAllowed);
}

TEST_P(RightsEveryMode, SmepConsidersNonLeafUs) {
    // A page is a user-mode address only if U/S = 1 at every level: a supervisor PDE makes it supervisor.
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW, Access::fetch(), cr4::smep), kAllowed);
}

// ---- SMAP
// -------------------------------------------------------------------------------------------------------------

TEST_P(RightsEveryMode, SmapForbidsSupervisorDataAccessToUserPage) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::read(), cr4::smap), pf::p);
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::write(), cr4::smap), pf::p | pf::w);
}

TEST_P(RightsEveryMode, SmapAllowsExplicitAccessWithAc) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::read().with_ac(), cr4::smap), kAllowed);
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::write().with_ac(), cr4::smap), kAllowed);
}

TEST_P(RightsEveryMode, SmapWithAcStillHonoursWpOnReadOnlyUserPage) {
    EXPECT_EQ(Outcome(GetParam(), US, RW | US, Access::write().with_ac(), cr4::smap), pf::p | pf::w);
    EXPECT_EQ(Outcome(GetParam(), US, RW | US, Access::write().with_ac(), cr4::smap, /*wp=*/false), kAllowed);
}

TEST_P(RightsEveryMode, SmapImplicitSupervisorAccessIgnoresAc) {
    // SDM §4.6.1: an implicit access (e.g. a GDT read) to a user page faults under SMAP even with AC = 1.
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::read().with_ac().implicit(), cr4::smap), pf::p);
}

TEST_P(RightsEveryMode, ImplicitAccessFromCpl3IsSupervisorWithUClearInErrorCode) {
    // At CPL 3 a descriptor-table read is a supervisor access: it reaches supervisor pages, and faults on a
    // user page under SMAP with U = 0 in the error code (SDM §4.6.1, §4.7).
    EXPECT_EQ(Outcome(GetParam(), RW, RW, Access::read().user().implicit()), kAllowed);
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::read().user().implicit().with_ac(), cr4::smap), pf::p);
    EXPECT_EQ(Outcome(GetParam(), 0, RW, Access::write().user().implicit()), pf::p | pf::w);
}

TEST_P(RightsEveryMode, SmapDoesNotAffectUserAccessesOrFetches) {
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::write().user(), cr4::smap), kAllowed);
    EXPECT_EQ(Outcome(GetParam(), RW | US, RW | US, Access::fetch(), cr4::smap), kAllowed);
}

// ---- Protection keys (4-level and 5-level only) -------------------------------------------------------------------

constexpr std::uint64_t Key(unsigned k) {
    return std::uint64_t{k} << 59;
}
constexpr std::uint32_t AccessDisable(unsigned k) {
    return 1u << (2 * k);
}
constexpr std::uint32_t WriteDisable(unsigned k) {
    return 1u << (2 * k + 1);
}

TEST_P(RightsLongModes, PkuAccessDisableDeniesUserReadsAndWrites) {
    const auto a = Access::read().user().with_pkru(AccessDisable(5));
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(5), RW | US, a, cr4::pke), pf::p | pf::u | pf::pk);
    const auto w = Access::write().user().with_pkru(AccessDisable(5));
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(5), RW | US, w, cr4::pke), pf::p | pf::w | pf::u | pf::pk);
    // Another key's bits do not matter.
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(4), RW | US, a, cr4::pke), kAllowed);
}

TEST_P(RightsLongModes, PkuWriteDisableDeniesUserWritesOnly) {
    const std::uint32_t pkru = WriteDisable(3);
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(3), RW | US, Access::write().user().with_pkru(pkru), cr4::pke),
              pf::p | pf::w | pf::u | pf::pk);
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(3), RW | US, Access::read().user().with_pkru(pkru), cr4::pke),
              kAllowed);
}

TEST_P(RightsLongModes, PkuWriteDisableDeniesSupervisorWritesOnlyWhenWpSet) {
    const auto w = Access::write().with_pkru(WriteDisable(3));
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(3), RW | US, w, cr4::pke), pf::p | pf::w | pf::pk);
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(3), RW | US, w, cr4::pke, /*wp=*/false), kAllowed);
}

TEST_P(RightsLongModes, PkuAccessDisableDeniesSupervisorDataAccessToUserPages) {
    const auto r = Access::read().with_pkru(AccessDisable(2));
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(2), RW | US, r, cr4::pke), pf::p | pf::pk);
}

TEST_P(RightsLongModes, PkuNeverChecksFetchesOrSupervisorPages) {
    const std::uint32_t all_denied = 0xffff'ffffu;
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(1), RW | US, Access::fetch().user().with_pkru(all_denied), cr4::pke),
              kAllowed);
    // A supervisor page (U/S = 0 somewhere) is not subject to keys.
    EXPECT_EQ(Outcome(GetParam(), RW | Key(1), RW | US, Access::read().with_pkru(all_denied), cr4::pke), kAllowed);
}

TEST_P(RightsLongModes, PkuIgnoredWhenPkeClear) {
    EXPECT_EQ(Outcome(GetParam(), RW | US | Key(1), RW | US, Access::read().user().with_pkru(0xffff'ffffu)), kAllowed);
}

TEST_P(RightsLongModes, PkFlagAccompaniesOtherViolations) {
    // A user write to a read-only page whose key also denies writes: both causes, and PK in the error code.
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, US | Key(7), RW | US);
    auto mem = t.memory();
    const auto r = translate(t.context({}, cr4::pke), mem, kVa, Access::write().user().with_pkru(WriteDisable(7)));
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->error_code, pf::p | pf::w | pf::u | pf::pk);
    EXPECT_EQ(r.page_fault()->causes, fault_cause::write_protect | fault_cause::pkey);
}

TEST_P(RightsLongModes, MappingReportsTheProtectionKeyOnlyWithPke) {
    HandTables t(GetParam());
    t.map(kVa, 2, 0x400000, RW | US | Key(9));
    auto mem = t.memory();
    const auto with = translate(t.context({}, cr4::pke), mem, kVa, Access::read());
    ASSERT_TRUE(with.ok());
    EXPECT_EQ(with.mapping()->pkey, 9);
    const auto without = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(without.ok());
    EXPECT_EQ(without.mapping()->pkey, 0);
}

TEST(TranslateRightsPae, ProtectionKeyBitsAreReservedInPae) {
    // PAE has no protection keys: bits 62:59 are reserved (MAXPHYADDR..62), whatever CR4.PKE says.
    HandTables t(PagingMode::pae);
    t.map(kVa, 1, 0x123000, RW | US | Key(1));
    auto mem = t.memory();
    const auto r = translate(t.context({}, cr4::pke), mem, kVa, Access::read());
    ASSERT_TRUE(r.page_fault());
    EXPECT_EQ(r.page_fault()->error_code, pf::p | pf::rsvd);
}

TEST_P(RightsEveryMode, EffectiveRightsCombineAllLevels) {
    HandTables t(GetParam());
    t.map(kVa, 1, 0x123000, RW | US, US);  // tables read-only, user; leaf writable
    auto mem = t.memory();
    const auto r = translate(t.context(), mem, kVa, Access::read());
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.mapping()->writable);
    EXPECT_TRUE(r.mapping()->user);
    EXPECT_TRUE(r.mapping()->executable);
}

INSTANTIATE_TEST_SUITE_P(Translate, RightsEveryMode, testing::ValuesIn(kAllModes), mode_name);
INSTANTIATE_TEST_SUITE_P(Translate, RightsPaeFormat, testing::ValuesIn(kPaeFormatModes), mode_name);
INSTANTIATE_TEST_SUITE_P(Translate, RightsLongModes, testing::ValuesIn(kLongModes), mode_name);

}  // namespace
}  // namespace pagewalk::test
