// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/evaluate.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <pagewalk/harness/ports.hpp>
#include <pagewalk/harness/program.hpp>
#include <set>

#include "check/chain.hpp"
#include "check/control_write.hpp"
#include "check/guest_verdict.hpp"
#include "check/known_deviations.hpp"
#include "scenario/scenario.hpp"

namespace pagewalk::host::check {
namespace {

using harness::AccessRecord;
using scenario::Expectation;
using scenario::StepSpec;

constexpr std::uint64_t kA = entry_bit::accessed, kD = entry_bit::dirty;

bool completed(const AccessRecord& a) {
    if (a.outcome == static_cast<std::uint8_t>(harness::AccessOutcome::completed)) return true;
    // An implicit access is a descriptor read: it completed if it did not page-fault (the load may #GP after it).
    return (a.access_flags & harness::access_flag::implicit) != 0 && a.vector != vector::page_fault;
}

std::string tag_name(std::uint64_t v) {
    if ((v & 0xff) != 0xc3) return "";
    const std::uint64_t rel = v >> 8;
    return " (the tag of data frame " + std::to_string(rel >> 12) + " + " + hex(rel & 0xfff) + ")";
}

class Evaluator {
public:
    Evaluator(const scenario::Program& p, const RunResult& run, const BackendInfo& b, Evaluation& out)
        : p_(p), run_(run), backend_(b), out_(out), mode_(static_cast<PagingMode>(p.mode)) {}

    void run() {
        for (std::uint32_t f : p_.tagged_frames)
            for (std::uint32_t o = 0; o < harness::kTaggedBytes; o += 8) {
                const std::uint64_t rel = std::uint64_t{f} * 4096 + o;
                shadow_[rel] = harness::data_tag(rel);
            }
        std::map<std::uint32_t, const AccessRecord*> accesses;
        std::map<std::uint32_t, const harness::EntryRecord*> entries;
        std::vector<const harness::ControlWriteRecord*> writes;
        for (const ReceivedRecord& rr : run_.records) {
            const harness::DecodedRecord& r = rr.record;
            if (const auto* ri = r.run_info()) {
                data_base_ = ri->data_base, have_run_info_ = true;
                tables_ = {ri->tables_base, ri->tables_base + ri->table_bytes};
            }
            if (const auto* w = r.control_write()) writes.push_back(w);
            if (const auto* a = r.access()) accesses[a->step] = a;
            if (const auto* e = r.entry()) entries[e->step] = e;
            if (const auto* x = r.exception(); x != nullptr && x->expected == 0)
                fail(x->step, "run", "unexpected " + format_record(r));
            if (const auto* s = r.step_failed()) step_failed(*s);
        }
        if (out_.verdict == Verdict::skip) return;
        const bool complete = run_.outcome == Outcome::passed || run_.outcome == Outcome::guest_failed;
        // Not a judgement of the checks: the run broke — a watchdog, a VM that died, or a guest that gave up
        // (an unexpected exception, bad boot information). CI reports call that an error.
        const harness::FinalRecord* final = run_.records.empty() ? nullptr : run_.records.back().record.final_record();
        const bool gave_up =
            final != nullptr && (final->status == static_cast<std::uint32_t>(harness::ExitStatus::panic) ||
                                 final->status == static_cast<std::uint32_t>(harness::ExitStatus::bad_boot));
        out_.run_broke = !complete || gave_up;
        if (!complete)
            fail(0, "run", std::string(to_string(run_.outcome)) + (run_.detail.empty() ? "" : ": " + run_.detail),
                 format_result(run_, false));
        if (complete && !have_run_info_ && !step_failed_) fail(0, "run", "no run_info record: the program never ran");
        for (const auto& [id, spec] : p_.steps) {
            if (spec->op == harness::StepOp::poke && spec->frame) {
                shadow_[std::uint64_t{*spec->frame} * 4096 + spec->offset] = spec->value.value_or(0);
            } else if (spec->op == harness::StepOp::access) {
                const auto it = accesses.find(id);
                if (it != accesses.end()) {
                    access(*spec, *it->second);
                } else if (complete && !step_failed_) {
                    fail(id, "run", "no access record for this step");
                }
            } else if (spec->op == harness::StepOp::read_entry && spec->expect) {
                const auto it = entries.find(id);
                if (it != entries.end())
                    entry(*spec, *it->second);
                else if (complete && !step_failed_)
                    fail(id, "run", "no entry record for this step");
            } else if (spec->op == harness::StepOp::reload_cr3 && complete && !step_failed_) {
                const bool seen = std::any_of(writes.begin(), writes.end(), [id = id](const auto* w) {
                    return w->step == id && w->reg == static_cast<std::uint8_t>(pagewalk::ControlRegister::cr3);
                });
                if (!seen) fail(id, "run", "no control_write record for this reload_cr3 step");
            }
        }
        // PAE PDPTE loads (every one, the runner's own at step 0 too) and reload_cr3 steps.
        for (const harness::ControlWriteRecord* w : writes) {
            const auto it = p_.steps.find(w->step);
            const bool reload = it != p_.steps.end() && it->second->op == harness::StepOp::reload_cr3 &&
                                w->reg == static_cast<std::uint8_t>(pagewalk::ControlRegister::cr3);
            for (Finding& f : check_control_write(*w, reload ? it->second : nullptr, backend_)) out_.add(std::move(f));
        }
    }

private:
    void add(Finding::Severity s, std::uint32_t step, const char* check, std::string message, std::string detail) {
        Finding f;
        f.severity = s;
        f.step = step;
        f.check = check;
        f.message = std::move(message);
        f.detail = std::move(detail);
        out_.add(std::move(f));
    }
    void fail(std::uint32_t step, const char* check, std::string message, std::string detail = {}) {
        add(Finding::Severity::failure, step, check, std::move(message), std::move(detail));
    }

