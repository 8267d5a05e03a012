// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the host's judgement of one reported case (a matrix_case record and its access record), made
// without trusting the guest: the index is decoded again, the entries rebuilt from the case's layout and compared
// with those the guest reports, the access predicted by the host's walker and compared with the guest walker's
// prediction, and the CPU's outcome, A/D bits and data judged against the host's prediction (SDM Vol. 3A §4.7,
// §4.8). The guest's own verdict (the case's mismatch bits) must equal the host's.
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/matrix_records.hpp>
#include <string>

#include "check/known_deviations.hpp"

namespace pagewalk::host::matrix {

namespace hm = harness::matrix;

/// What one boot's cases are judged with: the job, its space and the guest's CPU (matrix_begin).
struct CaseContext {
    const hm::Matrix& matrix;
    const hm::Job& job;
    const CpuFeatures& cpu;
};

struct CaseJudgement {
    /// The guest's report is wrong — the index, the registers, the entries, the guest walker's prediction or its own
    /// verdict — whatever the CPU did: a failure no backend deviation explains. "" when the report holds.
    std::string report_error;
    std::uint8_t mismatch = 0;  ///< the host's mismatch bits (hm::mismatch) of the CPU against the host's prediction
    std::string mismatch_text;  ///< what disagreed, in words
    std::uint8_t predicted_kind = 0;
    check::Disagreement evidence;  ///< for the list of known deviations (backend fields left empty)
    /// PAE: the PDPTE in memory changed (the CPU writes no PDPTE, SDM Vol. 3A §4.4.1). Judged apart from the mismatch
    /// bits, as the guest's verdict leaves the PDPTE out (a register): the checker requires a known deviation whose
    /// evidence is exactly this change, else it fails.
    bool pdpte_written = false;
    std::uint64_t pdpte_before = 0, pdpte_after = 0;
};

/// Judges case `c` and its access record `a`.
CaseJudgement judge_case(const CaseContext& ctx, const harness::MatrixCaseRecord& c, const harness::AccessRecord& a);

/// The mismatch bits a known deviation that matched `j.evidence` accounts for: the outcome and error code; when the
/// CPU completed an access the host predicted to fault, also the A/D bits and the data (the access then happened).
std::uint8_t explained_by_deviation(const CaseJudgement& j);

/// "outcome, error code/CR2, value, A/D" for mismatch bits.
std::string mismatch_names(std::uint8_t bits);

}  // namespace pagewalk::host::matrix
