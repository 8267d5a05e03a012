// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: one access as the platform makes it — the request (kind, width, CPL, EFLAGS.AC, implicit,
// address, value), the table of access stubs each world assembles (runner/access32.S, access64.S), and the one
// algorithm that picks a stub and runs it guarded, shared by the 32-bit and the 64-bit world. Portable.
#pragma once

#include <cstdint>
#include <pagewalk/harness/program.hpp>

#include "arch/trap.hpp"

namespace pagewalk::guest::runner {

/// What one access is: a scenario step's, or a matrix combination's.
struct AccessRequest {
    harness::AccessKind kind = harness::AccessKind::read;
    std::uint8_t cpl = 0;    ///< 0 or 3
    bool ac = false;         ///< EFLAGS.AC during the access
    bool implicit = false;   ///< an implicit supervisor access (a descriptor read through an LDT at va)
    std::uint8_t width = 8;  ///< 1, 2, 4 or 8 bytes (reads and writes; a fetch or implicit access ignores it)
    std::uint64_t va = 0;
    std::uint64_t value = 0;  ///< what a write stores
};

/// The access of scenario step `s`, writing `value`.
constexpr AccessRequest request_of(const harness::Step& s, std::uint64_t value) {
    AccessRequest r;
    r.kind = static_cast<harness::AccessKind>(s.access);
    r.cpl = s.cpl;
    r.ac = (s.access_flags & harness::access_flag::ac) != 0;
    r.implicit = (s.access_flags & harness::access_flag::implicit) != 0;
    r.width = static_cast<std::uint8_t>(s.width != 0 ? s.width : 8);
    r.va = s.va;
    r.value = value;
    return r;
}

/// What an access did: the trap (if any) and the value read or written.
struct AccessResult {
    arch::Trap trap;
    std::uint64_t value = 0;
};

/// Index of an access width (1, 2, 4, 8 bytes) in a table of stubs; 8 bytes for a fetch or an implicit access.
constexpr unsigned width_index(unsigned width) {
    return width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
}

/// What the read and write stubs take: the address, and the value to write or the value read.
struct AccessArgs {
    std::uint64_t va;
    std::uint64_t value;
};

/// A world's access stubs: reads and writes by width (width_index) at CPL 0, with EFLAGS.AC, and at CPL 3 (those in
/// the user section); the implicit accesses; the CPL-0 fetch with EFLAGS.AC set.
struct AccessStubs {
    arch::GuardedFn k_read[4], k_read_ac[4], k_write[4], k_write_ac[4], u_read[4], u_write[4];
    arch::GuardedFn k_implicit, k_implicit_ac, u_implicit, k_fetch_ac;
};

/// Makes access `r` with the stubs of a world. `World` has static load_ldt(va) / clear_ldt() (the LDT an implicit
/// access reads through), ac_on() / ac_off() (EFLAGS.AC around the runner's own touches of user data, as SMAP may be
/// on) and after(width_index, implicit) (what a stub leaves to clean up). `kernel_args` is supervisor data,
/// `user_args` lies in a user page (CPL 3 stubs read and write it).
template <class World>
AccessResult perform_access(const AccessStubs& s, const AccessRequest& r, AccessArgs& kernel_args,
                            AccessArgs& user_args) {
    const bool user = r.cpl == 3;
    const unsigned w = width_index(r.width);
    AccessResult out;
    if (r.kind == harness::AccessKind::fetch) {
        // The data frames hold RET (0xC3) where a fetch lands: the call returns at once when the fetch succeeds.
        const auto fn = reinterpret_cast<arch::GuardedFn>(static_cast<std::uintptr_t>(r.va));
        kernel_args = {r.va, 0};
        out.trap = user   ? arch::try_user(fn, nullptr, r.ac)
                   : r.ac ? arch::try_call(s.k_fetch_ac, &kernel_args)
                          : arch::try_call(fn, nullptr);
        return out;
    }
    if (r.implicit) World::load_ldt(r.va);
    const bool write = r.kind == harness::AccessKind::write;
    if (user) {
        World::ac_on();
        user_args = {r.va, r.value};
        World::ac_off();
        const arch::GuardedFn fn = r.implicit ? s.u_implicit : write ? s.u_write[w] : s.u_read[w];
        out.trap = arch::try_user(fn, &user_args, r.ac);
        World::ac_on();
        out.value = user_args.value;
        World::ac_off();
    } else {
        kernel_args = {r.va, r.value};
        const arch::GuardedFn fn = r.implicit ? (r.ac ? s.k_implicit_ac : s.k_implicit)
                                   : write    ? (r.ac ? s.k_write_ac[w] : s.k_write[w])
                                              : (r.ac ? s.k_read_ac[w] : s.k_read[w]);
        out.trap = arch::try_call(fn, &kernel_args);
        out.value = kernel_args.value;
    }
    if (r.implicit) World::clear_ldt();
    World::after(w, r.implicit);
    if (out.trap.taken && r.kind == harness::AccessKind::read) out.value = 0;
    return out;
}

}  // namespace pagewalk::guest::runner
