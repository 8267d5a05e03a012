// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: inspect-demo's building blocks, shared by the -m32 and -m64 worlds: a list of mapper steps and
// the raw entry edits that give a few entries reserved bits (to show where QEMU's monitor departs from the SDM).
#pragma once

#include <cstdint>
#include <pagewalk/pagewalk.hpp>

#include "report/reporter.hpp"
#include "report/text.hpp"

namespace pagewalk::guest::demo {

/// One mapper call. `sizes` limits the page sizes (MapOptions::sizes); `bit` is set in the entry of `level`
/// that maps `va` (kind reserve: an entry the CPU must fault on with RSVD = 1).
struct Step {
    enum Kind : std::uint8_t { map, unmap, protect, reserve } kind;
    std::uint64_t va;
    std::uint64_t pa;
    std::uint64_t size;
    MapRights rights;
    MapOptions options;
    unsigned level = 0;
    std::uint64_t bit = 0;
};

/// Runs the steps in order; logs each failure and returns how many failed.
template <class Mapper, class Memory>
unsigned apply(Reporter& r, Mapper& mapper, Memory& memory, const Step* steps, unsigned count) {
    unsigned failures = 0;
    for (unsigned i = 0; i < count; ++i) {
        const Step& s = steps[i];
        MapResult result{};
        if (s.kind == Step::map) result = mapper.map(s.va, s.pa, s.size, s.rights, s.options);
        if (s.kind == Step::unmap) result = mapper.unmap(s.va, s.size);
        if (s.kind == Step::protect) result = mapper.protect(s.va, s.size, s.rights);
        if (s.kind == Step::reserve) {
            const auto loc = mapper.locate(s.va, s.level);
            std::uint64_t e = 0;
            if (!loc.ok || !memory.read_entry(loc.value, e) || !memory.write_entry(loc.value, e | s.bit)) {
                result.error = MapError::memory_error;
                result.error_va = s.va;
            }
        }
        if (!result) {
            Text t;
            t << "inspect-demo: step ";
            t.hex(i) << " failed: " << to_string(result.error) << " at ";
            r.log(t.hex(result.error_va).c_str(), 2);
            ++failures;
        }
    }
    return failures;
}

/// Page-table frames of the demo's tables, both worlds: 8 – 12 MiB (identity-mapped, free of image and data).
inline constexpr std::uint64_t kFramesBase = 8ull << 20, kFramesSize = 4ull << 20;

/// The root of the demo's tables and how many steps failed.
struct Tables {
    std::uint64_t root = 0;
    unsigned failures = 0;
};

/// Builds the demo's address space for `mode` with the Mapper over identity-mapped memory: the steps every mode
/// shares, then the mode's own, then a recursive slot at `recursive_slot` (none when negative: PAE has none).
template <unsigned NCommon, unsigned NOwn>
Tables build_tables(Reporter& r, PagingMode mode, const Step (&common)[NCommon], const Step (&own)[NOwn],
                    int recursive_slot) {
    IdentityMemory memory;
    BumpAllocator<16> frames{kFramesBase, kFramesSize};
    Tables t;
    t.root = Mapper<IdentityMemory, BumpAllocator<16>>::create_root(Context::for_mode(mode, 0), memory, frames);
    const Context ctx = Context::for_mode(mode, t.root);
    Mapper mapper{ctx, memory, frames};
    t.failures = apply(r, mapper, memory, common, NCommon);
    t.failures += apply(r, mapper, memory, own, NOwn);  // after the common steps: they build on them
    if (recursive_slot >= 0 && !install_recursive_slot(ctx, memory, static_cast<unsigned>(recursive_slot)))
        ++t.failures;
    return t;
}

/// Touches a byte (sets A along the walk; D too when `write`).
inline void touch(std::uintptr_t va, bool write) {
    volatile std::uint8_t* p = reinterpret_cast<volatile std::uint8_t*>(va);
    const std::uint8_t v = *p;
    if (write) *p = v;
}

}  // namespace pagewalk::guest::demo
