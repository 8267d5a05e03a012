// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: every write a program makes to CR0, CR3 and CR4, and the walker's Context that follows
// them. Portable (-m32 and -m64).
//
// Each write goes through the platform (guarded where it may fault). A write that loads the PAE PDPTE registers
// (SDM Vol. 3A §4.4.1: MOV to CR3 in PAE paging; MOV to CR0/CR4 after which PAE paging is in use that changes
// CR0.CD/NW/PG or CR4.PAE/PGE/PSE/SMEP; the CR0.PG that turns paging on) is predicted from the PDPT as it is just
// before the write (a present PDPTE with a reserved bit: #GP(0), and nothing changes) and reported in a
// control_write record, as is every reload_cr3 step. An exception there is the step's outcome, not a failure. The
// context then follows the CPU: its registers as they now are, and the PDPT values as PDPTE registers when the write
// completed — so a CPU that disagrees about one load (QEMU) is reported at that load, and the accesses after it are
// predicted from the state the CPU is really in.
#pragma once

#include <cstdint>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>

#include "arch/trap.hpp"
#include "report/reporter.hpp"
#include "runner/judge.hpp"
#include "runner/pdpte_load.hpp"
#include "runner/records.hpp"

namespace pagewalk::guest::runner {

/// The runner's control-register writes. `ctx` is the runner's context, kept in step with the registers.
template <class Platform>
class ControlWrites {
public:
    ControlWrites(Platform& platform, Reporter& reporter, IdentityMemory& memory, Context& ctx, const CpuFeatures& cpu)
        : p_(platform), r_(reporter), memory_(memory), ctx_(ctx), cpu_(cpu) {}

    /// Names the program in the records (once it is validated).
    void begin(std::uint32_t scenario, std::uint8_t mode) {
        scenario_ = scenario;
        mode_ = mode;
    }
    /// The guest's judgement of the writes reported since the last call (prediction; a reload_cr3 step's
    /// expectation), OR-ed, and clears it: the runner adds it to the step that made the writes.
    harness::GuestJudgement take_judgement() {
        const harness::GuestJudgement j = judgement_;
        judgement_ = {};
        return j;
    }
    /// Why the context could not follow the last write that returned false.
    [[nodiscard]] ContextError error() const { return error_; }

    /// Turns the context's tables and controls on (the platform's enter). In PAE paging that write loads the PDPTE
    /// registers: predicted, guarded and reported like every later load (as step 0).
    arch::Trap enter() {
        const ControlRegisters target = ctx_.registers();
        const bool pae = ctx_.mode() == PagingMode::pae;
        PdptSnapshot pdpt;
        PdptePrediction predicted;
        if (pae) {
            pdpt = PdptSnapshot::read(memory_, target.cr3);
            predicted = predict_pdpte_load(ctx_, pdpt);
        }
        const arch::Trap t = p_.enter(target);
        if (pae) {
            report(nullptr, pagewalk::ControlRegister::cr0, target, &pdpt, predicted, t);
            if (!t.taken) ctx_.set_pdptes(pdpt.entries);
        }
        return t;
    }

    /// Rebuilds the context for registers `r` (as the CPU now has them) with the PDPTE registers `pdptes` (PAE;
    /// nullptr: keep the current ones). False when the walker rejects the register set (error()).
    bool adopt(const ControlRegisters& r, const std::uint64_t* pdptes) {
        Context next = Context::from_registers(r, cpu_);
        if (!next) {
            error_ = next.error();
            return false;
        }
        if (next.mode() == PagingMode::pae && (pdptes != nullptr || ctx_.pdptes_loaded())) {
            std::uint64_t v[4];
            for (unsigned i = 0; i < 4; ++i) v[i] = pdptes != nullptr ? pdptes[i] : ctx_.pdpte(i);
            next.set_pdptes(v);
        }
        ctx_ = next;
        return true;
    }

    /// Writes `reg` so that the registers become `next` (only `reg` differs from now), for step `s`; `report`: send
    /// a control_write record even when the write loads no PDPTEs (reload_cr3 steps). False only when the context
    /// cannot follow (error()).
    bool write(const harness::Step* s, pagewalk::ControlRegister reg, const ControlRegisters& next, bool report_it) {
        const ControlRegisters before = ctx_.registers();
        const bool pdpte = loads_pdptes(reg, before, next);
        PdptSnapshot pdpt;
        PdptePrediction predicted;
        if (pdpte) {
            pdpt = PdptSnapshot::read(memory_, next.cr3);
            predicted = predict_pdpte_load(Context::from_registers(next, cpu_), pdpt);
        }
        const arch::Trap t = platform_write(reg, value_of(reg, next));
        if (pdpte || report_it) report(s, reg, next, pdpte ? &pdpt : nullptr, predicted, t);
        return adopt(t.taken ? before : next, pdpte && !t.taken ? pdpt.entries : nullptr);
    }

