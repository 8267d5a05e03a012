// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: the paging context for a dump — from the CPU state QEMU saved, the command line, or both.
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/context.hpp>
#include <string>
#include <vector>

#include "inspect/dump.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::inspect {

/// What the command line says about the registers; unset fields come from the dump.
struct RegisterOptions {
    std::optional<std::uint64_t> cr3;  // nullopt: "auto", from the dump
    std::optional<PagingMode> mode;    // forces the mode bits of CR0/CR4/EFER
    std::optional<std::uint64_t> cr0, cr4, efer;
    unsigned cpu = 0;         // which vCPU's state (QEMU notes are in vCPU order)
    bool raw_pdptes = false;  // PAE: take the PDPTEs exactly as in memory (see resolve_context)
};

/// The context to walk with, the registers it was built from, and what was derived or assumed (for stderr).
struct ResolvedContext {
    Context ctx;
    ControlRegisters regs;
    std::vector<std::string> notes;
};

/// Combines the dump's CPU state with the options: explicit registers override the dump, --mode overrides the
/// mode bits of both. EFER is not in QEMU's state: LMA is derived (ELF e_machine, CS.L), NXE assumed set in PAE
/// and long mode — both said in `notes`. PAE: the PDPTE registers are not in the dump either; they are taken from
/// the PDPT in memory, except that bit 5 is cleared where it is the only reserved bit set — QEMU's TCG sets it (as
/// if it were an accessed flag) when it walks, although a PAE PDPTE reserves it (SDM Vol. 3A §4.4.1), so the
/// value loaded at MOV CR3 had it clear; `raw_pdptes` keeps memory's values (then such a PDPTE is a #GP). Fails with a
/// message naming the dump when nothing says where the tables are or which mode they are in, or when the registers
/// describe a state no CPU can be in.
Expected<ResolvedContext> resolve_context(const Dump& dump, const RegisterOptions& options);

/// "32bit", "pae", "4level", "5level" → the mode.
std::optional<PagingMode> parse_mode(const std::string& name);

}  // namespace pagewalk::host::inspect
