// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix --emit-scenarios: one class of mismatches as a scenario file (scenarios/README.md) that
// `pagewalk run` reruns alone — the first example's control state, its entries exactly as the access found them
// (every level the walk read: flags, reserved bits, protection keys; the addresses are the scenario's own) and its
// access, judged by the walker (expect = "model") as the matrix judged it. A pure function: no file, no guest.
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/dimensions.hpp>
#include <pagewalk/mode.hpp>
#include <string>
#include <vector>

#include "matrix/matrix_checker.hpp"

namespace pagewalk::host::matrix {

/// What one row of the matrix knows about a class of mismatches.
struct ClassInRow {
    PagingMode mode = PagingMode::long4;
    hm::Space space = hm::Space::standard;
    CpuFeatures cpu{};            ///< the guest's CPU (matrix_begin): MAXPHYADDR, vendor
    std::string backend;          ///< "kvm" or "qemu"
    std::string backend_version;  ///< as the known deviations match it
    std::string qemu_cpu;         ///< QEMU's -cpu model of a QEMU row ("" on KVM)
    std::uint64_t count = 0;      ///< mismatches of the class over the row's boots
    ClassExample example;         ///< the class and its first example
};

/// A scenario file's text and what it could not express.
struct ClassScenario {
    std::string stem;  ///< the file name without ".toml": deviation id or "unexplained", mode, backend, signature
    std::string text;  ///< the TOML file
    /// What the scenario could not say of the case ("" none): also written into the file.
    std::vector<std::string> unexpressed;
};

/// The file name (without ".toml") of `c`'s scenario: "matrix-<deviation id | unexplained>-<mode>-<backend>-" and
/// the class signature.
std::string class_stem(const ClassInRow& c);

/// The scenario of `c`'s first example, named `stem` (default: class_stem(c)).
ClassScenario scenario_of_class(const ClassInRow& c, const std::string& stem = {});

/// The short signature of a class in a file name: "read-cpl3-implicit-ac-4k-pf0x9-vs-pf0x8" (access, CPL, flags,
/// leaf size, predicted and observed outcome, and which other parts mismatched: "-ad", "-value").
std::string class_signature(const harness::MatrixClassRecord& k, PagingMode mode);

}  // namespace pagewalk::host::matrix
