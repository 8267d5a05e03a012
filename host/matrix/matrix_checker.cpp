// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/matrix_checker.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "check/chain.hpp"
#include "matrix/block_audit.hpp"
#include "matrix/case_check.hpp"
#include "matrix/host_walk.hpp"

namespace pagewalk::host::matrix {
namespace {

/// Failures listed in full per check ("case", "mismatch", "block" …); the rest are counted in one more finding each.
constexpr std::uint64_t kListedFailures = 10;

std::string count_mismatch(const char* what, std::uint64_t guest, std::uint64_t host) {
    return std::string(what) + ": the guest counts " + std::to_string(guest) + ", the host " + std::to_string(host);
}

}  // namespace

MatrixChecker::MatrixChecker(const hm::Job& job, check::BackendInfo backend)
    : job_(job), backend_(std::move(backend)) {}

void MatrixChecker::fail(const std::string& check, const std::string& message, const std::string& detail) {
    if (++failures_[check] > kListedFailures) return;
    check::Finding f;
    f.check = check;
    f.message = message;
    f.detail = detail;
    eval_.add(std::move(f));
}

void MatrixChecker::add(const harness::DecodedRecord& r) {
    if (const auto* b = r.matrix_begin()) return begin(*b);
    if (ended_ && (r.matrix_case() || r.matrix_block() || r.matrix_end()))
        return fail("run", "a matrix record after matrix_end: " + format_record(r));
    if (const auto* c = r.matrix_case()) {
        if (!matrix_) return fail("run", "a matrix_case before matrix_begin");
        if (pending_) fail("run", "case " + std::to_string(pending_->number) + " has no access record");
        pending_ = *c;
        return;
    }
    if (const auto* a = r.access()) return matrix_case(*a);
    if (const auto* b = r.matrix_block()) return block(*b);
    if (const auto* e = r.matrix_end()) return end(*e);
    if (const auto* k = r.matrix_class()) return mismatch_class(*k);
    if (const auto* x = r.exception(); x != nullptr && x->expected == 0)
        return fail("run", "unexpected " + format_record(r));
    if (const auto* l = r.log()) {
        const std::string_view text(l->text, l->text_length);
        unknown_test_ = unknown_test_ || text.find("unknown pw.test=matrix") != std::string_view::npos;
    }
}

void MatrixChecker::begin(const harness::MatrixBeginRecord& b) {
    if (matrix_) return fail("run", "a second matrix_begin");
    const bool same = b.mode == job_.mode && b.space == job_.space && b.begin == job_.begin && b.end == job_.end &&
                      b.stride == job_.stride && b.phase == job_.phase && b.seed == job_.seed &&
                      b.sample_every == job_.sample_every && b.mutations == job_.mutations;
    if (!same)
        return fail("run", "matrix_begin does not repeat the job the host sent (mode " + std::to_string(b.mode) + " [" +
                               std::to_string(b.begin) + ", " + std::to_string(b.end) + ") stride " +
                               std::to_string(b.stride) + " phase " + std::to_string(b.phase) + ")");
    matrix_.emplace(static_cast<PagingMode>(job_.mode), static_cast<hm::Space>(job_.space));
    if (b.count != matrix_->count())
        fail("run", count_mismatch("the space's size", b.count, matrix_->count()) + " (another space definition?)");
    cpu_ = cpu_of(b);
}

void MatrixChecker::matrix_case(const harness::AccessRecord& a) {
    if (a.scenario_id != harness::kMatrixScenario) return;
    if (!pending_) return fail("run", "an access record (step " + std::to_string(a.step) + ") without its matrix_case");
    const harness::MatrixCaseRecord c = *pending_;
    pending_.reset();
    if (a.step != c.number)
        return fail("run",
                    "case " + std::to_string(c.number) + ": the access record is step " + std::to_string(a.step));
    if (c.number != tally_.cases)
        fail("run", "case " + std::to_string(c.number) + " arrived as case " + std::to_string(tally_.cases) +
                        " (cases lost or repeated)");
    ++tally_.cases;
    block_cases_.push_back({c.index, c.mismatch != 0});
    if (c.mismatch != 0) ++reported_mismatches_;  // as the guest counts them against Job::max_cases
    const CaseJudgement j = judge_case({*matrix_, job_, cpu_}, c, a);
    const PagingMode mode = matrix_->mode();
    if (c.mismatch != 0) mismatches_.push_back({c, a, ""});
    if (!j.report_error.empty()) {
        ++tally_.bad_reports;
        return fail("case", j.report_error, check::format_chain(a, mode));
    }
    if (j.pdpte_written && !pdpte_write_explained(j)) return;
    if (j.mismatch == 0) {
        ++tally_.samples_verified;
        return;
    }
    check::Disagreement d = j.evidence;
    d.backend = backend_.name;
    d.backend_version = backend_.version;
    const auto known = check::match_known_deviation(d);
    if (known && (j.mismatch & ~explained_by_deviation(j)) == 0) {
        ++tally_.deviations[known->id];
        mismatches_.back().deviation = known->id;
        return;
    }
    ++tally_.unexplained;
    fail("mismatch",
         "case " + std::to_string(c.number) + " (index " + std::to_string(c.index) + ", " +
             hm::to_string(static_cast<hm::OutcomeClass>(c.outcome_class)) + "): " + mismatch_names(j.mismatch) +
             " — " + j.mismatch_text +
             (known ? "beyond what " + std::string(known->id) + " explains" : "no known deviation"),
         check::format_chain(a, mode));
}

bool MatrixChecker::pdpte_write_explained(const CaseJudgement& j) {
    check::Disagreement d;
    d.backend = backend_.name;
    d.backend_version = backend_.version;
    d.mode = static_cast<std::uint8_t>(PagingMode::pae);
    d.entry_read = true;
    d.entry_level = 3;
    d.entry_unexpected = j.pdpte_before ^ j.pdpte_after;
    d.entry_value = j.pdpte_after;
    if (const auto known = check::match_known_deviation(d)) {
        ++tally_.deviations[known->id];
        return true;
    }
    ++tally_.unexplained;
    fail("mismatch", "a PAE PDPTE in memory changed " + check::hex(j.pdpte_before) + " -> " +
                         check::hex(j.pdpte_after) +
                         " (the CPU writes no PDPTE, SDM Vol. 3A 4.4.1): no known deviation");
    return false;
}

void MatrixChecker::block(const harness::MatrixBlockRecord& b) {
    if (!matrix_) return fail("run", "a matrix_block before matrix_begin");
    if (pending_) {
        fail("run", "case " + std::to_string(pending_->number) + " has no access record");
        pending_.reset();
    }
    const std::vector<SeenCase> cases = std::exchange(block_cases_, {});
    const std::uint64_t size = matrix_->block().size;
    const std::string name =
        "block " + std::to_string(b.state) + " [" + std::to_string(b.first) + ".." + std::to_string(b.last) + "]";
    const std::uint64_t start = std::max(job_.begin, b.state * size);
    const std::uint64_t stop = std::min(job_.end, (b.state + 1) * size);
    std::uint64_t last = 0;
    if (b.state >= matrix_->states() || !last_selected_below(job_, start, stop, last) ||
        b.first != first_selected(job_, start) || b.last != last)
        return fail("block", name + ": not the job's selected indices of that control state");
    if (last_index_ && b.first <= *last_index_) return fail("block", name + ": overlaps an earlier block");
    last_index_ = b.last;
    ++blocks_;
    const BlockExpectation e = expect_block(*matrix_, job_, cpu_, b.first, b.last);
    covered_ += e.selected;
    const std::pair<const char*, std::pair<std::uint64_t, std::uint64_t>> counts[] = {
        {"illegal", {b.illegal, e.illegal}},
        {"left to another backend", {b.elsewhere, e.elsewhere}},
        {"inapplicable", {b.inapplicable, e.inapplicable}},
        {"run", {b.run, e.run}},
        {"run = agreed + mismatched", {b.agreed + std::uint64_t{b.mismatched}, e.run}},
        {"faults where A may be set", {b.accessed_on_fault + std::uint64_t{b.clean_on_fault}, e.may_set_accessed}},
    };
    for (const auto& [what, v] : counts)
        if (v.first != v.second) fail("block", name + ": " + count_mismatch(what, v.first, v.second));
    std::uint64_t agreed_by_class = 0, mismatched_by_class = 0;
    for (unsigned k = 0; k < hm::kOutcomeClasses; ++k) {
        agreed_by_class += b.by_class[k];
        if (b.by_class[k] > e.by_class[k])
            fail("block",
                 name + ": " +
                     count_mismatch(hm::to_string(static_cast<hm::OutcomeClass>(k)), b.by_class[k], e.by_class[k]) +
                     " predicted");
        else
            mismatched_by_class += e.by_class[k] - b.by_class[k];
    }
    if (agreed_by_class != b.agreed)
        fail("block", name + ": " + count_mismatch("agreements by class", agreed_by_class, b.agreed));
    if (mismatched_by_class != b.mismatched)
        fail("block",
             name + ": " +
                 count_mismatch("mismatches (the predicted classes not agreed)", b.mismatched, mismatched_by_class));
    std::uint64_t mismatch_cases = 0;
    for (const SeenCase& c : cases) {
        if (c.index < b.first || c.index > b.last)
            fail("block", name + ": holds a case of index " + std::to_string(c.index));
        mismatch_cases += c.mismatch ? 1 : 0;
    }
    if (mismatch_cases > b.mismatched)
        fail("block", name + ": " + count_mismatch("mismatches", b.mismatched, mismatch_cases));
    // Every sampled combination is reported: in full when it agreed, and as a mismatch unless its class had its
    // Job::max_cases examples already (the end record says whether any mismatch was counted only).
    for (std::uint64_t i : e.sampled) {
        const bool seen = std::any_of(cases.begin(), cases.end(), [&](const SeenCase& c) { return c.index == i; });
        if (!seen && missing_samples_++ == 0) first_missing_sample_ = i;
    }
    tally_.selected += e.selected;
    static constexpr std::pair<std::uint64_t MatrixTally::*, std::uint32_t harness::MatrixBlockRecord::*> kSums[] = {
        {&MatrixTally::run, &harness::MatrixBlockRecord::run},
        {&MatrixTally::agreed, &harness::MatrixBlockRecord::agreed},
        {&MatrixTally::mismatched, &harness::MatrixBlockRecord::mismatched},
        {&MatrixTally::illegal, &harness::MatrixBlockRecord::illegal},
        {&MatrixTally::inapplicable, &harness::MatrixBlockRecord::inapplicable},
        {&MatrixTally::elsewhere, &harness::MatrixBlockRecord::elsewhere},
        {&MatrixTally::accessed_on_fault, &harness::MatrixBlockRecord::accessed_on_fault},
        {&MatrixTally::clean_on_fault, &harness::MatrixBlockRecord::clean_on_fault}};
    for (const auto& [total, count] : kSums) tally_.*total += b.*count;
    for (unsigned k = 0; k < hm::kOutcomeClasses; ++k) tally_.by_class[k] += b.by_class[k];
    tally_.guest_cycles += b.cycles;
    tally_.access_cycles += b.access_cycles;
}

void MatrixChecker::end(const harness::MatrixEndRecord& e) {
    ended_ = true;
    const auto status = static_cast<harness::MatrixStatus>(e.status);
    if (status == harness::MatrixStatus::unsupported_mode) {
        eval_.verdict = check::Verdict::skip;
        eval_.reason = std::string("the guest cannot run ") + to_string(static_cast<PagingMode>(job_.mode)) +
                       " paging on this backend (its CPU or entry path lacks it)";
        return;
    }
    if (status != harness::MatrixStatus::ok) {
        static const char* const why[] = {"ok", "the guest rejected the job", "unsupported mode",
                                          "the guest's memory is too small", "an exception outside an access"};
        eval_.run_broke = true;
        return fail("run", std::string("the matrix job did not run: ") + why[std::min<unsigned>(e.status, 4)] +
                               " (detail " + std::to_string(e.detail) + ")");
    }
    const std::uint64_t selected = hm::selected(job_);
    const std::pair<const char*, std::pair<std::uint64_t, std::uint64_t>> totals[] = {
        {"selected", {e.selected, selected}},
        {"selected indices in the blocks", {covered_, selected}},
        {"run", {e.run, tally_.run}},
        {"agreed", {e.agreed, tally_.agreed}},
        {"mismatched", {e.mismatched, tally_.mismatched}},
        {"illegal", {e.illegal, tally_.illegal}},
        {"inapplicable", {e.inapplicable, tally_.inapplicable}},
        {"left to another backend", {e.elsewhere, tally_.elsewhere}},
        {"cases sent", {e.cases_sent, tally_.cases}},
        {"mismatches counted only",
         {e.cases_dropped, tally_.mismatched - std::min(tally_.mismatched, reported_mismatches_)}},
    };
    for (const auto& [what, v] : totals)
        if (v.first != v.second) fail("end", "matrix_end: " + count_mismatch(what, v.first, v.second));
    if (missing_samples_ > e.cases_dropped)
        fail("block", std::to_string(missing_samples_) + " sampled combinations were not reported (the first: index " +
                          std::to_string(first_missing_sample_) + "), more than the mismatches counted only");
    if (counted_in_classes_ != e.cases_dropped)
        fail("end", "matrix_end: " +
                        count_mismatch("mismatches counted only in their class", e.cases_dropped, counted_in_classes_));
    if (e.unclassified != 0) {
        tally_.unexplained += e.unclassified;
        fail("mismatch", std::to_string(e.unclassified) +
                             " mismatches fit no class of the guest's table: counted only, unjudged, they fail");
    }
}

/// A class of mismatches: its examples were judged as cases; the rest of it (counted only) is explained by the known
/// deviation that explained every example, else it fails.
void MatrixChecker::mismatch_class(const harness::MatrixClassRecord& k) {
    // A case is of the class when what the class names is what the case says: the verdict, the prediction, what
    // the CPU did (vector and error code only for an exception) and the access.
    const auto of_class = [&](const MismatchSeen& m) {
        const harness::AccessRecord& a = m.access;
        const bool exception = a.outcome != 0;
        return k.mismatch == m.report.mismatch && k.outcome_class == m.report.outcome_class &&
               k.leaf_level == m.report.leaf_level && k.predicted_kind == a.prediction.kind &&
               k.predicted_error == a.prediction.error_code && k.outcome == a.outcome &&
               k.vector == (exception ? a.vector : 0) && k.error_code == (exception ? a.error_code : 0) &&
               k.kind == a.kind && k.cpl == a.cpl && k.access_flags == a.access_flags;
    };
    std::uint64_t examples = 0;
    std::string deviation;
    bool one_deviation = true;
    const MismatchSeen* first = nullptr;
    for (const MismatchSeen& m : mismatches_) {
        if (!of_class(m)) continue;
        if (examples++ == 0) {
            deviation = m.deviation;
            first = &m;
        }
        one_deviation = one_deviation && !m.deviation.empty() && m.deviation == deviation;
    }
    if (first != nullptr) class_examples_.push_back({k, first->report, first->access, one_deviation ? deviation : ""});
    const std::string name = "class of " + std::to_string(k.count) + " mismatches (" + mismatch_names(k.mismatch) +
                             ", " + hm::to_string(static_cast<hm::OutcomeClass>(k.outcome_class)) + ")";
    if (examples != k.examples || k.count < k.examples)
        return fail("class", name + ": " + count_mismatch("examples sent in full", k.examples, examples));
    const std::uint64_t rest = k.count - k.examples;
    counted_in_classes_ += rest;
    if (rest == 0) return;
    if (examples != 0 && one_deviation) {
        tally_.deviations[deviation] += rest;
        return;
    }
    tally_.unexplained += rest;
    fail("mismatch", name + ": " + std::to_string(rest) + " counted only, and no known deviation explains " +
                         (examples == 0 ? "a class without examples" : "all its examples"));
}

void MatrixChecker::finish(const RunResult& run) {
    if (pending_) fail("run", "case " + std::to_string(pending_->number) + " has no access record");
    const bool complete = run.outcome == Outcome::passed || run.outcome == Outcome::guest_failed;
    if (unknown_test_ && !matrix_) {
        eval_.verdict = check::Verdict::skip;
        eval_.reason = "the guest has no access-matrix runner (it answers unknown pw.test=matrix)";
    } else if (!complete) {
        eval_.run_broke = true;
        fail("run", std::string(to_string(run.outcome)) + (run.detail.empty() ? "" : ": " + run.detail),
             format_result(run, false));
    } else if (!ended_ && eval_.verdict != check::Verdict::skip) {
        eval_.run_broke = true;
        fail("run", matrix_ ? "no matrix_end record: the job did not finish"
                            : "the guest ran no matrix job (no matrix_begin record)");
    }
    for (const auto& [check, n] : failures_) {
        if (n <= kListedFailures) continue;
        check::Finding f;
        f.check = check;
        f.message = std::to_string(n - kListedFailures) + " more failures of this check not listed";
        eval_.add(std::move(f));
    }
    for (const auto& [id, n] : tally_.deviations) {
        check::Finding f;
        f.severity = check::Finding::Severity::known_deviation;
        f.check = "mismatch";
        f.deviation_id = id;
        f.message = std::to_string(n) + " mismatches explained by the known deviation " + id;
        eval_.add(std::move(f));
    }
    eval_.accesses = static_cast<unsigned>(tally_.cases);
    eval_.conclude();
}

}  // namespace pagewalk::host::matrix
