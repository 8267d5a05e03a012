// SPDX-License-Identifier: MIT OR Apache-2.0
#include "suite/backend_plan.hpp"

#include <sys/utsname.h>

#include <pagewalk/harness/program.hpp>

#include "kvm/kvm.hpp"

namespace pagewalk::host::suite {

BackendCaps probe_backends(bool want_kvm, bool want_qemu) {
    BackendCaps caps;
    if (want_kvm) {
        auto kvm = kvm::KvmSystem::open();
        if (kvm) {
            caps.kvm = kvm::probe_kvm(*kvm);
        } else {
            caps.kvm_unavailable = kvm.error();
        }
        utsname u{};
        if (uname(&u) == 0) caps.kvm_version = std::string(u.sysname) + " " + u.release;
    } else {
        caps.kvm_unavailable = "not requested";
    }
    if (want_qemu) {
        caps.qemu = qemu::probe_qemu();
    } else {
        caps.qemu.reason = "not requested";
    }
    return caps;
}

std::string kvm_fallback_notice(const BackendCaps& caps, const std::string& requested, std::size_t runs) {
    if (requested != "auto" || caps.kvm || caps.kvm_unavailable == "not requested") return {};
    std::string s = "pagewalk: KVM is not used: " + caps.kvm_unavailable + "\n";
    s += caps.qemu.found ? "  so all " + std::to_string(runs) + " scenario runs go to QEMU (TCG, slower) instead\n"
                         : "  and QEMU is unavailable too (" + caps.qemu.reason + "): every run is skipped\n";
    return s;
}

bool kvm_supports(const kvm::KvmCapabilities& caps, PagingMode mode, std::uint32_t features, std::string* why) {
    // Probe rows (kvm/probe.cpp) for each paging mode and feature; features CPUID alone decides are not rows.
    const char* mode_row = nullptr;
    switch (mode) {
        case PagingMode::legacy32:
            mode_row = "paging32";
            break;
        case PagingMode::pae:
            mode_row = "pae";
            break;
        case PagingMode::long4:
            mode_row = "long64";
            break;
        case PagingMode::long5:
            mode_row = "la57";
            break;
        case PagingMode::disabled:  // a scenario always pages; the parser rejects "disabled"
            if (why != nullptr) *why = "a scenario needs a paging mode";
            return false;
    }
    auto lacks = [&](const char* row, const std::string& what) {
        const kvm::Capability* c = caps.find(row);
        if (c != nullptr && c->works) return false;
        if (why != nullptr) *why = "KVM lacks " + what + (c != nullptr ? " (" + c->reason + ")" : std::string());
        return true;
    };
    if (lacks(mode_row, std::string(to_string(mode)) + " paging")) return false;
    // The guest runs 32-bit and PAE programs in its protected-mode world, reached only through the multiboot
    // 32-bit entry (the launcher takes it when the probe says it can).
    if ((mode == PagingMode::legacy32 || mode == PagingMode::pae) && !caps.can_enter_32bit()) {
        if (why != nullptr) *why = "KVM cannot run the guest's multiboot 32-bit entry (probe rows pm32, long_from32)";
        return false;
    }
    static const std::pair<std::uint32_t, const char*> rows[] = {
        {harness::feature::nx, "nx"},    {harness::feature::smep, "smep"}, {harness::feature::smap, "smap"},
        {harness::feature::pku, "pku"},  {harness::feature::la57, "la57"}, {harness::feature::page1gb, "1gb_pages"},
        {harness::feature::pcid, "pcid"}};
    for (const auto& [bit, row] : rows)
        if ((features & bit) != 0 && lacks(row, row)) return false;
    return true;
}

BackendChoice choose_backend(const BackendCaps& caps, const std::string& requested, const scenario::Scenario& s,
                             PagingMode mode, std::uint32_t features) {
    BackendChoice c;
    std::string kvm_why;
    bool kvm_ok = false;
    if (!caps.kvm) {
        kvm_why = "KVM unavailable: " + caps.kvm_unavailable;
    } else if (!s.qemu_cpu.empty()) {
        kvm_why = "the scenario asks for QEMU CPU model '" + s.qemu_cpu + "' (KVM here cannot narrow CPU features)";
    } else {
        kvm_ok = kvm_supports(*caps.kvm, mode, features, &kvm_why);
    }
    const bool qemu_ok = caps.qemu.found;
    const std::string qemu_why = "QEMU unavailable: " + caps.qemu.reason;
    if (requested == "kvm" || (requested == "auto" && kvm_ok)) {
        if (!kvm_ok) {
            c.reason = kvm_why;
            return c;
        }
        c.backend = "kvm";
        // The probe saw these enforced although CPUID may hide them (kvm_pvm: SMEP, SMAP).
        for (const auto& [bit, row] : {std::pair{harness::feature::smep, "smep"}, {harness::feature::smap, "smap"}})
            if (caps.kvm->has(row)) c.vouched |= bit;
        c.vouched &= features;
        return c;
    }
    if (!qemu_ok) {
        c.reason = requested == "qemu" ? qemu_why : kvm_why + "; " + qemu_why;
        return c;
    }
    c.backend = "qemu";
    c.reason = kvm_why;
    return c;
}

}  // namespace pagewalk::host::suite
