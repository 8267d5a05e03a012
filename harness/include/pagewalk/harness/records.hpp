// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the report records, bit-exact and identical in -m32 and -m64 builds.
//
// Every record starts with a RecordHeader; `length` is the whole record in bytes (header included). The guest
// sends records in order; `sequence` counts from 0. The stream ends with a FinalRecord whose `records` and
// `digest` (CRC-32C) cover every record before it, so a run that stops early or loses a record can never look like a
// pass.
//
// Layout rules (so that guest code compiled -m32, where alignof(uint64_t) == 4 inside structs, and -m64 agree):
// every 64-bit field sits at an offset that is a multiple of 8, padding is explicit, every struct is alignas(8),
// and every size and offset is pinned by a static_assert below.
//
// Versioning: kProtocolVersion changes whenever a layout below (or in runner_records.hpp) changes. Record types
// 0x10-0x3f belong to the scenario runner (runner_records.hpp), 0x40-0x4f to the access matrix (matrix_records.hpp);
// 0x50-0xff are for later use. A decoder rejects a
// type it does not know.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pagewalk::harness {

inline constexpr std::uint32_t kRecordMagic = 0x4b4c5750;  // bytes "PWLK"
/// 2: the scenario runner's records; 3: control_write; 4: the guest's own verdicts (GuestJudgement in access, entry and
/// control_write records; program_begin / program_end around every program of a boot); 5: access widths and
/// page-crossing accesses (AccessRecord: width, crosses, the second page's prediction and entries); 6: the access
/// matrix's records (matrix_records.hpp).
inline constexpr std::uint16_t kProtocolVersion = 7;
/// Largest record any side may send or accept (bounds the host's guest-memory read and the serial line).
inline constexpr std::uint32_t kMaxRecordSize = 512;
/// Longest text in a LogRecord.
inline constexpr std::uint32_t kMaxLogText = 240;

/// What a record carries. Values are part of the protocol.
enum class RecordType : std::uint16_t {
    hello = 1,      ///< first record of every run: who is talking and what CPU it sees
    log = 2,        ///< bounded free text for humans
    exception = 3,  ///< an exception the guest took (deliberate or not)
    final = 4,      ///< last record: counts and digest of everything before it
    // 0x10..0x3f: the scenario runner (runner_records.hpp).
    first_runner_type = 0x10,
    run_info = 0x10,       ///< the program started: where its data and tables are, the registers it runs with
    announce = 0x11,       ///< an access is about to happen (the vCPU stops; the host walks the live tables)
    access = 0x12,         ///< what an access did, what the guest predicted, the entries before and after
    entry = 0x13,          ///< an entry read back (A/D bits)
    step_failed = 0x14,    ///< a step could not be carried out (mapper error, missing feature…)
    control_write = 0x15,  ///< a control-register write that loads the PAE PDPTE registers, or a reload_cr3 step
    program_begin = 0x16,  ///< a program (multiboot module) starts: which module, which scenario and mode
    program_end = 0x17,    ///< a program ended: the guest's own verdict and step counts
    last_known_runner_type = 0x17,
    last_runner_type = 0x3f,
    // 0x40..0x4f: the access matrix (matrix_records.hpp).
    matrix_begin = 0x40,        ///< a matrix job starts: the job, the CPU, the batch size
    matrix_block = 0x41,        ///< one block's counts per outcome class and digest
    matrix_case = 0x42,         ///< a mismatch or sampled agreement (an access record follows)
    matrix_end = 0x43,          ///< the job's totals and status
    matrix_class = 0x44,        ///< one class of mismatches: its signature and count
    matrix_calibration = 0x45,  ///< calibration: a bare loop starts or ended
};

/// Common header of every record (16 bytes).
struct alignas(8) RecordHeader {
    std::uint32_t magic;     ///< kRecordMagic
    std::uint16_t version;   ///< kProtocolVersion
    std::uint16_t type;      ///< RecordType
    std::uint32_t length;    ///< whole record, header included, <= kMaxRecordSize
    std::uint32_t sequence;  ///< 0, 1, 2 … in sending order
};

