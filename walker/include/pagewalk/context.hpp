// SPDX-License-Identifier: MIT OR Apache-2.0
// PagingContext: everything about the CPU's state that decides a translation, precomputed per level.
//
// Built from CR0, CR3, CR4, IA32_EFER and the CPU's features — what a hypervisor reads from a vCPU and
// what a kernel reads from itself:
//
//   auto ctx = pagewalk::Context::from_registers({.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer}, cpu);
//   if (!ctx) log(to_string(ctx.error()));
//
// It detects the paging mode (SDM Vol. 3A §4.1.1, Table 4-1), and computes for every level the reserved
// bits of a table entry and of a leaf entry, the address bits, and whether PS maps a page there — so
// that translate() is a short loop. For PAE paging it also holds the four PDPTEs as loaded by the last
// MOV to CR3 (SDM §4.4.1).
#pragma once

#include <cstdint>

#include "cpu.hpp"
#include "memory.hpp"
#include "mode.hpp"

namespace pagewalk {

/// Why a register set does not describe a state the CPU could be in.
enum class ContextError : std::uint8_t {
    none,
    paging_without_protection,  // CR0.PG = 1 with CR0.PE = 0 (MOV CR0 would #GP, SDM §2.5)
    long_mode_without_pae,      // EFER.LMA = 1 with CR4.PAE = 0 (SDM §9.8.5)
    long_mode_without_paging,   // EFER.LMA = 1 with CR0.PG = 0
    unsupported_long_mode,      // EFER.LMA without CPUID long-mode support
    unsupported_la57,           // 5-level paging on a CPU without LA57
    unsupported_pae,            // CR4.PAE on a CPU without PAE
    unsupported_pse,            // CR4.PSE without PSE
    unsupported_pge,            // CR4.PGE without PGE
    unsupported_nx,             // EFER.NXE without NX
    unsupported_smep,           // CR4.SMEP without SMEP
    unsupported_smap,           // CR4.SMAP without SMAP
    unsupported_pku,            // CR4.PKE without PKU
    bad_maxphyaddr,             // MAXPHYADDR outside 32..52
    cr3_reserved_bits,          // CR3 holds bits at or above MAXPHYADDR (MOV CR3 would #GP)
    control_reserved_bits,      // CR0, CR4 or EFER has a reserved bit set (the write would #GP)
    nw_without_cd,              // CR0.NW = 1 with CR0.CD = 0 (MOV to CR0 would #GP)
};

constexpr const char* to_string(ContextError e) {
    switch (e) {
        case ContextError::none:
            return "none";
        case ContextError::paging_without_protection:
            return "CR0.PG is set but CR0.PE is clear";
        case ContextError::long_mode_without_pae:
            return "EFER.LMA is set but CR4.PAE is clear";
        case ContextError::long_mode_without_paging:
            return "EFER.LMA is set but CR0.PG is clear";
        case ContextError::unsupported_long_mode:
            return "EFER.LMA is set but the CPU has no long mode";
        case ContextError::unsupported_la57:
            return "CR4.LA57 is set but the CPU has no 5-level paging";
        case ContextError::unsupported_pae:
            return "CR4.PAE is set but the CPU has no PAE";
        case ContextError::unsupported_pse:
            return "CR4.PSE is set but the CPU has no PSE";
        case ContextError::unsupported_pge:
            return "CR4.PGE is set but the CPU has no PGE";
        case ContextError::unsupported_nx:
            return "EFER.NXE is set but the CPU has no NX";
        case ContextError::unsupported_smep:
            return "CR4.SMEP is set but the CPU has no SMEP";
        case ContextError::unsupported_smap:
            return "CR4.SMAP is set but the CPU has no SMAP";
        case ContextError::unsupported_pku:
            return "CR4.PKE is set but the CPU has no PKU";
        case ContextError::bad_maxphyaddr:
            return "MAXPHYADDR is outside 32..52";
        case ContextError::cr3_reserved_bits:
            return "CR3 has bits set at or above MAXPHYADDR";
        case ContextError::control_reserved_bits:
            return "CR0, CR4 or EFER has a reserved bit set";
        case ContextError::nw_without_cd:
            return "CR0.NW is set without CR0.CD";
    }
    return "?";
}

/// MAXPHYADDR as the walk uses it: CPUID's value, clamped to the architectural 32..52 (a Context rejects others).
constexpr unsigned clamped_maxphyaddr(unsigned maxphyaddr) {
    return maxphyaddr < 32 ? 32u : (maxphyaddr > 52 ? 52u : maxphyaddr);
}

/// The top-level table's physical address in CR3 (SDM Vol. 3A §4.3 Table 4-3, §4.4.1 Table 4-7, §4.5.2 Table
/// 4-12): bits 31:12 in 32-bit paging, 31:5 (the PDPT) in PAE paging, MAXPHYADDR-1:12 in 4/5-level paging.
constexpr std::uint64_t root_address(PagingMode mode, std::uint64_t cr3, unsigned maxphyaddr) {
    switch (mode) {
        case PagingMode::disabled:
            return 0;
        case PagingMode::legacy32:
            return cr3 & cr3::root_legacy32;
        case PagingMode::pae:
            return cr3 & cr3::root_pae;
        case PagingMode::long4:
        case PagingMode::long5:
            break;
    }
    return cr3 & cr3::root_long & bits::mask(clamped_maxphyaddr(maxphyaddr) - 1, 0);
}

/// What one level of the walk needs to know, precomputed from the registers and features.
struct LevelRule {
    std::uint64_t reserved_table = 0;  // reserved bits of a present entry that references a table
    std::uint64_t reserved_leaf = 0;   // reserved bits of a present entry that maps a page
    std::uint64_t table_address = 0;   // bits holding the next table's physical address
    std::uint64_t leaf_address = 0;    // bits holding the page's physical address (unused for PSE-36)
    LevelShape shape{};
    bool ps_maps_page = false;    // PS = 1 makes this entry a leaf (else PS is reserved or ignored)
    bool always_leaf = false;     // level 1
    bool pse36_address = false;   // a 32-bit 4 MiB PDE: address bits 39:32 come from bits 20:13
    std::uint64_t leaf_test = 0;  // a present entry is a leaf iff (entry & leaf_test) != 0 (derived from the above)
    // The walk's one test per entry: a bad entry has a reserved bit set or P clear, so it is the reserved bits
    // plus P, tested against the entry with P flipped (derived from the above).
    std::uint64_t table_check = 0;
    std::uint64_t leaf_check = 0;
};

/// Outcome of loading the PAE PDPTEs (what MOV CR3 does in PAE mode, SDM §4.4.1).
struct PdpteLoad {
    enum class Status : std::uint8_t { ok, general_protection, memory_error } status = Status::ok;
    unsigned index = 0;               // the PDPTE that failed
    std::uint64_t pa = 0;             // its physical address
    std::uint64_t reserved_bits = 0;  // reserved bits found set (general_protection)
    constexpr explicit operator bool() const { return status == Status::ok; }
};

class Context {
public:
    constexpr Context() = default;

