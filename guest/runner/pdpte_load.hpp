// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: the PDPT a PAE PDPTE load reads, and the walker's prediction of the load. Portable (-m32
// and -m64).
//
// Which writes load the PDPTE registers is the walker's rule (pagewalk::loads_pdptes, SDM Vol. 3A §4.4.1). The
// runner predicts each load from a snapshot of the PDPT taken just before the write (PdptSnapshot): on real CPUs
// nothing else writes a PAE PDPT, but QEMU 7.2 sets bit 5 in it when it walks, so a later read would see other
// values.
#pragma once

#include <cstdint>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>

namespace pagewalk::guest::runner {

/// The four PDPTEs as they are in memory at one moment: a TableMemory, so that Context::load_pdptes predicts the
/// load from exactly these values.
struct PdptSnapshot {
    std::uint64_t entries[4] = {};

    /// Reads the PDPT that `cr3` points to (bits 31:5, SDM Vol. 3A §4.4.1, Table 4-7).
    template <TableMemory M>
    static PdptSnapshot read(M& memory, std::uint64_t cr3) {
        PdptSnapshot s;
        for (std::uint16_t i = 0; i < 4; ++i) {
            const EntryLocation loc{root_address(PagingMode::pae, cr3, 52), 0, i, 3, 8};
            if (!memory.read_entry(loc, s.entries[i])) s.entries[i] = 0;
        }
        return s;
    }
    bool read_entry(const EntryLocation& loc, std::uint64_t& out) const {
        out = entries[loc.index & 3];
        return true;
    }
};

/// The model's answer for one PDPTE load: Context::load_pdptes over the snapshot, and the reserved bits set in every
/// present PDPTE (OR of the four), so that a report names them all, not only the first failing PDPTE's.
struct PdptePrediction {
    PdpteLoad load{};
    std::uint64_t reserved_bits = 0;
    [[nodiscard]] bool general_protection() const { return load.status == PdpteLoad::Status::general_protection; }
};

/// Predicts the load a write makes; `after` is the context with the registers as they will be after the write.
inline PdptePrediction predict_pdpte_load(Context after, const PdptSnapshot& pdpt) {
    PdptePrediction p;
    p.load = after.load_pdptes(pdpt);
    for (unsigned i = 0; p.general_protection() && i < 4; ++i)
        if ((pdpt.entries[i] & entry_bit::present) != 0) p.reserved_bits |= pdpt.entries[i] & after.pdpte_reserved();
    return p;
}

}  // namespace pagewalk::guest::runner
