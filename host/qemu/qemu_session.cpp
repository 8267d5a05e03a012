// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu/qemu_session.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "qemu/monitor_registers.hpp"
#include "qemu/qemu_process.hpp"
#include "util/interrupt.hpp"
#include "util/private_dir.hpp"

namespace pagewalk::host::qemu {

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
    QemuLiveGuest(const SharedRam* ram, std::optional<QmpClient>& qmp)
        : ram_(ram), qmp_(qmp), had_qmp_(qmp.has_value()) {}
    bool read_physical(std::uint64_t pa, void* out, std::size_t n) override {
        return ram_ != nullptr && ram_->read(pa, out, n);
    }
    std::optional<LiveRegisters> registers() override {
        if (!answering()) return std::nullopt;
        // The guest spins on COM1 while the host checks: its control registers cannot change under the monitor.
        auto text = qmp_->hmp("info registers");
        std::optional<LiveRegisters> regs = text ? parse_info_registers(*text) : std::nullopt;
        if (!regs) gave_up_ = true;  // QEMU's monitor failed: say so (source()) and stop asking
        return regs;
    }
    std::optional<std::optional<std::uint64_t>> translate(std::uint64_t) override { return std::nullopt; }
    bool has_registers() const override { return had_qmp_; }
    const char* source() const override {
        return answering() ? "QEMU's registers (info registers) over its shared RAM"
                           : "QEMU's shared RAM; QEMU's monitor stopped answering: no registers";
    }

private:
    [[nodiscard]] bool answering() const { return qmp_.has_value() && !gave_up_; }

    const SharedRam* ram_;
    std::optional<QmpClient>& qmp_;  ///< the session's: gone once QEMU closed the connection
    bool had_qmp_;
    bool gave_up_ = false;
};

namespace {

constexpr std::chrono::microseconds kSerialGather{1000};

/// QMP screendump (PPM) into `path`; a failure goes into the result's console text, where the check reports it.
void take_screenshot(std::optional<QmpClient>& qmp, const std::string& path, RunResult& result) {
    if (!qmp) {
        result.console += "[pagewalk] no screenshot: QEMU's monitor is not connected\n";
        return;
    }
    qmp->set_timeout(30);  // a large screen takes a moment to convert
    if (auto r = qmp->command("screendump", {{"filename", path}}); !r)
        result.console += "[pagewalk] no screenshot: QEMU's screendump failed: " + r.error() + "\n";
}

/// Appends what `fd` has to `into`; false at its end or on an error.
bool read_into(int fd, std::string& into) {
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    into.append(buf, static_cast<std::size_t>(n));
    return true;
}

}  // namespace

QemuSession::QemuSession(const BootOptions& options, RunResult& result)
    : options_(options), result_(result), collector_(result) {
    const char* debug = std::getenv("PAGEWALK_QEMU_DEBUG");
    trace_ = debug != nullptr && *debug != 0;
    started_ = start() && connect_monitor();
}

QemuSession::~QemuSession() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    if (!qmp_path_.empty()) ::unlink(qmp_path_.c_str());
    if (trace_ && !reset_log_.empty()) ::unlink(reset_log_.c_str());
}

std::vector<std::string> QemuSession::command_line() const {
    const BootOptions& o = options_;
    std::vector<std::string> args = {
        qemu_binary(), "-accel", "tcg", "-cpu", o.qemu_cpu.empty() ? std::string("max") : o.qemu_cpu, "-m",
        std::to_string(o.memory_bytes >> 20), "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "stdio",
        // A guest reset (triple fault) becomes a shutdown, and a shutdown pauses
        // the VM, so that the host can still read its registers over QMP.
        "-no-reboot", "-action", "shutdown=pause"};
    if (!o.screenshot_path.empty()) {
        std::string vga = "VGA";
        if (o.screen_width != 0 && o.screen_height != 0)
            vga += ",xres=" + std::to_string(o.screen_width) + ",yres=" + std::to_string(o.screen_height);
        args.insert(args.end(), {"-device", vga});
    } else {
        args.insert(args.end(), {"-device", "isa-debug-exit,iobase=0xf4,iosize=4"});
    }
    if (o.iso_path) {
        // A GRUB ISO (multiboot2 entry); the command line and module come from its grub.cfg.
        args.insert(args.end(), {"-cdrom", *o.iso_path});
        if (!o.uefi_firmware.empty())
            args.insert(args.end(), {"-drive", "if=pflash,format=raw,readonly=on,file=" + o.uefi_firmware});
    } else {
        args.insert(args.end(), {"-kernel", o.guest_path, "-append", o.cmdline});
    }
    // At a triple fault and a hang the registers come from QEMU's monitor. PAGEWALK_QEMU_DEBUG=int also logs every
    // exception with registers (large for many faults); its tail goes into the result.
    if (trace_) args.insert(args.end(), {"-d", std::getenv("PAGEWALK_QEMU_DEBUG"), "-D", reset_log_});
    if (o.module_path && !o.iso_path) args.insert(args.end(), {"-initrd", *o.module_path});
    if (ram_) {
        args.insert(args.end(), {"-object",
                                 "memory-backend-file,id=pwram,size=" + std::to_string(o.memory_bytes) +
                                     ",mem-path=/proc/self/fd/" + std::to_string(kGuestRamFd) + ",share=on",
                                 "-machine", "pc,memory-backend=pwram"});
    }
    args.insert(args.end(), {"-qmp", "unix:" + qmp_path_ + ",server=on,wait=off"});
    return args;
}

