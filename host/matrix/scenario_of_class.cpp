// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/scenario_of_class.hpp"

#include <toml++/toml.h>

#include <pagewalk/harness/matrix/entry_facts.hpp>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/program.hpp>
#include <sstream>

#include "check/chain.hpp"
#include "matrix/case_check.hpp"
#include "scenario/compiler.hpp"

namespace pagewalk::host::matrix {
namespace {

using check::hex;
namespace mm = hm::mismatch;

/// A TOML basic string, escaped by toml++.
std::string toml_string(const std::string& s) {
    std::ostringstream os;
    os << toml::value<std::string>(s);
    return os.str();
}

/// A TOML integer, or (bit 63 set) the string form scenarios/README.md allows for such values.
std::string toml_number(std::uint64_t v) {
    return v >> 63 != 0 ? "\"" + hex(v) + "\"" : hex(v);
}

std::string size_name(std::uint64_t bytes) {
    return bytes >= (1ull << 30)   ? std::to_string(bytes >> 30) + "G"
           : bytes >= (1ull << 20) ? std::to_string(bytes >> 20) + "M"
                                   : std::to_string(bytes >> 10) + "K";
}

std::string lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    return s;
}

const char* op_name(const harness::AccessRecord& a) {
    if ((a.access_flags & harness::access_flag::implicit) != 0) return "implicit";
    switch (static_cast<harness::AccessKind>(a.kind)) {
        case harness::AccessKind::write:
            return "write";
        case harness::AccessKind::fetch:
            return "fetch";
        case harness::AccessKind::read:
            break;
    }
    return "read";
}

/// "ok", "pf0x9", "gp", "v17" for a prediction kind or an observed exception.
std::string outcome_name(bool exception, std::uint8_t vector, std::uint64_t error) {
    if (!exception) return "ok";
    if (vector == vector::page_fault) return "pf" + hex(error);
    if (vector == vector::general_protection) return "gp";
    return "v" + std::to_string(vector);
}

/// The bits of a `set` / `clear` list: bit numbers; `maxphyaddr` (the bit the guest's CPUID names) by name.
std::string bit_list(std::uint64_t mask, std::uint64_t maxphyaddr_bit) {
    std::string s;
    for (unsigned b = 0; b < 64; ++b) {
        const std::uint64_t bit = std::uint64_t{1} << b;
        if ((mask & bit) == 0) continue;
        s += s.empty() ? "" : ", ";
        s += bit == maxphyaddr_bit ? std::string("\"MAXPHYADDR\"") : std::to_string(b);
    }
    return "[" + s + "]";
}

/// The bits of an entry of `level` that hold an address: [page size (a table entry: 4 KiB), 52) — kept as the
/// scenario's mapper writes them. Every other bit is cleared or set to the matrix entry's value (flags, PS, PAT,
/// keys, a huge page's alignment bits).
std::uint64_t address_field(PagingMode mode, unsigned level, bool leaf) {
    const unsigned low = leaf ? shape(mode).at(level).shift : 12;
    const std::uint64_t top = shape(mode).entry_bytes == 4 ? std::uint64_t{1} << 32 : std::uint64_t{1} << 52;
    return (top - 1) & ~((std::uint64_t{1} << low) - 1);
}

/// The part of that field the scenario's mapper fills: the guest's RAM, and so every table and page it places, lies
/// below 4 GiB. A matrix bit there (it has none: its reserved address bits are at MAXPHYADDR and above) cannot be set.
constexpr std::uint64_t kMapperAddressLimit = std::uint64_t{1} << 32;

/// Where the scenario puts the leaf's page and which of its bytes the access uses.
struct PagePlacement {
    std::string target;                    ///< the map step's `frame = …` or `pa = …`
    std::uint64_t offset = 0;              ///< of the access within the leaf's page
    std::optional<std::uint64_t> poke_pa;  ///< an absolute page: the qword the access uses, tagged by a poke
};

/// 4 KiB and 2 MiB leaves: data frame 0 (the data area is 2 MiB-aligned), tagged by the guest. 4 MiB and 1 GiB
/// leaves: absolute physical memory from kGuestOwnMemoryEnd (free RAM), the qword there tagged by a poke (RET first,
/// so a fetch returns; byte 5 zero, so an implicit descriptor read finds no loadable descriptor).
PagePlacement page_placement(std::uint64_t leaf_size) {
    if (leaf_size <= (2ull << 20)) return {"frame = 0", 0, std::nullopt};
    constexpr std::uint64_t pa = scenario::kGuestOwnMemoryEnd;
    if (leaf_size == (1ull << 30)) return {"pa = 0", pa, pa};
    return {"pa = " + hex(pa), 0, pa};
}

struct Edit {
    unsigned level = 0;
    std::uint64_t before = 0;  ///< the matrix entry
    std::uint64_t set = 0, clear = 0;
};

/// Whether the combination (reserved family) sets a reserved bit in its entry of `level`.
bool reserved_at(const hm::Combination& c, unsigned level) {
    for (const hm::Placement& p : c.reserved)
        if (p.cls != hm::ReservedClass::none && p.level == level) return true;
    return false;
}

/// One `edit` per entry of the walk, top level first: every entry as the matrix wrote it (walker_inputs of the case's
/// layout — the entries the access read are chain_before, which the checker found equal to these; a PAE PDPTE load
/// that #GPs reads none), its bits outside the address field set or cleared to the matrix's.
std::vector<Edit> entry_edits(const ClassInRow& c, const hm::Combination& comb, std::vector<std::string>& unexpressed) {
    const harness::MatrixCaseRecord& r = c.example.report;
    const harness::AccessRecord& a = c.example.access;
    const ModeShape s = shape(c.mode);
    hm::Layout layout;
    for (unsigned l = 0; l < 6; ++l) layout.table_pa[l] = r.table_pa[l];
    layout.page_pa = r.page_pa;
    layout.va = r.va;
    const hm::WalkerInputs inputs = hm::walker_inputs(comb, c.cpu, layout);
    const std::uint64_t width = s.entry_bytes == 4 ? 0xffff'ffffull : ~std::uint64_t{0};
    std::vector<Edit> edits;
    for (unsigned level = s.levels; level >= comb.leaf_level && level >= 1; --level) {
        Edit e;
        e.level = level;
        e.before = inputs.entry[level];
        const unsigned n = s.levels - level;
        const std::string name = check::level_name(c.mode, level);
        if (n < a.chain_count && a.chain_before[n] != e.before)
            unexpressed.push_back("the " + name + " the access read, " + hex(a.chain_before[n]) +
                                  ", is not the combination's " + hex(e.before) + ": the latter is used");
        const bool leaf = level == comb.leaf_level;
        std::uint64_t address = leaf ? r.page_pa : r.table_pa[level - 1];
        if (leaf && c.mode == PagingMode::legacy32 && level == 2) address = Pde4M{}.set_address(r.page_pa).raw();
        const std::uint64_t flags = e.before & ~address & width;
        const std::uint64_t field = address_field(c.mode, level, leaf);
        const std::uint64_t mapper = field & (kMapperAddressLimit - 1);
        if ((flags & mapper) != 0)
            unexpressed.push_back("bits " + hex(flags & mapper) + " of the " + name +
                                  " lie where the scenario's mapper puts its address: not set");
        e.set = flags & ~mapper;
        e.clear = width & ~field & ~flags;
        edits.push_back(e);
    }
    return edits;
}

/// The SPDX line, the comments that say where the file came from, name, description, rule, modes, qemu_cpu.
void write_header(std::ostream& t, const ClassInRow& c, const hm::Combination& comb, const std::vector<Edit>& edits,
                  const ClassScenario& out) {
    const harness::MatrixCaseRecord& r = c.example.report;
    const harness::AccessRecord& a = c.example.access;
    const std::string predicted = check::describe(a.prediction);
    const std::string observed = check::describe_outcome(a);
    const std::uint64_t block = hm::Matrix(c.mode, c.space).block().size;
    t << "# SPDX-License-Identifier: MIT OR Apache-2.0\n"
      << "# Written by `pagewalk matrix --emit-scenarios`: the first example of one class of mismatches of the access\n"
      << "# matrix, rerun alone (`pagewalk run FILE`) and judged by the walker (expect = \"model\") as the matrix "
         "did.\n"
      << "#   matrix: " << to_string(c.mode) << " paging, " << hm::to_string(c.space) << " space, index " << r.index
      << " (control state " << r.index / block << "), backend " << c.backend
      << (c.backend_version.empty() ? "" : " (" + c.backend_version + ")")
      << (c.qemu_cpu.empty() ? "" : ", -cpu " + c.qemu_cpu) << "\n"
      << "#   class: " << c.count << " mismatches (" << mismatch_names(c.example.cls.mismatch) << "), "
      << (c.example.deviation.empty() ? "no known deviation explains it"
                                      : "explained by the known deviation " + c.example.deviation)
      << "\n"
      << "#   predicted " << predicted << "; observed " << observed << "\n"
      << "#   the walk's entries as the matrix wrote them (the scenario keeps their bits, not their addresses):\n";
    for (const Edit& e : edits)
        t << "#     " << check::level_name(c.mode, e.level) << " " << hex(e.before) << " ("
          << check::entry_flags(e.before) << ")\n";
    t << "#   not expressed:" << (out.unexpressed.empty() ? " nothing" : "") << "\n";
    for (const std::string& u : out.unexpressed) t << "#     " << u << "\n";
    const bool ac = (a.access_flags & harness::access_flag::ac) != 0;
    const std::uint64_t leaf_size = shape(c.mode).at(comb.leaf_level).span();
    t << "name = " << toml_string(out.stem) << "\n"
      << "description = "
      << toml_string("Access-matrix index " + std::to_string(r.index) + " (" + to_string(c.mode) + " paging, " +
                     c.backend + "): " + op_name(a) + " at CPL " + std::to_string(a.cpl) + (ac ? " with AC" : "") +
                     " through a " + size_name(leaf_size) + " leaf; the walker predicts " + predicted +
                     ", the matrix saw " + observed + " (" +
                     (c.example.deviation.empty() ? "unexplained" : "known deviation " + c.example.deviation) + ").")
      << "\n"
      << "rule = " << toml_string("Intel SDM Vol. 3A §4 (the walker's translate(), as the access matrix judges)")
      << "\n"
      << "modes = [\"" << to_string(c.mode) << "\"]\n";
    if (!c.qemu_cpu.empty()) t << "qemu_cpu = " << toml_string(c.qemu_cpu) << "\n";
}

const char* boolean(bool b) {
    return b ? "true" : "false";
}

/// The control state: CR0.WP, CR4.PSE (32-bit paging), EFER.NXE (the others), CR4.SMEP/SMAP, CR4.PKE and PKRU (4/5-
/// level); CR4.PGE = 0 as in the matrix.
void write_controls(std::ostream& t, PagingMode mode, const hm::Combination& comb) {
    const hm::Controls& k = comb.controls;
    t << "\n[control]\nwp = " << boolean(k.wp) << "\n";
    if (mode == PagingMode::legacy32) t << "pse = " << boolean(k.pse) << "\n";
    if (mode != PagingMode::legacy32) t << "nxe = " << boolean(k.nxe) << "\n";
    t << "pge = false\nsmep = " << boolean(k.smep) << "\nsmap = " << boolean(k.smap) << "\n";
    if (!hm::has_protection_keys(mode)) return;
    t << "pke = " << boolean(k.pke) << "\n";
    if (k.pke) t << "pkru = " << hex(hm::pkru_value(comb)) << "\n";
}

/// The steps: the poke that tags an absolute page, the map, the edits (leaf first: an upper entry made not present, a
/// leaf or reserved would hide the entries below it from the guest's Mapper::locate), then the access. A PAE PDPTE is
/// loaded at MOV to CR3 (SDM Vol. 3A §4.4.1): with a reserved bit in a present one that load is what the matrix
/// judged, so its edit does not flush and a reload_cr3 step is judged; the access after it may use either PDPTE.
void write_steps(std::ostream& t, const ClassInRow& c, const hm::Combination& comb, const std::vector<Edit>& edits,
                 const PagePlacement& place, std::uint64_t va) {
    const harness::AccessRecord& a = c.example.access;
    const std::uint64_t leaf_size = shape(c.mode).at(comb.leaf_level).span();
    const bool wide = shape(c.mode).entry_bytes == 8 && c.cpu.maxphyaddr < 52;
    const std::uint64_t maxphyaddr_bit = wide ? std::uint64_t{1} << c.cpu.maxphyaddr : 0;
    if (place.poke_pa)
        t << "\n[[step]]\nname = \"tag the qword the access uses (RET first)\"\nop = \"poke\"\npa = "
          << hex(*place.poke_pa) << "\nvalue = " << toml_number(harness::data_tag(*place.poke_pa)) << "\n";
    t << "\n[[step]]\nop = \"map\"\nva = " << toml_number(va & ~(leaf_size - 1)) << "\n"
      << place.target << "\nsize = \"" << size_name(leaf_size) << "\"\nrights = \"rwxu\"\npage_sizes = \""
      << size_name(leaf_size) << "\"\n";
    bool pdpte_load = false;
    for (auto e = edits.rbegin(); e != edits.rend(); ++e) {
        const bool loads_reserved =
            c.mode == PagingMode::pae && e->level == 3 && reserved_at(comb, 3) && (e->set & entry_bit::present) != 0;
        t << "\n[[step]]\nop = \"edit\"\nva = " << toml_number(va) << "\nentry = \""
          << check::level_name(c.mode, e->level) << "\"\nclear = " << bit_list(e->clear, 0)
          << "\nset = " << bit_list(e->set, maxphyaddr_bit) << "\n";
        if (loads_reserved) t << "flush = false\n";
        pdpte_load = pdpte_load || loads_reserved;
    }
    if (pdpte_load) t << "\n[[step]]\nname = \"the PDPTE load\"\nop = \"reload_cr3\"\nexpect = \"model\"\n";
    t << "\n[[step]]\nname = \"the matrix's access\"\nop = \"" << op_name(a) << "\"\nva = " << toml_number(va) << "\n";
    if (a.cpl != 0) t << "cpl = " << unsigned{a.cpl} << "\n";
    if ((a.access_flags & harness::access_flag::ac) != 0) t << "ac = true\n";
    if (pdpte_load) t << "stale = true\n";
    t << "expect = \"model\"\n";
}

}  // namespace

