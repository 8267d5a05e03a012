// SPDX-License-Identifier: MIT OR Apache-2.0
// Access rights: whether an access to a translated address is allowed (SDM Vol. 3A §4.6).
//
// The effective rights of a translation combine every level that controls it (§4.6.1): an address is
// writable iff R/W = 1 at every level, a user-mode address iff U/S = 1 at every level, and executable
// iff XD = 0 at every level (XD counts only with IA32_EFER.NXE = 1). The check below is then a direct
// transcription of §4.6.1 (supervisor/user rules with CR0.WP, CR4.SMEP, CR4.SMAP, EFLAGS.AC) and §4.6.2
// (protection keys).
#pragma once

#include <cstdint>

#include "access.hpp"
#include "context.hpp"

namespace pagewalk {

/// Effective rights of a translation.
struct Rights {
    bool writable = false;
    bool user = false;
    bool executable = false;
};

namespace detail {
// Rights packed in one byte (W = 1, U = 2, X = 4): separate bools cost store-forwarding stalls when combined.
inline constexpr std::uint8_t rights_writable = 1;
inline constexpr std::uint8_t rights_user = 2;
inline constexpr std::uint8_t rights_executable = 4;
}  // namespace detail

/// The verdict on one access: the fault causes (0 = allowed) and whether the error code gets PK.
struct AccessCheck {
    std::uint16_t causes = 0;
    bool pk_flag = false;

    constexpr bool allowed() const { return causes == 0; }
};

[[gnu::always_inline]] constexpr AccessCheck check_access(const Context& ctx, const Rights& r, std::uint8_t pkey,
                                                          const Access& a) {
    AccessCheck out{};
    const bool user_access = a.is_user();
    const bool data = !a.is_fetch();

    // §4.6.2: protection keys apply to user-mode addresses only, and only to data accesses. AD denies
    // every data access; WD denies user writes, and supervisor writes when CR0.WP = 1.
    bool pk_denies = false;
    if (ctx.pke() && r.user && data) {
        const bool ad = ((a.pkru >> (2u * pkey)) & 1u) != 0;
        const bool wd = ((a.pkru >> (2u * pkey + 1u)) & 1u) != 0;
        pk_denies = ad || (wd && a.is_write() && (user_access || ctx.wp()));
    }

    if (user_access) {
        // §4.6.1, user-mode access: only user-mode addresses; writes need R/W = 1 everywhere (CR0.WP plays
        // no part); fetches need XD = 0 everywhere when NXE = 1.
        if (!r.user) out.causes |= fault_cause::user_supervisor;
        if (a.is_write() && !r.writable) out.causes |= fault_cause::write_protect;
        if (a.is_fetch() && !r.executable) out.causes |= fault_cause::execute_disable;
    } else if (a.is_fetch()) {
        // §4.6.1, supervisor fetch: never from a user-mode address with SMEP; else XD decides.
        if (r.user && ctx.smep()) out.causes |= fault_cause::smep;
        if (!r.executable) out.causes |= fault_cause::execute_disable;
    } else {
        // §4.6.1, supervisor data access to a user-mode address with SMAP: allowed only when EFLAGS.AC = 1
        // and the access is explicit (an implicit access, or one at CPL 3, is never exempt).
        if (r.user && ctx.smap() && !(a.ac && a.is_explicit_supervisor())) out.causes |= fault_cause::smap;
        // §4.6.1, supervisor write: R/W matters only when CR0.WP = 1.
        if (a.is_write() && !r.writable && ctx.wp()) out.causes |= fault_cause::write_protect;
    }

    if (pk_denies) out.causes |= fault_cause::pkey;
    // §4.7: PK is reported whenever the key denies the access, whatever else also denies it.
    out.pk_flag = pk_denies;
    return out;
}

}  // namespace pagewalk
