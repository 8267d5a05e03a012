// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: a dump file that shrinks while it is mapped (another process truncates it) must not kill the
// inspector with SIGBUS. A SIGBUS on a page of a registered mapping puts an anonymous page there (the faulting read
// completes) and raises a flag; readers check the flag after each copy — one relaxed load on the hot path — and,
// once it is set, accept only bytes that are still in the file (fstat), so a vanished entry is a memory error,
// never zeros. A SIGBUS anywhere else keeps its default action.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pagewalk::host::inspect {

/// Set once any registered mapping lost pages to a truncation.
extern std::atomic<bool> dump_shrunk;

/// Registers [base, base + size) (at most 64 mappings at once; false when full — the mapping is then unguarded).
bool guard_mapping(const std::uint8_t* base, std::size_t size);
void unguard_mapping(const std::uint8_t* base);

}  // namespace pagewalk::host::inspect