    /// Builds the context for the given registers on a CPU with the given features.
    static constexpr Context from_registers(const ControlRegisters& regs, const CpuFeatures& cpu = {}) {
        Context c;
        c.regs_ = regs;
        c.cpu_ = cpu;
        c.mode_ = detect_mode(regs);
        c.shape_ = pagewalk::shape(c.mode_);
        c.error_ = validate(regs, cpu, c.mode_);
        c.wp_ = (regs.cr0 & cr0::wp) != 0;
        c.smep_ = (regs.cr4 & cr4::smep) != 0;
        c.smap_ = (regs.cr4 & cr4::smap) != 0;
        c.pge_ = (regs.cr4 & cr4::pge) != 0;
        const bool pae_or_long =
            c.mode_ == PagingMode::pae || c.mode_ == PagingMode::long4 || c.mode_ == PagingMode::long5;
        // IA32_EFER.NXE only matters with PAE-format entries; 32-bit entries have no XD bit (SDM §4.6.2).
        c.nxe_ = pae_or_long && (regs.efer & efer::nxe) != 0;
        // Protection keys exist only with 4-level and 5-level paging (SDM §4.6.2).
        c.pke_ = (c.mode_ == PagingMode::long4 || c.mode_ == PagingMode::long5) && (regs.cr4 & cr4::pke) != 0;
        // SDM §4.7: the I/D flag is reported only if SMEP = 1, or PAE = 1 and NXE = 1.
        c.reports_fetch_ = c.smep_ || ((regs.cr4 & cr4::pae) != 0 && (regs.efer & efer::nxe) != 0);
        c.compute_rules();
        return c;
    }

