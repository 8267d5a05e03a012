// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/chain.hpp"

#include <cinttypes>
#include <cstdio>

namespace pagewalk::host::check {

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

std::string entry_flags(std::uint64_t e) {
    // Bit 7 is PS above level 1, PAT in a PTE (the walker's entry_bit).
    static const std::pair<std::uint64_t, const char*> names[] = {
        {entry_bit::present, "P"},         {entry_bit::writable, "RW"},       {entry_bit::user, "US"},
        {entry_bit::write_through, "PWT"}, {entry_bit::cache_disable, "PCD"}, {entry_bit::accessed, "A"},
        {entry_bit::dirty, "D"},           {entry_bit::page_size, "PS/PAT"},  {entry_bit::global, "G"},
        {entry_bit::execute_disable, "XD"}};
    std::string s;
    for (const auto& [mask, name] : names) {
        if ((e & mask) == 0) continue;
        if (!s.empty()) s += ' ';
        s += name;
    }
    if (const auto pk = entry_bit::protection_key::get(e); pk != 0) s += " PK=" + std::to_string(pk);
    return s.empty() ? "-" : s;
}

std::string level_name(PagingMode mode, unsigned level) {
    if (mode == PagingMode::legacy32 && level == 2) return "PDE";
    return entry_name(level);
}

std::string error_bits(std::uint64_t e) {
    static const std::pair<std::uint32_t, const char*> names[] = {
        {pf::p, "P"}, {pf::w, "W"}, {pf::u, "U"}, {pf::rsvd, "RSVD"}, {pf::id, "I/D"}, {pf::pk, "PK"}, {pf::ss, "SS"}};
    std::string s;
    for (const auto& [mask, name] : names) {
        if ((e & mask) == 0) continue;
        if (!s.empty()) s += ' ';
        s += name;
    }
    return s.empty() ? "-" : s;
}

std::string describe(const harness::Prediction& p) {
    switch (p.kind) {
        case 0: {
            const std::uint64_t size = p.page_size;
            const std::string sz = size >= (1ull << 30)   ? std::to_string(size >> 30) + "G"
                                   : size >= (1ull << 20) ? std::to_string(size >> 20) + "M"
                                                          : std::to_string(size >> 10) + "K";
            return "ok pa=" + hex(p.pa) + " (" + sz + " page, level " + std::to_string(p.level) + ")";
        }
        case 1:
            return "#PF " + hex(p.error_code) + " (" + error_bits(p.error_code) + ") at level " +
                   std::to_string(p.level);
        case 2:
            return "#GP";
        default:
            return "memory error reading the level-" + std::to_string(p.level) + " entry at " + hex(p.pa);
    }
}

std::string describe_outcome(const harness::AccessRecord& a) {
    if (a.outcome == static_cast<std::uint8_t>(harness::AccessOutcome::completed)) return "ok value=" + hex(a.value);
    static const char* const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",  "#TS",
                                          "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
                                          "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31"};
    std::string s = names[a.vector & 31];
    if (a.has_error_code) s += " " + hex(a.error_code);
    if (a.vector == 14) s += " (" + error_bits(a.error_code) + ") cr2=" + hex(a.cr2);
    return s;
}

namespace {
std::string line(PagingMode mode, unsigned level, std::uint64_t pa, std::uint64_t before, const std::uint64_t* after) {
    char b[200];
    std::string name = level_name(mode, level);
    name.resize(6, ' ');
    if (after != nullptr && *after != before)
        std::snprintf(b, sizeof b, "    %s @%-12s %-20s -> %-20s (%s)\n", name.c_str(), hex(pa).c_str(),
                      hex(before).c_str(), hex(*after).c_str(), entry_flags(*after).c_str());
    else
        std::snprintf(b, sizeof b, "    %s @%-12s %-20s (%s)\n", name.c_str(), hex(pa).c_str(), hex(before).c_str(),
                      entry_flags(before).c_str());
    return b;
}
unsigned top_level(PagingMode mode) {
    return shape(mode).levels;
}
}  // namespace

std::string format_chain(const harness::AccessRecord& a, PagingMode mode) {
    std::string s;
    for (unsigned i = 0; i < a.chain_count && i < 5; ++i)
        s += line(mode, top_level(mode) - i, a.chain_pa[i], a.chain_before[i], &a.chain_after[i]);
    if (s.empty()) s = "    (no entries read)\n";
    if (a.crosses == 0) return s;
    s += "    the second page (" + describe(a.second) + "):\n";
    for (unsigned i = 0; i < a.second_chain_count && i < 5; ++i)
        s += line(mode, top_level(mode) - i, a.second_chain_pa[i], a.second_chain_before[i], &a.second_chain_after[i]);
    return s;
}

std::string format_chain(const EntryChain& c, PagingMode mode) {
    std::string s;
    for (const ChainEntry& e : c) s += line(mode, e.level, e.entry_pa, e.value, nullptr);
    return s.empty() ? "    (no entries read)\n" : s;
}

}  // namespace pagewalk::host::check
