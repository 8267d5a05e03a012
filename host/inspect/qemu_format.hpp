// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: QEMU 7.2's monitor formats, `info tlb` and `info mem` (target/i386/monitor.c), over the walk.
//
// info tlb: per leaf "%016llx: %016llx %c%c%c%c%c%c%c%c%c" — the linear address (sign-extended from bit 47, or bit 56
//   with CR4.LA57), the leaf entry masked the way QEMU masks it for that mode and level, and the leaf's own flags X
//   (bit 63), G, P (PS; cleared for 4 KiB PTEs, whose bit 7 is PAT), D, A, C (PCD), T (PWT), U, W. QEMU's masks
//   are part of the format, and print what the entry holds rather than the page's physical address in two places:
//   a PAE leaf keeps bits 63:52 (XD shows up as 8000…) and a 32-bit 4 MiB page keeps bit 21 but drops the PSE-36
//   bits 20:13 (a page above 4 GiB shows its address modulo 4 GiB).
// info mem: "%016llx-%016llx %016llx %c%c%c" — start, end (exclusive), size, then u/-, r, w/- — for each run of
//   consecutive pages whose U/S and R/W, combined over all levels, are equal; NX and physical addresses are ignored.
//   Addresses are QEMU's 48- or 57-bit linear addresses, sign-extended only for printing: a run may cross the
//   non-canonical hole, and a run reaching the top ends at 0001000000000000 (0200000000000000 with LA57).
// Both print "PG disabled" without paging.
#pragma once

#include <cstdint>
#include <pagewalk/context.hpp>
#include <pagewalk/visit.hpp>
#include <string>

#include "inspect/output.hpp"

namespace pagewalk::host::inspect::qemu {

/// QEMU's addr_canonical(): sign extension from bit 47, or bit 56 when CR4.LA57 = 1 (whatever the mode).
std::uint64_t canonical(const Context& ctx, std::uint64_t address);

/// The second column of `info tlb` for a leaf of `level`.
std::uint64_t tlb_address(const Context& ctx, unsigned level, std::uint64_t entry);

/// Appends one `info tlb` line for a leaf.
void append_tlb_line(std::string& out, const Context& ctx, const LeafVisit& leaf);

/// Visitor for `info mem`: feed leaves in address order, then finish().
class MemRuns {
public:
    MemRuns(const Context& ctx, Output& out);
    VisitAction leaf(const LeafVisit& l);
    void finish();
    std::uint64_t lines() const { return lines_; }

private:
    void flush();

    const Context* ctx_;
    Output* out_;
    std::uint64_t mask_;  // QEMU's linear address: 32, 48 or 57 bits
    bool open_ = false;
    std::uint64_t start_ = 0, end_ = 0;
    unsigned prot_ = 0;
    std::uint64_t lines_ = 0;
};

}  // namespace pagewalk::host::inspect::qemu
