// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: executes a compiled scenario program (harness/program.hpp) — the part that is the same
// in every world. Builds the scenario's page tables only through the walker's Mapper (in free memory above the
// module), predicts every access with translate(), lets the CPU decide, and reports.
//
// Portable: compiled into both worlds, -m64 (4- and 5-level programs) and -m32 (32-bit and PAE programs). What
// differs per world is the Platform, a class with:
//   static constexpr std::uint8_t code_bits;                 32 or 64
//   bool supports(PagingMode) const;                         can this world run the mode at all
//   CpuFeatures cpu() const;                                 CPUID, as the walker wants it
//   std::uint32_t cpuid_features() const;                    harness::feature bits CPUID reports
//   ControlRegisters registers() const;                      CR0, CR3, CR4, EFER, IA32_PAT now
//   arch::Trap enter(const ControlRegisters&);               switch to the scenario's tables and controls
//   arch::Trap write_cr0/cr3/cr4(std::uint64_t);             guarded where the write may fault (PAE: a PDPTE
//                                                            with a reserved bit is #GP at the load, §4.4.1)
//   void write_efer(std::uint64_t); void write_pkru(std::uint32_t);
//   void invlpg(std::uint64_t va);
//   void invpcid(std::uint64_t type, std::uint64_t pcid, std::uint64_t va);  64-bit world only
//   AccessResult access(const AccessRequest&);               the access itself (runner/access_request.hpp)
//   void wait_host();                                        serial handshake (QEMU live check)
//   arch::Trap run_unprivileged(void (*fn)(void*), void* arg);   run fn at CPL 3 over an all-user identity map
//                                                            (or just call it: only speed differs)
//
// Speed: kvm_pvm emulates every ring-0 instruction (~1000x slower than native), so the runner does its table
// building — the scenario root, the guest's own identity map, and every leading table-only step (map, unmap,
// protect, edit, poke, tag before the first access or register change) — in run_unprivileged, before the tables
// go live. Later steps run at CPL 0 with the tables live (a flush must act on the live TLB).
//
// Every write to CR0/CR3/CR4 goes through ControlWrites (control_writes.hpp), which keeps the context in step and
// models the PAE PDPTE registers: predicted, guarded and reported at each load, never read back (SDM §4.4.1).
#pragma once

#include <cstdint>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>

#include "arch/trap.hpp"
#include "report/reporter.hpp"
#include "runner/access_request.hpp"
#include "runner/control_writes.hpp"
#include "runner/controls.hpp"
#include "runner/identity_map.hpp"
#include "runner/judge.hpp"
#include "runner/layout.hpp"
#include "runner/records.hpp"
#include "runner/verdict.hpp"

namespace pagewalk::guest::runner {

template <class Platform>
class ProgramRunner {
public:
    using Frames = BumpAllocator<256>;

    ProgramRunner(Platform& platform, Reporter& reporter, const GuestMemoryMap& memory)
        : p_(platform), r_(reporter), mem_map_(memory) {}

