// SPDX-License-Identifier: MIT OR Apache-2.0
// The access group under one control state, as a table: the access digits are the fastest (kAccessGroup values) and
// the same in every group, and the access rules read only them and the control state — so a loop over a block looks
// up each position's access, the access rules' verdict and how far they reach instead of decoding them per index.
// Freestanding.
#pragma once

#include <cstdint>

#include "illegal_run.hpp"
#include "legality.hpp"
#include "space.hpp"

namespace pagewalk::harness::matrix {

struct AccessTable {
    AccessKind access[kAccessGroup] = {};
    Rule rule[kAccessGroup] = {};         ///< access_legality() of each position under the control state
    std::uint8_t run[kAccessGroup] = {};  ///< for an illegal position: detail::access_run() from it; else 0

    constexpr AccessTable() = default;
    constexpr AccessTable(const Matrix& m, const Controls& k) {
        for (unsigned p = 0; p < kAccessGroup; ++p) {
            access[p] = m.access_at(p);
            rule[p] = access_legality(access[p], k);
        }
        for (unsigned p = kAccessGroup; p-- > 0;) {
            if (rule[p] == Rule::legal) continue;
            const bool next_illegal = p + 1 < kAccessGroup && rule[p + 1] != Rule::legal;
            run[p] = static_cast<std::uint8_t>(1 + (next_illegal ? run[p + 1] : 0));
        }
    }
};

}  // namespace pagewalk::harness::matrix
