// SPDX-License-Identifier: MIT OR Apache-2.0
// The typed walker: one table at one level of one mode, with the level in the type.
//
//   pagewalk::OffsetMemory phys{kPhysmapBase, kPhysmapSize};
//   auto pml4 = pagewalk::root<pagewalk::Long4>(phys, read_cr3());
//   auto pd = pml4.next(32).table().next(52).table();        // PDPT, then PD
//   if (auto n = pd.next(7); n.is_huge_page()) use(n.huge_page().address());   // a Pde2M
//   else if (n.is_table()) n.table().entry_mut(42)->set_global(true);          // a Pte, written back
//
// `next(i)` says what entry i is — not present, a table of the next level, a huge page of this level's
// size, a 4 KiB page, a reserved PS bit, or unreadable — and only the matching accessor can be used:
// `table()` exists only above level 1 and `huge_page()` only where the level can map a page, so a 2 MiB
// leaf cannot be walked as a table. Calling the accessor that does not match the kind stops the program
// (`__builtin_trap`): check `is_table()` etc. first.
//
// The typed walker shows the structure; it does not judge reserved bits or rights — `translate` does.
// For PAE it reads the PDPT from memory, not the PDPTE registers.
#pragma once

#include <cstdint>
#include <type_traits>

#include "context.hpp"
#include "entry.hpp"
#include "memory.hpp"
#include "mode.hpp"

namespace pagewalk {

/// Which PS bits make leaves: the CPU features and CR4.PSE that the structure depends on.
struct LeafPolicy {
    bool pse = true;      // 32-bit paging: CR4.PSE = 1 makes PDE.PS a 4 MiB page (else PS is ignored)
    bool page1gb = true;  // PDPTE.PS = 1 maps 1 GiB (else it is reserved)
};

enum class NextKind : std::uint8_t { not_present, table, huge_page, page, reserved_ps, memory_error };

/// A value that may be missing because the memory could not be read.
template <class T>
struct Fallible {
    T value{};
    bool ok = false;
    constexpr explicit operator bool() const { return ok; }
    constexpr const T& operator*() const { return value; }
    constexpr const T* operator->() const { return &value; }
};

/// A mutable view of one entry: read on creation, written back when it goes out of scope if changed (or
/// at `commit()`, which reports whether the write succeeded).
template <class Entry, class M>
class EntryRef {
public:
    EntryRef(M& memory, const EntryLocation& loc) : memory_(&memory), loc_(loc) {
        std::uint64_t raw = 0;
        ok_ = memory.read_entry(loc, raw);
        value_ = Entry{static_cast<typename Entry::raw_type>(raw)};
        original_ = value_;
    }
    EntryRef(const EntryRef&) = delete;
    EntryRef& operator=(const EntryRef&) = delete;
    ~EntryRef() { commit(); }

    Entry* operator->() { return &value_; }
    Entry& operator*() { return value_; }
    /// False when the entry could not be read; nothing is written back then.
    bool ok() const { return ok_; }
    /// Writes the entry now if it changed; false if it could not be read or written.
    bool commit() {
        if (!ok_) return false;
        if (value_ == original_) return true;
        ok_ = memory_->write_entry(loc_, value_.raw());
        original_ = value_;
        return ok_;
    }

private:
    M* memory_;
    EntryLocation loc_;
    Entry value_{};
    Entry original_{};
    bool ok_ = false;
};

template <class Mode, unsigned LevelNumber, TableMemory M>
class TableWalker;

/// What entry `i` of a table is; see the file comment.
template <class Mode, unsigned LevelNumber, TableMemory M>
class Next {
public:
    using Traits = LevelTraits<Mode, LevelNumber>;
    using Entry = typename Traits::Entry;
    using Leaf = typename Traits::Leaf;

    constexpr Next(NextKind kind, std::uint64_t raw, M* memory, std::uint64_t va, LeafPolicy policy)
        : kind_(kind), raw_(raw), memory_(memory), va_(va), policy_(policy) {}

    constexpr NextKind kind() const { return kind_; }
    constexpr bool is_present() const { return kind_ != NextKind::not_present && kind_ != NextKind::memory_error; }
    constexpr bool is_table() const { return kind_ == NextKind::table; }
    constexpr bool is_huge_page() const { return kind_ == NextKind::huge_page; }
    constexpr bool is_page() const { return kind_ == NextKind::page; }
    /// The entry as read (the table form where the level can hold either).
    constexpr Entry entry() const { return Entry{static_cast<typename Entry::raw_type>(raw_)}; }
    constexpr std::uint64_t raw() const { return raw_; }
    /// First linear address the entry covers.
    constexpr std::uint64_t va() const { return va_; }

