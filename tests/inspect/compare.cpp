// SPDX-License-Identifier: MIT OR Apache-2.0
#include "compare.hpp"

#include <pagewalk/translate.hpp>
#include <random>
#include <sstream>

#include "inspect/dump_memory.hpp"
#include "inspect/hex.hpp"
#include "inspect/listing.hpp"
#include "inspect/qemu_format.hpp"

namespace pagewalk::test::inspect {
namespace {

using host::inspect::hex;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

TranslateResult walk(const DumpUnderTest& d, std::uint64_t va) {
    const host::inspect::DumpMemory memory(*d.dump);
    return translate(d.ctx, memory, va, Access::read());
}

/// The CPU faults on `va` because of a reserved bit (a #PF with RSVD, or PAE's #GP at the PDPTE load).
bool reserved_fault(const DumpUnderTest& d, std::uint64_t va) {
    const TranslateResult r = walk(d, va);
    if (const std::optional<PageFault> f = r.page_fault()) return (f->error_code & pf::rsvd) != 0;
    if (const std::optional<GeneralProtection> g = r.general_protection())
        return g->cause == GeneralProtection::Cause::pdpte_reserved;
    return false;
}

std::uint64_t leading_hex(const std::string& line) {
    return host::inspect::parse_hex(line.substr(0, 16)).value_or(0);
}

}  // namespace

std::string listing(const DumpUnderTest& d, const std::string& format) {
    host::inspect::ListOptions o;
    o.format = *host::inspect::parse_list_format(format);
    host::inspect::Output out;
    const host::inspect::DumpMemory memory(*d.dump);
    auto stats = host::inspect::write_listing(d.ctx, memory, o, out);
    if (!stats) return "error: " + stats.error();
    return out.text();
}

void compare_tlb(const DumpUnderTest& d, const std::string& qemu, Report& report) {
    const auto theirs = lines_of(qemu), ours = lines_of(listing(d, "qemu-tlb"));
    std::size_t i = 0, same = 0, reserved = 0;
    for (const std::string& line : theirs) {
        if (i < ours.size() && ours[i] == line) {
            ++i;
            ++same;
            continue;
        }
        const std::uint64_t va = leading_hex(line);
        if (reserved_fault(d, va)) {
            ++reserved;
            continue;
        }
        report.fail(d.label + ": info tlb: QEMU has \"" + line + "\", pagewalk " +
                    (i < ours.size() ? "has \"" + ours[i] + "\" there" : "has nothing more"));
        return;
    }
    if (i != ours.size()) {
        report.fail(d.label + ": info tlb: pagewalk has extra lines from \"" + ours[i] + "\"");
        return;
    }
    report.info(d.label + ": info tlb: " + std::to_string(same) + " lines identical; " + std::to_string(reserved) +
                " QEMU lines for leaves the CPU faults on with RSVD (QEMU ignores reserved bits)");
    if (same == 0) report.fail(d.label + ": info tlb: nothing to compare");
}

void compare_mem(const DumpUnderTest& d, const std::string& qemu, Report& report) {
    const auto theirs = lines_of(qemu), ours = lines_of(listing(d, "qemu-mem"));
    if (theirs.empty() && d.ctx.mode() == PagingMode::long5 && !ours.empty()) {
        // QEMU 7.2 mem_info_la57: present PDPTEs and PDEs are skipped, absent ones walked; nothing is printed.
        unsigned checked = 0;
        for (const std::string& line : ours) {
            const std::uint64_t start = leading_hex(line),
                                end = host::inspect::parse_hex(line.substr(17, 16)).value_or(0);
            const bool user = line[51] == 'u', writable = line[53] == 'w';
            // First page, last page, and QEMU's page before the start: the run must be maximal.
            const std::uint64_t mask = bits::mask(56, 0);
            const std::uint64_t last_page = host::inspect::qemu::canonical(d.ctx, ((end & mask) - 0x1000) & mask);
            for (const std::uint64_t va : {start, last_page}) {
                const TranslateResult r = walk(d, va);
                const std::optional<Mapping> m = r.mapping();
                if (!m.has_value() || m->user != user || m->writable != writable) {
                    report.fail(d.label + ": info mem (5-level, against translate): \"" + line + "\" but " + hex(va) +
                                (!m.has_value() ? " is not mapped" : " has other rights"));
                    return;
                }
                ++checked;
            }
            const std::uint64_t before = host::inspect::qemu::canonical(d.ctx, ((start & mask) - 0x1000) & mask);
            const TranslateResult b = walk(d, before);
            if (const std::optional<Mapping> m = b.mapping();
                m.has_value() && m->user == user && m->writable == writable && (start & mask) != 0) {
                report.fail(d.label + ": info mem (5-level): \"" + line + "\" is not maximal: " + hex(before) +
                            " has the same rights");
                return;
            }
        }
        report.info(d.label +
                    ": info mem: none from QEMU (7.2's mem_info_la57 inverts the PDPTE/PDE present "
                    "checks and prints nothing under 5-level paging); pagewalk's " +
                    std::to_string(ours.size()) + " ranges checked against translate() at " + std::to_string(checked) +
                    " pages");
        return;
    }
    std::size_t i = 0, same = 0, reserved = 0;
    for (const std::string& line : theirs) {
        if (i < ours.size() && ours[i] == line) {
            ++i;
            ++same;
            continue;
        }
        const std::uint64_t start = leading_hex(line);
        const std::uint64_t end = host::inspect::parse_hex(line.substr(17, 16)).value_or(0);
        if (reserved_fault(d, start) && reserved_fault(d, host::inspect::qemu::canonical(d.ctx, end - 0x1000))) {
            ++reserved;
            continue;
        }
        report.fail(d.label + ": info mem: QEMU has \"" + line + "\", pagewalk " +
                    (i < ours.size() ? "has \"" + ours[i] + "\" there" : "has nothing more"));
        return;
    }
    if (i != ours.size()) {
        report.fail(d.label + ": info mem: pagewalk has extra lines from \"" + ours[i] + "\"");
        return;
    }
    report.info(d.label + ": info mem: " + std::to_string(same) + " lines identical; " + std::to_string(reserved) +
                " QEMU ranges the CPU faults on with RSVD");
    if (same == 0) report.fail(d.label + ": info mem: nothing to compare");
}

void compare_gva2gpa(const DumpUnderTest& d, const std::vector<std::pair<std::uint64_t, std::string>>& qemu,
                     Report& report) {
    unsigned mapped = 0, unmapped = 0, reserved = 0;
    for (const auto& [va, answer] : qemu) {
        const TranslateResult r = walk(d, va);
        if (answer.rfind("gpa: ", 0) == 0) {
            const auto gpa = host::inspect::parse_hex(answer.substr(5));
            if (const std::optional<Mapping> m = r.mapping(); m.has_value() && gpa && m->pa == *gpa) {
                ++mapped;
                continue;
            }
            if (reserved_fault(d, va)) {
                ++reserved;
                continue;
            }
        } else if (answer == "Unmapped") {
            const std::optional<PageFault> f = r.page_fault();
            const std::optional<GeneralProtection> g = r.general_protection();
            if ((f.has_value() && (f->error_code & pf::p) == 0) ||
                (g.has_value() && g->cause == GeneralProtection::Cause::non_canonical)) {
                ++unmapped;
                continue;
            }
            if (reserved_fault(d, va)) {  // QEMU walked past the reserved entry and found nothing below
                ++reserved;
                continue;
            }
        }
        const std::optional<Mapping> m = r.mapping();
        report.fail(d.label + ": gva2gpa " + hex(va) + ": QEMU says \"" + answer + "\", pagewalk " +
                    (m.has_value() ? "maps it to " + hex(m->pa) : "raises vector " + std::to_string(r.vector())));
    }
    report.info(d.label + ": gva2gpa: " + std::to_string(qemu.size()) + " addresses: " + std::to_string(mapped) +
                " same physical address, " + std::to_string(unmapped) + " unmapped on both sides, " +
                std::to_string(reserved) + " that QEMU walks through reserved bits (the CPU faults: RSVD)");
}

std::vector<std::uint64_t> sample_addresses(const DumpUnderTest& d, std::size_t max_runs) {
    // Runs and problems from the ranges listing: "FIRST-LAST -> …" or "FIRST-LAST ! …".
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    for (const std::string& line : lines_of(listing(d, "ranges"))) {
        const auto dash = line.find('-'), space = line.find(' ');
        const auto first = host::inspect::parse_hex(line.substr(0, dash));
        const auto last = host::inspect::parse_hex(line.substr(dash + 1, space - dash - 1));
        if (first && last) runs.emplace_back(*first, *last);
    }
    std::vector<std::uint64_t> out;
    const std::size_t step = runs.size() > max_runs ? runs.size() / max_runs + 1 : 1;
    for (std::size_t i = 0; i < runs.size(); i += step) {
        const auto [first, last] = runs[i];
        out.push_back(first);
        if (last - first > 0x2000) out.push_back(first + 0x1234);
        out.push_back(first + (last - first) / 2 + 0x123);
        if (last - first > 0x2000) out.push_back(last - 0x1000);
        out.push_back(last - 7);
        out.push_back(last + 1);  // often a hole
    }
    const bool is_long = d.ctx.is_long_mode();
    std::mt19937_64 rng(2024);
    for (int i = 0; i < 150; ++i) {
        const std::uint64_t va = is_long ? host::inspect::qemu::canonical(d.ctx, rng()) : rng() & 0xffff'ffffu;
        out.push_back(va);
    }
    if (!is_long) {
        for (std::uint64_t& va : out) va &= 0xffff'ffffu;  // 32-bit linear addresses
    } else {
        const unsigned top = d.ctx.mode() == PagingMode::long5 ? 56 : 47;
        out.push_back(std::uint64_t{1} << top);  // the first non-canonical address
        out.push_back(~std::uint64_t{0} << (top + 1) >> 1);
        out.push_back(0x8000'0000'0000'0000ull);
    }
    return out;
}

void compare_registers(const ControlRegisters& derived, const std::string& info, Report& report) {
    auto field = [&info](const std::string& name) -> std::uint64_t {
        const auto at = info.find(name + "=");
        if (at == std::string::npos) return ~std::uint64_t{0};
        return host::inspect::parse_hex(
                   info.substr(at + name.size() + 1, info.find_first_of(" \n", at) - at - name.size() - 1))
            .value_or(~std::uint64_t{0});
    };
    const std::uint64_t cr0 = field("CR0"), cr3 = field("CR3"), cr4 = field("CR4"), efer = field("EFER");
    const std::uint64_t paging_efer = efer::lme | efer::lma | efer::nxe;
    if (cr0 != derived.cr0 || cr3 != derived.cr3 || cr4 != derived.cr4 ||
        (efer & paging_efer) != (derived.efer & paging_efer)) {
        report.fail("registers: QEMU CR0=" + hex(cr0) + " CR3=" + hex(cr3) + " CR4=" + hex(cr4) + " EFER=" + hex(efer) +
                    "; from the ELF core pagewalk has CR0=" + hex(derived.cr0) + " CR3=" + hex(derived.cr3) +
                    " CR4=" + hex(derived.cr4) + " EFER=" + hex(derived.efer));
        return;
    }
    report.info("registers: CR0, CR3, CR4 as QEMU has them; EFER.LME/LMA/NXE derived = QEMU's (" + hex(efer) + ")");
}

}  // namespace pagewalk::test::inspect