    /// Runs the program; its verdict and counts are outcome() afterwards. Returns the exit status of a boot that
    /// ran only this program (ok: it passed, or it was skipped because the CPU cannot run it).
    harness::ExitStatus run(const std::uint8_t* program, std::uint64_t size) {
        const harness::ProgramCheck check = harness::validate_program(program, static_cast<std::size_t>(size));
        if (!check)
            return stop(harness::StepFailure::bad_program, static_cast<std::uint8_t>(check.error), 0, check.step_index);
        const harness::ProgramHeader& h = harness::program_header(program);
        scenario_ = h.scenario_id;
        cpu_ = p_.cpu();
        // CPUID before any control bit (QEMU 7.2 hangs on a MOV to CR4 with an unsupported bit).
        const std::uint32_t cpuid = p_.cpuid_features();
        const std::uint32_t missing = h.features & ~(cpuid | h.vouched_features);
        if (missing != 0) return stop(harness::StepFailure::feature_missing, 0, 0, missing);
        if ((h.absent_features & cpuid) != 0)
            return stop(harness::StepFailure::cpu_mismatch, 0, 0, h.absent_features & cpuid);
        if (h.maxphyaddr != 0 && h.maxphyaddr != cpu_.maxphyaddr)
            return stop(harness::StepFailure::cpu_mismatch, 1, h.maxphyaddr, cpu_.maxphyaddr);
        mode_ = harness::program_mode(h);
        if (!p_.supports(mode_)) return stop(harness::StepFailure::unsupported_mode, h.mode, 0, 0);
        areas_ = plan_areas(mem_map_, h.table_frames, h.data_frames);
        if (!areas_.fits)
            return stop(harness::StepFailure::memory_too_small, 0, areas_.data_base + areas_.data_bytes,
                        mem_map_.memory_end);
        if (const std::uint64_t pa = firmware_target(harness::program_steps(program), h.step_count); pa != 0)
            return stop(harness::StepFailure::memory_too_small, 1, pa, mem_map_.memory_end);
        cpu_.smep = cpu_.smep || (h.vouched_features & harness::feature::smep) != 0;
        cpu_.smap = cpu_.smap || (h.vouched_features & harness::feature::smap) != 0;
        header_ = &h;
        cw_.begin(scenario_, h.mode);
        steps_ = harness::program_steps(program);
        regs_ = target_registers(p_.registers(), h);
        const arch::Trap t = p_.run_unprivileged(&ProgramRunner::build_thunk, this);
        if (t.taken) fail(nullptr, harness::StepFailure::build_trapped, t.vector, t.rip, t.cr2);
        if (send_pending()) return outcome_.status();
        const bool entered = enter();
        outcome_.judge_step(0, cw_.take_judgement());  // turning PAE paging on loads the PDPTE registers
        if (!entered) return outcome_.status();
        pkru_ = h.pkru;
        if ((h.controls & harness::control::pke) != 0) p_.write_pkru(pkru_);
        send_run_info(h);
        for (std::uint32_t i = first_live_; i < h.step_count; ++i) {
            const bool ok = execute(steps_[i], h, true);
            judge_step(steps_[i]);
            if (send_pending() || !ok) break;
            if (steps_[i].op != static_cast<std::uint16_t>(harness::StepOp::tag)) ++outcome_.steps_executed;
        }
        return outcome_.status();
    }

    /// The guest's verdict on the program and its step counts (valid after run()).
    [[nodiscard]] const ProgramOutcome& outcome() const { return outcome_; }

private:
    static void build_thunk(void* self) { static_cast<ProgramRunner*>(self)->build(); }

    /// The step's judgement: its access or entry record's, and its control-register writes' (OR-ed).
    void judge_step(const harness::Step& s) {
        harness::GuestJudgement j = cw_.take_judgement();
        j.judged |= judgement_.judged;
        j.failed |= judgement_.failed;
        judgement_ = {};
        outcome_.judge_step(s.id, j);
    }
    void add_judgement(const harness::GuestJudgement& j) {
        judgement_.judged |= j.judged;
        judgement_.failed |= j.failed;
    }

    /// Ends the program before it ran: a step failure (skip or error), sent now.
    harness::ExitStatus stop(harness::StepFailure why, std::uint8_t code, std::uint64_t address, std::uint64_t detail) {
        fail(nullptr, why, code, address, detail);
        send_pending();
        return outcome_.status();
    }

    /// Table-only steps: they may run before the tables are live (no flush to make). Not an edit of a PAE PDPTE:
    /// run live, its flush is the CR3 load that may raise #GP as the step's outcome (before, turning paging on
    /// would take that #GP).
    bool table_only(const harness::Step& s) const {
        using harness::StepOp;
        const auto op = static_cast<StepOp>(s.op);
        if (op == StepOp::edit_entry) return !(mode_ == PagingMode::pae && s.level == 3);
        return op == StepOp::map || op == StepOp::unmap || op == StepOp::protect || op == StepOp::poke ||
               op == StepOp::tag || op == StepOp::recursive;
    }

