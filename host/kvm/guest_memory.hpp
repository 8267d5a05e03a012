// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: guest-physical memory as the host sees it, with every access bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace pagewalk::host {

/// A contiguous guest-physical range [base, base + size) backed by host memory (an anonymous mapping for a VM,
/// or a caller's buffer in tests). Every read and write checks bounds without overflow; nothing else touches it.
class GuestMemory {
public:
    GuestMemory() = default;
    GuestMemory(std::uint8_t* host, std::uint64_t base, std::uint64_t size) : host_(host), base_(base), size_(size) {}

    [[nodiscard]] std::uint64_t base() const { return base_; }
    [[nodiscard]] std::uint64_t size() const { return size_; }
    /// True when [gpa, gpa + n) lies inside this memory.
    [[nodiscard]] bool contains(std::uint64_t gpa, std::uint64_t n) const {
        return gpa >= base_ && gpa - base_ <= size_ && n <= size_ - (gpa - base_);
    }
    /// Host view of [gpa, gpa + n), or an empty span when out of bounds.
    [[nodiscard]] std::span<std::uint8_t> view(std::uint64_t gpa, std::uint64_t n) const {
        if (!contains(gpa, n)) return {};
        return {host_ + (gpa - base_), n};
    }
    [[nodiscard]] bool read(std::uint64_t gpa, void* out, std::size_t n) const;
    [[nodiscard]] bool write(std::uint64_t gpa, const void* in, std::size_t n) const;
    [[nodiscard]] bool fill(std::uint64_t gpa, std::uint8_t value, std::size_t n) const;
    template <class T>
    [[nodiscard]] bool write_value(std::uint64_t gpa, const T& v) const {
        return write(gpa, &v, sizeof v);
    }
    template <class T>
    [[nodiscard]] bool read_value(std::uint64_t gpa, T& v) const {
        return read(gpa, &v, sizeof v);
    }

private:
    std::uint8_t* host_ = nullptr;
    std::uint64_t base_ = 0;
    std::uint64_t size_ = 0;
};

}  // namespace pagewalk::host
