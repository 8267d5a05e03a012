// SPDX-License-Identifier: MIT OR Apache-2.0
#include "check/live_check.hpp"

#include <cstring>
#include <pagewalk/harness/program.hpp>

#include "check/chain.hpp"

namespace pagewalk::host::check {

CpuFeatures cpu_from_hello(const harness::HelloRecord& h, std::uint32_t vouched) {
    // Replays the CPUID leaves the guest reported (Intel SDM Vol. 2A "CPUID") through CpuFeatures::from_cpuid.
    std::uint32_t v[3];
    std::memcpy(v, h.vendor, sizeof v);  // EBX, EDX, ECX
    const std::uint32_t maxphyaddr = h.maxphyaddr;
    CpuFeatures f = CpuFeatures::from_cpuid([&](unsigned leaf, unsigned) {
        CpuidResult r{};
        if (leaf == 0) r = {h.max_basic_leaf, v[0], v[2], v[1]};
        if (leaf == 1) r = {0, 0, h.leaf1_ecx, h.leaf1_edx};
        if (leaf == 7) r = {0, h.leaf7_ebx, h.leaf7_ecx, 0};
        if (leaf == cpuid::extended_max_leaf) r = {h.max_extended_leaf, 0, 0, 0};
        if (leaf == cpuid::nx.leaf) r = {0, 0, 0, h.ext1_edx};
        if (leaf == cpuid::address_sizes_leaf) r = {maxphyaddr | (std::uint32_t{h.maxlinaddr} << 8), 0, 0, 0};
        return r;
    });
    f.smep = f.smep || (vouched & harness::feature::smep) != 0;
    f.smap = f.smap || (vouched & harness::feature::smap) != 0;
    return f;
}

void LiveChecker::fail(std::uint32_t step, std::string message, std::string detail) {
    Finding f;
    f.severity = Finding::Severity::failure;
    f.step = step;
    f.check = "live";
    f.message = std::move(message);
    f.detail = std::move(detail);
    findings_.push_back(std::move(f));
}

void LiveChecker::on_record(const harness::DecodedRecord& r, LiveGuest& guest) {
    if (const auto* h = r.hello(); h != nullptr && !cpu_) cpu_ = cpu_from_hello(*h, vouched_);
    if (const auto* w = r.control_write(); w != nullptr && w->loads_pdptes != 0) track_pdpte_load(*w);
    if (const auto* a = r.announce()) check_announce(*a, guest);
}

namespace {

/// The PDPT as the guest read it just before a PDPTE load: what Context::load_pdptes reads.
struct ReportedPdpt {
    const std::uint64_t* entries;
    bool read_entry(const EntryLocation& loc, std::uint64_t& out) const {
        out = entries[loc.index & 3];
        return true;
    }
};

/// The paging-relevant bits of each register (SDM Vol. 3A §2.5): what the guest and the vCPU must agree on.
constexpr std::uint64_t kCr0Bits = cr0::pg | cr0::wp | cr0::pe;
constexpr std::uint64_t kCr4Bits =
    cr4::pse | cr4::pae | cr4::pge | cr4::la57 | cr4::pcide | cr4::smep | cr4::smap | cr4::pke;
constexpr std::uint64_t kEferBits = efer::lma | efer::nxe;

Access access_of(const harness::AnnounceRecord& a) {
    Access x = a.kind == 1 ? Access::write() : a.kind == 2 ? Access::fetch() : Access::read();
    x = x.at_cpl(a.cpl).with_ac((a.access_flags & harness::access_flag::ac) != 0);
    if ((a.access_flags & harness::access_flag::implicit) != 0) x = x.implicit();
    return x.with_pkru(a.pkru);
}

}  // namespace

void LiveChecker::track_pdpte_load(const harness::ControlWriteRecord& w) {
    if (!cpu_) return fail(w.step, "no hello record before a PDPTE load: cannot tell the guest's CPU");
    ControlRegisters regs{};
    regs.cr0 = cr0::pe | cr0::pg;
    regs.cr4 = cr4::pae;
    regs.cr3 = w.cr3;
    Context ctx = Context::from_registers(regs, *cpu_);
    if (!ctx) return fail(w.step, std::string("the host cannot model a PAE CR3 of ") + hex(w.cr3));
    ReportedPdpt pdpt{w.pdpt};
    const PdpteLoad load = ctx.load_pdptes(pdpt);
    const bool gp = load.status == PdpteLoad::Status::general_protection;
    if (gp != (w.predicted_vector == 13))
        fail(w.step,
             std::string("the host's model of the PDPTE load says ") +
                 (gp ? "#GP (PDPTE " + std::to_string(load.index) + " reserved bits " + hex(load.reserved_bits) + ")"
                     : "it completes") +
                 ", the guest predicted " + (w.predicted_vector == 13 ? "#GP" : "that it completes"));
    // Follow the CPU (whether it agreed is the evaluation's business): a write that raised an exception left the
    // PDPTE registers as they were (SDM Vol. 3A §4.4.1); one that completed loaded them.
    if (w.outcome == 0) pdptes_ = std::array{w.pdpt[0], w.pdpt[1], w.pdpt[2], w.pdpt[3]};
}

void LiveChecker::check_announce(const harness::AnnounceRecord& a, LiveGuest& guest) {
    source_ = guest.source();
    if (!cpu_) return fail(a.step, "no hello record before the announce: cannot tell the guest's CPU");
    ControlRegisters regs{};
    regs.cr0 = a.cr0;
    regs.cr3 = a.cr3;
    regs.cr4 = a.cr4;
    regs.efer = a.efer;
    const std::optional<LiveRegisters> live = guest.registers();
    if (!live && guest.has_registers())
        return fail(a.step, std::string("cannot read the vCPU's control registers (") + guest.source() +
                                "): the live walk would only echo the guest");
    if (live) {
        const bool same = ((live->cr0 ^ a.cr0) & kCr0Bits) == 0 && ((live->cr4 ^ a.cr4) & kCr4Bits) == 0 &&
                          ((live->efer ^ a.efer) & kEferBits) == 0 && live->cr3 == a.cr3;
        if (!same)
            fail(a.step, "the vCPU's control registers differ from what the guest read",
                 "    vCPU:  cr0=" + hex(live->cr0) + " cr3=" + hex(live->cr3) + " cr4=" + hex(live->cr4) +
                     " efer=" + hex(live->efer) + "\n    guest: cr0=" + hex(a.cr0) + " cr3=" + hex(a.cr3) +
                     " cr4=" + hex(a.cr4) + " efer=" + hex(a.efer) + "\n");
        regs.cr0 = live->cr0;
        regs.cr3 = live->cr3;
        regs.cr4 = live->cr4;
        regs.efer = live->efer;
    }
    Context ctx = Context::from_registers(regs, *cpu_);
    if (!ctx) return fail(a.step, std::string("the host cannot model these registers: ") + to_string(ctx.error()));
    Reader mem{[&](std::uint64_t pa, void* out, std::size_t n) { return guest.read_physical(pa, out, n); }};
    if (ctx.mode() == PagingMode::pae) {
        if (pdptes_) {
            std::uint64_t v[4] = {(*pdptes_)[0], (*pdptes_)[1], (*pdptes_)[2], (*pdptes_)[3]};
            ctx.set_pdptes(v);
        } else {
            ctx.load_pdptes(mem);  // no load reported (a guest that does not report them): memory as it is now
        }
    }
    const TranslateResult host = translate(ctx, mem, a.va, access_of(a));
    ++checked_;

    const harness::Prediction& g = a.prediction;
    std::string disagreement;
    if (static_cast<std::uint8_t>(host.kind()) != g.kind) {
        disagreement = "kind";
    } else if (const std::optional<Mapping> m = host.mapping()) {
        if (m->pa != g.pa || m->level != g.level) disagreement = "physical address or level";
    } else if (const std::optional<PageFault> f = host.page_fault()) {
        if (f->error_code != g.error_code || f->level != g.level) disagreement = "error code or level";
    }
    if (!disagreement.empty()) {
        harness::Prediction h{};
        h.kind = static_cast<std::uint8_t>(host.kind());
        if (const std::optional<Mapping> m = host.mapping()) {
            h.pa = m->pa;
            h.level = m->level;
            h.page_size = m->page_size;
        } else if (const std::optional<PageFault> f = host.page_fault()) {
            h.error_code = f->error_code;
            h.level = f->level;
        }
        fail(a.step,
             "the host's walk of the live tables (" + disagreement + ") says " + describe(h) +
                 ", the guest predicted " + describe(g),
             "    host walk:\n" + format_chain(host.chain(), ctx.mode()));
    }

    // KVM_TRANSLATE walks as a supervisor read at the vCPU's state (CPL 0, EFLAGS.AC = 0 in the hypercall): its
    // answer is the page of a CPL-0 read where that read would succeed, and "not mapped" where it would fault —
    // so SMAP hides user pages from it, and a protection fault of the scenario's own access is no reason for it
    // to fail. Its "writeable" answer is always 1 here and is not compared.
    if (const auto t = guest.translate(a.va)) {
        const TranslateResult sys = translate(ctx, mem, a.va, Access::read().with_pkru(a.pkru));
        if (const std::optional<Mapping> m = sys.mapping()) {
            if (!*t || **t != m->pa)
                fail(a.step,
                     "KVM_TRANSLATE says " + (*t ? hex(**t) : std::string("not mapped")) +
                         ", a supervisor read walks to " + hex(m->pa),
                     "    host walk:\n" + format_chain(sys.chain(), ctx.mode()));
        } else if (*t) {
            fail(a.step,
                 "KVM_TRANSLATE maps " + hex(a.va) + " to " + hex(**t) + ", a supervisor read would fault (" +
                     (sys.page_fault() ? error_bits(sys.page_fault()->error_code) : std::string("#GP")) + ")",
                 "    host walk:\n" + format_chain(sys.chain(), ctx.mode()));
        }
    }
}

}  // namespace pagewalk::host::check
