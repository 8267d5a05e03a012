// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what this KVM can really do, from CPUID and from short probe VMs.
//
// CPUID (KVM_GET_SUPPORTED_CPUID) says what KVM *claims*; each probe VM runs a few instructions (probe_snippets.S)
// and shows what it *does*: e.g. kvm_pvm claims PAE but shuts the vCPU down when PAE paging is turned on, and
// enforces SMEP/SMAP whatever KVM_SET_CPUID2 says. Every capability comes with the observation behind it.
#pragma once

#include <cstdint>
#include <memory>
#include <pagewalk/mode.hpp>
#include <string>
#include <vector>

#include "kvm/kvm.hpp"

namespace pagewalk::host::kvm {

/// One row of the probe table.
struct Capability {
    std::string name;    ///< "paging32", "smep", …
    bool cpuid = false;  ///< KVM_GET_SUPPORTED_CPUID claims it (true for things CPUID cannot say)
    bool works = false;  ///< the probe VM showed it working (for enforcement rows: enforced)
    std::string reason;  ///< what was observed, e.g. "KVM_EXIT_SHUTDOWN after stage 1 (CR0.PG set)"
};

/// The probe's answer for one /dev/kvm.
struct KvmCapabilities {
    bool available = false;
    std::string unavailable_reason;  ///< why /dev/kvm cannot be used (when !available)
    std::string vendor;              ///< CPUID.0 vendor string from the supported CPUID
    unsigned maxphyaddr = 0;
    std::string cpuid_source;  ///< where the "cpuid" column came from
    std::vector<Capability> rows;

    [[nodiscard]] const Capability* find(const std::string& name) const;
    /// True when the row exists and worked.
    [[nodiscard]] bool has(const std::string& name) const;
    /// The 32-bit multiboot entry works here iff protected mode runs and the guest can enter long mode itself.
    [[nodiscard]] bool can_enter_32bit() const { return has("pm32") && has("long_from32"); }
};

/// The probe row that says whether `mode` runs ("paging32", "pae", "long64", "la57"); nullptr for disabled paging.
const char* paging_row(PagingMode mode);

/// Runs every probe (a dozen tiny VMs, a few milliseconds). Never throws; failures become rows with reasons.
KvmCapabilities probe_kvm(const std::shared_ptr<KvmSystem>& kvm);

/// Probes only what the launcher needs to pick an entry path (pm32, long_from32), cached per process.
bool kvm_can_enter_32bit(const std::shared_ptr<KvmSystem>& kvm);

}  // namespace pagewalk::host::kvm
