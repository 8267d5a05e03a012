// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu/qemu_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <pagewalk/harness/ports.hpp>
#include <vector>

#include "qemu/monitor_registers.hpp"
#include "qemu/qmp_client.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/interrupt.hpp"
#include "util/private_dir.hpp"
#include "util/process.hpp"

namespace pagewalk::host::qemu {
namespace {

std::string qemu_binary() {
    const char* env = std::getenv("PAGEWALK_QEMU");
    return env != nullptr && *env != 0 ? env : "qemu-system-x86_64";
}

/// The descriptor number guest RAM has in QEMU (`mem-path=/proc/self/fd/3`).
constexpr int kGuestRamFd = 3;

/// Spawns argv with stdout and stderr on pipes, stdin on /dev/null (or on a pipe whose write end goes to `*in`),
/// and `ram_fd` (when >= 0) as descriptor kGuestRamFd. Returns the pid or -1.
pid_t spawn(const std::vector<std::string>& args, Fd& out, Fd& err, Fd* in = nullptr, int ram_fd = -1) {
    int i[2] = {-1, -1};
    if (in != nullptr && pipe2(i, O_CLOEXEC) != 0) return -1;
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) != 0) return -1;
    if (pipe2(e, O_CLOEXEC) != 0) {
        close(o[0]);
        close(o[1]);
        return -1;
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        supervise_child(parent);
        const int devnull = in != nullptr ? i[0] : open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(o[1], 1);
        dup2(e[1], 2);
        // Every other descriptor is close-on-exec; dup2 gives the copy without the flag.
        if (ram_fd == kGuestRamFd)
            fcntl(ram_fd, F_SETFD, 0);
        else if (ram_fd >= 0)
            dup2(ram_fd, kGuestRamFd);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    out = Fd(o[0]);
    err = Fd(e[0]);
    if (in != nullptr) {
        close(i[0]);
        *in = Fd(i[1]);
    }
    if (pid < 0) return -1;
    return pid;
}

/// The last `max_lines` lines of a QEMU -D log, indented.
std::string log_tail(const std::string& path, std::size_t max_lines) {
    std::ifstream in(path);
    if (!in) return "";
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
        if (lines.size() > 4 * max_lines) lines.erase(lines.begin(), lines.end() - static_cast<long>(max_lines));
    }
    std::string out;
    for (std::size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i)
        out += "    " + lines[i] + "\n";
    return out;
}

/// Guest RAM in an anonymous memory file (memfd_create) both QEMU and the host map: QEMU inherits the descriptor
/// and maps it as `memory-backend-file,mem-path=/proc/self/fd/3,share=on`, the host reads guest-physical memory
/// while the guest waits in the serial handshake. No name in any shared directory; it goes with its last user.
/// Below 4 GiB, QEMU's pc machine puts RAM offset = GPA.
class SharedRam {
public:
    explicit SharedRam(std::uint64_t size) : size_(size) {
        fd_ = Fd(::memfd_create("pagewalk-guest-ram", MFD_CLOEXEC));
        if (!fd_.valid() || ::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return;
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd_.get(), 0);
        if (p != MAP_FAILED) base_ = static_cast<const std::uint8_t*>(p);
    }
    SharedRam(const SharedRam&) = delete;
    SharedRam& operator=(const SharedRam&) = delete;
    ~SharedRam() {
        if (base_ != nullptr) ::munmap(const_cast<std::uint8_t*>(base_), size_);
    }
    [[nodiscard]] bool ok() const { return base_ != nullptr; }
    [[nodiscard]] int fd() const { return fd_.get(); }
    bool read(std::uint64_t pa, void* out, std::size_t n) const {
        if (base_ == nullptr || pa > size_ || n > size_ - pa) return false;
        std::memcpy(out, base_ + pa, n);
        return true;
    }

private:
    Fd fd_;
    std::uint64_t size_;
    const std::uint8_t* base_ = nullptr;
};

