// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the result of one scenario × mode — what a suite run produces and every report reads.
#pragma once

#include <optional>
#include <pagewalk/mode.hpp>
#include <string>

#include "check/evaluate.hpp"

namespace pagewalk::host::check {

/// One scenario × mode (or a file that did not parse: no mode).
struct JobResult {
    std::string file;
    std::string scenario;  ///< name (the file's stem when it did not parse)
    std::string rule;
    std::optional<PagingMode> mode;
    std::string
        backend;  ///< backend_name() of the backend that ran it (iso/: "qemu-iso", "serial-iso"), or "-" (not run)
    Evaluation eval;
    double ms = 0;        ///< wall time of the run (compile + boot + checks)
    std::string run_log;  ///< what the backend reported: outcome, registers, every record (for the log file)
};

}  // namespace pagewalk::host::check
