// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, access matrix: runs a matrix job (harness/matrix/job.hpp) — every legal combination of the indices
// it selects — and judges each one itself, as the scenario runner judges its accesses; it reports per block the counts
// per outcome class and a digest, and every mismatch and sampled agreement in full (harness/matrix_records.hpp).
//
// Per block (one control state): EFER, CR4, CR0 and PKRU once. Per batch (batch_layout.hpp): the combinations' entries
// and the walker's predictions are made "offline", then one MOV to CR3 flushes and the accesses run back to back,
// then the outcomes are judged offline. Offline is CPL 3 over the boot identity map in 4-level paging (where kvm_pvm
// runs guest code natively and emulates ring 0, ~1000x slower), else a plain call. Portable: the Platform is the
// scenario runner's (runner/runner_core.hpp).
#pragma once

#include <cstdint>
#include <pagewalk/harness/crc32.hpp>
#include <pagewalk/harness/matrix/access_table.hpp>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/matrix_records.hpp>
#include <pagewalk/pagewalk.hpp>

#include "arch/cpu.hpp"
#include "arch/crc32c.hpp"
#include "arch/descriptors.hpp"
#include "matrix/batch_layout.hpp"
#include "matrix/case_judge.hpp"
#include "matrix/fast_access.hpp"
#include "report/reporter.hpp"
#include "runner/access_request.hpp"
#include "runner/controls.hpp"
#include "runner/identity_map.hpp"
#include "runner/layout.hpp"
#include "runner/records.hpp"

extern "C" {
// calibrate64.S (64-bit world only)
void pw_cal_hits(std::uint64_t va, std::uint64_t n);
void pw_cal_faults(std::uint64_t va, std::uint64_t n);
void pw_cal_invlpg(std::uint64_t pte_pa, std::uint64_t pte, std::uint64_t va, std::uint64_t n);
void pw_cal_pf_handler();
}

namespace pagewalk::guest::matrix {

/// One combination of a batch: what the offline phases and the access phase hand each other.
struct Slot {
    std::uint64_t index = 0;
    hm::Layout layout{};
    runner::AccessRequest request{};
    harness::AccessRecord record{};
    std::uint64_t tag = 0, memory_after = 0;
    std::uint8_t leaf_level = 0, cls = 0, mismatch = 0;
    bool sample = false;
    bool send = false;      ///< a sampled agreement, or one of the first examples of its mismatch class
    arch::Trap cr3_trap{};  ///< PAE: the MOV to CR3 that loads this combination's PDPTE
};

/// What a matrix job's run counts: a block's, and the totals.
struct Tally {
    std::uint32_t run = 0, agreed = 0, mismatched = 0, illegal = 0, inapplicable = 0, elsewhere = 0;
    std::uint32_t by_class[hm::kOutcomeClasses] = {};
    std::uint32_t accessed_on_fault = 0, clean_on_fault = 0;
};

template <class Platform>
class MatrixRunner {
public:
    MatrixRunner(Platform& p, Reporter& r, const runner::GuestMemoryMap& map) : p_(p), r_(r), map_(map) {}

    /// Runs the job at `module`; returns whether it ran without a mismatch (a skipped job counts as passed).
    bool run(const std::uint8_t* module, std::uint64_t size) {
        const auto& job = *reinterpret_cast<const hm::Job*>(module);
        const hm::JobError error = hm::validate(job, static_cast<std::size_t>(size));
        if (error != hm::JobError::ok) return end(harness::MatrixStatus::bad_job, static_cast<std::uint32_t>(error));
        job_ = job;
        mode_ = static_cast<PagingMode>(job.mode);
        shape_ = shape(mode_);
        if (!p_.supports(mode_)) return end(harness::MatrixStatus::unsupported_mode, job.mode);
        cpu_ = p_.cpu();
        if (!prepare()) return end(harness::MatrixStatus::memory_too_small, 0);
        send_begin();
        if ((job.flags & hm::job_flag::calibrate) != 0) {
            if constexpr (Platform::code_bits == 64) {
                calibrate();
                return end(harness::MatrixStatus::ok, 0);
            }
            return end(harness::MatrixStatus::unsupported_mode, job.mode);
        }
        const hm::Matrix m(mode_, static_cast<hm::Space>(job.space));
        matrix_ = &m;
        const std::uint64_t block = m.block().size;
        for (std::uint64_t first = first_selected(job.begin); first < job.end;) {
            const std::uint64_t state = hm::divmod(first, block).quotient;
            const std::uint64_t block_end = (state + 1) * block < job.end ? (state + 1) * block : job.end;
            if (!run_block(state, first, block_end)) return end(harness::MatrixStatus::trapped, trap_vector_);
            first = first_selected(block_end);
        }
        return end(harness::MatrixStatus::ok, 0);
    }

private:
    void send_calibration(harness::CalibrationPhase phase, std::uint32_t iterations) {
        harness::MatrixCalibrationRecord c{};
        c.header = harness::make_header(harness::RecordType::matrix_calibration, sizeof c);
        c.phase = static_cast<std::uint32_t>(phase);
        c.iterations = iterations;
        r_.send(c.header);
    }