    /// Convenience for tests and tools: a context for `mode` with the table root at `root_pa`, the usual
    /// protections on (CR0.WP, EFER.NXE where the mode has XD, CR4.PSE in 32-bit paging), nothing else.
    static constexpr Context for_mode(PagingMode mode, std::uint64_t root_pa, const CpuFeatures& cpu = {}) {
        ControlRegisters r{};
        r.cr3 = root_pa;
        if (mode != PagingMode::disabled) r.cr0 = cr0::pe | cr0::pg | cr0::wp;
        if (mode == PagingMode::legacy32) r.cr4 = cr4::pse;
        if (mode == PagingMode::pae || mode == PagingMode::long4 || mode == PagingMode::long5) {
            r.cr4 |= cr4::pae;
            r.efer = efer::nxe;
        }
        if (mode == PagingMode::long4 || mode == PagingMode::long5) r.efer |= efer::lme | efer::lma;
        if (mode == PagingMode::long5) r.cr4 |= cr4::la57;
        return from_registers(r, cpu);
    }

    constexpr explicit operator bool() const { return error_ == ContextError::none; }
    constexpr ContextError error() const { return error_; }
    constexpr PagingMode mode() const { return mode_; }
    constexpr const ModeShape& shape() const { return shape_; }
    constexpr const ControlRegisters& registers() const { return regs_; }
    constexpr const CpuFeatures& cpu() const { return cpu_; }
    constexpr const LevelRule& rule(unsigned level) const { return rules_[level]; }
    constexpr const LevelRule& rule(Level level) const { return rules_[level.value()]; }

    /// Physical address of the top-level table (PML5, PML4, PAE PDPT or 32-bit page directory).
    constexpr std::uint64_t root() const { return root_; }
    constexpr bool wp() const { return wp_; }
    constexpr bool nxe() const { return nxe_; }
    constexpr bool smep() const { return smep_; }
    constexpr bool smap() const { return smap_; }
    constexpr bool pke() const { return pke_; }
    constexpr bool pge() const { return pge_; }
    /// Whether a page fault on an instruction fetch sets the I/D flag of the error code (SDM §4.7).
    constexpr bool reports_fetch() const { return reports_fetch_; }
    constexpr bool is_long_mode() const { return mode_ == PagingMode::long4 || mode_ == PagingMode::long5; }

    // ---- PAE: the PDPTE registers (SDM §4.4.1) ----

    /// Reserved bits of a present PAE PDPTE: 2:1, 8:5, 63 and MAXPHYADDR..62 (SDM §4.4.1, "Format of a
    /// PAE Page-Directory-Pointer-Table Entry").
    constexpr std::uint64_t pdpte_reserved() const { return pdpte_reserved_; }

    /// Emulates the PDPTE load that MOV to CR3 (and the other PAE-enabling writes) performs: reads the
    /// four entries at CR3[31:5], and fails with #GP if a present one has a reserved bit set. A later
    /// write to the PDPT in memory is not seen until this is done again.
    template <TableMemory M>
    constexpr PdpteLoad load_pdptes(M& memory) {
        PdpteLoad result{};
        std::uint64_t loaded[4] = {};
        for (unsigned i = 0; i < 4; ++i) {
            const EntryLocation loc{root_, 0, static_cast<std::uint16_t>(i), 3, 8};
            if (!memory.read_entry(loc, loaded[i])) return {PdpteLoad::Status::memory_error, i, loc.pa(), 0};
            const std::uint64_t bad = loaded[i] & pdpte_reserved_;
            if ((loaded[i] & entry_bit::present) != 0 && bad != 0)
                return {PdpteLoad::Status::general_protection, i, loc.pa(), bad};
        }
        set_pdptes(loaded);
        return result;
    }

    /// Installs PDPTE values taken from a vCPU's registers (e.g. KVM_GET_SREGS2's pdptrs).
    constexpr void set_pdptes(const std::uint64_t (&values)[4]) {
        for (unsigned i = 0; i < 4; ++i) pdptes_[i] = values[i];
        pdptes_loaded_ = true;
    }
    /// True when the PDPTE registers are known; otherwise translate reads the PDPT from memory.
    constexpr bool pdptes_loaded() const { return pdptes_loaded_; }
    constexpr std::uint64_t pdpte(unsigned i) const { return pdptes_[i & 3]; }

private:
    static constexpr PagingMode detect_mode(const ControlRegisters& r) {
        if ((r.cr0 & cr0::pg) == 0) return PagingMode::disabled;
        if ((r.efer & efer::lma) != 0) return (r.cr4 & cr4::la57) != 0 ? PagingMode::long5 : PagingMode::long4;
        if ((r.cr4 & cr4::pae) != 0) return PagingMode::pae;
        return PagingMode::legacy32;
    }

