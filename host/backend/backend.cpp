// SPDX-License-Identifier: MIT OR Apache-2.0
#include "backend/backend.hpp"

#include "kvm/availability.hpp"
#include "kvm/kvm.hpp"
#include "kvm/launcher.hpp"
#include "qemu/qemu_backend.hpp"

namespace pagewalk::host::backend {

BackendStatus status(BackendKind kind) {
    switch (kind) {
        case BackendKind::kvm: {
            BackendStatus s{"", kvm::kernel_version()};
            if (auto kvm = kvm::KvmSystem::open(); !kvm) s.unavailable = kvm.error();
            return s;
        }
        case BackendKind::qemu: {
            const qemu::QemuInfo q = qemu::probe_qemu();
            return {q.found ? "" : q.reason, q.version};
        }
    }
    return {"no such backend", ""};
}

RunResult boot(BackendKind kind, const BootOptions& options) {
    switch (kind) {
        case BackendKind::kvm:
            return kvm::boot_kvm(options);
        case BackendKind::qemu:
            return qemu::boot_qemu(options);
    }
    RunResult r;
    r.detail = "no such backend";
    return r;
}

std::string boot_unavailable(BackendKind kind, const BootOptions& options, std::optional<PagingMode> protected_paging) {
    switch (kind) {
        case BackendKind::kvm:
            return kvm::boot_unavailable(options.entry, protected_paging);
        case BackendKind::qemu:
            if (const qemu::QemuInfo q = qemu::probe_qemu(); !q.found) return "qemu unavailable: " + q.reason;
            return "";
    }
    return "no such backend";
}

std::string probe_report() {
    std::string out;
    for (BackendKind kind : kAllBackends) {
        out += std::string(backend_name(kind)) + ":\n";
        switch (kind) {
            case BackendKind::kvm:
                out += kvm::capability_report();
                break;
            case BackendKind::qemu:
                out += qemu::capability_report();
                break;
        }
    }
    return out;
}

}  // namespace pagewalk::host::backend
