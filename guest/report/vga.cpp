// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the VGA text screen's hardware side (see screen.hpp). Built into both worlds.
#include "arch/cpu.hpp"
#include "report/screen.hpp"
#include "report/text.hpp"

extern "C" pagewalk::guest::BootContext pw_boot_context;

namespace pagewalk::guest {

Screen vga_screen() {
    // Physical 0xB8000: the colour text buffer of VGA mode 3 (IBM VGA Technical Reference, "Display memory").
    return Screen(&pw_boot_context.screen, reinterpret_cast<volatile std::uint16_t*>(std::uintptr_t{0xb8000}));
}

void vga_hide_cursor() {
    arch::outb(0x3d4, 0x0a);  // CRT controller index: Cursor Start register
    arch::outb(0x3d5, 0x20);  // bit 5: cursor off
}

void panic_on_screen(Reporter& r, std::uint8_t vector, std::uint64_t error_code, std::uint64_t rip, std::uint64_t cr2) {
    if (r.transport() != harness::TransportKind::serial) return;
    const RunTally& tally = pw_boot_context.tally;
    Text t;
    t << "PANIC: unexpected exception ";
    t.dec(vector) << " err=";
    t.hex(error_code) << " rip=";
    t.hex(rip) << " cr2=";
    t.hex(cr2);
    if (tally.modules != 0) {
        t << " in program ";
        t.dec(tally.done + 1) << " of ";
        t.dec(tally.modules) << "; the rest did not run";
    }
    Screen screen = vga_screen();
    screen.line(t.c_str(), attr::panic);
    screen.status(" pagewalk  PANIC (see the last line)", attr::panic);
    r.console(t.c_str());
    r.console("\n");
}

}  // namespace pagewalk::guest