    static constexpr ContextError validate(const ControlRegisters& r, const CpuFeatures& f, PagingMode mode) {
        if (f.maxphyaddr < 32 || f.maxphyaddr > 52) return ContextError::bad_maxphyaddr;
        if ((r.cr0 & cr0::reserved) != 0 || (r.cr4 & cr4::reserved) != 0 || (r.efer & efer::reserved) != 0)
            return ContextError::control_reserved_bits;
        if ((r.cr0 & cr0::nw) != 0 && (r.cr0 & cr0::cd) == 0) return ContextError::nw_without_cd;
        if ((r.efer & efer::lma) != 0) {
            if (!f.long_mode) return ContextError::unsupported_long_mode;
            if ((r.cr0 & cr0::pg) == 0) return ContextError::long_mode_without_paging;
            if ((r.cr4 & cr4::pae) == 0) return ContextError::long_mode_without_pae;
        }
        if ((r.cr0 & cr0::pg) != 0 && (r.cr0 & cr0::pe) == 0) return ContextError::paging_without_protection;
        if (mode == PagingMode::long5 && !f.la57) return ContextError::unsupported_la57;
        if ((r.cr4 & cr4::pae) != 0 && !f.pae) return ContextError::unsupported_pae;
        if ((r.cr4 & cr4::pse) != 0 && !f.pse) return ContextError::unsupported_pse;
        if ((r.cr4 & cr4::pge) != 0 && !f.pge) return ContextError::unsupported_pge;
        if ((r.efer & efer::nxe) != 0 && !f.nx) return ContextError::unsupported_nx;
        if ((r.cr4 & cr4::smep) != 0 && !f.smep) return ContextError::unsupported_smep;
        if ((r.cr4 & cr4::smap) != 0 && !f.smap) return ContextError::unsupported_smap;
        if ((r.cr4 & cr4::pke) != 0 && !f.pku) return ContextError::unsupported_pku;
        // SDM §4.5.2 / §4.4.1 / §4.3: MOV CR3 rejects address bits at or above MAXPHYADDR — in 4/5-level paging
        // up to bit 63 (CR3 never holds bit 63; LAM's bits 62:61 are not modelled), in legacy modes CR3 is 32 bits.
        const bool long_mode = mode == PagingMode::long4 || mode == PagingMode::long5;
        const std::uint64_t cr3_reserved = long_mode ? bits::range_or_empty(63, f.maxphyaddr) : bits::mask(63, 32);
        static_assert(cr3::root_long == bits::mask(51, 12));
        if (mode != PagingMode::disabled && (r.cr3 & cr3_reserved) != 0) return ContextError::cr3_reserved_bits;
        return ContextError::none;
    }

