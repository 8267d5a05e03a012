// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/iso_check.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <pagewalk/harness/framing.hpp>
#include <pagewalk/harness/qr.hpp>
#include <sstream>

#include "backend/backend.hpp"
#include "check/evaluate.hpp"
#include "check/guest_verdict.hpp"
#include "check/program_stream.hpp"
#include "iso/guest_lines.hpp"
#include "iso/matrix_capture.hpp"
#include "iso/run_summary.hpp"
#include "iso/screenshot.hpp"
#include "report/report.hpp"
#include "util/file.hpp"

namespace pagewalk::host::iso {
namespace {

std::string ms(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.0f ms", v);
    return b;
}

check::Evaluation did_not_run(const std::string& why) {
    check::Evaluation e;
    check::Finding f;
    f.check = "run";
    f.message = why;
    e.add(std::move(f));
    e.guest_agrees = false;
    e.run_broke = true;
    e.conclude();
    return e;
}

}  // namespace

bool IsoCheckResult::ok() const {
    return agree && problems.empty() && report::totals(programs).failed == 0;
}

namespace {

/// The checks of one boot's records and console text (`run`), whichever way they were obtained.
IsoCheckResult check_run(const IsoPlan& plan, const RunResult& run, const check::BackendInfo& backend,
                         const std::string& title, bool verbose, std::vector<std::string> stream_problems = {}) {
    IsoCheckResult out;
    out.problems = std::move(stream_problems);

    // Every program, by its scenario id (the ISO's order is the id order).
    const std::vector<check::ProgramSlice> slices = check::split_programs(run);
    std::map<std::uint32_t, const check::ProgramSlice*> by_id;
    for (const auto& s : slices) by_id.emplace(s.begin.scenario_id, &s);
    if (slices.size() != plan.programs.size())
        out.problems.push_back(std::to_string(slices.size()) + " programs ran, the ISO has " +
                               std::to_string(plan.programs.size()));
    std::size_t expect_passed = 0, expect_failed = 0, expect_skipped = 0;
    for (std::size_t i = 0; i < plan.programs.size(); ++i) {
        const IsoProgram& p = plan.programs[i];
        suite::JobResult r;
        r.file = p.scenario->file;
        r.scenario = p.scenario->name;
        r.rule = p.scenario->rule;
        r.mode = p.mode;
        r.backend = backend.name + "-iso";
        const auto it = by_id.find(p.program.scenario_id);
        if (it == by_id.end()) {
            r.eval = did_not_run("the program did not run (no program_begin record for scenario id " +
                                 std::to_string(p.program.scenario_id) + ")");
        } else {
            const check::ProgramSlice& s = *it->second;
            r.ms = s.ms;
            r.eval = check::evaluate(p.program, check::program_run(run, s), nullptr, backend);
            if (s.begin.module_index != i)
                out.problems.push_back(r.scenario + " [" + to_string(p.mode) + "] ran as module " +
                                       std::to_string(s.begin.module_index + 1) + ", the ISO lists it " +
                                       std::to_string(i + 1) + "th");
        }
        switch (check::expected_guest_verdict(r.eval)) {
            case harness::ProgramVerdict::passed:
                ++expect_passed;
                break;
            case harness::ProgramVerdict::skipped:
                ++expect_skipped;
                break;
            default:
                ++expect_failed;
                break;
        }
        out.agree = out.agree && r.eval.guest_agrees;
        out.programs.push_back(std::move(r));
    }

    // The guest's human lines against its own records and the host's expectations.
    const std::vector<GuestLine> lines = parse_program_lines(run.console);
    std::map<std::uint32_t, const GuestLine*> line_at;
    for (const auto& l : lines) line_at.emplace(l.index, &l);
    std::size_t lines_agree = 0;
    for (const auto& s : slices) {
        const auto l = line_at.find(s.begin.module_index + 1);
        const std::string want_name = std::string(s.begin.name, strnlen(s.begin.name, sizeof s.begin.name));
        const std::string what = "module " + std::to_string(s.begin.module_index + 1);
        if (l == line_at.end()) {
            out.problems.push_back(what + ": no line on the serial console");
            continue;
        }
        const GuestLine& g = *l->second;
        const std::string verdict = s.ended ? check::verdict_word(s.end.verdict) : "?";
        if (g.verdict != verdict || g.name != want_name.substr(0, kNameWidth) || g.total != plan.programs.size())
            out.problems.push_back(what + ": the line says " + g.verdict + " " + g.mode + " '" + g.name + "' (of " +
                                   std::to_string(g.total) + "), the records " + verdict + " '" + want_name + "'");
        else
            ++lines_agree;
    }
    const std::string want_summary = summary_line(expect_passed, expect_failed, expect_skipped, plan.programs.size());
    const std::optional<std::string> summary = find_summary_line(run.console);
    if (!summary)
        out.problems.push_back("no summary line on the serial console (the guest did not finish)");
    else if (*summary != want_summary)
        out.problems.push_back("the guest's summary line is \"" + *summary + "\", the host's checks say \"" +
                               want_summary + "\"");
    // The carry-away summary (what the guest's QR code holds), from the records and the CPU line.
    Expected<harness::summary::Summary> carry = summary_from_run(run, slices);
    if (!carry)
        out.problems.push_back("no run summary: " + carry.error());
    else
        out.summary = summary_text(*carry);
    if (!out.problems.empty()) out.agree = false;

    // The report.
    std::ostringstream r;
    r << title << "\n";
    r << "  boot: " << to_string(run.outcome) << (run.detail.empty() ? "" : " (" + run.detail + ")");
    if (run.total_ms > 0)  // 0: a capture (--serial-log), nothing was timed
        r << "; firmware + GRUB to the guest's first record "
          << (run.first_record_ms >= 0 ? ms(run.first_record_ms) : "-") << ", every program "
          << ms(run.total_ms - std::max(0.0, run.first_record_ms)) << ", total " << ms(run.total_ms);
    r << "\n";
    if (verbose)
        for (const auto& l : lines)
            r << "  guest: [" << l.index << "/" << l.total << "] " << l.verdict << " " << l.mode << " " << l.name << " "
              << l.detail << "\n";
    r << report::console_report(out.programs, run.total_ms, verbose);
    std::size_t agreeing = 0;
    for (const auto& p : out.programs) agreeing += p.eval.guest_agrees ? 1 : 0;
    r << "\nguest verdicts: the guest's own checks agree with the host's on " << agreeing << " of "
      << out.programs.size() << " programs; " << lines_agree << " of " << slices.size()
      << " program lines match their records\n";
    r << "guest summary: " << (summary ? "\"" + *summary + "\"" : std::string("(none)"))
      << (summary && *summary == want_summary ? " — as the host's checks predict" : "") << "\n";
    if (carry)
        r << "\nthe run summary (what the QR code on the screen holds; `pagewalk iso --decode` prints it so):\n"
          << summary_report(*carry);
    if (!run.passed() && run.outcome != Outcome::guest_failed) r << format_result(run, false);
    out.report = r.str();
    return out;
}

/// The problems, and the verdict line, at the end of the report.
void conclude(IsoCheckResult& out) {
    std::ostringstream r;
    for (const auto& p : out.problems) r << "ISO PROBLEM: " << p << "\n";
    r << (out.ok() ? "ISO check passed" : "ISO check FAILED") << "\n";
    out.report += r.str();
}

/// The screenshot against the run: the summary line drawn with the guest's font, the QR code's text.
void check_screenshot(const IsoCheckOptions& o, const RunResult& run, IsoCheckResult& out) {
    std::ostringstream r;
    r << "\nscreen: " << o.screenshot;
    Expected<Image> image = read_ppm(o.screenshot);
    if (!image) {
        out.problems.push_back("no screenshot: " + image.error());
        out.report += r.str() + "\n";
        return;
    }
    const std::optional<TextGrid> grid = text_grid(image->width, image->height);
    r << " (" << image->width << "x" << image->height;
    if (grid) r << ", " << grid->columns << "x" << grid->rows << " cells, glyphs scaled " << grid->scale << "x";
    r << ")\n";
    const std::optional<std::string> summary = find_summary_line(run.console);
    const std::uint8_t pass_attr = 0x0a, fail_attr = 0x0c;  // guest/report/screen.hpp attr::pass, attr::fail
    if (summary) {
        const bool ok = summary->find(" 0 failed") != std::string::npos;
        const std::optional<unsigned> row = find_text_row(*image, *summary, ok ? pass_attr : fail_attr);
        if (row)
            r << "  the summary line is on text row " << *row << ", every pixel as the guest's font draws it\n";
        else
            out.problems.push_back("the screenshot does not show the summary line \"" + *summary + "\"");
    }
    const std::string zbarimg = find_zbarimg();
    if (zbarimg.empty()) {
        r << "  QR code: not read (zbarimg missing; Debian: zbar-tools)\n";
    } else if (Expected<std::string> text = read_qr_code(zbarimg, o.screenshot); !text) {
        out.problems.push_back("QR code: " + text.error());
    } else if (Expected<harness::summary::Summary> s = decode_summary(*text); !s) {
        out.problems.push_back("QR code: its text is not a run summary: " + s.error());
    } else if (*text != out.summary) {
        out.problems.push_back("QR code: its summary differs from the one the serial records give:\n" + *text +
                               "--- records:\n" + out.summary);
    } else {
        harness::qr::Code code;
        code.encode(reinterpret_cast<const std::uint8_t*>(text->data()), text->size());
        r << "  QR code: version " << code.version() << " (" << code.size() << "x" << code.size() << " modules), "
          << text->size() << " bytes, level M, read by zbarimg: the summary the serial records give\n";
    }
    out.report += r.str();
}

}  // namespace

std::string find_uefi_firmware() {
    // Debian 12's ovmf: the 4 MiB build first (the 2 MiB one is kept for old VMs), then other distributions' names.
    for (const char* path :
         {"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/ovmf/OVMF.fd",
          "/usr/share/qemu/OVMF.fd", "/usr/share/edk2/ovmf/OVMF_CODE.fd"}) {
        std::ifstream f(path, std::ios::binary);
        if (f) return path;
    }
    return "";
}

IsoCheckResult check_iso(const IsoPlan& plan, const IsoCheckOptions& o) {
    const backend::BackendStatus q = backend::status(kIsoCheckBackend);
    BootOptions b;
    b.iso_path = o.iso;
    if (o.firmware == Firmware::uefi) b.uefi_firmware = find_uefi_firmware();
    b.timeout_s = o.timeout_s;
    b.memory_bytes = std::max(plan.memory_bytes, o.memory_bytes);
    b.qemu_cpu = o.qemu_cpu;
    b.screenshot_path = o.screenshot;
    b.screen_width = o.screen_width;
    b.screen_height = o.screen_height;
    if (!o.screenshot.empty()) std::filesystem::remove(o.screenshot);  // never check an old one
    const RunResult run = backend::boot(kIsoCheckBackend, b);
    const check::BackendInfo qemu{std::string(backend_name(kIsoCheckBackend)), q.version};
    const std::string title =
        "pagewalk iso --check: " + o.iso + " under qemu-system-x86_64 -cpu " + o.qemu_cpu + " -m " +
        std::to_string(b.memory_bytes >> 20) + " (" + q.version + "), " +
        (b.uefi_firmware.empty() ? std::string("BIOS (SeaBIOS)") : "UEFI (" + b.uefi_firmware + ")");
    if (is_matrix_boot(run)) return check_matrix_boot(plan, run, qemu, title, o.verbose, {});
    IsoCheckResult out = check_run(plan, run, qemu, title, o.verbose);
    if (!o.screenshot.empty()) check_screenshot(o, run, out);
    conclude(out);
    return out;
}

IsoCheckResult check_serial_log(const IsoPlan& plan, const std::string& path, bool verbose,
                                std::optional<BackendKind> captured_under) {
    RunResult run;
    run.backend = "serial";
    run.entry = "a capture of COM1";
    RecordCollector collector(run);
    // A capture of the whole library is a few megabytes; 64 MiB is plenty, and /dev/zero is refused. A pipe or a
    // serial device is accepted: the capture may come straight from one.
    const Expected<std::string> text = read_capped(path, 64u << 20, FileKind::any);
    if (!text) {
        IsoCheckResult out;
        out.problems.push_back(text.error());
        out.agree = false;
        out.report = "pagewalk iso --serial-log: " + text.error() + "\n";
        return out;
    }
    // One boot per capture: the guest's summary line and final record end it, and whatever follows (a second boot,
    // a FAIL line) is refused rather than ignored; so is a record stream that breaks. NUL bytes before a line (line
    // noise while the machine powers up) are dropped.
    std::vector<std::string> stream_problems;
    std::istringstream in(*text);
    bool summary_seen = false;
    std::size_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        line.erase(0, std::min(line.find_first_not_of('\0'), line.size()));
        const std::string where = path + ":" + std::to_string(line_number) + ": ";
        const bool record = line.find(harness::kLinePrefix) != std::string::npos;
        // The final record follows the summary line; after that, or any text after the summary, is another boot.
        if ((collector.final_seen() || (summary_seen && !record)) && !line.empty()) {
            stream_problems.push_back(
                where + "a line after the guest's summary (a second boot or a later line): " + "one boot per capture");
            break;
        }
        if (!collector.add_line(line, 0)) {
            stream_problems.push_back(where + "the record stream breaks here: " + run.detail);
            break;
        }
        summary_seen = summary_seen || is_summary_line(line);
    }
    collector.finish(false);
    check::BackendInfo machine{"serial", "a physical machine or any other"};
    std::string title = "pagewalk iso --serial-log: " + path + " (no backend deviations known: the SDM decides)";
    if (captured_under) {
        machine = {std::string(backend_name(*captured_under)), backend::status(*captured_under).version};
        title = "pagewalk iso --serial-log: " + path + " (captured under " + machine.name + ", " + machine.version +
                ": its known deviations apply)";
    }
    if (is_matrix_boot(run)) return check_matrix_boot(plan, run, machine, title, verbose, std::move(stream_problems));
    IsoCheckResult out = check_run(plan, run, machine, title, verbose, std::move(stream_problems));
    conclude(out);
    return out;
}

}  // namespace pagewalk::host::iso
