// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: how the guest lays out text on a linear framebuffer — the VGA colours and the text grid's rule —
// shared by the guest's screen (guest/report/framebuffer.hpp) and the host's screenshot check
// (host/iso/screenshot.cpp), so that both draw the same cells. The glyphs are font8x16.hpp.
#pragma once

#include <cstdint>
#include <optional>

#include "font8x16.hpp"

namespace pagewalk::harness {

struct Rgb {
    std::uint8_t r, g, b;
};

/// The VGA text mode's 16 colours (the default DAC values of IBM VGA mode 3), indexed by attribute nibble.
inline constexpr Rgb kVgaPalette[16] = {{0, 0, 0},     {0, 0, 170},    {0, 170, 0},    {0, 170, 170},
                                        {170, 0, 0},   {170, 0, 170},  {170, 85, 0},   {170, 170, 170},
                                        {85, 85, 85},  {85, 85, 255},  {85, 255, 85},  {85, 255, 255},
                                        {255, 85, 85}, {255, 85, 255}, {255, 255, 85}, {255, 255, 255}};

/// The text grid's rule: the largest integer glyph scale that still leaves kMinColumns × kMinRows cells (at least
/// 1), so a 2560×1440 screen gets scale 3 (106 × 30 cells), 1920×1080 scale 2 (120 × 33), 1024×768 scale 1.
inline constexpr unsigned kMinColumns = 100;
inline constexpr unsigned kMinRows = 30;

/// The text cells on a framebuffer: each glyph pixel is scale × scale screen pixels.
struct TextGrid {
    std::uint16_t columns = 0, rows = 0;
    std::uint8_t scale = 1;
};

/// The grid on a width × height framebuffer; nullopt when it holds fewer than 80 × 25 cells of 8 × 16.
constexpr std::optional<TextGrid> text_grid(std::uint32_t width, std::uint32_t height) {
    if (width < 80 * font::kWidth || height < 25 * font::kHeight) return std::nullopt;
    unsigned scale = 1;
    while (width / ((scale + 1) * font::kWidth) >= kMinColumns && height / ((scale + 1) * font::kHeight) >= kMinRows)
        ++scale;
    return TextGrid{static_cast<std::uint16_t>(width / (scale * font::kWidth)),
                    static_cast<std::uint16_t>(height / (scale * font::kHeight)), static_cast<std::uint8_t>(scale)};
}

}  // namespace pagewalk::harness
