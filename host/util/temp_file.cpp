// SPDX-License-Identifier: MIT OR Apache-2.0
#include "util/temp_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/private_dir.hpp"

namespace pagewalk::host {

TempFile::TempFile(const std::vector<std::uint8_t>& bytes, const std::string& stem) {
    const auto dir = run_dir();
    if (!dir) {
        error_ = dir.error();
        return;
    }
    const std::string name = dir.value()->unique_path(stem, ".bin");
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_ = "cannot create " + name + ": " + std::strerror(errno);
        return;
    }
    const auto n = ::write(fd, bytes.data(), bytes.size());
    const bool closed = ::close(fd) == 0;
    if (n == static_cast<ssize_t>(bytes.size()) && closed) {
        path_ = name;
    } else {
        error_ = "cannot write " + name;
        ::unlink(name.c_str());
    }
}

TempFile::~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace pagewalk::host
