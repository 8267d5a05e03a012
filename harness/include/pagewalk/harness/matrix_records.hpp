// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the access matrix's records (types 0x40-0x4f), bit-exact in -m32 and -m64 builds. Same layout
// rules as records.hpp.
//
// A matrix job's boot sends: matrix_begin (the job as the guest runs it, its CPU and where the combinations live),
// then per block (one control state; a slice may give a block few combinations) a matrix_block record with the
// counts per outcome class and a digest, preceded by a matrix_case record + an access record (runner_records.hpp,
// scenario_id = kMatrixScenario, step = the case's number) for every mismatch (up to Job::max_cases of each class of
// mismatches) and every sampled agreement; at the end a matrix_class record per class of mismatches (its signature
// and count) and a matrix_end record with the totals. The host decodes each case's index itself,
// rebuilds the entries from the layout in the case record and predicts with its own walker: a guest whose walker or
// report is wrong is caught there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "matrix/outcome.hpp"
#include "records.hpp"
#include "runner_records.hpp"

namespace pagewalk::harness {

/// The scenario id of access records that belong to a matrix case.
inline constexpr std::uint32_t kMatrixScenario = 0xffff'fffeu;

/// Why a job did not run (MatrixEndRecord::status).
enum class MatrixStatus : std::uint8_t {
    ok = 0,
    bad_job = 1,           ///< detail: matrix::JobError
    unsupported_mode = 2,  ///< this world/CPU cannot run the mode (SKIP)
    memory_too_small = 3,  ///< detail: bytes needed above the image
    trapped = 4,           ///< an exception outside an access (detail: vector)
};

struct alignas(8) MatrixBeginRecord {
    RecordHeader header;
    std::uint8_t mode;       ///< pagewalk::PagingMode
    std::uint8_t space;      ///< matrix::Space
    std::uint8_t code_bits;  ///< 32 or 64
    std::uint8_t maxphyaddr;
    std::uint32_t cpu_features;  ///< feature::… bits of the guest's CPUID (program.hpp)
    std::uint64_t begin, end, stride, phase, seed;
    std::uint32_t sample_every;
    std::uint32_t mutations;
    std::uint32_t batch;  ///< combinations per batch (tables written at once, one MOV CR3)
    std::uint8_t vendor;  ///< pagewalk::Vendor
    std::uint8_t reserved0[3];
    std::uint64_t count;  ///< the mode's space size (for the host to check its own)
};

/// One block's counts: the combinations of `state` among [first, last].
struct alignas(8) MatrixBlockRecord {
    RecordHeader header;
    std::uint64_t state;  ///< control state (block number)
    std::uint64_t first;  ///< first index of the block the job ran
    std::uint64_t last;   ///< last one
    std::uint64_t cr0, cr4, efer;
    std::uint32_t pkru;
    std::uint32_t run;                                ///< legal combinations run
    std::uint32_t agreed;                             ///< of them, the CPU did what the walker predicted
    std::uint32_t mismatched;                         ///< the others
    std::uint32_t illegal;                            ///< selected indices the legality predicate removes
    std::uint32_t inapplicable;                       ///< legal, but not on this CPU (matrix::Applicability)
    std::uint32_t elsewhere;                          ///< legal, left to another backend (Job::only_needing)
    std::uint32_t by_class[matrix::kOutcomeClasses];  ///< agreements per predicted outcome class
    /// Faulting walks where the SDM allows A to be set (§4.8): the times the CPU set one, and the times it set none.
    std::uint32_t accessed_on_fault, clean_on_fault;
    std::uint32_t digest;  ///< CRC-32C over (offset in the block, error code, class, vector, outcome) of every
                           ///< combination run, in order
    std::uint32_t reserved1;
    std::uint64_t cycles;  ///< TSC cycles the block took in the guest
    /// Of them, the live phases alone: each batch's MOV to CR3 and its accesses (with the exceptions they raise) —
    /// the backend's own cost, which no harness work can lower; cycles − access_cycles is the harness's.
    std::uint64_t access_cycles;
};

/// A mismatch or a sampled agreement; the access record that follows has its outcome, prediction and entries.
struct alignas(8) MatrixCaseRecord {
    RecordHeader header;
    std::uint64_t index;
    std::uint32_t number;   ///< the case's number in the run (the access record's `step`)
    std::uint8_t mismatch;  ///< matrix::mismatch bits; 0: a sampled agreement
    std::uint8_t leaf_level;
    std::uint8_t outcome_class;  ///< predicted (matrix::OutcomeClass)
    std::uint8_t reserved0;
    std::uint64_t table_pa[6];  ///< matrix::Layout
    std::uint64_t page_pa;
    std::uint64_t va;
    std::uint64_t cr0, cr3, cr4, efer;
    std::uint32_t pkru;
    std::uint32_t reserved1;
    std::uint64_t expected_value;  ///< read: what the page holds; write: what the access writes
    std::uint64_t memory_after;    ///< the qword at va's physical address after the access
};

/// One class of mismatches (sent before matrix_end, one record per class): combinations whose outcome differs from the
/// prediction in the same way — the same mismatch bits, predicted and observed outcome, error codes and access. The
/// first Job::max_cases of each class are sent in full as cases; the host explains a class by its examples, and a
/// known deviation whose evidence is these fields covers all of the class.
struct alignas(8) MatrixClassRecord {
    RecordHeader header;
    std::uint32_t count;          ///< mismatches of this class
    std::uint32_t first_case;     ///< `number` of its first case record
    std::uint32_t examples;       ///< case records sent for it
    std::uint8_t mismatch;        ///< matrix::mismatch bits
    std::uint8_t outcome_class;   ///< predicted (matrix::OutcomeClass)
    std::uint8_t predicted_kind;  ///< Prediction::kind
    std::uint8_t outcome;         ///< AccessOutcome
    std::uint32_t predicted_error;
    std::uint8_t vector;  ///< observed, when outcome is an exception
    std::uint8_t kind;    ///< AccessKind
    std::uint8_t cpl;
    std::uint8_t access_flags;
    std::uint64_t error_code;  ///< observed
    std::uint8_t leaf_level;
    std::uint8_t reserved0[7];
};

/// Calibration (Job with job_flag::calibrate): sent before and after each bare loop; the host times the gaps.
enum class CalibrationPhase : std::uint8_t { start = 0, hits_done = 1, faults_done = 2, invlpg_done = 3 };
struct alignas(8) MatrixCalibrationRecord {
    RecordHeader header;
    std::uint32_t phase;       ///< CalibrationPhase
    std::uint32_t iterations;  ///< of the loop that just ended (0 for start)
};

struct alignas(8) MatrixEndRecord {
    RecordHeader header;
    std::uint8_t status;  ///< MatrixStatus
    std::uint8_t reserved0[3];
    std::uint32_t detail;
    std::uint64_t selected;  ///< indices the job selects
    std::uint64_t run, agreed, mismatched, illegal, inapplicable, elsewhere;
    std::uint32_t cases_sent;     ///< matrix_case records sent (mismatches and samples)
    std::uint32_t cases_dropped;  ///< mismatches beyond Job::max_cases of their class: counted in its class record
    std::uint32_t classes;        ///< matrix_class records sent
    std::uint32_t unclassified;   ///< mismatches beyond the guest's table of classes (the host fails them)
};

static_assert(sizeof(MatrixBeginRecord) == 88);
static_assert(offsetof(MatrixBeginRecord, cpu_features) == 20 && offsetof(MatrixBeginRecord, begin) == 24);
static_assert(offsetof(MatrixBeginRecord, seed) == 56 && offsetof(MatrixBeginRecord, sample_every) == 64);
static_assert(offsetof(MatrixBeginRecord, batch) == 72 && offsetof(MatrixBeginRecord, vendor) == 76);
static_assert(offsetof(MatrixBeginRecord, count) == 80);
static_assert(sizeof(MatrixBlockRecord) == 168);
static_assert(offsetof(MatrixBlockRecord, cr0) == 40 && offsetof(MatrixBlockRecord, pkru) == 64);
static_assert(offsetof(MatrixBlockRecord, by_class) == 92 && offsetof(MatrixBlockRecord, accessed_on_fault) == 136);
static_assert(offsetof(MatrixBlockRecord, digest) == 144 && offsetof(MatrixBlockRecord, cycles) == 152);
static_assert(offsetof(MatrixBlockRecord, access_cycles) == 160);
static_assert(sizeof(MatrixCaseRecord) == 152);
static_assert(offsetof(MatrixCaseRecord, number) == 24 && offsetof(MatrixCaseRecord, table_pa) == 32);
static_assert(offsetof(MatrixCaseRecord, page_pa) == 80 && offsetof(MatrixCaseRecord, cr0) == 96);
static_assert(offsetof(MatrixCaseRecord, pkru) == 128 && offsetof(MatrixCaseRecord, expected_value) == 136);
static_assert(sizeof(MatrixEndRecord) == 96);
static_assert(offsetof(MatrixEndRecord, detail) == 20 && offsetof(MatrixEndRecord, selected) == 24);
static_assert(offsetof(MatrixEndRecord, cases_sent) == 80 && offsetof(MatrixEndRecord, classes) == 88);
static_assert(sizeof(MatrixClassRecord) == 56);
static_assert(sizeof(MatrixCalibrationRecord) == 24 && offsetof(MatrixCalibrationRecord, iterations) == 20);
static_assert(offsetof(MatrixClassRecord, count) == 16 && offsetof(MatrixClassRecord, mismatch) == 28);
static_assert(offsetof(MatrixClassRecord, predicted_error) == 32 && offsetof(MatrixClassRecord, vector) == 36);
static_assert(offsetof(MatrixClassRecord, error_code) == 40 && offsetof(MatrixClassRecord, leaf_level) == 48);

}  // namespace pagewalk::harness
