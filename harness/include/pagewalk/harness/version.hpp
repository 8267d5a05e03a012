// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the project's version, for the guest (its run summary) and the host (which compares them).
// harness/CMakeLists.txt stops the configure step when it differs from project(pagewalk VERSION …).
#pragma once

namespace pagewalk::harness {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace pagewalk::harness
