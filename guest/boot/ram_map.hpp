// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the RAM the boot loader says is free to use (multiboot2 memory map tag, type 1 "available"
// entries), sorted and merged. Under UEFI, firmware-reserved, ACPI and runtime regions lie between the available ones
// — even in the first 16 MiB (OVMF: ACPI NVS at 8 MiB) — so the guest must not assume RAM is contiguous above its
// image. Header-only and portable (-m32, -m64, host tests); no 64-bit division.
#pragma once

#include <cstdint>

namespace pagewalk::guest {

/// Available RAM as [start, end) ranges, ascending, non-adjacent. count == 0: the boot loader gave no memory map
/// (multiboot1, the KVM launcher): then RAM is taken as contiguous from 1 MiB to the boot information's memory end.
struct RamMap {
    static constexpr unsigned kMaxRanges = 32;
    struct Range {
        std::uint64_t start;
        std::uint64_t end;
    };
    Range ranges[kMaxRanges] = {};
    std::uint32_t count = 0;
    bool truncated = false;  ///< more ranges than kMaxRanges: the highest ones were dropped (never trusted)

    [[nodiscard]] constexpr bool known() const { return count != 0; }

    /// Adds [start, end), merging it with the ranges it touches or overlaps.
    constexpr void add(std::uint64_t start, std::uint64_t end) {
        if (end <= start) return;
        unsigned i = 0;
        while (i < count && ranges[i].end < start) ++i;  // first range that touches or follows
        unsigned j = i;
        while (j < count && ranges[j].start <= end) {  // every range it touches: merged into one
            if (ranges[j].start < start) start = ranges[j].start;
            if (ranges[j].end > end) end = ranges[j].end;
            ++j;
        }
        const unsigned merged = j - i;
        if (merged == 0) {
            if (count == kMaxRanges) {
                truncated = true;
                if (i == count) return;  // above every kept range: drop it
                --count;                 // drop the highest to keep the lower ones (where the guest works)
            }
            for (unsigned k = count; k > i; --k) ranges[k] = ranges[k - 1];
            ++count;
        } else {
            for (unsigned k = j; k < count; ++k) ranges[k - merged + 1] = ranges[k];
            count -= merged - 1;
        }
        ranges[i] = {start, end};
    }

    /// True when [start, end) is available RAM throughout.
    [[nodiscard]] constexpr bool covers(std::uint64_t start, std::uint64_t end) const {
        for (unsigned i = 0; i < count; ++i)
            if (ranges[i].start <= start && end <= ranges[i].end) return true;
        return false;
    }

    /// The end of the available RAM below `limit` (clipped to it), 0 when none.
    [[nodiscard]] constexpr std::uint64_t end_below(std::uint64_t limit) const {
        std::uint64_t e = 0;
        for (unsigned i = 0; i < count; ++i)
            if (ranges[i].start < limit) e = ranges[i].end < limit ? ranges[i].end : limit;
        return e;
    }

    /// The lowest address >= `from` where `bytes` of available RAM start (aligned to `align`, a power of two) and
    /// end at or below `limit`; 0 when there is none.
    [[nodiscard]] constexpr std::uint64_t find(std::uint64_t from, std::uint64_t bytes, std::uint64_t align,
                                               std::uint64_t limit) const {
        for (unsigned i = 0; i < count; ++i) {
            std::uint64_t s = ranges[i].start > from ? ranges[i].start : from;
            s = (s + align - 1) & ~(align - 1);
            if (s + bytes <= ranges[i].end && s + bytes <= limit) return s;
        }
        return 0;
    }

    /// The first address of [start, end) that is not available RAM (end when all of it is).
    [[nodiscard]] constexpr std::uint64_t first_unavailable(std::uint64_t start, std::uint64_t end) const {
        for (std::uint64_t a = start; a < end;) {
            bool in = false;
            for (unsigned i = 0; i < count && !in; ++i)
                if (ranges[i].start <= a && a < ranges[i].end) a = ranges[i].end, in = true;
            if (!in) return a;
        }
        return end;
    }
};

}  // namespace pagewalk::guest
