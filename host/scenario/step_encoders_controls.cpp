// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the encoders of the steps that flush translations or write control registers — invlpg, load_cr3,
// invpcid, reload_cr3, toggle_pge, set_control (step_encoders.hpp).
#include <pagewalk/register_writes.hpp>

#include "scenario/mode_rules.hpp"
#include "scenario/step_encoders.hpp"

namespace pagewalk::host::scenario {

namespace ctl = harness::control;

void encode_invlpg(CompileState& c, const StepSpec& st, harness::Step&) {
    // Non-canonical, INVLPG is a no-op in 64-bit mode (SDM Vol. 2A, INVLPG): allowed, invalidates nothing.
    if (c.check_va(st, 1, true) && shape(c.mode).is_address(st.va)) c.tlb.invlpg(st.va);
}

/// `load_cr3`: MOV to CR3 with a PCID and, `noflush = true`, bit 63 (§4.10.4.1).
void encode_load_cr3(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (!c.long_mode()) {
        c.error(st.pos, CompileState::key(st, "op"),
                "PCIDs exist only in IA-32e mode (4-level and 5-level paging; restrict the step with modes = [...])");
        return;
    }
    if (!c.pcide() && (st.pcid != 0 || !st.flush)) {
        c.error(st.pos, CompileState::key(st, st.pcid != 0 ? "pcid" : "noflush"),
                "needs CR4.PCIDE = 1 (control pcide = true): without it CR3[11:0] holds no PCID and bit 63 is "
                "reserved (#GP)");
        return;
    }
    h.a = st.pcid;
    if (!st.flush) h.flags |= harness::step_flag::no_flush;
    c.tlb.mov_cr3(st.pcid | (st.flush ? 0 : cr3::no_flush), c.pcide());
    c.cr3_low = st.pcid;
}

/// `invpcid`: refused where it raises #GP(0) (a harness flush must flush); else the model applies its type.
void encode_invpcid(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (!c.long_mode()) {
        c.error(st.pos, CompileState::key(st, "op"),
                "the harness runs INVPCID in 4-level and 5-level paging only (restrict the step with modes = [...])");
        return;
    }
    const bool canonical = shape(c.mode).is_address(st.va);
    if (invpcid_faults(st.invpcid_type, st.pcid, canonical, c.pcide())) {
        c.error(st.pos, CompileState::key(st),
                "this INVPCID raises #GP(0) (SDM Vol. 2A: type 0 needs a canonical address; types 0 and 1 name PCID 0 "
                "unless CR4.PCIDE = 1)");
        return;
    }
    h.a = st.invpcid_type;
    h.b = st.pcid;
    h.va = st.va;
    c.tlb.invpcid(static_cast<InvpcidType>(st.invpcid_type), st.pcid, st.va);
}

void encode_reload_cr3(CompileState& c, const StepSpec& st, harness::Step& h) {
    if (st.expect && st.expect->kind == Expectation::Kind::fault) {
        // A MOV to CR3 that raises #GP (a PAE PDPTE with a reserved bit, SDM Vol. 3A §4.4.1) flushes nothing.
        if (c.mode != PagingMode::pae)
            c.error(st.pos, CompileState::key(st, "expect"),
                    "MOV to CR3 raises #GP for a reserved PDPTE bit only in PAE paging (restrict the step with "
                    "modes = [\"pae\"])");
        else if (!c.pdpte_load_may_fault())
            c.error(st.pos, CompileState::key(st, "expect"),
                    "no earlier step can have left a reserved bit (2:1, 8:5, 63:MAXPHYADDR) in a present PDPTE, so "
                    "the PDPTE load completes (SDM Vol. 3A §4.4.1: other bits are ignored, a not-present PDPTE is "
                    "not checked)");
    } else if (st.expect && st.expect->kind == Expectation::Kind::ok) {
        // With `expect = { ok = true }` the step asserts the write completed; else it may have faulted.
        c.tlb.mov_cr3(0, false);
    } else {
        c.mov_cr3();
    }
    h.expect = expectation(c, st);
}

void encode_toggle_pge(CompileState& c, const StepSpec&, harness::Step&) {
    c.toggle_pge();
}

void encode_control_step(CompileState& c, const StepSpec& st, harness::Step& h) {
    h.a = mode_controls(st.control_set, c.mode, true);  // a step's pse is written out: kept in every mode
    h.b = mode_controls(st.control_clear, c.mode, true);
    if (h.a & ctl::nxe) c.nxe = true;
    if (h.b & ctl::nxe) c.nxe = false;
    const std::uint32_t next = (c.controls & ~static_cast<std::uint32_t>(h.b)) | static_cast<std::uint32_t>(h.a);
    const std::uint32_t flipped = next ^ c.controls;
    // A TLB entry holds the protection key only if it was made with CR4.PKE = 1, and XD only with EFER.NXE = 1
    // (SDM Vol. 3A §4.10.2.2); none of these writes, nor one changing CR4.PSE, flushes (§4.10.4.1): every
    // translation cached before may be stale until a flush. Only translations that exist can be cached: the ranges
    // mapped so far, not those mapped later.
    if ((flipped & (ctl::nxe | ctl::pse)) != 0 || (flipped & next & ctl::pke) != 0) c.every_translation_changed();
    // MOV to CR4 changing PGE invalidates everything (§4.10.4.1) — unless, in PAE paging, its PDPTE load raises #GP
    // (§4.4.1), when it changes nothing.
    if ((flipped & ctl::pge) != 0 && !c.pdpte_load_may_fault()) c.tlb.mov_cr4(cr4::pge, 0);
    // Setting CR4.PCIDE raises #GP(0) unless CR3[11:0] = 0 (§4.10.1); clearing it invalidates everything and makes
    // PCID 000H current (§4.10.4.1).
    if ((flipped & next & ctl::pcide) != 0 && c.cr3_low != 0)
        c.error(st.pos, CompileState::key(st, "pcide"),
                "setting CR4.PCIDE while CR3[11:0] is " + std::to_string(c.cr3_low) +
                    " raises #GP(0) (SDM Vol. 3A §4.10.1): load_cr3 with pcid = 0 first");
    if ((flipped & c.controls & ctl::pcide) != 0) c.tlb.mov_cr4(cr4::pcide, 0);
    c.controls = next;
    if (st.pkru) {
        if ((*st.pkru >> 30) != 0)
            c.error(st.pos, CompileState::key(st, "pkru"), "PKRU key 15 (bits 31:30) belongs to the guest: leave it 0");
        h.flags |= harness::step_flag::set_pkru;
        h.c = *st.pkru;
    }
}

}  // namespace pagewalk::host::scenario
