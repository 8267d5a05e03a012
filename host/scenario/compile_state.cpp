// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/compile_state.hpp"

#include <algorithm>
#include <cstdio>
#include <pagewalk/context.hpp>
#include <pagewalk/entry.hpp>
#include <pagewalk/register_writes.hpp>

namespace pagewalk::host::scenario {

namespace ctl = harness::control;

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

void CompileState::error(const SourcePos& pos, const std::string& key, std::string message) {
    out_.errors.emplace_back(pos, key, std::move(message) + " [mode " + to_string(mode) + "]");
}

std::string CompileState::key(const StepSpec& st, const char* field) {
    return "step[" + std::to_string(st.id) + "]" + (field ? std::string(".") + field : "");
}

bool CompileState::check_va(const StepSpec& st, std::uint64_t bytes, bool allow_non_canonical) {
    if (!shape(mode).is_address(st.va) && (mode == PagingMode::legacy32 || mode == PagingMode::pae)) {
        error(st.pos, key(st, "va"), hex(st.va) + " does not fit a 32-bit linear address");
        return false;
    }
    if (!allow_non_canonical && !shape(mode).is_address(st.va)) {
        error(st.pos, key(st, "va"), hex(st.va) + " is not canonical");
        return false;
    }
    if (st.va < kGuestIdentityEnd) {
        error(st.pos, key(st, "va"),
              hex(st.va) + " lies in the guest's own identity map [0, " + hex(kGuestIdentityEnd) +
                  "): use addresses from 1 GiB up");
        return false;
    }
    if (bytes > 1 && shape(mode).is_address(st.va) &&
        (st.va + bytes < st.va || !shape(mode).is_address(st.va + bytes - 1))) {
        error(st.pos, key(st, "size"), "the range runs past the linear-address space");
        return false;
    }
    return true;
}

void CompileState::check_physical_range(const StepSpec& st, std::uint64_t pa, std::uint64_t bytes) {
    const unsigned bits = pagewalk::clamped_maxphyaddr(program.maxphyaddr == 0 ? 52 : program.maxphyaddr);
    if (pa + bytes < pa || pa + bytes > (1ull << bits))
        error(st.pos, key(st, "pa"),
              "[" + hex(pa) + ", +" + hex(bytes) + ") runs past MAXPHYADDR (" + std::to_string(bits) +
                  " bits): no such physical address (set reserved address bits with an edit step)");
}

unsigned CompileState::level(const StepSpec& st) {
    const unsigned l = st.entry.resolve(mode);
    if (l > shape(mode).levels) {
        error(st.pos, key(st, "entry"),
              std::string("no such entry in ") + to_string(mode) + " paging (restrict the step with modes = [...])");
        return 0;
    }
    return l;
}

bool CompileState::in_slot_region(const StepSpec& st, std::uint64_t va, std::uint64_t size) {
    for (const SlotRegion& r : space.slot_regions())
        if (va < r.hi && va + size > r.lo) {
            error(st.pos, key(st, "va"),
                  hex(va) + " lies in the region of the recursive slot [" + hex(r.lo) + ", " + hex(r.hi) +
                      "): its tables are the paging structures themselves");
            return true;
        }
    return false;
}

std::uint8_t CompileState::rights(std::uint8_t r) const {
    return nxe ? r : static_cast<std::uint8_t>(r | harness::step_rights::executable);
}

void CompileState::use_frames(std::uint64_t first, std::uint64_t count) {
    data_frames = std::max<std::uint64_t>(data_frames, first + count) > harness::kMaxDataFrames
                      ? harness::kMaxDataFrames + 1
                      : static_cast<std::uint32_t>(std::max<std::uint64_t>(data_frames, first + count));
}

std::uint64_t CompileState::guest_end() const {
    return std::max<std::uint64_t>(kGuestIdentityEnd, std::uint64_t{scenario.memory_mib} << 20);
}

bool CompileState::pcide() const {
    return (controls & ctl::pcide) != 0;
}

bool CompileState::global_now(bool g) const {
    return g && (controls & ctl::pge) != 0;
}

void CompileState::changed(std::uint64_t lo, std::uint64_t hi, bool global, std::uint64_t page_size) {
    if (hi > lo) tlb.translations_changed(lo, hi - 1, page_size, global);
}

void CompileState::leaves_changed(std::uint64_t va, std::uint64_t size, bool now_global) {
    const std::uint64_t page = space.page_size_of(va, size);
    changed(va, va + size, global_now(now_global), page);
    if (!global_now(true) || now_global) return;
    for (const std::uint64_t g : space.globals_in(va, size)) changed(g, g + 4096, true, page);
}

void CompileState::every_translation_changed() {
    for (const MappedRange& m : space.ranges()) changed(m.lo, m.hi, global_now(true), m.page_size);
    slot_translations_changed();
}

void CompileState::slot_translations_changed() {
    for (const SlotRegion& r : space.slot_regions()) changed(r.lo, r.hi, false, 4096);
}

void CompileState::flushed_range(std::uint64_t va, std::uint64_t size) {
    if (size > ShadowAddressSpace::kPageByPageLimit) {
        // The runner flushes everything: a CR4.PGE toggle when a page was global, else a CR3 reload (which
        // leaves other PCIDs' translations).
        if (space.any_global(va, size))
            toggle_pge();
        else
            mov_cr3();
        return;
    }
    for (std::uint64_t o = 0; o < size; o += 4096) tlb.invlpg(va + o);
}

void CompileState::mov_cr3() {
    if (!pdpte_load_may_fault()) tlb.mov_cr3(cr3_low, pcide());
}

void CompileState::toggle_pge() {
    if (!pdpte_load_may_fault()) tlb.mov_cr4(cr4::pge, 0);
}

void CompileState::track_pdpte(const StepSpec& st) {
    // Bits 62:MAXPHYADDR are reserved as well; without a known MAXPHYADDR, every bit from 36 up (the least).
    const unsigned maxphy = program.maxphyaddr != 0 ? program.maxphyaddr : 36;
    const std::uint64_t reserved = PaePdpte::reserved_low_field::mask | PaePdpte::reserved_middle_field::mask |
                                   PaePdpte::reserved_high_field::mask | bits::mask(62, maxphy);
    const unsigned i = (st.va >> 30) & 3;
    pdpte_reserved_[i] = (pdpte_reserved_[i] & ~st.clear_bits) | (st.set_bits & reserved);
    if (st.set_maxphyaddr_bit) pdpte_reserved_[i] |= std::uint64_t{1} << maxphy;
    // Only a present PDPTE is checked (§4.4.1): one this step made not present cannot fault.
    if ((st.set_bits & entry_bit::present) != 0)
        pdpte_absent_[i] = false;
    else if ((st.clear_bits & entry_bit::present) != 0)
        pdpte_absent_[i] = true;
}

void CompileState::pdptes_mapped(std::uint64_t va, std::uint64_t size) {
    if (mode != PagingMode::pae) return;
    for (std::uint64_t g = va >> 30; g <= ((va + size - 1) >> 30) && g < 4; ++g) pdpte_absent_[g] = false;
}

bool CompileState::pdpte_load_may_fault() const {
    if (mode != PagingMode::pae) return false;
    if (pdpte_unknown_) return true;
    for (unsigned i = 0; i < 4; ++i)
        if (pdpte_reserved_[i] != 0 && !pdpte_absent_[i]) return true;
    return false;
}

}  // namespace pagewalk::host::scenario
