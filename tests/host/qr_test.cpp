// SPDX-License-Identifier: MIT OR Apache-2.0
// The guest's QR encoder (harness/qr.hpp) read back by an independent decoder, zbarimg (Debian: zbar-tools): texts
// that need every version from 1 to kMaxVersion, and the run summary itself. SKIPs (with the reason) without zbarimg.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <pagewalk/harness/qr.hpp>
#include <random>
#include <string>

#include "iso/screenshot.hpp"

namespace qr = pagewalk::harness::qr;
using namespace pagewalk::host::iso;

namespace {

/// The symbol as a PPM with a 4-module quiet zone, 3 pixels per module.
void write_symbol(const qr::Code& code, const std::string& path) {
    const int m = 3, n = (code.size() + 8) * m;
    std::ofstream out(path, std::ios::binary);
    out << "P6\n" << n << " " << n << "\n255\n";
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const int mx = x / m - 4, my = y / m - 4;
            const bool dark = mx >= 0 && my >= 0 && mx < code.size() && my < code.size() && code.dark(mx, my);
            const char v = dark ? 0 : static_cast<char>(255);
            out << v << v << v;
        }
}

std::string temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() /
            ("pagewalk-qr-" + std::to_string(::getpid()) + "-" + name + ".ppm"))
        .string();
}

}  // namespace

TEST(Qr, CapacityAtLevelMMatchesTheStandardsTable) {
    // ISO/IEC 18004 Table 7, byte mode, level M.
    EXPECT_EQ(qr::byte_capacity(1), 14);
    EXPECT_EQ(qr::byte_capacity(10), 213);
    EXPECT_EQ(qr::byte_capacity(20), 666);
    EXPECT_EQ(qr::byte_capacity(25), 997);
}

TEST(Qr, TooLongIsRefused) {
    static qr::Code code;
    const std::string text(static_cast<std::size_t>(qr::byte_capacity(qr::kMaxVersion)) + 1, 'x');
    EXPECT_FALSE(code.encode(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

TEST(Qr, EveryVersionIsReadBackByZbarimg) {
    const std::string zbarimg = find_zbarimg();
    if (zbarimg.empty()) GTEST_SKIP() << "zbarimg missing (Debian: zbar-tools)";
    static qr::Code code;
    std::mt19937 rng(7);
    const std::string path = temp_path("versions");
    for (int v = 1; v <= qr::kMaxVersion; ++v) {
        std::string text;
        for (int i = 0; i < qr::byte_capacity(v); ++i) text += static_cast<char>('!' + rng() % 90);
        ASSERT_TRUE(code.encode(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
        ASSERT_EQ(code.version(), v);
        ASSERT_EQ(code.size(), 17 + 4 * v);
        write_symbol(code, path);
        auto read = read_qr_code(zbarimg, path);
        ASSERT_TRUE(read) << "version " << v << ": " << read.error();
        EXPECT_EQ(*read, text) << "version " << v << ", mask " << code.mask();
    }
    std::filesystem::remove(path);
}