    // The reserved-bit rules, SDM Vol. 3A §4.3 (32-bit), §4.4.2 (PAE) and §4.5.4 (4/5-level), the tables
    // "Format of a … Entry"; AMD APM Vol. 2 §5.3-§5.4 for the AMD differences. The fixed reserved fields are the
    // entry types' own declarations (entry.hpp); what depends on the CPU (MAXPHYADDR, NXE, 1 GiB pages, the
    // vendor) is added here.
    constexpr void compute_rules() {
        const unsigned m = clamped_maxphyaddr(cpu_.maxphyaddr);
        const std::uint64_t ps = entry_bit::page_size;
        // XD is reserved while EFER.NXE = 0 (§4.4.2, §4.5.4).
        const std::uint64_t xd = nxe_ ? 0 : entry_bit::execute_disable;
        // Physical-address bits a 4 KiB leaf maps: the address field below MAXPHYADDR.
        const std::uint64_t page_bits = Pte::address_field::mask & bits::mask(m - 1, 0);
        for (unsigned l = 1; l <= shape_.levels; ++l) rules_[l].shape = shape_.at(l);
        root_ = root_address(mode_, regs_.cr3, m);
        switch (mode_) {
            case PagingMode::disabled:
                break;
            case PagingMode::legacy32: {
                // With CR4.PSE = 0 the PS bit of a PDE is ignored, not reserved (§4.3).
                const bool pse = (regs_.cr4 & cr4::pse) != 0;
                // 4 MiB page: bit 21 reserved; bits 20:13 hold PA 39:32 (PSE-36), those at or above
                // min(MAXPHYADDR, 40) reserved; without PSE-36 all of 20:13 are reserved (§4.3).
                const unsigned pa_width = cpu_.pse36 ? (m < 40 ? m : 40) : 32;
                using High = Pde4M::address_high_field;
                rules_[2] = {
                    0,
                    Pde4M::reserved21_field::mask |
                        bits::range_or_empty(High::high, High::shift + (pa_width - Pde4M::address_high_pa_shift)),
                    table_address_mask(mode_, m),
                    Pde4M::address_low_field::mask,
                    rules_[2].shape,
                    pse,
                    false,
                    true};
                rules_[1] = {0, 0, 0, Pte32::address_field::mask, rules_[1].shape, false, true, false};
                break;
            }
            case PagingMode::pae: {
                const std::uint64_t high = bits::range_or_empty(62, m);  // PAE reserves MAXPHYADDR..62
                pdpte_reserved_ = PaePdpte::reserved_low_field::mask | PaePdpte::reserved_middle_field::mask |
                                  PaePdpte::reserved_high_field::mask | high;
                const std::uint64_t addr = table_address_mask(mode_, m);
                rules_[3] = {pdpte_reserved_, pdpte_reserved_, addr, 0, rules_[3].shape, false, false, false};
                rules_[2] = {high | xd,
                             high | xd | PaePde2M::alignment_field::mask,
                             addr,
                             PaePde2M::address_field::mask & page_bits,
                             rules_[2].shape,
                             true,
                             false,
                             false};
                rules_[1] = {0, high | xd, 0, addr, rules_[1].shape, false, true, false};
                break;
            }
            case PagingMode::long4:
            case PagingMode::long5: {
                const std::uint64_t high = bits::range_or_empty(51, m);  // MAXPHYADDR..51
                const std::uint64_t addr = table_address_mask(mode_, m);
                // PS is reserved in a PML5E/PML4E; AMD also reserves their bit 8 (APM Vol. 2 §5.4.1).
                const std::uint64_t top = high | xd | Pml4e::page_size_field::mask |
                                          (cpu_.vendor == Vendor::amd ? Pml4e::amd_reserved_field::mask : 0);
                static_assert(Pml5e::amd_reserved_field::mask == Pml4e::amd_reserved_field::mask);
                rules_[5] = {top, top, addr, 0, rules_[5].shape, false, false, false};
                rules_[4] = {top, top, addr, 0, rules_[4].shape, false, false, false};
                // A PDPTE with PS = 1 maps 1 GiB only with CPUID 1-GByte-page support; else PS is reserved.
                const bool gb = cpu_.page1gb;
                rules_[3] = {high | xd | (gb ? 0 : ps),
                             high | xd | Pdpte1G::alignment_field::mask,
                             addr,
                             Pdpte1G::address_field::mask & page_bits,
                             rules_[3].shape,
                             gb,
                             false,
                             false};
                rules_[2] = {high | xd,
                             high | xd | Pde2M::alignment_field::mask,
                             addr,
                             Pde2M::address_field::mask & page_bits,
                             rules_[2].shape,
                             true,
                             false,
                             false};
                rules_[1] = {0, high | xd, 0, addr, rules_[1].shape, false, true, false};
                break;
            }
        }
        // Level 1 entries are always leaves; above, PS decides where it maps a page.
        for (unsigned l = 1; l <= shape_.levels; ++l) {
            LevelRule& r = rules_[l];
            r.leaf_test = r.always_leaf ? ~std::uint64_t{0} : (r.ps_maps_page ? ps : 0);
            r.table_check = r.reserved_table | entry_bit::present;
            r.leaf_check = r.reserved_leaf | entry_bit::present;
        }
    }

    ControlRegisters regs_{};
    CpuFeatures cpu_{};
    PagingMode mode_ = PagingMode::disabled;
    ContextError error_ = ContextError::none;
    ModeShape shape_{};
    LevelRule rules_[6] = {};
    std::uint64_t root_ = 0;
    std::uint64_t pdpte_reserved_ = 0;
    std::uint64_t pdptes_[4] = {};
    bool pdptes_loaded_ = false;
    bool wp_ = false, nxe_ = false, smep_ = false, smap_ = false, pke_ = false, pge_ = false;
    bool reports_fetch_ = false;
};

}  // namespace pagewalk
