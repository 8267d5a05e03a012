// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the documented list of known backend deviations from the SDM, and the matcher.
//
// A deviation is a backend doing something the SDM (and the model) says it must not. The harness never bends the
// model to a backend: it reports the disagreement exactly. When a disagreement matches an entry of this list
// (backend, version, rule), the run shows it as "deviation (known)" and counts it apart from passes and failures;
// any other disagreement fails. Each entry names its evidence, so it can be re-checked and removed when fixed.
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/harness/runner_records.hpp>
#include <string>
#include <vector>

#include "backend/kind.hpp"

namespace pagewalk::host::check {

/// One disagreement about an exception, as the matcher sees it.
struct Disagreement {
    std::string backend;          ///< "kvm" or "qemu"
    std::string backend_version;  ///< e.g. "QEMU emulator version 7.2.22 (Debian …)"; KVM: the kernel release
    std::uint8_t expected_vector = 0;
    std::uint32_t expected_error = 0;  ///< what the SDM / the model says
    bool observed_exception = false;
    std::uint8_t observed_vector = 0;
    std::uint64_t observed_error = 0;
    // The access and why the model expects the fault.
    std::uint8_t cpl = 0;
    bool ac = false;                 ///< EFLAGS.AC
    bool implicit = false;           ///< an implicit supervisor access (descriptor-table read)
    std::uint16_t fault_causes = 0;  ///< pagewalk::fault_cause bits of the predicted fault (0 when unknown)
    std::uint8_t fault_level = 0;    ///< level (1 = PTE … 5 = PML5E) where the predicted walk stopped (0 = unknown)
    std::uint64_t fault_entry = 0;   ///< the entry at fault_level as the walk read it (before the access)
    std::uint8_t mode = 0;           ///< pagewalk::PagingMode of the program (0 = unknown)
    bool misaligned = false;         ///< the access's address is not a multiple of its width
    bool cr0_am = false;             ///< CR0.AM as the guest loaded it (run_info)
    // A control-register write rather than an access (check/control_write.hpp).
    bool pdpte_load = false;           ///< the write loaded the PAE PDPTE registers (SDM Vol. 3A §4.4.1)
    std::uint64_t pdpte_reserved = 0;  ///< predicted #GP: the reserved bits set in the present PDPTEs (OR of all)
    /// The model's outcome of the same access on an Intel CPU (bit 8 of a PML4E/PML5E ignored), when the checker
    /// walked it again that way (the access matrix): whether it faults, and its #PF error code.
    bool intel_walk_known = false;
    bool intel_walk_faults = false;
    std::uint32_t intel_walk_error = 0;
    /// PAE, a PDPTE load the model says raises #GP(0): the model's outcome of the same access with the PDPTE's
    /// reserved bits 2:1 and 8:5 clear (the bits QEMU's walker does not check), when the checker walked it again that
    /// way (the access matrix): whether that PDPTE still has a reserved bit, whether the access faults, its error code.
    bool relaxed_pdpte_walk_known = false;
    bool relaxed_pdpte_walk_gp = false;
    bool relaxed_pdpte_walk_faults = false;
    std::uint32_t relaxed_pdpte_walk_error = 0;
    // A read_entry step whose A/D expectation failed rather than an exception.
    bool entry_read = false;
    std::uint8_t entry_level = 0;        ///< level of the entry read (1 = PTE … 5 = PML5E)
    std::uint64_t entry_unexpected = 0;  ///< the bits that differ from the expectation (A = bit 5, D = bit 6)
    std::uint64_t entry_value = 0;       ///< the entry as read
    // A read whose data was wrong rather than an exception.
    bool read_after_fault_invalidation = false;  ///< only a #PF invalidated the page's change (SDM §4.10.4.1)
    bool value_from_earlier_frame = false;       ///< the data is that of a frame an earlier access reached
    /// Every wrong byte is one that an earlier CPL-0 write across a page boundary, which faulted, would have stored on
    /// its other page (the page its translation allowed it to write).
    bool value_from_faulted_split_write = false;
};

/// The evidence an access record gives: what the CPU did (exception, vector, error code) and the access (CPL,
/// EFLAGS.AC, implicit, whether its address is aligned to its width — a fetch or implicit access counts 8 bytes).
Disagreement access_disagreement(const harness::AccessRecord& a);

/// A documented deviation.
struct KnownDeviation {
    const char* id;              ///< short name, e.g. "qemu-rsvd-without-p"
    BackendKind backend;         ///< where it was seen (its backend_name() is Disagreement::backend)
    const char* version_prefix;  ///< matches backend_version's start ("" = any version)
    const char* rule;            ///< the SDM rule it breaks
    const char* evidence;        ///< where it was seen / the upstream report
    bool (*matches)(const Disagreement&);
};

/// Every known deviation (known_deviations.cpp).
const std::vector<KnownDeviation>& known_deviations();

/// The known deviation that explains `d`, if any.
std::optional<KnownDeviation> match_known_deviation(const Disagreement& d);

}  // namespace pagewalk::host::check
