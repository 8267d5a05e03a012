// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/block_audit.hpp"

#include "matrix/host_walk.hpp"

namespace pagewalk::host::matrix {

std::uint64_t first_selected(const hm::Job& job, std::uint64_t i) {
    const std::uint64_t start = job.begin + job.phase;
    if (i <= start) return start;
    return start + (i - start + job.stride - 1) / job.stride * job.stride;
}

bool last_selected_below(const hm::Job& job, std::uint64_t from, std::uint64_t end, std::uint64_t& out) {
    const std::uint64_t start = job.begin + job.phase;
    if (end <= start || end <= from) return false;
    const std::uint64_t last = start + (end - 1 - start) / job.stride * job.stride;
    if (last < from) return false;
    out = last;
    return true;
}

BlockExpectation expect_block(const hm::Matrix& m, const hm::Job& job, const CpuFeatures& cpu, std::uint64_t first,
                              std::uint64_t last) {
    BlockExpectation e;
    const hm::Layout layout = reference_layout(m.mode());
    const std::uint64_t root = layout.table_pa[shape(m.mode()).levels];
    const std::uint64_t state = first / m.block().size, base = state * m.block().size;
    const hm::Controls k = m.controls(state);
    const hm::AccessTable access(m, k);
    std::uint64_t i = first_selected(job, first);
    if (i > last) return e;
    if (job.stride == 1 && job.only_needing == 0 && i == base && last + 1 == base + m.block().size) {
        hm::Combination c{};
        c.mode = m.mode();
        c.controls = k;
        if (!Context::from_registers(hm::control_registers(c, root), cpu)) {
            // The CPU cannot enter this control state: every legal combination is inapplicable (block_counts is
            // the legality predicate's count, which the space's unit test checks index by index).
            const hm::Counts n = hm::block_counts(m, state);
            e.selected = n.total;
            e.illegal = n.total - n.legal;
            e.inapplicable = n.legal;
            return e;
        }
    }
    hm::BlockCursor at(m, k, access, i - base);
    const auto move = [&](std::uint64_t n) {
        i += n;
        at.advance(n);
    };
    bool have_context = false;
    Context context;
    while (i <= last) {
        ++e.selected;
        if (at.rule() != hm::Rule::legal) {
            // Every index up to the end of the rule's run is removed by it too: count the selected ones at once.
            const std::uint64_t run_end = i + at.run();  // exclusive
            const std::uint64_t stop = run_end <= last + 1 ? run_end : last + 1;
            const std::uint64_t more = (stop - 1 - i) / job.stride;  // selected indices after i before stop
            e.selected += more;
            e.illegal += more + 1;
            move((more + 1) * job.stride);
            continue;
        }
        const std::uint64_t index = i;
        const hm::Combination c = at.combination();
        move(job.stride);
        if (job.only_needing != 0 && (hm::needed_features(c) & job.only_needing) == 0) {
            ++e.elsewhere;
            continue;
        }
        if (!have_context) {  // one control state: the same registers for every combination of the block
            context = Context::from_registers(hm::control_registers(c, root), cpu);
            have_context = true;
        }
        const HostWalk w = host_walk(c, context, cpu, layout);
        if (w.inputs.status != hm::Applicability::applies) {
            ++e.inapplicable;
            continue;
        }
        ++e.run;
        const harness::Prediction p = expected_prediction(w);
        ++e.by_class[static_cast<unsigned>(outcome_class(p))];
        if (p.kind == 1 && p.may_set_accessed != 0) ++e.may_set_accessed;
        if (hm::sampled(job, index)) e.sampled.push_back(index);
    }
    return e;
}

}  // namespace pagewalk::host::matrix
