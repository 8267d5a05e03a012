// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: judging one boot of a matrix job from its records, independently of the guest. Every reported case
// is judged by the host (case_check.hpp); every block's counts are recomputed from the job's indices
// (block_audit.hpp), so a guest that skips, adds or misclassifies a combination is caught; the end record's totals
// must be the blocks' sums. A mismatch is counted under the known backend deviation that matches its exact evidence
// (check/known_deviations.hpp), else it is a failure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <string>
#include <vector>

#include "check/evaluate.hpp"
#include "check/findings.hpp"
#include "matrix/case_check.hpp"
#include "run/run_result.hpp"

namespace pagewalk::host::matrix {

namespace hm = harness::matrix;

/// What one boot ran, as the checker counted it (the guest's block counts, once they agreed with the host's).
struct MatrixTally {
    std::uint64_t selected = 0, run = 0, agreed = 0, mismatched = 0, illegal = 0, inapplicable = 0, elsewhere = 0;
    std::uint64_t by_class[hm::kOutcomeClasses] = {};
    std::uint64_t accessed_on_fault = 0, clean_on_fault = 0;
    std::uint64_t cases = 0;                          ///< case records judged
    std::uint64_t samples_verified = 0;               ///< sampled agreements the host confirmed
    std::map<std::string, std::uint64_t> deviations;  ///< known deviation id → mismatches it explains
    std::uint64_t unexplained = 0;                    ///< mismatches no known deviation explains (dropped ones too)
    std::uint64_t bad_reports =
        0;  ///< cases whose report is wrong (entries, registers, prediction, the guest's verdict)
    std::uint64_t guest_cycles = 0;   ///< TSC cycles of the blocks in the guest
    std::uint64_t access_cycles = 0;  ///< of them, the live phases (MOV to CR3 and the accesses)
};

/// A class of mismatches (a matrix_class record) and its first example as reported in full: what
/// `--emit-scenarios` turns into a scenario (emit_scenarios.hpp).
struct ClassExample {
    harness::MatrixClassRecord cls{};
    harness::MatrixCaseRecord report{};
    harness::AccessRecord access{};
    std::string deviation;  ///< the known deviation that explained every example of the class; "" none
};

class MatrixChecker {
public:
    MatrixChecker(const hm::Job& job, check::BackendInfo backend);

    /// Every record of the boot, in order.
    void add(const harness::DecodedRecord& r);
    /// After the boot: how it ended (a matrix_end must have arrived, the stream must be complete).
    void finish(const RunResult& run);

    [[nodiscard]] const MatrixTally& tally() const { return tally_; }
    /// The verdict and findings (failures capped, with a count of the rest; one finding per known deviation).
    [[nodiscard]] const check::Evaluation& evaluation() const { return eval_; }
    /// Blocks checked so far (progress).
    [[nodiscard]] std::uint64_t blocks() const { return blocks_; }
    /// Every class of mismatches the boot reported with at least one example, in the order of its records.
    [[nodiscard]] const std::vector<ClassExample>& class_examples() const { return class_examples_; }
    /// The guest's CPU (from matrix_begin).
    [[nodiscard]] const CpuFeatures& cpu() const { return cpu_; }

private:
    void begin(const harness::MatrixBeginRecord& b);
    void matrix_case(const harness::AccessRecord& a);
    void block(const harness::MatrixBlockRecord& b);
    void end(const harness::MatrixEndRecord& e);
    void mismatch_class(const harness::MatrixClassRecord& k);
    /// A PAE PDPTE the CPU wrote (CaseJudgement::pdpte_written): counted under the known deviation of exactly that
    /// evidence, else a failure (false).
    bool pdpte_write_explained(const CaseJudgement& j);
    void fail(const std::string& check, const std::string& message, const std::string& detail = {});

    hm::Job job_;
    check::BackendInfo backend_;
    std::optional<hm::Matrix> matrix_;
    CpuFeatures cpu_{};
    std::optional<harness::MatrixCaseRecord> pending_;  ///< a case whose access record is next
    struct SeenCase {
        std::uint64_t index;
        bool mismatch;
    };
    std::vector<SeenCase> block_cases_;  ///< the cases since the last block record
    std::uint64_t reported_mismatches_ = 0;
    /// A mismatch reported in full and the known deviation that explained it ("": none, or a wrong report).
    struct MismatchSeen {
        harness::MatrixCaseRecord report;
        harness::AccessRecord access;
        std::string deviation;
    };
    std::vector<MismatchSeen> mismatches_;
    std::vector<ClassExample> class_examples_;
    std::uint64_t counted_in_classes_ = 0;  ///< mismatches beyond their class's examples (matrix_class)
    std::uint64_t missing_samples_ = 0, first_missing_sample_ = 0;
    std::uint64_t covered_ = 0;  ///< selected indices the blocks accounted for
    std::optional<std::uint64_t> last_index_;
    std::uint64_t blocks_ = 0;
    bool ended_ = false, unknown_test_ = false;
    std::map<std::string, std::uint64_t> failures_;  ///< per check
    MatrixTally tally_;
    check::Evaluation eval_;
};

}  // namespace pagewalk::host::matrix
