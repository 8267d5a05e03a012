// SPDX-License-Identifier: MIT OR Apache-2.0
#include <pagewalk/harness/boot_header.hpp>

#include "arch/cpu.hpp"
#include "report/reporter.hpp"

extern "C" const pagewalk::harness::BootHeader pw_boot_header;

namespace pagewalk::guest {

void send_hello(Reporter& r, const BootContext& ctx, std::uint8_t code_bits) {
    harness::HelloRecord h{};
    h.header = harness::make_header(harness::RecordType::hello, sizeof h);
    h.protocol_version = harness::kProtocolVersion;
    h.entry_path = static_cast<std::uint8_t>(ctx.entry_path);
    h.transport = static_cast<std::uint8_t>(r.transport());
    h.code_bits = code_bits;
    h.cpl = 0;
    h.build_id = pw_boot_header.build_id;
    const arch::CpuidResult l0 = arch::cpuid(0);
    __builtin_memcpy(h.vendor, &l0.ebx, 4);
    __builtin_memcpy(h.vendor + 4, &l0.edx, 4);
    __builtin_memcpy(h.vendor + 8, &l0.ecx, 4);
    h.max_basic_leaf = l0.eax;
    const arch::CpuidResult l1 = arch::cpuid(1);
    h.leaf1_ecx = l1.ecx;
    h.leaf1_edx = l1.edx;
    if (l0.eax >= 7) {
        const arch::CpuidResult l7 = arch::cpuid(7, 0);
        h.leaf7_ebx = l7.ebx;
        h.leaf7_ecx = l7.ecx;
    }
    h.max_extended_leaf = arch::cpuid(cpuid::extended_max_leaf).eax;
    h.maxphyaddr = 36;  // SDM Vol. 3A §4.1.4: 36 when CPUID.80000008H is absent
    if (h.max_extended_leaf >= cpuid::nx.leaf) h.ext1_edx = arch::cpuid(cpuid::nx.leaf).edx;
    if (h.max_extended_leaf >= cpuid::address_sizes_leaf) {
        const std::uint32_t a = arch::cpuid(cpuid::address_sizes_leaf).eax;
        h.maxphyaddr = static_cast<std::uint8_t>(a);
        h.maxlinaddr = static_cast<std::uint8_t>(a >> 8);
    }
    h.cr0 = arch::read_cr0();
    h.cr4 = arch::read_cr4();
    if (cpuid::long_mode.has(CpuidResult{0, 0, 0, h.ext1_edx})) h.efer = arch::rdmsr(msr::efer);
    r.send(h.header);
}

}  // namespace pagewalk::guest
