// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: one scenario × one paging mode → the program the guest runs, plus what the checks need.
//
// The compiler resolves everything the guest should not have to: which steps apply to the mode, entry names to
// levels, the features the program needs (declared, and implied by controls, modes and page sizes), which data
// frames the guest must tag, default write values. It refuses what cannot be checked: addresses that do not fit
// the mode or hit the guest's own identity map, accesses a stale TLB entry could answer (§4.10.4), fetches from
// untagged bytes. Errors are Diagnostics at the step's position.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace pagewalk::host::scenario {

/// Linear addresses below this are the guest's own identity map; scenario addresses must lie above.
inline constexpr std::uint64_t kGuestIdentityEnd = 1ull << 30;
/// Physical memory below this is the guest's own (code, boot data, its page tables and data area; see
/// guest/runner/layout.hpp): a poke by absolute address must lie above.
inline constexpr std::uint64_t kGuestOwnMemoryEnd = 32ull << 20;
/// The default value a write step stores: "Writ" and the step id.
constexpr std::uint64_t default_write_value(std::uint32_t step_id) {
    return 0x5772'6974'0000'0000ull | step_id;
}

/// The physical 4 KiB page a linear page maps to, as the map steps say: data-relative (`frame`) or absolute.
struct PageTarget {
    std::uint64_t pa = 0;
    bool data = false;  ///< pa is an offset into the guest's data area
};

/// How to compile (what depends on the backend, not the scenario).
struct CompileOptions {
    std::uint32_t scenario_id = 0;
    bool serial_handshake = false;  ///< harness::program_flag::serial_handshake
};

/// A compiled program and its context.
struct Program {
    const Scenario* scenario = nullptr;
    PagingMode mode = PagingMode::long4;
    std::uint32_t scenario_id = 0;
    std::uint32_t features = 0;         ///< everything the program needs from the CPU
    std::uint32_t absent_features = 0;  ///< features the CPU must not have (from qemu_cpu: "-pdpe1gb")
    std::uint8_t maxphyaddr = 0;        ///< the MAXPHYADDR the steps assume (qemu_cpu "phys-bits=N"), 0 = any
    std::uint32_t controls = 0;         ///< control bits on at start (mode-adjusted)
    std::uint32_t data_frames = 0;
    std::set<std::uint32_t> tagged_frames;           ///< data frames the guest tags before the first step
    std::map<std::uint32_t, const StepSpec*> steps;  ///< by step id: the steps this mode runs
    std::uint32_t step_count = 0;                    ///< scenario steps in the program (tag steps not counted)
    /// By step id: where the `of` of an `entry`/`of` expectation is mapped (the host checks a leaf's address).
    std::map<std::uint32_t, PageTarget> table_entry_pages;
    /// Reads of pages whose earlier change only a #PF invalidated (SDM Vol. 3A §4.10.4.1), by step id.
    std::set<std::uint32_t> fresh_by_page_fault;
    std::vector<std::uint8_t> bytes;  ///< the encoded program (harness/program.hpp)
};

/// A program, or why the scenario cannot be compiled for the mode.
struct CompileResult {
    Program program;
    std::vector<Diagnostic> errors;
    [[nodiscard]] bool ok() const { return errors.empty(); }
};

/// Compiles `s` (which must outlive the result) for `mode`.
CompileResult compile(const Scenario& s, PagingMode mode, const CompileOptions& options = {});

/// Every feature `s` needs in `mode`: declared ones, and those its modes, controls and steps imply.
std::uint32_t required_features(const Scenario& s, PagingMode mode);

}  // namespace pagewalk::host::scenario
