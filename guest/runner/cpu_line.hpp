// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: the first line of a boot's screen and COM1 text — which CPU this is — and the same facts
// in the run summary (harness/summary.hpp). Portable (-m32 and -m64).
//   cpu: GenuineIntel "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz" family 6 model 85 stepping 7, microcode 0x5003604,
//   MAXPHYADDR 46, paging: pae nx smep smap pku la57 page1gb pse pse36 pge pcid pat
#pragma once

#include <cstdint>
#include <pagewalk/harness/summary.hpp>
#include <pagewalk/harness/version.hpp>

#include "arch/cpu.hpp"
#include "report/text.hpp"
#include "runner/cpu_features.hpp"
#include "runner/program_report.hpp"

namespace pagewalk::guest::runner {

/// The loaded microcode's revision (IA32_BIOS_SIGN_ID, SDM Vol. 3A §10.11.7.1), on Intel and AMD (Hygon) CPUs only:
/// elsewhere the MSR may not exist, and reading it would fault.
inline bool microcode_revision(Vendor vendor, std::uint32_t& revision) {
    if (vendor == Vendor::intel) {
        arch::wrmsr(msr::bios_sign_id, 0);
        (void)arch::cpuid(cpuid::signature_leaf);  // loads the revision into bits 63:32
        revision = static_cast<std::uint32_t>(arch::rdmsr(msr::bios_sign_id) >> 32);
        return true;
    }
    if (vendor == Vendor::amd) {
        revision = static_cast<std::uint32_t>(arch::rdmsr(msr::bios_sign_id));  // PATCH_LEVEL: bits 31:0
        return true;
    }
    return false;
}

/// Fills the CPU and build fields of `s` from CPUID (and the microcode MSR) and writes the CPU line into `t`.
inline void describe_cpu(Text& t, harness::summary::Summary& s, std::uint64_t build_id) {
    for (unsigned i = 0; i < sizeof harness::kVersion && i + 1 < sizeof s.version; ++i)
        s.version[i] = harness::kVersion[i];
    s.build_id = build_id;
    const arch::CpuidResult l0 = arch::cpuid(cpuid::basic_max_leaf);
    __builtin_memcpy(s.vendor, &l0.ebx, 4);
    __builtin_memcpy(s.vendor + 4, &l0.edx, 4);
    __builtin_memcpy(s.vendor + 8, &l0.ecx, 4);
    s.vendor[12] = 0;
    const cpuid::Signature sig = cpuid::signature(l0.eax >= 1 ? arch::cpuid(cpuid::signature_leaf).eax : 0);
    s.family = sig.family;
    s.model = sig.model;
    s.stepping = sig.stepping;
    const CpuFeatures c = cpu_features();
    s.microcode_known = microcode_revision(c.vendor, s.microcode) ? 1 : 0;
    s.maxphyaddr = c.maxphyaddr;
    s.features = harness_features(c);

    char brand[49] = {};
    if (arch::cpuid(cpuid::extended_max_leaf).eax >= cpuid::brand_string_last_leaf)
        for (std::uint32_t leaf = cpuid::brand_string_first_leaf; leaf <= cpuid::brand_string_last_leaf; ++leaf) {
            const arch::CpuidResult r = arch::cpuid(leaf);
            const std::uint32_t words[4] = {r.eax, r.ebx, r.ecx, r.edx};
            __builtin_memcpy(brand + (leaf - cpuid::brand_string_first_leaf) * 16, words, 16);
        }
    const char* b = brand;
    while (*b == ' ') ++b;  // some brand strings are right-aligned
    t << "cpu: " << s.vendor << " \"" << b << "\" family ";
    t.dec(s.family) << " model ";
    t.dec(s.model) << " stepping ";
    t.dec(s.stepping) << ", microcode ";
    if (s.microcode_known != 0)
        t.hex(s.microcode);
    else
        t << "unreadable";
    t << ", MAXPHYADDR ";
    t.dec(s.maxphyaddr) << ", paging: " << (c.pae ? "pae " : "");
    feature_names(t, s.features);
}

}  // namespace pagewalk::guest::runner
