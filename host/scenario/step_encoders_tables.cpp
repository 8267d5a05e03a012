// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the encoders of the steps that change page tables or memory — map, unmap, protect, edit_entry,
// recursive, poke, tag (step_encoders.hpp).
#include <pagewalk/entry.hpp>

#include "scenario/step_encoders.hpp"

namespace pagewalk::host::scenario {
namespace {

using harness::StepOp;

void encode_map(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (!c.check_va(st, st.size, false)) return;
    if ((st.va | st.size) & 0xfff) {
        c.error(st.pos, CompileState::key(st), "va and size must be 4 KiB-aligned");
        return;
    }
    if (c.in_slot_region(st, st.va, st.size)) return;
    const std::uint64_t huge = c.mode == PagingMode::legacy32 ? 4ull << 20 : 2ull << 20;
    c.pdptes_mapped(st.va, st.size);  // the mapper may make a PDPTE of the range present again
    c.space.add_range({st.va, st.va + st.size, st.id,
                       st.sizes == 2   ? huge
                       : st.sizes == 4 ? std::uint64_t{1} << 30
                                       : 4096});
    h.a = st.size;
    h.rights = c.rights(st.rights);
    h.sizes = st.sizes;
    if (st.pkey != 0 && !c.long_mode())
        c.error(st.pos, CompileState::key(st, "pkey"), "protection keys exist only in 4-level and 5-level paging");
    h.pat = st.pat;
    h.pkey = st.pkey;
    if (st.global) h.flags |= harness::step_flag::global;
    if (st.replace) h.flags |= harness::step_flag::replace;
    if (!st.flush) h.flags |= harness::step_flag::no_flush;
    if (st.frame) {
        if (st.sizes == 4) {
            c.error(st.pos, CompileState::key(st, "frame"),
                    "1 GiB pages need an absolute pa: the data area is only 2 MiB-aligned");
            return;
        }
        const std::uint64_t off = std::uint64_t{*st.frame} * 4096;
        if (st.sizes == 2 && ((off | st.va) & (huge - 1)) != 0) {
            c.error(st.pos, CompileState::key(st, "frame"),
                    "huge pages only, but va or the frame is not " + std::to_string(huge >> 20) +
                        " MiB-aligned (frame must be a multiple of " + std::to_string(huge / 4096) + ")");
            return;
        }
        h.pa = off;
        h.flags |= harness::step_flag::pa_data;
        c.use_frames(*st.frame, (st.size + 4095) / 4096);
        c.space.map_data(st.va, st.size, off);
    } else {
        h.pa = st.pa.value_or(0);
        if (h.pa & 0xfff) c.error(st.pos, CompileState::key(st, "pa"), "must be 4 KiB-aligned");
        c.check_physical_range(st, h.pa, st.size);
        c.space.map_absolute(st.va, st.size, h.pa);
    }
    if (st.replace) {
        c.leaves_changed(st.va, st.size, st.global);
        if (st.flush) c.flushed_range(st.va, st.size);
    }
    c.space.set_global(st.va, st.size, st.global);
}

void encode_unmap_or_protect(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (!c.check_va(st, st.size, false)) return;
    if ((st.va | st.size) & 0xfff) c.error(st.pos, CompileState::key(st), "va and size must be 4 KiB-aligned");
    h.a = st.size;
    h.rights = c.rights(st.rights);
    if (!st.flush) h.flags |= harness::step_flag::no_flush;
    c.leaves_changed(st.va, st.size, false);
    if (st.flush) c.flushed_range(st.va, st.size);
    if (st.op == StepOp::unmap) c.space.unmap(st.va, st.size);
}

}  // namespace

void encode_mapper_step(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (st.op == StepOp::map)
        encode_map(c, st, h);
    else
        encode_unmap_or_protect(c, st, h);
}

void encode_edit_step(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (!c.check_va(st, 1, false)) return;
    h.level = static_cast<std::uint8_t>(c.level(st));
    h.a = st.set_bits;
    h.b = st.clear_bits;
    if (st.set_maxphyaddr_bit) h.flags |= harness::step_flag::maxphyaddr_bit;
    if (h.level == 0) return;
    const std::uint64_t span = shape(c.mode).at(h.level).span();
    const std::uint64_t base = st.va & ~(span - 1);
    if (base < c.guest_end()) {
        c.error(st.pos, CompileState::key(st, "entry"),
                "this entry maps [" + hex(base) + ", " + hex(base + span) +
                    "), which holds the guest's own identity map [0, " + hex(c.guest_end()) +
                    "): editing it would change the guest's own code and data (use a lower entry)");
        return;
    }
    const bool pae_pdpte = c.mode == PagingMode::pae && h.level == 3;
    // Setting bit 8 may make a leaf global (G); PML4Es, PML5Es and PAE PDPTEs are never leaves.
    const bool leaf_capable = h.level <= 2 || (h.level == 3 && c.mode != PagingMode::pae);
    c.changed(base, base + span,
              c.global_now(c.space.any_global(base, span) || (leaf_capable && (st.set_bits & entry_bit::global) != 0)),
              h.level == 1 ? 4096 : c.space.page_size_of(base, span));
    if (pae_pdpte) c.track_pdpte(st);
    if (!st.flush)
        h.flags |= harness::step_flag::no_flush;
    else if (pae_pdpte)
        c.mov_cr3();  // the runner reloads CR3: PAE PDPTEs are registers (SDM Vol. 3A §4.4.1)
    else
        c.tlb.invlpg(st.va);
}

/// `recursive`: entry `slot` of the top-level table points to that table. Refused where the slot's region holds
/// the guest's identity map or an earlier mapping (the mapper would take the root for a lower-level table).
void encode_recursive_step(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (c.mode == PagingMode::pae) {
        c.error(st.pos, CompileState::key(st, "op"),
                "PAE paging has no recursive slot: its PDPT is 4 entries (32 bytes), not a page-table page "
                "(SDM Vol. 3A §4.4.1); leave pae out of the modes or restrict the step with modes = [...]");
        return;
    }
    if (st.slot >= top_level_entries(c.mode)) {
        c.error(st.pos, CompileState::key(st, "slot"),
                std::to_string(st.slot) + " is out of range: the top-level table has " +
                    std::to_string(top_level_entries(c.mode)) + " entries");
        return;
    }
    const SlotRegion r = slot_region(c.mode, st.slot);
    if (r.lo < c.guest_end()) {
        c.error(st.pos, CompileState::key(st, "slot"),
                "slot " + std::to_string(st.slot) + " covers [" + hex(r.lo) + ", " + hex(r.hi) +
                    "), which holds the guest's own identity map [0, " + hex(c.guest_end()) + ")");
        return;
    }
    for (const MappedRange& m : c.space.ranges())
        if (m.lo < r.hi && m.hi > r.lo) {
            c.error(st.pos, CompileState::key(st, "slot"),
                    "slot " + std::to_string(st.slot) + " covers [" + hex(r.lo) + ", " + hex(r.hi) + "), where step[" +
                        std::to_string(m.step) + "] mapped " + hex(m.lo) + ": pick a free top-level entry");
            return;
        }
    h.a = st.slot;
    // The top-level entry changed: every translation through it (SDM Vol. 3A §4.10.4). The runner's flush is a
    // CR3 reload (the slot is not global).
    c.changed(r.lo, r.hi, false, 4096);
    if (!st.flush)
        h.flags |= harness::step_flag::no_flush;
    else
        c.tlb.mov_cr3(0, false);
    c.space.add_slot(st.slot, r);
}

void encode_poke(CompileState& c, const StepSpec& st, harness::Step& h) {
    if ((st.offset & 7) != 0) c.error(st.pos, CompileState::key(st, "offset"), "must be 8-byte aligned");
    if (st.frame) {
        h.pa = std::uint64_t{*st.frame} * 4096 + st.offset;
        h.flags |= harness::step_flag::pa_data;
        c.use_frames(*st.frame, 1);
    } else {
        // An absolute address may be a page-table entry (the guest allocates the tables): any translation may have
        // changed (§4.10.4). The data area holds no tables.
        c.every_translation_changed();
        c.pdptes_unknown();  // it may have written a PDPTE
        h.pa = st.pa.value_or(0) + st.offset;
        if (h.pa & 7) c.error(st.pos, CompileState::key(st, "pa"), "must be 8-byte aligned");
        if (h.pa < kGuestOwnMemoryEnd)
            c.error(st.pos, CompileState::key(st, "pa"),
                    hex(h.pa) + " lies in the guest's own memory below " + hex(kGuestOwnMemoryEnd) +
                        " (its code, boot data, page tables and data area): poke from there up, or a data frame "
                        "(frame = N)");
        c.check_physical_range(st, h.pa, 8);
    }
    h.a = st.value.value_or(0);
}

void encode_tag(CompileState&, const StepSpec&, harness::Step&) {}

}  // namespace pagewalk::host::scenario
