// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the jobs of a run (harness/matrix/job.hpp) from the command line's options — per mode the index
// range of one shard of the space, a seeded slice of it (--limit: every stride-th index, from a phase the seed
// chooses, so that a small sample still reaches every control state of a large range), split into contiguous parts
// that boots run side by side (--jobs). The parts of a range select exactly the indices the whole range selects.
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/mode.hpp>
#include <vector>

namespace pagewalk::host::matrix {

namespace hm = harness::matrix;

struct PlanOptions {
    hm::Space space = hm::Space::standard;
    std::uint32_t shard = 0, shards = 1;  ///< --shard K/N (0-based K < N)
    std::uint64_t seed = 0;
    std::optional<std::uint64_t> limit;  ///< --limit: at most this many indices per mode
    unsigned parts = 1;                  ///< --jobs: contiguous parts of each range
    std::uint32_t sample_every = 4096;   ///< --sample
    std::uint32_t max_cases = 100;       ///< --max-cases (per class of mismatches)
    std::uint32_t mutations = 0;         ///< --mutate (tests only)
};

/// The whole job of `mode`: its shard of the space, sliced by --limit (one job, not yet split into parts).
hm::Job plan_range(PagingMode mode, const PlanOptions& o);

/// `whole` split into `parts` contiguous jobs with the same stride, each phase chosen so that together they select
/// exactly the indices `whole` selects; parts that would select nothing are left out.
std::vector<hm::Job> split_job(const hm::Job& whole, unsigned parts);

/// The job as the guest reads it: its 64 bytes.
std::vector<std::uint8_t> job_bytes(const hm::Job& job);

}  // namespace pagewalk::host::matrix
