// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/guest_memory.hpp"

#include <cstring>

namespace pagewalk::host {

bool GuestMemory::read(std::uint64_t gpa, void* out, std::size_t n) const {
    auto v = view(gpa, n);
    if (v.size() != n || (n > 0 && v.data() == nullptr)) return false;
    if (n > 0) std::memcpy(out, v.data(), n);
    return true;
}

bool GuestMemory::write(std::uint64_t gpa, const void* in, std::size_t n) const {
    auto v = view(gpa, n);
    if (v.size() != n || (n > 0 && v.data() == nullptr)) return false;
    if (n > 0) std::memcpy(v.data(), in, n);
    return true;
}

bool GuestMemory::fill(std::uint64_t gpa, std::uint8_t value, std::size_t n) const {
    auto v = view(gpa, n);
    if (v.size() != n || (n > 0 && v.data() == nullptr)) return false;
    if (n > 0) std::memset(v.data(), value, n);
    return true;
}

}  // namespace pagewalk::host
