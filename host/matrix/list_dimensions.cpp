// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/list_dimensions.hpp"

#include <cstdint>
#include <iomanip>
#include <iostream>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <sstream>
#include <vector>

namespace pagewalk::host::matrix {
namespace {

using namespace pagewalk::harness::matrix;

constexpr const char* kSlotNames[kFlagSlots] = {"P", "R/W", "U/S", "A", "XD", "D", "G", "PWT/PCD/PAT"};

std::string page_size(PagingMode mode, unsigned level) {
    const std::uint64_t span = shape(mode).at(level).span();
    std::ostringstream s;
    if (span >= (std::uint64_t{1} << 30))
        s << (span >> 30) << " GiB";
    else if (span >= (std::uint64_t{1} << 20))
        s << (span >> 20) << " MiB";
    else
        s << (span >> 10) << " KiB";
    return s.str();
}

std::string slots(const EntryFacts& f) {
    std::string out;
    for (unsigned i = 0; i < kFlagSlots; ++i) {
        if (f.slot_mask[i] == 0) continue;
        if (!out.empty()) out += " ";
        out += kSlotNames[i];
    }
    return out;
}

/// One digit as "name (what it holds) radix".
std::string describe(PagingMode mode, unsigned leaf, const Dimension& d) {
    std::ostringstream s;
    switch (d.digit) {
        case Digit::table_flags:
            if (d.level == 0) {
                const unsigned top = shape(mode).levels;
                s << entry_name(top);
                if (top > leaf + 1)
                    s << ".." << entry_name(leaf + 1) << " flags, shared (";
                else
                    s << " flags (";
                s << slots(shared_table_facts(mode, leaf)) << ")";
            } else {
                s << entry_name(d.level) << " flags (" << slots(entry_facts(mode, d.level, false)) << ")";
            }
            break;
        case Digit::leaf_flags:
            s << entry_name(leaf) << " leaf flags (" << slots(entry_facts(mode, leaf, true)) << ")";
            break;
        case Digit::leaf_key:
            s << "leaf key (0, " << unsigned{kLeafKey} << ")";
            break;
        case Digit::table_key:
            s << "table entries' key (0, decoy " << unsigned{kDecoyKey} << ")";
            break;
        case Digit::reserved_case: {
            const Placements p = placements(mode, leaf);
            s << "reserved cases (" << p.count << " placements × present/not present, then pairs:";
            for (unsigned i = 0; i < p.count; ++i)
                s << (i == 0 ? " " : ", ") << entry_name(p.item[i].level) << " " << to_string(p.item[i].cls);
            s << ")";
            break;
        }
        case Digit::access_type:
            s << "access (read, write, fetch)";
            break;
        case Digit::cpl:
            s << "CPL (0, 3)";
            break;
        default:
            s << to_string(d.digit);
            break;
    }
    s << " " << d.radix;
    return s.str();
}

void write_digits(std::ostream& out, PagingMode mode, unsigned leaf, const DigitList& list) {
    for (unsigned i = 0; i < list.count; ++i) out << (i == 0 ? "" : " × ") << describe(mode, leaf, list.dims[i]);
}

void write_mode(std::ostream& out, PagingMode mode, Space space) {
    const Matrix m(mode, space);
    out << to_string(mode) << ": " << m.states() << " control states × " << m.block().size
        << " combinations each = " << m.count() << "\n  control state (slowest): ";
    write_digits(out, mode, 0, control_digits(mode));
    out << "\n";
    for (unsigned s = 0; s < m.block().count; ++s) {
        const Segment& seg = m.block().segment[s];
        out << "  " << page_size(mode, seg.leaf_level) << " leaf, "
            << (seg.family == Family::rights ? "rights:   " : "reserved: ");
        write_digits(out, mode, seg.leaf_level, seg.digits);
        out << " = " << seg.size << "\n";
    }
}

}  // namespace

void list_dimensions(std::ostream& out, std::optional<PagingMode> mode, Space space) {
    std::vector<PagingMode> modes;
    for (PagingMode m : kPagingModes)
        if (!mode || *mode == m) modes.push_back(m);
    out << "Access matrix, " << to_string(space) << " space"
        << (space == Space::full ? " (every table level's flags independent, every pair of reserved placements)"
                                 : " (table flags shared by the table entries of a walk, neighbouring pairs of "
                                   "reserved placements; --full for all)")
        << "\n\n";
    for (PagingMode m : modes) {
        write_mode(out, m, space);
        out << "\n";
    }
    std::vector<Counts> counted;
    for (PagingMode m : modes) counted.push_back(counts(m, space));
    constexpr int kName = 22, kColumn = 16;
    out << std::left << std::setw(kName) << "combinations" << std::right;
    for (PagingMode m : modes) out << std::setw(kColumn) << to_string(m);
    out << "\n" << std::left << std::setw(kName) << "total" << std::right;
    for (const Counts& c : counted) out << std::setw(kColumn) << c.total;
    out << "\n";
    for (unsigned r = 1; r < kRules; ++r) {
        out << std::left << std::setw(kName) << ("- " + std::string(rule_info(static_cast<Rule>(r)).name))
            << std::right;
        for (const Counts& c : counted) out << std::setw(kColumn) << c.removed[r];
        out << "\n";
    }
    out << std::left << std::setw(kName) << "legal" << std::right;
    for (const Counts& c : counted) out << std::setw(kColumn) << c.legal;
    out << "\n\nLegality rules (a rule removes only what is impossible or the same as a kept combination):\n";
    for (unsigned r = 1; r < kRules; ++r) {
        const RuleInfo info = rule_info(static_cast<Rule>(r));
        out << "  " << std::left << std::setw(kName) << info.name << info.why << "\n";
    }
}

}  // namespace pagewalk::host::matrix