    void step_failed(const harness::StepFailedRecord& s) {
        const auto reason = static_cast<harness::StepFailure>(s.reason);
        if (reason == harness::StepFailure::feature_missing && s.step == 0) {
            out_.verdict = Verdict::skip;
            out_.reason = "the guest's CPUID lacks " + scenario::feature_names(static_cast<std::uint32_t>(s.detail));
            return;
        }
        if (reason == harness::StepFailure::cpu_mismatch && s.step == 0) {
            out_.verdict = Verdict::skip;
            out_.reason = s.detail_code == 0
                              ? "the guest's CPUID has " +
                                    scenario::feature_names(static_cast<std::uint32_t>(s.detail)) +
                                    ", which the rule needs absent (qemu_cpu)"
                              : "the guest's MAXPHYADDR is " + std::to_string(s.detail) + ", the steps assume " +
                                    std::to_string(s.address) + " (qemu_cpu phys-bits)";
            return;
        }
        if (reason == harness::StepFailure::unsupported_mode) {
            out_.verdict = Verdict::skip;
            out_.reason = std::string("the guest cannot run ") + to_string(p_.mode) +
                          " programs on this boot (32-bit and PAE programs need the multiboot 32-bit entry and, for "
                          "PAE, CPUID PAE; 5-level needs LA57)";
            return;
        }
        step_failed_ = true;
        static const char* const names[] = {"?",
                                            "mapper error",
                                            "entry not found",
                                            "feature missing",
                                            "unsupported mode",
                                            "bad program",
                                            "memory too small",
                                            "register set rejected by the walker",
                                            "no program",
                                            "the runner's table building trapped",
                                            "CPU mismatch",
                                            "the boot loader put modules where programs need memory"};
        static_assert(std::size(names) == static_cast<std::size_t>(harness::StepFailure::boot_layout) + 1,
                      "one text per StepFailure");
        std::string detail = names[s.reason < std::size(names) ? s.reason : 0];
        if (reason == harness::StepFailure::mapper_error)
            detail += std::string(": ") + to_string(static_cast<MapError>(s.detail_code)) + " at " + hex(s.address);
        else if (s.address != 0)
            detail += " (" + hex(s.address) + ")";
        fail(s.step, "step", "the step could not be carried out: " + detail);
    }

