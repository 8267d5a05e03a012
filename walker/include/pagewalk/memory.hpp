// SPDX-License-Identifier: MIT OR Apache-2.0
// How the walker reaches page-table memory.
//
// The walker never dereferences a physical address itself: it asks a *table memory* for one entry at a
// time. An entry is named by its `EntryLocation` — the table's physical address and the index, and also
// the level and the linear address being walked, because an adapter that reaches tables through a
// recursive slot needs those rather than the physical address. Reads (and writes) can fail: a hypervisor
// reading guest-physical memory or an inspector reading a dump gets `false`, and the walker turns that
// into a memory-error result naming the physical address and level — never undefined behaviour.
//
// Adapters:
//   IdentityMemory          physical memory is mapped 1:1 (early kernel, the test guest)
//   OffsetMemory(base, n)   physical memory is mapped at a base (a kernel's physmap, a host buffer)
//   RecursiveMemory         tables reached through a recursive slot of the top-level table
//   Reader(fn), ReaderWriter(fn, fn)  callbacks that may fail (guest-physical memory, a dump file)
//   AnyMemory               a non-owning, type-erased view of any of these, for run-time choice
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "mode.hpp"

namespace pagewalk {

/// Where one paging-structure entry lives.
struct EntryLocation {
    std::uint64_t table_pa = 0;    // physical address of the table
    std::uint64_t va = 0;          // the linear address whose translation reads this entry
    std::uint32_t index = 0;       // entry index within the table
    std::uint8_t level = 0;        // 1 = PTE … 5 = PML5E
    std::uint8_t entry_bytes = 8;  // 4 for 32-bit paging

    /// Physical address of the entry itself.
    constexpr std::uint64_t pa() const { return table_pa + std::uint64_t{index} * entry_bytes; }
};

/// Something the walker can read paging-structure entries from. `read_entry` returns false when the
/// entry cannot be read (outside memory, a hole in a dump); `out` is then unspecified.
template <class M>
concept TableMemory = requires(M& m, const EntryLocation& loc, std::uint64_t& out) {
    { m.read_entry(loc, out) } -> std::same_as<bool>;
};

/// Table memory that can also be written (the mapper, the mutable visitor, `entry_mut`).
template <class M>
concept WritableTableMemory = TableMemory<M> && requires(M& m, const EntryLocation& loc, std::uint64_t value) {
    { m.write_entry(loc, value) } -> std::same_as<bool>;
};

namespace detail {
// A pointer type that may alias any object and is read with exactly one access of its width.
using u64_alias = std::uint64_t __attribute__((may_alias, aligned(4)));
using u32_alias = std::uint32_t __attribute__((may_alias, aligned(4)));

inline bool load_entry(std::uintptr_t address, unsigned bytes, std::uint64_t& out) {
    if (bytes == 4) {
        out = *reinterpret_cast<const volatile u32_alias*>(address);
    } else {
        out = *reinterpret_cast<const volatile u64_alias*>(address);
    }
    return true;
}

inline bool store_entry(std::uintptr_t address, unsigned bytes, std::uint64_t value) {
    if (bytes == 4) {
        *reinterpret_cast<volatile u32_alias*>(address) = static_cast<std::uint32_t>(value);
    } else {
        *reinterpret_cast<volatile u64_alias*>(address) = value;
    }
    return true;
}
}  // namespace detail

/// Physical memory mapped at `base` in this address space: physical address `pa` is at `base + pa`,
/// for `pa < size`. A kernel's direct map, or a host buffer holding a guest's memory. Reads outside
/// `[0, size)` — or beyond what a 32-bit pointer can reach — fail instead of touching memory.
class OffsetMemory {
public:
    OffsetMemory(std::uintptr_t base, std::uint64_t size)
        : base_(base), size_(clamp(base, size)), end8_(size_ >= 8 ? size_ - 7 : 0), end4_(size_ >= 4 ? size_ - 3 : 0) {}
    OffsetMemory(void* base, std::uint64_t size) : OffsetMemory(reinterpret_cast<std::uintptr_t>(base), size) {}
    explicit OffsetMemory(std::uintptr_t base) : OffsetMemory(base, ~std::uint64_t{0}) {}

    bool read_entry(const EntryLocation& loc, std::uint64_t& out) const {
        const std::uint64_t pa = loc.pa();
        if (!contains(pa, loc.entry_bytes)) [[unlikely]]
            return false;
        return detail::load_entry(base_ + static_cast<std::uintptr_t>(pa), loc.entry_bytes, out);
    }
    bool write_entry(const EntryLocation& loc, std::uint64_t value) const {
        const std::uint64_t pa = loc.pa();
        return contains(pa, loc.entry_bytes) &&
               detail::store_entry(base_ + static_cast<std::uintptr_t>(pa), loc.entry_bytes, value);
    }

    /// Writes `count` consecutive entries from `first`: value, value + step, value + 2 step … (the mapper's
    /// fast path for runs of leaves in a table it has just created and not yet linked, so plain stores that the
    /// compiler may vectorise). Nothing is written if the run does not fit.
    bool write_run(const EntryLocation& first, unsigned count, std::uint64_t value, std::uint64_t step) const {
        const std::uint64_t pa = first.pa();
        if (!contains(pa, std::uint64_t{count} * first.entry_bytes)) return false;
        const std::uintptr_t address = base_ + static_cast<std::uintptr_t>(pa);
        if (first.entry_bytes == 4) {
            auto* out = reinterpret_cast<detail::u32_alias*>(address);
            for (unsigned k = 0; k < count; ++k) out[k] = static_cast<std::uint32_t>(value + k * step);
        } else {
            auto* out = reinterpret_cast<detail::u64_alias*>(address);
            for (unsigned k = 0; k < count; ++k) out[k] = value + k * step;
        }
        return true;
    }

