// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the run summary (harness/summary.hpp) on the host's side — built from a boot's serial records and
// CPU line, as the guest builds the one its QR code carries; parsed back from the QR code's text; and the report
// both print (`pagewalk iso --decode`, the ISO check and the serial-log check).
#pragma once

#include <pagewalk/harness/summary.hpp>
#include <string>
#include <vector>

#include "check/program_stream.hpp"
#include "run/run_result.hpp"
#include "util/expected.hpp"

namespace pagewalk::host::iso {

/// The guest's CPU line on COM1 (guest/runner/cpu_line.hpp), taken apart.
struct CpuLine {
    std::string vendor, brand;
    std::uint32_t family = 0, model = 0, stepping = 0;
    bool microcode_known = false;
    std::uint32_t microcode = 0;
    std::uint32_t maxphyaddr = 0;
    std::string paging;  ///< the feature names
};

/// The first "cpu: …" line of `console`, or why there is none that parses.
Expected<CpuLine> find_cpu_line(const std::string& console);

/// The summary the guest should have drawn for this boot: version from the guest's build (this pagewalk's), build
/// id, vendor and features from the hello record, family/model/stepping/microcode from the CPU line, counts and
/// failures from the programs' records (`slices`, in module order).
Expected<harness::summary::Summary> summary_from_run(const RunResult& run,
                                                     const std::vector<check::ProgramSlice>& slices);

/// The text of a QR code (or a file holding it) decoded, with the line and reason when it is not a summary. "\r\n"
/// counts as "\n", and extra newlines at the end (zbarimg's) are dropped.
Expected<harness::summary::Summary> decode_summary(const std::string& text);

/// The summary for people: version and build, the CPU, per mode and in all the counts, every listed failure.
std::string summary_report(const harness::summary::Summary& s);

/// encode() of `s` as a string ("" when it does not fit).
std::string summary_text(const harness::summary::Summary& s);

}  // namespace pagewalk::host::iso
