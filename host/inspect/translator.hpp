// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: one line per translated address, as text or as a JSON object.
//
//   text   0x400001234 -> 0x1001234 4K urw-
//          0x400005000 -> #PF error_code 0x0 level 1: PTE not present
//          0x8000000000000000 -> #GP(0) non-canonical address
//          0x1234 -> unreadable: PML4E at 0x9000000 is not in the dump
//   json   {"va":"0x400001234","pa":"0x1001234","page_size":"0x1000","writable":true,"user":true,
//           "executable":false,"pkey":"0x0"}
//          {"va":"0x400005000","fault":{"vector":"0xe","error_code":"0x0","level":"0x1"}}
//
// Rights in text are four letters: u (user) or s (supervisor), r, w or -, x or -. The bulk path walks with
// translate_compact(); only faults with P = 1 in text mode (to name their cause) and mappings under CR4.PKE (for the
// key) take the full translate().
#pragma once

#include <cstdint>
#include <pagewalk/access.hpp>
#include <pagewalk/context.hpp>
#include <string>
#include <string_view>

#include "inspect/dump_memory.hpp"

namespace pagewalk::host::inspect {

/// Translates addresses of one dump for one kind of access and formats the answers.
class Translator {
public:
    Translator(const Context& ctx, const Dump& dump, const Access& access, bool json)
        : ctx_(&ctx), memory_(dump), access_(access), json_(json) {}

    /// Appends the line for `va` (with its newline).
    void translate(std::uint64_t va, std::string& out);
    /// Appends the line for an input token that is not an address.
    void invalid(std::string_view token, std::string& out) const;

private:
    void fault_text(std::uint64_t va, std::string& out);

    const Context* ctx_;
    DumpMemory memory_;
    Access access_;
    bool json_;
};

/// Names the set bits of a #PF error code: "P W U RSVD I/D PK" (or "none").
std::string error_code_bits(std::uint32_t code);

}  // namespace pagewalk::host::inspect
