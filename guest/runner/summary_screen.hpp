// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest runner: the run's summary as a QR code (harness/qr.hpp, harness/summary.hpp) at the right of a
// framebuffer screen, drawn after the summary line (which it leaves visible), so that a phone camera can carry the
// result away from a machine with no serial cable. Not on the VGA text screen (80×25 cells hold no QR code of this
// size). Portable
// (-m32 and -m64).
#pragma once

#include <cstdint>
#include <pagewalk/harness/qr.hpp>
#include <pagewalk/harness/summary.hpp>

#include "report/screen.hpp"

namespace pagewalk::guest::runner {

/// Columns the program lines take on the screen (the short form: index, verdict, mode, 32-character name, detail):
/// the QR code goes to their right when the screen is wide enough.
inline constexpr unsigned kTextColumns = 74;
inline constexpr int kQuietZone = 4;  ///< light modules around the symbol (ISO/IEC 18004 §6.3.8)

/// Where and how large the symbol is drawn: module pixels, and the top left corner of the quiet zone.
struct QrPlacement {
    unsigned module = 0;
    unsigned x = 0, y = 0;
};

/// Beside the text at the bottom right when it fits there with modules of at least 2 pixels; else at the top right,
/// below the status row, over the older program lines but clear of the last two rows (the summary line and the
/// cursor's), as large as that space allows.
inline QrPlacement place_qr(unsigned width, unsigned height, unsigned cell_width, unsigned cell_height, int size) {
    const unsigned total = static_cast<unsigned>(size + 2 * kQuietZone);
    const unsigned below_status = height - cell_height;
    const unsigned beside = width > kTextColumns * cell_width ? width - kTextColumns * cell_width : 0;
    const unsigned module = beside / total < below_status / total ? beside / total : below_status / total;
    if (module >= 2) return {module, width - total * module, height - total * module};
    const unsigned above_last_rows = height - 3 * cell_height;
    const unsigned over = (width < above_last_rows ? width : above_last_rows) / total;
    return {over, width - total * over, cell_height};
}

/// Encodes `s` and draws it; false when the screen has no framebuffer or the symbol does not fit.
inline bool draw_summary_qr(Screen& screen, const harness::summary::Summary& s) {
    if (!screen.on() || !screen.graphics()) return false;
    static harness::qr::Code code;  // 30 KiB: not on the stack
    static char text[harness::summary::kMaxText];
    const std::size_t n = harness::summary::encode(s, text, sizeof text);
    if (n == 0 || !code.encode(reinterpret_cast<const std::uint8_t*>(text), n)) return false;
    FramebufferText& fb = screen.framebuffer();
    const FramebufferState& st = fb.state();
    const QrPlacement p = place_qr(st.width, st.height, fb.cell_width(), fb.cell_height(), code.size());
    if (p.module == 0) return false;
    const unsigned total = static_cast<unsigned>(code.size() + 2 * kQuietZone) * p.module;
    fb.fill(p.x, p.y, total, total, kVgaPalette[15]);
    for (int y = 0; y < code.size(); ++y)
        for (int x = 0; x < code.size(); ++x)
            if (code.dark(x, y))
                fb.fill(p.x + static_cast<unsigned>(x + kQuietZone) * p.module,
                        p.y + static_cast<unsigned>(y + kQuietZone) * p.module, p.module, p.module, kVgaPalette[0]);
    return true;
}

}  // namespace pagewalk::guest::runner