    /// Builds the scenario's root, the guest's own identity map and the leading table-only steps with the mapper.
    /// Runs unprivileged where the platform can: no privileged instruction, no record (failures wait in pending_).
    void build() {
        frames_ = Frames(areas_.tables_base, areas_.table_bytes);
        ControlRegisters regs = regs_;
        const std::uint64_t root =
            Mapper<IdentityMemory, Frames>::create_root(Context::from_registers(regs, cpu_), memory_, frames_);
        regs.cr3 = root;
        ctx_ = Context::from_registers(regs, cpu_);
        if (root == 0 || !ctx_) {
            fail(nullptr, harness::StepFailure::context_error, static_cast<std::uint8_t>(ctx_.error()), root, 0);
            return;
        }
        const IdentityMapped id = map_guest_identity(ctx_, memory_, frames_, mem_map_, areas_, identity_end());
        if (!id.result) {
            fail(nullptr, harness::StepFailure::mapper_error, static_cast<std::uint8_t>(id.result.error),
                 id.result.error_va, id.range_start);
            return;
        }
        for (first_live_ = 0; first_live_ < header_->step_count && table_only(steps_[first_live_]); ++first_live_) {
            if (!execute(steps_[first_live_], *header_, false)) return;
            if (steps_[first_live_].op != static_cast<std::uint16_t>(harness::StepOp::tag)) ++outcome_.steps_executed;
        }
    }

    /// Turns the tables and controls on (ControlWrites::enter); a trap there stops the program.
    bool enter() {
        const arch::Trap t = cw_.enter();
        if (!t.taken) return true;
        fail(nullptr, harness::StepFailure::build_trapped, t.vector, t.rip, t.cr2);
        send_pending();
        return false;
    }

    /// `ok`, or a pending failure for step `s`: the context could not follow a control-register write.
    bool followed(const harness::Step* s, bool ok) {
        if (!ok) fail(s, harness::StepFailure::context_error, static_cast<std::uint8_t>(cw_.error()), 0, 0);
        return ok;
    }

    void send_run_info(const harness::ProgramHeader& h) {
        harness::RunInfoRecord rec = make_run_info(scenario_, h, Platform::code_bits, areas_, mem_map_.memory_end,
                                                   p_.registers(), pkru_, p_.cpuid_features());
        r_.send(rec.header);
    }

    /// A step failure, sent later (build() may run unprivileged, where no record can be sent).
    void fail(const harness::Step* s, harness::StepFailure why, std::uint8_t code, std::uint64_t address,
              std::uint64_t detail) {
        if (pending_.set) return;  // the first failure counts
        pending_ = {true, s, why, code, address, detail};
    }
    /// Sends the pending failure, if any (it ends the program: a skip or an error); true when there was one.
    bool send_pending() {
        if (!pending_.set) return false;
        send_step_failed(r_, scenario_, pending_.step, pending_.why, pending_.code, pending_.address, pending_.detail);
        outcome_.stop(pending_.why, pending_.code, pending_.step != nullptr ? pending_.step->id : 0, pending_.address,
                      pending_.detail);
        return true;
    }

    /// The first physical address a poke step (not data-relative) would write in memory the memory map gives to the
    /// firmware — never written: the program does not run; 0 when there is none. (A map step only makes memory
    /// reachable; access_step guards what an access touches.)
    std::uint64_t firmware_target(const harness::Step* steps, std::uint32_t count) const {
        for (std::uint32_t i = 0; i < count; ++i) {
            const harness::Step& s = steps[i];
            if ((s.flags & harness::step_flag::pa_data) != 0 ||
                s.op != static_cast<std::uint16_t>(harness::StepOp::poke))
                continue;
            const std::uint64_t hit = firmware_conflict(mem_map_, s.pa, s.pa + 8);
            if (hit < s.pa + 8) return hit;
        }
        return 0;
    }

