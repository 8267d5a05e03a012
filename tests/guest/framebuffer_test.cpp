// SPDX-License-Identifier: MIT OR Apache-2.0
// The framebuffer screen (guest/report/framebuffer.hpp, screen.hpp) over an ordinary array: the text grid's scale
// rule, glyphs in 32- and 24-bit pixel formats, the status row and scrolling — read back as a screenshot would be
// (host/iso/screenshot.hpp), which is how the ISO check finds the summary line on QEMU's screen.
#include "report/framebuffer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "iso/screenshot.hpp"
#include "report/screen.hpp"
#include "runner/summary_screen.hpp"

using namespace pagewalk::guest;
using pagewalk::host::iso::find_text_row;
using pagewalk::host::iso::Image;

namespace {

constexpr std::uint8_t kXrgb[6] = {16, 8, 8, 8, 0, 8};   // 0x00RRGGBB
constexpr std::uint8_t kBgr24[6] = {0, 8, 8, 8, 16, 8};  // bytes R, G, B

struct Fixture {
    FramebufferState fb{};
    ScreenState state{};
    std::vector<std::uint8_t> pixels;
    Fixture(unsigned w, unsigned h, std::uint8_t bpp, const std::uint8_t (&fields)[6], unsigned pitch_pad = 0) {
        const unsigned pitch = w * (bpp / 8u) + pitch_pad;
        pixels.assign(std::size_t{pitch} * h, 0x5a);
        EXPECT_TRUE(configure_framebuffer(fb, 0x1000, pitch, w, h, bpp, fields));
    }
    Screen screen() { return Screen(&state, &fb, pixels.data()); }
    Rgb at(unsigned x, unsigned y) const {
        const std::uint8_t* p = &pixels[std::size_t{y} * fb.pitch + x * (fb.bpp / 8u)];
        std::uint32_t v = p[0] | p[1] << 8 | p[2] << 16;
        auto channel = [&](unsigned pos) { return static_cast<std::uint8_t>(v >> pos); };
        return {channel(fb.red_position), channel(fb.green_position), channel(fb.blue_position)};
    }
    /// The screen as QEMU's screendump would save it.
    Image image() const {
        Image img{fb.width, fb.height, {}};
        for (unsigned y = 0; y < fb.height; ++y)
            for (unsigned x = 0; x < fb.width; ++x) {
                const Rgb c = at(x, y);
                img.rgb.insert(img.rgb.end(), {c.r, c.g, c.b});
            }
        return img;
    }
};

}  // namespace

TEST(Framebuffer, TheLargestScaleThatKeeps100ColumnsAnd30Rows) {
    const std::pair<unsigned, unsigned> sizes[] = {{2560, 1440}, {1920, 1080}, {1280, 800}, {1024, 768}, {3840, 2160}};
    const unsigned want[][3] = {{3, 106, 30}, {2, 120, 33}, {1, 160, 50}, {1, 128, 48}, {4, 120, 33}};
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
        FramebufferState fb{};
        ASSERT_TRUE(configure_framebuffer(fb, 0x1000, sizes[i].first * 4, sizes[i].first, sizes[i].second, 32, kXrgb));
        EXPECT_EQ(fb.scale, want[i][0]) << sizes[i].first;
        EXPECT_EQ(fb.columns, want[i][1]) << sizes[i].first;
        EXPECT_EQ(fb.rows, want[i][2]) << sizes[i].first;
    }
}

TEST(Framebuffer, RefusesWhatItCannotDrawOn) {
    FramebufferState fb{};
    EXPECT_FALSE(configure_framebuffer(fb, 0x1000, 1024 * 2, 1024, 768, 16, kXrgb));  // 16 bpp
    EXPECT_FALSE(configure_framebuffer(fb, 0x1000, 600 * 4, 600, 400, 32, kXrgb));    // under 80 × 25 cells
    EXPECT_FALSE(configure_framebuffer(fb, 0x1000, 1000, 1024, 768, 32, kXrgb));      // pitch under a line
    constexpr std::uint8_t outside[6] = {24, 16, 8, 8, 0, 8};
    EXPECT_FALSE(configure_framebuffer(fb, 0x1000, 1024 * 4, 1024, 768, 32, outside));
    EXPECT_FALSE(configure_framebuffer(fb, 0, 1024 * 4, 1024, 768, 32, kXrgb));
    EXPECT_EQ(fb.address, 0u);
}

