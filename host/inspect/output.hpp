// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: buffered output for listings of millions of lines (one write per megabyte, not per line).
#pragma once

#include <cstdio>
#include <string>

namespace pagewalk::host::inspect {

/// Text accumulates in `text()`; it goes to `file` every megabyte and at flush(). Without a file (tests) it all
/// stays in memory. Write errors are remembered, not thrown.
class Output {
public:
    explicit Output(std::FILE* file = nullptr) : file_(file) { text_.reserve(file != nullptr ? kChunk + 4096 : 0); }
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output() { flush(); }

    std::string& text() { return text_; }
    /// Call after each line: writes out a full chunk.
    void line_done() {
        if (file_ != nullptr && text_.size() >= kChunk) flush();
    }
    void flush() {
        if (file_ == nullptr || text_.empty()) return;
        if (std::fwrite(text_.data(), 1, text_.size(), file_) != text_.size()) failed_ = true;
        text_.clear();
        if (std::fflush(file_) != 0) failed_ = true;
    }
    bool failed() const { return failed_; }

private:
    static constexpr std::size_t kChunk = 1u << 20;
    std::FILE* file_;
    std::string text_;
    bool failed_ = false;
};

}  // namespace pagewalk::host::inspect