    /// The backend's bare rates (calibrate64.S): reads that hit, reads that page-fault into a bare handler, PTE writes
    /// with INVLPG — each between two records the host times.
    void calibrate() {
        hm::Combination c{};
        c.mode = mode_;
        c.leaf_level = 1;
        const std::uint64_t grant = entry_bit::present | entry_bit::writable;
        for (unsigned l = 1; l <= shape(mode_).levels; ++l) c.flags[l] = grant;
        const hm::Layout mapped = layout_.layout(0, 1), missing = layout_.layout(1, 1);
        const Context ctx = Context::from_registers(block_registers(hm::Controls{}, layout_.identity_root()), cpu_);
        const hm::WalkerInputs ok = hm::walker_inputs(c, ctx, cpu_, mapped);
        write_entries(c, ok);
        c.flags[1] = 0;
        write_entries(c, hm::walker_inputs(c, ctx, cpu_, missing));
        p_.write_cr3(layout_.identity_root());
        const std::uint32_t n = job_.calibrate_iterations != 0 ? job_.calibrate_iterations : 10000;
        send_calibration(harness::CalibrationPhase::start, 0);
        // Hits are a hundred times faster than the rest: as many would end within the host's timing resolution.
        pw_cal_hits(mapped.va, 100ull * n);
        send_calibration(harness::CalibrationPhase::hits_done, 100 * n);
        const std::uint64_t old =
            arch::swap_idt_handler(vector::page_fault, reinterpret_cast<std::uintptr_t>(pw_cal_pf_handler));
        pw_cal_faults(missing.va, n);
        arch::swap_idt_handler(vector::page_fault, old);
        send_calibration(harness::CalibrationPhase::faults_done, n);
        pw_cal_invlpg(ok.entry_pa[1], ok.entry[1], mapped.va, n);
        send_calibration(harness::CalibrationPhase::invlpg_done, n);
    }

    /// The first selected index at or above `i`.
    std::uint64_t first_selected(std::uint64_t i) const {
        const std::uint64_t start = job_.begin + job_.phase;
        if (i <= start) return start;
        const hm::DivMod d = hm::divmod(i - start + job_.stride - 1, job_.stride);
        return start + d.quotient * job_.stride;
    }

    /// The guest's own identity map under a fresh root, the slot frames and the data page.
    bool prepare() {
        const std::uint64_t slot_frames = BatchLayout::frames_needed(mode_);
        const std::uint64_t slot_bytes = (sizeof(Slot) + sizeof(FastAccess)) * kMaxBatch;
        areas_ = runner::plan_areas(map_, static_cast<std::uint32_t>(kIdentityFrames + slot_frames),
                                    static_cast<std::uint32_t>(1 + (slot_bytes + 4095) / 4096));
        if (!areas_.fits) return false;
        ControlRegisters regs = runner::mode_registers(p_.registers(), mode_);
        frames_ = Frames(areas_.tables_base, kIdentityFrames * 4096);
        const std::uint64_t root =
            Mapper<IdentityMemory, Frames>::create_root(Context::from_registers(regs, cpu_), memory_, frames_);
        regs.cr3 = root;
        const Context ctx = Context::from_registers(regs, cpu_);
        if (root == 0 || !ctx) return false;
        const std::uint64_t ram_end = (map_.memory_end != 0 ? map_.memory_end : runner::kDefaultMemoryEnd) & ~0xfffull;
        std::uint64_t id_end = runner::align_up(areas_.data_base + areas_.data_bytes, 2ull << 20);
        if (id_end > ram_end) id_end = ram_end;
        if (!runner::map_guest_identity(ctx, memory_, frames_, map_, areas_, id_end).result) return false;
        struct {
            std::uint64_t root, end;
        } const id = {root, id_end};
        base_regs_ = regs;
        current_cr4_ = regs.cr4;
        const ModeShape s = shape(mode_);
        const unsigned first_slot = static_cast<unsigned>((id.end - 1) >> s.at(s.levels).shift) + 1;
        layout_ =
            BatchLayout(mode_, id.root, first_slot, areas_.tables_base + kIdentityFrames * 4096, areas_.data_base);
        slots_ = reinterpret_cast<Slot*>(static_cast<std::uintptr_t>(areas_.data_base + 4096));
        fast_ = reinterpret_cast<FastAccess*>(slots_ + kMaxBatch);
        if (mode_ == PagingMode::pae) {
            // Every slot's PDPT maps the guest through PDPTE 0, as the identity root does.
            memory_.read_entry(EntryLocation{id.root, 0, 0, 3, 8}, pdpte0_);
            const hm::Layout l = layout_.layout(0, 1);
            reset_pdpt(l.table_pa[3]);  // the guest runs on the identity root; a batch loads the slot's PDPT
        }
        const arch::Trap t = p_.enter(regs);
        return !t.taken;
    }

