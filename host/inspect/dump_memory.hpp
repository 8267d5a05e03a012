// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: a Dump as the walker's table memory.
#pragma once

#include <cstring>
#include <pagewalk/memory.hpp>

#include "inspect/dump.hpp"
#include "inspect/shrink_guard.hpp"

namespace pagewalk::host::inspect {

/// Reads paging-structure entries straight from the mapped dump, bounds-checked: an entry that is not entirely
/// inside one segment is read through Dump::read (which may span segments) and fails outside the dump — the walker
/// then reports a memory error naming the entry, never zeros. Remembers the segment of the last read (walks stay
/// within a few tables), so a raw image costs one compare per entry.
class DumpMemory {
public:
    explicit DumpMemory(const Dump& dump) : dump_(&dump) {
        if (!dump.segments().empty()) hot_ = &dump.segments().front();
    }

    bool read_entry(const EntryLocation& loc, std::uint64_t& out) const {
        const std::uint64_t pa = loc.pa();
        const unsigned n = loc.entry_bytes;
        const Segment* s = hot_;
        if (s == nullptr || pa - s->pa >= s->size || s->size - (pa - s->pa) < n) {
            s = dump_->find(pa);
            if (s == nullptr) return false;
            hot_ = s;
            if (s->size - (pa - s->pa) < n) return read_slow(pa, n, out);
        }
        const std::uint8_t* p = s->data + (pa - s->pa);
        if (n == 4) {
            std::uint32_t v;
            std::memcpy(&v, p, 4);
            out = v;
        } else {
            std::memcpy(&out, p, 8);
        }
        if (dump_shrunk.load(std::memory_order_relaxed)) [[unlikely]]  // the file was truncated under the mapping
            return dump_->still_in_file(p, n);
        return true;
    }

    const Dump& dump() const { return *dump_; }

private:
    bool read_slow(std::uint64_t pa, unsigned n, std::uint64_t& out) const {
        std::uint64_t v = 0;
        if (!dump_->read(pa, &v, n)) return false;
        out = v;
        return true;
    }

    const Dump* dump_;
    mutable const Segment* hot_ = nullptr;
};

}  // namespace pagewalk::host::inspect
