// SPDX-License-Identifier: MIT OR Apache-2.0
// A matrix job: which part of the access matrix one boot runs. The host (or the ISO) hands it to the guest as a
// multiboot module, like a scenario program; the guest's matrix runner (guest/matrix/) runs the legal combinations of
// the selected indices and reports them (harness/matrix_records.hpp). Bit-exact in -m32 and -m64 builds.
//
// Selected indices: begin + phase + k × stride for k = 0, 1, … while below end (stride 1, phase 0: every index of
// [begin, end), a whole shard). A slice with stride > 1 reaches every control state of a large range with few
// combinations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <pagewalk/mode.hpp>

#include "dimensions.hpp"
#include "index_math.hpp"
#include "space.hpp"

namespace pagewalk::harness::matrix {

inline constexpr std::uint32_t kJobMagic = 0x584d5750;  // bytes "PWMX"
inline constexpr std::uint16_t kJobVersion = 1;

/// Test-only wrong rules for the guest's prediction (a mutation build option of the matrix: the matrix must see
/// mismatches of exactly that class). Never set by `pagewalk matrix` unless asked for with --mutate.
namespace mutation {
inline constexpr std::uint32_t ignore_smep = 1u << 0;  ///< predict as if CR4.SMEP were clear
inline constexpr std::uint32_t all = 1;
}  // namespace mutation

namespace job_flag {
/// Instead of combinations: the backend's bare rates (an access that hits, one that page-faults, a PTE write +
/// INVLPG), each looped calibrate_iterations times between two matrix_calibration records (the host times them).
/// 64-bit world only (4-level and 5-level jobs).
inline constexpr std::uint32_t calibrate = 1u << 0;
inline constexpr std::uint32_t all = 1;
}  // namespace job_flag

struct alignas(8) Job {
    std::uint32_t magic;    ///< kJobMagic
    std::uint16_t version;  ///< kJobVersion
    std::uint8_t mode;      ///< pagewalk::PagingMode
    std::uint8_t space;     ///< Space
    std::uint64_t begin;    ///< first index (inclusive)
    std::uint64_t end;      ///< last index (exclusive), at most the mode's count
    std::uint64_t stride;   ///< >= 1
    std::uint64_t phase;    ///< < stride
    std::uint64_t seed;     ///< chooses the sampled agreements the guest reports in full
    /// One in `sample_every` agreements (chosen by seed and index) is reported in full for the host's own check; 0:
    /// none.
    std::uint32_t sample_every;
    std::uint32_t mutations;  ///< mutation:: bits (tests only)
    std::uint32_t max_cases;  ///< at most this many mismatches reported in full (the rest are counted)
    /// 0: every selected combination. Else only those that need one of these feature:: bits (program.hpp;
    /// needed_features() in inputs.hpp) — the rest ran on another backend that lacks them; the others are counted
    /// as `elsewhere`.
    std::uint32_t only_needing;
    std::uint32_t flags;                 ///< job_flag:: bits
    std::uint32_t calibrate_iterations;  ///< job_flag::calibrate: loop iterations per measurement
};
static_assert(sizeof(Job) == 72);
static_assert(offsetof(Job, begin) == 8 && offsetof(Job, end) == 16 && offsetof(Job, stride) == 24);
static_assert(offsetof(Job, phase) == 32 && offsetof(Job, seed) == 40 && offsetof(Job, sample_every) == 48);
static_assert(offsetof(Job, mutations) == 52 && offsetof(Job, max_cases) == 56);
static_assert(offsetof(Job, only_needing) == 60 && offsetof(Job, flags) == 64);

enum class JobError : std::uint8_t {
    ok,
    too_small,
    bad_magic,
    bad_version,
    bad_mode,
    bad_space,
    bad_range,
    bad_stride,
    bad_mutation,
    bad_flags,
};

constexpr const char* to_string(JobError e) {
    switch (e) {
        case JobError::ok:
            return "ok";
        case JobError::too_small:
            return "shorter than a job";
        case JobError::bad_magic:
            return "not a matrix job (magic)";
        case JobError::bad_version:
            return "unknown job version";
        case JobError::bad_mode:
            return "unknown paging mode";
        case JobError::bad_space:
            return "unknown space";
        case JobError::bad_range:
            return "index range outside the mode's space";
        case JobError::bad_stride:
            return "stride 0 or phase >= stride";
        case JobError::bad_mutation:
            return "unknown mutation bit";
        case JobError::bad_flags:
            return "unknown job flag";
    }
    return "?";
}

/// Whether a module `size` bytes long at `p` starts with a matrix job (the magic only: routing).
constexpr bool is_job(const std::uint8_t* p, std::size_t size) {
    return size >= sizeof(Job) && p[0] == 0x50 && p[1] == 0x57 && p[2] == 0x4d && p[3] == 0x58;
}

/// Checks every field (the guest runs nothing of a job that fails).
constexpr JobError validate(const Job& j, std::size_t size) {
    if (size < sizeof(Job)) return JobError::too_small;
    if (j.magic != kJobMagic) return JobError::bad_magic;
    if (j.version != kJobVersion) return JobError::bad_version;
    const std::optional<PagingMode> mode = paging_mode_from_value(j.mode);
    if (!mode.has_value()) return JobError::bad_mode;
    if (j.space > static_cast<std::uint8_t>(Space::full)) return JobError::bad_space;
    if (j.stride == 0 || j.phase >= j.stride) return JobError::bad_stride;
    if ((j.mutations & ~mutation::all) != 0) return JobError::bad_mutation;
    if ((j.flags & ~job_flag::all) != 0) return JobError::bad_flags;
    const bool in_space = j.begin <= j.end && j.end <= Matrix(*mode, static_cast<Space>(j.space)).count();
    return in_space ? JobError::ok : JobError::bad_range;
}

/// Number of indices a job selects (legal or not).
constexpr std::uint64_t selected(const Job& j) {
    if (j.end <= j.begin + j.phase) return 0;
    const DivMod d = divmod(j.end - j.begin - j.phase - 1, j.stride);
    return d.quotient + 1;
}

/// Whether the agreement at `index` is one of the sampled ones (seeded, the same on every machine and width).
constexpr bool sampled(const Job& j, std::uint64_t index) {
    if (j.sample_every == 0) return false;
    std::uint64_t x = index ^ (j.seed * 0x9e37'79b9'7f4a'7c15ull);
    x ^= x >> 31;
    x *= 0xbf58'476d'1ce4'e5b9ull;
    x ^= x >> 29;
    return divmod(x, j.sample_every).remainder == 0;
}

}  // namespace pagewalk::harness::matrix
