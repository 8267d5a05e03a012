// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/iso_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/space.hpp>
#include <regex>
#include <sstream>

#include "matrix/job_plan.hpp"
#include "scenario/parser.hpp"

namespace pagewalk::host::iso {
namespace {

/// RAM a program needs: image and modules below 4 MiB, page tables, the 2 MiB-aligned data area, slack (as
/// suite.cpp's memory_for, plus room for every module of the ISO).
std::uint64_t memory_for(const scenario::Scenario& s, const scenario::Program& p) {
    const std::uint64_t mib = 1ull << 20;
    const std::uint64_t need =
        8 * mib + std::uint64_t{s.table_frames} * 4096 + std::uint64_t{p.data_frames} * 4096 + 4 * mib;
    return std::max<std::uint64_t>(std::uint64_t{s.memory_mib} * mib, (need + mib - 1) & ~(mib - 1));
}

/// A file-name-safe form of a scenario name.
std::string file_name(const std::string& name) {
    std::string out;
    for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
    return out.empty() ? "program" : out;
}

}  // namespace

IsoPlan plan_iso(const std::vector<std::string>& files, std::optional<PagingMode> mode,
                 std::optional<std::uint64_t> matrix_limit) {
    IsoPlan plan;
    std::vector<std::shared_ptr<const scenario::Scenario>> scenarios;
    for (const std::string& f : files) {
        scenario::ParseResult p = scenario::parse_scenario_file(f);
        for (const auto& e : p.errors) plan.errors.push_back(e.to_string());
        if (p.ok()) scenarios.push_back(std::make_shared<const scenario::Scenario>(std::move(p.scenario)));
    }
    plan.memory_bytes = 128ull << 20;
    for (PagingMode m : kPagingModes) {  // 32bit, pae, 4level, 5level: the order the guest runs them
        if (mode && *mode != m) continue;
        for (const auto& s : scenarios) {
            if (std::find(s->modes.begin(), s->modes.end(), m) == s->modes.end()) continue;
            IsoProgram ip;
            ip.scenario = s;
            ip.mode = m;
            scenario::CompileOptions o;
            o.scenario_id = static_cast<std::uint32_t>(plan.programs.size() + 1);
            scenario::CompileResult c = scenario::compile(*s, m, o);
            for (const auto& e : c.errors) plan.errors.push_back(e.to_string());
            if (!c.ok()) continue;
            ip.program = std::move(c.program);
            ip.program.scenario = s.get();
            char id[16];
            std::snprintf(id, sizeof id, "%03u-", o.scenario_id);
            ip.iso_path = "/pagewalk/" + std::string(to_string(m)) + "/" + id + file_name(s->name) + ".pwp";
            plan.memory_bytes = std::max(plan.memory_bytes, memory_for(*s, ip.program));
            plan.programs.push_back(std::move(ip));
        }
    }
    for (PagingMode m : kPagingModes) {
        if (mode && *mode != m) continue;
        matrix::PlanOptions o;  // the defaults of `pagewalk matrix`: its sampling, its examples per class
        o.limit = matrix_limit;
        // A whole space over COM1 at 115200 baud: one agreement in 65536 sent in full (4-level: ~220 cases, ~20 s of
        // serial), not one in 4096 (~3,500 cases, minutes); a --matrix-limit slice keeps the default.
        if (!matrix_limit) o.sample_every = 65536;
        IsoMatrixJob ij;
        ij.mode = m;
        ij.job = matrix::plan_range(m, o);
        ij.bytes = matrix::job_bytes(ij.job);
        ij.iso_path = "/pagewalk/matrix/" + std::string(to_string(m)) + ".pwx";
        plan.matrix_jobs.push_back(std::move(ij));
    }
    return plan;
}

bool valid_gfxmode(const std::string& gfxmode) {
    if (gfxmode.empty()) return false;
    std::size_t start = 0;
    while (start <= gfxmode.size()) {
        const std::size_t end = std::min(gfxmode.find_first_of(",;", start), gfxmode.size());
        const std::string mode = gfxmode.substr(start, end - start);
        static const std::regex kSize("[1-9][0-9]{1,4}x[1-9][0-9]{1,4}(x(8|15|16|24|32))?");
        if (mode != "auto" && mode != "keep" && mode != "text" && !std::regex_match(mode, kSize)) return false;
        start = end + 1;
    }
    return true;
}

namespace {

std::vector<std::size_t> programs_per_mode(const IsoPlan& plan) {
    std::vector<std::size_t> n(static_cast<std::size_t>(PagingMode::long5) + 1);
    for (const IsoProgram& p : plan.programs) ++n[static_cast<unsigned>(p.mode)];
    return n;
}

}  // namespace

std::optional<unsigned> menu_entry(const IsoPlan& plan, const std::string& name) {
    // grub_config's order: every scenario, each mode's scenarios, each mode's matrix job, every matrix job.
    std::vector<std::string> names{"scenarios"};
    const std::vector<std::size_t> per_mode = programs_per_mode(plan);
    for (PagingMode m : kPagingModes)
        if (per_mode[static_cast<unsigned>(m)] != 0) names.push_back("scenarios-" + std::string(to_string(m)));
    for (const IsoMatrixJob& j : plan.matrix_jobs) names.push_back("matrix-" + std::string(to_string(j.mode)));
    if (plan.matrix_jobs.size() > 1) names.emplace_back("matrix");
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) return std::nullopt;
    return static_cast<unsigned>(it - names.begin());
}

