// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the one progress line while scenarios run (stderr; rewritten in place on a terminal).
#pragma once

#include <cstddef>
#include <string>

#include "check/findings.hpp"

namespace pagewalk::host::report {

/// Counts and shows progress. Not thread-safe: the caller serialises calls.
class Progress {
public:
    Progress(std::size_t total, bool enabled);
    void started(const std::string& scenario, const std::string& mode);
    void finished(check::Verdict v);
    /// Ends the line (a terminal) or prints it once (not a terminal).
    void done();

private:
    void show();
    std::size_t total_, done_ = 0, passed_ = 0, failed_ = 0, skipped_ = 0, known_ = 0;
    bool enabled_, tty_;
    std::string current_;
};

}  // namespace pagewalk::host::report
