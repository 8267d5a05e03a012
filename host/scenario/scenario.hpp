// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: a scenario as read from its TOML file — what the author wrote, with where they wrote it.
//
// The parser (parser.hpp) fills these; the compiler (compiler.hpp) turns one scenario and one paging mode into a
// program for the guest plus the expectations the checks need. Format: scenarios/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <pagewalk/harness/program.hpp>
#include <pagewalk/mode.hpp>
#include <string>
#include <vector>

namespace pagewalk::host::scenario {

/// Where something was written: file, line and column (1-based; 0 when unknown), and the key path.
struct SourcePos {
    std::string file;
    int line = 0;
    int column = 0;
};

/// One problem in a scenario file: "FILE:LINE:COL: KEY: MESSAGE".
struct Diagnostic {
    Diagnostic() = default;
    Diagnostic(SourcePos p, std::string k, std::string m)
        : pos(std::move(p)), key(std::move(k)), message(std::move(m)) {}
    SourcePos pos;
    std::string key;  ///< dotted key path, e.g. "step[3].expect.error"
    std::string message;
    [[nodiscard]] std::string to_string() const;
};

// Paging modes are the walker's (pagewalk::PagingMode, named by to_string(), parsed by paging_mode_from_name()).

/// Feature names as in scenario files ("nx", "smep", …) ↔ harness::feature bits.
std::optional<std::uint32_t> feature_from_name(const std::string& s);
std::string feature_names(std::uint32_t bits);  ///< "nx smep" (empty for 0)

/// Which entry a step names: a level number (1 = PTE … 5 = PML5E) or the mode's top level.
struct EntryRef {
    unsigned level = 0;  ///< 0 = "top"
    [[nodiscard]] unsigned resolve(PagingMode m) const { return level == 0 ? shape(m).levels : level; }
};

/// The paging-structure entry of one level that maps linear address `of` (an expectation, or where a recursive
/// address points: `va = { recursive = "PTE", of = … }`).
struct EntryOf {
    EntryRef entry;
    std::uint64_t of = 0;
};

/// What an access (or an entry readback) must do.
struct Expectation {
    enum class Kind : std::uint8_t {
        ok,     ///< no exception; optionally a value or one of some data frames reached
        fault,  ///< an exception: vector, error code, CR2
        model,  ///< whatever the walker predicts (the prediction check still runs)
        entry,  ///< read_entry: A and/or D bits
        /// a stale access: completes (a read: from one of `frames`, when given) or raises the fault (vector,
        /// error code, CR2) — whichever translation the TLB used (SDM Vol. 3A §4.10.4)
        ok_or_fault,
    } kind = Kind::model;
    std::optional<std::uint64_t> value;       ///< ok: exact value read
    std::vector<std::uint32_t> frames;        ///< ok: the byte read lies in one of these data frames
    std::uint8_t vector = 14;                 ///< fault
    std::optional<std::uint32_t> error_code;  ///< fault: exact error code (absent: any)
    std::optional<std::uint64_t> cr2;         ///< fault #PF: CR2 (absent: the access's va)
    std::optional<bool> accessed, dirty;      ///< entry
    std::optional<EntryOf> table_entry;       ///< ok: a read returns this paging-structure entry (recursive slot)
    SourcePos pos;
};

/// One step as written.
struct StepSpec {
    harness::StepOp op = harness::StepOp::access;
    std::uint32_t id = 0;  ///< 1-based position in the file
    std::string name;      ///< optional label
    SourcePos pos;
    std::vector<PagingMode> modes;  ///< empty: every mode of the scenario
    std::uint64_t va = 0;
    std::optional<EntryOf> recursive_va;  ///< va = { recursive = "PTE", of = … }: the compiler computes va
    std::uint64_t size = 0;
    unsigned slot = 0;  ///< recursive: the top-level entry that points to its own table
    // map / poke
    std::optional<std::uint64_t> pa;     ///< absolute physical address
    std::optional<std::uint32_t> frame;  ///< data frame (4 KiB) — exactly one of pa / frame for map and poke
    std::uint64_t offset = 0;            ///< poke: byte offset in the frame
    std::uint8_t rights = 0;             ///< harness::step_rights
    std::uint8_t sizes = 7;              ///< page sizes allowed (1 = 4K, 2 = 2M/4M, 4 = 1G)
    bool global = false, replace = false, flush = true;
    std::uint8_t pat = 0, pkey = 0;
    // edit_entry / read_entry
    EntryRef entry;
    std::uint64_t set_bits = 0, clear_bits = 0;
    bool set_maxphyaddr_bit = false;  ///< edit: also set bit MAXPHYADDR (the guest knows it)
    // access
    harness::AccessKind kind = harness::AccessKind::read;
    std::uint8_t cpl = 0;
    bool ac = false, implicit = false, stale = false;
    std::optional<std::uint64_t> value;  ///< write: the value written (default: derived from the step id)
    std::uint8_t width = 8;              ///< read / write: bytes accessed (`size` = 1, 2, 4, 8)
    // set_control
    std::uint32_t control_set = 0, control_clear = 0;
    std::optional<std::uint32_t> pkru;
    // load_cr3 / invpcid (the no-flush bit of load_cr3 is `flush = false`, written `noflush = true`)
    std::uint16_t pcid = 0;
    std::uint8_t invpcid_type = 0;  ///< 0 address (va = `address`), 1 single context, 2 all, 3 all but global
    std::optional<Expectation> expect;
};

/// A whole scenario file.
struct Scenario {
    std::string file;
    std::string name, description, rule;
    std::vector<std::string> tags;  ///< for selecting (`pagewalk run --tag T`); features are tags too
    std::vector<PagingMode> modes;
    std::uint32_t features = 0;  ///< declared; the compiler adds what controls and steps imply
    std::string qemu_cpu;        ///< QEMU -cpu value; empty = "max"
    std::uint32_t controls = 0;  ///< harness::control bits on at start
    /// `[control] pse = true` written out: kept in PAE and 4/5-level paging too (where PS ignores it, SDM §4.4, §4.5);
    /// the default PSE = 1 applies to 32-bit paging only.
    bool pse_explicit = false;
    std::optional<std::uint32_t> pkru;
    std::optional<std::uint32_t> data_frames;
    std::uint32_t table_frames = 64;
    std::uint32_t memory_mib = 64;
    std::vector<StepSpec> steps;
};

}  // namespace pagewalk::host::scenario
