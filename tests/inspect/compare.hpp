// SPDX-License-Identifier: MIT OR Apache-2.0
// Ground truth for the inspector: how pagewalk's answers for a dump are compared with QEMU's own answers for the
// running guest. Identical is the rule; the only differences accepted are the QEMU 7.2 deviations from the SDM that
// are documented in README.md ("Inspector"), and each accepted difference is checked against the walker:
//   - QEMU's monitor ignores reserved bits: `info tlb`/`info mem` list leaves at or below an entry with reserved
//     bits, `gva2gpa` translates through it (an address, or "Unmapped" when nothing is below). Accepted only where
//     translate() says the CPU faults with RSVD.
//   - QEMU 7.2's `info mem` under 5-level paging inverts the present checks of PDPTEs and PDEs (mem_info_la57): it
//     walks the absent entries as tables at physical 0 (half a minute here) and prints nothing. The test does not
//     ask QEMU 7.2 for it; pagewalk's qemu-mem listing is checked against translate() instead.
#pragma once

#include <cstdint>
#include <pagewalk/context.hpp>
#include <string>
#include <utility>
#include <vector>

#include "inspect/dump.hpp"

namespace pagewalk::test::inspect {

/// Counts failures and keeps a log for the test output.
struct Report {
    unsigned failures = 0;
    std::string log;
    void fail(const std::string& what) {
        ++failures;
        log += "FAIL: " + what + "\n";
    }
    void info(const std::string& what) { log += "  " + what + "\n"; }
};

/// A dump and the context pagewalk resolved for it.
struct DumpUnderTest {
    const host::inspect::Dump* dump;
    Context ctx;
    std::string label;  // "ELF core" / "raw image"
};

/// pagewalk's listing of `d` in `format` ("qemu-tlb", "qemu-mem", "ranges").
std::string listing(const DumpUnderTest& d, const std::string& format);

/// `info tlb`: pagewalk's lines are QEMU's, minus lines for leaves the CPU faults on with RSVD.
void compare_tlb(const DumpUnderTest& d, const std::string& qemu, Report& report);

/// `info mem`: identical, minus ranges the CPU faults on with RSVD; or, for 5-level paging when QEMU printed
/// nothing or was not asked (its mem_info_la57 bug), pagewalk's ranges checked against translate().
void compare_mem(const DumpUnderTest& d, const std::string& qemu, Report& report);

/// `gva2gpa`: QEMU's "gpa: 0x…" must be pagewalk's physical address (or an RSVD fault), "Unmapped" a not-present
/// #PF or a non-canonical #GP.
void compare_gva2gpa(const DumpUnderTest& d, const std::vector<std::pair<std::uint64_t, std::string>>& qemu,
                     Report& report);

/// A few hundred addresses worth asking about: both ends and the middle of mapped runs, problem entries, holes,
/// non-canonical addresses.
std::vector<std::uint64_t> sample_addresses(const DumpUnderTest& d, std::size_t max_runs = 120);

/// The registers pagewalk resolved from the ELF core against QEMU's `info registers` (EFER is derived: LMA, NXE).
void compare_registers(const ControlRegisters& derived, const std::string& info_registers, Report& report);

}  // namespace pagewalk::test::inspect