    /// PAE: a PDPT holding only the guest's identity PDPTE 0, as made — written again before each use, because a CPU
    /// may write its PDPT (QEMU 7.2 sets bit 5 of a PDPTE it walked through, known deviation qemu-pae-pdpte-accessed),
    /// and a later PDPTE load must not see that.
    void reset_pdpt(std::uint64_t pdpt) {
        for (unsigned i = 0; i < 4; ++i)
            memory_.write_entry(EntryLocation{pdpt, 0, static_cast<std::uint16_t>(i), 3, 8}, i == 0 ? pdpte0_ : 0);
    }

    /// The registers of control state `c` on the guest's own base.
    ControlRegisters block_registers(const hm::Controls& c, std::uint64_t root) const {
        hm::Combination comb{};
        comb.mode = mode_;
        comb.controls = c;
        const ControlRegisters want = hm::control_registers(comb, root);
        ControlRegisters r = base_regs_;
        r.cr3 = root;
        constexpr std::uint64_t cr4_bits = cr4::pse | cr4::smep | cr4::smap | cr4::pke;
        r.cr4 = (r.cr4 & ~cr4_bits) | (want.cr4 & cr4_bits);
        r.cr0 = (r.cr0 & ~std::uint64_t{cr0::wp}) | (want.cr0 & cr0::wp);
        r.efer = (r.efer & ~std::uint64_t{efer::nxe}) | (want.efer & efer::nxe);
        return r;
    }

    /// EFER, CR4, CR0 and PKRU of a block. PAE: from the identity root, whose PDPTEs are valid — a CR4 write that
    /// changes PSE or SMEP loads the PDPTE registers (SDM Vol. 3A §4.4.1), and the slot's PDPT may hold a reserved bit.
    bool write_controls(const ControlRegisters& r, std::uint32_t pkru) {
        if (mode_ == PagingMode::pae) {
            reset_pdpt(layout_.identity_root());
            p_.write_cr3(layout_.identity_root());
        }
        p_.write_efer(r.efer);
        arch::Trap t = p_.write_cr4(r.cr4);
        current_cr4_ = r.cr4;
        if (!t.taken) t = p_.write_cr0(r.cr0);
        if (t.taken) {
            trap_vector_ = t.vector;
            return false;
        }
        if ((r.cr4 & cr4::pke) != 0) p_.write_pkru(pkru);
        return true;
    }

    bool run_block(std::uint64_t state, std::uint64_t first, std::uint64_t block_end) {
        const std::uint64_t block_start = arch::rdtsc();
        access_cycles_ = 0;
        tally_ = Tally{};
        digest_state_ = 0xffff'ffffu;
        block_first_ = first;
        block_last_ = first;
        controls_ = matrix_->controls(state);
        block_base_ = state * matrix_->block().size;
        access_table_ = hm::AccessTable(*matrix_, controls_);
        cursor_ = hm::BlockCursor(*matrix_, controls_, access_table_, first - block_base_);
        bits_group_ = ~std::uint64_t{0};  // a new block's Context: no group's bits are known
        const hm::Layout l0 = layout_.layout(0, 1);
        block_regs_ = block_registers(controls_, layout_.root_for(l0));
        pkru_ = hm::pkru_value(controls_);
        block_ctx_ = Context::from_registers(block_regs_, cpu_);
        if ((job_.mutations & hm::mutation::ignore_smep) != 0) {  // a deliberately wrong model (tests only)
            ControlRegisters r = block_regs_;
            r.cr4 &= ~std::uint64_t{cr4::smep};
            smep_ignored_ = Context::from_registers(r, cpu_);
        }
        live_ = false;
        next_ = first;
        block_end_ = block_end;
        if (!block_ctx_ && job_.stride == 1 && job_.only_needing == 0 && first == block_base_ &&
            block_end == block_base_ + matrix_->block().size) {
            // A control state this CPU cannot enter (entry_bits() calls each of its legal combinations inapplicable):
            // the whole block counted in closed form, not one by one (most of a row on a CPU without PKU or SMEP).
            const hm::Counts n = hm::block_counts(*matrix_, state);
            tally_.illegal = static_cast<std::uint32_t>(n.total - n.legal);
            tally_.inapplicable = static_cast<std::uint32_t>(n.legal);
            block_last_ = block_end - 1;
            next_ = block_end;
        }
        while (next_ < block_end_) {
            offline(&MatrixRunner::fill_thunk);
            if (filled_ == 0) continue;
            if (!live_) {
                if (!write_controls(block_regs_, pkru_)) return false;
                live_ = true;
            }
            const std::uint64_t live = arch::rdtsc();
            access_batch();
            access_cycles_ += arch::rdtsc() - live;
            offline(&MatrixRunner::judge_thunk);
            send_cases();
        }
        send_block(state, arch::rdtsc() - block_start);
        return true;
    }

