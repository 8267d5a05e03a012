// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the progress line of a matrix run on a terminal (stderr, rewritten in place): selected indices
// done of the total, their rate and the time left. Thread-safe: boots report their blocks as they arrive.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace pagewalk::host::matrix {

class MatrixProgress {
public:
    /// `enabled`: shown only when stderr is a terminal as well.
    MatrixProgress(std::uint64_t total, bool enabled);
    /// `n` more selected indices done.
    void add(std::uint64_t n);
    /// Clears the line.
    void done();

private:
    std::mutex mutex_;
    std::uint64_t total_, done_ = 0;
    bool tty_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), shown_{};
};

}  // namespace pagewalk::host::matrix