    /// MOV to CR3 with the program's root, the step's PCID (CR3[11:0]) and, with no_flush, bit 63 — which is not
    /// stored in CR3 (SDM Vol. 3A §4.10.4.1). 4-level and 5-level paging only: no PDPTE load.
    bool load_cr3(const harness::Step& s) {
        const ControlRegisters before = ctx_.registers();
        ControlRegisters next = before;
        next.cr3 = (before.cr3 & ~cr3::pcid) | (s.a & cr3::pcid);
        const bool no_flush = (s.flags & harness::step_flag::no_flush) != 0;
        const arch::Trap t = p_.write_cr3(next.cr3 | (no_flush ? cr3::no_flush : 0));
        return adopt(t.taken ? before : next, nullptr);
    }
    /// MOV CR3, CR3 — in PAE paging also a PDPTE load, which may raise #GP.
    bool reload_cr3(const harness::Step& s, bool report_it) {
        return write(&s, pagewalk::ControlRegister::cr3, ctx_.registers(), report_it);
    }
    /// CR4.PGE off and on: two MOVs to CR4, each a PDPTE load in PAE paging. When the first raises #GP, CR4 keeps
    /// its value and the second writes it unchanged (no load).
    bool toggle_pge(const harness::Step& s) {
        const std::uint64_t original = ctx_.registers().cr4;
        ControlRegisters r = ctx_.registers();
        r.cr4 = original ^ cr4::pge;
        if (!write(&s, pagewalk::ControlRegister::cr4, r, false)) return false;
        r = ctx_.registers();
        r.cr4 = original;
        return write(&s, pagewalk::ControlRegister::cr4, r, false);
    }
    /// Applies what the mapper says must be flushed (SDM Vol. 3A §4.10.4): INVLPG per page, a CR3 reload, or a
    /// CR4.PGE toggle when global translations must go too.
    bool apply_flush(const harness::Step& s, const Flush& f) {
        bool ok = true;
        f.apply([&](std::uint64_t va) { p_.invlpg(va); },
                [&](bool global) { ok = (global && ctx_.pge() ? toggle_pge(s) : reload_cr3(s, false)) && ok; },
                [&] { ok = reload_cr3(s, false) && ok; });
        return ok;
    }

private:
    static std::uint64_t value_of(pagewalk::ControlRegister reg, const ControlRegisters& r) {
        return reg == pagewalk::ControlRegister::cr0 ? r.cr0 : reg == pagewalk::ControlRegister::cr3 ? r.cr3 : r.cr4;
    }

    arch::Trap platform_write(pagewalk::ControlRegister reg, std::uint64_t value) {
        switch (reg) {
            case pagewalk::ControlRegister::cr0:
                return p_.write_cr0(value);
            case pagewalk::ControlRegister::cr3:
                return p_.write_cr3(value);
            case pagewalk::ControlRegister::cr4:
                return p_.write_cr4(value);
        }
        return {};
    }

    void report(const harness::Step* s, pagewalk::ControlRegister reg, const ControlRegisters& next,
                const PdptSnapshot* pdpt, const PdptePrediction& predicted, const arch::Trap& t) {
        harness::ControlWriteRecord rec =
            make_control_write(scenario_, s, reg, mode_, value_of(reg, next), next.cr3, pdpt, predicted, t);
        // A reload_cr3 step's own MOV to CR3 has the step's expectation; every other write only its prediction.
        const bool reload_step = s != nullptr && s->op == static_cast<std::uint16_t>(harness::StepOp::reload_cr3) &&
                                 reg == pagewalk::ControlRegister::cr3;
        rec.guest = judge_control_write(rec, reload_step ? &s->expect : nullptr);
        judgement_.judged |= rec.guest.judged;
        judgement_.failed |= rec.guest.failed;
        r_.send(rec.header);
    }

    Platform& p_;
    Reporter& r_;
    IdentityMemory& memory_;
    Context& ctx_;
    const CpuFeatures& cpu_;
    std::uint32_t scenario_ = 0;
    std::uint8_t mode_ = 0;
    harness::GuestJudgement judgement_{};
    ContextError error_ = ContextError::none;
};

}  // namespace pagewalk::guest::runner
