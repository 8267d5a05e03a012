// SPDX-License-Identifier: MIT OR Apache-2.0
// Planning a matrix run's jobs (host/matrix/job_plan.hpp): shards and parts cover a range exactly once, a --limit
// slice has the size asked for and reaches every control state, the same seed gives the same jobs.
#include <gtest/gtest.h>

#include <pagewalk/harness/matrix/matrix.hpp>
#include <set>

#include "matrix/block_audit.hpp"
#include "matrix/job_plan.hpp"

namespace pagewalk::host::matrix {
namespace {

/// Every index `job` selects, in order.
std::vector<std::uint64_t> indices(const hm::Job& job) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = job.begin + job.phase; i < job.end; i += job.stride) out.push_back(i);
    return out;
}

TEST(MatrixJobPlan, ShardsCoverTheSpaceExactlyOnce) {
    for (PagingMode mode : kPagingModes) {
        const std::uint64_t count = hm::Matrix(mode, hm::Space::standard).count();
        for (std::uint32_t n : {1u, 3u, 7u, 64u}) {
            PlanOptions o;
            o.shards = n;
            std::uint64_t next = 0;
            for (std::uint32_t k = 0; k < n; ++k) {
                o.shard = k;
                const hm::Job j = plan_range(mode, o);
                EXPECT_EQ(j.begin, next) << to_string(mode) << " shard " << k << "/" << n;
                EXPECT_EQ(j.stride, 1u);
                EXPECT_EQ(hm::validate(j, sizeof j), hm::JobError::ok);
                next = j.end;
            }
            EXPECT_EQ(next, count) << to_string(mode) << " /" << n;
        }
    }
}

TEST(MatrixJobPlan, PartsSelectExactlyTheWholeJobsIndices) {
    PlanOptions o;
    o.limit = 5000;
    o.seed = 12345;
    o.shards = 3;
    o.shard = 1;
    const hm::Job whole = plan_range(PagingMode::long4, o);
    const std::vector<std::uint64_t> want = indices(whole);
    for (unsigned parts : {1u, 2u, 5u, 4999u, 9000u}) {
        std::vector<std::uint64_t> got;
        std::uint64_t end = whole.begin;
        for (const hm::Job& part : split_job(whole, parts)) {
            EXPECT_EQ(hm::validate(part, sizeof part), hm::JobError::ok);
            EXPECT_GE(part.begin, end) << "parts overlap";
            end = part.end;
            for (std::uint64_t i : indices(part)) got.push_back(i);
        }
        EXPECT_EQ(got, want) << parts << " parts";
    }
}

TEST(MatrixJobPlan, ALimitSlicesEveryControlState) {
    for (PagingMode mode : kPagingModes) {
        const hm::Matrix m(mode, hm::Space::standard);
        PlanOptions o;
        o.limit = 3000;
        o.seed = 99;
        const hm::Job j = plan_range(mode, o);
        const std::uint64_t n = hm::selected(j);
        EXPECT_LE(n, 3000u) << to_string(mode);
        EXPECT_GE(n + 1, m.count() / j.stride) << to_string(mode);  // stride = ceil(count / limit): no fewer
        EXPECT_GT(n, 2950u) << to_string(mode);
        EXPECT_EQ(j.phase, 99 % j.stride);
        std::set<std::uint64_t> states;
        for (std::uint64_t i : indices(j)) states.insert(i / m.block().size);
        EXPECT_EQ(states.size(), m.states()) << to_string(mode);
    }
    PlanOptions o;  // a limit above the range: every index
    o.limit = 1ull << 60;
    EXPECT_EQ(plan_range(PagingMode::legacy32, o).stride, 1u);
}

TEST(MatrixJobPlan, TheSameSeedGivesTheSameJobs) {
    PlanOptions o;
    o.limit = 4000;
    o.seed = 2024;
    o.parts = 2;
    const auto plan = [&] { return split_job(plan_range(PagingMode::pae, o), o.parts); };
    const std::vector<hm::Job> a = plan(), b = plan();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(job_bytes(a[i]), job_bytes(b[i]));
    o.seed = 2025;
    EXPECT_NE(job_bytes(plan().front()), job_bytes(a.front()));
}

}  // namespace
}  // namespace pagewalk::host::matrix
