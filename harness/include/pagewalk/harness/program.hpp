// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the compiled scenario program — what the host compiles from a scenario file and the guest
// executes. It reaches the guest as the multiboot module (KVM launcher `--module`, QEMU `-initrd`, GRUB
// `module2`); the guest never parses text.
//
//   ProgramHeader   magic "PWPG", version, sizes, scenario id and name, paging mode, control bits to turn on,
//                   PKRU, the CPU features the host assumes, how much data and page-table memory to set aside
//   Step[count]     fixed-size steps, each with an id (the scenario's step number), executed in order, and
//                   for every access, reload_cr3 and read_entry step what it must do (StepExpect): the guest judges
//                   its own run with these (so a boot with no host still says PASS or FAIL); the host checks again
//                   from the scenario file, independently
//
// Freestanding and identical in -m32 and -m64 builds (every 64-bit field 8-aligned, explicit padding,
// static_asserts below). `validate_program()` bounds-checks a whole program before the guest touches a step;
// the host's encoder runs the same check on what it writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <pagewalk/cpu.hpp>
#include <pagewalk/mode.hpp>

#include "step_expect.hpp"

namespace pagewalk::harness {

inline constexpr std::uint32_t kProgramMagic = 0x47505750;  // bytes "PWPG"
/// 1: the first format; 2: StepExpect in every step (88 bytes), CPU conditions (absent features, MAXPHYADDR);
/// 3: PCIDs (control::pcide, load_cr3, invpcid, feature::invpcid);
/// 4: access widths (Step::width: 1, 2, 4 or 8 bytes for explicit reads and writes, which may be misaligned and cross
/// a page boundary), ExpectKind::ok_or_fault.
inline constexpr std::uint16_t kProgramVersion = 4;
inline constexpr std::uint32_t kMaxProgramSteps = 4096;
inline constexpr std::uint32_t kMaxScenarioName = 48;  ///< bytes of the name, NUL-padded (not necessarily terminated)
/// Frames of scenario data the guest will set aside (64 MiB): bounds the guest's allocation and fill work.
inline constexpr std::uint32_t kMaxDataFrames = 16384;
/// Page-table frames the guest's allocator may hand out (4 MiB).
inline constexpr std::uint32_t kMaxTableFrames = 1024;
/// Bytes at the start of every data frame the guest fills with tags (see data_tag()).
inline constexpr std::uint32_t kTaggedBytes = 256;

/// Control bits, by name (the guest maps each to its register; the host never sends raw CR values).
/// Intel SDM Vol. 3A §2.5 (CR0, CR4), §2.2.1 (IA32_EFER).
namespace control {
inline constexpr std::uint32_t wp = 1u << 0;     ///< CR0.WP
inline constexpr std::uint32_t pse = 1u << 1;    ///< CR4.PSE (32-bit paging: 4 MiB pages)
inline constexpr std::uint32_t pge = 1u << 2;    ///< CR4.PGE
inline constexpr std::uint32_t smep = 1u << 3;   ///< CR4.SMEP
inline constexpr std::uint32_t smap = 1u << 4;   ///< CR4.SMAP
inline constexpr std::uint32_t pke = 1u << 5;    ///< CR4.PKE
inline constexpr std::uint32_t nxe = 1u << 6;    ///< IA32_EFER.NXE
inline constexpr std::uint32_t pcide = 1u << 7;  ///< CR4.PCIDE (IA-32e mode only; set only while CR3[11:0] = 0)
inline constexpr std::uint32_t all = (1u << 8) - 1;
}  // namespace control

/// CPU features a program needs (the host picks a backend that has them; the guest checks CPUID again and
/// reports a `feature_missing` step failure instead of touching a control bit the CPU lacks — QEMU 7.2 hangs on
/// a MOV to CR4 with an unsupported bit).
namespace feature {
inline constexpr std::uint32_t nx = 1u << 0;
inline constexpr std::uint32_t smep = 1u << 1;
inline constexpr std::uint32_t smap = 1u << 2;
inline constexpr std::uint32_t pku = 1u << 3;
inline constexpr std::uint32_t la57 = 1u << 4;
inline constexpr std::uint32_t page1gb = 1u << 5;
inline constexpr std::uint32_t pse = 1u << 6;
inline constexpr std::uint32_t pse36 = 1u << 7;
inline constexpr std::uint32_t pge = 1u << 8;
inline constexpr std::uint32_t pcid = 1u << 9;
inline constexpr std::uint32_t pat = 1u << 10;
inline constexpr std::uint32_t invpcid = 1u << 11;
inline constexpr std::uint32_t all = (1u << 12) - 1;

/// Each feature bit with the CpuFeatures flag it stands for: of() and features_of() read this one list.
struct FlagBit {
    bool CpuFeatures::*flag;
    std::uint32_t bit;
};
inline constexpr FlagBit kFlagBits[] = {
    {&CpuFeatures::nx, nx},     {&CpuFeatures::smep, smep},   {&CpuFeatures::smap, smap},
    {&CpuFeatures::pku, pku},   {&CpuFeatures::la57, la57},   {&CpuFeatures::page1gb, page1gb},
    {&CpuFeatures::pse, pse},   {&CpuFeatures::pse36, pse36}, {&CpuFeatures::pge, pge},
    {&CpuFeatures::pcid, pcid}, {&CpuFeatures::pat, pat},     {&CpuFeatures::invpcid, invpcid},
};

/// The feature bits of what CPUID says (CpuFeatures::from_cpuid).
constexpr std::uint32_t of(const CpuFeatures& c) {
    std::uint32_t bits = 0;
    for (const FlagBit& f : kFlagBits) bits |= c.*f.flag ? f.bit : 0;
    return bits;
}

/// The CpuFeatures that feature bits `bits` say (the inverse of of(); MAXPHYADDR and the vendor are not bits).
constexpr CpuFeatures features_of(std::uint32_t bits) {
    CpuFeatures c;
    for (const FlagBit& f : kFlagBits) c.*f.flag = (bits & f.bit) != 0;
    return c;
}
static_assert(of(features_of(all)) == all && of(features_of(smep | la57)) == (smep | la57));
}  // namespace feature

/// Program header flags.
namespace program_flag {
/// Under QEMU: after each access announcement the guest waits for one byte on COM1 from the host, so that the
/// host can walk the live tables (QEMU's RAM is a shared file) before the access happens.
inline constexpr std::uint8_t serial_handshake = 1u << 0;
inline constexpr std::uint8_t all = 1;
}  // namespace program_flag

/// What a step does. Values are part of the program format.
enum class StepOp : std::uint16_t {
    map = 1,           ///< map [va, va+size) → pa with rights/options (the walker's Mapper::map)
    unmap = 2,         ///< unmap [va, va+size)
    protect = 3,       ///< change the rights of [va, va+size)
    edit_entry = 4,    ///< entry of `level` for va: clear `b`, then set `a` (raw bits, reserved ones included)
    access = 5,        ///< one memory access (kind, width, CPL, EFLAGS.AC, implicit); `a` = value to write
    invlpg = 6,        ///< INVLPG va
    reload_cr3 = 7,    ///< MOV CR3, CR3
    toggle_pge = 8,    ///< clear and set CR4.PGE again (flushes global translations too)
    read_entry = 9,    ///< report the entry of `level` for va (A/D readback)
    set_control = 10,  ///< turn control bits `a` on and `b` off (control::…); `c` = PKRU when `flags & set_pkru`
    poke = 11,         ///< write the 8 bytes `a` to physical address `pa` (data-relative with pa_data)
    tag = 12,          ///< write data_tag() over the first kTaggedBytes of `a` data frames from data offset `pa`
    /// entry `a` of the top-level table points to that table (the walker's install_recursive_slot: present, R/W,
    /// supervisor), then a CR3 reload unless no_flush. Not in PAE paging (its PDPT cannot map itself).
    recursive = 13,
    /// MOV to CR3 with the PCID `a` (CR3[11:0], CR4.PCIDE = 1) and bit 63 set when `flags & no_flush`: the root
    /// stays the program's. 4-level and 5-level paging only.
    load_cr3 = 14,
    /// INVPCID of type `a` (0 address, 1 single context, 2 all with global, 3 all but global) for PCID `b` and
    /// address va. 4-level and 5-level paging only.
    invpcid = 15,
};
inline constexpr std::uint16_t kMaxStepOp = 15;

/// Step flags (meaning per op).
namespace step_flag {
inline constexpr std::uint8_t pa_data = 1u << 0;  ///< map/poke: `pa` is an offset into the guest's data area
inline constexpr std::uint8_t global = 1u << 1;   ///< map: G in the leaves
inline constexpr std::uint8_t replace = 1u << 2;  ///< map: replace existing mappings (remap)
/// map/unmap/protect/edit_entry/recursive: no TLB flush; load_cr3: bit 63 of the value (keep the PCID's entries)
inline constexpr std::uint8_t no_flush = 1u << 3;
inline constexpr std::uint8_t set_pkru = 1u << 4;  ///< set_control: write PKRU = c
/// edit_entry: also set bit MAXPHYADDR of the entry (a reserved address bit; the guest's CPUID says which).
inline constexpr std::uint8_t maxphyaddr_bit = 1u << 5;
inline constexpr std::uint8_t all = (1u << 6) - 1;
}  // namespace step_flag

/// Rights of a map/protect step (pagewalk::MapRights).
namespace step_rights {
inline constexpr std::uint8_t writable = 1u << 0;
inline constexpr std::uint8_t user = 1u << 1;
inline constexpr std::uint8_t executable = 1u << 2;
inline constexpr std::uint8_t all = 7;
}  // namespace step_rights

/// Kind of an access step (pagewalk::AccessType, plus the implicit descriptor-table read).
enum class AccessKind : std::uint8_t { read = 0, write = 1, fetch = 2 };

/// Access step flags.
namespace access_flag {
inline constexpr std::uint8_t ac = 1u << 0;  ///< EFLAGS.AC = 1 during the access
/// An implicit supervisor access (SDM Vol. 3A §4.6.1): the guest makes it as a descriptor-table read — an LDT
/// whose base is va, and a segment load of selector 0x7 (LDT index 0, RPL 3) at the step's CPL. Kind is read.
inline constexpr std::uint8_t implicit = 1u << 1;
inline constexpr std::uint8_t all = 3;
}  // namespace access_flag

/// One step (88 bytes). Which fields matter depends on `op` (see StepOp); unused fields are 0.
struct alignas(8) Step {
    std::uint16_t op;           ///< StepOp
    std::uint8_t flags;         ///< step_flag::… (access steps: unused)
    std::uint8_t level;         ///< edit_entry / read_entry: 1 = PTE … 5 = PML5E
    std::uint32_t id;           ///< the scenario's step number (records name it)
    std::uint64_t va;           ///< linear address
    std::uint64_t pa;           ///< map / poke: physical address (or data offset with pa_data)
    std::uint64_t a;            ///< map/unmap/protect: size; edit_entry: bits to set; access: value to write;
                                ///< set_control: control bits to set; poke: value; recursive: the slot
    std::uint64_t b;            ///< edit_entry: bits to clear; set_control: control bits to clear
    std::uint8_t rights;        ///< map/protect: step_rights::…
    std::uint8_t sizes;         ///< map: page sizes allowed (pagewalk::PageSizeBits: 1 = 4K, 2 = 2M/4M, 4 = 1G)
    std::uint8_t pat;           ///< map: PAT index (PAT << 2 | PCD << 1 | PWT)
    std::uint8_t pkey;          ///< map: protection key 0..14 (15 is the guest's own user pages')
    std::uint8_t access;        ///< access: AccessKind
    std::uint8_t cpl;           ///< access: 0 or 3
    std::uint8_t access_flags;  ///< access: access_flag::…
    /// access: bytes an explicit read or write accesses (1, 2, 4, 8; any alignment, possibly across a page
    /// boundary); 0 for a fetch and an implicit access (their widths are the instruction's)
    std::uint8_t width;
    // `c` is used by set_control (PKRU) only.
    std::uint32_t c;
    std::uint32_t reserved1;
    StepExpect expect;  ///< access, reload_cr3, read_entry: what the step must do (kind none elsewhere)
};

/// The program header (128 bytes). Steps follow at `step_offset`.
struct alignas(8) ProgramHeader {
    std::uint32_t magic;        ///< kProgramMagic
    std::uint16_t version;      ///< kProgramVersion
    std::uint16_t header_size;  ///< sizeof(ProgramHeader)
    std::uint32_t total_size;   ///< header + steps, bytes
    std::uint32_t step_count;   ///< <= kMaxProgramSteps
    std::uint32_t step_offset;  ///< == header_size
    std::uint32_t step_size;    ///< == sizeof(Step)
    std::uint32_t scenario_id;  ///< the host's number for this scenario × mode (records repeat it)
    std::uint8_t mode;          ///< pagewalk::PagingMode (paging on): program_mode() reads it
    std::uint8_t flags;         ///< program_flag::…
    std::uint16_t reserved0;
    char name[kMaxScenarioName];  ///< scenario name, NUL-padded
    std::uint32_t controls;       ///< control::… bits to turn on once the tables are live
    std::uint32_t pkru;           ///< PKRU to load (with control::pke)
    std::uint32_t features;       ///< feature::… the host assumes the CPU has (the guest checks CPUID)
    std::uint32_t data_frames;    ///< 4 KiB frames of scenario data (area aligned to 2 MiB), <= kMaxDataFrames
    std::uint32_t table_frames;   ///< page-table frames for the mapper, <= kMaxTableFrames
    /// Features the host's backend probe saw working although CPUID may not report them (kvm_pvm enforces SMEP
    /// and SMAP with CPUID bits clear): the guest accepts these without its CPUID check.
    std::uint32_t vouched_features;
    /// feature::… bits the CPU must NOT have ("feature absent" rules, e.g. PS in a PDPTE without 1 GiB pages): the
    /// guest skips the program where CPUID reports one of them. Disjoint from `features`.
    std::uint32_t absent_features;
    /// The MAXPHYADDR the program's steps assume (CPUID.80000008H:EAX[7:0]; e.g. a reserved bit 36), 0 = any: the
    /// guest skips the program on a CPU with another value.
    std::uint8_t maxphyaddr;
    std::uint8_t reserved3[3];
    std::uint64_t reserved2[2];
};

// ---- layout pins (checked in every build: -m32 guest, -m64 guest, host) ----
static_assert(sizeof(Step) == 88 && alignof(Step) == 8);
static_assert(offsetof(Step, op) == 0 && offsetof(Step, flags) == 2 && offsetof(Step, level) == 3);
static_assert(offsetof(Step, id) == 4 && offsetof(Step, va) == 8 && offsetof(Step, pa) == 16);
static_assert(offsetof(Step, a) == 24 && offsetof(Step, b) == 32 && offsetof(Step, rights) == 40);
static_assert(offsetof(Step, sizes) == 41 && offsetof(Step, pat) == 42 && offsetof(Step, pkey) == 43);
static_assert(offsetof(Step, access) == 44 && offsetof(Step, cpl) == 45 && offsetof(Step, access_flags) == 46);
static_assert(offsetof(Step, width) == 47 && offsetof(Step, c) == 48 && offsetof(Step, reserved1) == 52);
static_assert(offsetof(Step, expect) == 56);
static_assert(sizeof(ProgramHeader) == 128 && alignof(ProgramHeader) == 8);
static_assert(offsetof(ProgramHeader, total_size) == 8 && offsetof(ProgramHeader, step_count) == 12);
static_assert(offsetof(ProgramHeader, step_offset) == 16 && offsetof(ProgramHeader, step_size) == 20);
static_assert(offsetof(ProgramHeader, scenario_id) == 24 && offsetof(ProgramHeader, mode) == 28);
static_assert(offsetof(ProgramHeader, flags) == 29 && offsetof(ProgramHeader, name) == 32);
static_assert(offsetof(ProgramHeader, controls) == 80 && offsetof(ProgramHeader, pkru) == 84);
static_assert(offsetof(ProgramHeader, features) == 88 && offsetof(ProgramHeader, data_frames) == 92);
static_assert(offsetof(ProgramHeader, table_frames) == 96 && offsetof(ProgramHeader, vouched_features) == 100);
static_assert(offsetof(ProgramHeader, absent_features) == 104 && offsetof(ProgramHeader, maxphyaddr) == 108);
static_assert(offsetof(ProgramHeader, reserved2) == 112);

/// The tag a tag step writes at data-area offset `offset` (8-aligned, within the first kTaggedBytes of a frame): low
/// byte 0xC3 (RET, so a fetch from a tagged address returns at once), the offset above it — every tagged qword is
/// distinct, so a read names the physical address it reached.
constexpr std::uint64_t data_tag(std::uint64_t offset) {
    return (offset << 8) | 0xc3;
}
/// True when a tag step writes a tag at data-area offset `offset` of the frames it covers.
constexpr bool is_tagged(std::uint64_t offset) {
    return (offset & 7) == 0 && (offset & 0xfff) < kTaggedBytes;
}

/// Why a program is rejected.
enum class ProgramError : std::uint8_t {
    ok = 0,
    truncated,         ///< fewer bytes than the header, or than total_size
    bad_magic,         ///< magic != kProgramMagic
    bad_version,       ///< version != kProgramVersion
    bad_layout,        ///< header_size / step_offset / step_size / total_size inconsistent
    too_many_steps,    ///< step_count > kMaxProgramSteps
    bad_mode,          ///< mode is not a paging mode (pagewalk::PagingMode with paging on)
    bad_header_field,  ///< unknown control/feature/flag bits, data_frames or table_frames out of range
    bad_step_op,       ///< a step's op is not a StepOp
    bad_step_field,    ///< a step field out of range for its op
};

constexpr const char* to_string(ProgramError e) {
    switch (e) {
        case ProgramError::ok:
            return "ok";
        case ProgramError::truncated:
            return "program truncated";
        case ProgramError::bad_magic:
            return "bad program magic";
        case ProgramError::bad_version:
            return "unsupported program version";
        case ProgramError::bad_layout:
            return "inconsistent program layout";
        case ProgramError::too_many_steps:
            return "too many steps";
        case ProgramError::bad_mode:
            return "bad paging mode";
        case ProgramError::bad_header_field:
            return "program header field out of range";
        case ProgramError::bad_step_op:
            return "unknown step op";
        case ProgramError::bad_step_field:
            return "step field out of range";
    }
    return "?";
}

/// validate_program()'s answer: the error and, for step errors, the index of the offending step.
struct ProgramCheck {
    ProgramError error = ProgramError::ok;
    std::uint32_t step_index = 0;
    constexpr explicit operator bool() const { return error == ProgramError::ok; }
};

namespace detail {
constexpr std::uint32_t load_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
constexpr std::uint16_t load_le16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

/// An access step that reads or writes data with an explicit width (not a fetch, not an implicit access).
constexpr bool is_explicit_data(const Step& s) {
    return s.access != static_cast<std::uint8_t>(AccessKind::fetch) && (s.access_flags & access_flag::implicit) == 0;
}
constexpr bool is_access_width(unsigned w) {
    return w == 1 || w == 2 || w == 4 || w == 8;
}

/// Field ranges of one step (the walker's ModeShape for levels and table sizes; Step's comments for the rest).
constexpr bool step_fields_ok(const Step& s, PagingMode mode) {
    const ModeShape shape = pagewalk::shape(mode);
    const unsigned top = shape.levels;
    const bool access = s.op == static_cast<std::uint16_t>(StepOp::access);
    const bool reload = s.op == static_cast<std::uint16_t>(StepOp::reload_cr3);
    const bool read_entry = s.op == static_cast<std::uint16_t>(StepOp::read_entry);
    if ((s.flags & ~step_flag::all) != 0 || !expect_fields_ok(s.expect, access, reload, read_entry, kMaxDataFrames))
        return false;
    // A table entry is read by a plain read (8 bytes: two entries in 32-bit paging), of a level the mode has.
    if (s.expect.kind == static_cast<std::uint8_t>(ExpectKind::table_entry) &&
        (s.expect.vector > top || s.access != static_cast<std::uint8_t>(AccessKind::read) ||
         (s.access_flags & access_flag::implicit) != 0 || s.width != 8))
        return false;
    switch (static_cast<StepOp>(s.op)) {
        case StepOp::map:
            return s.a != 0 && (s.rights & ~step_rights::all) == 0 && s.sizes != 0 && (s.sizes & ~7u) == 0 &&
                   s.pat < 8 && s.pkey < 15;
        case StepOp::unmap:
        case StepOp::protect:
            return s.a != 0 && (s.rights & ~step_rights::all) == 0;
        case StepOp::edit_entry:
        case StepOp::read_entry:
            return s.level >= 1 && s.level <= top;
        case StepOp::access:
            return s.access <= static_cast<std::uint8_t>(AccessKind::fetch) && (s.cpl == 0 || s.cpl == 3) &&
                   (s.access_flags & ~access_flag::all) == 0 &&
                   ((s.access_flags & access_flag::implicit) == 0 || s.access == 0) &&
                   (is_explicit_data(s) ? is_access_width(s.width) : s.width == 0);
        case StepOp::set_control:
            return (s.a & ~std::uint64_t{control::all}) == 0 && (s.b & ~std::uint64_t{control::all}) == 0 &&
                   (s.a & s.b) == 0 && ((s.flags & step_flag::set_pkru) == 0 || (s.c >> 30) == 0);
        case StepOp::tag:
            return (s.flags & step_flag::pa_data) != 0 && (s.pa & 0xfff) == 0 && s.a != 0 && s.a <= kMaxDataFrames;
        case StepOp::poke:
            return (s.pa & 7) == 0;
        case StepOp::recursive:  // any entry of the top-level table; not PAE (its PDPT cannot map itself)
            return mode != PagingMode::pae && s.a < shape.at(top).entries() && (s.flags & ~step_flag::no_flush) == 0;
        case StepOp::load_cr3:
            return (mode == PagingMode::long4 || mode == PagingMode::long5) && s.a <= 0xfff &&
                   (s.flags & ~step_flag::no_flush) == 0;
        case StepOp::invpcid:
            return (mode == PagingMode::long4 || mode == PagingMode::long5) && s.a <= 3 && s.b <= 0xfff;
        case StepOp::invlpg:
        case StepOp::reload_cr3:
        case StepOp::toggle_pge:
            return true;
    }
    return false;
}
}  // namespace detail

/// Checks `size` bytes as a whole program: header, layout, every step. Reads nothing past data[size - 1].
/// After it says ok, `program_header(data)` and `program_steps(data)` may be used (the data must be 8-aligned).
inline ProgramCheck validate_program(const std::uint8_t* data, std::size_t size) {
    using detail::load_le16;
    using detail::load_le32;
    if (data == nullptr || size < sizeof(ProgramHeader)) return {ProgramError::truncated, 0};
    if (load_le32(data) != kProgramMagic) return {ProgramError::bad_magic, 0};
    if (load_le16(data + offsetof(ProgramHeader, version)) != kProgramVersion) return {ProgramError::bad_version, 0};
    const std::uint32_t header_size = load_le16(data + offsetof(ProgramHeader, header_size));
    const std::uint32_t total = load_le32(data + offsetof(ProgramHeader, total_size));
    const std::uint32_t count = load_le32(data + offsetof(ProgramHeader, step_count));
    const std::uint32_t step_offset = load_le32(data + offsetof(ProgramHeader, step_offset));
    const std::uint32_t step_size = load_le32(data + offsetof(ProgramHeader, step_size));
    if (header_size != sizeof(ProgramHeader) || step_offset != header_size || step_size != sizeof(Step))
        return {ProgramError::bad_layout, 0};
    if (count > kMaxProgramSteps) return {ProgramError::too_many_steps, 0};
    if (total != header_size + count * static_cast<std::uint32_t>(sizeof(Step))) return {ProgramError::bad_layout, 0};
    if (size < total) return {ProgramError::truncated, 0};
    const std::optional<PagingMode> mode = paging_mode_from_value(data[offsetof(ProgramHeader, mode)]);
    if (!mode) return {ProgramError::bad_mode, 0};
    const std::uint8_t flags = data[offsetof(ProgramHeader, flags)];
    const std::uint32_t controls = load_le32(data + offsetof(ProgramHeader, controls));
    const std::uint32_t pkru = load_le32(data + offsetof(ProgramHeader, pkru));
    const std::uint32_t features = load_le32(data + offsetof(ProgramHeader, features));
    const std::uint32_t data_frames = load_le32(data + offsetof(ProgramHeader, data_frames));
    const std::uint32_t table_frames = load_le32(data + offsetof(ProgramHeader, table_frames));
    const std::uint32_t absent = load_le32(data + offsetof(ProgramHeader, absent_features));
    const std::uint8_t maxphyaddr = data[offsetof(ProgramHeader, maxphyaddr)];
    if ((flags & ~program_flag::all) != 0 || (controls & ~control::all) != 0 || (features & ~feature::all) != 0 ||
        (load_le32(data + offsetof(ProgramHeader, vouched_features)) & ~feature::all) != 0 || (pkru >> 30) != 0 ||
        data_frames > kMaxDataFrames || table_frames == 0 || table_frames > kMaxTableFrames ||
        (absent & ~feature::all) != 0 || (absent & features) != 0 ||
        (maxphyaddr != 0 && (maxphyaddr < 32 || maxphyaddr > 52)))
        return {ProgramError::bad_header_field, 0};
    for (std::uint32_t i = 0; i < count; ++i) {
        Step s{};
        const std::uint8_t* p = data + step_offset + i * sizeof(Step);
        auto* out = reinterpret_cast<std::uint8_t*>(&s);
        for (std::size_t b = 0; b < sizeof(Step); ++b) out[b] = p[b];
        if (s.op == 0 || s.op > kMaxStepOp) return {ProgramError::bad_step_op, i};
        if (!detail::step_fields_ok(s, *mode)) return {ProgramError::bad_step_field, i};
    }
    return {};
}

/// The header of a validated, 8-aligned program.
inline const ProgramHeader& program_header(const std::uint8_t* data) {
    return *reinterpret_cast<const ProgramHeader*>(data);
}
/// The paging mode of a validated program.
inline PagingMode program_mode(const ProgramHeader& h) {
    return paging_mode_from_value(h.mode).value_or(PagingMode::long4);  // validate_program() checked it
}

/// The steps of a validated, 8-aligned program.
inline const Step* program_steps(const std::uint8_t* data) {
    return reinterpret_cast<const Step*>(data + program_header(data).step_offset);
}

}  // namespace pagewalk::harness
