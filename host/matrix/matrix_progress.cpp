// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/matrix_progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace pagewalk::host::matrix {

MatrixProgress::MatrixProgress(std::uint64_t total, bool enabled)
    : total_(total), tty_(enabled && ::isatty(STDERR_FILENO) != 0) {}

void MatrixProgress::add(std::uint64_t n) {
    if (!tty_) return;
    const std::lock_guard lock(mutex_);
    done_ += n;
    const auto now = std::chrono::steady_clock::now();
    if (now - shown_ < std::chrono::milliseconds(200) && done_ < total_) return;  // a few updates a second
    shown_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
    const double left = rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : 0;
    std::fprintf(stderr, "\r\033[K[matrix] %llu/%llu combinations, %.0f/s, ETA %.0f s",
                 static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_), rate, left);
    std::fflush(stderr);
}

void MatrixProgress::done() {
    if (!tty_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
}

}  // namespace pagewalk::host::matrix
