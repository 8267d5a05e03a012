// SPDX-License-Identifier: MIT OR Apache-2.0
#include "matrix/emit_scenarios.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "util/file.hpp"

namespace pagewalk::host::matrix {
namespace {

/// What makes two class records one class (all but the counts and the case numbers).
auto class_key(const harness::MatrixClassRecord& k) {
    return std::make_tuple(k.mismatch, k.outcome_class, k.predicted_kind, k.outcome, k.predicted_error, k.vector,
                           k.kind, k.cpl, k.access_flags, k.error_code, k.leaf_level);
}

/// Writes `text` to a new file `path` (never over an existing one): 0, or the errno of what failed (EEXIST: it
/// exists). A file left short by a failed write is removed.
int write_new_file(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    int err = 0;
    for (std::size_t done = 0; done < text.size() && err == 0;) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            err = n < 0 ? errno : ENOSPC;
        else
            done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0 && err == 0) err = errno;
    if (err != 0) ::unlink(path.c_str());
    return err;
}

}  // namespace

Status prepare_scenario_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{"--emit-scenarios " + dir + ": cannot create it: " + ec.message()};
    if (!std::filesystem::is_directory(dir, ec)) return Error{"--emit-scenarios " + dir + ": not a directory"};
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return Error{"--emit-scenarios " + dir + ": not writable: " + std::strerror(errno)};
    return ok_status();
}

std::vector<ClassInRow> classes_of_rows(const std::vector<RowResult>& rows, hm::Space space,
                                        const std::string& qemu_cpu) {
    std::vector<ClassInRow> out;
    for (const RowResult& row : rows) {
        if (!row.row.backend) continue;
        const std::size_t first = out.size();
        for (const ClassExample& e : row.classes) {
            const auto same = std::find_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                                           [&](const auto& c) { return class_key(c.example.cls) == class_key(e.cls); });
            if (same == out.end()) {
                ClassInRow c;
                c.mode = row.row.mode;
                c.space = space;
                c.cpu = row.cpu;
                c.backend = std::string(backend_name(*row.row.backend));
                c.backend_version = row.row.version;
                if (*row.row.backend == BackendKind::qemu) c.qemu_cpu = qemu_cpu;
                c.count = e.cls.count;
                c.example = e;
                out.push_back(std::move(c));
                continue;
            }
            same->count += e.cls.count;
            // A class one boot's examples left unexplained is unexplained.
            const std::string deviation = e.deviation == same->example.deviation ? e.deviation : "";
            if (e.report.index < same->example.report.index) same->example = e;
            same->example.deviation = deviation;
        }
        std::sort(
            out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
            [](const ClassInRow& x, const ClassInRow& y) { return x.example.report.index < y.example.report.index; });
    }
    return out;
}

std::vector<ClassScenario> scenarios_of_classes(const std::vector<ClassInRow>& classes) {
    std::vector<ClassScenario> out;
    std::map<std::string, unsigned> seen;
    for (const ClassInRow& c : classes) {
        const std::string stem = class_stem(c);
        const unsigned n = ++seen[stem];
        out.push_back(scenario_of_class(c, n > 1 ? stem + "-" + std::to_string(n) : stem));
    }
    return out;
}

EmitOutcome write_scenarios(const std::string& dir, const std::vector<ClassInRow>& classes,
                            const std::vector<ClassScenario>& scenarios) {
    EmitOutcome out;
    unsigned written = 0, unchanged = 0;
    std::string lines;
    for (std::size_t i = 0; i < scenarios.size() && i < classes.size(); ++i) {
        const ClassScenario& s = scenarios[i];
        const ClassInRow& c = classes[i];
        const std::string path = (std::filesystem::path(dir) / (s.stem + ".toml")).string();
        std::string state = "written";
        const int err = write_new_file(path, s.text);
        if (err == 0) {
            ++written;
        } else if (err == EEXIST) {
            const auto existing = read_capped(path, 1u << 20);
            if (existing && *existing == s.text) {
                state = "unchanged";
                ++unchanged;
            } else {
                state = "NOT WRITTEN (the file exists with other content)";
                out.ok = false;
            }
        } else {
            state = std::string("NOT WRITTEN (") + std::strerror(err) + ")";
            out.ok = false;
        }
        lines += "  " + path + ": " + state + "; " + std::to_string(c.count) + " mismatches, index " +
                 std::to_string(c.example.report.index) + ", " +
                 (c.example.deviation.empty() ? std::string("unexplained") : c.example.deviation) + "\n";
        for (const std::string& u : s.unexpressed) lines += "    not expressed: " + u + "\n";
    }
    out.text = "\nscenarios (--emit-scenarios): " + std::to_string(scenarios.size()) + " classes of mismatches, " +
               std::to_string(written) + " files written, " + std::to_string(unchanged) + " unchanged, in " + dir +
               "\n" + lines;
    return out;
}

}  // namespace pagewalk::host::matrix
