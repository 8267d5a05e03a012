// SPDX-License-Identifier: MIT OR Apache-2.0
#include "suite/backend_plan.hpp"

#include <pagewalk/harness/program.hpp>

#include "kvm/kvm.hpp"

namespace pagewalk::host::suite {

BackendCaps probe_backends(const BackendRequest& request) {
    BackendCaps caps;
    for (BackendKind kind : kAllBackends)
        caps.status[static_cast<std::size_t>(kind)] =
            request.allows(kind) ? backend::status(kind) : backend::BackendStatus{"not requested", ""};
    if (caps.of(BackendKind::kvm).available()) {
        if (auto kvm = kvm::KvmSystem::open())
            caps.kvm = kvm::probe_kvm(*kvm);
        else
            caps.status[static_cast<std::size_t>(BackendKind::kvm)].unavailable = kvm.error();
    }
    return caps;
}

std::string kvm_fallback_notice(const BackendCaps& caps, const BackendRequest& requested, std::size_t runs) {
    if (!requested.automatic() || caps.kvm) return {};
    const backend::BackendStatus& qemu = caps.of(BackendKind::qemu);
    std::string s = "pagewalk: KVM is not used: " + caps.of(BackendKind::kvm).unavailable + "\n";
    s += qemu.available() ? "  so all " + std::to_string(runs) + " scenario runs go to QEMU (TCG, slower) instead\n"
                          : "  and QEMU is unavailable too (" + qemu.unavailable + "): every run is skipped\n";
    return s;
}

bool kvm_supports(const kvm::KvmCapabilities& caps, PagingMode mode, std::uint32_t features, std::string* why) {
    // Probe rows (kvm/probe.cpp) for each paging mode and feature; features CPUID alone decides are not rows.
    const char* mode_row = kvm::paging_row(mode);
    if (mode_row == nullptr) {  // a scenario always pages; the parser rejects "disabled"
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

BackendChoice choose_backend(const BackendCaps& caps, const BackendRequest& requested, const scenario::Scenario& s,
                             PagingMode mode, std::uint32_t features) {
    BackendChoice c;
    std::string kvm_why;
    bool kvm_ok = false;
    if (!caps.kvm) {
        kvm_why = "KVM unavailable: " + caps.of(BackendKind::kvm).unavailable;
    } else if (!s.qemu_cpu.empty()) {
        kvm_why = "the scenario asks for QEMU CPU model '" + s.qemu_cpu + "' (KVM here cannot narrow CPU features)";
    } else {
        kvm_ok = kvm_supports(*caps.kvm, mode, features, &kvm_why);
    }
    const bool qemu_ok = caps.of(BackendKind::qemu).available();
    const std::string qemu_why = "QEMU unavailable: " + caps.of(BackendKind::qemu).unavailable;
    if (requested.only == BackendKind::kvm || (requested.automatic() && kvm_ok)) {
        if (!kvm_ok) {
            c.reason = kvm_why;
            return c;
        }
        c.backend = BackendKind::kvm;
        // The probe saw these enforced although CPUID may hide them (kvm_pvm: SMEP, SMAP).
        for (const auto& [bit, row] : {std::pair{harness::feature::smep, "smep"}, {harness::feature::smap, "smap"}})
            if (caps.kvm->has(row)) c.vouched |= bit;
        c.vouched &= features;
        return c;
    }
    if (!qemu_ok) {
        c.reason = requested.only == BackendKind::qemu ? qemu_why : kvm_why + "; " + qemu_why;
        return c;
    }
    c.backend = BackendKind::qemu;
    c.reason = kvm_why;
    return c;
}

}  // namespace pagewalk::host::suite
