// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: what this CPU's CPUID says, as the walker and the program format want it. Portable
// (-m32 and -m64): each world's Platform answers cpu() and cpuid_features() with these.
#pragma once

#include <cstdint>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/pagewalk.hpp>

#include "arch/cpu.hpp"

namespace pagewalk::guest::runner {

/// CpuFeatures from the CPUID instruction (Intel SDM Vol. 2A "CPUID").
inline CpuFeatures cpu_features() {
    return CpuFeatures::from_cpuid([](unsigned leaf, unsigned sub) {
        const arch::CpuidResult r = arch::cpuid(leaf, sub);
        return CpuidResult{r.eax, r.ebx, r.ecx, r.edx};
    });
}

/// The harness::feature bits for `c`.
inline std::uint32_t harness_features(const CpuFeatures& c) {
    return harness::feature::of(c);
}

}  // namespace pagewalk::guest::runner
