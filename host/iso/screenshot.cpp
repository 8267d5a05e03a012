// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/screenshot.hpp"

#include <fstream>
#include <pagewalk/harness/font8x16.hpp>
#include <pagewalk/harness/text_screen.hpp>
#include <sstream>

#include "util/process.hpp"

namespace pagewalk::host::iso {

Expected<Image> read_ppm(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read " + path};
    std::string magic;
    unsigned maxval = 0;
    Image img;
    in >> magic >> img.width >> img.height >> maxval;
    if (!in || magic != "P6" || maxval != 255 || img.width == 0 || img.height == 0 || img.width > 16384 ||
        img.height > 16384)
        return Error{path + ": not a binary PPM (P6, maxval 255) of a sensible size"};
    in.get();  // the one whitespace byte before the pixels
    img.rgb.resize(std::size_t{img.width} * img.height * 3);
    in.read(reinterpret_cast<char*>(img.rgb.data()), static_cast<std::streamsize>(img.rgb.size()));
    if (in.gcount() != static_cast<std::streamsize>(img.rgb.size())) return Error{path + ": the pixels are cut short"};
    return img;
}

std::optional<TextGrid> text_grid(unsigned width, unsigned height) {
    // The guest's rule (the pixel format does not change the grid).
    const std::optional<harness::TextGrid> grid = harness::text_grid(width, height);
    if (!grid) return std::nullopt;
    return TextGrid{grid->columns, grid->rows, grid->scale};
}

std::optional<unsigned> find_text_row(const Image& image, const std::string& text, std::uint8_t attr) {
    const std::optional<TextGrid> grid = text_grid(image.width, image.height);
    if (!grid || text.size() > grid->columns) return std::nullopt;
    const unsigned s = grid->scale, cw = s * harness::font::kWidth, ch = s * harness::font::kHeight;
    const harness::Rgb fg = harness::kVgaPalette[attr & 15], bg = harness::kVgaPalette[(attr >> 4) & 7];
    auto matches = [&](unsigned row) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            const std::uint8_t* glyph = harness::font::glyph(text[i]);
            for (unsigned y = 0; y < ch; ++y)
                for (unsigned x = 0; x < cw; ++x) {
                    const bool on = (glyph[y / s] & (0x80u >> (x / s))) != 0;
                    const harness::Rgb want = on ? fg : bg;
                    const std::size_t at =
                        (std::size_t{row * ch + y} * image.width + static_cast<unsigned>(i) * cw + x) * 3;
                    if (image.rgb[at] != want.r || image.rgb[at + 1] != want.g || image.rgb[at + 2] != want.b)
                        return false;
                }
        }
        return true;
    };
    for (unsigned row = 0; row < grid->rows; ++row)
        if (matches(row)) return row;
    return std::nullopt;
}

std::string find_zbarimg() {
    return find_program("zbarimg");
}

Expected<std::string> read_qr_code(const std::string& zbarimg, const std::string& path) {
    // --raw: the symbol's text alone (a newline after it); -q: no statistics. Exit 4: no symbol found.
    const ProcessResult r = run_process({zbarimg, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path}, false);
    if (r.exit_code == 4 || (r.exit_code == 0 && r.output.empty())) return Error{"zbarimg found no QR code in " + path};
    if (r.exit_code != 0) return Error{"zbarimg failed on " + path + " (exit " + std::to_string(r.exit_code) + ")"};
    std::string text = r.output;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

}  // namespace pagewalk::host::iso
