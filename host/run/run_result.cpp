// SPDX-License-Identifier: MIT OR Apache-2.0
#include "run/run_result.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <pagewalk/harness/framing.hpp>
#include <sstream>

namespace pagewalk::host {

std::string_view to_string(Outcome o) {
    switch (o) {
        case Outcome::passed:
            return "passed";
        case Outcome::guest_failed:
            return "guest reported failure";
        case Outcome::protocol_error:
            return "protocol error";
        case Outcome::early_stop:
            return "early stop (no final record)";
        case Outcome::triple_fault:
            return "triple fault (shutdown)";
        case Outcome::internal_error:
            return "KVM internal error";
        case Outcome::fail_entry:
            return "VM entry failed";
        case Outcome::mmio:
            return "access to unbacked guest memory (MMIO)";
        case Outcome::halted:
            return "halted";
        case Outcome::timeout:
            return "timeout (watchdog)";
        case Outcome::launch_error:
            return "launch error";
        case Outcome::unexpected_exit:
            return "unexpected VM exit";
        case Outcome::interrupted:
            return "interrupted (signal)";
    }
    return "?";
}

bool RecordCollector::fail(std::string why) {
    if (!failed_) {
        failed_ = true;
        result_.outcome = Outcome::protocol_error;
        result_.detail = std::move(why);
    }
    return false;
}

bool RecordCollector::add_bytes(const std::uint8_t* data, std::size_t size, double ms) {
    if (failed_) return false;
    const harness::DecodeResult d = harness::decode(data, size);
    if (!d.ok()) return fail("record #" + std::to_string(result_.records.size()) + ": " + harness::to_string(d.error));
    if (result_.records.empty()) result_.first_record_ms = ms;
    result_.records.push_back({d.record, ms});
    const harness::StreamError e = checker_.feed(d.record);
    result_.stream = e;
    if (e != harness::StreamError::ok)
        return fail("record #" + std::to_string(result_.records.size() - 1) + ": " + harness::to_string(e));
    return true;
}

bool RecordCollector::add_line(std::string_view line, double ms) {
    // Console output without a newline (a boot loader's escape sequences) may precede a record on the same line.
    if (const auto at = line.find(harness::kLinePrefix); at != std::string_view::npos && at > 0) {
        result_.console.append(line.substr(0, at));
        result_.console.push_back('\n');
        line.remove_prefix(at);
    }
    std::uint8_t bytes[harness::kMaxRecordSize];
    const harness::LineResult l = harness::parse_line(line.data(), line.size(), bytes, sizeof bytes);
    if (l.error == harness::LineError::not_a_record) {
        result_.console.append(line);
        result_.console.push_back('\n');
        return true;
    }
    if (failed_) return false;
    if (l.error != harness::LineError::ok)
        return fail("serial line after record #" + std::to_string(result_.records.size()) + ": " +
                    harness::to_string(l.error));
    return add_bytes(bytes, l.size, ms);
}

void RecordCollector::finish(bool hard_outcome_set) {
    if (failed_ || hard_outcome_set) return;
    const harness::StreamError e = checker_.finish();
    result_.stream = e;
    if (e == harness::StreamError::no_final) {
        result_.outcome = Outcome::early_stop;
        result_.detail =
            "the guest stopped after " + std::to_string(result_.records.size()) + " records without a final record";
        return;
    }
    if (e != harness::StreamError::ok) {
        result_.outcome = Outcome::protocol_error;
        result_.detail = harness::to_string(e);
        return;
    }
    const std::uint32_t status = checker_.final_status();
    if (result_.exit_status >= 0 && static_cast<std::uint32_t>(result_.exit_status) != status) {
        result_.outcome = Outcome::protocol_error;
        result_.detail = "exit status " + std::to_string(result_.exit_status) + " differs from the final record's " +
                         std::to_string(status);
        return;
    }
    result_.outcome = status == 0 ? Outcome::passed : Outcome::guest_failed;
    if (status != 0) result_.detail = "final record status " + std::to_string(status);
}

namespace {

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

/// A program's mode byte as its name ("?" for a value no mode with paging on has).
const char* mode_name(std::uint8_t value) {
    const auto m = paging_mode_from_value(value);
    return m ? to_string(*m) : "?";
}

const char* vector_name(unsigned v) {
    static const char* const names[32] = {"#DE", "#DB",    "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                          "#DF", "#MF(9)", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                          "#MF", "#AC",    "#MC", "#XM", "#VE", "#CP", "#22", "#23",
                                          "#24", "#25",    "#26", "#27", "#HV", "#VC", "#SX", "#31"};
    return v < 32 ? names[v] : "?";
}

/// By harness::AccessKind.
const char* const kAccessKindNames[] = {"read", "write", "fetch"};
static_assert(std::size(kAccessKindNames) == static_cast<std::size_t>(harness::AccessKind::fetch) + 1,
              "one name per AccessKind");
/// By harness::ProgramVerdict (0: none).
const char* const kVerdictNames[] = {"?", "PASS", "FAIL", "SKIP", "ERROR"};
static_assert(std::size(kVerdictNames) == harness::kMaxProgramVerdict + 1u, "one name per ProgramVerdict");

std::string pf_bits(std::uint64_t e) {
    // #PF error code (Intel SDM Vol. 3A §4.7, Figure 4-12).
    static const char* const bits[] = {"P", "W", "U", "RSVD", "I/D", "PK", "SS", "HLAT"};
    std::string s;
    for (int i = 0; i < 8; ++i) {
        if ((e & (1u << i)) == 0) continue;
        if (!s.empty()) s += ' ';
        s += bits[i];
    }
    return s.empty() ? "-" : s;
}

const char* entry_name(std::uint8_t e) {
    switch (e) {
        case 1:
            return "multiboot1";
        case 2:
            return "multiboot2";
        case 3:
            return "direct64";
        default:
            return "unknown";
    }
}

}  // namespace

std::string format_prediction(const harness::Prediction& p) {
    switch (p.kind) {
        case 0:
            return "ok pa=" + hex(p.pa) + " (level " + std::to_string(p.level) + ")";
        case 1:
            return std::string("#PF err=") + hex(p.error_code) + " (" + pf_bits(p.error_code) + ") at level " +
                   std::to_string(p.level);
        case 2:
            return "#GP";
        default:
            return "memory error at " + hex(p.pa);
    }
}

std::string format_record(const harness::DecodedRecord& r) {
    std::ostringstream o;
    o << "#" << r.header().sequence << " ";
    if (const auto* h = r.hello()) {
        const std::string vendor(h->vendor, sizeof h->vendor);
        o << "hello v" << h->protocol_version << " entry=" << entry_name(h->entry_path)
          << " transport=" << (h->transport == 1 ? "hypercall" : "serial") << " code=" << int{h->code_bits}
          << "-bit build=" << hex(h->build_id) << " cpu=" << vendor << " maxphyaddr=" << int{h->maxphyaddr}
          << " cr0=" << hex(h->cr0) << " cr4=" << hex(h->cr4) << " efer=" << hex(h->efer);
    } else if (const auto* l = r.log()) {
        o << "log: " << std::string(l->text, l->text_length);
    } else if (const auto* x = r.exception()) {
        o << "exception step " << x->step << ": " << vector_name(x->vector);
        if (x->has_error_code)
            o << " err=" << hex(x->error_code) << (x->vector == 14 ? " (" + pf_bits(x->error_code) + ")" : "");
        o << " cr2=" << hex(x->cr2) << " rip=" << hex(x->rip) << " cs=" << hex(x->cs) << " cpl=" << int{x->cpl}
          << " rflags=" << hex(x->rflags) << (x->expected ? "" : " UNEXPECTED");
    } else if (const auto* ri = r.run_info()) {
        o << "run_info scenario " << ri->scenario_id << " mode " << int{ri->mode} << " data=" << hex(ri->data_base)
          << "+" << hex(ri->data_bytes) << " tables=" << hex(ri->tables_base) << " cr0=" << hex(ri->cr0)
          << " cr3=" << hex(ri->cr3) << " cr4=" << hex(ri->cr4) << " efer=" << hex(ri->efer)
          << " pkru=" << hex(ri->pkru) << " cpuid_features=" << hex(ri->cpu_features);
    } else if (const auto* an = r.announce()) {
        o << "announce step " << an->step << ": " << ((an->access_flags & 2) ? "implicit " : "")
          << kAccessKindNames[an->kind % std::size(kAccessKindNames)] << " " << hex(an->va) << " cpl " << int{an->cpl}
          << ((an->access_flags & 1) ? " ac" : "") << " predicted " << format_prediction(an->prediction);
    } else if (const auto* a = r.access()) {
        o << "access step " << a->step << ": " << ((a->access_flags & 2) ? "implicit " : "")
          << kAccessKindNames[a->kind % std::size(kAccessKindNames)] << " " << hex(a->va) << " cpl " << int{a->cpl}
          << ((a->access_flags & 1) ? " ac" : "") << " → ";
        if (a->outcome == 0)
            o << "ok value=" << hex(a->value);
        else
            o << vector_name(a->vector) << " err=" << hex(a->error_code)
              << (a->vector == 14 ? " (" + pf_bits(a->error_code) + ")" : "") << " cr2=" << hex(a->cr2);
        o << "; predicted " << format_prediction(a->prediction);
    } else if (const auto* e = r.entry()) {
        o << "entry step " << e->step << ": level " << int{e->level} << " for " << hex(e->va)
          << (e->found ? " at " + hex(e->entry_pa) + " = " + hex(e->value) : std::string(" not found"));
    } else if (const auto* sf = r.step_failed()) {
        o << "step_failed step " << sf->step << " (op " << sf->op << "): reason " << int{sf->reason} << " code "
          << int{sf->detail_code} << " address " << hex(sf->address) << " detail " << hex(sf->detail);
    } else if (const auto* w = r.control_write()) {
        o << "control_write step " << w->step << ": mov " << hex(w->value) << " to cr" << int{w->reg} << " → ";
        if (w->outcome == 0)
            o << "ok";
        else
            o << vector_name(w->vector) << " err=" << hex(w->error_code);
        if (w->loads_pdptes != 0) {
            o << "; PDPTE load from " << hex(w->cr3) << " [" << hex(w->pdpt[0]) << " " << hex(w->pdpt[1]) << " "
              << hex(w->pdpt[2]) << " " << hex(w->pdpt[3]) << "] predicted ";
            if (w->predicted_vector == 13)
                o << "#GP (PDPTE " << int{w->pdpte_index} << " reserved " << hex(w->reserved_bits) << ")";
            else
                o << "ok";
        }
    } else if (const auto* b = r.program_begin()) {
        o << "program_begin module " << b->module_index + 1 << "/" << b->module_count << ": scenario " << b->scenario_id
          << " " << mode_name(b->mode) << " '" << std::string(b->name, strnlen(b->name, sizeof b->name)) << "' "
          << b->module_bytes << " bytes at " << hex(b->module_start) << ", " << int{b->code_bits} << "-bit world";
    } else if (const auto* pe = r.program_end()) {
        o << "program_end module " << pe->module_index + 1 << ": scenario " << pe->scenario_id << " "
          << kVerdictNames[pe->verdict <= harness::kMaxProgramVerdict ? pe->verdict : 0] << " (" << pe->steps_executed
          << " steps run, " << pe->steps_judged << " judged, " << pe->steps_failed << " failed";
        if (pe->steps_failed != 0) o << ", first " << pe->first_failed_step << " checks " << hex(pe->failed_checks);
        if (pe->reason != 0) o << ", reason " << int{pe->reason} << " detail " << hex(pe->detail);
        o << ")";
    } else if (const auto* mb = r.matrix_begin()) {
        o << "matrix_begin mode " << int{mb->mode} << " [" << mb->begin << ", " << mb->end << ") stride " << mb->stride
          << " phase " << mb->phase << " batch " << mb->batch << " features " << hex(mb->cpu_features) << " maxphyaddr "
          << int{mb->maxphyaddr} << ", " << int{mb->code_bits} << "-bit world";
    } else if (const auto* bl = r.matrix_block()) {
        o << "matrix_block " << bl->state << " [" << bl->first << ".." << bl->last << "]: " << bl->run << " run, "
          << bl->agreed << " agreed, " << bl->mismatched << " mismatched, " << bl->illegal << " illegal, "
          << bl->inapplicable << " inapplicable, " << bl->elsewhere << " elsewhere; A on fault "
          << bl->accessed_on_fault << "/" << (bl->accessed_on_fault + bl->clean_on_fault) << " digest "
          << hex(bl->digest) << "; " << bl->cycles << " TSC cycles, " << bl->access_cycles << " live";
    } else if (const auto* mc = r.matrix_case()) {
        o << "matrix_case " << mc->number << ": index " << mc->index << (mc->mismatch != 0 ? " MISMATCH " : " sample ")
          << hex(mc->mismatch) << " leaf level " << int{mc->leaf_level} << " va " << hex(mc->va) << " cr0 "
          << hex(mc->cr0) << " cr4 " << hex(mc->cr4) << " efer " << hex(mc->efer) << " expected "
          << hex(mc->expected_value) << " memory after " << hex(mc->memory_after);
    } else if (const auto* cal = r.matrix_calibration()) {
        o << "matrix_calibration phase " << cal->phase << " after " << cal->iterations << " iterations";
    } else if (const auto* mk = r.matrix_class()) {
        o << "matrix_class: " << mk->count << " mismatches " << hex(mk->mismatch) << ", " << mk->examples
          << " sent from case " << mk->first_case << "; predicted class " << int{mk->outcome_class} << " err "
          << hex(mk->predicted_error) << ", observed " << (mk->outcome != 0 ? vector_name(mk->vector) : "ok") << " err "
          << hex(mk->error_code) << "; access kind " << int{mk->kind} << " cpl " << int{mk->cpl} << " flags "
          << int{mk->access_flags} << " leaf level " << int{mk->leaf_level};
    } else if (const auto* me = r.matrix_end()) {
        o << "matrix_end status " << int{me->status} << " detail " << me->detail << ": " << me->selected
          << " selected, " << me->run << " run, " << me->agreed << " agreed, " << me->mismatched << " mismatched, "
          << me->illegal << " illegal, " << me->inapplicable << " inapplicable, " << me->elsewhere << " elsewhere, "
          << me->cases_sent << " cases sent, " << me->cases_dropped << " dropped, " << me->classes << " classes, "
          << me->unclassified << " unclassified";
    } else if (const auto* f = r.final_record()) {
        o << "final records=" << f->records << " steps=" << f->steps << " digest=" << hex(f->digest)
          << " status=" << f->status;
    } else {
        o << "type " << r.header().type;
    }
    return o.str();
}

std::string format_result(const RunResult& r, bool verbose) {
    std::ostringstream o;
    char timing[160];
    if (r.first_record_ms >= 0)
        std::snprintf(timing, sizeof timing, "setup %.3f ms, first record %.3f ms, total %.3f ms", r.setup_ms,
                      r.first_record_ms, r.total_ms);
    else
        std::snprintf(timing, sizeof timing, "setup %.3f ms, no record, total %.3f ms", r.setup_ms, r.total_ms);
    o << r.backend;
    if (!r.entry.empty()) o << " [" << r.entry << "]";
    o << ": " << to_string(r.outcome);
    if (!r.detail.empty()) o << ": " << r.detail;
    o << "\n  " << timing << "\n";
    const std::size_t shown = (verbose || r.passed()) ? r.records.size() : std::min<std::size_t>(r.records.size(), 8);
    if (shown < r.records.size()) o << "  last " << shown << " of " << r.records.size() << " records:\n";
    for (std::size_t i = r.records.size() - shown; i < r.records.size(); ++i) {
        char t[32];
        std::snprintf(t, sizeof t, "%9.3f ms ", r.records[i].ms);
        o << "  " << t << format_record(r.records[i].record) << "\n";
    }
    if (!r.console.empty()) o << "  console:\n" << r.console;
    if (!r.registers.empty() && !r.passed()) o << "  registers:\n" << r.registers;
    return o.str();
}

}  // namespace pagewalk::host