    /// Where the guest's identity map above its image ends: past its page tables, its data area and every 8 bytes
    /// an absolute poke writes, on a 2 MiB boundary, at most the end of RAM. Not all of RAM: in 32-bit paging
    /// without PSE (4 KiB pages only) 1 GiB would take 256 page tables, more than a program's table frames — and a
    /// physical machine has that much.
    std::uint64_t identity_end() const {
        std::uint64_t e = areas_.data_base + areas_.data_bytes;
        for (std::uint32_t i = 0; i < header_->step_count; ++i) {
            const harness::Step& s = steps_[i];
            if (s.op == static_cast<std::uint16_t>(harness::StepOp::poke) &&
                (s.flags & harness::step_flag::pa_data) == 0 && s.pa + 8 > e)
                e = s.pa + 8;
        }
        e = align_up(e, 2ull << 20);
        const std::uint64_t ram_end = (mem_map_.memory_end != 0 ? mem_map_.memory_end : kDefaultMemoryEnd) & ~0xfffull;
        return e < ram_end ? e : ram_end;
    }

    std::uint64_t resolve_pa(const harness::Step& s) const {
        return (s.flags & harness::step_flag::pa_data) != 0 ? areas_.data_base + s.pa : s.pa;
    }

    bool mapper_step(const harness::Step& s, bool live) {
        Mapper<IdentityMemory, Frames> m{ctx_, memory_, frames_};
        const MapRights rights{(s.rights & harness::step_rights::writable) != 0,
                               (s.rights & harness::step_rights::user) != 0,
                               (s.rights & harness::step_rights::executable) != 0};
        MapResult res;
        switch (static_cast<harness::StepOp>(s.op)) {
            case harness::StepOp::map: {
                MapOptions o{};
                o.sizes = s.sizes;
                o.global = (s.flags & harness::step_flag::global) != 0;
                o.pat_index = s.pat;
                o.pkey = s.pkey;
                o.replace = (s.flags & harness::step_flag::replace) != 0;
                res = m.map(s.va, resolve_pa(s), s.a, rights, o);
                break;
            }
            case harness::StepOp::unmap:
                res = m.unmap(s.va, s.a);
                break;
            default:
                res = m.protect(s.va, s.a, rights);
                break;
        }
        if (!res) {
            fail(&s, harness::StepFailure::mapper_error, static_cast<std::uint8_t>(res.error), res.error_va, 0);
            return false;
        }
        if (live && (s.flags & harness::step_flag::no_flush) == 0) return followed(&s, cw_.apply_flush(s, res.flush));
        return true;
    }

    bool edit_step(const harness::Step& s, bool live) {
        Mapper<IdentityMemory, Frames> m{ctx_, memory_, frames_};
        const Fallible<EntryLocation> loc = m.locate(s.va, s.level);
        std::uint64_t e = 0;
        if (!loc || !memory_.read_entry(*loc, e)) {
            fail(&s, harness::StepFailure::entry_not_found, s.level, s.va, 0);
            return false;
        }
        e = (e & ~s.b) | s.a;
        if ((s.flags & harness::step_flag::maxphyaddr_bit) != 0) {
            if (cpu_.maxphyaddr >= 52) {  // no reserved address bit to set
                fail(&s, harness::StepFailure::feature_missing, 0, s.va, 0);
                return false;
            }
            e |= std::uint64_t{1} << cpu_.maxphyaddr;
        }
        memory_.write_entry(*loc, e);
        if (live && (s.flags & harness::step_flag::no_flush) == 0) {
            if (ctx_.mode() == PagingMode::pae && s.level == 3)
                return followed(&s, cw_.reload_cr3(s, false));  // the PDPTE registers, §4.4.1
            p_.invlpg(s.va);
        }
        return true;
    }

    /// Entry `a` of the scenario's top-level table points to the table itself (the walker's install_recursive_slot:
    /// P, R/W, supervisor). The top-level entry changed: a CR3 reload flushes what was cached through it (SDM Vol. 3A
    /// §4.10.4.1).
    bool recursive_step(const harness::Step& s, bool live) {
        if (!install_recursive_slot(ctx_, memory_, static_cast<unsigned>(s.a))) {
            fail(&s, harness::StepFailure::entry_not_found, static_cast<std::uint8_t>(ctx_.shape().levels), s.va, s.a);
            return false;
        }
        if (live && (s.flags & harness::step_flag::no_flush) == 0) return followed(&s, cw_.reload_cr3(s, false));
        return true;
    }

