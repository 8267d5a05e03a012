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

/// Bytes an access read or wrote (a fetch or an implicit access: 8).
unsigned width_of(const AccessRecord& a) {
    return a.width != 0 ? a.width : 8;
}

/// One page's walk of an access: the only one, or one of the two of an access across a page boundary (SDM Vol. 3A
/// §4.7: each page is translated on its own), with the access's bytes in that page, [lo, hi].
struct PageWalk {
    const harness::Prediction& p;
    unsigned count;
    const std::uint64_t* pa;
    const std::uint64_t* before;
    const std::uint64_t* after;
    std::uint64_t lo, hi;
};
std::vector<PageWalk> page_walks(const AccessRecord& a) {
    const unsigned first = harness::first_page_bytes(a.va, width_of(a));
    std::vector<PageWalk> w{
        {a.prediction, a.chain_count, a.chain_pa, a.chain_before, a.chain_after, a.va, a.va + first - 1}};
    if (a.crosses != 0)
        w.push_back({a.second, a.second_chain_count, a.second_chain_pa, a.second_chain_before, a.second_chain_after,
                     a.va + first, a.va + width_of(a) - 1});
    return w;
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
                store(rel, harness::data_tag(rel), 8);
            }
        std::map<std::uint32_t, const AccessRecord*> accesses;
        std::map<std::uint32_t, const harness::EntryRecord*> entries;
        std::vector<const harness::ControlWriteRecord*> writes;
        for (const ReceivedRecord& rr : run_.records) {
            const harness::DecodedRecord& r = rr.record;
            if (const auto* ri = r.run_info()) {
                data_base_ = ri->data_base, have_run_info_ = true, cr0_ = ri->cr0;
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
                store(std::uint64_t{*spec->frame} * 4096 + spec->offset, spec->value.value_or(0), 8);
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
                  const AccessRecord& a, const std::string& message, const PageWalk* walk = nullptr) {
        Disagreement d = access_disagreement(a);
        const Disagreement run = disagreement();
        d.backend = run.backend;
        d.backend_version = run.backend_version;
        d.mode = run.mode;
        d.expected_vector = vector;
        d.expected_error = error;
        d.cr0_am = (cr0_ & cr0::am) != 0;
        const PageWalk w = walk != nullptr ? *walk : page_walks(a).front();
        d.fault_causes = w.p.kind == 1 ? w.p.causes : 0;
        if (w.p.kind == 1 && w.count > 0 && w.count <= 5) {
            d.fault_level = w.p.level;
            d.fault_entry = w.before[w.count - 1];  // the walk stopped at its last entry
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

    /// The shadow of data memory, byte by byte: `bytes` bytes of `v` (little-endian) at data offset `rel`.
    void store(std::uint64_t rel, std::uint64_t v, unsigned bytes) {
        for (unsigned i = 0; i < bytes; ++i) shadow_[rel + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
    /// The `bytes` bytes the host knows at data offset `rel`, if it knows them all.
    std::optional<std::uint64_t> known(std::uint64_t rel, unsigned bytes) const {
        std::uint64_t v = 0;
        for (unsigned i = 0; i < bytes; ++i) {
            const auto it = shadow_.find(rel + i);
            if (it == shadow_.end()) return std::nullopt;
            v |= std::uint64_t{it->second} << (8 * i);
        }
        return v;
    }

    /// Whether CR2 names a byte of the access in page walk `w`. For an access within one page: exactly its address.
    /// Across a page boundary, SDM Vol. 3A §6.15 (Interrupt 14) says only that CR2 holds the linear address that
    /// generated the exception — not which byte in the faulting page (CPUs report the first): any byte there.
    bool cr2_in(const AccessRecord& a, const PageWalk& w) const {
        if (a.crosses == 0) return a.cr2 == cr2_of(a.va);
        return a.cr2 >= cr2_of(w.lo) && a.cr2 <= cr2_of(w.hi);
    }

    void expectation(const StepSpec& s, const AccessRecord& a) {
        if (!s.expect || s.expect->kind == Expectation::Kind::model) return;
        const Expectation& e = *s.expect;
        const std::string got = describe_outcome(a);
        // ok_or_fault (a stale access): judged as "ok" when it completed, else as the fault.
        const bool either = e.kind == Expectation::Kind::ok_or_fault;
        if (e.kind == Expectation::Kind::ok || (either && completed(a))) {
            if (!completed(a)) return disagree(s.id, "expectation", 0, 0, a, "expected ok, the CPU raised " + got);
            if (e.table_entry) return table_entry(s, *e.table_entry, a);
            if (e.value && a.value != *e.value) {
                Disagreement d = disagreement();
                d.value_from_faulted_split_write = from_faulted_split_write(a, *e.value);
                known_or_fail(d, s.id, "expectation",
                              "expected the value " + hex(*e.value) + ", read " + hex(a.value) + tag_name(a.value),
                              format_chain(a, mode_));
            }
            if (!e.frames.empty()) {
                bool any = false;
                for (std::uint32_t f : e.frames) {
                    const auto v = known(std::uint64_t{f} * 4096 + (a.va & 0xfff), width_of(a));
                    any = any || (v && *v == a.value);
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
        // Across a page boundary `cr2` names the faulting page: any byte of the access in it (cr2_in).
        bool cr2_ok = e.vector != 14 || a.cr2 == cr2;
        if (e.vector == 14 && a.crosses != 0) {
            cr2_ok = false;
            for (const PageWalk& w : page_walks(a)) cr2_ok = cr2_ok || (cr2_in(a, w) && ((a.cr2 ^ cr2) >> 12) == 0);
        }
        if (vector_ok && error_ok && cr2_ok) return;
        std::string want = "#" + std::to_string(e.vector);
        if (e.vector == vector::page_fault) want = "#PF";
        if (e.vector == vector::general_protection) want = "#GP";
        if (either) want = "ok or " + want;
        if (e.error_code)
            want += " " + hex(*e.error_code) +
                    (e.vector == vector::page_fault ? " (" + error_bits(*e.error_code) + ")" : "");
        if (vector_ok && error_ok && !cr2_ok)
            return fail(s.id, "expectation",
                        (a.crosses != 0 ? "expected CR2 in the page of " : "expected CR2 = ") + hex(cr2) + ", got " +
                            hex(a.cr2),
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

    /// The walker's prediction against the outcome. Across a page boundary each page has its prediction (SDM Vol. 3A
    /// §4.7, §6.15): the access completes when neither page faults; when one does, that page's #PF (its error code,
    /// CR2 in it); when both do, the #PF of either.
    void prediction(const StepSpec& s, const AccessRecord& a) {
        const std::vector<PageWalk> walks = page_walks(a);
        std::string predicted;
        for (const PageWalk& w : walks)
            predicted += (predicted.empty() ? "" : ", then on the second page ") + describe(w.p);
        const std::string msg = "the walker predicted " + predicted + ", the CPU " +
                                (a.outcome != 0 ? "raised " : "did ") + describe_outcome(a);
        const PageWalk* faulting = nullptr;  // the first page walk predicted to fault
        for (const PageWalk& w : walks) {
            if (w.p.kind == 2)  // non-canonical
                return a.outcome != 0 && a.vector == vector::general_protection
                           ? void()
                           : disagree(s.id, "prediction", 13, 0, a, msg);
            if (w.p.kind > 2)
                return fail(s.id, "prediction", "the guest's walker could not read its own tables: " + describe(w.p),
                            format_chain(a, mode_));
        }
        for (const PageWalk& w : walks) {
            if (w.p.kind != 1) continue;
            if (faulting == nullptr) faulting = &w;
            if (a.outcome != 0 && a.vector == vector::page_fault && a.error_code == w.p.error_code && cr2_in(a, w))
                return;
        }
        if (faulting == nullptr) {
            if (!completed(a)) disagree(s.id, "prediction", 0, 0, a, msg);
            return;
        }
        disagree(s.id, "prediction", 14, faulting->p.error_code, a, msg, faulting);
    }

    /// Where each byte of an access is, as data-area offsets through its predicted mappings (none: a byte outside
    /// the data the host knows — not the guest's own memory below the data area, nor the page tables, which a read
    /// through a recursive slot reaches and the table_entry expectation judges).
    std::vector<std::optional<std::uint64_t>> data_offsets(const AccessRecord& a) const {
        std::vector<std::optional<std::uint64_t>> where;
        for (const PageWalk& w : page_walks(a))
            for (std::uint64_t va = w.lo; va <= w.hi; ++va) {
                const std::uint64_t pa = w.p.pa + (va - w.lo);
                const bool data = w.p.kind == 0 && pa >= data_base_ && !(pa >= tables_.first && pa < tables_.second);
                where.push_back(data ? std::optional<std::uint64_t>(pa - data_base_) : std::nullopt);
            }
        return where;
    }
    /// Whether every byte in which a read differs from `expected` is one an earlier faulting CPL-0 write across a page
    /// boundary would have stored at that place (unstored_). `compared`: bit i set for each byte i to compare.
    bool from_faulted_split_write(const AccessRecord& a, std::uint64_t expected, unsigned compared = 0xff) const {
        const std::vector<std::optional<std::uint64_t>> where = data_offsets(a);
        bool any = false;
        for (unsigned i = 0; i < where.size(); ++i) {
            if ((compared >> i & 1) == 0) continue;
            const auto got = static_cast<std::uint8_t>(a.value >> (8 * i));
            if (got == static_cast<std::uint8_t>(expected >> (8 * i))) continue;
            const auto it = where[i] ? unstored_.find(*where[i]) : unstored_.end();
            if (it == unstored_.end() || it->second != got) return false;
            any = true;
        }
        return any;
    }

    /// The data an access read or wrote, byte by byte against the shadow of data memory: a read of w bytes returns
    /// them zero-extended, a write stores the low w bytes of its value; an access across a page boundary has its
    /// bytes in two frames (each page's predicted physical address).
    void value(const StepSpec& s, const AccessRecord& a) {
        if (!have_run_info_) return;
        const std::vector<PageWalk> walks = page_walks(a);
        const bool write = s.kind == harness::AccessKind::write;
        const std::vector<std::optional<std::uint64_t>> where = data_offsets(a);
        if (s.stale) {
            // The CPU may have used the old translation (SDM Vol. 3A §4.10.4): a read is judged by its expectation
            // alone, as the guest judges it; a write may have gone to the old page or the new one, so the host no
            // longer knows what either holds at those offsets (the offsets in the page are the same in both).
            // The pages it may have reached: the frames earlier accesses of the page reached (the old translations
            // the host saw) and the predicted one (the new); any other frame keeps what the host knows.
            if (write && a.outcome == 0)
                for (const PageWalk& w : walks) {
                    std::set<std::uint64_t> frames;
                    if (const auto it = frames_reached_.find(w.lo & ~std::uint64_t{0xfff}); it != frames_reached_.end())
                        frames = it->second;
                    if (w.p.kind == 0 && have_run_info_ && w.p.pa >= data_base_)
                        frames.insert((w.p.pa - data_base_) >> 12);
                    const bool any_frame = frames.empty();  // nothing known about the page: forget the offsets
                    for (std::uint64_t va = w.lo; va <= w.hi; ++va)
                        std::erase_if(shadow_, [&](const auto& kv) {
                            return ((kv.first ^ va) & 0xfff) == 0 && (any_frame || frames.contains(kv.first >> 12));
                        });
                }
            return;
        }
        // A faulting write stores nothing, on either page of an access across a page boundary: a fault restores the
        // state before the instruction (SDM Vol. 3A §6.5), and only x87/SSE accesses wider than 8 bytes may leave
        // some of their stores visible ("Guaranteed Atomic Operations", §8.1.1) — the shadow keeps its bytes.
        if (!completed(a) || std::any_of(walks.begin(), walks.end(), [](const PageWalk& w) { return w.p.kind != 0; })) {
            if (write && a.crosses != 0 && a.cpl == 0 && !completed(a))
                for (unsigned i = 0; i < where.size(); ++i)
                    if (where[i]) unstored_[*where[i]] = static_cast<std::uint8_t>(a.value >> (8 * i));
            return;
        }
        if (write) {
            for (unsigned i = 0; i < where.size(); ++i)
                if (where[i]) store(*where[i], a.value >> (8 * i), 1);
            return;
        }
        if (s.kind != harness::AccessKind::read || s.implicit) return;
        std::uint64_t expected = 0;
        unsigned compared = 0;
        bool differs = false;
        for (unsigned i = 0; i < where.size(); ++i) {
            const auto byte = where[i] ? known(*where[i], 1) : std::nullopt;
            if (!byte) continue;
            expected |= *byte << (8 * i);
            compared |= 1u << i;
            differs = differs || *byte != ((a.value >> (8 * i)) & 0xff);
        }
        if (!differs) return;
        if (from_faulted_split_write(a, expected, compared)) {
            Disagreement d = disagreement();
            d.value_from_faulted_split_write = true;
            return known_or_fail(d, s.id, "value",
                                 "read " + hex(a.value) + ", but the bytes the host knows there are " + hex(expected),
                                 format_chain(a, mode_));
        }
        const auto whole =
            where.size() == 8 && where.front() && walks.size() == 1 ? known(*where.front(), 8) : std::nullopt;
        wrong_value(s, a, "value",
                    "read " + hex(a.value) + tag_name(a.value) + ", but the predicted physical address " +
                        hex(a.prediction.pa) + (walks.size() > 1 ? " (and " + hex(a.second.pa) + ")" : "") + " holds " +
                        hex(whole.value_or(expected)) + tag_name(whole.value_or(expected)) +
                        (whole ? "" : " in the bytes the host knows"));
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
            for (std::uint64_t frame : earlier->second) {
                const auto v = known(frame * 4096 + (a.va & 0xfff), width_of(a));
                d.value_from_earlier_frame = d.value_from_earlier_frame || (v && *v == a.value);
            }
        return d;
    }

    /// Whether an access agreed with the walker's prediction over the tables in memory: the same outcome and, for a
    /// read whose predicted data the host knows, the same value.
    bool agrees_with_tables(const StepSpec& s, const AccessRecord& a) const {
        const harness::Prediction& p = a.prediction;
        if (p.kind == 1) return a.outcome != 0 && a.vector == vector::page_fault && a.error_code == p.error_code;
        if (p.kind == 2) return a.outcome != 0 && a.vector == vector::general_protection;
        if (p.kind != 0 || !completed(a)) return false;
        if (s.kind != harness::AccessKind::read || s.implicit || a.crosses != 0 || !have_run_info_ || p.pa < data_base_)
            return true;
        const auto v = known(p.pa - data_base_, width_of(a));
        return !v || *v == a.value;
    }

    /// Remembers the data frame a completed, non-stale access reached (the evidence wrong_value looks for).
    void remember_frame(const StepSpec& s, const AccessRecord& a) {
        if (s.stale || a.prediction.kind != 0 || !completed(a) || !have_run_info_ || a.prediction.pa < data_base_)
            return;
        frames_reached_[a.va & ~std::uint64_t{0xfff}].insert((a.prediction.pa - data_base_) >> 12);
    }

    /// A/D bits of each page walk (SDM Vol. 3A §4.8): a successful access used every walk (A everywhere, D in each
    /// leaf for a write); a faulting one used none — an A set on the way, on either page of an access across a page
    /// boundary, is a "may", a D is not: the faulting instruction wrote nothing. Except: the leaf of a page a write
    /// was allowed to, when its other page faulted — the CPU may have set D there before it found the fault (QEMU TCG
    /// and KVM's emulator do; §4.8 sets D on a write and says nothing of an instruction that faults on its other
    /// page): a "may" too.
    void accessed_dirty(const StepSpec& s, const AccessRecord& a) {
        for (const PageWalk& w : page_walks(a)) walk_accessed_dirty(s, a, w);
    }
    void walk_accessed_dirty(const StepSpec& s, const AccessRecord& a, const PageWalk& w) {
        const unsigned top = shape(mode_).levels;
        const bool ok = completed(a) && w.p.kind == 0;
        const bool write = s.kind == harness::AccessKind::write && !s.implicit;
        const bool may_dirty = write && a.crosses != 0 && !completed(a) && w.p.kind == 0;
        for (unsigned i = 0; i < w.count && i < 5; ++i) {
            const unsigned level = top - i;
            if (mode_ == PagingMode::pae && level == 3) continue;  // PDPTE registers have no A bit
            const bool leaf = ok && i + 1 == w.count;
            const std::uint64_t before = w.before[i], after = w.after[i];
            const std::uint64_t allowed = kA | (leaf || (may_dirty && i + 1 == w.count) ? kD : 0);
            const std::string where = level_name(mode_, level) + " @" + hex(w.pa[i]);
            if (((before ^ after) & ~allowed) != 0)
                fail(s.id, "A/D", where + ": bits other than A" + ((allowed & kD) != 0 ? "/D" : "") + " changed",
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
            if (!ok && !may_dirty && i + 1 == w.count && (before & kD) == 0 && (after & kD) != 0)
                fail(s.id, "A/D", where + ": a faulting access set D", format_chain(a, mode_));
        }
    }

    void access(const StepSpec& s, const AccessRecord& a) {
        ++out_.accesses;
        const bool data = s.kind != harness::AccessKind::fetch && !s.implicit;
        const unsigned width = data ? s.width : 0;
        if (a.width != width || (a.crosses != 0) != (data && harness::crosses_page(a.va, width)))
            return fail(s.id, "run",
                        "the access record says " + std::to_string(a.width) + " bytes" +
                            (a.crosses != 0 ? " across a page boundary" : "") + ", the step " + std::to_string(width));
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
    std::map<std::uint64_t, std::uint8_t> shadow_;  ///< data offset → the byte the host knows is there
    std::uint64_t data_base_ = 0;
    std::pair<std::uint64_t, std::uint64_t> tables_{0, 0};  ///< [tables_base, end) of the scenario's page tables
    bool have_run_info_ = false;
    std::uint64_t cr0_ = 0;  ///< CR0 as the guest loaded it (run_info)
    /// Bytes a CPL-0 write across a page boundary would have stored on its allowed page before it faulted on the other
    /// (data offset → byte): the evidence of a partial store (known_deviations.cpp).
    std::map<std::uint64_t, std::uint8_t> unstored_;
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
