// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest, access matrix: the 64-bit world's batch of accesses with a bare handler (batch64.S) — the matrix's
// reads, writes and fetches at CPL 0 and 3 cost the backend's own exception round trip and a few instructions, not
// the harness's general try_call path. Implicit accesses (an LDT per access) take the general path.
#pragma once

#include <cstdint>
#include <pagewalk/access.hpp>

#include "arch/descriptors.hpp"
#include "arch/trap.hpp"
#include "runner/access_request.hpp"

namespace pagewalk::guest::matrix {

/// One access of pw_mx_batch (layout pinned: batch64.S reads it).
struct FastAccess {
    std::uint64_t va = 0;
    std::uint64_t value = 0;              ///< in: what a write stores; out: what a read returned
    std::uint32_t kind = 0;               ///< fast_kind bits
    std::uint32_t vector = 0xffff'ffffu;  ///< out: the exception, 0xffffffff for none
    std::uint64_t error_code = 0;
    std::uint64_t cr2 = 0;
    std::uint64_t reserved = 0;
};
static_assert(sizeof(FastAccess) == 48);

namespace fast_kind {
inline constexpr std::uint32_t read = 0, write = 1, fetch = 2, ac = 4, user = 8;
}

extern "C" {
void pw_mx_batch(FastAccess* ops, std::uint64_t n);
void pw_mx_trap6();
void pw_mx_trap13();
void pw_mx_trap14();
void pw_mx_trap17();
}

/// Whether an access can take the fast path: an 8-byte explicit access (EFLAGS.AC only at CPL 0, where it matters).
constexpr bool fast_path(const runner::AccessRequest& r) {
    return !r.implicit && (r.cpl == 0 || !r.ac);
}

constexpr FastAccess fast_access(const runner::AccessRequest& r) {
    FastAccess f;
    f.va = r.va;
    f.value = r.value;
    f.kind = (r.kind == harness::AccessKind::write   ? fast_kind::write
              : r.kind == harness::AccessKind::fetch ? fast_kind::fetch
                                                     : fast_kind::read) |
             (r.ac ? fast_kind::ac : 0) | (r.cpl == 3 ? fast_kind::user : 0);
    return f;
}

/// The outcome of a fast access as the general path reports it.
constexpr runner::AccessResult fast_result(const FastAccess& f, const runner::AccessRequest& r) {
    runner::AccessResult out;
    if (f.vector != 0xffff'ffffu) {
        out.trap.taken = true;
        out.trap.vector = static_cast<std::uint8_t>(f.vector);
        out.trap.has_error_code = arch::has_error_code(f.vector);
        out.trap.error_code = f.error_code;
        out.trap.cr2 = f.vector == vector::page_fault ? f.cr2 : 0;
        out.trap.cpl = r.cpl;
    }
    out.value = out.trap.taken && r.kind == harness::AccessKind::read ? 0 : f.value;
    return out;
}

/// While it lives, #UD, #GP, #PF and #AC go to batch64.S's bare handler.
class BareTrapGates {
public:
    BareTrapGates()
        : ud_(arch::swap_idt_handler(vector::invalid_opcode, address(pw_mx_trap6))),
          gp_(arch::swap_idt_handler(vector::general_protection, address(pw_mx_trap13))),
          pf_(arch::swap_idt_handler(vector::page_fault, address(pw_mx_trap14))),
          ac_(arch::swap_idt_handler(vector::alignment_check, address(pw_mx_trap17))) {}
    ~BareTrapGates() {
        arch::swap_idt_handler(vector::invalid_opcode, ud_);
        arch::swap_idt_handler(vector::general_protection, gp_);
        arch::swap_idt_handler(vector::page_fault, pf_);
        arch::swap_idt_handler(vector::alignment_check, ac_);
    }
    BareTrapGates(const BareTrapGates&) = delete;
    BareTrapGates& operator=(const BareTrapGates&) = delete;

private:
    static std::uint64_t address(void (*fn)()) { return reinterpret_cast<std::uintptr_t>(fn); }
    std::uint64_t ud_, gp_, pf_, ac_;
};

}  // namespace pagewalk::guest::matrix