    /// The raw entry of `level` that maps `va` in the scenario's tables (identity-mapped), for table_entry
    /// expectations.
    bool entry_value(unsigned level, std::uint64_t va, std::uint64_t& out) {
        Mapper<IdentityMemory, Frames> m{ctx_, memory_, frames_};
        const Fallible<EntryLocation> loc = m.locate(va, level);
        return loc && memory_.read_entry(*loc, out);
    }

    void read_entry_step(const harness::Step& s) {
        Mapper<IdentityMemory, Frames> m{ctx_, memory_, frames_};
        const Fallible<EntryLocation> loc = m.locate(s.va, s.level);
        std::uint64_t e = 0;
        const bool found = loc && memory_.read_entry(*loc, e);
        harness::EntryRecord rec = make_entry(scenario_, s, found, found ? loc->pa() : 0, e);
        rec.guest = judge_entry(rec, s.expect);
        add_judgement(rec.guest);
        r_.send(rec.header);
    }

    /// The 8 bytes data frame `frame` holds at page offset `offset` now, at any alignment (the data area is
    /// identity-mapped).
    std::uint64_t data_value(std::uint32_t frame, std::uint32_t offset) const {
        const std::uint64_t pa = areas_.data_base + (std::uint64_t{frame} << 12) + offset;
        const auto* p = reinterpret_cast<const volatile std::uint8_t*>(static_cast<std::uintptr_t>(pa));
        std::uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
        return v;
    }

    /// EFER, then CR4, then CR0 (a CR4 write changing PGE/PSE/SMEP loads the PAE PDPTE registers, §4.4.1).
    bool control_step(const harness::Step& s) {
        ControlRegisters regs = ctx_.registers();
        apply_controls(regs, s.a, s.b);
        const Context target = Context::from_registers(regs, cpu_);
        if (!target) {
            fail(&s, harness::StepFailure::context_error, static_cast<std::uint8_t>(target.error()), 0, 0);
            return false;
        }
        ControlRegisters r = ctx_.registers();
        r.efer = regs.efer;
        p_.write_efer(r.efer);
        if (!followed(&s, cw_.adopt(r, nullptr))) return false;
        r.cr4 = regs.cr4;
        if (!followed(&s, cw_.write(&s, pagewalk::ControlRegister::cr4, r, false))) return false;
        r = ctx_.registers();
        r.cr0 = regs.cr0;
        if (!followed(&s, cw_.write(&s, pagewalk::ControlRegister::cr0, r, false))) return false;
        if ((s.flags & harness::step_flag::set_pkru) != 0) {
            if (!ctx_.pke()) {  // WRPKRU needs CR4.PKE (else #UD)
                fail(&s, harness::StepFailure::context_error, 0, 0, s.c);
                return false;
            }
            pkru_ = s.c;
            p_.write_pkru(pkru_);
        }
        return true;
    }

    /// An access the walker predicts to land in firmware memory (UEFI: reserved regions below 1 GiB) is not made.
    bool reaches_firmware(const harness::Step& s, const TranslateResult& predicted, unsigned bytes) {
        const std::optional<Mapping> m = predicted.mapping();
        if (!m.has_value()) return false;
        const std::uint64_t hit = firmware_conflict(mem_map_, m->pa, m->pa + bytes);
        if (hit >= m->pa + bytes) return false;
        fail(&s, harness::StepFailure::memory_too_small, 1, hit, 0);
        return true;
    }

