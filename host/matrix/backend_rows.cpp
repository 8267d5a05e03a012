// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/backend_rows.hpp"

#include <pagewalk/harness/program.hpp>
#include <utility>

namespace pagewalk::host::matrix {
namespace {

namespace feature = harness::feature;

/// The matrix's features (needed_features() in harness/matrix/inputs.hpp) with their probe rows and names.
constexpr struct {
    std::uint32_t bit;
    const char* row;
    const char* name;
} kFeatures[] = {
    {feature::nx, "nx", "NX"},      {feature::smep, "smep", "SMEP"}, {feature::smap, "smap", "SMAP"},
    {feature::pku, "pku", "PKU"},   {feature::la57, "la57", "LA57"}, {feature::page1gb, "1gb_pages", "1 GiB pages"},
    {feature::pse, nullptr, "PSE"},
};

}  // namespace

std::uint32_t kvm_missing_features(const kvm::KvmCapabilities& caps) {
    std::uint32_t missing = 0;
    for (const auto& f : kFeatures) {
        if (f.row == nullptr) continue;  // PSE: 32-bit paging only, which decides the row by itself
        // What the CPU does decides, not what KVM_GET_SUPPORTED_CPUID says: kvm_pvm enforces SMEP and SMAP, and its
        // guest's CPUID shows them, though the supported list has neither (the guest runs a combination only where
        // its own CPUID has the feature; the rest it counts as inapplicable).
        const kvm::Capability* c = caps.find(f.row);
        if (c == nullptr || !c->works) missing |= f.bit;
    }
    return missing;
}

std::string feature_list(std::uint32_t features) {
    std::string s;
    for (const auto& f : kFeatures)
        if ((features & f.bit) != 0) s += (s.empty() ? "" : ", ") + std::string(f.name);
    return s;
}

std::vector<MatrixRow> plan_rows(const suite::BackendCaps& caps, const BackendRequest& request, PagingMode mode) {
    std::vector<MatrixRow> rows;
    const auto row = [&](std::optional<BackendKind> kind, std::string reason, std::uint32_t only) {
        MatrixRow r;
        r.mode = mode;
        r.backend = kind;
        r.skip_reason = std::move(reason);
        r.only_needing = only;
        if (kind) r.version = caps.of(*kind).version;
        rows.push_back(std::move(r));
    };
    std::string kvm_why;
    bool kvm_ok = false;
    if (!caps.kvm)
        kvm_why = "KVM unavailable: " + caps.of(BackendKind::kvm).unavailable;
    else
        kvm_ok = suite::kvm_supports(*caps.kvm, mode, 0, &kvm_why);
    const backend::BackendStatus& qemu = caps.of(BackendKind::qemu);
    if (request.only == BackendKind::kvm) {
        kvm_ok ? row(BackendKind::kvm, "", 0) : row(std::nullopt, kvm_why, 0);
        return rows;
    }
    if (request.only == BackendKind::qemu || !kvm_ok) {
        if (qemu.available())
            row(BackendKind::qemu, "", 0);
        else
            row(std::nullopt, (request.automatic() ? kvm_why + "; " : "") + "QEMU unavailable: " + qemu.unavailable, 0);
        return rows;
    }
    row(BackendKind::kvm, "", 0);
    const std::uint32_t missing = kvm_missing_features(*caps.kvm);
    if (missing == 0) return rows;
    if (qemu.available())
        row(BackendKind::qemu, "", missing);
    else
        row(std::nullopt,
            "the combinations needing " + feature_list(missing) +
                " (KVM lacks them): QEMU unavailable: " + qemu.unavailable,
            missing);
    return rows;
}

std::string row_name(const MatrixRow& row) {
    return row.only_needing == 0 ? "matrix" : "matrix (needing " + feature_list(row.only_needing) + ")";
}

}  // namespace pagewalk::host::matrix
