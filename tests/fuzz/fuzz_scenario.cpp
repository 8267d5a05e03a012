// SPDX-License-Identifier: MIT OR Apache-2.0
// Fuzz target: a scenario file — the TOML parser (toml++) and the scenario compiler for every paging mode. Broken
// input must give diagnostics, never a crash; a program the compiler does produce must pass the guest's own check
// (validate_program), since the guest will run it.
#include <cstddef>
#include <cstdint>
#include <pagewalk/harness/program.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

namespace {

constexpr std::size_t kMaxScenarioBytes = 64 * 1024;  // real scenario files are a few KiB

void check_diagnostics(const std::vector<pagewalk::host::scenario::Diagnostic>& errors) {
    for (const auto& d : errors)
        if (d.to_string().empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace sc = pagewalk::host::scenario;
    if (size > kMaxScenarioBytes) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const sc::ParseResult parsed = sc::parse_scenario_text(text, "fuzz.toml");
    check_diagnostics(parsed.errors);
    if (!parsed.ok()) return 0;
    for (const pagewalk::PagingMode mode : pagewalk::kPagingModes) {
        const sc::CompileOptions options{.scenario_id = 7, .serial_handshake = (size & 1) != 0};
        const sc::CompileResult compiled = sc::compile(parsed.scenario, mode, options);
        check_diagnostics(compiled.errors);
        if (!compiled.ok()) continue;
        const auto& bytes = compiled.program.bytes;
        if (!pagewalk::harness::validate_program(bytes.data(), bytes.size())) __builtin_trap();
    }
    return 0;
}
