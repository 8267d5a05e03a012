// SPDX-License-Identifier: MIT OR Apache-2.0
#include "suite/suite.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "backend/backend.hpp"
#include "kvm/elf_loader.hpp"
#include "report/progress.hpp"
#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"
#include "suite/backend_plan.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"
#include "util/private_dir.hpp"
#include "util/temp_file.hpp"

namespace pagewalk::host::suite {
namespace {

/// One unit of work: a parsed scenario and one of its modes (or a parse failure to report).
struct Job {
    std::shared_ptr<const scenario::Scenario> scenario;
    std::string file;
    std::optional<PagingMode> mode;
    std::vector<scenario::Diagnostic> errors;  ///< parse errors (then no mode)
};

/// RAM the program needs: image and module below 2 MiB, page tables, the 2 MiB-aligned data area, slack.
std::uint64_t memory_for(const scenario::Scenario& s, const scenario::Program& p) {
    const std::uint64_t mib = 1ull << 20;
    const std::uint64_t need =
        4 * mib + std::uint64_t{s.table_frames} * 4096 + std::uint64_t{p.data_frames} * 4096 + 4 * mib;
    return std::max<std::uint64_t>(std::uint64_t{s.memory_mib} * mib, (need + mib - 1) & ~(mib - 1));
}

/// The guest image's BootHeader::program_modes: which paging modes it has a runner for. All ones when the image
/// cannot be read (each boot then reports why).
std::uint32_t guest_program_modes(const std::string& path) {
    auto file = read_file(path);
    if (!file) return ~0u;
    std::vector<std::uint8_t> ram(16u << 20);
    const GuestMemory mem(ram.data(), 0, ram.size());
    auto image = load_elf(*file, mem, 0x100000);
    if (!image || !image->boot_header) return ~0u;
    return image->boot_header->program_modes;
}

check::Evaluation failed_eval(std::string why, std::string detail = {}) {
    check::Evaluation e;
    check::Finding f;
    f.check = "file";
    f.message = std::move(why);
    f.detail = std::move(detail);
    e.add(std::move(f));
    e.conclude();
    return e;
}

check::Evaluation skipped(std::string why) {
    check::Evaluation e;
    e.verdict = check::Verdict::skip;
    e.reason = std::move(why);
    return e;
}

/// Compiles, boots and checks one job on one backend.
check::Evaluation run_on(const RunOptions& o, const BackendCaps& caps, const Job& job, BackendKind backend,
                         std::uint32_t vouched, std::uint32_t id, std::string& log) {
    const scenario::Scenario& s = *job.scenario;
    scenario::CompileOptions co;
    co.scenario_id = id;
    co.serial_handshake = backend == BackendKind::qemu && o.qemu_live;
    scenario::CompileResult c = scenario::compile(s, *job.mode, co);
    if (!c.ok()) {
        std::string detail;
        for (const auto& e : c.errors) detail += "    " + e.to_string() + "\n";
        return failed_eval("the scenario does not compile for " + std::string(to_string(*job.mode)), detail);
    }
    // The guest checks CPUID against this; vouched features pass without (kvm_pvm hides SMEP/SMAP).
    auto* header = reinterpret_cast<harness::ProgramHeader*>(c.program.bytes.data());
    header->vouched_features = vouched & header->features;
    TempFile module(c.program.bytes, "program");
    if (module.path().empty()) return failed_eval("cannot write the program file: " + module.error());
    BootOptions b;
    b.guest_path = o.guest_path;
    b.module_path = module.path();
    b.cmdline = "pw.test=program";
    b.timeout_s = o.timeout_s;
    b.memory_bytes = memory_for(s, c.program);
    b.qemu_cpu = s.qemu_cpu.empty() ? "max" : s.qemu_cpu;
    b.qemu_live = co.serial_handshake;
    // The live walk needs guest memory while the guest waits: KVM's own, or QEMU's shared RAM (not with --no-live).
    const bool walk_live = backend == BackendKind::kvm || b.qemu_live;
    check::LiveChecker live(vouched);
    if (walk_live) b.on_record = [&](const harness::DecodedRecord& r, LiveGuest& g) { live.on_record(r, g); };
    const RunResult run = backend::boot(backend, b);
    const std::string name(backend_name(backend));
    log += "--- " + name + " run ---\n" + format_result(run, true);
    check::BackendInfo info{name, caps.of(backend).version};
    return check::evaluate(c.program, run, walk_live ? &live : nullptr, info);
}

JobResult run_job(const RunOptions& o, const BackendCaps& caps, std::uint32_t guest_modes, const Job& job,
                  std::uint32_t id) {
    JobResult r;
    r.file = job.file;
    r.mode = job.mode;
    r.backend = "-";
    const Stopwatch clock;
    if (!job.errors.empty()) {
        r.scenario = std::filesystem::path(job.file).stem().string();
        std::string detail;
        for (const auto& e : job.errors) detail += "    " + e.to_string() + "\n";
        r.eval = failed_eval("the scenario file has errors", detail);
        return r;
    }
    const scenario::Scenario& s = *job.scenario;
    r.scenario = s.name;
    r.rule = s.rule;
    if ((guest_modes & (1u << static_cast<unsigned>(*job.mode))) == 0) {
        r.eval = skipped(std::string("the guest image has no runner for ") + to_string(*job.mode) +
                         " paging yet (BootHeader.program_modes)");
        return r;
    }
    const std::uint32_t features = scenario::required_features(s, *job.mode);
    const BackendChoice choice = choose_backend(caps, o.backend, s, *job.mode, features);
    if (!choice.backend) {
        r.eval = skipped(choice.reason);
        r.ms = clock.ms();
        return r;
    }
    r.backend = backend_name(*choice.backend);
    r.eval = run_on(o, caps, job, *choice.backend, choice.vouched, id, r.run_log);
    // The guest's CPUID may lack what the KVM probe saw: under auto, QEMU gets its chance.
    if (o.backend.automatic() && choice.backend == BackendKind::kvm && r.eval.verdict == check::Verdict::skip &&
        caps.of(BackendKind::qemu).available()) {
        r.backend = backend_name(BackendKind::qemu);
        r.eval = run_on(o, caps, job, BackendKind::qemu, 0, id, r.run_log);
    }
    r.ms = clock.ms();
    return r;
}

}  // namespace

Expected<std::vector<std::string>> scenario_files(const std::vector<std::string>& files, const std::string& dir) {
    if (!files.empty()) return files;
    std::vector<std::string> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (it->path().extension() != ".toml") continue;
        // An entry whose type cannot be told (a symlink loop, a dangling link) is kept: reading it says why.
        std::error_code type_ec;
        if (it->is_regular_file(type_ec) || type_ec) out.push_back(it->path().string());
    }
    if (ec) return Error{dir + ": " + ec.message()};
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<JobResult> run_suite(const RunOptions& o) {
    std::vector<Job> jobs;
    const Expected<std::vector<std::string>> files = scenario_files(o.files, o.scenario_dir);
    if (!files) {
        const scenario::Diagnostic why(scenario::SourcePos{o.scenario_dir, 0, 0}, "", files.error());
        jobs.push_back({nullptr, o.scenario_dir, std::nullopt, {why}});
    }
    for (const std::string& f : files ? files.value() : std::vector<std::string>{}) {
        scenario::ParseResult p = scenario::parse_scenario_file(f);
        if (!p.ok()) {
            jobs.push_back({nullptr, f, std::nullopt, p.errors});
            continue;
        }
        auto s = std::make_shared<const scenario::Scenario>(std::move(p.scenario));
        for (PagingMode m : s->modes)
            if (!o.mode || *o.mode == m) jobs.push_back({s, f, m, {}});
    }
    const BackendCaps caps = probe_backends(o.backend);
    std::cerr << kvm_fallback_notice(caps, o.backend, jobs.size());
    const std::uint32_t guest_modes = guest_program_modes(o.guest_path);
    std::vector<JobResult> results(jobs.size());
    report::Progress progress(jobs.size(), o.progress);
    std::atomic<std::size_t> next{0};
    std::mutex lock;
    std::vector<char> finished(jobs.size(), 0);
    auto worker = [&] {
        for (std::size_t i; interrupt::received() == 0 && (i = next.fetch_add(1)) < jobs.size();) {
            {
                std::lock_guard g(lock);
                progress.started(jobs[i].scenario ? jobs[i].scenario->name : jobs[i].file,
                                 jobs[i].mode ? to_string(*jobs[i].mode) : "");
            }
            JobResult r = run_job(o, caps, guest_modes, jobs[i], static_cast<std::uint32_t>(i + 1));
            if (interrupt::received() != 0) return;  // cut short: not a result
            std::lock_guard g(lock);
            progress.finished(r.eval.verdict);
            results[i] = std::move(r);
            finished[i] = 1;
        }
    };
    const unsigned n = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(jobs.size())));
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    progress.done();
    if (interrupt::received() != 0) {  // what finished, in order; the rest never ran or was cut short
        std::vector<JobResult> done;
        for (std::size_t i = 0; i < results.size(); ++i)
            if (finished[i] != 0) done.push_back(std::move(results[i]));
        return done;
    }
    return results;
}

}  // namespace pagewalk::host::suite
