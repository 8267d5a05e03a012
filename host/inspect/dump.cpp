// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/dump.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "inspect/shrink_guard.hpp"
#include "util/fd.hpp"

namespace pagewalk::host::inspect {

Expected<Dump> Dump::open(const std::string& path, DumpFormatChoice choice) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Error{path + ": cannot open: " + std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error{path + ": cannot stat: " + std::strerror(errno)};
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) return Error{path + ": not a regular file"};
    if (st.st_size <= 0) return Error{path + ": the file is empty"};
    const auto size = static_cast<std::uint64_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (map == MAP_FAILED)
        return Error{path + ": cannot map " + std::to_string(size) + " bytes: " + std::strerror(errno)};
    Dump d;
    d.path_ = path;
    d.base_ = static_cast<const std::uint8_t*>(map);
    d.size_ = size;
    d.fd_ = ::dup(fd.get());
    guard_mapping(d.base_, size);
    const bool elf = choice == DumpFormatChoice::elf_core ||
                     (choice == DumpFormatChoice::automatic && looks_like_elf(d.base_, size));
    if (!elf) {
        d.format_ = DumpFormat::raw;
        d.segments_.push_back({0, size, d.base_});
        return d;
    }
    d.format_ = DumpFormat::elf_core;
    auto parts = parse_elf_core(d.base_, size);
    if (!parts) return Error{path + ": " + parts.error()};
    d.segments_ = std::move(parts->segments);
    d.cpus_ = std::move(parts->cpus);
    d.warnings_ = std::move(parts->warnings);
    d.elf_long_mode_ = parts->long_mode;
    return d;
}

Dump::Dump(Dump&& other) noexcept {
    *this = std::move(other);
}

Dump& Dump::operator=(Dump&& other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        format_ = other.format_;
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
        fd_ = std::exchange(other.fd_, -1);
        segments_ = std::move(other.segments_);
        cpus_ = std::move(other.cpus_);
        warnings_ = std::move(other.warnings_);
        elf_long_mode_ = other.elf_long_mode_;
    }
    return *this;
}

Dump::~Dump() {
    release();
}

void Dump::release() {
    if (base_ != nullptr) {
        unguard_mapping(base_);
        ::munmap(const_cast<std::uint8_t*>(base_), size_);
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    base_ = nullptr;
    segments_.clear();
}

std::uint64_t Dump::memory_bytes() const {
    std::uint64_t total = 0;
    for (const Segment& s : segments_) total += s.size;
    return total;
}

const Segment* Dump::find(std::uint64_t pa) const {
    // The last segment starting at or below pa.
    const auto it = std::upper_bound(segments_.begin(), segments_.end(), pa,
                                     [](std::uint64_t a, const Segment& s) { return a < s.pa; });
    if (it == segments_.begin()) return nullptr;
    const Segment& s = *(it - 1);
    return pa - s.pa < s.size ? &s : nullptr;
}

bool Dump::still_in_file(const std::uint8_t* p, std::size_t n) const {
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0 || st.st_size < 0) return false;
    const auto offset = static_cast<std::uint64_t>(p - base_);
    return offset <= static_cast<std::uint64_t>(st.st_size) && n <= static_cast<std::uint64_t>(st.st_size) - offset;
}

bool Dump::read(std::uint64_t pa, void* out, std::size_t n) const {
    auto* dst = static_cast<std::uint8_t*>(out);
    while (n > 0) {  // may span adjacent segments
        const Segment* s = find(pa);
        if (s == nullptr) return false;
        const std::uint64_t offset = pa - s->pa;
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, s->size - offset));
        std::memcpy(dst, s->data + offset, chunk);
        if (dump_shrunk.load(std::memory_order_relaxed) && !still_in_file(s->data + offset, chunk)) return false;
        dst += chunk;
        n -= chunk;
        pa += chunk;
        if (n > 0 && pa == 0) return false;  // wrapped past the top of the physical address space
    }
    return true;
}

}  // namespace pagewalk::host::inspect
