// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: whole-file reads and a monotonic stopwatch.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace pagewalk::host {

/// What read_capped() accepts besides regular files.
enum class FileKind : std::uint8_t { regular_only, any };

/// Reads a whole file, refusing more than `max_bytes` (so /dev/zero or an endless stream is an error naming the
/// file, not a process that grows until it is killed) and, with regular_only, anything but a regular file (a FIFO
/// nobody writes to would block forever).
Expected<std::string> read_capped(const std::string& path, std::uint64_t max_bytes,
                                  FileKind kind = FileKind::regular_only);

/// The same as bytes: a regular file of at most `max_bytes` (64 MiB by default).
inline Expected<std::vector<std::uint8_t>> read_file(const std::string& path, std::uint64_t max_bytes = 64ull << 20) {
    auto text = read_capped(path, max_bytes);
    if (!text) return Error{text.error()};
    return std::vector<std::uint8_t>(text->begin(), text->end());
}

/// Writes `size` bytes to `path` (created 0644 or truncated), checking every write and the close: a full disk,
/// /dev/full or a quota is an error naming the file, never a silently short file.
Status write_whole_file(const std::string& path, const void* data, std::size_t size);

/// Milliseconds since construction.
class Stopwatch {
public:
    [[nodiscard]] double ms() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace pagewalk::host
