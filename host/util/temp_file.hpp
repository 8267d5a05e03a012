// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a file a boot reads (a scenario program, a matrix job) in the run's private directory
// (util/private_dir.hpp): created with O_EXCL under a name no other caller gets, removed by the destructor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pagewalk::host {

class TempFile {
public:
    /// Writes `bytes` to a new file STEM-N.bin; path() is empty and error() says why when it cannot.
    TempFile(const std::vector<std::uint8_t>& bytes, const std::string& stem);
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile();
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const std::string& error() const { return error_; }

private:
    std::string path_, error_;
};

}  // namespace pagewalk::host
