// SPDX-License-Identifier: MIT OR Apache-2.0
// Freestanding link check of the access matrix's space (harness/include/pagewalk/harness/matrix/) for -m64 and -m32:
// the guest expands combinations itself on bare metal, so counting, decoding, the legality predicate, shards, the
// seeded order and the walker inputs must link with no libgcc helper (no 64-bit division in -m32 code) and no libc.
#include <cstdint>
#include <pagewalk/harness/matrix/matrix.hpp>

namespace {

using namespace pagewalk;
using namespace pagewalk::harness::matrix;

volatile std::uint64_t sink;

void exercise(PagingMode mode) {
    const Matrix m(mode, sink != 0 ? Space::full : Space::standard);
    const Counts c = counts(mode, m.space());
    const IndexRange part = shard(m.count(), static_cast<std::uint32_t>(sink & 3), 4);
    const Permutation order(m.count(), sink);
    const Combination x = m.decode(order[part.begin]);
    sink = c.legal + m.encode(x) + static_cast<unsigned>(legality(m, x));
    Layout layout{};
    layout.table_pa[shape(mode).levels] = sink & ~std::uint64_t{0xfff};
    const WalkerInputs in = walker_inputs(x, CpuFeatures{}, layout);
    sink = in.entry[x.leaf_level] + in.access.pkru;
    sink = for_each_legal(m, {part.begin, part.begin + 64}, [](std::uint64_t i, const Combination&) { sink = i; });
}

}  // namespace

extern "C" [[noreturn]] void _start() {
    for (PagingMode mode : kPagingModes) exercise(mode);
    for (;;) {
    }
}
