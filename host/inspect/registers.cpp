// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/registers.hpp"

#include "inspect/dump_memory.hpp"
#include "inspect/hex.hpp"

namespace pagewalk::host::inspect {
namespace {

std::string describe(const ControlRegisters& r) {
    return "CR0=" + hex(r.cr0) + " CR3=" + hex(r.cr3) + " CR4=" + hex(r.cr4) + " EFER=" + hex(r.efer);
}

/// The PDPTE registers from the PDPT in memory, bit 5 cleared where QEMU set it (see resolve_context).
void load_pdptes(const Dump& dump, ResolvedContext& out) {
    const DumpMemory memory(dump);
    std::uint64_t values[4] = {};
    std::string cleared;
    for (unsigned i = 0; i < 4; ++i) {
        const EntryLocation loc{out.ctx.root(), 0, static_cast<std::uint16_t>(i), 3, 8};
        if (!memory.read_entry(loc, values[i])) return;  // the walk reports the unreadable PDPTE
        const std::uint64_t reserved = values[i] & out.ctx.pdpte_reserved();
        if ((values[i] & 1) == 0 || reserved == 0) continue;
        if (reserved != (std::uint64_t{1} << 5)) return;  // really reserved bits: the walk reports the #GP
        values[i] &= ~(std::uint64_t{1} << 5);
        cleared += (cleared.empty() ? "" : ", ") + std::to_string(i);
    }
    out.ctx.set_pdptes(values);
    if (!cleared.empty())
        out.notes.push_back("PAE: PDPTE " + cleared + " at " + hex(out.ctx.root()) +
                            " has bit 5 set, which a PAE PDPTE reserves (QEMU's TCG sets it when it walks); using "
                            "the value MOV CR3 loaded, with bit 5 clear (--raw-pdptes: as in memory)");
}

bool pae_or_long(PagingMode m) {
    return m == PagingMode::pae || m == PagingMode::long4 || m == PagingMode::long5;
}

}  // namespace

std::optional<PagingMode> parse_mode(const std::string& name) {
    if (name == "32bit") return PagingMode::legacy32;
    if (name == "pae") return PagingMode::pae;
    if (name == "4level") return PagingMode::long4;
    if (name == "5level") return PagingMode::long5;
    return std::nullopt;
}

Expected<ResolvedContext> resolve_context(const Dump& dump, const RegisterOptions& o) {
    ResolvedContext out;
    ControlRegisters& r = out.regs;
    const std::string& name = dump.path();
    const bool have_state = !dump.cpus().empty();
    bool efer_known = o.efer.has_value(), cr4_known = o.cr4.has_value(), cr0_known = o.cr0.has_value();

    if (have_state) {
        if (o.cpu >= dump.cpus().size())
            return Error{name + ": the dump holds the state of " + std::to_string(dump.cpus().size()) +
                         " vCPU(s); there is no vCPU " + std::to_string(o.cpu)};
        const DumpCpuState& s = dump.cpus()[o.cpu];
        r.cr0 = s.cr[0];
        r.cr3 = s.cr[3];
        r.cr4 = s.cr[4];
        cr0_known = cr4_known = true;
        if (!o.efer) {
            // QEMU writes EM_X86_64 exactly when vCPU 0 has LMA; a 64-bit CS proves LMA for any vCPU.
            const bool paging_long = (r.cr0 & cr0::pg) != 0 && (r.cr4 & cr4::pae) != 0;
            const bool lma = paging_long && (s.cs_long() || (o.cpu == 0 && dump.elf_says_long_mode()));
            r.efer = lma ? efer::lme | efer::lma : 0;
            if ((r.cr4 & cr4::pae) != 0) r.efer |= efer::nxe;
            out.notes.push_back(
                std::string("EFER is not in QEMU's dump: derived EFER.LMA=") + (lma ? "1" : "0") +
                (lma ? (s.cs_long() ? " (CS.L=1)" : " (ELF e_machine EM_X86_64)") : " (EM_386 core, CS.L=0)") +
                ((r.cr4 & cr4::pae) != 0 ? ", assumed EFER.NXE=1" : "") + "; pass --efer to override");
            efer_known = true;
        }
    } else if (dump.format() == DumpFormat::elf_core) {
        out.notes.push_back(name + ": this ELF core has no QEMU CPU-state note");
    }
    if (o.cr0) r.cr0 = *o.cr0;
    if (o.cr4) r.cr4 = *o.cr4;
    if (o.efer) r.efer = *o.efer;

    if (o.mode) {
        const PagingMode m = *o.mode;
        if (!cr0_known) {
            r.cr0 = cr0::pe | cr0::wp;
            out.notes.push_back("assumed CR0.WP=1");
        }
        r.cr0 |= cr0::pe | cr0::pg;
        if (!cr4_known) {
            r.cr4 = cr4::pge | (m == PagingMode::legacy32 ? cr4::pse : 0);
            out.notes.push_back(m == PagingMode::legacy32 ? "assumed CR4.PSE=1 (4 MiB pages), CR4.PGE=1"
                                                          : "assumed CR4.PGE=1");
        }
        if (!efer_known && pae_or_long(m)) {
            r.efer = efer::nxe;
            out.notes.push_back("assumed EFER.NXE=1");
        }
        const bool is_long = m == PagingMode::long4 || m == PagingMode::long5;
        r.cr4 = pae_or_long(m) ? r.cr4 | cr4::pae : r.cr4 & ~(cr4::pae | cr4::la57);
        if (is_long) {
            r.efer |= efer::lme | efer::lma;
            r.cr4 = m == PagingMode::long5 ? r.cr4 | cr4::la57 : r.cr4 & ~cr4::la57;
        } else {
            r.efer &= ~(efer::lme | efer::lma);
            r.cr4 &= ~cr4::la57;
        }
    }

    if (o.cr3) {
        r.cr3 = *o.cr3;
    } else if (!have_state) {
        return Error{name + ": no CPU state in this " + to_string(dump.format()) +
                     " (raw images never have one): pass --cr3 ADDR and --mode"};
    }
    if (!have_state && !o.mode && !o.cr0)
        return Error{name + ": cannot tell the paging mode without CPU state: pass --mode (or --cr0, --cr4, --efer)"};

    out.ctx = Context::from_registers(r);
    if (!out.ctx)
        return Error{name + ": the registers (" + describe(r) +
                     ") describe no state a CPU can be in: " + to_string(out.ctx.error())};
    if (out.ctx.mode() == PagingMode::pae && !o.raw_pdptes) load_pdptes(dump, out);
    if (out.ctx.mode() == PagingMode::disabled) {
        out.notes.push_back("paging is disabled (CR0.PG=0): linear addresses are physical (32 bits)");
    } else {
        const DumpMemory memory(dump);
        const ModeShape& s = out.ctx.shape();
        std::uint64_t first = 0;
        const EntryLocation loc{out.ctx.root(), 0, 0, s.levels, s.entry_bytes};
        if (!memory.read_entry(loc, first))
            out.notes.push_back("the top-level table at " + hex(out.ctx.root()) + " (from CR3 " + hex(r.cr3) +
                                ") is not in the dump: every translation will fail");
    }
    return out;
}

}  // namespace pagewalk::host::inspect
