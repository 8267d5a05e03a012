// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: which control-register writes load the PAE PDPTE registers, and the PDPT they read.
// Portable (-m32 and -m64).
//
// Intel SDM Vol. 3A §4.4.1: with PAE paging the CPU keeps the four PDPTEs in registers, loaded from the PDPT that
// CR3 points to (a) by MOV to CR3, and (b) by MOV to CR0 or CR4 after which PAE paging is in use, when it changes
// CR0.CD, CR0.NW, CR0.PG, CR4.PAE, CR4.PGE, CR4.PSE or CR4.SMEP. A present PDPTE with a reserved bit set makes that
// instruction raise #GP(0); the register written and the PDPTE registers then keep their old values. The runner
// predicts each load from a snapshot of the PDPT taken just before the write (PdptSnapshot): on real CPUs nothing
// else writes a PAE PDPT, but QEMU 7.2 sets bit 5 in it when it walks, so a later read would see other values.
#pragma once

#include <cstdint>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>

namespace pagewalk::guest::runner {

namespace cr0_cache {
inline constexpr std::uint64_t nw = std::uint64_t{1} << 29;  ///< CR0.NW (SDM Vol. 3A §2.5)
inline constexpr std::uint64_t cd = std::uint64_t{1} << 30;  ///< CR0.CD
}  // namespace cr0_cache

/// True when PAE paging is in use with these registers (SDM Vol. 3A §4.1.1: CR0.PG, CR4.PAE, IA32_EFER.LME = 0).
constexpr bool pae_paging(const ControlRegisters& r) {
    return (r.cr0 & cr0::pg) != 0 && (r.cr4 & cr4::pae) != 0 && (r.efer & efer::lme) == 0;
}

/// True when writing `reg` so that the registers go from `before` to `after` loads the PDPTE registers (§4.4.1).
constexpr bool loads_pdptes(harness::ControlRegisterId reg, const ControlRegisters& before,
                            const ControlRegisters& after) {
    if (!pae_paging(after)) return false;
    switch (reg) {
        case harness::ControlRegisterId::cr3:
            return true;
        case harness::ControlRegisterId::cr0:
            return ((before.cr0 ^ after.cr0) & (cr0_cache::cd | cr0_cache::nw | cr0::pg)) != 0;
        case harness::ControlRegisterId::cr4:
            return ((before.cr4 ^ after.cr4) & (cr4::pae | cr4::pge | cr4::pse | cr4::smep)) != 0;
    }
    return false;
}

/// The four PDPTEs as they are in memory at one moment: a TableMemory, so that Context::load_pdptes predicts the
/// load from exactly these values.
struct PdptSnapshot {
    std::uint64_t entries[4] = {};

    /// Reads the PDPT that `cr3` points to (bits 31:5, SDM Vol. 3A §4.4.1, Table 4-7).
    template <TableMemory M>
    static PdptSnapshot read(M& memory, std::uint64_t cr3) {
        PdptSnapshot s;
        for (std::uint16_t i = 0; i < 4; ++i) {
            const EntryLocation loc{cr3 & 0xffff'ffe0u, 0, i, 3, 8};
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
        if ((pdpt.entries[i] & 1) != 0) p.reserved_bits |= pdpt.entries[i] & after.pdpte_reserved();
    return p;
}

}  // namespace pagewalk::guest::runner