std::string grub_config(const IsoPlan& plan, const std::string& guest_iso_path, unsigned timeout,
                        const std::string& gfxmode, unsigned default_entry) {
    std::ostringstream o;
    o << "# pagewalk: generated by `pagewalk iso`. The guest runs every module it is given and reports on COM1\n"
         "# (115200 8N1) and on the screen: the framebuffer GRUB sets up, or the VGA text screen.\n"
      << "set timeout=" << timeout << "\n"
      << "set default=" << default_entry << "\n"
      << "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n"
         "terminal_input console serial\n"
         "terminal_output console serial\n"
         "# The video drivers (VBE on BIOS, GOP on UEFI), so that the framebuffer the guest's multiboot2 header asks\n"
         "# for can be set up; without them GRUB reports \"no suitable video mode found\" and the guest has COM1 "
         "only.\n"
         "insmod all_video\n";
    const std::vector<std::size_t> per_mode = programs_per_mode(plan);
    for (PagingMode m : kPagingModes) {
        if (per_mode[static_cast<unsigned>(m)] == 0) continue;
        o << "\nfunction pagewalk_" << to_string(m) << " {\n";
        for (const IsoProgram& p : plan.programs)
            if (p.mode == m) o << "  module2 " << p.iso_path << "\n";
        o << "}\n";
    }
    // gfxpayload after multiboot2, which sets it from the header's framebuffer tag ("auto": no size asked for).
    const std::string kernel =
        "  multiboot2 " + guest_iso_path + " pw.test=program\n  set gfxpayload=" + gfxmode + "\n";
    o << "\nmenuentry \"pagewalk: every scenario, every mode (" << plan.programs.size() << " programs)\" {\n" << kernel;
    for (PagingMode m : kPagingModes)
        if (per_mode[static_cast<unsigned>(m)] != 0) o << "  pagewalk_" << to_string(m) << "\n";
    o << "  boot\n}\n";
    static const char* const titles[] = {"", "32-bit paging", "PAE paging", "4-level paging", "5-level paging"};
    static_assert(std::size(titles) == static_cast<std::size_t>(PagingMode::long5) + 1, "one title per mode");
    for (PagingMode m : kPagingModes) {
        const std::size_t n = per_mode[static_cast<unsigned>(m)];
        if (n == 0) continue;
        o << "menuentry \"pagewalk: " << titles[static_cast<unsigned>(m)] << " only (" << n << " programs)\" {\n"
          << kernel << "  pagewalk_" << to_string(m) << "\n  boot\n}\n";
    }
    // The access matrix (harness/matrix/): every legal combination of a mode's default space, judged by the guest.
    const std::string matrix_kernel =
        "  multiboot2 " + guest_iso_path + " pw.test=matrix\n  set gfxpayload=" + gfxmode + "\n";
    for (const IsoMatrixJob& j : plan.matrix_jobs)
        o << "menuentry \"pagewalk: access matrix, " << titles[static_cast<unsigned>(j.mode)] << "\" {\n"
          << matrix_kernel << "  module2 " << j.iso_path << "\n  boot\n}\n";
    if (plan.matrix_jobs.size() > 1) {
        o << "menuentry \"pagewalk: access matrix, every mode\" {\n" << matrix_kernel;
        for (const IsoMatrixJob& j : plan.matrix_jobs) o << "  module2 " << j.iso_path << "\n";
        o << "  boot\n}\n";
    }
    return o.str();
}

std::string manifest(const IsoPlan& plan) {
    std::ostringstream o;
    o << "# id mode name file path-on-iso\n";
    for (const IsoProgram& p : plan.programs)
        o << p.program.scenario_id << " " << to_string(p.mode) << " " << p.scenario->name << " "
          << std::filesystem::path(p.scenario->file).filename().string() << " " << p.iso_path << "\n";
    return o.str();
}

}  // namespace pagewalk::host::iso