std::string class_signature(const harness::MatrixClassRecord& k, PagingMode mode) {
    harness::AccessRecord a{};
    a.kind = k.kind;
    a.access_flags = k.access_flags;
    std::string s = op_name(a);
    s += "-cpl" + std::to_string(k.cpl);
    if ((k.access_flags & harness::access_flag::ac) != 0) s += "-ac";
    s += "-" + lower(size_name(shape(mode).at(k.leaf_level).span()));
    s += "-" + outcome_name(k.predicted_kind != 0,
                            k.predicted_kind == 2 ? vector::general_protection : vector::page_fault, k.predicted_error);
    s += "-vs-" + outcome_name(k.outcome != 0, k.vector, k.error_code);
    if ((k.mismatch & mm::accessed_dirty) != 0) s += "-ad";
    if ((k.mismatch & mm::value) != 0) s += "-value";
    return s;
}

std::string class_stem(const ClassInRow& c) {
    const std::string deviation = c.example.deviation.empty() ? "unexplained" : c.example.deviation;
    return "matrix-" + deviation + "-" + to_string(c.mode) + "-" + c.backend + "-" +
           class_signature(c.example.cls, c.mode);
}

ClassScenario scenario_of_class(const ClassInRow& c, const std::string& stem) {
    ClassScenario out;
    out.stem = stem.empty() ? class_stem(c) : stem;
    const harness::MatrixCaseRecord& r = c.example.report;
    const hm::Combination comb = hm::Matrix(c.mode, c.space).decode(r.index);
    const std::uint64_t leaf_size = shape(c.mode).at(comb.leaf_level).span();
    const PagePlacement place = page_placement(leaf_size);
    const std::uint64_t va = (r.va & ~(leaf_size - 1)) + place.offset;
    if ((r.va & ~(leaf_size - 1)) < scenario::kGuestIdentityEnd)
        out.unexpressed.push_back("the example's address " + hex(r.va) +
                                  " lies in the guest's identity map, which a scenario may not touch");
    const std::vector<Edit> edits = entry_edits(c, comb, out.unexpressed);
    std::ostringstream t;
    write_header(t, c, comb, edits, out);
    write_controls(t, c.mode, comb);
    write_steps(t, c, comb, edits, place, va);
    out.text = t.str();
    return out;
}

}  // namespace pagewalk::host::matrix