    /// One access. An access whose bytes span two 4 KiB pages is predicted with a walk of each (SDM Vol. 3A §4.7:
    /// each page is translated; a #PF names the page that faulted), and both walks go into the record.
    void access_step(const harness::Step& s, const harness::ProgramHeader& h) {
        const Access access = to_access(s, ctx_.pke() ? pkru_ : 0);
        const unsigned width = s.width != 0 ? s.width : 8;
        const unsigned first = harness::first_page_bytes(s.va, width);
        const bool crosses = first < width;
        const TranslateResult predicted = translate(ctx_, memory_, s.va, access);
        const TranslateResult second = crosses ? translate(ctx_, memory_, s.va + first, access) : predicted;
        if (reaches_firmware(s, predicted, first) || (crosses && reaches_firmware(s, second, width - first))) return;
        harness::AnnounceRecord ann = make_announce(scenario_, s, h.mode, pkru_, p_.registers(), predicted);
        r_.send(ann.header);
        if ((h.flags & harness::program_flag::serial_handshake) != 0 &&
            r_.transport() == harness::TransportKind::serial)
            p_.wait_host();

        const AccessResult got = p_.access(request_of(s, s.a));

        harness::AccessRecord rec = make_access(scenario_, s, got.trap, got.value, ann.prediction);
        add_chain(rec, predicted.chain(), memory_, ctx_.shape().entry_bytes);
        if (crosses) add_second_page(rec, second, memory_, ctx_.shape().entry_bytes);
        rec.guest = judge_access(
            rec, s.expect, mode_, [this](std::uint32_t f, std::uint32_t off) { return data_value(f, off); },
            [this](unsigned level, std::uint64_t va, std::uint64_t& out) { return entry_value(level, va, out); });
        add_judgement(rec.guest);
        r_.send(rec.header);
    }

    /// Runs one step; false when the program cannot go on. `live`: the tables are loaded (else only table-only
    /// steps come here, unprivileged).
    bool execute(const harness::Step& s, const harness::ProgramHeader& h, bool live) {
        using harness::StepOp;
        switch (static_cast<StepOp>(s.op)) {
            case StepOp::map:
            case StepOp::unmap:
            case StepOp::protect:
                return mapper_step(s, live);
            case StepOp::edit_entry:
                return edit_step(s, live);
            case StepOp::access:
                access_step(s, h);
                return true;
            case StepOp::invlpg:
                p_.invlpg(s.va);
                return true;
            case StepOp::load_cr3:
                return followed(&s, cw_.load_cr3(s));
            case StepOp::invpcid:
                // PCIDs exist in IA-32e mode only: the 32-bit world never gets these steps (validate_program).
                if constexpr (Platform::code_bits == 64) p_.invpcid(s.a, s.b, s.va);
                return true;
            case StepOp::reload_cr3:
                return followed(&s, cw_.reload_cr3(s, true));
            case StepOp::toggle_pge:
                return followed(&s, cw_.toggle_pge(s));
            case StepOp::read_entry:
                read_entry_step(s);
                return true;
            case StepOp::set_control:
                return control_step(s);
            case StepOp::recursive:
                return recursive_step(s, live);
            case StepOp::poke:
                *reinterpret_cast<volatile std::uint64_t*>(static_cast<std::uintptr_t>(resolve_pa(s))) = s.a;
                return true;
            case StepOp::tag:
                for (std::uint64_t f = 0; f < s.a; ++f) {
                    const std::uint64_t off = s.pa + (f << 12);
                    auto* q =
                        reinterpret_cast<volatile std::uint64_t*>(static_cast<std::uintptr_t>(areas_.data_base + off));
                    for (std::uint32_t o = 0; o < harness::kTaggedBytes; o += 8) q[o >> 3] = harness::data_tag(off + o);
                }
                return true;
        }
        return false;
    }

    Platform& p_;
    Reporter& r_;
    GuestMemoryMap mem_map_;
    ProgramAreas areas_{};
    CpuFeatures cpu_{};
    IdentityMemory memory_{};
    Frames frames_{0, 0};
    Context ctx_{};
    ControlWrites<Platform> cw_{p_, r_, memory_, ctx_, cpu_};
    std::uint32_t scenario_ = 0;
    PagingMode mode_ = PagingMode::long4;  ///< the program's (validated)
    std::uint32_t pkru_ = 0;
    ProgramOutcome outcome_{};
    harness::GuestJudgement judgement_{};  ///< the current step's access / entry record judgement
    const harness::ProgramHeader* header_ = nullptr;
    const harness::Step* steps_ = nullptr;
    ControlRegisters regs_{};       ///< the registers the program starts with (CR3 set by build())
    std::uint32_t first_live_ = 0;  ///< the first step that runs with the tables live
    struct Pending {
        bool set = false;
        const harness::Step* step = nullptr;
        harness::StepFailure why{};
        std::uint8_t code = 0;
        std::uint64_t address = 0, detail = 0;
    } pending_;
};

}  // namespace pagewalk::guest::runner
