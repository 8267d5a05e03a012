// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix --calibrate: the backend's bare rates, measured in the same run as the matrix — a read that hits,
// a read that page-faults into a bare handler (fault → handler → IRETQ), a PTE write + INVLPG (the guest's
// calibrate64.S loops, timed by the arrival of the records around them) — the physical limit the matrix's checks per
// second are compared with.
#pragma once

#include <optional>
#include <string>

#include "backend/kind.hpp"
#include "matrix/matrix_run.hpp"

namespace pagewalk::host::matrix {

struct Calibration {
    BackendKind backend = BackendKind::kvm;
    std::string error;  ///< why it could not be measured ("" when it was)
    double hits_per_s = 0, faults_per_s = 0, invlpg_per_s = 0;
};

/// Boots a calibration job (4-level paging, `iterations` per loop) on `backend`.
Calibration calibrate(BackendKind backend, const RunOptions& options, unsigned iterations = 50000);

/// The table of calibrations and, per row of the matrix on a calibrated backend, its checks per second as a share of
/// the backend's #PF round trips per second (every combination makes at most one access, which may fault).
std::string calibration_text(const std::vector<Calibration>& calibrations, const std::vector<RowResult>& rows);

}  // namespace pagewalk::host::matrix
