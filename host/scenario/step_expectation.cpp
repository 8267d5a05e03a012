// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a step's `expect` as the program encodes it (harness::StepExpect).
#include "scenario/step_encoders.hpp"

namespace pagewalk::host::scenario {
namespace {

void encode_frames(CompileState& c, const StepSpec& st, const Expectation& x, harness::StepExpect& e) {
    if (x.frames.size() > harness::kMaxExpectFrames) {
        c.error(x.pos, CompileState::key(st, "expect"),
                "at most " + std::to_string(harness::kMaxExpectFrames) + " frames (the program format)");
        return;
    }
    e.frame_count = static_cast<std::uint8_t>(x.frames.size());
    for (std::size_t i = 0; i < x.frames.size(); ++i) e.frames[i] = x.frames[i];
}

void encode_fault(const Expectation& x, harness::StepExpect& e) {
    e.vector = x.vector;
    if (x.error_code) {
        e.flags |= harness::expect_flag::error_code;
        e.error_code = *x.error_code;
    }
    if (x.cr2) {
        e.flags |= harness::expect_flag::cr2;
        e.value = *x.cr2;
    }
}

/// `expect = { ok = true, entry = "PTE", of = … }`: a read of that entry. The guest compares the value with the
/// entry in its tables; the host knows only where `of` is mapped (the leaf's address), from the map steps.
void table_entry_expectation(CompileState& c, const StepSpec& st, const EntryOf& x, harness::StepExpect& e) {
    const unsigned level = x.entry.resolve(c.mode);
    if (level > shape(c.mode).levels) {
        c.error(
            st.expect->pos, CompileState::key(st, "expect.entry"),
            std::string("no such entry in ") + to_string(c.mode) + " paging (restrict the step with modes = [...])");
        return;
    }
    const std::optional<PageTarget> target = c.space.target(x.of & ~std::uint64_t{0xfff});
    if (!target) {
        c.error(st.expect->pos, CompileState::key(st, "expect.of"),
                hex(x.of) + " is not mapped by an earlier map step in this mode: nothing says what the entry holds");
        return;
    }
    c.program.table_entry_pages[st.id] = *target;
    e.kind = static_cast<std::uint8_t>(harness::ExpectKind::table_entry);
    e.vector = static_cast<std::uint8_t>(level);
    e.value = x.of;
}

}  // namespace

harness::StepExpect expectation(CompileState& c, const StepSpec& st) {
    harness::StepExpect e{};
    if (st.op == harness::StepOp::access && st.stale) e.flags |= harness::expect_flag::stale;
    if (!st.expect) return e;
    const Expectation& x = *st.expect;
    switch (x.kind) {
        case Expectation::Kind::ok:
            if (x.table_entry) {
                table_entry_expectation(c, st, *x.table_entry, e);
                break;
            }
            e.kind = static_cast<std::uint8_t>(harness::ExpectKind::ok);
            if (x.value) {
                e.flags |= harness::expect_flag::value;
                e.value = *x.value;
            }
            encode_frames(c, st, x, e);
            break;
        case Expectation::Kind::fault:
            e.kind = static_cast<std::uint8_t>(harness::ExpectKind::fault);
            encode_fault(x, e);
            break;
        case Expectation::Kind::ok_or_fault:
            // Exact outcomes are the rule; two are possible only while the TLB may hold either translation.
            if (!st.stale)
                c.error(x.pos, CompileState::key(st, "expect"),
                        "ok_or_fault is for a stale access (stale = true): otherwise only one outcome is possible "
                        "(SDM Vol. 3A §4.10.4) — expect it, or \"model\"");
            e.kind = static_cast<std::uint8_t>(harness::ExpectKind::ok_or_fault);
            encode_frames(c, st, x, e);
            encode_fault(x, e);
            break;
        case Expectation::Kind::model:
            e.kind = static_cast<std::uint8_t>(harness::ExpectKind::model);
            break;
        case Expectation::Kind::entry:
            e.kind = static_cast<std::uint8_t>(harness::ExpectKind::entry);
            if (x.accessed) {
                e.flags |= harness::expect_flag::accessed;
                e.value |= *x.accessed ? 0x20 : 0;
            }
            if (x.dirty) {
                e.flags |= harness::expect_flag::dirty;
                e.value |= *x.dirty ? 0x40 : 0;
            }
            break;
    }
    return e;
}

}  // namespace pagewalk::host::scenario