TEST(Framebuffer, GlyphsAreTheFontsPixelsScaledInTheAttributesColours) {
    for (const bool bpp24 : {false, true}) {
        Fixture f(1920, 1080, bpp24 ? 24 : 32, bpp24 ? kBgr24 : kXrgb, 12);
        FramebufferText text(&f.fb, f.pixels.data());
        text.glyph(2, 5, 'A', 0x1e);  // yellow on blue
        const unsigned s = f.fb.scale, x0 = 5 * 8 * s, y0 = 2 * 16 * s;
        const std::uint8_t* rows = font::glyph('A');
        for (unsigned y = 0; y < 16 * s; ++y)
            for (unsigned x = 0; x < 8 * s; ++x) {
                const bool on = (rows[y / s] & (0x80 >> (x / s))) != 0;
                const Rgb want = on ? kVgaPalette[0xe] : kVgaPalette[1];
                const Rgb got = f.at(x0 + x, y0 + y);
                ASSERT_TRUE(got.r == want.r && got.g == want.g && got.b == want.b) << x << "," << y << " " << bpp24;
            }
        EXPECT_EQ(f.pixels[std::size_t{y0} * f.fb.pitch + f.fb.width * (f.fb.bpp / 8u)], 0x5a);  // pitch padding kept
    }
}

TEST(Framebuffer, ScreenLinesStatusAndScrollingReadBackFromTheScreenshot) {
    Fixture f(1024, 768, 32, kXrgb);
    Screen screen = f.screen();
    screen.start();
    screen.status(" pagewalk  1/2 programs");
    for (unsigned i = 0; i < f.fb.rows + 3u; ++i) screen.line(("line " + std::to_string(i)).c_str(), attr::pass);
    screen.line("pagewalk: 1 passed, 0 failed, 0 skipped (1 programs)", attr::pass);
    const Image img = f.image();
    EXPECT_EQ(find_text_row(img, " pagewalk  1/2 programs", attr::status), 0u);
    EXPECT_EQ(find_text_row(img, "pagewalk: 1 passed, 0 failed, 0 skipped (1 programs)", attr::pass),
              f.fb.rows - 2u);  // the cursor waits on the last row
    EXPECT_EQ(find_text_row(img, "line " + std::to_string(f.fb.rows + 2u), attr::pass), f.fb.rows - 3u);
    EXPECT_FALSE(find_text_row(img, "line 0", attr::pass));  // scrolled away
    EXPECT_FALSE(find_text_row(img, "pagewalk: 1 passed, 0 failed, 0 skipped (2 programs)", attr::pass));
    EXPECT_FALSE(find_text_row(img, "pagewalk: 1 passed, 0 failed, 0 skipped (1 programs)", attr::fail));
}

TEST(Framebuffer, TheQrCodeGoesBesideTheTextOrAboveTheLastTwoRows) {
    using pagewalk::guest::runner::place_qr;
    // 2560×1440, glyphs 3×: 74 columns of text take 1776 pixels; a version-20 symbol (97 + 8 modules) fits beside.
    const auto wide = place_qr(2560, 1440, 24, 48, 97);
    EXPECT_EQ(wide.module, 7u);
    EXPECT_GE(wide.x, 74u * 24);
    EXPECT_EQ(wide.y + 105 * wide.module, 1440u);
    // 800×600: no room beside, so top right, below the status row, ending above the last two text rows.
    const auto narrow = place_qr(800, 600, 8, 16, 97);
    EXPECT_EQ(narrow.module, 5u);
    EXPECT_EQ(narrow.y, 16u);
    EXPECT_LE(narrow.y + 105 * narrow.module, 600u - 2 * 16);
    EXPECT_EQ(narrow.x + 105 * narrow.module, 800u);
}
