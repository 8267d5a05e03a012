// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what a screenshot of the guest's framebuffer screen shows (QEMU's screendump, PPM) — checked as a
// person would read it: a line of text, drawn host-side with the guest's own font and scale rule
// (guest/report/framebuffer.hpp) and found pixel for pixel, and the QR code, read by zbarimg (Debian: zbar-tools).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace pagewalk::host::iso {

/// An RGB image, 8 bits per channel, rows top to bottom.
struct Image {
    unsigned width = 0, height = 0;
    std::vector<std::uint8_t> rgb;  ///< width × height × 3
};

/// Reads a binary PPM (P6, maxval 255), as QEMU's screendump writes it.
Expected<Image> read_ppm(const std::string& path);

/// Where `text` stands on the screen: the text row (the guest's grid for this screen size) whose first
/// characters are exactly `text` in VGA attribute `attr` — every pixel of every glyph. nullopt when no row has it.
std::optional<unsigned> find_text_row(const Image& image, const std::string& text, std::uint8_t attr);

/// The guest's text grid on this screen: columns, rows and glyph scale (the rule of harness/text_screen.hpp, which the
/// guest uses).
struct TextGrid {
    unsigned columns = 0, rows = 0, scale = 0;
};
std::optional<TextGrid> text_grid(unsigned width, unsigned height);

/// zbarimg's path, or "" when it is not installed.
std::string find_zbarimg();

/// The text of the one QR code in the image file at `path` (zbarimg --raw), or why there is none.
Expected<std::string> read_qr_code(const std::string& zbarimg, const std::string& path);

}  // namespace pagewalk::host::iso
