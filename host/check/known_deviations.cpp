// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/known_deviations.hpp"

#include <pagewalk/pagewalk.hpp>

namespace pagewalk::host::check {
namespace {

constexpr std::uint32_t kPfP = pf::p, kPfRsvd = pf::rsvd;
constexpr std::uint8_t kPf = vector::page_fault, kGp = vector::general_protection;

/// QEMU's software MMU reports a reserved-bit #PF without P: the SDM (Vol. 3A §4.7) says RSVD is set only together
/// with P (a reserved bit is found only in a present entry), real CPUs give 0x9/0xb, QEMU 7.2 gives 0x8/0xa.
bool rsvd_without_p(const Disagreement& d) {
    return d.expected_vector == kPf && d.observed_exception && d.observed_vector == kPf &&
           (d.expected_error & (kPfP | kPfRsvd)) == (kPfP | kPfRsvd) && d.observed_error == (d.expected_error & ~kPfP);
}

/// QEMU exempts an implicit supervisor access made at CPL < 3 with EFLAGS.AC = 1 from SMAP
/// (target/i386/cpu.h cpu_mmu_index_kernel picks MMU_KNOSMAP_IDX); the SDM exempts only explicit accesses.
bool smap_implicit_ac(const Disagreement& d) {
    return d.expected_vector == kPf && d.implicit && d.ac && d.cpl < 3 && (d.fault_causes & fault_cause::smap) != 0 &&
           !(d.observed_exception && d.observed_vector == kPf);
}

/// QEMU's software MMU, with a CPU model whose vendor is AMD (TCG `-cpu max` is AuthenticAMD), accepts bit 8 of a
/// PML4E/PML5E, which AMD reserves (APM Vol. 2 §5.3: bits 8:7 MBZ); KVM reserves it for AMD guests too. Matches
/// only when the predicted fault is a reserved bit in a level-4/5 entry with bit 8 set and PS clear, and the CPU
/// completed the access (so it found no reserved bit there at all).
bool amd_top_bit8(const Disagreement& d) {
    const bool bit8_fault = d.expected_vector == kPf && (d.expected_error & kPfRsvd) != 0 &&
                            (d.fault_causes & fault_cause::reserved_bit) != 0 && d.fault_level >= 4 &&
                            (d.fault_entry & Pml4e::amd_reserved_field::mask) != 0 &&
                            (d.fault_entry & entry_bit::page_size) == 0;
    if (!bit8_fault) return false;
    // An implicit access (a descriptor read) completed when it did not page-fault: the descriptor itself may then
    // raise #GP/#NP.
    const bool completed = !d.observed_exception || (d.implicit && d.observed_vector != kPf);
    // QEMU walks on as an Intel CPU would: where the checker walked the access again that way, the CPU did exactly
    // that — completed it, or raised that walk's #PF; without that walk, only a completed access is evidence.
    if (!d.intel_walk_known || !d.intel_walk_faults) return completed;
    return d.observed_exception && d.observed_vector == kPf && d.observed_error == d.intel_walk_error;
}

/// A PAE PDPTE load (MOV to CR3, or MOV to CR0/CR4 changing the bits SDM Vol. 3A §4.4.1 lists) that the model says
/// raises #GP(0) and the CPU completed, where the only reserved bit set is bit 5 — which QEMU itself sets in the
/// in-memory PDPTE when it walks through it (as if it were an accessed flag). Listed before pae_pdpte_no_gp.
/// The same bit, seen by a read_entry step of a PAE PDPTE that expected A = 0: only bit 5 differs, and it is set.
bool pae_pdpte_accessed_bit(const Disagreement& d) {
    constexpr std::uint64_t bit5 = bits::bit(5);  // an A flag's place, reserved in a PAE PDPTE
    if (d.entry_read)
        return d.mode == static_cast<std::uint8_t>(PagingMode::pae) && d.entry_level == 3 &&
               d.entry_unexpected == bit5 && (d.entry_value & bit5) != 0;
    return d.pdpte_load && d.expected_vector == kGp && !d.observed_exception && d.pdpte_reserved == bit5;
}

/// A PAE PDPTE load that the model says raises #GP(0) (a present PDPTE with a reserved bit) and the CPU completed.
bool pae_pdpte_no_gp(const Disagreement& d) {
    if (d.entry_read || !d.pdpte_load || d.expected_vector != kGp || d.pdpte_reserved == 0) return false;
    // QEMU completes the load; its walk then reads the PDPTE from memory and either completes the access or raises
    // #PF with RSVD for the reserved bit (the access matrix sees the access; a control_write record only the load).
    const bool completed_or_rsvd =
        !d.observed_exception || (d.observed_vector == kPf && (d.observed_error & kPfRsvd) != 0);
    if (!d.relaxed_pdpte_walk_known || d.relaxed_pdpte_walk_gp) return completed_or_rsvd;
    // The PDPTE's only reserved bits are ones QEMU's walk does not check (2:1, 8:5): where the checker walked the
    // access again without them, the CPU did exactly what that walk gives — completed the access (an implicit one:
    // read its descriptor, then #GP for it), or raised that walk's #PF.
    if (!d.relaxed_pdpte_walk_faults) return !d.observed_exception || (d.implicit && d.observed_vector != kPf);
    return d.observed_exception && d.observed_vector == kPf && d.observed_error == d.relaxed_pdpte_walk_error;
}

/// 32-bit paging, 4 MiB PDE (PS = 1, CR4.PSE = 1): the model predicts a reserved-bit #PF for PSE-36 address bits
/// (20:13 = PA 39:32) at or above MAXPHYADDR, bit 21 clear, and the CPU completed the access.
bool pse36_above_maxphyaddr(const Disagreement& d) {
    return d.mode == static_cast<std::uint8_t>(PagingMode::legacy32) && d.expected_vector == kPf &&
           (d.expected_error & kPfRsvd) != 0 && (d.fault_causes & fault_cause::reserved_bit) != 0 &&
           d.fault_level == 2 && (d.fault_entry & entry_bit::page_size) != 0 &&
           (d.fault_entry & Pde4M::reserved21_field::mask) == 0 &&
           (d.fault_entry & Pde4M::address_high_field::mask) != 0 && !d.observed_exception;
}

/// A read that only a page fault made fresh returned the data of the frame the page was mapped to before.
bool keeps_translation_after_fault(const Disagreement& d) {
    return d.read_after_fault_invalidation && d.value_from_earlier_frame && !d.observed_exception;
}

/// An access at CPL 3 with EFLAGS.AC = 1 to an address not aligned to its width raised #AC although the guest's
/// CR0.AM is 0 (SDM Vol. 3A §6.15 Interrupt 17: alignment checking needs CR0.AM = 1 as well).
bool alignment_check_without_am(const Disagreement& d) {
    return d.observed_exception && d.observed_vector == vector::alignment_check && d.cpl == 3 && d.ac && d.misaligned &&
           !d.cr0_am && !d.implicit;
}

/// A read found bytes that an earlier CPL-0 write across a page boundary stored on one page although it faulted on
/// the other — and only those bytes differ from what the host knows.
bool partial_split_write(const Disagreement& d) {
    return d.value_from_faulted_split_write && !d.observed_exception;
}

}  // namespace

const std::vector<KnownDeviation>& known_deviations() {
    static const std::vector<KnownDeviation> list = {
        {"qemu-rsvd-without-p", BackendKind::qemu, "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.7: RSVD = 1 only with P = 1 (a reserved bit is checked only in a present entry)",
         "QEMU 7.2 TCG (target/i386/tcg/sysemu/excp_helper.c) raises #PF with error code 0x8/0xa for a reserved bit "
         "where hardware gives 0x9/0xb; seen by scenarios/reserved-bit-*.toml and the first probe of this host",
         rsvd_without_p},
        {"qemu-smap-implicit-ac", BackendKind::qemu, "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.6.1: with CR4.SMAP = 1, an implicit supervisor-mode access (e.g. a GDT/LDT descriptor read) "
         "may not reach a user-mode address whatever EFLAGS.AC is",
         "QEMU 7.2 TCG loads descriptors through cpu_mmu_index_kernel(), which drops SMAP when CPL < 3 and AC = 1: "
         "scenarios/smap-ac-implicit.toml step 5 reads the LDT descriptor from a user page without #PF (then #GP "
         "0x4 for the descriptor itself); KVM (kvm_pvm) raises the #PF",
         smap_implicit_ac},
        {"qemu-amd-pml4e-bit8", BackendKind::qemu, "QEMU emulator version 7.2",
         "AMD APM Vol. 2 §5.3 (long-mode PML5E/PML4E formats: bits 8:7 MBZ; the SDM, Vol. 3A §4.5.4, leaves bit 8 "
         "ignored): with an AMD vendor, bit 8 of a present PML4E or PML5E is reserved — #PF with P|RSVD",
         "QEMU 7.2 TCG -cpu max reports AuthenticAMD but its walker (target/i386/tcg/sysemu/excp_helper.c) checks "
         "only PS and the address bits of a PML4E/PML5E: scenarios/reserved-bit8-pml4e-amd.toml step 3 reads "
         "through a PML4E with bit 8 set without a fault; KVM (kvm_pvm, AMD host) raises #PF 0x9",
         amd_top_bit8},
        {"qemu-pae-pdpte-accessed", BackendKind::qemu, "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.4.1 (Table 4-8: bits 2:1 and 8:5 of a PAE PDPTE are reserved; the PDPTEs are loaded into "
         "registers, the processor does not write them): a PDPTE load finding bit 5 set raises #GP(0)",
         "QEMU 7.2 TCG walks PAE paging through the PDPT in memory and sets bit 5 of the PDPTE it used (as if it were "
         "an accessed flag): the access records of every PAE scenario show e.g. PDPTE 0x204001 -> 0x204021. The next "
         "MOV to CR3 (scenarios/cr3-reload-after-remap.toml, pae-pdpte-loaded-at-cr3-reload.toml …) reads a PDPT "
         "with that reserved bit set, and QEMU, which checks no PDPTE at a load (qemu-pae-pdpte-no-gp), completes it; "
         "a read_entry of the PDPTE expecting A = 0 reads bit 5 set",
         pae_pdpte_accessed_bit},
        {"qemu-pae-pdpte-no-gp", BackendKind::qemu, "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.4.1: in PAE paging, MOV to CR3 (and MOV to CR0/CR4 changing CR0.CD/NW/PG, CR4.PAE/PGE/PSE/"
         "SMEP) loads the four PDPTE registers and raises #GP(0) if a present PDPTE has a reserved bit set",
         "QEMU 7.2 TCG's MOV to CR3 (cpu_x86_update_cr3, target/i386/helper.c) only stores CR3 and flushes its TLB — "
         "no PDPTE registers, no check (early QEMU sources say so: \"XXX: in legacy PAE mode, generate a GPF if "
         "reserved bits are set in the PDPT\"); its walker reads the PDPTE at every walk, faults with #PF RSVD for "
         "its address bits above MAXPHYADDR, bits 62:52 and 63, and ignores bits 2:1 and 8:5: "
         "scenarios/pae-pdpte-reserved-gp.toml step 4 completes where the SDM says #GP(0), and the access matrix's "
         "PAE combinations with bits 2:1 or 8:5 set complete or fault exactly as that walk does",
         pae_pdpte_no_gp},
        {"qemu-pse36-above-maxphyaddr", BackendKind::qemu, "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.3 (Table 4-4: a 4-MByte PDE's bits 20:13 hold PA bits 39:32; those at or above MAXPHYADDR "
         "are reserved, as is bit 21): such a PDE faults with #PF P|RSVD",
         "QEMU 7.2 TCG (target/i386/tcg/sysemu/excp_helper.c, 32-bit PSE branch) reserves only bit 21 of a 4 MiB "
         "PDE (rsvd_mask = 0x200000) and never compares the PSE-36 bits with phys-bits: "
         "scenarios/reserved-pse36-above-maxphyaddr.toml step 6 (-cpu max,phys-bits=36, PDE bit 17 = PA bit 36) "
         "reads without a fault",
         pse36_above_maxphyaddr},
        {"qemu-pf-keeps-stale-translation", BackendKind::qemu, "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.10.4.1: a page fault invalidates the TLB entries for the faulting linear address (current "
         "PCID), so that the fault does not recur from a stale entry; the next access of that page uses the paging "
         "structures in memory",
         "QEMU 7.2 TCG (accel/tcg/cputlb.c) keeps its TLB's read entry when a write to the same page faults (the "
         "#PF comes from a fresh walk, the cached entry is not removed): scenarios/page-fault-invalidates-the-page."
         "toml step 5 reads the tag of frame 0 (the page's frame before the un-flushed remap) after step 4's write "
         "#PF, in all four modes; KVM (kvm_pvm) reads frame 1",
         keeps_translation_after_fault},
        {"kvm-pvm-alignment-check", BackendKind::kvm, "",
         "SDM Vol. 3A §6.15 (Interrupt 17) and §2.5 (CR0.AM): a misaligned data access raises #AC only when CR0.AM = "
         "1, "
         "EFLAGS.AC = 1 and CPL = 3; with CR0.AM = 0 it completes",
         "kvm_pvm runs the guest's CPL-3 code natively in the host's ring 3, where the host's CR0.AM = 1 applies, not "
         "the guest's: scenarios/access-misaligned.toml step 3 (an 8-byte read at an odd address, CPL 3, AC = 1, the "
         "guest's CR0.AM = 0) raises #AC(0); QEMU TCG completes it",
         alignment_check_without_am},
        {"kvm-emulator-partial-split-write", BackendKind::kvm, "",
         "SDM Vol. 3A §6.5 (a fault restores the state before the faulting instruction; only x87/SSE accesses wider "
         "than 8 bytes may leave some of their stores visible, §8.1.1): a write across a page boundary that faults on "
         "one page stores nothing on the other",
         "kvm_pvm emulates CPL-0 code with KVM's instruction emulator, which splits an access across a page boundary "
         "into one access per page and writes the first page before it translates the second (arch/x86/kvm/x86.c, "
         "emulator_read_write): scenarios/access-crossing-second-page-faults.toml step 4 (8 bytes at 0x4000_0ffc, the "
         "second page not present) takes the #PF but leaves its low 4 bytes on the first page, which step 6 reads; "
         "the CPL-3 write of step 5, which the CPU runs natively, stores nothing; QEMU TCG stores nothing",
         partial_split_write},
    };
    return list;
}

Disagreement access_disagreement(const harness::AccessRecord& a) {
    Disagreement d;
    d.observed_exception = a.outcome != 0;
    d.observed_vector = a.vector;
    d.observed_error = a.error_code;
    d.cpl = a.cpl;
    d.ac = (a.access_flags & harness::access_flag::ac) != 0;
    d.implicit = (a.access_flags & harness::access_flag::implicit) != 0;
    d.misaligned = (a.va & ((a.width != 0 ? a.width : 8u) - 1)) != 0;
    return d;
}

std::optional<KnownDeviation> match_known_deviation(const Disagreement& d) {
    for (const KnownDeviation& k : known_deviations()) {
        if (d.backend != backend_name(k.backend)) continue;
        if (d.backend_version.rfind(k.version_prefix, 0) != 0) continue;
        if (k.matches(d)) return k;
    }
    return std::nullopt;
}

}  // namespace pagewalk::host::check
