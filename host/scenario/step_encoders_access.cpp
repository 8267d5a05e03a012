// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the encoders of the steps that access memory or read an entry — access, read_entry
// (step_encoders.hpp).
#include <pagewalk/access.hpp>
#include <pagewalk/harness/runner_records.hpp>

#include "scenario/step_encoders.hpp"

namespace pagewalk::host::scenario {
namespace {

/// A read or write has a width and any alignment; it may cross into the next page (each page is translated, SDM
/// Vol. 3A §4.7). A fetch and an implicit access stay 8-byte aligned.
void encode_access(CompileState& c, const StepSpec& st, harness::Step& h) {
    const bool data = st.kind != harness::AccessKind::fetch && !st.implicit;
    const unsigned width = data ? st.width : 8;
    if (!c.check_va(st, width, true)) return;
    h.access = static_cast<std::uint8_t>(st.kind);
    h.cpl = st.cpl;
    h.width = data ? st.width : 0;
    if (st.ac) h.access_flags |= harness::access_flag::ac;
    if (st.implicit) h.access_flags |= harness::access_flag::implicit;
    if (!data && (st.va & 7))
        c.error(st.pos, CompileState::key(st, "va"), "fetches and implicit accesses must be 8-byte aligned");
    const bool crosses = harness::crosses_page(st.va, width);
    if (st.kind == harness::AccessKind::fetch && (st.va & 0xfff) >= harness::kTaggedBytes)
        c.error(st.pos, CompileState::key(st, "va"),
                "a fetch must target the first " + std::to_string(harness::kTaggedBytes) +
                    " bytes of a page (where the guest's tags put RET instructions)");
    if (st.kind == harness::AccessKind::write) h.a = st.value.value_or(default_write_value(st.id));
    const std::uint64_t last = st.va + width - 1;
    if (c.tlb.may_be_stale(st.va, last) && !st.stale)
        c.error(st.pos, CompileState::key(st),
                "an earlier step changed this address's translation without a flush: the CPU may still use the "
                "old one (SDM Vol. 3A §4.10.4). Flush first, or say stale = true and accept both outcomes");
    if (st.kind == harness::AccessKind::read && !st.implicit && c.tlb.fresh_only_by_page_fault(st.va, last))
        c.program.fresh_by_page_fault.insert(st.id);
    // A #PF invalidates the faulting page's translations (SDM Vol. 3A §4.10.4.1). Only an asserted #PF counts:
    // if the CPU does not fault, this step fails and nothing after it is trusted. Across a page boundary `cr2`
    // names the page that faults.
    if (st.expect && st.expect->kind == Expectation::Kind::fault && st.expect->vector == vector::page_fault &&
        shape(c.mode).is_address(st.va))
        c.tlb.page_fault(st.expect->cr2.value_or(st.va));
    if (st.expect && st.expect->cr2 && crosses && (*st.expect->cr2 < st.va || *st.expect->cr2 > last))
        c.error(st.expect->pos, CompileState::key(st, "expect.cr2"),
                "across a page boundary cr2 names the faulting page by a byte of the access in it: " + hex(st.va) +
                    " … " + hex(last));
    if (st.expect && (st.expect->value || !st.expect->frames.empty() || st.expect->table_entry) &&
        (st.kind != harness::AccessKind::read || st.implicit))
        c.error(st.expect->pos, CompileState::key(st, "expect"),
                "only a read has a value to expect (value, frame, frames, entry)");
    if (st.expect && st.expect->value && width < 8 && (*st.expect->value >> (8 * width)) != 0)
        c.error(st.expect->pos, CompileState::key(st, "expect.value"),
                "a " + std::to_string(width) + "-byte read returns its bytes zero-extended: at most " +
                    hex((std::uint64_t{1} << (8 * width)) - 1));
    if (st.expect && st.expect->table_entry && width != 8)
        c.error(st.expect->pos, CompileState::key(st, "expect.entry"),
                "an entry is read with an 8-byte read (size = 8)");
    if (st.expect && !st.expect->frames.empty() && ((st.va & 0xfff) + width > harness::kTaggedBytes))
        c.error(st.expect->pos, CompileState::key(st, "expect"),
                "frame expectations need a read within the first " + std::to_string(harness::kTaggedBytes) +
                    " bytes of a page (the tagged bytes)");
    if (!shape(c.mode).is_address(st.va)) return;
    for (const std::uint64_t page : {st.va & ~std::uint64_t{0xfff}, last & ~std::uint64_t{0xfff}})
        if (const auto offset = c.space.data_offset(page))
            c.program.tagged_frames.insert(static_cast<std::uint32_t>(*offset >> 12));
    if (st.expect)
        for (std::uint32_t f : st.expect->frames) {
            c.program.tagged_frames.insert(f);
            c.use_frames(f, 1);
        }
}

/// `va = { recursive = "PTE", of = … }`: the address of that entry through the latest recursive slot.
bool recursive_address(CompileState& c, const StepSpec& st, std::uint64_t& va) {
    const std::optional<unsigned> slot = c.space.latest_slot();
    if (!slot) {
        c.error(st.pos, CompileState::key(st, "va"),
                "a recursive address needs an earlier recursive step in this mode");
        return false;
    }
    const unsigned level = st.recursive_va->entry.resolve(c.mode);
    if (level > shape(c.mode).levels) {
        c.error(st.pos, CompileState::key(st, "va.recursive"),
                std::string("no such entry in ") + to_string(c.mode) + " paging");
        return false;
    }
    va = recursive_entry_address(c.mode, *slot, level, st.recursive_va->of);
    return true;
}

/// A write through a recursive slot changes the entry it reaches: the translations under it, and those the
/// slot's addresses read (§4.10.4, §4.10.3.3).
void entry_written_through_slot(CompileState& c, const StepSpec& st) {
    const unsigned level = st.recursive_va->entry.resolve(c.mode);
    if (level == 0 || level > shape(c.mode).levels) return;
    const std::uint64_t span = shape(c.mode).at(level).span();
    const std::uint64_t base = shape(c.mode).canonical(st.recursive_va->of) & ~(span - 1);
    c.changed(base, base + span, c.global_now(true), 4096);
    c.slot_translations_changed();
}

}  // namespace

void encode_access_step(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (!st.recursive_va) {
        encode_access(c, st, h);
        h.expect = expectation(c, st);
        return;
    }
    // The checks see the computed address (the evaluator reads it from the records).
    StepSpec resolved = st;
    if (!recursive_address(c, st, resolved.va)) return;
    h.va = resolved.va;
    encode_access(c, resolved, h);
    if (st.kind == harness::AccessKind::write && !st.implicit) entry_written_through_slot(c, st);
    h.expect = expectation(c, st);
}

void encode_read_entry_step(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (c.check_va(st, 1, false)) h.level = static_cast<std::uint8_t>(c.level(st));
    h.expect = expectation(c, st);
}

}  // namespace pagewalk::host::scenario
