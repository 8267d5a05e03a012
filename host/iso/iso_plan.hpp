// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what goes on the bootable ISO — every scenario × mode compiled into a program, in the order the
// guest runs them (32-bit, PAE, 4-level, 5-level: the guest's 32-bit world runs the first two before it switches to
// long mode once), each with its scenario id (1…N, repeated in every record) and its path on the ISO. The GRUB
// configuration that loads them (grub_config) is a pure function of the plan.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <pagewalk/harness/matrix/job.hpp>
#include <string>
#include <vector>

#include "scenario/compiler.hpp"

namespace pagewalk::host::iso {

/// One program on the ISO.
struct IsoProgram {
    std::shared_ptr<const scenario::Scenario> scenario;
    PagingMode mode = PagingMode::long4;
    scenario::Program program;  ///< program.scenario points into *scenario
    std::string iso_path;       ///< "/pagewalk/4level/not-present.pwp"
};

/// A matrix job on the ISO: the whole default space of one mode (harness/matrix/job.hpp) — or, with a limit, the slice
/// `pagewalk matrix --limit` would run — a module of its own menu entry.
struct IsoMatrixJob {
    PagingMode mode = PagingMode::long4;
    harness::matrix::Job job{};
    std::vector<std::uint8_t> bytes;  ///< the Job
    std::string iso_path;             ///< "/pagewalk/matrix/4level.pwx"
};

/// Every program, or the scenario files' errors (then no ISO is made).
struct IsoPlan {
    std::vector<IsoProgram> programs;       ///< in boot order; programs[i].program.scenario_id == i + 1
    std::vector<IsoMatrixJob> matrix_jobs;  ///< one per mode planned, in the same order
    std::vector<std::string> errors;        ///< "FILE:LINE:COL: KEY: MESSAGE"
    std::uint64_t memory_bytes = 0;         ///< RAM the largest program needs (for QEMU; a physical machine has more)
};

/// Parses `files` and compiles each for every mode it names (only `mode`, when given); a matrix job per mode, each
/// the whole default space, or at most `matrix_limit` indices of it (the seeded slice of `pagewalk matrix --limit`).
IsoPlan plan_iso(const std::vector<std::string>& files, std::optional<PagingMode> mode,
                 std::optional<std::uint64_t> matrix_limit = std::nullopt);

/// The GRUB menu entry named `name` — "scenarios" (every scenario, every mode: entry 0), "scenarios-MODE", "matrix"
/// (every mode's matrix job) or "matrix-MODE" — as its index in grub_config's menu; nullopt when the plan has none.
std::optional<unsigned> menu_entry(const IsoPlan& plan, const std::string& name);

/// The GRUB configuration: serial and console terminals, every video driver (all_video), a menu entry that runs
/// every program and one per mode, then the access matrix: one entry per mode and one for every mode (each loads the
/// guest with `multiboot2`, asks for the framebuffer `gfxmode` — GRUB's gfxpayload syntax, e.g. "auto" or
/// "2560x1440,auto" — and loads its programs with `module2`), `timeout` seconds before `default_entry` (menu_entry).
std::string grub_config(const IsoPlan& plan, const std::string& guest_iso_path, unsigned timeout,
                        const std::string& gfxmode = "auto", unsigned default_entry = 0);

/// Whether `gfxmode` is a list GRUB's gfxpayload takes: "auto", "keep", "text" or WxH[xD], separated by ',' or ';'.
bool valid_gfxmode(const std::string& gfxmode);

/// A text manifest for the ISO (and for people): one line per program — id, mode, name, file, path on the ISO.
std::string manifest(const IsoPlan& plan);

}  // namespace pagewalk::host::iso
