// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: what a block record must say, computed by the host — which of the job's selected indices in the
// block are illegal, left to another backend, inapplicable on the guest's CPU, or run; how the run ones are predicted
// (outcome class, whether A may be set on a fault); and which of them the job samples. A guest that skipped a
// combination, ran one it should not, or misclassified one disagrees with these counts.
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/matrix/outcome.hpp>
#include <vector>

namespace pagewalk::host::matrix {

namespace hm = harness::matrix;

struct BlockExpectation {
    std::uint64_t selected = 0, illegal = 0, elsewhere = 0, inapplicable = 0, run = 0;
    std::uint64_t by_class[hm::kOutcomeClasses] = {};  ///< run combinations per predicted outcome class
    std::uint64_t may_set_accessed = 0;                ///< run combinations predicted to fault with A a "may"
    std::vector<std::uint64_t> sampled;                ///< run indices the job samples (reported if they agree)
};

/// The first index at or above `i` that `job` selects (job.end or beyond when none).
std::uint64_t first_selected(const hm::Job& job, std::uint64_t i);
/// The last index below `end` that `job` selects, if any is at or above `from`.
bool last_selected_below(const hm::Job& job, std::uint64_t from, std::uint64_t end, std::uint64_t& out);

/// The expectation of the selected indices of `job` in [first, last] (one control state) on `cpu`: legality first,
/// then Job::only_needing, then applicability (the order of the count fields).
BlockExpectation expect_block(const hm::Matrix& m, const hm::Job& job, const CpuFeatures& cpu, std::uint64_t first,
                              std::uint64_t last);

}  // namespace pagewalk::host::matrix
