// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: which backend boots the guest, by kind — the only place a backend's name is spelled. Options,
// reports and logs print backend_name(); text from the command line becomes a kind through parse_backend() or
// parse_backend_request(). Includes nothing of the host: every layer may use it.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pagewalk::host {

/// A backend: a way to boot the guest and read its records. A new one is a value here, its name in kBackendNames,
/// and one case in each switch of backend/backend.cpp (the compiler names any switch that lacks it).
enum class BackendKind { kvm, qemu };

inline constexpr std::array kAllBackends = {BackendKind::kvm, BackendKind::qemu};
inline constexpr std::array<std::string_view, kAllBackends.size()> kBackendNames = {"kvm", "qemu"};

/// The name users type and reports show: "kvm", "qemu".
constexpr std::string_view backend_name(BackendKind kind) {
    return kBackendNames[static_cast<std::size_t>(kind)];
}

/// The one conversion from text: a backend's name, or nullopt for anything else.
constexpr std::optional<BackendKind> parse_backend(std::string_view name) {
    for (BackendKind k : kAllBackends)
        if (backend_name(k) == name) return k;
    return std::nullopt;
}

/// What --backend of `run` and `list` asks for: one backend, or automatic (KVM when it can, else QEMU).
struct BackendRequest {
    static constexpr std::string_view kAutomaticName = "auto";
    std::optional<BackendKind> only;  ///< nullopt: automatic

    [[nodiscard]] constexpr bool automatic() const { return !only; }
    /// Whether runs may go to `kind` (every backend under automatic).
    [[nodiscard]] constexpr bool allows(BackendKind kind) const { return !only || *only == kind; }
    [[nodiscard]] constexpr std::string_view name() const { return only ? backend_name(*only) : kAutomaticName; }
};

/// "auto" or a backend's name; nullopt for anything else.
constexpr std::optional<BackendRequest> parse_backend_request(std::string_view name) {
    if (name == BackendRequest::kAutomaticName) return BackendRequest{};
    if (const auto kind = parse_backend(name)) return BackendRequest{kind};
    return std::nullopt;
}

/// The names an option accepts, for the command line's checks and help: the backends, after "auto" when
/// `with_automatic`.
inline std::vector<std::string> backend_option_names(bool with_automatic) {
    std::vector<std::string> names;
    if (with_automatic) names.emplace_back(BackendRequest::kAutomaticName);
    for (BackendKind k : kAllBackends) names.emplace_back(backend_name(k));
    return names;
}

}  // namespace pagewalk::host
