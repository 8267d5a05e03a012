// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/inspect_command.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <pagewalk/access.hpp>

#include "inspect/dump.hpp"
#include "inspect/hex.hpp"
#include "inspect/listing.hpp"
#include "inspect/output.hpp"
#include "inspect/registers.hpp"
#include "inspect/translator.hpp"
#include "util/escape.hpp"

namespace pagewalk::host::inspect {
namespace {

/// A dump opened and the context resolved for it.
struct Opened {
    std::optional<Dump> dump;
    ResolvedContext resolved;
};

std::optional<std::uint64_t> parse_register(const std::string& text, const char* name, bool& bad) {
    if (text.empty()) return std::nullopt;
    const auto v = parse_hex(text);
    if (!v) {
        std::fprintf(stderr, "pagewalk inspect: %s: '%s' is not a hexadecimal value\n", name, printable(text).c_str());
        bad = true;
    }
    return v;
}

bool open_dump(const std::string& path, const std::string& format, const RegisterOptions& regs, bool quiet,
               Opened& out) {
    const DumpFormatChoice choice = format == "raw"   ? DumpFormatChoice::raw
                                    : format == "elf" ? DumpFormatChoice::elf_core
                                                      : DumpFormatChoice::automatic;
    auto dump = Dump::open(path, choice);
    if (!dump) {
        std::fprintf(stderr, "pagewalk inspect: %s\n", printable(dump.error()).c_str());
        return false;
    }
    out.dump.emplace(std::move(*dump));
    if (!quiet) {
        for (const std::string& w : out.dump->warnings())
            std::fprintf(stderr, "pagewalk inspect: warning: %s: %s\n", printable(path).c_str(), w.c_str());
    }
    auto resolved = resolve_context(*out.dump, regs);
    if (!resolved) {
        std::fprintf(stderr, "pagewalk inspect: %s\n", printable(resolved.error()).c_str());
        return false;
    }
    out.resolved = std::move(*resolved);
    if (!quiet) {
        for (const std::string& n : out.resolved.notes) std::fprintf(stderr, "pagewalk inspect: note: %s\n", n.c_str());
    }
    return true;
}

}  // namespace

InspectCommand::InspectCommand(CLI::App& app)
    : Command(app, "inspect", "translate addresses and list mappings from a guest memory dump") {
    inspect_ = &subcommand();
    inspect_->require_subcommand(1);
    translate_ = inspect_->add_subcommand(
        "translate", "translate linear addresses: physical address, page size and rights, or the fault");
    add_common(*translate_, t_);
    translate_->add_option("--access", access_, "kind of access")
        ->check(CLI::IsMember({"read", "write", "fetch"}))
        ->capture_default_str();
    translate_->add_flag("--user", user_, "a user-mode (CPL 3) access; default supervisor");
    translate_->add_flag("--json", json_, "one JSON object per line");
    translate_->add_flag("--stdin", stdin_, "read addresses from standard input (also: an address of '-')");
    translate_->add_option("addresses", addresses_, "linear addresses (hex), or - for standard input");

    maps_ = inspect_->add_subcommand("maps", "list every mapping of the address space");
    add_common(*maps_, m_);
    maps_->add_option("--range", range_, "only START-END (hex, END inclusive)");
    maps_->add_option("--format", format_, "ranges, json, qemu-tlb (QEMU 7.2 info tlb), qemu-mem (info mem)")
        ->check(CLI::IsMember({"ranges", "json", "qemu-tlb", "qemu-mem"}))
        ->capture_default_str();
    maps_->add_option("--max-entries", max_entries_, "give up after reading this many entries (hostile tables)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
}

void InspectCommand::add_common(CLI::App& sub, Common& c) {
    sub.add_option("dump", c.dump, "memory dump: QEMU dump-guest-memory ELF core, or a raw image (pmemsave)")
        ->required();
    sub.add_option("--cr3", c.cr3, "top-level table: physical address (hex), or auto (the dump's CPU state)")
        ->capture_default_str();
    sub.add_option("--mode", c.mode, "paging mode, overriding the dump's")
        ->check(CLI::IsMember({"32bit", "pae", "4level", "5level"}));
    sub.add_option("--cr0", c.cr0, "CR0 (hex), overriding the dump's");
    sub.add_option("--cr4", c.cr4, "CR4 (hex), overriding the dump's");
    sub.add_option("--efer", c.efer, "IA32_EFER (hex); QEMU's dump has none (LMA is derived, NXE assumed)");
    sub.add_option("--cpu", c.cpu, "which vCPU's state to use")->capture_default_str();
    sub.add_option("--dump-format", c.dump_format, "auto (by content), raw or elf")
        ->check(CLI::IsMember({"auto", "raw", "elf"}))
        ->capture_default_str();
    sub.add_flag("--raw-pdptes", c.raw_pdptes,
                 "PAE: PDPTEs exactly as in memory (default: bit 5, which QEMU's TCG sets, is ignored)");
    sub.add_flag("-q,--quiet", c.quiet, "no notes or warnings on stderr");
}

int InspectCommand::run() {
    if (translate_->parsed()) return run_translate();
    if (maps_->parsed()) return run_maps();
    return 1;
}

namespace {

bool register_options(const std::string& cr3, const std::string& mode, const std::string& cr0, const std::string& cr4,
                      const std::string& efer, unsigned cpu, bool raw_pdptes, RegisterOptions& o) {
    o.raw_pdptes = raw_pdptes;
    bool bad = false;
    if (cr3 != "auto") o.cr3 = parse_register(cr3, "--cr3", bad);
    if (!mode.empty()) o.mode = parse_mode(mode);
    o.cr0 = parse_register(cr0, "--cr0", bad);
    o.cr4 = parse_register(cr4, "--cr4", bad);
    o.efer = parse_register(efer, "--efer", bad);
    o.cpu = cpu;
    return !bad;
}

}  // namespace

int InspectCommand::run_translate() {
    RegisterOptions regs;
    if (!register_options(t_.cr3, t_.mode, t_.cr0, t_.cr4, t_.efer, t_.cpu, t_.raw_pdptes, regs)) return 1;
    Opened opened;
    if (!open_dump(t_.dump, t_.dump_format, regs, t_.quiet, opened)) return 1;
    Access access = access_ == "write" ? Access::write() : access_ == "fetch" ? Access::fetch() : Access::read();
    if (user_) access = access.user();
    Translator translator(opened.resolved.ctx, *opened.dump, access, json_);
    Output out(stdout);
    bool bad_input = false;
    auto one = [&](std::string_view token) {
        if (const auto va = parse_hex(token)) {
            translator.translate(*va, out.text());
        } else {
            translator.invalid(token, out.text());
            bad_input = true;
        }
        out.line_done();
    };
    bool want_stdin = stdin_;
    for (const std::string& a : addresses_) {
        if (a == "-") {
            want_stdin = true;
        } else {
            one(a);
        }
    }
    if (addresses_.empty() && !want_stdin) {
        std::fprintf(stderr, "pagewalk inspect translate: no addresses (give them as arguments, or - for stdin)\n");
        return 1;
    }
    if (want_stdin) {
        // Whitespace-separated tokens, read in large blocks; a token may straddle two blocks.
        std::string pending;
        std::vector<char> block(1u << 20);
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, block.data(), block.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            std::size_t start = 0;
            for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
                const char c = block[i];
                if (c != ' ' && c != '\n' && c != '\t' && c != '\r') continue;
                if (!pending.empty()) {
                    pending.append(block.data() + start, i - start);
                    one(pending);
                    pending.clear();
                } else if (i > start) {
                    one(std::string_view(block.data() + start, i - start));
                }
                start = i + 1;
            }
            pending.append(block.data() + start, static_cast<std::size_t>(n) - start);
        }
        if (!pending.empty()) one(pending);
    }
    out.flush();
    if (out.failed()) {
        std::fprintf(stderr, "pagewalk inspect: error writing the output\n");
        return 1;
    }
    return bad_input ? 1 : 0;
}