    /// Calls `f(entry)` for `count` consecutive entries from `first` (the mapper's scan of a table it frees).
    /// False, and no call, if the run does not fit.
    template <class F>
    bool read_run(const EntryLocation& first, unsigned count, F&& f) const {
        const std::uint64_t pa = first.pa();
        if (!contains(pa, std::uint64_t{count} * first.entry_bytes)) return false;
        const std::uintptr_t address = base_ + static_cast<std::uintptr_t>(pa);
        for (unsigned k = 0; k < count; ++k) {
            f(first.entry_bytes == 4 ? std::uint64_t{reinterpret_cast<const detail::u32_alias*>(address)[k]}
                                     : std::uint64_t{reinterpret_cast<const detail::u64_alias*>(address)[k]});
        }
        return true;
    }

    /// True when `[pa, pa + bytes)` lies inside the mapped physical memory.
    constexpr bool contains(std::uint64_t pa, std::uint64_t bytes) const {
        if (bytes == 8) return pa < end8_;  // the walk's common cases: one compare
        if (bytes == 4) return pa < end4_;
        return bytes <= size_ && pa <= size_ - bytes;
    }
    /// The address where physical address `pa` is visible (check `contains` first).
    std::uintptr_t address_of(std::uint64_t pa) const { return base_ + static_cast<std::uintptr_t>(pa); }
    constexpr std::uint64_t size() const { return size_; }

private:
    // Never let base + pa wrap around the pointer width.
    static constexpr std::uint64_t clamp(std::uintptr_t base, std::uint64_t size) {
        const std::uint64_t room = static_cast<std::uint64_t>(~std::uintptr_t{0} - base) + 1;
        return room != 0 && size > room ? room : size;
    }

    std::uintptr_t base_;
    std::uint64_t size_;
    std::uint64_t end8_;  // an 8-byte entry at pa fits iff pa < end8_
    std::uint64_t end4_;  // a 4-byte entry at pa fits iff pa < end4_
};

/// Physical memory mapped one to one (physical address = pointer value).
class IdentityMemory : public OffsetMemory {
public:
    IdentityMemory() : OffsetMemory(std::uintptr_t{0}) {}
};

/// Reads (and optionally writes) through callbacks that may fail: `read(pa, out, n) -> bool` and
/// `write(pa, in, n) -> bool` over physical addresses — a hypervisor's guest-physical accessors or a
/// memory dump. Construct with `Reader{read}` or `ReaderWriter{read, write}`.
template <class ReadFn>
class Reader {
public:
    explicit Reader(ReadFn read) : read_(read) {}

    bool read_entry(const EntryLocation& loc, std::uint64_t& out) {
        if (loc.entry_bytes == 4) {
            std::uint32_t v = 0;
            if (!read_(loc.pa(), static_cast<void*>(&v), std::size_t{4})) return false;
            out = v;
            return true;
        }
        return read_(loc.pa(), static_cast<void*>(&out), std::size_t{8});
    }

protected:
    ReadFn read_;
};
template <class ReadFn>
Reader(ReadFn) -> Reader<ReadFn>;

template <class ReadFn, class WriteFn>
class ReaderWriter : public Reader<ReadFn> {
public:
    ReaderWriter(ReadFn read, WriteFn write) : Reader<ReadFn>(read), write_(write) {}

    bool write_entry(const EntryLocation& loc, std::uint64_t value) {
        if (loc.entry_bytes == 4) {
            const auto v = static_cast<std::uint32_t>(value);
            return write_(loc.pa(), static_cast<const void*>(&v), std::size_t{4});
        }
        return write_(loc.pa(), static_cast<const void*>(&value), std::size_t{8});
    }

private:
    WriteFn write_;
};
template <class ReadFn, class WriteFn>
ReaderWriter(ReadFn, WriteFn) -> ReaderWriter<ReadFn, WriteFn>;

/// A non-owning, type-erased table memory: lets code choose an adapter at run time (a dump or a live
/// guest) and still call one non-template walker. Costs an indirect call per entry.
class AnyMemory {
public:
    template <TableMemory M>
    AnyMemory(M& memory)  // NOLINT(google-explicit-constructor): a view, like std::span
        : object_(&memory),
          read_([](void* o, const EntryLocation& loc, std::uint64_t& out) {
              return static_cast<M*>(o)->read_entry(loc, out);
          }),
          write_(make_write<M>()) {}

    bool read_entry(const EntryLocation& loc, std::uint64_t& out) const { return read_(object_, loc, out); }
    /// Fails (returns false) when the underlying memory is read-only.
    bool write_entry(const EntryLocation& loc, std::uint64_t value) const {
        return write_ != nullptr && write_(object_, loc, value);
    }
    bool writable() const { return write_ != nullptr; }

private:
    using ReadFn = bool (*)(void*, const EntryLocation&, std::uint64_t&);
    using WriteFn = bool (*)(void*, const EntryLocation&, std::uint64_t);

    template <class M>
    static constexpr WriteFn make_write() {
        if constexpr (WritableTableMemory<M>) {
            return [](void* o, const EntryLocation& loc, std::uint64_t v) {
                return static_cast<M*>(o)->write_entry(loc, v);
            };
        } else {
            return nullptr;
        }
    }

    void* object_;
    ReadFn read_;
    WriteFn write_;
};

}  // namespace pagewalk
