// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: building the runner's records (harness/runner_records.hpp) from walker results and
// traps. Portable (-m32 and -m64): no 64-bit division, no libc.
#pragma once

#include <cstdint>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>

#include "arch/trap.hpp"
#include "report/reporter.hpp"
#include "runner/layout.hpp"
#include "runner/pdpte_load.hpp"

namespace pagewalk::guest::runner {

static_assert(static_cast<int>(TranslateResult::Kind::mapping) == 0 &&
              static_cast<int>(TranslateResult::Kind::memory_error) == 3);

/// The walker's Access for a program step (SDM Vol. 3A §4.6: CPL, EFLAGS.AC, implicit supervisor accesses, PKRU).
inline Access to_access(const harness::Step& s, std::uint32_t pkru) {
    Access a = s.access == static_cast<std::uint8_t>(harness::AccessKind::write)   ? Access::write()
               : s.access == static_cast<std::uint8_t>(harness::AccessKind::fetch) ? Access::fetch()
                                                                                   : Access::read();
    a = a.at_cpl(s.cpl).with_ac((s.access_flags & harness::access_flag::ac) != 0).with_pkru(pkru);
    if ((s.access_flags & harness::access_flag::implicit) != 0) a = a.implicit();
    return a;
}

inline harness::Prediction to_prediction(const TranslateResult& r) {
    harness::Prediction p{};
    p.kind = static_cast<std::uint8_t>(r.kind());
    p.chain_count = static_cast<std::uint8_t>(r.chain().size());
    if (const std::optional<Mapping> m = r.mapping()) {
        p.level = m->level;
        p.pa = m->pa;
        p.page_size = m->page_size;
        p.sets_accessed = m->sets_accessed;
        p.sets_dirty = m->sets_dirty ? 1 : 0;
        p.pkey = m->pkey;
        p.rights = static_cast<std::uint8_t>((m->writable ? 1 : 0) | (m->user ? 2 : 0) | (m->executable ? 4 : 0));
    } else if (const std::optional<PageFault> f = r.page_fault()) {
        p.vector = 14;
        p.level = f->level;
        p.error_code = f->error_code;
        p.may_set_accessed = f->may_set_accessed;
        p.causes = f->causes;
    } else if (const std::optional<GeneralProtection> g = r.general_protection()) {
        p.vector = 13;
        p.pa = g->reserved_bits;
    } else if (const std::optional<MemoryError> e = r.memory_error()) {
        p.level = e->level;
        p.pa = e->pa;
    }
    return p;
}

/// The run_info record: where the program's data and tables are, the registers it runs with.
inline harness::RunInfoRecord make_run_info(std::uint32_t scenario, const harness::ProgramHeader& h,
                                            std::uint8_t code_bits, const ProgramAreas& areas, std::uint64_t memory_end,
                                            const ControlRegisters& now, std::uint32_t pkru,
                                            std::uint32_t cpu_features) {
    harness::RunInfoRecord rec{};
    rec.header = harness::make_header(harness::RecordType::run_info, sizeof rec);
    rec.scenario_id = scenario;
    rec.mode = h.mode;
    rec.code_bits = code_bits;
    rec.data_base = areas.data_base;
    rec.data_bytes = areas.data_bytes;
    rec.tables_base = areas.tables_base;
    rec.table_bytes = areas.table_bytes;
    rec.memory_end = memory_end;
    rec.cr0 = now.cr0;
    rec.cr3 = now.cr3;
    rec.cr4 = now.cr4;
    rec.efer = now.efer;
    rec.pkru = pkru;
    rec.cpu_features = cpu_features;
    rec.step_count = h.step_count;
    return rec;
}

inline void send_step_failed(Reporter& r, std::uint32_t scenario, const harness::Step* s, harness::StepFailure reason,
                             std::uint8_t code, std::uint64_t address, std::uint64_t detail) {
    harness::StepFailedRecord rec{};
    rec.header = harness::make_header(harness::RecordType::step_failed, sizeof rec);
    rec.scenario_id = scenario;
    rec.step = s != nullptr ? s->id : 0;
    rec.op = s != nullptr ? s->op : 0;
    rec.reason = static_cast<std::uint8_t>(reason);
    rec.detail_code = code;
    rec.address = address;
    rec.detail = detail;
    r.send(rec.header);
}

/// The entry record of a read_entry step (send it after judging it: judge_entry).
inline harness::EntryRecord make_entry(std::uint32_t scenario, const harness::Step& s, bool found, std::uint64_t pa,
                                       std::uint64_t value) {
    harness::EntryRecord rec{};
    rec.header = harness::make_header(harness::RecordType::entry, sizeof rec);
    rec.scenario_id = scenario;
    rec.step = s.id;
    rec.va = s.va;
    rec.level = s.level;
    rec.found = found ? 1 : 0;
    rec.entry_pa = pa;
    rec.value = value;
    return rec;
}

/// The announce record of an access step: what is about to happen, the registers, the walker's prediction.
inline harness::AnnounceRecord make_announce(std::uint32_t scenario, const harness::Step& s, std::uint8_t mode,
                                             std::uint32_t pkru, const ControlRegisters& now,
                                             const TranslateResult& predicted) {
    harness::AnnounceRecord a{};
    a.header = harness::make_header(harness::RecordType::announce, sizeof a);
    a.scenario_id = scenario;
    a.step = s.id;
    a.va = s.va;
    a.kind = s.access;
    a.cpl = s.cpl;
    a.access_flags = s.access_flags;
    a.mode = mode;
    a.pkru = pkru;
    a.cr0 = now.cr0;
    a.cr3 = now.cr3;
    a.cr4 = now.cr4;
    a.efer = now.efer;
    a.prediction = to_prediction(predicted);
    return a;
}

/// Fills the outcome part of an access record from a trap (or its absence).
inline void set_outcome(harness::AccessRecord& rec, const arch::Trap& t, std::uint64_t value) {
    rec.outcome =
        static_cast<std::uint8_t>(t.taken ? harness::AccessOutcome::exception : harness::AccessOutcome::completed);
    rec.value = value;
    if (!t.taken) return;
    rec.vector = t.vector;
    rec.has_error_code = t.has_error_code ? 1 : 0;
    rec.trap_cpl = t.cpl;
    rec.error_code = t.error_code;
    rec.cr2 = t.cr2;
    rec.rip = t.rip;
}

/// The access record of a step, with what happened and what was predicted (the chain is added by add_chain).
inline harness::AccessRecord make_access(std::uint32_t scenario, const harness::Step& s, const arch::Trap& t,
                                         std::uint64_t value, const harness::Prediction& predicted) {
    harness::AccessRecord rec{};
    rec.header = harness::make_header(harness::RecordType::access, sizeof rec);
    rec.scenario_id = scenario;
    rec.step = s.id;
    rec.va = s.va;
    rec.kind = s.access;
    rec.cpl = s.cpl;
    rec.access_flags = s.access_flags;
    rec.width = s.width;
    set_outcome(rec, t, value);
    rec.prediction = predicted;
    return rec;
}

/// The control_write record of a control-register write `value` to `reg` (harness::ControlWriteRecord): the PDPTE
/// load it made (`pdpt` non-null) and the model's prediction of it, and what the CPU did (`t`).
inline harness::ControlWriteRecord make_control_write(std::uint32_t scenario, const harness::Step* s,
                                                      pagewalk::ControlRegister reg, std::uint8_t mode,
                                                      std::uint64_t value, std::uint64_t cr3, const PdptSnapshot* pdpt,
                                                      const PdptePrediction& predicted, const arch::Trap& t) {
    harness::ControlWriteRecord rec{};
    rec.header = harness::make_header(harness::RecordType::control_write, sizeof rec);
    rec.scenario_id = scenario;
    rec.step = s != nullptr ? s->id : 0;
    rec.reg = static_cast<std::uint8_t>(reg);
    rec.mode = mode;
    rec.loads_pdptes = pdpt != nullptr ? 1 : 0;
    rec.outcome =
        static_cast<std::uint8_t>(t.taken ? harness::AccessOutcome::exception : harness::AccessOutcome::completed);
    rec.vector = t.taken ? t.vector : 0;
    rec.has_error_code = t.taken && t.has_error_code ? 1 : 0;
    rec.error_code = t.taken ? t.error_code : 0;
    const bool gp = pdpt != nullptr && predicted.general_protection();
    rec.predicted_vector = gp ? 13 : 0;
    rec.pdpte_index = gp ? static_cast<std::uint8_t>(predicted.load.index) : 0;
    rec.reserved_bits = gp ? predicted.reserved_bits : 0;
    rec.value = value;
    rec.cr3 = cr3;
    for (unsigned i = 0; pdpt != nullptr && i < 4; ++i) rec.pdpt[i] = pdpt->entries[i];
    return rec;
}

/// The entries a predicted walk of `va` read (values before the access) and their values now (the A/D bits the CPU
/// set), into `pa`, `before` and `after`; returns how many. A PAE PDPTE is a register: its memory copy is what is
/// read back.
template <TableMemory M>
std::uint8_t read_chain(const EntryChain& chain, std::uint64_t va, M& memory, std::uint8_t entry_bytes,
                        std::uint64_t* pa, std::uint64_t* before, std::uint64_t* after) {
    for (unsigned i = 0; i < chain.size() && i < 5; ++i) {
        const ChainEntry e = chain[i];
        pa[i] = e.entry_pa;
        before[i] = e.value;
        const EntryLocation loc{e.entry_pa, va, 0, e.level, entry_bytes};
        after[i] = 0;
        memory.read_entry(loc, after[i]);
    }
    return static_cast<std::uint8_t>(chain.size() < 5 ? chain.size() : 5);
}

/// The access's walk (of its first byte) into the record.
template <TableMemory M>
void add_chain(harness::AccessRecord& rec, const EntryChain& chain, M& memory, std::uint8_t entry_bytes) {
    rec.chain_count = read_chain(chain, rec.va, memory, entry_bytes, rec.chain_pa, rec.chain_before, rec.chain_after);
}

/// The walk of the second page of an access that crosses a page boundary (the first byte in that page), with its
/// prediction.
template <TableMemory M>
void add_second_page(harness::AccessRecord& rec, const TranslateResult& second, M& memory, std::uint8_t entry_bytes) {
    rec.crosses = 1;
    rec.second = to_prediction(second);
    const std::uint64_t va = rec.va + harness::first_page_bytes(rec.va, rec.width);
    rec.second_chain_count = read_chain(second.chain(), va, memory, entry_bytes, rec.second_chain_pa,
                                        rec.second_chain_before, rec.second_chain_after);
}

}  // namespace pagewalk::guest::runner
