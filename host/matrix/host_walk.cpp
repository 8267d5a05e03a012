// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/host_walk.hpp"

#include <pagewalk/harness/program.hpp>

namespace pagewalk::host::matrix {

WalkMemory::WalkMemory(const hm::WalkerInputs& inputs, PagingMode mode, const hm::Layout& layout) {
    const ModeShape s = shape(mode);
    for (unsigned l = s.levels; l >= 1; --l) {
        if (inputs.entry_pa[l] == 0 && inputs.entry[l] == 0) continue;  // below the leaf
        pa_[count_] = inputs.entry_pa[l];
        value_[count_++] = inputs.entry[l];
    }
    if (mode == PagingMode::pae) pdpt_ = layout.table_pa[3];
}

bool WalkMemory::read_entry(const EntryLocation& loc, std::uint64_t& out) const {
    for (unsigned i = 0; i < count_; ++i)
        if (pa_[i] == loc.pa()) {
            out = value_[i];
            return true;
        }
    if (loc.pa() >= pdpt_ && loc.pa() < pdpt_ + 32) {
        out = 0;
        return true;
    }
    return false;
}

HostWalk host_walk(const hm::Combination& c, const Context& context, const CpuFeatures& cpu, const hm::Layout& layout) {
    const hm::WalkerInputs inputs = hm::walker_inputs(c, context, cpu, layout);
    WalkMemory memory(inputs, c.mode, layout);
    Context ctx = inputs.context;
    PdpteLoad load{};
    if (c.mode == PagingMode::pae) load = ctx.load_pdptes(memory);
    return HostWalk{inputs, !load, load.reserved_bits, translate(ctx, memory, layout.va, inputs.access)};
}

harness::Prediction expected_prediction(const HostWalk& w) {
    harness::Prediction p{};
    if (w.pdpte_gp) {  // the MOV to CR3 faults: no walk, no access
        p.kind = static_cast<std::uint8_t>(TranslateResult::Kind::general_protection);
        p.vector = vector::general_protection;
        return p;
    }
    const TranslateResult& r = w.result;
    p.kind = static_cast<std::uint8_t>(r.kind());
    p.chain_count = static_cast<std::uint8_t>(r.chain().size());
    if (const auto m = r.mapping()) {
        p.level = m->level;
        p.pa = m->pa;
        p.page_size = m->page_size;
        p.sets_accessed = m->sets_accessed;
        p.sets_dirty = m->sets_dirty;
        p.pkey = m->pkey;
        p.rights = static_cast<std::uint8_t>(m->writable | (m->user << 1) | (m->executable << 2));
    } else if (const auto f = r.page_fault()) {
        p.level = f->level;
        p.vector = vector::page_fault;
        p.error_code = f->error_code;
        p.causes = f->causes;
        p.may_set_accessed = f->may_set_accessed;
    } else if (const auto g = r.general_protection()) {
        p.vector = vector::general_protection;
        p.pa = g->reserved_bits;
    } else if (const auto e = r.memory_error()) {
        p.level = e->level;
        p.pa = e->pa;
    }
    return p;
}

const char* prediction_difference(const harness::Prediction& g, const harness::Prediction& h) {
    if (g.kind != h.kind) return "kind";
    if (g.vector != h.vector) return "vector";
    if (g.level != h.level) return "level";
    if (g.chain_count != h.chain_count) return "entries read";
    if (g.error_code != h.error_code) return "error code";
    if (g.causes != h.causes) return "fault causes";
    if (g.pa != h.pa) return "physical address";
    if (g.page_size != h.page_size) return "page size";
    if (g.rights != h.rights) return "rights";
    if (g.pkey != h.pkey) return "protection key";
    if (g.sets_accessed != h.sets_accessed || g.sets_dirty != h.sets_dirty) return "A/D it sets";
    if (g.may_set_accessed != h.may_set_accessed) return "A it may set";
    return "";
}

hm::OutcomeClass outcome_class(const harness::Prediction& p) {
    return hm::classify(p.kind, p.causes);
}

hm::Layout reference_layout(PagingMode mode) {
    hm::Layout l;
    const ModeShape s = shape(mode);
    for (unsigned level = 1; level <= s.levels; ++level) l.table_pa[level] = 0x10000 + std::uint64_t{level} * 0x1000;
    l.page_pa = std::uint64_t{1} << 30;
    l.va = l.page_pa + 0x20'1238;  // non-zero indices at every level, 8-byte aligned
    return l;
}

CpuFeatures cpu_of(const harness::MatrixBeginRecord& b) {
    CpuFeatures c = harness::feature::features_of(b.cpu_features);
    c.maxphyaddr = b.maxphyaddr;
    c.vendor = static_cast<Vendor>(b.vendor);
    return c;  // PAE and long mode: the guest runs the mode, so the CPU has them
}

}  // namespace pagewalk::host::matrix
