// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: SIGINT, SIGTERM and SIGHUP stop a run cleanly. The handler only records the signal and makes a
// pipe readable; the run loops (QEMU's poll, KVM's watchdog, the suite's job queue) notice, end their children, and
// the command prints what finished, writes its reports, removes its private directory and exits 128 + signal.
// A second signal ends the process at once (_exit); the children still go (PR_SET_PDEATHSIG).
#pragma once

namespace pagewalk::host::interrupt {

/// Installs the handlers (idempotent).
void install();
/// The signal that asked the run to stop, or 0.
int received();
/// A descriptor that becomes readable once a signal arrived (poll it next to other descriptors); -1 before install().
int wake_fd();
/// 128 + the signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
int exit_status();

}  // namespace pagewalk::host::interrupt