    static void fill_thunk(void* self) { static_cast<MatrixRunner*>(self)->fill(); }
    static void judge_thunk(void* self) { static_cast<MatrixRunner*>(self)->judge(); }

    /// Offline: decodes the next selected indices of the block until a batch is full, writes their entries and data
    /// qwords, and predicts each access with the walker.
    void fill() {
        filled_ = 0;
        const unsigned batch = layout_.batch();
        for (; next_ < block_end_ && filled_ < batch; step(job_.stride)) {
            block_last_ = next_;
            if (const hm::Rule rule = cursor_.rule(); rule != hm::Rule::legal) {
                skip_illegal();
                continue;
            }
            const hm::Combination& c = cursor_.combination();
            if (job_.only_needing != 0 && (hm::needed_features(c) & job_.only_needing) == 0) {
                ++tally_.elsewhere;
                continue;
            }
            if (cursor_.group() != bits_group_) {  // the entries' bits are the access group's
                bits_ = hm::entry_bits(c, block_ctx_, cpu_);
                bits_group_ = cursor_.group();
            }
            if (bits_.status != hm::Applicability::applies) {
                ++tally_.inapplicable;
                continue;
            }
            Slot& s = slots_[filled_];
            s.layout = layout_.layout(filled_, c.leaf_level);
            const hm::WalkEntries in = hm::place_entries(c, bits_, s.layout);
            if (mode_ == PagingMode::pae) reset_pdpt(s.layout.table_pa[3]);
            write_entries(c, in);
            const std::uint64_t qword = layout_.data_qword(filled_);
            s.tag = data_tag(qword);
            // Written only when a write changed it: a store into code a fetch ran makes a software CPU drop that
            // translation, and the next fetch at the slot would translate it again.
            auto* const data = reinterpret_cast<volatile std::uint64_t*>(static_cast<std::uintptr_t>(qword));
            if (*data != s.tag) *data = s.tag;
            s.index = next_;
            s.leaf_level = c.leaf_level;
            s.request = request_for(c, s.layout.va, written_value(qword));
            predict(s, in);
            ++filled_;
        }
    }

    /// Moves next_ and the block's cursor `n` indices on.
    void step(std::uint64_t n) {
        next_ += n;
        cursor_.advance(n);
    }

    /// Counts the selected indices the cursor's rule removes from next_ on (its run) and moves to the last of them.
    void skip_illegal() {
        const std::uint64_t run = cursor_.run();
        const std::uint64_t stop = next_ + run < block_end_ ? next_ + run : block_end_;
        if (job_.stride == 1) {  // every index is selected (no divisions: they are slow where emulated)
            tally_.illegal += static_cast<std::uint32_t>(stop - next_);
            step(stop - 1 - next_);
            if (next_ > block_last_) block_last_ = next_;
            return;
        }
        const std::uint64_t after = first_selected(stop);  // the first selected index the rule does not reach
        const std::uint64_t n = hm::divmod(after - next_, job_.stride).quotient;
        tally_.illegal += static_cast<std::uint32_t>(n);
        step(after - job_.stride - next_);  // the loop adds the stride
        if (next_ > block_last_) block_last_ = next_;
    }

    void write_entries(const hm::Combination& c, const hm::WalkEntries& in) {
        const ModeShape& s = shape_;
        for (unsigned l = s.levels; l >= c.leaf_level && l >= 1; --l) {
            const EntryLocation loc{in.entry_pa[l], 0, 0, static_cast<std::uint8_t>(l), s.entry_bytes};
            memory_.write_entry(loc, in.entry[l]);
        }
    }

