// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: one boot's record stream cut into its programs. A boot runs every module it was given (the ISO:
// hundreds); each program's records lie between its program_begin and program_end records. Everything else (hello,
// logs, the final record) belongs to the boot, not to a program.
#pragma once

#include <pagewalk/harness/runner_records.hpp>
#include <vector>

#include "run/run_result.hpp"

namespace pagewalk::host::check {

/// One program's records, program_begin first (and program_end last when it came).
struct ProgramSlice {
    harness::ProgramBeginRecord begin{};
    bool ended = false;                   ///< a program_end closed it
    harness::ProgramEndRecord end{};      ///< valid when ended
    std::vector<ReceivedRecord> records;  ///< begin … end
    double ms = 0;                        ///< from its first record to its last
};

/// The programs of `run`, in stream order. A program_begin while another is open closes that one unended.
std::vector<ProgramSlice> split_programs(const RunResult& run);

/// `run` narrowed to one program: its records, and an outcome that says whether the program's records are complete
/// (program_end seen: passed; else the run's own outcome, or early_stop when the run itself completed).
RunResult program_run(const RunResult& run, const ProgramSlice& slice);

}  // namespace pagewalk::host::check
