// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: the guest's own identity map inside tables it builds for a scenario program or a matrix job
// — image (supervisor), its user section (user; protection key kGuestPkey where keys exist), the modules, and RAM from
// the tables up to `end` — all executable, so that no mapping needs EFER.NXE, and nothing at or above 1 GiB (the
// scenarios' linear addresses). Built with the walker's Mapper. Portable (-m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/pagewalk.hpp>

#include "runner/layout.hpp"

namespace pagewalk::guest::runner {

/// The pkey of the guest's own user pages (trampoline, user stack): programs may not use it (validate_program).
inline constexpr std::uint8_t kGuestPkey = 15;

/// The result of map_guest_identity: the mapper's result of the first range that failed (ok otherwise) and that range's
/// start.
struct IdentityMapped {
    MapResult result{};
    std::uint64_t range_start = 0;
};

/// Maps the guest into the tables of `ctx` (its root already made) with frames from `frames`.
template <class Frames>
IdentityMapped map_guest_identity(const Context& ctx, IdentityMemory& memory, Frames& frames, const GuestMemoryMap& map,
                                  const ProgramAreas& areas, std::uint64_t end) {
    const MapRights kernel{true, false, true}, user{true, true, true};
    MapOptions user_options{};
    if (ctx.is_long_mode()) user_options.pkey = kGuestPkey;
    struct Range {
        std::uint64_t lo, hi;
        MapRights rights;
        MapOptions options;
    } const ranges[] = {
        {map.image_start, map.user_start, kernel, {}},
        {map.user_start, map.user_end, user, user_options},
        {map.user_end, areas.identity_low_end, kernel, {}},
        {areas.identity_high, end & ~std::uint64_t{0xfff}, kernel, {}},
    };
    Mapper<IdentityMemory, Frames> m{ctx, memory, frames};
    for (const Range& r : ranges) {
        if (r.hi <= r.lo) continue;
        const MapResult res = m.map(r.lo, r.lo, r.hi - r.lo, r.rights, r.options);
        if (!res) return {res, r.lo};
    }
    return {};
}

}  // namespace pagewalk::guest::runner
