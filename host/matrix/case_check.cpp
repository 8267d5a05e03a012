// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/case_check.hpp"

#include <pagewalk/harness/program.hpp>

#include "check/chain.hpp"
#include "matrix/host_walk.hpp"

namespace pagewalk::host::matrix {
namespace {

using check::hex;
namespace mm = hm::mismatch;

constexpr std::uint64_t kA = entry_bit::accessed, kD = entry_bit::dirty;
// The register bits a combination's control state sets (inputs.hpp control_registers); the others are the guest's.
constexpr std::uint64_t kCr0Bits = cr0::pe | cr0::pg | cr0::wp;
constexpr std::uint64_t kCr4Bits = cr4::pae | cr4::pse | cr4::smep | cr4::smap | cr4::pke | cr4::la57;
constexpr std::uint64_t kEferBits = efer::lma | efer::nxe;

bool selects(const hm::Job& job, std::uint64_t index) {
    return index >= job.begin + job.phase && index < job.end && (index - job.begin - job.phase) % job.stride == 0;
}

harness::AccessKind kind_of(AccessType t) {
    return t == AccessType::write   ? harness::AccessKind::write
           : t == AccessType::fetch ? harness::AccessKind::fetch
                                    : harness::AccessKind::read;
}

/// The access record describes the combination's access: address, kind, CPL, AC, implicit, width.
std::string access_error(const hm::Combination& comb, const harness::MatrixCaseRecord& c,
                         const harness::AccessRecord& a) {
    const bool implicit = comb.access.implicit;
    const std::uint8_t flags = static_cast<std::uint8_t>((comb.access.ac ? harness::access_flag::ac : 0) |
                                                         (implicit ? harness::access_flag::implicit : 0));
    const unsigned width = comb.access.type == AccessType::fetch || implicit ? 0 : 8;
    if (a.va != c.va) return "the access record's address " + hex(a.va) + " is not the case's " + hex(c.va);
    if (a.kind != static_cast<std::uint8_t>(kind_of(comb.access.type)) || a.cpl != comb.access.cpl ||
        a.access_flags != flags)
        return "the access record's kind, CPL or flags are not the combination's access (" +
               std::string(to_string(comb.access.type)) + " at CPL " + std::to_string(comb.access.cpl) + ")";
    if (a.width != width || a.crosses != 0)
        return "the access record says " + std::to_string(a.width) + " bytes" +
               (a.crosses != 0 ? " across a page boundary" : "") + ", the combination's access is " +
               std::to_string(width);
    return {};
}

/// The case's registers hold the combination's control state.
std::string register_error(const hm::Combination& comb, const harness::MatrixCaseRecord& c, std::uint64_t root,
                           std::uint32_t pkru) {
    const ControlRegisters want = hm::control_registers(comb, root);
    if (c.cr3 != root) return "CR3 " + hex(c.cr3) + " is not the layout's root " + hex(root);
    if (((c.cr0 ^ want.cr0) & kCr0Bits) != 0 || ((c.cr4 ^ want.cr4) & kCr4Bits) != 0 ||
        ((c.efer ^ want.efer) & kEferBits) != 0)
        return "the registers (cr0 " + hex(c.cr0) + " cr4 " + hex(c.cr4) + " efer " + hex(c.efer) +
               ") are not the combination's control state (cr0 " + hex(want.cr0) + " cr4 " + hex(want.cr4) + " efer " +
               hex(want.efer) + ")";
    if (comb.controls.pke && c.pkru != pkru) return "PKRU " + hex(c.pkru) + " is not the combination's " + hex(pkru);
    return {};
}

/// The entries the guest reports are those of the host's walk of the combination: where and what, top level first.
std::string chain_error(const harness::AccessRecord& a, const EntryChain& chain, PagingMode mode) {
    const unsigned n = chain.size() < 5 ? chain.size() : 5;
    if (a.chain_count != n)
        return "the access record has " + std::to_string(a.chain_count) + " entries, the walk of the combination " +
               std::to_string(n);
    for (unsigned i = 0; i < n; ++i) {
        const ChainEntry e = chain[i];
        if (a.chain_pa[i] != e.entry_pa || a.chain_before[i] != e.value)
            return "the " + check::level_name(mode, e.level) + " the guest reports (" + hex(a.chain_before[i]) + " @" +
                   hex(a.chain_pa[i]) + ") is not the combination's (" + hex(e.value) + " @" + hex(e.entry_pa) + ")";
    }
    return {};
}

bool completed(const harness::AccessRecord& a) {
    if (a.outcome == static_cast<std::uint8_t>(harness::AccessOutcome::completed)) return true;
    // An implicit access is a descriptor read: done unless it page-faulted (the load may then raise #GP).
    return (a.access_flags & harness::access_flag::implicit) != 0 && a.vector != vector::page_fault;
}

/// The outcome against the host's prediction: the bits and the words.
void judge_outcome(const harness::AccessRecord& a, const harness::Prediction& p, PagingMode mode, CaseJudgement& j) {
    const bool done = completed(a);
    bool holds = false;
    if (p.kind == 0) holds = done;
    if (p.kind == 1)
        holds = a.outcome != 0 && a.vector == vector::page_fault && a.error_code == p.error_code &&
                a.cr2 == shape(mode).fault_address(a.va);
    if (p.kind == 2) holds = a.outcome != 0 && a.vector == vector::general_protection;
    if (holds) return;
    j.mismatch |= done != (p.kind == 0) ? mm::outcome : mm::error_code;
    j.mismatch_text += "the host predicted " + check::describe(p) + ", the CPU " +
                       (a.outcome != 0 ? "raised " : "did ") + check::describe_outcome(a) + "; ";
}

/// A/D after the access (SDM Vol. 3A §4.8): a completed access sets A in every entry it used and D in the leaf of a
/// write, nothing else; a faulting one may set A where the walker says it may, never D or anything else. A PAE PDPTE
/// is a register (§4.4.1): a change of its memory copy is recorded apart (CaseJudgement::pdpte_written).
void judge_accessed_dirty(const harness::AccessRecord& a, const harness::Prediction& p, PagingMode mode,
                          CaseJudgement& j) {
    const unsigned top = shape(mode).levels;
    const bool used = completed(a) && p.kind == 0;
    const bool write = a.kind == static_cast<std::uint8_t>(harness::AccessKind::write) &&
                       (a.access_flags & harness::access_flag::implicit) == 0;
    for (unsigned i = 0; i < a.chain_count && i < 5; ++i) {
        const unsigned level = top - i;
        const std::uint64_t before = a.chain_before[i], after = a.chain_after[i];
        std::uint64_t want = before, may = 0;
        if (mode == PagingMode::pae && level == 3) {
            if (after != before) {
                j.pdpte_written = true;
                j.pdpte_before = before;
                j.pdpte_after = after;
            }
            continue;
        }
        if (used) {
            want |= kA | (write && i + 1 == a.chain_count ? kD : 0);
        } else if (p.kind == 1 && ((p.may_set_accessed >> level) & 1u) != 0) {
            may = kA;
        }
        if (((after ^ want) & ~may) == 0) continue;
        j.mismatch |= mm::accessed_dirty;
        j.mismatch_text += check::level_name(mode, level) + " " + hex(before) + " -> " + hex(after) + " (expected " +
                           hex(want) + (may != 0 ? ", A may be set" : "") + "); ";
    }
}

/// The data (the case's expected value: read, fetch, implicit — what the page holds; write — what it writes): a read
/// returns it, a write that completed leaves it, nothing else changes the page. Of a faulting write the host knows
/// only that it did not store its value.
void judge_value(const harness::AccessRecord& a, const harness::MatrixCaseRecord& c, CaseJudgement& j) {
    const bool implicit = (a.access_flags & harness::access_flag::implicit) != 0;
    const auto kind = static_cast<harness::AccessKind>(a.kind);
    const bool done = completed(a);
    bool bad = false;
    if (!implicit && kind == harness::AccessKind::read && done && a.value != c.expected_value) bad = true;
    if (!implicit && kind == harness::AccessKind::write && (c.memory_after == c.expected_value) != done) bad = true;
    if ((implicit || kind != harness::AccessKind::write) && c.memory_after != c.expected_value) bad = true;
    if (!bad) return;
    j.mismatch |= mm::value;
    j.mismatch_text += "data: read " + hex(a.value) + ", memory after " + hex(c.memory_after) + ", expected " +
                       hex(c.expected_value) + "; ";
}

check::Disagreement evidence(const harness::MatrixCaseRecord& c, const harness::AccessRecord& a,
                             const harness::Prediction& p, const HostWalk& w, PagingMode mode) {
    check::Disagreement d = check::access_disagreement(a);
    d.expected_vector = p.vector;
    d.expected_error = p.error_code;
    d.mode = static_cast<std::uint8_t>(mode);
    d.cr0_am = (c.cr0 & cr0::am) != 0;
    if (p.kind == 1) {
        d.fault_causes = p.causes;
        if (a.chain_count > 0 && a.chain_count <= 5) {
            d.fault_level = p.level;
            d.fault_entry = a.chain_before[a.chain_count - 1];  // the walk stopped at its last entry
        }
    }
    if (w.pdpte_gp) {
        d.pdpte_load = true;
        d.pdpte_reserved = w.pdpte_reserved;
    }
    return d;
}

/// The same access walked as on an Intel CPU (AMD's reserved bit 8 of a PML4E/PML5E ignored, SDM Vol. 3A §4.5.4): the
/// evidence qemu-amd-pml4e-bit8 needs when QEMU, ignoring the bit, walks on and faults further down.
void add_intel_walk(check::Disagreement& d, const hm::Combination& comb, const CpuFeatures& cpu,
                    const hm::Layout& layout, std::uint64_t root) {
    if (cpu.vendor != Vendor::amd || d.fault_level < 4 || (d.fault_causes & fault_cause::reserved_bit) == 0) return;
    CpuFeatures intel = cpu;
    intel.vendor = Vendor::intel;
    const Context context = Context::from_registers(hm::control_registers(comb, root), intel);
    const HostWalk w = host_walk(comb, context, intel, layout);
    const harness::Prediction p = expected_prediction(w);
    d.intel_walk_known = true;
    d.intel_walk_faults = p.kind != 0;
    d.intel_walk_error = p.error_code;
}

/// PAE, a PDPTE load that raises #GP(0): the same access walked with the PDPTE's reserved bits 2:1 and 8:5 clear —
/// what QEMU 7.2 does, which loads no PDPTE registers and whose walk checks only the PDPTE's address bits, bits 62:52
/// and 63 (target/i386/tcg/sysemu/excp_helper.c): the evidence qemu-pae-pdpte-no-gp needs when that walk faults.
void add_relaxed_pdpte_walk(check::Disagreement& d, const hm::Combination& comb, const HostWalk& w,
                            const Context& context, const CpuFeatures& cpu, const hm::Layout& layout) {
    if (!w.pdpte_gp) return;
    hm::Combination relaxed = comb;
    for (hm::Placement& p : relaxed.reserved)
        if (p.level == 3 && (p.cls == hm::ReservedClass::pdpte_low || p.cls == hm::ReservedClass::pdpte_middle))
            p.cls = hm::ReservedClass::none;
    const HostWalk r = host_walk(relaxed, context, cpu, layout);
    const harness::Prediction p = expected_prediction(r);
    d.relaxed_pdpte_walk_known = true;
    d.relaxed_pdpte_walk_gp = r.pdpte_gp;
    d.relaxed_pdpte_walk_faults = p.kind != 0;
    d.relaxed_pdpte_walk_error = p.error_code;
}

}  // namespace

CaseJudgement judge_case(const CaseContext& ctx, const harness::MatrixCaseRecord& c, const harness::AccessRecord& a) {
    CaseJudgement j;
    const hm::Matrix& m = ctx.matrix;
    const PagingMode mode = m.mode();
    const std::string where = "case " + std::to_string(c.number) + " (index " + std::to_string(c.index) + "): ";
    auto report = [&](const std::string& what) {
        j.report_error = where + what;
        return j;
    };
    if (!selects(ctx.job, c.index)) return report("an index the job does not select");
    const hm::Combination comb = m.decode(c.index);
    if (const hm::Rule r = hm::legality(m, comb); r != hm::Rule::legal)
        return report(std::string("an illegal combination (") + hm::rule_info(r).name + ")");
    if (comb.leaf_level != c.leaf_level)
        return report("leaf level " + std::to_string(c.leaf_level) + ", the index decodes to " +
                      std::to_string(comb.leaf_level));
    if (ctx.job.only_needing != 0 && (hm::needed_features(comb) & ctx.job.only_needing) == 0)
        return report("a combination the job leaves to another backend (only_needing)");
    if (const std::string e = access_error(comb, c, a); !e.empty()) return report(e);
    hm::Layout layout;
    for (unsigned l = 0; l < 6; ++l) layout.table_pa[l] = c.table_pa[l];
    layout.page_pa = c.page_pa;
    layout.va = c.va;
    const std::uint64_t root = layout.table_pa[shape(mode).levels];
    const Context context = Context::from_registers(hm::control_registers(comb, root), ctx.cpu);
    const HostWalk w = host_walk(comb, context, ctx.cpu, layout);
    if (w.inputs.status != hm::Applicability::applies)
        return report(std::string("ran a combination that does not apply on its CPU: ") +
                      hm::to_string(w.inputs.status));
    if (const std::string e = register_error(comb, c, root, w.inputs.access.pkru); !e.empty()) return report(e);
    if (const std::string e = chain_error(a, w.result.chain(), mode); !e.empty()) return report(e);
    const harness::Prediction p = expected_prediction(w);
    if (p.kind > 2) return report("the host's walk cannot read the combination's tables: " + check::describe(p));
    if (const char* field = prediction_difference(a.prediction, p); *field != '\0')
        return report(std::string("the guest walker disagrees (") + field + "): it predicted " +
                      check::describe(a.prediction) + ", the host's walker " + check::describe(p));
    if (c.outcome_class != static_cast<std::uint8_t>(outcome_class(p)))
        return report(std::string("outcome class ") + std::to_string(c.outcome_class) + ", the prediction's is " +
                      hm::to_string(outcome_class(p)));
    j.predicted_kind = p.kind;
    judge_outcome(a, p, mode, j);
    judge_accessed_dirty(a, p, mode, j);
    judge_value(a, c, j);
    j.evidence = evidence(c, a, p, w, mode);
    add_intel_walk(j.evidence, comb, ctx.cpu, layout, root);
    add_relaxed_pdpte_walk(j.evidence, comb, w, context, ctx.cpu, layout);
    // Of a faulting write the host knows only that its value was not stored; the guest knows what the page held.
    const bool faulting_write = a.kind == static_cast<std::uint8_t>(harness::AccessKind::write) && !completed(a) &&
                                (a.access_flags & harness::access_flag::implicit) == 0;
    if (faulting_write && (c.mismatch ^ j.mismatch) == mm::value && (c.mismatch & mm::value) != 0) {
        j.mismatch |= mm::value;
        j.mismatch_text += "data: the faulting write changed the page to " + hex(c.memory_after) + "; ";
    }
    if (c.mismatch != j.mismatch)
        return report("the guest judged " +
                      (c.mismatch == 0 ? std::string("an agreement") : mismatch_names(c.mismatch)) + ", the host " +
                      (j.mismatch == 0 ? std::string("an agreement") : mismatch_names(j.mismatch)) +
                      (j.mismatch_text.empty() ? "" : " (" + j.mismatch_text + ")"));
    if (c.mismatch == 0 && !hm::sampled(ctx.job, c.index)) return report("an agreement the job does not sample");
    return j;
}

std::uint8_t explained_by_deviation(const CaseJudgement& j) {
    const bool completed_instead_of_fault = !j.evidence.observed_exception && j.predicted_kind != 0;
    return mm::outcome | mm::error_code | (completed_instead_of_fault ? mm::value | mm::accessed_dirty : 0);
}

std::string mismatch_names(std::uint8_t bits) {
    std::string s;
    const std::pair<std::uint8_t, const char*> names[] = {{mm::outcome, "outcome"},
                                                          {mm::error_code, "error code/CR2"},
                                                          {mm::value, "value"},
                                                          {mm::accessed_dirty, "A/D"}};
    for (const auto& [bit, name] : names)
        if ((bits & bit) != 0) s += (s.empty() ? "" : ", ") + std::string(name);
    return s.empty() ? "none" : s;
}

}  // namespace pagewalk::host::matrix
