// SPDX-License-Identifier: MIT OR Apache-2.0
// The VGA text screen (guest/report/screen.hpp) over an ordinary array: the status row stays, lines wrap or are
// cut, the region scrolls, every cell is character + attribute.
#include "report/screen.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace pagewalk::guest;

namespace {

struct Fixture {
    ScreenState state{};
    std::vector<std::uint16_t> cells = std::vector<std::uint16_t>(Screen::kColumns * Screen::kRows, 0xffff);
    Screen screen{&state, cells.data()};

    std::string row(unsigned r) const {
        std::string s;
        for (unsigned c = 0; c < Screen::kColumns; ++c) s += static_cast<char>(cells[r * Screen::kColumns + c] & 0xff);
        return s.substr(0, s.find_last_not_of(' ') + 1);
    }
    std::uint8_t attr_at(unsigned r, unsigned c) const { return cells[r * Screen::kColumns + c] >> 8; }
};

}  // namespace

TEST(Screen, NothingIsWrittenBeforeStart) {
    Fixture f;
    f.screen.line("hello");
    f.screen.status("status");
    EXPECT_EQ(f.cells[0], 0xffff);
}

TEST(Screen, StartClearsAndLinesGoBelowTheStatusRow) {
    Fixture f;
    f.screen.start();
    EXPECT_EQ(f.row(5), "");
    EXPECT_EQ(f.attr_at(24, 79), attr::normal);
    f.screen.status(" pagewalk  1/2");
    f.screen.line("first", attr::pass);
    f.screen.line("second", attr::fail);
    EXPECT_EQ(f.row(0), " pagewalk  1/2");
    EXPECT_EQ(f.attr_at(0, 79), attr::status);  // the status row is padded to the width
    EXPECT_EQ(f.row(1), "first");
    EXPECT_EQ(f.attr_at(1, 0), attr::pass);
    EXPECT_EQ(f.row(2), "second");
    EXPECT_EQ(f.attr_at(2, 0), attr::fail);
    EXPECT_EQ(f.state.row, 3);
}

TEST(Screen, LongLinesWrapOrAreCut) {
    Fixture f;
    f.screen.start();
    const std::string long_line = std::string(80, 'a') + "bc";
    f.screen.line(long_line.c_str());
    EXPECT_EQ(f.row(1), std::string(80, 'a'));
    EXPECT_EQ(f.row(2), "bc");
    f.screen.line(long_line.c_str(), attr::normal, false);
    EXPECT_EQ(f.row(3), std::string(80, 'a'));
    EXPECT_EQ(f.row(4), "");  // cut, not wrapped
    const std::string exactly = std::string(80, 'x');
    f.screen.line(exactly.c_str());
    EXPECT_EQ(f.row(4), exactly);
    EXPECT_EQ(f.state.row, 5);  // an 80-character line takes one row
}

TEST(Screen, TheRegionScrollsAndTheStatusRowStays) {
    Fixture f;
    f.screen.start();
    f.screen.status("STATUS");
    for (int i = 0; i < 30; ++i) f.screen.line(("line " + std::to_string(i)).c_str());
    EXPECT_EQ(f.row(0), "STATUS");
    EXPECT_EQ(f.row(24), "");  // the next line goes here
    EXPECT_EQ(f.row(23), "line 29");
    EXPECT_EQ(f.row(1), "line 7");  // 30 lines, 23 rows above the cursor's
}

TEST(Screen, UnprintableCharactersShowAsQuestionMarks) {
    Fixture f;
    f.screen.start();
    f.screen.line("a\tb\x7f");
    EXPECT_EQ(f.row(1), "a?b?");
    f.screen.line("x\ny");
    EXPECT_EQ(f.row(2), "x");
    EXPECT_EQ(f.row(3), "y");
}
