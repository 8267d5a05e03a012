// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: how an exception nobody guarded against is reported — the hooks arch/ calls
// (arch::UnexpectedTrapHooks, arch/trap.hpp). Compiled into both worlds: each world's exception handler calls its
// own copy, over the one reporter state in the shared boot context.
#include <pagewalk/harness/ports.hpp>

#include "arch/trap.hpp"
#include "report/boot_context.hpp"
#include "report/reporter.hpp"
#include "report/screen.hpp"
#include "report/trap_record.hpp"

extern "C" pagewalk::guest::BootContext pw_boot_context;

namespace pagewalk::guest {
namespace {

Reporter boot_reporter() {
    return Reporter(&pw_boot_context.reporter);
}

/// The exception record: expected = 0, no step.
void record_unexpected(const arch::Trap& t, std::uint8_t code_bits) {
    Reporter r = boot_reporter();
    send_trap(r, t, code_bits, 0, false);
}

void panic_unexpected(const arch::Trap& t) {
    Reporter r = boot_reporter();
    panic_on_screen(r, t.vector, t.error_code, t.rip, t.cr2);
    r.final(0, harness::ExitStatus::panic);
    r.exit(harness::ExitStatus::panic);
}

void abort_unexpected() {
    boot_reporter().exit(harness::ExitStatus::panic);
}

}  // namespace

const arch::UnexpectedTrapHooks arch::unexpected_trap_hooks{&record_unexpected, &panic_unexpected, &abort_unexpected};

}  // namespace pagewalk::guest