/// Which way the guest was started (the hello record says it, so a result names the entry path it proves).
enum class EntryPath : std::uint8_t {
    unknown = 0,
    multiboot1 = 1,  ///< 32-bit protected mode, EAX = 0x2BADB002 (QEMU -kernel, the host launcher's 32-bit path)
    multiboot2 = 2,  ///< 32-bit protected mode, EAX = 0x36D76289 (GRUB multiboot2)
    direct64 = 3,    ///< host launcher started the vCPU in 64-bit mode at BootHeader::entry64
};

/// Which transport carries the records.
enum class TransportKind : std::uint8_t { none = 0, hypercall = 1, serial = 2 };

/// First record of every run (Intel SDM Vol. 2A "CPUID" for the leaves quoted).
struct alignas(8) HelloRecord {
    RecordHeader header;
    std::uint32_t protocol_version;   ///< kProtocolVersion as compiled into the guest
    std::uint8_t entry_path;          ///< EntryPath
    std::uint8_t transport;           ///< TransportKind
    std::uint8_t code_bits;           ///< 32 or 64: the compiled code that sent this record
    std::uint8_t cpl;                 ///< privilege level of the sender (0)
    std::uint64_t build_id;           ///< BootHeader::build_id of the image
    char vendor[12];                  ///< CPUID.0: EBX, EDX, ECX
    std::uint32_t max_basic_leaf;     ///< CPUID.0:EAX
    std::uint32_t max_extended_leaf;  ///< CPUID.80000000H:EAX
    std::uint32_t leaf1_ecx;          ///< CPUID.1:ECX
    std::uint32_t leaf1_edx;          ///< CPUID.1:EDX (PSE bit 3, PAE bit 6, PGE bit 13, PSE-36 bit 17)
    std::uint32_t leaf7_ebx;          ///< CPUID.(7,0):EBX (SMEP bit 7, SMAP bit 20)
    std::uint32_t leaf7_ecx;          ///< CPUID.(7,0):ECX (PKU bit 3, LA57 bit 16)
    std::uint32_t ext1_edx;           ///< CPUID.80000001H:EDX (NX bit 20, 1 GiB pages bit 26, LM bit 29)
    std::uint8_t maxphyaddr;          ///< CPUID.80000008H:EAX[7:0] (36 when the leaf is absent)
    std::uint8_t maxlinaddr;          ///< CPUID.80000008H:EAX[15:8]
    std::uint16_t reserved0;
    std::uint32_t reserved1;
    std::uint64_t cr0;  ///< control registers when the record was built
    std::uint64_t cr4;
    std::uint64_t efer;  ///< IA32_EFER (0 if the CPU has no long mode)
};

/// Bounded text; `length` is exactly sizeof(LogHeaderPart) + text_length (no terminator, no padding).
struct alignas(8) LogRecord {
    RecordHeader header;
    std::uint16_t level;        ///< 0 info, 1 warning, 2 error
    std::uint16_t text_length;  ///< <= kMaxLogText
    std::uint32_t reserved;
    char text[kMaxLogText];
};
inline constexpr std::uint32_t kLogFixedSize = 24;  ///< bytes of a LogRecord before `text`

/// An exception taken by the guest (Intel SDM Vol. 3A §6.12 for the frame; §4.7 for the #PF error code).
struct alignas(8) ExceptionRecord {
    RecordHeader header;
    std::uint32_t step;           ///< guest-chosen id of the step that took it (0 = outside any step)
    std::uint8_t vector;          ///< 0..31
    std::uint8_t cpl;             ///< CS.RPL of the interrupted code
    std::uint16_t cs;             ///< interrupted CS selector
    std::uint64_t error_code;     ///< valid when has_error_code
    std::uint64_t cr2;            ///< CR2 when the handler ran (the faulting linear address for #PF)
    std::uint64_t rip;            ///< interrupted RIP / EIP
    std::uint64_t rflags;         ///< interrupted RFLAGS
    std::uint64_t rsp;            ///< interrupted RSP
    std::uint8_t has_error_code;  ///< 1 for #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX
    std::uint8_t code_bits;       ///< 32 or 64: the mode of the interrupted code
    std::uint8_t expected;        ///< 1 when the guest asked for it (try_access); 0 for a stray exception
    std::uint8_t reserved0;
    std::uint32_t reserved1;
};

