// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what a scenario's `qemu_cpu` says about the CPU it needs, in terms the guest can check on any
// machine. A "feature absent" rule (PS in a PDPTE is reserved without 1 GiB pages) is proven on QEMU with
// `-cpu max,-pdpe1gb`; on a physical machine (the ISO) or another CPU model the guest must skip it unless its CPUID
// agrees. The compiler puts the answer into the program header (absent_features, maxphyaddr, features).
#pragma once

#include <cstdint>
#include <string>

namespace pagewalk::host::scenario {

/// The CPU a `qemu_cpu` value describes.
struct CpuCondition {
    std::uint32_t present = 0;    ///< harness::feature bits turned on ("+pdpe1gb", "pku=on")
    std::uint32_t absent = 0;     ///< harness::feature bits turned off ("-pdpe1gb", "smep=off")
    std::uint8_t maxphyaddr = 0;  ///< "phys-bits=N"; 0: not given
    std::string error;            ///< non-empty: a part the guest cannot check (names it)
};

/// Parses "max[,FLAG…]" where FLAG is -name, +name, name=on|off or phys-bits=N and name one of QEMU's x86 feature
/// names the harness knows (pdpe1gb nx smep smap pku la57 pse pse36 pge pcid pat). Empty: no condition.
CpuCondition cpu_condition(const std::string& qemu_cpu);

}  // namespace pagewalk::host::scenario
