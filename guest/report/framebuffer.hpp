// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: text on a linear framebuffer (what GRUB sets up on a UEFI boot, or on a BIOS boot through VBE,
// when the multiboot2 header asks for one): the 8×16 glyphs of harness/font8x16.hpp, each pixel drawn as a scale ×
// scale square so that text stays legible on high-resolution screens, in the VGA text mode's 16 colours.
//
// Header-only and free of hardware access so that the host's unit tests draw into an ordinary array
// (tests/guest/framebuffer_test.cpp). Pixel formats: direct RGB, 24 or 32 bits per pixel, any field positions
// (Multiboot2 §3.6.12, framebuffer_type 1).
#pragma once

#include <cstdint>
#include <pagewalk/harness/font8x16.hpp>
#include <pagewalk/harness/text_screen.hpp>

#include "report/boot_context.hpp"

namespace pagewalk::guest {

// The colours, glyphs and grid rule are the harness's: the host's screenshot check draws the same cells.
namespace font = harness::font;
using harness::kVgaPalette;
using harness::Rgb;

/// Fills `fb` for a framebuffer of these dimensions and pixel format; false when the screen cannot draw on it (not
/// 24 or 32 bits per pixel, a field outside the pixel, or smaller than 80 × 25 cells of 8 × 16).
inline bool configure_framebuffer(FramebufferState& fb, std::uint64_t address, std::uint32_t pitch, std::uint32_t width,
                                  std::uint32_t height, std::uint8_t bpp, const std::uint8_t (&fields)[6]) {
    fb = {};
    const std::optional<harness::TextGrid> grid = harness::text_grid(width, height);
    if ((bpp != 24 && bpp != 32) || address == 0 || !grid || pitch < width * (bpp / 8u)) return false;
    for (unsigned i = 0; i < 6; i += 2)
        if (fields[i + 1] == 0 || fields[i + 1] > 8 || fields[i] + fields[i + 1] > bpp) return false;
    fb.address = address;
    fb.pitch = pitch;
    fb.width = width;
    fb.height = height;
    fb.bpp = bpp;
    fb.red_position = fields[0];
    fb.red_size = fields[1];
    fb.green_position = fields[2];
    fb.green_size = fields[3];
    fb.blue_position = fields[4];
    fb.blue_size = fields[5];
    fb.scale = grid->scale;
    fb.columns = grid->columns;
    fb.rows = grid->rows;
    return true;
}

/// Drawing on the framebuffer `fb` describes, whose pixels are at `pixels` (its address as the current world sees
/// it).
class FramebufferText {
public:
    FramebufferText(const FramebufferState* fb, volatile std::uint8_t* pixels) : fb_(fb), px_(pixels) {}

    [[nodiscard]] const FramebufferState& state() const { return *fb_; }
    [[nodiscard]] unsigned cell_width() const { return fb_->scale * font::kWidth; }
    [[nodiscard]] unsigned cell_height() const { return fb_->scale * font::kHeight; }

    /// The pixel value of a colour in this framebuffer's format (each 8-bit channel cut to its field's size).
    [[nodiscard]] std::uint32_t pixel(Rgb c) const {
        return field(c.r, fb_->red_position, fb_->red_size) | field(c.g, fb_->green_position, fb_->green_size) |
               field(c.b, fb_->blue_position, fb_->blue_size);
    }

    /// A w × h rectangle at (x, y) in `c`, clipped to the screen.
    void fill(unsigned x, unsigned y, unsigned w, unsigned h, Rgb c) {
        const std::uint32_t v = pixel(c);
        const unsigned x_end = x + w < fb_->width ? x + w : fb_->width;
        const unsigned y_end = y + h < fb_->height ? y + h : fb_->height;
        for (unsigned row = y; row < y_end; ++row) {
            volatile std::uint8_t* line = px_ + std::uintptr_t{row} * fb_->pitch;
            for (unsigned col = x; col < x_end; ++col) put(line, col, v);
        }
    }

    /// Character `ch` in VGA attribute `a` (foreground bits 3:0, background bits 6:4) at text cell (row, col).
    void glyph(unsigned row, unsigned col, char ch, std::uint8_t a) {
        const std::uint32_t fg = pixel(kVgaPalette[a & 15]);
        const std::uint32_t bg = pixel(kVgaPalette[(a >> 4) & 7]);
        const std::uint8_t* rows = font::glyph(ch);
        const unsigned s = fb_->scale;
        const unsigned x0 = col * cell_width();
        for (unsigned gy = 0; gy < font::kHeight; ++gy) {
            for (unsigned sy = 0; sy < s; ++sy) {
                volatile std::uint8_t* line = px_ + std::uintptr_t{row * cell_height() + gy * s + sy} * fb_->pitch;
                unsigned x = x0;
                for (unsigned gx = 0; gx < font::kWidth; ++gx) {
                    const std::uint32_t v = (rows[gy] & (0x80u >> gx)) != 0 ? fg : bg;
                    for (unsigned sx = 0; sx < s; ++sx) put(line, x++, v);
                }
            }
        }
    }

    /// Moves text rows first+1 … last up by one row and clears row `last` (black).
    void scroll(unsigned first, unsigned last) {
        const std::uintptr_t row_bytes = std::uintptr_t{cell_height()} * fb_->pitch;
        const std::uintptr_t used = std::uintptr_t{fb_->width} * (fb_->bpp / 8u);  // bytes of a scan line shown
        volatile std::uint8_t* dst = px_ + first * row_bytes;
        for (std::uintptr_t line = 0; line < (last - first) * std::uintptr_t{cell_height()}; ++line)
            copy(dst + line * fb_->pitch, dst + row_bytes + line * fb_->pitch, used);
        fill(0, last * cell_height(), fb_->width, cell_height(), kVgaPalette[0]);
    }

private:
    static std::uint32_t field(std::uint8_t v, std::uint8_t position, std::uint8_t size) {
        return static_cast<std::uint32_t>(v >> (8 - size)) << position;
    }

    void put(volatile std::uint8_t* line, unsigned x, std::uint32_t v) const {
        if (fb_->bpp == 32) {
            *reinterpret_cast<volatile std::uint32_t*>(line + x * 4u) = v;
            return;
        }
        volatile std::uint8_t* p = line + x * 3u;
        p[0] = static_cast<std::uint8_t>(v);
        p[1] = static_cast<std::uint8_t>(v >> 8);
        p[2] = static_cast<std::uint8_t>(v >> 16);
    }

    /// n bytes from src to dst (dst below src), 4 at a time where both are aligned.
    static void copy(volatile std::uint8_t* dst, volatile const std::uint8_t* src, std::uintptr_t n) {
        std::uintptr_t i = 0;
        if (((reinterpret_cast<std::uintptr_t>(dst) | reinterpret_cast<std::uintptr_t>(src)) & 3) == 0)
            for (; i + 4 <= n; i += 4)
                *reinterpret_cast<volatile std::uint32_t*>(dst + i) =
                    *reinterpret_cast<volatile const std::uint32_t*>(src + i);
        for (; i < n; ++i) dst[i] = src[i];
    }

    const FramebufferState* fb_;
    volatile std::uint8_t* px_;
};

}  // namespace pagewalk::guest