/// Last record: `records` records (sequence 0..records-1) came before it, their CRC-32C chain is `digest`.
struct alignas(8) FinalRecord {
    RecordHeader header;
    std::uint32_t records;  ///< records sent before this one
    std::uint32_t steps;    ///< scenario steps (or self-test checks) executed
    std::uint32_t digest;   ///< Crc32c over the bytes of every earlier record, in order
    std::uint32_t status;   ///< ExitStatus the guest is about to exit with
};

// ---- layout pins (checked in every build: -m32 guest, -m64 guest, host) ----
static_assert(sizeof(RecordHeader) == 16 && alignof(RecordHeader) == 8);
static_assert(offsetof(RecordHeader, magic) == 0 && offsetof(RecordHeader, version) == 4);
static_assert(offsetof(RecordHeader, type) == 6 && offsetof(RecordHeader, length) == 8);
static_assert(offsetof(RecordHeader, sequence) == 12);

static_assert(sizeof(HelloRecord) == 104);
static_assert(offsetof(HelloRecord, protocol_version) == 16 && offsetof(HelloRecord, entry_path) == 20);
static_assert(offsetof(HelloRecord, transport) == 21 && offsetof(HelloRecord, code_bits) == 22);
static_assert(offsetof(HelloRecord, cpl) == 23 && offsetof(HelloRecord, build_id) == 24);
static_assert(offsetof(HelloRecord, vendor) == 32 && offsetof(HelloRecord, max_basic_leaf) == 44);
static_assert(offsetof(HelloRecord, max_extended_leaf) == 48 && offsetof(HelloRecord, leaf1_ecx) == 52);
static_assert(offsetof(HelloRecord, leaf1_edx) == 56 && offsetof(HelloRecord, leaf7_ebx) == 60);
static_assert(offsetof(HelloRecord, leaf7_ecx) == 64 && offsetof(HelloRecord, ext1_edx) == 68);
static_assert(offsetof(HelloRecord, maxphyaddr) == 72 && offsetof(HelloRecord, maxlinaddr) == 73);
static_assert(offsetof(HelloRecord, cr0) == 80 && offsetof(HelloRecord, cr4) == 88);
static_assert(offsetof(HelloRecord, efer) == 96);

static_assert(offsetof(LogRecord, level) == 16 && offsetof(LogRecord, text_length) == 18);
static_assert(offsetof(LogRecord, text) == kLogFixedSize);
static_assert(sizeof(LogRecord) == kLogFixedSize + kMaxLogText);

static_assert(sizeof(ExceptionRecord) == 72);
static_assert(offsetof(ExceptionRecord, step) == 16 && offsetof(ExceptionRecord, vector) == 20);
static_assert(offsetof(ExceptionRecord, cpl) == 21 && offsetof(ExceptionRecord, cs) == 22);
static_assert(offsetof(ExceptionRecord, error_code) == 24 && offsetof(ExceptionRecord, cr2) == 32);
static_assert(offsetof(ExceptionRecord, rip) == 40 && offsetof(ExceptionRecord, rflags) == 48);
static_assert(offsetof(ExceptionRecord, rsp) == 56 && offsetof(ExceptionRecord, has_error_code) == 64);
static_assert(offsetof(ExceptionRecord, code_bits) == 65 && offsetof(ExceptionRecord, expected) == 66);

static_assert(sizeof(FinalRecord) == 32);
static_assert(offsetof(FinalRecord, records) == 16 && offsetof(FinalRecord, steps) == 20);
static_assert(offsetof(FinalRecord, digest) == 24 && offsetof(FinalRecord, status) == 28);

static_assert(sizeof(LogRecord) <= kMaxRecordSize && sizeof(HelloRecord) <= kMaxRecordSize);

/// Fills a header (the guest's Reporter sets `sequence` when it sends).
constexpr RecordHeader make_header(RecordType type, std::uint32_t length) {
    return RecordHeader{kRecordMagic, kProtocolVersion, static_cast<std::uint16_t>(type), length, 0};
}

}  // namespace pagewalk::harness