    /// A disagreement about an exception: a known deviation of this backend, or a failure.
    void disagree(std::uint32_t step, const char* check, std::uint8_t vector, std::uint32_t error,
                  const AccessRecord& a, const std::string& message) {
        Disagreement d = disagreement();
        d.expected_vector = vector;
        d.expected_error = error;
        d.observed_exception = a.outcome != 0;
        d.observed_vector = a.vector;
        d.observed_error = a.error_code;
        d.cpl = a.cpl;
        d.ac = (a.access_flags & harness::access_flag::ac) != 0;
        d.implicit = (a.access_flags & harness::access_flag::implicit) != 0;
        d.fault_causes = a.prediction.kind == 1 ? a.prediction.causes : 0;
        if (a.prediction.kind == 1 && a.chain_count > 0 && a.chain_count <= 5) {
            d.fault_level = a.prediction.level;
            d.fault_entry = a.chain_before[a.chain_count - 1];  // the walk stopped at its last entry
        }
        known_or_fail(d, step, check, message, format_chain(a, mode_));
    }

    /// A disagreement with this run's backend and mode filled in.
    Disagreement disagreement() const {
        Disagreement d;
        d.backend = backend_.name;
        d.backend_version = backend_.version;
        d.mode = static_cast<std::uint8_t>(mode_);
        return d;
    }
    /// `d` is a known deviation of this backend (counted apart, with its id) or a failure.
    void known_or_fail(const Disagreement& d, std::uint32_t step, const char* check, const std::string& message,
                       std::string detail) {
        if (const auto k = match_known_deviation(d)) {
            add(Finding::Severity::known_deviation, step, check,
                message + " — backend deviation (known: " + k->id + "): " + k->rule, std::move(detail));
            out_.findings.back().deviation_id = k->id;
            return;
        }
        fail(step, check, message, std::move(detail));
    }

    std::uint64_t cr2_of(std::uint64_t va) const { return shape(mode_).fault_address(va); }

    void expectation(const StepSpec& s, const AccessRecord& a) {
        if (!s.expect || s.expect->kind == Expectation::Kind::model) return;
        const Expectation& e = *s.expect;
        const std::string got = describe_outcome(a);
        // ok_or_fault (a stale access): judged as "ok" when it completed, else as the fault.
        const bool either = e.kind == Expectation::Kind::ok_or_fault;
        if (e.kind == Expectation::Kind::ok || (either && completed(a))) {
            if (!completed(a))
                return fail(s.id, "expectation", "expected ok, the CPU raised " + got, format_chain(a, mode_));
            if (e.table_entry) return table_entry(s, *e.table_entry, a);
            if (e.value && a.value != *e.value)
                fail(s.id, "expectation",
                     "expected the value " + hex(*e.value) + ", read " + hex(a.value) + tag_name(a.value),
                     format_chain(a, mode_));
            if (!e.frames.empty()) {
                bool any = false;
                for (std::uint32_t f : e.frames) {
                    const auto it = shadow_.find(std::uint64_t{f} * 4096 + (a.va & 0xfff));
                    any = any || (it != shadow_.end() && it->second == a.value);
                }
                if (!any)
                    wrong_value(s, a, "expectation",
                                "expected to read data frame " + std::to_string(e.frames.front()) +
                                    (e.frames.size() > 1 ? " (or another listed frame)" : "") + ", read " +
                                    hex(a.value) + tag_name(a.value));
            }
            return;
        }
        // A fault.
        const std::uint64_t cr2 = e.cr2.value_or(cr2_of(a.va));
        const bool vector_ok = a.outcome != 0 && a.vector == e.vector;
        const bool error_ok = !e.error_code || (a.has_error_code && a.error_code == *e.error_code);
        const bool cr2_ok = e.vector != 14 || a.cr2 == cr2;
        if (vector_ok && error_ok && cr2_ok) return;
        std::string want = "#" + std::to_string(e.vector);
        if (e.vector == vector::page_fault) want = "#PF";
        if (e.vector == vector::general_protection) want = "#GP";
        if (either) want = "ok or " + want;
        if (e.error_code)
            want += " " + hex(*e.error_code) +
                    (e.vector == vector::page_fault ? " (" + error_bits(*e.error_code) + ")" : "");
        if (vector_ok && error_ok && !cr2_ok)
            return fail(s.id, "expectation", "expected CR2 = " + hex(cr2) + ", got " + hex(a.cr2),
                        format_chain(a, mode_));
        disagree(s.id, "expectation", e.vector, e.error_code.value_or(0), a,
                 "expected " + want + ", the CPU " +
                     (a.outcome != 0 ? "raised " + got : "completed the access (" + got + ")"));
    }