    static runner::AccessRequest request_for(const hm::Combination& c, std::uint64_t va, std::uint64_t value) {
        runner::AccessRequest r;
        r.kind = c.access.type == AccessType::write   ? harness::AccessKind::write
                 : c.access.type == AccessType::fetch ? harness::AccessKind::fetch
                                                      : harness::AccessKind::read;
        r.cpl = c.access.cpl;
        r.ac = c.access.ac;
        r.implicit = c.access.implicit;
        r.width = 8;
        r.va = va;
        r.value = value;
        return r;
    }

    /// The walker's prediction and the access record's fixed part (the entries before the access).
    void predict(Slot& s, const hm::WalkEntries& in) {
        const Context* ctx = (job_.mutations & hm::mutation::ignore_smep) != 0 ? &smep_ignored_ : &block_ctx_;
        s.cr3_trap = {};
        // PAE: the MOV to CR3 loads the PDPTE registers and raises #GP(0) for a present one with a reserved bit
        // (SDM Vol. 3A §4.4.1); then no access is made. Otherwise the walk uses the loaded registers.
        bool pae_gp = false;
        if (mode_ == PagingMode::pae) {
            pae_ctx_ = *ctx;
            pae_gp = !pae_ctx_.load_pdptes(memory_);
            ctx = &pae_ctx_;
        }
        const TranslateResult predicted = translate(*ctx, memory_, s.request.va, in.access);
        harness::AccessRecord& rec = s.record;
        rec = harness::AccessRecord{};
        rec.header = harness::make_header(harness::RecordType::access, sizeof rec);
        rec.scenario_id = harness::kMatrixScenario;
        rec.va = s.request.va;
        rec.kind = static_cast<std::uint8_t>(s.request.kind);
        rec.cpl = s.request.cpl;
        rec.access_flags = static_cast<std::uint8_t>((s.request.ac ? harness::access_flag::ac : 0) |
                                                     (s.request.implicit ? harness::access_flag::implicit : 0));
        const bool sized = s.request.kind != harness::AccessKind::fetch && !s.request.implicit;
        rec.width = sized ? 8 : 0;
        rec.prediction = runner::to_prediction(predicted);
        if (pae_gp) {
            rec.prediction = harness::Prediction{};
            rec.prediction.kind = 2;
            rec.prediction.vector = vector::general_protection;
        }
        s.cls = static_cast<std::uint8_t>(hm::classify(rec.prediction.kind, rec.prediction.causes));
        // The entries the walk read (top level first: the combination's own), as it read them; judge() reads them
        // again after the access.
        const EntryChain& chain = predicted.chain();
        const unsigned top = shape_.levels;
        rec.chain_count = static_cast<std::uint8_t>(chain.size() < 5 ? chain.size() : 5);
        for (unsigned i = 0; i < rec.chain_count; ++i) {
            rec.chain_pa[i] = in.entry_pa[top - i];
            rec.chain_before[i] = chain.value(i);
        }
    }

    /// Live: the MOV to CR3 that flushes, then every access of the batch.
    void access_batch() {
        if (mode_ == PagingMode::pae) {
            Slot& s = slots_[0];
            s.cr3_trap = p_.write_cr3(layout_.root_for(s.layout));
            if (s.cr3_trap.taken) {
                runner::set_outcome(s.record, s.cr3_trap, 0);
                return;
            }
        } else {
            p_.write_cr3(layout_.identity_root());
        }
        if constexpr (Platform::code_bits == 64) {
            access_batch_fast();
            return;
        }
        for (unsigned i = 0; i < filled_; ++i) {
            Slot& s = slots_[i];
            const runner::AccessResult got = p_.access(s.request);
            runner::set_outcome(s.record, got.trap, got.value);
        }
    }

    /// The 64-bit world: the explicit accesses in one pw_mx_batch with the bare trap gates, the implicit ones (an LDT
    /// each) through the platform.
    void access_batch_fast() {
        unsigned n = 0;
        for (unsigned i = 0; i < filled_; ++i)
            if (fast_path(slots_[i].request)) fast_[n++] = fast_access(slots_[i].request);
        {
            const BareTrapGates gates;
            pw_mx_batch(fast_, n);
        }
        for (unsigned i = 0, k = 0; i < filled_; ++i) {
            Slot& s = slots_[i];
            const runner::AccessResult got =
                fast_path(s.request) ? fast_result(fast_[k++], s.request) : p_.access(s.request);
            runner::set_outcome(s.record, got.trap, got.value);
        }
    }

