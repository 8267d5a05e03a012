// SPDX-License-Identifier: MIT OR Apache-2.0
// Frames for page tables: the allocator interface the mapper takes, and a simple allocator.
#pragma once

#include <concepts>
#include <cstdint>

namespace pagewalk {

/// Hands out and takes back 4 KiB frames of page-table memory, as physical addresses. `allocate()` returns 0
/// when no frame is left (frame 0 is never handed out); `available()` says how many `allocate()` calls would
/// succeed now — the mapper checks it before changing anything, so a call that would run out changes nothing.
/// The mapper clears a frame itself before use.
template <class A>
concept FrameAllocator = requires(A& a, const A& ca, std::uint64_t pa) {
    { a.allocate() } -> std::same_as<std::uint64_t>;
    a.free(pa);
    { ca.available() } -> std::convertible_to<std::uint64_t>;
};

/// A bump allocator over a caller-given physical region [base, base + size), with a free list so that freed
/// frames are reused first. No heap: the free list is a fixed array of `Capacity` entries; a frame freed while
/// it is full is counted in `dropped()` (never reused) rather than lost silently.
template <unsigned Capacity = 512>
class BumpAllocator {
public:
    constexpr BumpAllocator(std::uint64_t base, std::uint64_t size)
        : next_((base + 0xfff) & ~std::uint64_t{0xfff}), end_(base + size) {
        if (next_ == 0) next_ = 0x1000;  // 0 means "no frame"
    }

    constexpr std::uint64_t allocate() {
        std::uint64_t pa = 0;
        if (free_count_ > 0) {
            pa = free_[--free_count_];
        } else if (next_ < end_ && end_ - next_ >= 0x1000) {
            pa = next_;
            next_ += 0x1000;
        } else {
            return 0;
        }
        ++allocated_;
        return pa;
    }

    constexpr void free(std::uint64_t pa) {
        ++freed_;
        if (free_count_ < Capacity) {
            free_[free_count_++] = pa;
        } else {
            ++dropped_;
        }
    }

    /// Frames handed out / taken back over the allocator's life; `allocated() - freed()` are in use.
    constexpr std::uint64_t allocated() const { return allocated_; }
    constexpr std::uint64_t freed() const { return freed_; }
    constexpr std::uint64_t dropped() const { return dropped_; }
    /// Frames that can still be handed out.
    constexpr std::uint64_t available() const { return free_count_ + (next_ < end_ ? (end_ - next_) >> 12 : 0); }

private:
    std::uint64_t next_;
    std::uint64_t end_;
    std::uint64_t free_[Capacity] = {};
    unsigned free_count_ = 0;
    std::uint64_t allocated_ = 0;
    std::uint64_t freed_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace pagewalk
