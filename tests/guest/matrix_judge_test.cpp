// SPDX-License-Identifier: MIT OR Apache-2.0
// The guest's matrix pieces that run on the host too: the verdict on one combination (guest/matrix/case_judge.hpp:
// the scenario runner's checks plus the data) and where a batch's combinations live (guest/matrix/batch_layout.hpp).
#include <gtest/gtest.h>

#include <map>
#include <pagewalk/harness/matrix/outcome.hpp>
#include <set>

#include "arch/crc32c.hpp"
#include "matrix/batch_layout.hpp"
#include "matrix/case_judge.hpp"

using namespace pagewalk;
namespace h = pagewalk::harness;
namespace mm = pagewalk::harness::matrix::mismatch;
using guest::matrix::BatchLayout;
using guest::matrix::data_tag;
using guest::matrix::judge_case;
using guest::matrix::written_value;

namespace {

constexpr std::uint64_t kQword = 0x20'0108;

/// An 8-byte access at va through four entries that completed (A set by it; D too for a write).
h::AccessRecord completed(h::AccessKind kind, std::uint64_t value) {
    h::AccessRecord a{};
    a.va = 0x7000'0000'0108;
    a.kind = static_cast<std::uint8_t>(kind);
    a.width = kind == h::AccessKind::fetch ? 0 : 8;
    a.value = value;
    a.chain_count = 4;
    a.prediction.chain_count = 4;
    for (unsigned i = 0; i < 4; ++i) {
        a.chain_before[i] = 0x30'1003 + i * 0x1000;
        a.chain_after[i] =
            a.chain_before[i] | entry_bit::accessed | (i == 3 && kind == h::AccessKind::write ? entry_bit::dirty : 0);
    }
    return a;
}

TEST(MatrixJudge, AnAgreementIsNoMismatch) {
    const std::uint64_t tag = data_tag(kQword), w = written_value(kQword);
    EXPECT_EQ(judge_case(completed(h::AccessKind::read, tag), PagingMode::long4, tag, w, tag), 0);
    EXPECT_EQ(judge_case(completed(h::AccessKind::write, w), PagingMode::long4, tag, w, w), 0);
    EXPECT_EQ(judge_case(completed(h::AccessKind::fetch, 0), PagingMode::long4, tag, w, tag), 0);
}

TEST(MatrixJudge, TheDataIsChecked) {
    const std::uint64_t tag = data_tag(kQword), w = written_value(kQword);
    // A read that returned something else, a write that left something else, a read that changed the page.
    EXPECT_EQ(judge_case(completed(h::AccessKind::read, tag ^ 1), PagingMode::long4, tag, w, tag), mm::value);
    EXPECT_EQ(judge_case(completed(h::AccessKind::write, w), PagingMode::long4, tag, w, tag), mm::value);
    EXPECT_EQ(judge_case(completed(h::AccessKind::read, tag), PagingMode::long4, tag, w, w), mm::value);
    // A write that page-faulted must leave the page as it was.
    h::AccessRecord f = completed(h::AccessKind::write, w);
    f.prediction.kind = 1;
    f.prediction.error_code = pf::p | pf::w;
    f.outcome = 1;
    f.vector = vector::page_fault;
    f.has_error_code = 1;
    f.error_code = pf::p | pf::w;
    f.cr2 = f.va;
    for (unsigned i = 0; i < 4; ++i) f.chain_after[i] = f.chain_before[i];
    EXPECT_EQ(judge_case(f, PagingMode::long4, tag, w, tag), 0);
    EXPECT_EQ(judge_case(f, PagingMode::long4, tag, w, w), mm::value);
}

TEST(MatrixJudge, OutcomeErrorCodeAndAccessedDirtyAreSeparate) {
    const std::uint64_t tag = data_tag(kQword), w = written_value(kQword);
    h::AccessRecord a = completed(h::AccessKind::read, tag);
    a.prediction.kind = 1;  // predicted a fault, the CPU completed it
    a.prediction.error_code = pf::p;
    EXPECT_EQ(judge_case(a, PagingMode::long4, tag, w, tag) & mm::outcome, mm::outcome);
    h::AccessRecord b = completed(h::AccessKind::read, 0);
    b.prediction.kind = 1;
    b.prediction.error_code = pf::p | pf::rsvd;
    b.outcome = 1;
    b.vector = vector::page_fault;
    b.has_error_code = 1;
    b.error_code = pf::rsvd;  // RSVD without P
    b.cr2 = b.va;
    for (unsigned i = 0; i < 4; ++i) b.chain_after[i] = b.chain_before[i];
    EXPECT_EQ(judge_case(b, PagingMode::long4, tag, w, tag), mm::error_code);
    h::AccessRecord c = completed(h::AccessKind::read, tag);
    c.chain_after[3] |= entry_bit::dirty;  // D set by a read
    EXPECT_EQ(judge_case(c, PagingMode::long4, tag, w, tag), mm::accessed_dirty);
}

TEST(MatrixBatch, TheDataTagIsARetAndNoLoadableDescriptor) {
    const std::uint64_t tag = data_tag(0x1234'5000);
    EXPECT_EQ(tag & 0xff, 0xc3u);       // RET: a fetch returns at once
    EXPECT_EQ((tag >> 40) & 0xff, 0u);  // access byte 0: a system descriptor of type 0, #GP when loaded
    EXPECT_NE(written_value(0x1234'5000), tag);
    EXPECT_EQ(written_value(0x1234'5000) & 0xff, 0xc3u);
}

TEST(MatrixBatch, EverySlotHasItsOwnEntryAtEveryLevelAndItsOwnQword) {
    for (PagingMode mode : kPagingModes) {
        const ModeShape s = shape(mode);
        const BatchLayout b(mode, 0x100'0000, 1, 0x200'0000, 0x400'0000);
        ASSERT_GE(b.batch(), 1u);
        std::set<std::uint64_t> vas, tops, qwords;
        std::map<std::uint64_t, unsigned> entry_slot;  // every entry a walk of the batch reads → its slot
        for (unsigned slot = 0; slot < b.batch(); ++slot) {
            for (unsigned leaf = 1; leaf <= s.levels; ++leaf) {
                if (harness::matrix::leaf_needs(mode, leaf) == LeafFeature::never) continue;
                const harness::matrix::Layout l = b.layout(slot, leaf);
                EXPECT_TRUE(s.is_address(l.va)) << to_string(mode);
                EXPECT_EQ(l.page_pa & (s.at(leaf).span() - 1), 0u);
                // The access reaches the slot's own qword through the leaf.
                EXPECT_EQ(l.page_pa + (l.va & (s.at(leaf).span() - 1)), b.data_qword(slot));
                for (unsigned level = s.levels; level >= leaf; --level) {
                    const std::uint64_t entry = l.table_pa[level] + s.at(level).index(l.va) * s.entry_bytes;
                    const auto [it, added] = entry_slot.emplace(entry, slot);
                    EXPECT_EQ(it->second, slot) << to_string(mode) << ": slots share the entry at " << entry;
                }
            }
            const harness::matrix::Layout l = b.layout(slot, 1);
            vas.insert(l.va);
            tops.insert(s.at(s.levels).index(l.va));
            qwords.insert(b.data_qword(slot));
        }
        EXPECT_EQ(vas.size(), b.batch()) << to_string(mode);
        EXPECT_EQ(tops.size(), b.batch()) << to_string(mode);
        EXPECT_EQ(qwords.size(), b.batch()) << to_string(mode);
        EXPECT_FALSE(tops.count(0)) << "slot 0 of the top level is the guest's own";
    }
    EXPECT_EQ(BatchLayout(PagingMode::pae, 0x100'0000, 1, 0x200'0000, 0x400'0000).batch(), 1u);
}

}  // namespace

// The digest's CRC32-instruction path is the table's CRC-32C, for every length and alignment (the host recomputes
// digests with the table).
TEST(MatrixDigest, TheCrc32InstructionIsTheTablesCrc32c) {
    const pagewalk::guest::arch::Crc32cUpdater table(false);
    if (!pagewalk::guest::arch::Crc32cUpdater().uses_instruction()) GTEST_SKIP() << "this CPU has no SSE4.2 (CRC32)";
    const pagewalk::guest::arch::Crc32cUpdater instruction(true);
    std::uint8_t data[64];
    for (unsigned i = 0; i < sizeof data; ++i) data[i] = static_cast<std::uint8_t>(i * 37 + 11);
    for (std::size_t offset = 0; offset < 4; ++offset)
        for (std::size_t size = 0; offset + size <= sizeof data; ++size)
            ASSERT_EQ(instruction.update(0xffff'ffffu, data + offset, size),
                      table.update(0xffff'ffffu, data + offset, size))
                << "offset " << offset << " size " << size;
    static constexpr std::uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    EXPECT_EQ(~instruction.update(0xffff'ffffu, check, sizeof check), 0xe306'9283u);  // CRC-32C's check value
}
