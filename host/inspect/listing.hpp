// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: every mapping of an address space, in four formats.
//
//   ranges    one line per maximal run (contiguous linear and physical addresses, same page size, rights, G, key),
//             "FIRST-LAST -> PA_FIRST-PA_LAST SIZE RIGHTS[ G][ pkey N]" (LAST inclusive); entries the CPU would
//             fault on with RSVD and tables outside the dump are lines starting "!" with the entry concerned
//   json      the same as JSON Lines: one object per run or problem
//   qemu-tlb  QEMU's `info tlb`: one line per leaf, "VA: ADDRESS FLAGS" (see qemu_format.hpp)
//   qemu-mem  QEMU's `info mem`: runs of equal user/write rights, physical contiguity ignored
//
// All four walk the tables with pagewalk::visit() the way the CPU does (reserved bits are faults, recursive slots
// are followed, the work is bounded by a budget of entries read).
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/context.hpp>
#include <pagewalk/visit.hpp>
#include <string>

#include "inspect/dump_memory.hpp"
#include "inspect/output.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::inspect {

enum class ListFormat : std::uint8_t { ranges, json, qemu_tlb, qemu_mem };

std::optional<ListFormat> parse_list_format(const std::string& name);

struct ListOptions {
    ListFormat format = ListFormat::ranges;
    VisitRange range = VisitRange::all();
    std::uint64_t max_entries = std::uint64_t{1} << 26;  // entries read before the listing gives up (~1 s)
};

/// What the listing saw.
struct ListStats {
    std::uint64_t lines = 0;
    std::uint64_t entries_read = 0;
    std::uint64_t problems = 0;  // reserved-bit entries and unreadable tables
};

/// Writes the listing to `out`. Fails, before writing anything, when the budget of entries read runs out: hostile
/// tables that reference themselves many times over. (The default covers ~128 GiB mapped in 4 KiB pages.)
Expected<ListStats> write_listing(const Context& ctx, const DumpMemory& memory, const ListOptions& options,
                                  Output& out);

/// Parses "START-END" (hex, END inclusive).
std::optional<VisitRange> parse_range(const std::string& text);

}  // namespace pagewalk::host::inspect
