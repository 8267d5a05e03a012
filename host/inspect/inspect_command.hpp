// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk inspect: the `inspect translate` and `inspect maps` subcommands (CLI11).
//
//   pagewalk inspect translate DUMP [--cr3 ADDR|auto] [--mode 32bit|pae|4level|5level] [--cr0 V --cr4 V --efer V]
//                              [--access read|write|fetch] [--user] [--json] [--stdin] VA... (or "-": VAs on stdin)
//   pagewalk inspect maps DUMP [same context flags] [--range START-END] [--format qemu-tlb|qemu-mem|ranges|json]
//
// Exit status: 0 when every address was answered (a fault is an answer), 1 for a bad dump, bad options, an address
// that does not parse, or a listing that had to give up.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace pagewalk::host::inspect {

/// Registers `inspect` on an app; after parsing, `selected()` says whether it was chosen and `run()` does it.
class InspectCommand final : public cli::Command {
public:
    explicit InspectCommand(CLI::App& app);
    int run() override;

private:
    /// Options both subcommands take.
    struct Common {
        std::string dump, cr3 = "auto", mode, cr0, cr4, efer, dump_format = "auto";
        unsigned cpu = 0;
        bool quiet = false, raw_pdptes = false;
    };
    void add_common(CLI::App& sub, Common& c);
    int run_translate();
    int run_maps();

    CLI::App* inspect_ = nullptr;
    CLI::App* translate_ = nullptr;
    CLI::App* maps_ = nullptr;
    Common t_, m_;
    std::string access_ = "read";
    bool user_ = false, json_ = false, stdin_ = false;
    std::vector<std::string> addresses_;
    std::string range_, format_ = "ranges";
    std::uint64_t max_entries_ = std::uint64_t{1} << 26;
};

}  // namespace pagewalk::host::inspect