bool QemuSession::start() {
    result_.entry = !options_.iso_path               ? "multiboot1 32-bit entry (QEMU -kernel)"
                    : options_.uefi_firmware.empty() ? "GRUB ISO (-cdrom)"
                                                     : "GRUB ISO (-cdrom), UEFI (OVMF)";
    const std::string& image = options_.iso_path ? *options_.iso_path : options_.guest_path;
    if (access(image.c_str(), R_OK) != 0) {
        result_.detail = "cannot read " + image;
        return false;
    }
    const auto dir = run_dir();
    if (!dir) {
        result_.detail = dir.error();
        return false;
    }
    reset_log_ = dir.value()->unique_path("qemu", ".log");
    if (options_.qemu_live) {
        ram_ = std::make_unique<SharedRam>(options_.memory_bytes);
        if (!ram_->ok()) {
            result_.detail = std::string("cannot create the shared guest RAM (memfd_create): ") + std::strerror(errno);
            return false;
        }
    }
    qmp_path_ = dir.value()->unique_path("qmp", ".sock");
    const std::vector<std::string> args = command_line();
    clock_.emplace();
    pid_ = spawn(args, out_, err_, options_.qemu_live ? &in_ : nullptr, ram_ ? ram_->fd() : -1);
    if (pid_ < 0) {
        result_.detail = "cannot start " + args[0] + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

bool QemuSession::connect_monitor() {
    // QEMU serves the socket before the guest runs (SeaBIOS alone takes ~60 ms); the guest's first announce waits
    // for the host anyway. Without QMP a triple fault leaves the VM paused until the watchdog ends it.
    auto client = QmpClient::connect(qmp_path_, std::min(options_.timeout_s, 5.0));
    if (client) {
        qmp_.emplace(std::move(*client));
        qmp_->set_timeout(5);
        return true;
    }
    if (!options_.qemu_live) {
        result_.console += "[pagewalk] " + client.error() + ": no registers from QEMU's monitor\n";
        return true;
    }
    // The live walk needs the vCPU's own registers: without QEMU's monitor it would only echo the guest.
    end_process();
    // The watchdog's time ran out while QEMU was starting: that is a timeout, like any other.
    const bool out_of_time = clock_->ms() >= options_.timeout_s * 1000.0;
    result_.outcome = out_of_time ? Outcome::timeout : Outcome::launch_error;
    result_.detail = out_of_time ? "QEMU killed after " + std::to_string(options_.timeout_s) +
                                       " s, before its monitor (QMP) answered"
                                 : client.error() + ": the live walk needs the vCPU's registers from QEMU's monitor";
    char buf[4096];  // QEMU is gone: what it said on stderr is the reason (e.g. it could not load the guest)
    std::string said;
    for (ssize_t n; said.size() < 16384 && (n = read(err_.get(), buf, sizeof buf)) > 0;)
        said.append(buf, static_cast<std::size_t>(n));
    if (!said.empty()) result_.console += "[qemu stderr] " + said;
    return false;
}

void QemuSession::end_process() {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    pid_ = -1;
    ::unlink(qmp_path_.c_str());
}

void QemuSession::run() {
    QemuLiveGuest live(ram_.get(), qmp_);
    result_.setup_ms = clock_->ms();
    while (out_open_ || err_open_) {
        const double left_ms = options_.timeout_s * 1000.0 - clock_->ms();
        if (left_ms <= 0) {
            timed_out_ = true;
            break;
        }
        // Once the VM stopped, only what is already in the pipes is read (no waiting), then QEMU goes.
        const bool stopped = !shutdown_reason_.empty();
        pollfd fds[4] = {{out_open_ ? out_.get() : -1, POLLIN, 0},
                         {err_open_ ? err_.get() : -1, POLLIN, 0},
                         {qmp_ && !stopped ? qmp_->fd() : -1, POLLIN, 0},
                         {interrupt::wake_fd(), POLLIN, 0}};
        const int r = poll(fds, 4, stopped ? 0 : static_cast<int>(left_ms) + 1);
        if (interrupt::received() != 0) {
            interrupted_ = true;
            break;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || (r == 0 && stopped)) break;
        if (fds[2].revents != 0) take_qmp_events();
        if (fds[0].revents != 0 && !read_serial(live)) break;
        if (fds[1].revents != 0) read_stderr();
        // QEMU writes COM1 a byte at a time: without a live handshake to answer or records to time, let a burst
        // gather in the pipe (64 KiB: ~60 ms of output) instead of waking for every byte.
        if (!options_.qemu_live && !options_.timed_records && !stopped && fds[0].revents != 0)
            std::this_thread::sleep_for(kSerialGather);
    }
    stop();
    conclude();
}

void QemuSession::take_qmp_events() {
    auto events = qmp_->take_events();
    if (!events) {
        qmp_.reset();  // QEMU is exiting (isa-debug-exit): stdout tells the rest
        return;
    }
    for (const auto& e : *events)
        if (e.value("event", "") == "SHUTDOWN")
            shutdown_reason_ = e.value("data", nlohmann::json::object()).value("reason", "shutdown");
}

bool QemuSession::read_serial(QemuLiveGuest& live) {
    if (!read_into(out_.get(), pending_)) out_open_ = false;
    for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
        const std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        const std::size_t before = result_.records.size();
        if (!collector_.add_line(line, clock_->ms())) killed_for_garbage_ = true;
        if (killed_for_garbage_ || result_.records.size() == before) continue;
        const harness::DecodedRecord& rec = result_.records.back().record;
        if (options_.on_record) options_.on_record(rec, live);
        if (!options_.screenshot_path.empty() && rec.final_record() != nullptr) {
            take_screenshot(qmp_, options_.screenshot_path, result_);
            result_.exit_status = rec.final_record()->status;
            screenshot_taken_ = true;
            break;
        }
        if (options_.qemu_live && rec.announce() != nullptr) {
            const char go = 'g';  // the guest waits for one byte on COM1 (serial handshake)
            if (::write(in_.get(), &go, 1) != 1) killed_for_garbage_ = true;
        }
    }
    if (pending_.size() > 64 * 1024) {  // a line that never ends is garbage, not a reason to grow forever
        collector_.add_line("@PW " + pending_.substr(0, 64), clock_->ms());
        killed_for_garbage_ = true;
    }
    return !killed_for_garbage_ && !screenshot_taken_;
}

void QemuSession::read_stderr() {
    if (!read_into(err_.get(), errors_)) err_open_ = false;
}

void QemuSession::stop() {
    // A paused (triple fault) or hung guest: its registers, from QEMU's monitor, before QEMU goes.
    if (qmp_ && !interrupted_ && (timed_out_ || !shutdown_reason_.empty())) {
        qmp_->set_timeout(2);
        if (auto text = qmp_->hmp("info registers")) monitor_registers_ = register_dump_for_report(*text);
    }
    if (timed_out_ || killed_for_garbage_ || screenshot_taken_ || interrupted_ || !shutdown_reason_.empty()) {
        end_process();
    } else {
        waitpid(pid_, &wait_status_, 0);
        pid_ = -1;
        ::unlink(qmp_path_.c_str());
    }
    result_.total_ms = clock_->ms();
    if (!pending_.empty() && !killed_for_garbage_) collector_.add_line(pending_, clock_->ms());
    if (!errors_.empty()) result_.console += "[qemu stderr] " + errors_;
}

void QemuSession::conclude() {
    RunResult& result = result_;
    bool hard = true;
    if (interrupted_) {
        result.outcome = Outcome::interrupted;
        result.detail = "QEMU ended: pagewalk received signal " + std::to_string(interrupt::received());
    } else if (timed_out_) {
        result.outcome = Outcome::timeout;
        result.detail = "QEMU killed after " + std::to_string(options_.timeout_s) + " s";
        result.registers = monitor_registers_;
    } else if (!shutdown_reason_.empty()) {
        // -no-reboot turns the reset a triple fault causes into a shutdown (SDM Vol. 3A §6.15, #DF: a fault
        // while delivering #DF shuts the processor down), which -action shutdown=pause holds for QMP.
        result.outcome = Outcome::triple_fault;
        result.detail = "the guest stopped the VM (QEMU: " + shutdown_reason_ +
                        (shutdown_reason_ == "guest-reset" ? ", a triple fault under -no-reboot)" : ")") +
                        " without isa-debug-exit";
        result.registers = monitor_registers_.empty() ? "    (QEMU's monitor gave no registers)\n" : monitor_registers_;
    } else if (screenshot_taken_ || killed_for_garbage_) {
        // The final record arrived and the screen was saved (the exit status is the record's), or the stream broke
        // (the collector says how).
        hard = false;
    } else if (WIFEXITED(wait_status_)) {
        const int code = WEXITSTATUS(wait_status_);
        if (code % 2 == 1 && (code != 1 || !result.records.empty())) {
            result.exit_status = code >> 1;  // isa-debug-exit: (value << 1) | 1
            hard = false;
        } else if (code == 0) {
            result.outcome = Outcome::triple_fault;
            result.detail = "QEMU exited without isa-debug-exit (guest reset: triple fault under -no-reboot)";
            result.registers = trace_ ? log_tail(reset_log_, 40)
                                      : "    (QEMU gives no registers here; rerun with PAGEWALK_QEMU_DEBUG=int)\n";
        } else {
            result.outcome = Outcome::launch_error;
            result.detail = "QEMU exited with status " + std::to_string(code);
        }
    } else {
        result.outcome = Outcome::launch_error;
        result.detail = "QEMU died from a signal";
    }
    collector_.finish(hard);
    if (!result.passed() && result.registers.empty() && trace_) result.registers = log_tail(reset_log_, 40);
}

}  // namespace pagewalk::host::qemu