int InspectCommand::run_maps() {
    RegisterOptions regs;
    if (!register_options(m_.cr3, m_.mode, m_.cr0, m_.cr4, m_.efer, m_.cpu, m_.raw_pdptes, regs)) return 1;
    ListOptions options;
    options.format = *parse_list_format(format_);
    options.max_entries = max_entries_;
    if (!range_.empty()) {
        const auto range = parse_range(range_);
        if (!range) {
            std::fprintf(stderr, "pagewalk inspect maps: --range '%s' is not START-END (hex, START <= END)\n",
                         range_.c_str());
            return 1;
        }
        options.range = *range;
    }
    Opened opened;
    if (!open_dump(m_.dump, m_.dump_format, regs, m_.quiet, opened)) return 1;
    Output out(stdout);
    const DumpMemory memory(*opened.dump);
    const auto stats = write_listing(opened.resolved.ctx, memory, options, out);
    out.flush();
    if (!stats) {
        std::fprintf(stderr, "pagewalk inspect: %s: %s\n", m_.dump.c_str(), stats.error().c_str());
        return 1;
    }
    if (out.failed()) {
        std::fprintf(stderr, "pagewalk inspect: error writing the output\n");
        return 1;
    }
    if (!m_.quiet && stats->problems > 0 &&
        (options.format == ListFormat::qemu_tlb || options.format == ListFormat::qemu_mem))
        std::fprintf(stderr,
                     "pagewalk inspect: note: %llu entries with reserved bits or unreadable tables are left out "
                     "(the CPU faults there; QEMU's monitor lists what reserved entries point to): see --format "
                     "ranges\n",
                     static_cast<unsigned long long>(stats->problems));
    return 0;
}

}  // namespace pagewalk::host::inspect