    /// A read of the entry of a level that maps `of` (through a recursive slot). The host does not know the tables'
    /// contents, only where the map steps put `of`: the entry must be present and, if it is the leaf, hold that page's
    /// address. (The guest compares the whole entry with its tables.)
    void table_entry(const StepSpec& s, const scenario::EntryOf& x, const AccessRecord& a) {
        const unsigned level = x.entry.resolve(p_.mode);
        // 32-bit paging: entries are 4 bytes (SDM Vol. 3A §4.3); the 8-byte read holds the next entry above.
        const std::uint64_t v = shape(mode_).entry_bytes == 4 ? a.value & 0xffff'ffffu : a.value;
        const std::string what = level_name(mode_, level) + " that maps " + hex(x.of);
        if ((v & entry_bit::present) == 0)
            return fail(s.id, "expectation", "expected the " + what + ", read " + hex(v) + ": not present",
                        format_chain(a, mode_));
        // A leaf: a PTE, or a PDE/PDPTE with PS = 1 (in 32-bit paging only with CR4.PSE; SDM Vol. 3A §4.3, §4.5).
        const bool ps =
            (v & entry_bit::page_size) != 0 && (mode_ != PagingMode::legacy32 || (p_.controls & harness::control::pse));
        const bool leaf = level == 1 || ((level == 2 || level == 3) && ps);
        const auto target = p_.table_entry_pages.find(s.id);
        if (!leaf || target == p_.table_entry_pages.end()) return;
        if (target->second.data && !have_run_info_) return;
        const std::uint64_t span = shape(p_.mode).at(level).span();
        const std::uint64_t page = (target->second.pa + (target->second.data ? data_base_ : 0)) & ~(span - 1);
        std::uint64_t address = 0;
        if (mode_ == PagingMode::legacy32)  // a 4 MiB PDE keeps physical bits 39:32 in bits 20:13 (PSE-36, §4.3)
            address = level == 1 ? Pte32{static_cast<std::uint32_t>(v)}.address()
                                 : Pde4M{static_cast<std::uint32_t>(v)}.address();
        else
            address = v & Pte::address_field::mask & ~(span - 1);  // bits 51:12 (MAXPHYADDR-1:12, §4.5)
        if (address != page)
            fail(s.id, "expectation",
                 "expected the " + what + ", read " + hex(v) + " (" + entry_flags(v) + "), a leaf for page " +
                     hex(address) + ", but " + hex(x.of) + " is mapped to " + hex(page),
                 format_chain(a, mode_));
    }

    void prediction(const StepSpec& s, const AccessRecord& a) {
        const harness::Prediction& p = a.prediction;
        const std::string msg = "the walker predicted " + describe(p) + ", the CPU " +
                                (a.outcome != 0 ? "raised " : "did ") + describe_outcome(a);
        switch (p.kind) {
            case 0:
                if (!completed(a)) fail(s.id, "prediction", msg, format_chain(a, mode_));
                return;
            case 1:
                if (a.outcome != 0 && a.vector == vector::page_fault && a.error_code == p.error_code &&
                    a.cr2 == cr2_of(a.va))
                    return;
                return disagree(s.id, "prediction", 14, p.error_code, a, msg);
            case 2:
                if (a.outcome != 0 && a.vector == vector::general_protection) return;
                return disagree(s.id, "prediction", 13, 0, a, msg);
            default:
                return fail(s.id, "prediction", "the guest's walker could not read its own tables: " + describe(p),
                            format_chain(a, mode_));
        }
    }

