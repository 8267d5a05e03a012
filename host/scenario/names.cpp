// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the names scenario files use for modes, features and entries, and diagnostics' text form.
#include <pagewalk/harness/program.hpp>
#include <string>

#include "scenario/scenario.hpp"
#include "util/escape.hpp"

namespace pagewalk::host::scenario {

std::string Diagnostic::to_string() const {
    // Appends one piece at a time (g++ 12 -O3 warns falsely about chained operator+ here: -Wrestrict).
    std::string s = pos.file.empty() ? std::string("<scenario>") : printable(pos.file);
    if (pos.line > 0) {
        s.append(":").append(std::to_string(pos.line));
        s.append(":").append(std::to_string(pos.column));
    }
    s.append(": ");
    if (!key.empty()) s.append(key).append(": ");
    s.append(message);
    return s;
}

namespace {
struct FeatureName {
    const char* name;
    std::uint32_t bit;
};
constexpr FeatureName kFeatures[] = {
    {"nx", harness::feature::nx},     {"smep", harness::feature::smep},   {"smap", harness::feature::smap},
    {"pku", harness::feature::pku},   {"la57", harness::feature::la57},   {"page1gb", harness::feature::page1gb},
    {"pse", harness::feature::pse},   {"pse36", harness::feature::pse36}, {"pge", harness::feature::pge},
    {"pcid", harness::feature::pcid}, {"pat", harness::feature::pat},     {"invpcid", harness::feature::invpcid},
};
}  // namespace

std::optional<std::uint32_t> feature_from_name(const std::string& s) {
    for (const auto& f : kFeatures)
        if (s == f.name) return f.bit;
    return std::nullopt;
}

std::string feature_names(std::uint32_t bits) {
    std::string out;
    for (const auto& f : kFeatures) {
        if ((bits & f.bit) == 0) continue;
        if (!out.empty()) out += ' ';
        out += f.name;
    }
    return out;
}

}  // namespace pagewalk::host::scenario
