// SPDX-License-Identifier: MIT OR Apache-2.0
#include "report/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace pagewalk::host::report {

Progress::Progress(std::size_t total, bool enabled)
    : total_(total), enabled_(enabled), tty_(enabled && ::isatty(STDERR_FILENO) != 0) {}

void Progress::started(const std::string& scenario, const std::string& mode) {
    current_ = scenario + (mode.empty() ? "" : " [" + mode + "]");
    show();
}

void Progress::finished(check::Verdict v) {
    ++done_;
    switch (v) {
        case check::Verdict::pass:
            ++passed_;
            break;
        case check::Verdict::fail:
            ++failed_;
            break;
        case check::Verdict::skip:
            ++skipped_;
            break;
        case check::Verdict::known_deviation:
            ++known_;
            break;
    }
    show();
}

void Progress::show() {
    if (!tty_) return;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %zu passed, %zu failed, %zu skipped, %zu known deviations  %s", done_,
                 total_, passed_, failed_, skipped_, known_, done_ < total_ ? current_.c_str() : "");
    std::fflush(stderr);
}

void Progress::done() {
    if (!enabled_) return;
    if (tty_) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        return;
    }
    std::fprintf(stderr, "[%zu/%zu] %zu passed, %zu failed, %zu skipped, %zu known deviations\n", done_, total_,
                 passed_, failed_, skipped_, known_);
}

}  // namespace pagewalk::host::report
