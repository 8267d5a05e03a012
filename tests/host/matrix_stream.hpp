// SPDX-License-Identifier: MIT OR Apache-2.0
// Test helpers: the records of a matrix job as an honest guest on a CPU that does exactly what the walker predicts
// would send them — a begin record, per block the cases (every sampled combination) and the block's counts, the end
// record — kept as typed records so that a test can corrupt one field before turning them into a run.
#pragma once

#include <cstring>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/matrix_records.hpp>
#include <pagewalk/harness/program.hpp>
#include <vector>

#include "matrix/block_audit.hpp"
#include "matrix/host_walk.hpp"
#include "run/run_result.hpp"

namespace pagewalk::test {

namespace hm = harness::matrix;

struct SyntheticCase {
    harness::MatrixCaseRecord c{};
    harness::AccessRecord a{};
};
struct SyntheticBlock {
    std::vector<SyntheticCase> cases;
    harness::MatrixBlockRecord b{};
};
struct SyntheticRun {
    harness::MatrixBeginRecord begin{};
    std::vector<SyntheticBlock> blocks;
    std::vector<harness::MatrixClassRecord> classes;  ///< classes of mismatches, sent before the end record
    harness::MatrixEndRecord end{};

    template <class T>
    static harness::DecodedRecord decoded(const T& rec) {
        const harness::DecodeResult r = harness::decode(reinterpret_cast<const std::uint8_t*>(&rec), sizeof rec);
        if (!r.ok()) throw std::runtime_error("a synthetic record does not decode");
        return r.record;
    }
    host::RunResult result() const {
        host::RunResult run;
        run.outcome = host::Outcome::passed;
        run.records.push_back({decoded(begin), 0});
        for (const SyntheticBlock& b : blocks) {
            for (const SyntheticCase& c : b.cases) {
                run.records.push_back({decoded(c.c), 0});
                run.records.push_back({decoded(c.a), 0});
            }
            run.records.push_back({decoded(b.b), 0});
        }
        for (const harness::MatrixClassRecord& k : classes) run.records.push_back({decoded(k), 0});
        run.records.push_back({decoded(end), 0});
        return run;
    }
};

/// A job over [begin, end) of `mode`'s standard space with `stride`, sampling one agreement in `sample_every`.
inline hm::Job make_job(PagingMode mode, std::uint64_t begin, std::uint64_t end, std::uint64_t stride,
                        std::uint32_t sample_every) {
    hm::Job j{};
    j.magic = hm::kJobMagic;
    j.version = hm::kJobVersion;
    j.mode = static_cast<std::uint8_t>(mode);
    j.space = static_cast<std::uint8_t>(hm::Space::standard);
    j.begin = begin;
    j.end = end;
    j.stride = stride;
    j.phase = 0;
    j.seed = 7;
    j.sample_every = sample_every;
    j.max_cases = 1000;
    return j;
}

/// Where the synthetic guest puts a combination's tables and page (not the host's reference layout).
inline hm::Layout synthetic_layout(PagingMode mode) {
    hm::Layout l;
    for (unsigned level = 1; level <= shape(mode).levels; ++level) l.table_pa[level] = 0x300000 + level * 0x1000;
    l.page_pa = 0x8000'0000;
    l.va = 0xc040'5ff8;
    return l;
}

/// The case records (matrix_case + access) an honest guest on a CPU that does what the walker predicts sends for
/// combination `c` (index `i`), walked by the host as `w` under `ctx` with its tables and page at `layout`.
inline SyntheticCase honest_case(std::uint64_t i, const hm::Combination& c, const Context& ctx,
                                 const host::matrix::HostWalk& w, const hm::Layout& layout, std::uint32_t number) {
    using namespace host::matrix;
    const PagingMode mode = c.mode;
    const harness::Prediction p = expected_prediction(w);
    const auto cls = static_cast<unsigned>(outcome_class(p));
    SyntheticCase sc;
    harness::MatrixCaseRecord& k = sc.c;
    k.header = harness::make_header(harness::RecordType::matrix_case, sizeof k);
    k.index = i;
    k.number = number;
    k.leaf_level = c.leaf_level;
    k.outcome_class = static_cast<std::uint8_t>(cls);
    std::memcpy(k.table_pa, layout.table_pa, sizeof k.table_pa);
    k.page_pa = layout.page_pa;
    k.va = layout.va;
    const ControlRegisters regs = ctx.registers();
    k.cr0 = regs.cr0 | cr0::et | cr0::ne;  // bits of the guest's own, not the control state's
    k.cr3 = regs.cr3;
    k.cr4 = regs.cr4 | cr4::pge;
    k.efer = regs.efer | efer::lme;
    k.pkru = c.controls.pke ? w.inputs.access.pkru : 0;
    const std::uint64_t tag = 0x1111'2222'3333'0000ull | (i & 0xffff);
    const std::uint64_t written = tag ^ (std::uint64_t{0xa5a5} << 48);
    const bool write = c.access.type == AccessType::write && !c.access.implicit;
    k.expected_value = write ? written : tag;
    harness::AccessRecord& a = sc.a;
    a.header = harness::make_header(harness::RecordType::access, sizeof a);
    a.scenario_id = harness::kMatrixScenario;
    a.step = number;
    a.va = layout.va;
    a.kind = static_cast<std::uint8_t>(c.access.type);
    a.cpl = c.access.cpl;
    a.access_flags = static_cast<std::uint8_t>((c.access.ac ? harness::access_flag::ac : 0) |
                                               (c.access.implicit ? harness::access_flag::implicit : 0));
    a.width = c.access.type == AccessType::fetch || c.access.implicit ? 0 : 8;
    a.prediction = p;
    const EntryChain& chain = w.result.chain();
    a.chain_count = static_cast<std::uint8_t>(chain.size());
    for (unsigned n = 0; n < chain.size(); ++n) {
        a.chain_pa[n] = chain[n].entry_pa;
        a.chain_before[n] = chain[n].value;
        a.chain_after[n] = chain[n].value;
        const bool pdpte = mode == PagingMode::pae && chain[n].level == 3;
        if (p.kind == 0 && !pdpte)
            a.chain_after[n] |= entry_bit::accessed | (write && n + 1 == chain.size() ? entry_bit::dirty : 0);
    }
    if (p.kind == 0) {
        a.value = write ? written : tag;
        k.memory_after = write ? written : tag;
    } else {
        a.outcome = static_cast<std::uint8_t>(harness::AccessOutcome::exception);
        a.vector = p.vector;
        a.has_error_code = 1;
        a.error_code = p.error_code;
        a.cr2 = p.kind == 1 ? shape(mode).fault_address(layout.va) : 0;
        k.memory_after = tag;
    }
    return sc;
}

/// The run of `job` on `cpu` by a CPU that does what the walker predicts.
inline SyntheticRun honest_run(const hm::Job& job, const CpuFeatures& cpu) {
    using namespace host::matrix;
    SyntheticRun run;
    const auto mode = static_cast<PagingMode>(job.mode);
    const hm::Matrix m(mode, hm::Space::standard);
    run.begin.header = harness::make_header(harness::RecordType::matrix_begin, sizeof run.begin);
    run.begin.mode = job.mode;
    run.begin.space = job.space;
    run.begin.code_bits = 64;
    run.begin.maxphyaddr = cpu.maxphyaddr;
    run.begin.cpu_features = harness::feature::of(cpu);
    run.begin.begin = job.begin;
    run.begin.end = job.end;
    run.begin.stride = job.stride;
    run.begin.phase = job.phase;
    run.begin.seed = job.seed;
    run.begin.sample_every = job.sample_every;
    run.begin.vendor = static_cast<std::uint8_t>(cpu.vendor);
    run.begin.count = m.count();
    const hm::Layout layout = synthetic_layout(mode);
    const unsigned top = shape(mode).levels;
    std::uint32_t number = 0;
    harness::MatrixEndRecord& e = run.end;
    for (std::uint64_t i = first_selected(job, job.begin); i < job.end;) {
        SyntheticBlock block;
        harness::MatrixBlockRecord& b = block.b;
        b.header = harness::make_header(harness::RecordType::matrix_block, sizeof b);
        b.state = i / m.block().size;
        b.first = i;
        const std::uint64_t block_end = std::min(job.end, (b.state + 1) * m.block().size);
        for (; i < block_end; i += job.stride) {
            b.last = i;
            const hm::Combination c = m.decode(i);
            if (hm::legality(m, c) != hm::Rule::legal) {
                ++b.illegal;
                continue;
            }
            if (job.only_needing != 0 && (hm::needed_features(c) & job.only_needing) == 0) {
                ++b.elsewhere;
                continue;
            }
            const Context ctx = Context::from_registers(hm::control_registers(c, layout.table_pa[top]), cpu);
            const HostWalk w = host_walk(c, ctx, cpu, layout);
            if (w.inputs.status != hm::Applicability::applies) {
                ++b.inapplicable;
                continue;
            }
            const harness::Prediction p = expected_prediction(w);
            const auto cls = static_cast<unsigned>(outcome_class(p));
            ++b.run;
            ++b.agreed;
            ++b.by_class[cls];
            if (p.kind == 1 && p.may_set_accessed != 0) ++b.clean_on_fault;
            if (!hm::sampled(job, i)) continue;
            block.cases.push_back(honest_case(i, c, ctx, w, layout, number++));
        }
        e.run += b.run;
        e.agreed += b.agreed;
        e.illegal += b.illegal;
        e.inapplicable += b.inapplicable;
        e.elsewhere += b.elsewhere;
        run.blocks.push_back(block);
        i = first_selected(job, block_end);
    }
    e.header = harness::make_header(harness::RecordType::matrix_end, sizeof e);
    e.selected = hm::selected(job);
    e.cases_sent = number;
    return run;
}

}  // namespace pagewalk::test
