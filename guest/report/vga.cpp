// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the screen's hardware side (see screen.hpp): the VGA text screen or the boot loader's framebuffer.
// Built into both worlds.
#include <pagewalk/entry.hpp>

#include "arch/cpu.hpp"
#include "report/screen.hpp"
#include "report/text.hpp"

extern "C" pagewalk::guest::BootContext pw_boot_context;
#if defined(__x86_64__)
extern "C" std::uint64_t pw_boot_pdpt[512];
#endif

namespace pagewalk::guest {

namespace {
bool g_framebuffer_mapped = false;  ///< in this world's own tables
}  // namespace

Screen boot_screen() {
    const FramebufferState& fb = pw_boot_context.framebuffer;
    if (fb.address != 0 && !g_framebuffer_mapped)
        g_framebuffer_mapped = map_framebuffer(fb.address, std::uint64_t{fb.pitch} * fb.height);
    if (fb.address != 0 && g_framebuffer_mapped)
        return Screen(&pw_boot_context.screen, &fb,
                      reinterpret_cast<volatile std::uint8_t*>(static_cast<std::uintptr_t>(fb.address)));
    // Physical 0xB8000: the colour text buffer of VGA mode 3 (IBM VGA Technical Reference, "Display memory").
    return Screen(&pw_boot_context.screen, reinterpret_cast<volatile std::uint16_t*>(std::uintptr_t{0xb8000}));
}

#if defined(__x86_64__)
namespace {
constexpr std::uint64_t kGiB = 1ull << 30;
constexpr unsigned kFramebufferDirectories = 2;  ///< a framebuffer of up to 1 GiB touches at most two GiB regions
alignas(4096) std::uint64_t g_framebuffer_pd[kFramebufferDirectories][512];
}  // namespace

bool map_framebuffer(std::uint64_t address, std::uint64_t bytes) {
    // The boot PDPT (boot/page_tables.S) maps the first GiB; each further GiB the framebuffer touches gets a page
    // directory of 2 MiB pages, identity-mapped (SDM Vol. 3A §4.5, Table 4-17: PS = 1 in a PDE). The memory type
    // is left to the MTRRs (PAT index 0: write-back, which the firmware's UC or WC MTRR for the aperture overrides).
    const std::uint64_t first = address / kGiB, last = (address + bytes - 1) / kGiB;
    if (bytes == 0 || last >= 512 || last - first >= kFramebufferDirectories) return false;
    for (std::uint64_t g = first; g <= last; ++g) {
        if (g == 0 || (pw_boot_pdpt[g] & entry_bit::present) != 0) continue;
        std::uint64_t* pd = g_framebuffer_pd[g - first];
        for (std::uint64_t i = 0; i < 512; ++i)
            pd[i] = (g * kGiB + (i << 21)) | entry_bit::present | entry_bit::writable | entry_bit::page_size;
        pw_boot_pdpt[g] = reinterpret_cast<std::uintptr_t>(pd) | entry_bit::present | entry_bit::writable;
    }
    arch::write_cr3(arch::read_cr3());
    return true;
}
#else
bool map_framebuffer(std::uint64_t address, std::uint64_t bytes) {
    // The 32-bit world draws with paging off (between programs, and in its panic path): physical addresses below
    // 4 GiB only.
    return bytes != 0 && address + bytes <= (1ull << 32);
}
#endif

bool use_framebuffer(const FramebufferState& fb) {
    if (fb.address == 0 || !map_framebuffer(fb.address, std::uint64_t{fb.pitch} * fb.height)) return false;
    pw_boot_context.framebuffer = fb;
    g_framebuffer_mapped = true;
    return true;
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
    Screen screen = boot_screen();
    screen.line(t.c_str(), attr::panic);
    screen.status(" pagewalk  PANIC (see the last line)", attr::panic);
    r.console(t.c_str());
    r.console("\n");
}

}  // namespace pagewalk::guest
