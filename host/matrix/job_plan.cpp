// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/job_plan.hpp"

#include <cstring>

#include "matrix/block_audit.hpp"

namespace pagewalk::host::matrix {

hm::Job plan_range(PagingMode mode, const PlanOptions& o) {
    hm::Job j{};
    j.magic = hm::kJobMagic;
    j.version = hm::kJobVersion;
    j.mode = static_cast<std::uint8_t>(mode);
    j.space = static_cast<std::uint8_t>(o.space);
    const hm::IndexRange range = hm::shard(hm::Matrix(mode, o.space).count(), o.shard, o.shards);
    j.begin = range.begin;
    j.end = range.end;
    j.stride = 1;
    if (o.limit && *o.limit > 0 && range.size() > *o.limit) j.stride = (range.size() + *o.limit - 1) / *o.limit;
    j.phase = o.seed % j.stride;
    j.seed = o.seed;
    j.sample_every = o.sample_every;
    j.mutations = o.mutations;
    j.max_cases = o.max_cases;
    return j;
}

std::vector<hm::Job> split_job(const hm::Job& whole, unsigned parts) {
    std::vector<hm::Job> out;
    const std::uint64_t size = whole.end - whole.begin;
    for (unsigned p = 0; p < parts; ++p) {
        const hm::IndexRange r = hm::shard(size, p, parts);
        hm::Job j = whole;
        j.begin = whole.begin + r.begin;
        j.end = whole.begin + r.end;
        const std::uint64_t first = first_selected(whole, j.begin);
        if (first >= j.end) continue;
        j.phase = first - j.begin;  // < stride: the selected index before `first` lies before j.begin
        out.push_back(j);
    }
    return out;
}

std::vector<std::uint8_t> job_bytes(const hm::Job& job) {
    std::vector<std::uint8_t> bytes(sizeof job);
    std::memcpy(bytes.data(), &job, sizeof job);
    return bytes;
}

}  // namespace pagewalk::host::matrix
