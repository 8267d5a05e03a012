// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: one QEMU run, shaped like the KVM launcher's Session — constructing it starts the VM, run() reads
// the guest's records until the run is over and stops it, the destructor cleans up whatever is left.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qemu/qmp_client.hpp"
#include "run/boot_options.hpp"
#include "run/run_result.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

namespace pagewalk::host::qemu {

class SharedRam;
class QemuLiveGuest;

class QemuSession {
public:
    /// Starts qemu-system-x86_64 for `options` — the shared guest RAM for the live walk, the QMP socket (and, with
    /// PAGEWALK_QEMU_DEBUG, the -D log) in the process's private directory — and connects to its monitor. When it
    /// cannot, `result` says why and started() is false.
    QemuSession(const BootOptions& options, RunResult& result);
    /// Kills and reaps a QEMU still running; removes its socket and log.
    ~QemuSession();
    QemuSession(const QemuSession&) = delete;
    QemuSession& operator=(const QemuSession&) = delete;

    [[nodiscard]] bool started() const { return started_; }

    /// Reads records from COM1 (and QEMU's events over QMP) until the guest is done, the watchdog fires or pagewalk
    /// is interrupted; then stops QEMU and sets the run's outcome.
    void run();

private:
    std::vector<std::string> command_line() const;
    bool start();
    /// QMP, or (for the live walk, which needs the vCPU's own registers) the end of the run when it fails.
    bool connect_monitor();
    void take_qmp_events();
    /// COM1: decodes records, answers the serial handshake, takes the screenshot. False once reading must stop.
    bool read_serial(QemuLiveGuest& live);
    void read_stderr();
    /// The registers of a stopped or hung guest, then QEMU ended and reaped.
    void stop();
    /// The outcome from how QEMU ended, and the stream's own checks.
    void conclude();
    void end_process();

    const BootOptions& options_;
    RunResult& result_;
    std::optional<Stopwatch> clock_;  ///< from the moment QEMU is started
    RecordCollector collector_;
    bool started_ = false;
    bool trace_ = false;  ///< PAGEWALK_QEMU_DEBUG: QEMU's -d log into reset_log_
    std::string qmp_path_, reset_log_;
    std::unique_ptr<SharedRam> ram_;
    Fd out_, err_, in_;
    pid_t pid_ = -1;
    int wait_status_ = 0;
    std::optional<QmpClient> qmp_;

    std::string pending_, errors_;
    std::string shutdown_reason_;  ///< the guest stopped the VM: QEMU's SHUTDOWN event (e.g. "guest-reset")
    std::string monitor_registers_;
    bool timed_out_ = false, killed_for_garbage_ = false, screenshot_taken_ = false, interrupted_ = false;
    bool out_open_ = true, err_open_ = true;
};

}  // namespace pagewalk::host::qemu
