// SPDX-License-Identifier: MIT OR Apache-2.0
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pagewalk::host {

Expected<std::string> read_capped(const std::string& path, std::uint64_t max_bytes, FileKind kind) {
    // O_NONBLOCK: opening a FIFO without a writer must not block before the type is checked.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (kind == FileKind::regular_only ? O_NONBLOCK : 0));
    if (fd < 0) return Error{"cannot open " + path + ": " + std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (kind == FileKind::regular_only && !S_ISREG(st.st_mode))) {
        ::close(fd);
        return Error{path + " is not a regular file: not read"};
    }
    if (kind == FileKind::regular_only) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return Error{"cannot read " + path + ": " + std::strerror(err)};
        }
        if (n == 0) break;
        if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            return Error{path + " is larger than " + std::to_string(max_bytes) +
                         " bytes (a device or an endless stream?): not read"};
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

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