    void value(const StepSpec& s, const AccessRecord& a) {
        if (a.prediction.kind != 0 || !completed(a) || !have_run_info_) return;
        // Only data the host knows: not the guest's own memory below the data area, nor the page tables (a read
        // through a recursive slot reaches them; the table_entry expectation judges such a read).
        if (a.prediction.pa < data_base_ || (a.prediction.pa >= tables_.first && a.prediction.pa < tables_.second))
            return;
        const std::uint64_t rel = a.prediction.pa - data_base_;
        if (s.stale) {
            // The CPU may have used the old translation (SDM Vol. 3A §4.10.4): a read is judged by its expectation
            // alone, as the guest judges it; a write may have gone to the old page or the new one, so the host no
            // longer knows what either holds at that offset (the offset in the page is the same in both).
            if (s.kind == harness::AccessKind::write && a.outcome == 0)
                std::erase_if(shadow_, [&](const auto& kv) { return ((kv.first ^ rel) & 0xfff) == 0; });
            return;
        }
        if (s.kind == harness::AccessKind::write && a.outcome == 0) {
            shadow_[rel] = a.value;
            return;
        }
        if (s.kind != harness::AccessKind::read || s.implicit) return;
        const auto it = shadow_.find(rel);
        if (it == shadow_.end() || it->second == a.value) return;
        wrong_value(s, a, "value",
                    "read " + hex(a.value) + tag_name(a.value) + ", but the predicted physical address " +
                        hex(a.prediction.pa) + " holds " + hex(it->second) + tag_name(it->second));
    }

    /// A read returned the wrong data. When only a #PF invalidated the page's earlier change (SDM Vol. 3A
    /// §4.10.4.1) and the data is the tag of a frame an earlier access of the page reached, the CPU used the old
    /// translation: that exact evidence can be a known deviation; anything else fails.
    void wrong_value(const StepSpec& s, const AccessRecord& a, const char* check, const std::string& message) {
        known_or_fail(old_translation_evidence(s, a), s.id, check, message, format_chain(a, mode_));
    }
    /// Whether the access is a read that only a #PF made fresh and that returned an earlier frame's data. A TLB hit
    /// walks nothing, so the same evidence explains the A bit it left clear.
    Disagreement old_translation_evidence(const StepSpec& s, const AccessRecord& a) const {
        Disagreement d = disagreement();
        d.observed_exception = !completed(a);
        d.read_after_fault_invalidation = p_.fresh_by_page_fault.contains(s.id);
        const auto earlier = frames_reached_.find(a.va & ~std::uint64_t{0xfff});
        if (earlier != frames_reached_.end())
            for (std::uint64_t frame : earlier->second)
                d.value_from_earlier_frame =
                    d.value_from_earlier_frame || a.value == harness::data_tag(frame * 4096 + (a.va & 0xfff));
        return d;
    }

    /// Whether an access agreed with the walker's prediction over the tables in memory: the same outcome and, for a
    /// read whose predicted data the host knows, the same value.
    bool agrees_with_tables(const StepSpec& s, const AccessRecord& a) const {
        const harness::Prediction& p = a.prediction;
        if (p.kind == 1) return a.outcome != 0 && a.vector == vector::page_fault && a.error_code == p.error_code;
        if (p.kind == 2) return a.outcome != 0 && a.vector == vector::general_protection;
        if (p.kind != 0 || !completed(a)) return false;
        if (s.kind != harness::AccessKind::read || s.implicit || !have_run_info_ || p.pa < data_base_) return true;
        const auto it = shadow_.find(p.pa - data_base_);
        return it == shadow_.end() || it->second == a.value;
    }

    /// Remembers the data frame a completed, non-stale access reached (the evidence wrong_value looks for).
    void remember_frame(const StepSpec& s, const AccessRecord& a) {
        if (s.stale || a.prediction.kind != 0 || !completed(a) || !have_run_info_ || a.prediction.pa < data_base_)
            return;
        frames_reached_[a.va & ~std::uint64_t{0xfff}].insert((a.prediction.pa - data_base_) >> 12);
    }

