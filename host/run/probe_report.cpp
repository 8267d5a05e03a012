// SPDX-License-Identifier: MIT OR Apache-2.0
#include "run/probe_report.hpp"

#include <cstdio>
#include <sstream>

#include "kvm/probe.hpp"
#include "qemu/qemu_backend.hpp"
#include "util/file.hpp"

namespace pagewalk::host {

std::string probe_report() {
    std::ostringstream o;
    o << "kvm:\n";
    auto kvm = kvm::KvmSystem::open();
    if (!kvm) {
        o << "  unavailable: " << kvm.error() << "\n";
    } else {
        const Stopwatch clock;
        const kvm::KvmCapabilities caps = kvm::probe_kvm(*kvm);
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
    }
    o << "qemu:\n";
    const qemu::QemuInfo q = qemu::probe_qemu();
    if (q.found)
        o << "  " << q.binary << ": " << q.version << "\n";
    else
        o << "  unavailable: " << q.reason << "\n";
    return o.str();
}

}  // namespace pagewalk::host
