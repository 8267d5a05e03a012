// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what the step encoders share while one scenario compiles for one mode — the program so far, the
// control bits at the current step, the shadow address space, the TLB model, the PAE PDPTE registers' reserved
// bits — and the checks and TLB events more than one op needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenario/compiler.hpp"
#include "scenario/shadow_address_space.hpp"
#include "scenario/tlb_with_fault_record.hpp"

namespace pagewalk::host::scenario {

std::string hex(std::uint64_t v);

class CompileState {
public:
    CompileState(const Scenario& s, PagingMode m, CompileResult& out)
        : scenario(s), mode(m), program(out.program), out_(out) {}

    const Scenario& scenario;
    const PagingMode mode;
    Program& program;
    TlbWithFaultRecord tlb;      ///< which translations may be stale (SDM Vol. 3A §4.10, walker/)
    ShadowAddressSpace space;    ///< what the steps mapped so far
    std::uint32_t controls = 0;  ///< harness::control bits at the current step
    bool nxe = false;            ///< EFER.NXE at the current step
    std::uint16_t cr3_low = 0;   ///< CR3[11:0]: the PCID while CR4.PCIDE = 1 (kept when it is cleared)
    std::uint32_t data_frames = 0;

    // --- diagnostics
    void error(const SourcePos& pos, const std::string& key, std::string message);
    [[nodiscard]] std::size_t error_count() const { return out_.errors.size(); }
    static std::string key(const StepSpec& st, const char* field = nullptr);

    // --- checks several ops share
    /// The address checks every op with a linear address shares.
    bool check_va(const StepSpec& st, std::uint64_t bytes, bool allow_non_canonical);
    /// An absolute physical range must exist: no wrap past 2^64, nothing at or above 2^MAXPHYADDR (the CPU's, or
    /// the architectural 52 bits when the scenario does not fix it). Reserved address bits are an `edit`'s business.
    void check_physical_range(const StepSpec& st, std::uint64_t pa, std::uint64_t bytes);
    /// The step's `entry` as a level (1 = PTE …), or 0 (and an error) when the mode has no such entry.
    unsigned level(const StepSpec& st);
    /// True (and an error) when [va, va + size) reaches into a recursive slot's region.
    bool in_slot_region(const StepSpec& st, std::uint64_t va, std::uint64_t size);
    /// Without XD in the entries (32-bit paging) or with EFER.NXE = 0, every page is executable (SDM Vol. 3A
    /// §4.6): "x" only matters where XD exists, so the compiler does not ask the mapper for what it cannot write.
    [[nodiscard]] std::uint8_t rights(std::uint8_t r) const;
    /// The data frames [first, first + count) are used (more than the format allows shows as one too many).
    void use_frames(std::uint64_t first, std::uint64_t count);
    /// The end of the guest's own identity map: scenario entries and slots must not cover it.
    [[nodiscard]] std::uint64_t guest_end() const;
    [[nodiscard]] bool pcide() const;
    [[nodiscard]] bool long_mode() const { return mode == PagingMode::long4 || mode == PagingMode::long5; }

    // --- TLB events (the model: tlb_with_fault_record.hpp)
    /// A translation is global only if G = 1 and CR4.PGE = 1 (SDM Vol. 3A §4.10.2.4). With PGE = 0 no global TLB
    /// entry exists: those made while it was 1 went when it was cleared (a MOV to CR4 changing PGE flushes all).
    [[nodiscard]] bool global_now(bool g) const;
    void changed(std::uint64_t lo, std::uint64_t hi, bool global, std::uint64_t page_size);
    /// The leaves of [va, va + size) changed: their translations may be stale, global ones (pages mapped G, or
    /// `now_global`) only where CR4.PGE = 1 makes them global — page by page, so that a CR3 load still flushes the
    /// others.
    void leaves_changed(std::uint64_t va, std::uint64_t size, bool now_global);
    /// Every translation that can exist — those of the ranges mapped so far — may be stale.
    void every_translation_changed();
    /// Every translation through a recursive slot (its addresses read the paging structures) may be stale.
    void slot_translations_changed();
    /// The runner applies the mapper's flush for [va, va + size): nothing there stays stale.
    void flushed_range(std::uint64_t va, std::uint64_t size);
    /// MOV CR3, CR3: the current PCID's non-global translations, unless its PDPTE load may fault.
    void mov_cr3();
    /// CR4.PGE off and on: everything, unless the first write's PDPTE load may fault.
    void toggle_pge();

    // --- PAE: the PDPTE registers (SDM Vol. 3A §4.4.1)
    /// An edit of the PDPTE of st.va: the reserved bits it may leave set. A PDPTE load with one of them in a present
    /// PDPTE raises #GP(0) and invalidates nothing, so the flushes that load PDPTEs count only while none can be set.
    void track_pdpte(const StepSpec& st);
    /// A map may make the PDPTEs of [va, va + size) present again.
    void pdptes_mapped(std::uint64_t va, std::uint64_t size);
    /// A poke by absolute address may have written any PDPTE.
    void pdptes_unknown() { pdpte_unknown_ = true; }
    [[nodiscard]] bool pdpte_load_may_fault() const;

private:
    CompileResult& out_;
    std::uint64_t pdpte_reserved_[4] = {};  ///< reserved bits edits may have set in each PDPTE
    bool pdpte_absent_[4] = {};             ///< an edit made the PDPTE not present (until a map or edit there)
    bool pdpte_unknown_ = false;            ///< a poke may have written any PDPTE
};

}  // namespace pagewalk::host::scenario