    void accessed_dirty(const StepSpec& s, const AccessRecord& a) {
        const unsigned top = shape(mode_).levels;
        const bool ok = completed(a) && a.prediction.kind == 0;
        const bool write = s.kind == harness::AccessKind::write && !s.implicit;
        for (unsigned i = 0; i < a.chain_count && i < 5; ++i) {
            const unsigned level = top - i;
            if (mode_ == PagingMode::pae && level == 3) continue;  // PDPTE registers have no A bit
            const bool leaf = ok && i + 1 == a.chain_count;
            const std::uint64_t before = a.chain_before[i], after = a.chain_after[i];
            const std::uint64_t allowed = kA | (leaf ? kD : 0);
            const std::string where = level_name(mode_, level) + " @" + hex(a.chain_pa[i]);
            if (((before ^ after) & ~allowed) != 0)
                fail(s.id, "A/D", where + ": bits other than A" + (leaf ? "/D" : "") + " changed",
                     format_chain(a, mode_));
            if (ok && (after & kA) == 0)
                known_or_fail(old_translation_evidence(s, a), s.id, "A/D",
                              where + ": A still clear after a successful access (SDM Vol. 3A §4.8)",
                              format_chain(a, mode_));
            if (leaf && write && (after & kD) == 0)
                fail(s.id, "A/D", where + ": D still clear after a successful write (SDM Vol. 3A §4.8)",
                     format_chain(a, mode_));
            if (leaf && !write && (before & kD) == 0 && (after & kD) != 0)
                fail(s.id, "A/D", where + ": a read set D", format_chain(a, mode_));
            if (!ok && i + 1 == a.chain_count && (before & kD) == 0 && (after & kD) != 0)
                fail(s.id, "A/D", where + ": a faulting access set D", format_chain(a, mode_));
        }
    }

    void access(const StepSpec& s, const AccessRecord& a) {
        ++out_.accesses;
        expectation(s, a);
        if (s.stale) {
            const bool as_tables = agrees_with_tables(s, a);
            ++(as_tables ? out_.stale_as_tables : out_.stale_older);
            add(Finding::Severity::note, s.id, "prediction",
                std::string("stale = true: the TLB may answer with the old translation; prediction and A/D not "
                            "compared (") +
                    (as_tables ? "the outcome agreed with the tables in memory" : "the CPU used an older translation") +
                    ")",
                "");
        } else {
            prediction(s, a);
            accessed_dirty(s, a);
        }
        value(s, a);
        remember_frame(s, a);
    }

    void entry(const StepSpec& s, const harness::EntryRecord& e) {
        const Expectation& x = *s.expect;
        if (!e.found) return fail(s.id, "expectation", "no such entry (a table above it is missing)");
        const bool a = (e.value & kA) != 0, d = (e.value & kD) != 0;
        std::string wrong;
        std::uint64_t unexpected = 0;
        if (x.accessed && *x.accessed != a) {
            wrong += std::string(" A=") + (a ? "1" : "0");
            unexpected |= kA;
        }
        if (x.dirty && *x.dirty != d) {
            wrong += std::string(" D=") + (d ? "1" : "0");
            unexpected |= kD;
        }
        if (wrong.empty()) return;
        const std::string message = level_name(mode_, e.level) + " @" + hex(e.entry_pa) + " = " + hex(e.value) + " (" +
                                    entry_flags(e.value) + "): unexpected" + wrong;
        Disagreement dis = disagreement();
        dis.entry_read = true;
        dis.entry_level = e.level;
        dis.entry_unexpected = unexpected;
        dis.entry_value = e.value;
        known_or_fail(dis, s.id, "expectation", message, "");
    }

    const scenario::Program& p_;
    const RunResult& run_;
    const BackendInfo& backend_;
    Evaluation& out_;
    PagingMode mode_;
    std::map<std::uint64_t, std::uint64_t> shadow_;  ///< data offset → the value the host knows is there
    std::uint64_t data_base_ = 0;
    std::pair<std::uint64_t, std::uint64_t> tables_{0, 0};  ///< [tables_base, end) of the scenario's page tables
    bool have_run_info_ = false;
    std::map<std::uint64_t, std::set<std::uint64_t>> frames_reached_;  ///< page va → data frames accesses reached
    bool step_failed_ = false;
};

}  // namespace

Evaluation evaluate(const scenario::Program& program, const RunResult& run, const LiveChecker* live,
                    const BackendInfo& backend) {
    Evaluation out;
    Evaluator(program, run, backend, out).run();
    const bool skipped = out.verdict == Verdict::skip;
    cross_check_guest(program, run.records, run.outcome == Outcome::passed || run.outcome == Outcome::guest_failed,
                      out);
    if (skipped && !out.guest_agrees) out.verdict = Verdict::fail;  // conclude() would keep a skip
    if (live != nullptr && out.verdict != Verdict::skip) {
        for (const Finding& f : live->findings()) out.add(f);
        out.live_checked = live->checked();
        out.live_source = live->source();
    }
    out.conclude();
    return out;
}

}  // namespace pagewalk::host::check
