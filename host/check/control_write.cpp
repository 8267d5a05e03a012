// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/control_write.hpp"

#include "check/chain.hpp"
#include "check/known_deviations.hpp"

namespace pagewalk::host::check {
namespace {

std::string outcome(const harness::ControlWriteRecord& w) {
    if (w.outcome == 0) return "completed it";
    std::string s = "raised #" + std::to_string(w.vector);
    if (w.vector == 13) s = "raised #GP";
    if (w.has_error_code) s += "(" + hex(w.error_code) + ")";
    return s;
}

std::string prediction(const harness::ControlWriteRecord& w) {
    if (w.predicted_vector != 13) return "that it completes";
    return "#GP(0): PDPTE " + std::to_string(w.pdpte_index) + " = " + hex(w.pdpt[w.pdpte_index & 3]) +
           " has a reserved bit set (reserved bits in the present PDPTEs: " + hex(w.reserved_bits) + ")";
}

/// A disagreement: a known deviation of this backend, or a failure.
Finding disagree(const harness::ControlWriteRecord& w, const BackendInfo& backend, const char* check,
                 std::uint8_t expected_vector, std::string message, bool excusable = true) {
    Disagreement d;
    d.backend = backend.name;
    d.backend_version = backend.version;
    d.expected_vector = expected_vector;
    d.observed_exception = w.outcome != 0;
    d.observed_vector = w.vector;
    d.observed_error = w.error_code;
    d.mode = w.mode;
    d.pdpte_load = w.loads_pdptes != 0;
    d.pdpte_reserved = w.predicted_vector == 13 ? w.reserved_bits : 0;
    Finding f;
    f.step = w.step;
    f.check = check;
    f.message = std::move(message);
    f.detail = "        " + describe_control_write(w) + "\n";
    if (const auto k = excusable ? match_known_deviation(d) : std::nullopt) {
        f.severity = Finding::Severity::known_deviation;
        f.deviation_id = k->id;
        f.message += " — backend deviation (known: " + std::string(k->id) + "): " + k->rule;
    }
    return f;
}

}  // namespace

std::string describe_control_write(const harness::ControlWriteRecord& w) {
    std::string s = "MOV to CR" + std::to_string(w.reg) + " (" + hex(w.value) + ")";
    if (w.loads_pdptes != 0)
        s += ", PDPTE load from the PDPT at " + hex(w.cr3 & 0xffff'ffe0u) + ": " + hex(w.pdpt[0]) + " " +
             hex(w.pdpt[1]) + " " + hex(w.pdpt[2]) + " " + hex(w.pdpt[3]);
    return s;
}

std::vector<Finding> check_control_write(const harness::ControlWriteRecord& w, const scenario::StepSpec* spec,
                                         const BackendInfo& backend) {
    std::vector<Finding> out;
    const bool gp = w.predicted_vector == 13;
    const bool as_predicted = gp ? w.outcome != 0 && w.vector == 13 && w.error_code == 0 : w.outcome == 0;
    if (!as_predicted)
        out.push_back(disagree(w, backend, "prediction", gp ? 13 : 0,
                               "MOV to CR" + std::to_string(w.reg) + ": the walker predicted " + prediction(w) +
                                   ", the CPU " + outcome(w)));
    if (spec == nullptr || !spec->expect || spec->expect->kind == scenario::Expectation::Kind::model) return out;
    const scenario::Expectation& e = *spec->expect;
    // A backend deviation explains a CPU that differs from the SDM. An expectation that differs from the model's
    // prediction is the scenario's own error, whatever the backend did: never excused.
    const bool expects_gp = e.kind == scenario::Expectation::Kind::fault && e.vector == 13;
    const bool agrees_with_model = expects_gp == gp;
    if (e.kind == scenario::Expectation::Kind::ok) {
        if (w.outcome != 0)
            out.push_back(disagree(w, backend, "expectation", 0,
                                   "expected the MOV to CR3 to complete, the CPU " + outcome(w), agrees_with_model));
        return out;
    }
    const bool vector_ok = w.outcome != 0 && w.vector == e.vector;
    const bool error_ok = !e.error_code || (w.has_error_code && w.error_code == *e.error_code);
    if (!vector_ok || !error_ok)
        out.push_back(disagree(w, backend, "expectation", e.vector,
                               "expected #" + std::string(e.vector == 13 ? "GP" : std::to_string(e.vector)) +
                                   (e.error_code ? "(" + hex(*e.error_code) + ")" : "") +
                                   " at the MOV to CR3, the CPU " + outcome(w) +
                                   (agrees_with_model ? "" : " (and the walker predicted " + prediction(w) + ")"),
                               agrees_with_model));
    return out;
}

}  // namespace pagewalk::host::check