/// QEMU's guest as a LiveGuest: its RAM (the shared file) and its vCPU's control registers from QEMU's monitor
/// (`info registers` over QMP) — the CPU's own state, not what the guest says it loaded. No translation from outside:
/// QEMU's `gva2gpa` is a debug walk that ignores rights and reserved bits, so it would say nothing the model can hold
/// it to.
class QemuLiveGuest final : public LiveGuest {
public:
    QemuLiveGuest(const SharedRam* ram, QmpClient* qmp) : ram_(ram), qmp_(qmp), had_qmp_(qmp != nullptr) {}
    bool read_physical(std::uint64_t pa, void* out, std::size_t n) override {
        return ram_ != nullptr && ram_->read(pa, out, n);
    }
    std::optional<LiveRegisters> registers() override {
        if (qmp_ == nullptr) return std::nullopt;
        // The guest spins on COM1 while the host checks: its control registers cannot change under the monitor.
        auto text = qmp_->hmp("info registers");
        std::optional<LiveRegisters> regs = text ? parse_info_registers(*text) : std::nullopt;
        if (!regs) qmp_ = nullptr;  // QEMU's monitor failed: say so (source()) and stop asking
        return regs;
    }
    std::optional<std::optional<std::uint64_t>> translate(std::uint64_t) override { return std::nullopt; }
    bool has_registers() const override { return had_qmp_; }
    const char* source() const override {
        return qmp_ != nullptr ? "QEMU's registers (info registers) over its shared RAM"
                               : "QEMU's shared RAM; QEMU's monitor stopped answering: no registers";
    }

private:
    const SharedRam* ram_;
    QmpClient* qmp_;
    bool had_qmp_;
};

}  // namespace

