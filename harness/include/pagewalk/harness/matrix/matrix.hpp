// SPDX-License-Identifier: MIT OR Apache-2.0
// The access matrix's space, for the guest and the host alike (freestanding, header-only, no allocation): its
// dimensions (dimensions.hpp), the index → combination decoding (space.hpp), the one legality predicate
// (legality.hpp) with its runs (illegal_run.hpp, access_table.hpp), a block's odometer (block_cursor.hpp), shards and
// seeded orders (index_math.hpp), and a combination as walker inputs (inputs.hpp).
#pragma once

#include <cstdint>

#include "access_table.hpp"
#include "block_cursor.hpp"
#include "combination.hpp"
#include "dimensions.hpp"
#include "illegal_run.hpp"
#include "index_math.hpp"
#include "inputs.hpp"
#include "legality.hpp"
#include "space.hpp"

namespace pagewalk::harness::matrix {

/// Calls `f(index, combination)` for every legal combination of `range` (within m.count()), in index order; returns
/// how many there were. A block whose control state is removed is skipped whole.
template <class F>
constexpr std::uint64_t for_each_legal(const Matrix& m, IndexRange range, F&& f) {
    std::uint64_t n = 0;
    const std::uint64_t block = m.block().size;
    for (std::uint64_t i = range.begin; i < range.end;) {
        const DivMod at = divmod(i, block);
        if (detail::pkru_without_pke(m.controls(at.quotient))) {
            i += block - at.remainder;
            continue;
        }
        const Combination c = m.decode(i);
        if (legality(m, c) == Rule::legal) {
            f(i, c);
            ++n;
        }
        ++i;
    }
    return n;
}

}  // namespace pagewalk::harness::matrix
