// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/availability.hpp"

#include <sys/utsname.h>

#include <cstdio>
#include <sstream>

#include "kvm/kvm.hpp"
#include "kvm/probe.hpp"
#include "util/file.hpp"

namespace pagewalk::host::kvm {

std::string kernel_version() {
    utsname u{};
    if (uname(&u) != 0) return "";
    return std::string(u.sysname) + " " + u.release;
}

std::string boot_unavailable(EntryChoice entry, std::optional<PagingMode> protected_paging) {
    auto kvm = KvmSystem::open();
    if (!kvm) return "kvm unavailable: " + kvm.error();
    if (entry == EntryChoice::multiboot32 && !kvm_can_enter_32bit(*kvm))
        return "this KVM cannot run the multiboot 32-bit entry (see `pagewalk probe`)";
    // The protected-mode programs need the 32-bit entry and 32-bit / PAE paging (kvm_pvm: neither paging).
    if (protected_paging) {
        const KvmCapabilities caps = probe_kvm(*kvm);
        const char* row = paging_row(*protected_paging);
        if (row == nullptr) return "a protected-mode program needs a paging mode";
        if (!caps.can_enter_32bit() || !caps.has(row)) {
            const Capability* c = caps.find(row);
            return std::string("this KVM cannot run ") + row + " paging from the 32-bit entry" +
                   (c != nullptr ? " (" + c->reason + ")" : std::string());
        }
    }
    return "";
}

std::string capability_report() {
    std::ostringstream o;
    auto kvm = KvmSystem::open();
    if (!kvm) {
        o << "  unavailable: " << kvm.error() << "\n";
        return o.str();
    }
    const Stopwatch clock;
    const KvmCapabilities caps = probe_kvm(*kvm);
    char t[64];
    std::snprintf(t, sizeof t, "%.1f ms", clock.ms());
    o << "  vendor " << caps.vendor << ", MAXPHYADDR " << caps.maxphyaddr << ", CPUID from " << caps.cpuid_source
      << "\n  probe VMs took " << t << "\n";
    o << "  capability    cpuid  observed  reason\n";
    for (const auto& c : caps.rows) {
        char line[64];
        std::snprintf(line, sizeof line, "  %-12s  %-5s  %-8s  ", c.name.c_str(), c.cpuid ? "yes" : "no",
                      c.works ? "yes" : "no");
        o << line << c.reason << "\n";
    }
    o << "  entry path: "
      << (caps.can_enter_32bit() ? "multiboot 32-bit entry (guest enters long mode itself)"
                                 : "direct 64-bit entry (launcher sets up long mode)")
      << "\n";
    return o.str();
}

}  // namespace pagewalk::host::kvm