    /// Offline: the entries and data after each access, the verdict, the counts.
    void judge() {
        send_count_ = 0;
        const std::uint8_t entry_bytes = shape_.entry_bytes;
        for (unsigned i = 0; i < filled_; ++i) {
            Slot& s = slots_[i];
            harness::AccessRecord& rec = s.record;
            for (unsigned k = 0; k < rec.chain_count; ++k) {
                const EntryLocation loc{rec.chain_pa[k], 0, 0, 0, entry_bytes};
                rec.chain_after[k] = 0;
                memory_.read_entry(loc, rec.chain_after[k]);
            }
            const std::uint64_t qword = layout_.data_qword(i);
            s.memory_after = *reinterpret_cast<volatile std::uint64_t*>(static_cast<std::uintptr_t>(qword));
            s.mismatch = judge_case(rec, mode_, s.tag, written_value(qword), s.memory_after);
            ++tally_.run;
            if (s.mismatch == 0) {
                ++tally_.agreed;
                ++tally_.by_class[s.cls];
            } else {
                ++tally_.mismatched;
            }
            if (rec.prediction.kind == 1 && rec.prediction.may_set_accessed != 0)
                ++(set_accessed(rec) ? tally_.accessed_on_fault : tally_.clean_on_fault);
            s.sample = s.mismatch == 0 && hm::sampled(job_, s.index);
            s.send = s.sample || (s.mismatch != 0 && add_to_class(s));
            if (s.send) to_send_[send_count_++] = static_cast<std::uint16_t>(i);
            const struct {
                std::uint32_t offset;  // in the block (its low 32 bits: a block holds a few million)
                std::uint32_t error;
                std::uint8_t cls, vector, outcome, pad;
            } digest_item = {static_cast<std::uint32_t>(s.index - block_base_),
                             static_cast<std::uint32_t>(rec.error_code),
                             s.cls,
                             rec.vector,
                             rec.outcome,
                             0};
            static_assert(sizeof digest_item == 12, "no padding: every byte digested is set");
            digest_state_ =
                crc_.update(digest_state_, reinterpret_cast<const std::uint8_t*>(&digest_item), sizeof digest_item);
        }
    }

    /// Counts mismatch `s` in its class (the class table is harness::MatrixClassRecord's signature); true when it is
    /// one of the first Job::max_cases of the class, to be sent in full.
    bool add_to_class(const Slot& s) {
        harness::MatrixClassRecord sig = signature_of(s);
        for (unsigned i = 0; i < class_count_; ++i) {
            harness::MatrixClassRecord& c = classes_[i];
            if (!same_class(c, sig)) continue;
            ++c.count;
            if (c.examples >= job_.max_cases) {
                ++cases_dropped_;
                return false;
            }
            ++c.examples;
            return true;
        }
        if (class_count_ == kMaxClasses) {
            ++unclassified_;
            return false;
        }
        sig.count = 1;
        sig.examples = job_.max_cases != 0 ? 1 : 0;
        sig.first_case = 0xffff'ffffu;
        classes_[class_count_++] = sig;
        if (sig.examples == 0) ++cases_dropped_;
        return sig.examples != 0;
    }
    static bool same_class(const harness::MatrixClassRecord& a, const harness::MatrixClassRecord& b) {
        return a.mismatch == b.mismatch && a.outcome_class == b.outcome_class && a.predicted_kind == b.predicted_kind &&
               a.outcome == b.outcome && a.predicted_error == b.predicted_error && a.vector == b.vector &&
               a.kind == b.kind && a.cpl == b.cpl && a.access_flags == b.access_flags && a.error_code == b.error_code &&
               a.leaf_level == b.leaf_level;
    }
    /// The class fields of mismatch `s`.
    static harness::MatrixClassRecord signature_of(const Slot& s) {
        const harness::AccessRecord& a = s.record;
        harness::MatrixClassRecord sig{};
        sig.header = harness::make_header(harness::RecordType::matrix_class, sizeof sig);
        sig.mismatch = s.mismatch;
        sig.outcome_class = s.cls;
        sig.predicted_kind = a.prediction.kind;
        sig.outcome = a.outcome;
        sig.predicted_error = a.prediction.error_code;
        sig.vector = a.outcome != 0 ? a.vector : 0;
        sig.kind = a.kind;
        sig.cpl = a.cpl;
        sig.access_flags = a.access_flags;
        sig.error_code = a.outcome != 0 ? a.error_code : 0;
        sig.leaf_level = s.leaf_level;
        return sig;
    }
    /// The class record of mismatch `s` (it has one when it is sent).
    harness::MatrixClassRecord* class_of(const Slot& s) {
        const harness::MatrixClassRecord sig = signature_of(s);
        for (unsigned i = 0; i < class_count_; ++i)
            if (same_class(classes_[i], sig)) return &classes_[i];
        return nullptr;
    }

