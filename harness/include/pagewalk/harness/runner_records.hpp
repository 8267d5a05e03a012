// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the scenario runner's records (types 0x10-0x3f), bit-exact in -m32 and -m64 builds.
//
// A boot runs every program (multiboot module) it was given; each program's records sit between a program_begin and
// a program_end (the guest's own verdict). A program run sends: run_info (once the tables are live), then per access
// step an announce (before — the host launcher walks the guest's live tables while the vCPU is stopped) and an access
// record (after), an entry record per A/D readback, a control_write record per PAE PDPTE load and reload_cr3 step,
// and a step_failed record for a step that could not be carried out. Access, entry and control_write records carry
// the guest's judgement of them (GuestJudgement). Same layout rules as records.hpp: 64-bit fields 8-aligned,
// explicit padding, every size and offset pinned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <pagewalk/register_writes.hpp>

#include "program.hpp"
#include "records.hpp"

namespace pagewalk::harness {

/// The guest's own checks of a step (guest/runner/judge.hpp), as bits. The host makes the same checks independently
/// (host/check/evaluate.cpp: "expectation", "prediction", "A/D") and compares its findings with these.
namespace guest_check {
inline constexpr std::uint8_t expectation = 1u << 0;     ///< the outcome against the program's StepExpect
inline constexpr std::uint8_t prediction = 1u << 1;      ///< the outcome against the guest walker's prediction
inline constexpr std::uint8_t accessed_dirty = 1u << 2;  ///< the A/D bits after an access (SDM Vol. 3A §4.8)
inline constexpr std::uint8_t all = 7;
}  // namespace guest_check

/// Which of the guest's checks it made on a record and which failed (8 bytes).
struct alignas(8) GuestJudgement {
    std::uint8_t judged;  ///< guest_check bits evaluated
    std::uint8_t failed;  ///< guest_check bits that failed (a subset of judged)
    std::uint16_t reserved0;
    std::uint32_t reserved1;
};

/// What the walker predicted for one access (pagewalk::translate in the guest). `kind` follows
/// pagewalk::TranslateResult::Kind: 0 mapping, 1 page fault, 2 general protection, 3 memory error.
struct alignas(8) Prediction {
    std::uint8_t kind;
    std::uint8_t level;             ///< leaf level (mapping, protection fault) or where the walk stopped
    std::uint8_t vector;            ///< 14 (#PF), 13 (#GP), 0 (none)
    std::uint8_t chain_count;       ///< entries the walk read (0..5)
    std::uint32_t error_code;       ///< #PF error code
    std::uint64_t pa;               ///< mapping: physical address; memory error: the unreadable entry's address
    std::uint64_t page_size;        ///< mapping
    std::uint8_t sets_accessed;     ///< bit L: this access sets A in the level-L entry
    std::uint8_t sets_dirty;        ///< 1: this access sets D in the leaf
    std::uint8_t may_set_accessed;  ///< page fault: bit L: A may be set in the level-L entry (SDM §4.8)
    std::uint8_t pkey;
    std::uint16_t causes;  ///< pagewalk::fault_cause bits
    std::uint8_t rights;   ///< mapping: writable 1, user 2, executable 4
    std::uint8_t reserved;
};
inline constexpr std::uint8_t kPredictionKinds = 4;

/// The program is running: where the guest put its data and tables and the registers it runs with.
struct alignas(8) RunInfoRecord {
    RecordHeader header;
    std::uint32_t scenario_id;  ///< ProgramHeader::scenario_id
    std::uint8_t mode;          ///< pagewalk::PagingMode
    std::uint8_t code_bits;     ///< 32 or 64: the world running the program
    std::uint16_t reserved0;
    std::uint64_t data_base;  ///< physical address of data offset 0 (2 MiB-aligned)
    std::uint64_t data_bytes;
    std::uint64_t tables_base;  ///< the mapper's frame area
    std::uint64_t table_bytes;
    std::uint64_t memory_end;  ///< end of RAM as the guest sees it
    std::uint64_t cr0, cr3, cr4, efer;
    std::uint32_t pkru;
    std::uint32_t cpu_features;  ///< feature::… bits the guest's CPUID reports
    std::uint32_t step_count;
    std::uint32_t reserved1;
};

/// Before an access: what is about to happen and the guest's prediction. The hypercall stops the vCPU with the
/// scenario's tables live; under QEMU with program_flag::serial_handshake the guest waits for the host's byte.
struct alignas(8) AnnounceRecord {
    RecordHeader header;
    std::uint32_t scenario_id;
    std::uint32_t step;
    std::uint64_t va;
    std::uint8_t kind;  ///< AccessKind
    std::uint8_t cpl;
    std::uint8_t access_flags;  ///< access_flag::…
    std::uint8_t mode;          ///< pagewalk::PagingMode
    std::uint32_t pkru;
    std::uint64_t cr0, cr3, cr4, efer;  ///< as the guest reads them (the host launcher also has KVM_GET_SREGS)
    Prediction prediction;
};

/// How an access ended.
enum class AccessOutcome : std::uint8_t {
    completed = 0,  ///< no exception (the value is what was read or written)
    exception = 1,  ///< an exception (vector, error code, CR2)
};

/// After an access: what happened, what was predicted, and the entries the walk used before and after.
struct alignas(8) AccessRecord {
    RecordHeader header;
    std::uint32_t scenario_id;
    std::uint32_t step;
    std::uint64_t va;
    std::uint8_t kind;  ///< AccessKind
    std::uint8_t cpl;
    std::uint8_t access_flags;  ///< access_flag::…
    std::uint8_t outcome;       ///< AccessOutcome
    std::uint8_t vector;        ///< exception: 0..31
    std::uint8_t has_error_code;
    std::uint8_t trap_cpl;     ///< exception: CPL of the interrupted code
    std::uint8_t chain_count;  ///< entries in chain_pa / chain_before / chain_after (0..5)
    std::uint64_t error_code;
    std::uint64_t cr2;
    std::uint64_t value;  ///< read: the value read; write: the value written
    std::uint64_t rip;    ///< exception: interrupted RIP
    Prediction prediction;
    std::uint64_t chain_pa[5];      ///< physical address of each entry the predicted walk read, top level first
    std::uint64_t chain_before[5];  ///< its value just before the access
    std::uint64_t chain_after[5];   ///< its value just after (A/D bits the CPU set)
    GuestJudgement guest;           ///< the guest's own verdict on this access
    std::uint8_t width;             ///< bytes read or written (1, 2, 4, 8); 0 for a fetch or an implicit access
    /// 1: the access's bytes span two 4 KiB pages (crosses_page()); `second…` is the walk of the second one
    std::uint8_t crosses;
    std::uint8_t second_chain_count;  ///< entries in second_chain_* (0..5)
    std::uint8_t reserved2[5];
    Prediction second;                     ///< the walker's prediction for the second page's first byte
    std::uint64_t second_chain_pa[5];      ///< as chain_pa, for the second page's walk
    std::uint64_t second_chain_before[5];  ///< as chain_before
    std::uint64_t second_chain_after[5];   ///< as chain_after
};

/// Bytes of an access of `width` bytes at `va` that lie in its first 4 KiB page: `width` unless the access crosses
/// into the next page.
constexpr unsigned first_page_bytes(std::uint64_t va, unsigned width) {
    const unsigned room = 4096 - static_cast<unsigned>(va & 0xfff);
    return width < room ? width : room;
}
/// Whether an access of `width` bytes at `va` spans two 4 KiB pages (each translated on its own, SDM Vol. 3A §4.7).
constexpr bool crosses_page(std::uint64_t va, unsigned width) {
    return first_page_bytes(va, width) < width;
}

/// An entry read back (read_entry step).
struct alignas(8) EntryRecord {
    RecordHeader header;
    std::uint32_t scenario_id;
    std::uint32_t step;
    std::uint64_t va;
    std::uint8_t level;  ///< 1 = PTE … 5 = PML5E
    std::uint8_t found;  ///< 0: the walk to that level stopped earlier (a missing table)
    std::uint16_t reserved0;
    std::uint32_t reserved1;
    std::uint64_t entry_pa;
    std::uint64_t value;
    GuestJudgement guest;  ///< the guest's own verdict (expectation: the A/D bits the step expects)
};

/// Why a step could not be carried out.
enum class StepFailure : std::uint8_t {
    mapper_error = 1,      ///< the mapper refused (detail_code = pagewalk::MapError, address = error_va)
    entry_not_found = 2,   ///< edit_entry: no entry of that level for va (address = va)
    feature_missing = 3,   ///< the guest's CPUID lacks a feature the program needs (detail = feature bits)
    unsupported_mode = 4,  ///< this guest world cannot run the program's paging mode (yet)
    bad_program = 5,       ///< validate_program failed (detail_code = ProgramError, detail = step index)
    memory_too_small = 6,  ///< data/table areas do not fit in RAM (address = what was needed)
    context_error = 7,     ///< the walker rejected the register set (detail_code = pagewalk::ContextError)
    no_program = 8,        ///< no multiboot module
    build_trapped = 9,     ///< the runner's own table building took an exception (detail_code = vector,
                           ///< address = RIP, detail = CR2): a runner bug, not a finding about the CPU
    /// The CPU is not the one the program needs: detail_code 0 — it has features the program needs absent (detail =
    /// the feature bits); 1 — its MAXPHYADDR differs (address = the program's, detail = the CPU's). A SKIP.
    cpu_mismatch = 10,
    /// The boot loader put a module or its information where programs need free memory (address = the end of the
    /// boot data, detail = the limit): the boot runs no program.
    boot_layout = 11,
};
inline constexpr std::uint8_t kMaxStepFailure = 11;

struct alignas(8) StepFailedRecord {
    RecordHeader header;
    std::uint32_t scenario_id;
    std::uint32_t step;        ///< 0 = before any step
    std::uint8_t reason;       ///< StepFailure
    std::uint8_t detail_code;  ///< per reason
    std::uint16_t op;          ///< the step's StepOp (0 before any step)
    std::uint32_t reserved;
    std::uint64_t address;
    std::uint64_t detail;
};

/// A control-register write a program made (Intel SDM Vol. 3A §4.4.1): every write that loads the four PAE PDPTE
/// registers — MOV to CR3 in PAE paging, MOV to CR0/CR4 after which PAE paging is in use that changes CR0.CD/NW/PG
/// or CR4.PAE/PGE/PSE/SMEP (the runner's own turning paging on is step 0) — and every reload_cr3 step in any mode.
/// A PDPTE load finding a reserved bit in a present PDPTE raises #GP(0) and leaves the register and the PDPTE
/// registers unchanged: `predicted_vector` is the guest walker's answer from the PDPT as read just before the write.
struct alignas(8) ControlWriteRecord {
    RecordHeader header;
    std::uint32_t scenario_id;
    std::uint32_t step;         ///< the scenario's step; 0 = the runner's own (turning paging on)
    std::uint8_t reg;           ///< pagewalk::ControlRegister (its values are the wire values)
    std::uint8_t mode;          ///< pagewalk::PagingMode
    std::uint8_t loads_pdptes;  ///< 1: the write loads the PAE PDPTE registers (pdpt[] is what it read)
    std::uint8_t outcome;       ///< AccessOutcome
    std::uint8_t vector;        ///< exception: 0..31
    std::uint8_t has_error_code;
    std::uint8_t predicted_vector;  ///< 0: completes; 13: #GP(0) (a PDPTE with a reserved bit)
    std::uint8_t pdpte_index;       ///< predicted #GP: the first PDPTE with a reserved bit set
    std::uint64_t value;            ///< the value written
    std::uint64_t error_code;
    std::uint64_t reserved_bits;  ///< predicted #GP: the reserved bits set in the present PDPTEs (OR of all 4)
    std::uint64_t cr3;            ///< the CR3 the PDPTEs are loaded from
    std::uint64_t pdpt[4];        ///< the PDPT in memory just before the write (loads_pdptes)
    GuestJudgement guest;         ///< the guest's own verdict (prediction; expectation for a reload_cr3 step)
};

/// A program starts (before anything else of it is sent): module `module_index` of `module_count`.
struct alignas(8) ProgramBeginRecord {
    RecordHeader header;
    std::uint32_t module_index;  ///< 0-based, in the boot loader's order
    std::uint32_t module_count;  ///< modules the boot loader gave
    std::uint32_t scenario_id;   ///< ProgramHeader::scenario_id (0 when the module is no valid program)
    std::uint8_t mode;           ///< ProgramHeader::mode (0 when the module is no valid program)
    std::uint8_t code_bits;      ///< 32 or 64: the world running it
    std::uint16_t reserved0;
    std::uint64_t module_start;  ///< physical address of the module
    std::uint32_t module_bytes;
    std::uint32_t step_count;     ///< ProgramHeader::step_count (tag steps included)
    char name[kMaxScenarioName];  ///< ProgramHeader::name (NUL-padded)
};

/// The guest's verdict on a program it ran (or skipped).
enum class ProgramVerdict : std::uint8_t {
    passed = 1,   ///< every step it judged did what the expectation and the walker's prediction say
    failed = 2,   ///< at least one judged step did not
    skipped = 3,  ///< not run: the CPU lacks a feature, has one the program needs absent, or another MAXPHYADDR
    error = 4,    ///< a step could not be carried out, or the module is no valid program (reason: the StepFailure)
};
inline constexpr std::uint8_t kMaxProgramVerdict = 4;

/// A program ended: the guest's own verdict and its step counts. A "judged" step is one with an expectation the
/// guest checked or a control-register write it predicted (step 0: turning PAE paging on).
struct alignas(8) ProgramEndRecord {
    RecordHeader header;
    std::uint32_t module_index;
    std::uint32_t scenario_id;
    std::uint8_t verdict;  ///< ProgramVerdict
    std::uint8_t mode;
    std::uint8_t code_bits;
    std::uint8_t reason;              ///< skipped / error: the StepFailure; 0 otherwise
    std::uint32_t steps_executed;     ///< steps carried out (tag steps not counted)
    std::uint32_t steps_judged;       ///< distinct steps with a GuestJudgement
    std::uint32_t steps_passed;       ///< judged steps whose checks all held
    std::uint32_t steps_failed;       ///< judged steps with a failed check
    std::uint32_t first_failed_step;  ///< the first failed step's id (valid when steps_failed > 0)
    std::uint32_t failed_checks;      ///< guest_check bits that failed anywhere in the program
    std::uint32_t reserved0;
    std::uint64_t detail;  ///< skipped: the StepFailedRecord's detail (feature bits, CPU's MAXPHYADDR)
};

// ---- layout pins (checked in every build: -m32 guest, -m64 guest, host) ----
static_assert(sizeof(Prediction) == 32);
static_assert(offsetof(Prediction, error_code) == 4 && offsetof(Prediction, pa) == 8);
static_assert(offsetof(Prediction, page_size) == 16 && offsetof(Prediction, sets_accessed) == 24);
static_assert(offsetof(Prediction, causes) == 28 && offsetof(Prediction, rights) == 30);

static_assert(sizeof(RunInfoRecord) == 112);
static_assert(offsetof(RunInfoRecord, scenario_id) == 16 && offsetof(RunInfoRecord, mode) == 20);
static_assert(offsetof(RunInfoRecord, data_base) == 24 && offsetof(RunInfoRecord, memory_end) == 56);
static_assert(offsetof(RunInfoRecord, cr0) == 64 && offsetof(RunInfoRecord, efer) == 88);
static_assert(offsetof(RunInfoRecord, pkru) == 96 && offsetof(RunInfoRecord, step_count) == 104);

static_assert(sizeof(AnnounceRecord) == 104);
static_assert(offsetof(AnnounceRecord, step) == 20 && offsetof(AnnounceRecord, va) == 24);
static_assert(offsetof(AnnounceRecord, kind) == 32 && offsetof(AnnounceRecord, pkru) == 36);
static_assert(offsetof(AnnounceRecord, cr0) == 40 && offsetof(AnnounceRecord, prediction) == 72);

static_assert(sizeof(GuestJudgement) == 8);
static_assert(sizeof(AccessRecord) == 392);
static_assert(offsetof(AccessRecord, step) == 20 && offsetof(AccessRecord, va) == 24);
static_assert(offsetof(AccessRecord, kind) == 32 && offsetof(AccessRecord, chain_count) == 39);
static_assert(offsetof(AccessRecord, error_code) == 40 && offsetof(AccessRecord, rip) == 64);
static_assert(offsetof(AccessRecord, prediction) == 72 && offsetof(AccessRecord, chain_pa) == 104);
static_assert(offsetof(AccessRecord, chain_before) == 144 && offsetof(AccessRecord, chain_after) == 184);
static_assert(offsetof(AccessRecord, guest) == 224 && offsetof(AccessRecord, width) == 232);
static_assert(offsetof(AccessRecord, second) == 240 && offsetof(AccessRecord, second_chain_pa) == 272);
static_assert(offsetof(AccessRecord, second_chain_before) == 312 && offsetof(AccessRecord, second_chain_after) == 352);

static_assert(sizeof(EntryRecord) == 64);
static_assert(offsetof(EntryRecord, level) == 32 && offsetof(EntryRecord, entry_pa) == 40);
static_assert(offsetof(EntryRecord, guest) == 56);

static_assert(sizeof(StepFailedRecord) == 48);
static_assert(offsetof(StepFailedRecord, reason) == 24 && offsetof(StepFailedRecord, op) == 26);
static_assert(offsetof(StepFailedRecord, address) == 32 && offsetof(StepFailedRecord, detail) == 40);

static_assert(sizeof(ControlWriteRecord) == 104);
static_assert(offsetof(ControlWriteRecord, reg) == 24 && offsetof(ControlWriteRecord, predicted_vector) == 30);
static_assert(offsetof(ControlWriteRecord, pdpte_index) == 31 && offsetof(ControlWriteRecord, value) == 32);
static_assert(offsetof(ControlWriteRecord, error_code) == 40 && offsetof(ControlWriteRecord, reserved_bits) == 48);
static_assert(offsetof(ControlWriteRecord, cr3) == 56 && offsetof(ControlWriteRecord, pdpt) == 64);
static_assert(offsetof(ControlWriteRecord, guest) == 96);

static_assert(sizeof(ProgramBeginRecord) == 96);
static_assert(offsetof(ProgramBeginRecord, module_index) == 16 && offsetof(ProgramBeginRecord, module_count) == 20);
static_assert(offsetof(ProgramBeginRecord, scenario_id) == 24 && offsetof(ProgramBeginRecord, mode) == 28);
static_assert(offsetof(ProgramBeginRecord, code_bits) == 29 && offsetof(ProgramBeginRecord, module_start) == 32);
static_assert(offsetof(ProgramBeginRecord, module_bytes) == 40 && offsetof(ProgramBeginRecord, step_count) == 44);
static_assert(offsetof(ProgramBeginRecord, name) == 48);

static_assert(sizeof(ProgramEndRecord) == 64);
static_assert(offsetof(ProgramEndRecord, module_index) == 16 && offsetof(ProgramEndRecord, scenario_id) == 20);
static_assert(offsetof(ProgramEndRecord, verdict) == 24 && offsetof(ProgramEndRecord, reason) == 27);
static_assert(offsetof(ProgramEndRecord, steps_executed) == 28 && offsetof(ProgramEndRecord, steps_judged) == 32);
static_assert(offsetof(ProgramEndRecord, steps_passed) == 36 && offsetof(ProgramEndRecord, steps_failed) == 40);
static_assert(offsetof(ProgramEndRecord, first_failed_step) == 44 && offsetof(ProgramEndRecord, failed_checks) == 48);
static_assert(offsetof(ProgramEndRecord, detail) == 56);

static_assert(sizeof(AccessRecord) <= kMaxRecordSize);

}  // namespace pagewalk::harness
