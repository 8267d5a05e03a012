// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: `pagewalk run` — every scenario × mode compiled, run on its backend (in parallel VMs), checked.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/kind.hpp"
#include "check/job_result.hpp"
#include "scenario/scenario.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::suite {

/// What `pagewalk run` was asked to do.
struct RunOptions {
    std::vector<std::string> files;  ///< scenario files; empty = every *.toml of scenario_dir
    /// What the command line named: files, directories, names, globs (suite/selection.hpp); resolved into `files`.
    std::vector<std::string> selectors;
    std::vector<std::string> tags;  ///< --tag
    std::string scenario_dir;
    BackendRequest backend;  ///< --backend: auto (the default), kvm or qemu
    std::optional<PagingMode> mode;
    unsigned jobs = 1;
    double timeout_s = 10.0;
    std::string guest_path;
    bool qemu_live = true;  ///< QEMU: shared RAM + serial handshake, for the live walk
    bool progress = true;   ///< the one progress line (stderr)
    /// With --backend kvm|qemu: exit 77 (ctest SKIP) with the reason when that backend cannot run at all.
    bool skip_if_unavailable = false;
};

using check::JobResult;

/// Scenario files: `files` as given, or the sorted *.toml files of `dir`.
/// An error names the directory when it cannot be listed.
Expected<std::vector<std::string>> scenario_files(const std::vector<std::string>& files, const std::string& dir);

/// Runs everything (`jobs` VMs at a time, the progress line on stderr); results in a stable order (file, then
/// mode), whatever order the runs finished in. After a SIGINT/SIGTERM/SIGHUP (util/interrupt.hpp) no job starts,
/// running VMs are ended, and only the runs that finished are returned.
std::vector<JobResult> run_suite(const RunOptions& options);

}  // namespace pagewalk::host::suite