QemuInfo probe_qemu() {
    QemuInfo info;
    info.binary = qemu_binary();
    Fd out, err;
    const pid_t pid = spawn({info.binary, "--version"}, out, err);
    if (pid < 0) {
        info.reason = "cannot start " + info.binary;
        return info;
    }
    std::string text;
    char buf[512];
    for (ssize_t n; (n = read(out.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        info.reason = info.binary + " not found or failed (exit " + std::to_string(WEXITSTATUS(status)) + ")";
        return info;
    }
    info.found = true;
    info.version = text.substr(0, text.find('\n'));
    return info;
}

namespace {

/// QMP screendump (PPM) into `path`; a failure goes into the result's console text, where the check reports it.
void take_screenshot(QmpClient* qmp, const std::string& path, RunResult& result) {
    if (qmp == nullptr) {
        result.console += "[pagewalk] no screenshot: QEMU's monitor is not connected\n";
        return;
    }
    qmp->set_timeout(30);  // a large screen takes a moment to convert
    if (auto r = qmp->command("screendump", {{"filename", path}}); !r)
        result.console += "[pagewalk] no screenshot: QEMU's screendump failed: " + r.error() + "\n";
}

}  // namespace

RunResult boot_qemu(const BootOptions& options) {
    RunResult result;
    result.backend = "qemu";
    result.entry = "multiboot1 32-bit entry (QEMU -kernel)";
    const std::string& image = options.iso_path ? *options.iso_path : options.guest_path;
    if (access(image.c_str(), R_OK) != 0) {
        result.detail = "cannot read " + image;
        return result;
    }
    const auto dir = run_dir();
    if (!dir) {
        result.detail = dir.error();
        return result;
    }
    const std::string reset_log = dir.value()->unique_path("qemu", ".log");
    std::vector<std::string> args = {qemu_binary(), "-accel", "tcg", "-cpu",
                                     options.qemu_cpu.empty() ? std::string("max") : options.qemu_cpu, "-m",
                                     std::to_string(options.memory_bytes >> 20), "-nodefaults", "-display", "none",
                                     "-monitor", "none", "-serial", "stdio",
                                     // A guest reset (triple fault) becomes a shutdown, and a shutdown pauses
                                     // the VM, so that the host can still read its registers over QMP.
                                     "-no-reboot", "-action", "shutdown=pause"};
    const bool screenshot = !options.screenshot_path.empty();
    if (screenshot) {
        std::string vga = "VGA";
        if (options.screen_width != 0 && options.screen_height != 0)
            vga += ",xres=" + std::to_string(options.screen_width) + ",yres=" + std::to_string(options.screen_height);
        args.insert(args.end(), {"-device", vga});
    } else {
        args.insert(args.end(), {"-device", "isa-debug-exit,iobase=0xf4,iosize=4"});
    }
    if (options.iso_path) {
        // A GRUB ISO (multiboot2 entry); the command line and module come from its grub.cfg.
        result.entry = "GRUB ISO (-cdrom)";
        args.insert(args.end(), {"-cdrom", *options.iso_path});
        if (!options.uefi_firmware.empty()) {
            result.entry = "GRUB ISO (-cdrom), UEFI (OVMF)";
            args.insert(args.end(), {"-drive", "if=pflash,format=raw,readonly=on,file=" + options.uefi_firmware});
        }
    } else {
        args.insert(args.end(), {"-kernel", options.guest_path, "-append", options.cmdline});
    }
    // At a triple fault and a hang the registers come from QEMU's monitor. PAGEWALK_QEMU_DEBUG=int also logs every
    // exception with registers (large for many faults); its tail goes into the result.
    const char* debug = std::getenv("PAGEWALK_QEMU_DEBUG");
    const bool trace = debug != nullptr && *debug != 0;
    if (trace) {
        args.insert(args.end(), {"-d", debug, "-D", reset_log});
    }
    if (options.module_path && !options.iso_path) {
        args.push_back("-initrd");
        args.push_back(*options.module_path);
    }
    std::unique_ptr<SharedRam> ram;
    if (options.qemu_live) {
        ram = std::make_unique<SharedRam>(options.memory_bytes);
        if (!ram->ok()) {
            result.detail = std::string("cannot create the shared guest RAM (memfd_create): ") + std::strerror(errno);
            return result;
        }
        args.insert(args.end(), {"-object",
                                 "memory-backend-file,id=pwram,size=" + std::to_string(options.memory_bytes) +
                                     ",mem-path=/proc/self/fd/" + std::to_string(kGuestRamFd) + ",share=on",
                                 "-machine", "pc,memory-backend=pwram"});
    }
    const std::string qmp_path = dir.value()->unique_path("qmp", ".sock");
    args.insert(args.end(), {"-qmp", "unix:" + qmp_path + ",server=on,wait=off"});
    const Stopwatch clock;
    Fd out, err, in;
    const pid_t pid = spawn(args, out, err, options.qemu_live ? &in : nullptr, ram ? ram->fd() : -1);
    if (pid < 0) {
        result.detail = "cannot start " + args[0] + ": " + std::strerror(errno);
        return result;
    }
    // QEMU serves the socket before the guest runs (SeaBIOS alone takes ~60 ms); the guest's first announce waits
    // for the host anyway. Without QMP a triple fault leaves the VM paused until the watchdog ends it.
    std::optional<QmpClient> qmp;
    if (auto client = QmpClient::connect(qmp_path, std::min(options.timeout_s, 5.0))) {
        qmp.emplace(std::move(*client));
        qmp->set_timeout(5);
    } else if (options.qemu_live) {
        // The live walk needs the vCPU's own registers: without QEMU's monitor it would only echo the guest.
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        ::unlink(qmp_path.c_str());
        // The watchdog's time ran out while QEMU was starting: that is a timeout, like any other.
        const bool out_of_time = clock.ms() >= options.timeout_s * 1000.0;
        result.outcome = out_of_time ? Outcome::timeout : Outcome::launch_error;
        result.detail = out_of_time ? "QEMU killed after " + std::to_string(options.timeout_s) +
                                          " s, before its monitor (QMP) answered"
                                    : client.error() + ": the live walk needs the vCPU's registers from QEMU's monitor";
        char buf[4096];  // QEMU is gone: what it said on stderr is the reason (e.g. it could not load the guest)
        std::string said;
        for (ssize_t n; said.size() < 16384 && (n = read(err.get(), buf, sizeof buf)) > 0;)
            said.append(buf, static_cast<std::size_t>(n));
        if (!said.empty()) result.console += "[qemu stderr] " + said;
        return result;
    } else {
        result.console += "[pagewalk] " + client.error() + ": no registers from QEMU's monitor\n";
    }
    QemuLiveGuest live(ram.get(), qmp ? &*qmp : nullptr);
    std::string shutdown_reason;  // the guest stopped the VM: QEMU's SHUTDOWN event (e.g. "guest-reset")
    result.setup_ms = clock.ms();
    RecordCollector collector(result);
    std::string pending, errors;
    bool timed_out = false, killed_for_garbage = false, screenshot_taken = false, interrupted = false;
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        const double left_ms = options.timeout_s * 1000.0 - clock.ms();
        if (left_ms <= 0) {
            timed_out = true;
            break;
        }
        // Once the VM stopped, only what is already in the pipes is read (no waiting), then QEMU goes.
        const bool stopped = !shutdown_reason.empty();
        pollfd fds[4] = {{out_open ? out.get() : -1, POLLIN, 0},
                         {err_open ? err.get() : -1, POLLIN, 0},
                         {qmp && !stopped ? qmp->fd() : -1, POLLIN, 0},
                         {interrupt::wake_fd(), POLLIN, 0}};
        const int r = poll(fds, 4, stopped ? 0 : static_cast<int>(left_ms) + 1);
        if (interrupt::received() != 0) {
            interrupted = true;
            break;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || (r == 0 && stopped)) break;
        if (fds[2].revents != 0) {
            auto events = qmp->take_events();
            if (!events) {
                qmp.reset();  // QEMU is exiting (isa-debug-exit): stdout tells the rest
            } else {
                for (const auto& e : *events)
                    if (e.value("event", "") == "SHUTDOWN")
                        shutdown_reason = e.value("data", nlohmann::json::object()).value("reason", "shutdown");
            }
        }
        char buf[4096];
        if (fds[0].revents != 0) {
            const ssize_t n = read(out.get(), buf, sizeof buf);
            if (n <= 0)
                out_open = false;
            else
                pending.append(buf, static_cast<std::size_t>(n));
            for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
                const std::string line = pending.substr(0, nl);
                pending.erase(0, nl + 1);
                const std::size_t before = result.records.size();
                if (!collector.add_line(line, clock.ms())) killed_for_garbage = true;
                if (!killed_for_garbage && result.records.size() > before) {
                    const harness::DecodedRecord& rec = result.records.back().record;
                    if (options.on_record) options.on_record(rec, live);
                    if (screenshot && rec.final_record() != nullptr) {
                        take_screenshot(qmp ? &*qmp : nullptr, options.screenshot_path, result);
                        result.exit_status = rec.final_record()->status;
                        screenshot_taken = true;
                        break;
                    }
                    if (options.qemu_live && rec.announce() != nullptr) {
                        const char go = 'g';  // the guest waits for one byte on COM1 (serial handshake)
                        if (::write(in.get(), &go, 1) != 1) killed_for_garbage = true;
                    }
                }
            }
            if (pending.size() > 64 * 1024) {  // a line that never ends is garbage, not a reason to grow forever
                collector.add_line("@PW " + pending.substr(0, 64), clock.ms());
                killed_for_garbage = true;
            }
            if (killed_for_garbage || screenshot_taken) break;
        }
        if (fds[1].revents != 0) {
            const ssize_t n = read(err.get(), buf, sizeof buf);
            if (n <= 0)
                err_open = false;
            else
                errors.append(buf, static_cast<std::size_t>(n));
        }
    }
    // A paused (triple fault) or hung guest: its registers, from QEMU's monitor, before QEMU goes.
    std::string monitor_registers;
    if (qmp && !interrupted && (timed_out || !shutdown_reason.empty())) {
        qmp->set_timeout(2);
        if (auto text = qmp->hmp("info registers")) monitor_registers = register_dump_for_report(*text);
    }
    if (timed_out || killed_for_garbage || screenshot_taken || interrupted || !shutdown_reason.empty())
        kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ::unlink(qmp_path.c_str());
    result.total_ms = clock.ms();
    if (!pending.empty() && !killed_for_garbage) collector.add_line(pending, clock.ms());
    if (!errors.empty()) result.console += "[qemu stderr] " + errors;

    bool hard = false;
    if (interrupted) {
        result.outcome = Outcome::interrupted;
        result.detail = "QEMU ended: pagewalk received signal " + std::to_string(interrupt::received());
        hard = true;
    } else if (timed_out) {
        result.outcome = Outcome::timeout;
        result.detail = "QEMU killed after " + std::to_string(options.timeout_s) + " s";
        result.registers = monitor_registers;
        hard = true;
    } else if (!shutdown_reason.empty()) {
        // -no-reboot turns the reset a triple fault causes into a shutdown (SDM Vol. 3A §6.15, #DF: a fault
        // while delivering #DF shuts the processor down), which -action shutdown=pause holds for QMP.
        result.outcome = Outcome::triple_fault;
        result.detail = "the guest stopped the VM (QEMU: " + shutdown_reason +
                        (shutdown_reason == "guest-reset" ? ", a triple fault under -no-reboot)" : ")") +
                        " without isa-debug-exit";
        result.registers = monitor_registers.empty() ? "    (QEMU's monitor gave no registers)\n" : monitor_registers;
        hard = true;
    } else if (screenshot_taken) {
        // The final record arrived and the screen was saved: the exit status is the record's (set above).
    } else if (!killed_for_garbage && WIFEXITED(status)) {
        const int code = WEXITSTATUS(status);
        if (code % 2 == 1 && (code != 1 || !result.records.empty())) {
            result.exit_status = code >> 1;  // isa-debug-exit: (value << 1) | 1
        } else if (code == 0) {
            result.outcome = Outcome::triple_fault;
            result.detail = "QEMU exited without isa-debug-exit (guest reset: triple fault under -no-reboot)";
            result.registers = trace ? log_tail(reset_log, 40)
                                     : "    (QEMU gives no registers here; rerun with PAGEWALK_QEMU_DEBUG=int)\n";
            hard = true;
        } else {
            result.outcome = Outcome::launch_error;
            result.detail = "QEMU exited with status " + std::to_string(code);
            hard = true;
        }
    } else if (!killed_for_garbage) {
        result.outcome = Outcome::launch_error;
        result.detail = "QEMU died from a signal";
        hard = true;
    }
    collector.finish(hard);
    if (!result.passed() && result.registers.empty() && trace) result.registers = log_tail(reset_log, 40);
    if (trace) ::unlink(reset_log.c_str());
    return result;
}

}  // namespace pagewalk::host::qemu
