// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: whole-file reads and a monotonic stopwatch.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace pagewalk::host {

/// Reads a whole file (capped at `max_bytes`).
inline Expected<std::vector<std::uint8_t>> read_file(const std::string& path, std::uint64_t max_bytes = 1ull << 30) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return Error{"cannot open " + path};
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (size > max_bytes) return Error{path + " is larger than " + std::to_string(max_bytes) + " bytes"};
    std::vector<std::uint8_t> data(size);
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size)))
        return Error{"cannot read " + path};
    return data;
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
