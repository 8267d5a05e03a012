// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the text screen, for a physical machine with no serial cable: a status line (row 0) and a
// scrolling region (rows 1…) of progress lines. Either the VGA text screen (80×25 cells at physical 0xB8000, as
// GRUB leaves it on a BIOS boot in text mode) or a linear framebuffer (report/framebuffer.hpp: a UEFI boot, or a
// BIOS boot in a graphics mode), with the same lines and colours. Write-only (nothing is read back from video
// memory except to scroll), no cursor. Compiled into both worlds; the cursor position and the framebuffer's
// description live in the shared BootContext, so the 32-bit and 64-bit worlds write one screen.
//
// Header-only and free of port I/O so that the host's unit tests run it over an ordinary array
// (tests/guest/screen_test.cpp); report/vga.cpp has the parts that touch hardware. VGA cell format: IBM VGA text
// mode 3, character byte then attribute byte (foreground bits 3:0, background bits 6:4).
#pragma once

#include <cstdint>

#include "report/boot_context.hpp"
#include "report/framebuffer.hpp"
#include "report/reporter.hpp"

namespace pagewalk::guest {

/// Text attributes (foreground | background << 4).
namespace attr {
inline constexpr std::uint8_t normal = 0x07;  ///< light grey on black
inline constexpr std::uint8_t pass = 0x0a;    ///< light green
inline constexpr std::uint8_t fail = 0x0c;    ///< light red
inline constexpr std::uint8_t skip = 0x0e;    ///< yellow
inline constexpr std::uint8_t status = 0x1f;  ///< white on blue
inline constexpr std::uint8_t panic = 0x4f;   ///< white on red
}  // namespace attr

/// A text screen with its cursor in `state`: over `cells` (kColumns × kRows 16-bit VGA cells), or over a
/// framebuffer's pixels.
class Screen {
public:
    static constexpr unsigned kColumns = 80;  ///< the VGA text screen's
    static constexpr unsigned kRows = 25;
    static constexpr unsigned kFirstRow = 1;  ///< row 0 is the status line

    Screen(ScreenState* state, volatile std::uint16_t* cells) : s_(state), cells_(cells), fb_(nullptr, nullptr) {}
    Screen(ScreenState* state, const FramebufferState* fb, volatile std::uint8_t* pixels)
        : s_(state), cells_(nullptr), fb_(fb, pixels), columns_(fb->columns), rows_(fb->rows) {}

    [[nodiscard]] bool on() const { return s_->on != 0; }
    [[nodiscard]] bool graphics() const { return cells_ == nullptr; }
    [[nodiscard]] unsigned columns() const { return columns_; }
    [[nodiscard]] unsigned rows() const { return rows_; }
    /// The framebuffer (graphics() only).
    FramebufferText& framebuffer() { return fb_; }

    /// Turns the screen on and clears it (cursor at the top of the scrolling region).
    void start() {
        s_->on = 1;
        if (graphics())
            fb_.fill(0, 0, ~0u, ~0u, kVgaPalette[0]);
        else
            for (unsigned i = 0; i < kColumns * kRows; ++i) cells_[i] = cell(' ', attr::normal);
        s_->row = kFirstRow;
        s_->col = 0;
    }

    /// Row 0: `text`, cut or padded to the width.
    void status(const char* text, std::uint8_t a = attr::status) {
        if (!on()) return;
        unsigned c = 0;
        for (; c < columns_ && text[c] != 0; ++c) put(0, c, text[c], a);
        for (; c < columns_; ++c) put(0, c, ' ', a);
    }

    /// `text` from the cursor on ('\n' ends a line; at the right edge it wraps, or with `wrap` false the rest of
    /// the line is cut), then a new line.
    void line(const char* text, std::uint8_t a = attr::normal, bool wrap = true) {
        if (!on()) return;
        for (; *text != 0; ++text) {
            if (*text == '\n') {
                newline();
                continue;
            }
            if (s_->col >= columns_) {
                if (!wrap) continue;
                newline();
            }
            put(s_->row, s_->col, *text, a);
            ++s_->col;
        }
        newline();
    }

private:
    static std::uint16_t cell(char ch, std::uint8_t a) {
        const auto c = static_cast<std::uint8_t>(ch);
        return static_cast<std::uint16_t>((c >= 0x20 && c < 0x7f ? c : '?') | a << 8);
    }

    void put(unsigned row, unsigned col, char ch, std::uint8_t a) {
        if (graphics())
            fb_.glyph(row, col, ch, a);
        else
            cells_[row * kColumns + col] = cell(ch, a);
    }

    void newline() {
        s_->col = 0;
        if (s_->row + 1u < rows_) {
            ++s_->row;
            return;
        }
        if (graphics()) {
            fb_.scroll(kFirstRow, rows_ - 1);
            return;
        }
        for (unsigned r = kFirstRow; r + 1 < kRows; ++r)  // scroll the region up one row
            for (unsigned c = 0; c < kColumns; ++c) cells_[r * kColumns + c] = cells_[(r + 1) * kColumns + c];
        for (unsigned c = 0; c < kColumns; ++c) cells_[(kRows - 1) * kColumns + c] = cell(' ', attr::normal);
    }

    ScreenState* s_;
    volatile std::uint16_t* cells_;  ///< nullptr: the framebuffer
    FramebufferText fb_;
    unsigned columns_ = kColumns;
    unsigned rows_ = kRows;
};

/// The boot's screen: the framebuffer pw_boot_context describes when it has one, else the VGA text screen at
/// physical 0xB8000 (text mode, as GRUB leaves it on a BIOS boot) — identity-mapped in both worlds' own view of
/// memory (the framebuffer once map_framebuffer() has run in that world), but not in a scenario's tables: write it
/// only between programs (report/vga.cpp).
Screen boot_screen();
/// Makes the framebuffer pw_boot_context describes reachable at its physical address in this world's own page
/// tables (the 64-bit world's boot map covers the first 1 GiB only; the 32-bit world runs them with paging off).
/// False when it cannot (then the screen stays off).
bool map_framebuffer(std::uint64_t address, std::uint64_t bytes);
/// From now on the boot's screen is the framebuffer `fb` (both worlds), when this world can reach it.
bool use_framebuffer(const FramebufferState& fb);
/// Hides the hardware cursor (CRT controller, ports 0x3D4/0x3D5: cursor start register bit 5).
void vga_hide_cursor();

/// An unexpected exception, in words, on the screen (when it is on) and on COM1: "PANIC: unexpected #14 err=0x…
/// rip=0x… cr2=0x… in program K of N; the rest did not run". The caller has made 0xB8000 reachable again (the
/// guest's own identity map, or paging off).
void panic_on_screen(Reporter& r, std::uint8_t vector, std::uint64_t error_code, std::uint64_t rip, std::uint64_t cr2);

}  // namespace pagewalk::guest
