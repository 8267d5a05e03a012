// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix --full: before a run of the full space starts, its size and how long it will take — measured on a
// short seeded slice of each row first, never guessed.
#pragma once

#include <string>
#include <vector>

#include "matrix/job_plan.hpp"
#include "matrix/matrix_run.hpp"

namespace pagewalk::host::matrix {

/// Indices of each row's slice that the forecast boots (a `--limit` slice over the row's range).
inline constexpr std::uint64_t kForecastSlice = 200000;

/// Per row: the indices it selects, the legal share of them (closed-form counts), and at most how long the row will
/// take with `run.parallel` boots at once: at the time per index a kForecastSlice-index strided slice of it took from
/// its first record on (a contiguous run costs less per index: it jumps over what the predicate removes).
std::string full_space_forecast(const std::vector<RowPlan>& plans, const PlanOptions& plan, const RunOptions& run);

}  // namespace pagewalk::host::matrix
