// SPDX-License-Identifier: MIT OR Apache-2.0
#include "util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pagewalk::host {

Status write_whole_file(const std::string& path, const void* data, std::size_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Error{"cannot write " + path + ": " + std::strerror(errno)};
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::write(fd, p + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            ::close(fd);
            return Error{"cannot write " + path + ": " + std::strerror(err)};
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return Error{"cannot write " + path + ": " + std::strerror(errno)};
    return ok_status();
}

}  // namespace pagewalk::host
