// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix --emit-scenarios DIR: every class of mismatches a row saw (explained by a known deviation or not)
// becomes one scenario file in DIR (scenario_of_class.hpp), named
//   matrix-<deviation id | unexplained>-<mode>-<backend>-<class signature>.toml
// (a "-2", "-3" … suffix where two classes of a run would share a name, in the order of their examples' indices, so
// the same run gives the same names). A class seen by several boots of a row is one file: its example is the one of
// the smallest index, its count the sum. A file that exists with the same text is left as it is; one with other text
// is never overwritten — it is reported and the command fails.
#pragma once

#include <string>
#include <vector>

#include "matrix/matrix_run.hpp"
#include "matrix/scenario_of_class.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::matrix {

/// Creates `dir` (and its parents) if missing; an error when it is not a directory this process can write into.
Status prepare_scenario_dir(const std::string& dir);

/// The classes of every row, one per class (see above), each with its row's facts: the matrix's `space`, and
/// `qemu_cpu` for QEMU rows.
std::vector<ClassInRow> classes_of_rows(const std::vector<RowResult>& rows, hm::Space space,
                                        const std::string& qemu_cpu);

/// One scenario per class, with unique stems.
std::vector<ClassScenario> scenarios_of_classes(const std::vector<ClassInRow>& classes);

/// What writing the scenarios did: the text for stdout, and whether every file now holds its scenario.
struct EmitOutcome {
    std::string text;
    bool ok = true;
};

/// Writes each scenario to `dir`/<stem>.toml (see above).
EmitOutcome write_scenarios(const std::string& dir, const std::vector<ClassInRow>& classes,
                            const std::vector<ClassScenario>& scenarios);

}  // namespace pagewalk::host::matrix