    /// The batch's cases to send, listed by judge() (offline): this runs at CPL 0, which kvm_pvm emulates.
    void send_cases() {
        for (unsigned k = 0; k < send_count_; ++k) {
            Slot& s = slots_[to_send_[k]];
            if (s.mismatch != 0)
                if (harness::MatrixClassRecord* c = class_of(s); c != nullptr && c->first_case == 0xffff'ffffu)
                    c->first_case = cases_sent_;
            harness::MatrixCaseRecord c{};
            c.header = harness::make_header(harness::RecordType::matrix_case, sizeof c);
            c.index = s.index;
            c.number = cases_sent_;
            c.mismatch = s.mismatch;
            c.leaf_level = s.leaf_level;
            c.outcome_class = s.cls;
            for (unsigned l = 0; l < 6; ++l) c.table_pa[l] = s.layout.table_pa[l];
            c.page_pa = s.layout.page_pa;
            c.va = s.layout.va;
            c.cr0 = block_regs_.cr0;
            c.cr3 = layout_.root_for(s.layout);
            c.cr4 = block_regs_.cr4;
            c.efer = block_regs_.efer;
            c.pkru = (block_regs_.cr4 & cr4::pke) != 0 ? pkru_ : 0;
            c.expected_value = s.request.kind == harness::AccessKind::write ? s.request.value : s.tag;
            c.memory_after = s.memory_after;
            r_.send(c.header);
            s.record.step = cases_sent_++;
            r_.send(s.record.header);
        }
    }

    void send_block(std::uint64_t state, std::uint64_t cycles) {
        harness::MatrixBlockRecord b{};
        b.header = harness::make_header(harness::RecordType::matrix_block, sizeof b);
        b.state = state;
        b.first = block_first_;
        b.last = block_last_;
        b.cr0 = block_regs_.cr0;
        b.cr4 = block_regs_.cr4;
        b.efer = block_regs_.efer;
        b.pkru = (block_regs_.cr4 & cr4::pke) != 0 ? pkru_ : 0;
        b.run = tally_.run;
        b.agreed = tally_.agreed;
        b.mismatched = tally_.mismatched;
        b.illegal = tally_.illegal;
        b.inapplicable = tally_.inapplicable;
        b.elsewhere = tally_.elsewhere;
        for (unsigned i = 0; i < hm::kOutcomeClasses; ++i) b.by_class[i] = tally_.by_class[i];
        b.accessed_on_fault = tally_.accessed_on_fault;
        b.clean_on_fault = tally_.clean_on_fault;
        b.digest = ~digest_state_;
        b.cycles = cycles;
        b.access_cycles = access_cycles_;
        r_.send(b.header);
        total_.run += tally_.run;
        total_.agreed += tally_.agreed;
        total_.mismatched += tally_.mismatched;
        total_.illegal += tally_.illegal;
        total_.inapplicable += tally_.inapplicable;
        total_.elsewhere += tally_.elsewhere;
    }

    void send_begin() {
        harness::MatrixBeginRecord b{};
        b.header = harness::make_header(harness::RecordType::matrix_begin, sizeof b);
        b.mode = job_.mode;
        b.space = job_.space;
        b.code_bits = Platform::code_bits;
        b.maxphyaddr = cpu_.maxphyaddr;
        b.cpu_features = harness::feature::of(cpu_);
        b.begin = job_.begin;
        b.end = job_.end;
        b.stride = job_.stride;
        b.phase = job_.phase;
        b.seed = job_.seed;
        b.sample_every = job_.sample_every;
        b.mutations = job_.mutations;
        b.batch = layout_.batch();
        b.vendor = static_cast<std::uint8_t>(cpu_.vendor);
        b.count = hm::Matrix(mode_, static_cast<hm::Space>(job_.space)).count();
        r_.send(b.header);
    }

    bool end(harness::MatrixStatus status, std::uint32_t detail) {
        harness::MatrixEndRecord e{};
        e.header = harness::make_header(harness::RecordType::matrix_end, sizeof e);
        e.status = static_cast<std::uint8_t>(status);
        e.detail = detail;
        e.selected = status == harness::MatrixStatus::bad_job ? 0 : hm::selected(job_);
        e.run = total_.run;
        e.agreed = total_.agreed;
        e.mismatched = total_.mismatched;
        e.illegal = total_.illegal;
        e.inapplicable = total_.inapplicable;
        e.elsewhere = total_.elsewhere;
        e.cases_sent = cases_sent_;
        e.cases_dropped = cases_dropped_;
        e.classes = class_count_;
        e.unclassified = unclassified_;
        for (unsigned i = 0; i < class_count_; ++i) r_.send(classes_[i].header);
        r_.send(e.header);
        return (status == harness::MatrixStatus::ok || status == harness::MatrixStatus::unsupported_mode) &&
               total_.mismatched == 0;
    }

    /// Runs `fn` where it is cheapest: at CPL 3 over the boot identity map in 4-level paging (with SMEP, SMAP and
    /// PKE off meanwhile: the runner's own code is supervisor code there), else called as is.
    void offline(void (*fn)(void*)) {
        if (mode_ == PagingMode::pae && live_) {
            // Off the slot's PDPT, which the offline phases rewrite and predict from: a CPU that walks through the
            // PDPT in memory (QEMU 7.2) would set bit 5 of its PDPTEs meanwhile (qemu-pae-pdpte-accessed).
            reset_pdpt(layout_.identity_root());
            p_.write_cr3(layout_.identity_root());
        }
        if (Platform::code_bits != 64 || mode_ != PagingMode::long4) {
            fn(this);
            return;
        }
        const std::uint64_t cr4 = current_cr4_;
        constexpr std::uint64_t checks = cr4::smep | cr4::smap | cr4::pke;
        if ((cr4 & checks) != 0) p_.write_cr4(cr4 & ~checks);
        const arch::Trap t = p_.run_unprivileged(fn, this);
        if ((cr4 & checks) != 0) p_.write_cr4(cr4);
        if (t.taken) trap_vector_ = t.vector;
    }

    using Frames = BumpAllocator<256>;
    static constexpr std::uint64_t kIdentityFrames = 96;

    Platform& p_;
    Reporter& r_;
    runner::GuestMemoryMap map_;
    runner::ProgramAreas areas_{};
    hm::Job job_{};
    PagingMode mode_ = PagingMode::long4;
    ModeShape shape_{};
    CpuFeatures cpu_{};
    IdentityMemory memory_{};
    Frames frames_{0, 0};
    BatchLayout layout_{PagingMode::long4, 0, 1, 0, 0};
    hm::AccessTable access_table_{};  ///< the block's access group
    hm::BlockCursor cursor_{};        ///< at next_ in the block
    hm::EntryBits bits_{};            ///< of the cursor's access group bits_group_
    std::uint64_t bits_group_ = ~std::uint64_t{0};
    Slot* slots_ = nullptr;
    FastAccess* fast_ = nullptr;  ///< the 64-bit world's batch of explicit accesses
    const hm::Matrix* matrix_ = nullptr;
    ControlRegisters base_regs_{}, block_regs_{};
    Context block_ctx_{};
    Context smep_ignored_{};  ///< mutation::ignore_smep: the block's Context without CR4.SMEP
    Context pae_ctx_{};       ///< PAE: the block's Context with the PDPTE registers loaded (predict)
    hm::Controls controls_{};
    std::uint32_t pkru_ = 0;
    bool live_ = false;
    std::uint64_t current_cr4_ = 0;  ///< CR4 as last written
    std::uint64_t pdpte0_ = 0;       ///< PAE: the identity map's PDPTE 0
    std::uint64_t block_base_ = 0;   ///< the first index of the block
    std::uint64_t next_ = 0, block_end_ = 0, block_first_ = 0, block_last_ = 0;
    unsigned filled_ = 0;
    std::uint16_t to_send_[kMaxBatch] = {};  ///< the slots judge() chose to send in full
    unsigned send_count_ = 0;
    Tally tally_{}, total_{};
    std::uint32_t digest_state_ = 0xffff'ffffu;
    arch::Crc32cUpdater crc_{};        ///< the digest's CRC-32C (the CRC32 instruction where there is one)
    std::uint64_t access_cycles_ = 0;  ///< the block's live phases (MatrixBlockRecord::access_cycles)
    std::uint32_t cases_sent_ = 0, cases_dropped_ = 0, unclassified_ = 0;
    static constexpr unsigned kMaxClasses = 128;
    harness::MatrixClassRecord classes_[kMaxClasses] = {};
    unsigned class_count_ = 0;
    std::uint8_t trap_vector_ = 0;
};

}  // namespace pagewalk::guest::matrix
