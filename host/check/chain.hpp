// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: paging-structure entries in words, for every disagreement a check reports.
#pragma once

#include <cstdint>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>
#include <string>

namespace pagewalk::host::check {

/// "0x1a2b" (lower-case hex).
std::string hex(std::uint64_t v);
/// "P RW US A D PS G XD …" for an entry value.
std::string entry_flags(std::uint64_t e);
/// The SDM's name for a level in a mode: "PML4E", "PDPTE", … (PAE level 3 is the PDPTE register).
std::string level_name(PagingMode mode, unsigned level);
/// "P W U RSVD I/D PK" for a #PF error code.
std::string error_bits(std::uint64_t e);
/// A prediction in words ("ok pa=0x… 4K at level 1", "#PF 0x3 (P W) at level 1", "#GP").
std::string describe(const harness::Prediction& p);
/// The access's outcome in words ("ok value=0x…", "#PF 0x9 (P RSVD) cr2=0x…").
std::string describe_outcome(const harness::AccessRecord& a);
/// The chain of an access record: one line per entry, "  PDE   @0x203008  0x… → 0x…  (P RW A)".
std::string format_chain(const harness::AccessRecord& a, PagingMode mode);
/// The chain of a walk (the host's own, from outside).
std::string format_chain(const EntryChain& c, PagingMode mode);

}  // namespace pagewalk::host::check