    /// The table of the next level. Only above level 1; traps unless `is_table()`.
    constexpr auto table() const requires(LevelNumber > 1) {
        if (kind_ != NextKind::table) __builtin_trap();
        return TableWalker<Mode, LevelNumber - 1, M>(*memory_, entry().address(), va_, policy_);
    }
    /// The leaf mapping a page of this level's size. Only where the level can map one; traps unless
    /// `is_huge_page()`.
    constexpr Leaf huge_page() const requires(LevelNumber > 1 && !std::is_void_v<Leaf>) {
        if (kind_ != NextKind::huge_page) __builtin_trap();
        return Leaf{static_cast<typename Leaf::raw_type>(raw_)};
    }
    /// The PTE mapping a 4 KiB page. Only at level 1; traps unless `is_page()`.
    constexpr Leaf page() const requires(LevelNumber == 1) {
        if (kind_ != NextKind::page) __builtin_trap();
        return Leaf{static_cast<typename Leaf::raw_type>(raw_)};
    }

private:
    NextKind kind_;
    std::uint64_t raw_;
    M* memory_;
    std::uint64_t va_;
    LeafPolicy policy_;
};

/// One table of level `LevelNumber` in mode `Mode`, reached through memory `M`.
template <class Mode, unsigned LevelNumber, TableMemory M>
class TableWalker {
public:
    using Traits = LevelTraits<Mode, LevelNumber>;
    using Entry = typename Traits::Entry;
    static constexpr unsigned level = LevelNumber;
    static constexpr LevelShape shape = level_shape<Mode, LevelNumber>;
    static constexpr unsigned entries = shape.entries();
    static constexpr std::uint8_t entry_bytes = sizeof(typename Mode::raw_type);

    constexpr TableWalker(M& memory, std::uint64_t table_pa, std::uint64_t va_base, LeafPolicy policy = {})
        : memory_(&memory), table_pa_(table_pa), va_base_(va_base), policy_(policy) {}

    constexpr std::uint64_t table_pa() const { return table_pa_; }
    /// First linear address this table covers.
    constexpr std::uint64_t va_base() const { return va_base_; }
    /// First linear address entry `i` covers (canonical).
    constexpr std::uint64_t va_of(unsigned i) const {
        constexpr ModeShape mode_shape = pagewalk::shape(Mode::id);
        return mode_shape.canonical(va_base_ + (std::uint64_t{i % entries} << shape.shift));
    }
    constexpr EntryLocation location(unsigned i) const {
        return {table_pa_, va_of(i), static_cast<std::uint16_t>(i % entries), static_cast<std::uint8_t>(LevelNumber),
                entry_bytes};
    }

    /// Entry `i`, or a failure when it cannot be read.
    constexpr Fallible<Entry> try_entry(unsigned i) const {
        std::uint64_t raw = 0;
        const bool ok = memory_->read_entry(location(i), raw);
        return {Entry{static_cast<typename Entry::raw_type>(ok ? raw : 0)}, ok};
    }
    /// Entry `i`; an unreadable entry reads as 0 (not present).
    constexpr Entry entry(unsigned i) const { return try_entry(i).value; }
    constexpr std::uint64_t raw(unsigned i) const { return entry(i).raw(); }
    /// Entry `i`, written back when the returned reference goes out of scope.
    EntryRef<Entry, M> entry_mut(unsigned i) const requires WritableTableMemory<M> {
        return EntryRef<Entry, M>(*memory_, location(i));
    }

    constexpr Next<Mode, LevelNumber, M> next(unsigned i) const {
        std::uint64_t raw = 0;
        const std::uint64_t va = va_of(i);
        if (!memory_->read_entry(location(i), raw)) return {NextKind::memory_error, 0, memory_, va, policy_};
        if ((raw & entry_bit::present) == 0) return {NextKind::not_present, raw, memory_, va, policy_};
        if constexpr (LevelNumber == 1) {
            return {NextKind::page, raw, memory_, va, policy_};
        } else {
            const bool ps = (raw & entry_bit::page_size) != 0;
            constexpr LeafFeature needs = Traits::leaf_needs;
            if (!ps || needs == LeafFeature::never) {
                // PS is reserved in a PML5E/PML4E (SDM §4.5.4) — no 512 GiB or 256 TiB pages. PAE PDPTEs have
                // no PS bit (bit 7 is reserved).
                const bool reserved = ps && (LevelNumber >= 4 || Mode::id == PagingMode::pae);
                return {reserved ? NextKind::reserved_ps : NextKind::table, raw, memory_, va, policy_};
            }
            if (needs == LeafFeature::pse && !policy_.pse) return {NextKind::table, raw, memory_, va, policy_};
            if (needs == LeafFeature::page1gb && !policy_.page1gb) {
                return {NextKind::reserved_ps, raw, memory_, va, policy_};
            }
            return {NextKind::huge_page, raw, memory_, va, policy_};
        }
    }

private:
    M* memory_;
    std::uint64_t table_pa_;
    std::uint64_t va_base_;
    LeafPolicy policy_;
};

/// The top-level table of `Mode` whose address is in `cr3`.
template <class Mode, TableMemory M>
constexpr TableWalker<Mode, Mode::levels, M> root(M& memory, std::uint64_t cr3, LeafPolicy policy = {}) {
    // No CPU is known here: every address bit up to 51 may hold the root's address.
    return TableWalker<Mode, Mode::levels, M>(memory, root_address(Mode::id, cr3, 52), 0, policy);
}

/// The top-level table of the context's paging structures. Traps if the context is in another mode.
template <class Mode, TableMemory M>
constexpr TableWalker<Mode, Mode::levels, M> root(const Context& ctx, M& memory) {
    if (ctx.mode() != Mode::id) __builtin_trap();
    const LeafPolicy policy{(ctx.registers().cr4 & cr4::pse) != 0, ctx.cpu().page1gb};
    return TableWalker<Mode, Mode::levels, M>(memory, ctx.root(), 0, policy);
}

}  // namespace pagewalk
