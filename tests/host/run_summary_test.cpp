// SPDX-License-Identifier: MIT OR Apache-2.0
// The run summary the ISO's QR code carries (harness/summary.hpp, host/iso/run_summary.hpp): encode and decode give
// the same summary back; failures past the room are cut with "truncated 1"; a changed, cut or foreign text is refused
// with the line that is wrong; the report `pagewalk iso --decode` prints.
#include "iso/run_summary.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/runner_records.hpp>
#include <string>

namespace sm = pagewalk::harness::summary;
using namespace pagewalk::host::iso;

namespace {

sm::Summary example(unsigned failures) {
    sm::Summary s{};
    std::strcpy(s.version, "0.1.0");
    s.build_id = 0x692f3a80;
    std::strcpy(s.vendor, "GenuineIntel");
    s.family = 6;
    s.model = 85;
    s.stepping = 7;
    s.microcode = 0x5003604;
    s.microcode_known = 1;
    s.maxphyaddr = 46;
    s.features = 0x7ff;
    s.modes[1] = {10, 1, 2};
    s.modes[2] = {12, 0, 0};
    s.modes[3] = {50, 3, 0};
    s.modes[4] = {0, 0, 50};
    for (unsigned i = 0; i < failures; ++i)
        sm::add_failure(s, 4 + i, 3, i % 5 == 4, 1 + i, pagewalk::harness::guest_check::expectation,
                        ("a-rather-long-scenario-name-" + std::to_string(i)).c_str());
    return s;
}

bool same(const sm::Summary& a, const sm::Summary& b) {
    return summary_text(a) == summary_text(b);
}

}  // namespace

TEST(RunSummary, EncodeThenDecodeGivesTheSameSummary) {
    const sm::Summary s = example(3);
    const std::string text = summary_text(s);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.rfind("pagewalk-summary 1\nversion 0.1.0\nbuild 692f3a80\n"
                         "cpu GenuineIntel 6 85 7 ucode 5003604 phys 46 features 7ff\nmode 32bit 10 1 2\n",
                         0),
              0u);
    auto back = decode_summary(text);
    ASSERT_TRUE(back) << back.error();
    EXPECT_TRUE(same(*back, s));
    EXPECT_EQ(back->failure_count, 3u);
    EXPECT_STREQ(back->failures[2].name, "a-rather-long-scenario-n");  // cut at kNameChars
    EXPECT_EQ(back->microcode, 0x5003604u);
}

TEST(RunSummary, FailuresPastTheRoomAreCutAndFlagged) {
    const sm::Summary s = example(40);  // more than kMaxFailures, and more than kMaxText bytes
    EXPECT_EQ(s.failure_count, sm::kMaxFailures);
    EXPECT_EQ(s.truncated, 1u);
    const std::string text = summary_text(s);
    EXPECT_LE(text.size(), sm::kMaxText);
    auto back = decode_summary(text);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->truncated, 1u);
    EXPECT_LT(back->failure_count, sm::kMaxFailures);  // the text's room ran out first
    EXPECT_NE(text.find("\ntruncated 1\n"), std::string::npos);
    EXPECT_NE(summary_report(*back).find("more programs failed than the summary has room for"), std::string::npos);
}

TEST(RunSummary, AChangedOrCutTextIsRefusedWithItsLine) {
    const std::string text = summary_text(example(2));
    std::string changed = text;
    changed[changed.find("mode 4level 50") + 12] = '6';  // 50 → 60 passed
    auto r = decode_summary(changed);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("checksum does not match"), std::string::npos) << r.error();

    auto cut = decode_summary(text.substr(0, text.find("truncated")));
    ASSERT_FALSE(cut);
    EXPECT_NE(cut.error().find("line 11: expected \"truncated 0|1\""), std::string::npos) << cut.error();

    auto later = decode_summary("pagewalk-summary 2\n");
    ASSERT_FALSE(later);
    EXPECT_NE(later.error().find("format this pagewalk does not know"), std::string::npos);

    auto foreign = decode_summary("https://example.org/\n");
    ASSERT_FALSE(foreign);
    EXPECT_NE(foreign.error().find("line 1: not a pagewalk summary"), std::string::npos);

    std::string bad_cpu = text;
    bad_cpu.replace(bad_cpu.find(" phys "), 6, " phyz ");
    auto cpu = decode_summary(bad_cpu);
    ASSERT_FALSE(cpu);
    EXPECT_NE(cpu.error().find("line 4: expected \"cpu VENDOR"), std::string::npos) << cpu.error();

    EXPECT_FALSE(decode_summary(text + "more\n"));                 // nothing after the crc line
    EXPECT_TRUE(decode_summary(text.substr(0, text.size() - 1)));  // the last newline may be missing,
    EXPECT_TRUE(decode_summary(text + "\n"));                      // doubled (zbarimg's),
    std::string crlf;                                              // or "\r\n" throughout
    for (const char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_TRUE(decode_summary(crlf));
}

TEST(RunSummary, TheReportNamesTheCpuTheCountsAndEveryFailure) {
    const std::string report = summary_report(example(5));
    for (const char* want :
         {"pagewalk 0.1.0, guest build 692f3a80\n",
          "cpu: GenuineIntel family 6 model 85 stepping 7, microcode 0x5003604, MAXPHYADDR 46, paging: nx smep smap",
          "  4level    50 passed,    3 failed,    0 skipped\n",
          "  FAIL  [  4] 4level  a-rather-long-scenario-n step 1 failed (expectation)\n",
          "  ERROR [  8] 4level  a-rather-long-scenario-n could not run\n",
          "pagewalk: 72 passed, 4 failed, 52 skipped (128 programs)\n"})
        EXPECT_NE(report.find(want), std::string::npos) << want << "\n" << report;
}

TEST(RunSummary, TheCpuLineIsTakenApart) {
    const std::string console =
        "noise\ncpu: GenuineIntel \"Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\" family 6 model 85 stepping 7, "
        "microcode 0x5003604, MAXPHYADDR 46, paging: pae nx smep\nmore\n";
    auto c = find_cpu_line(console);
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->brand, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
    EXPECT_EQ(c->model, 85u);
    EXPECT_TRUE(c->microcode_known);
    EXPECT_EQ(c->microcode, 0x5003604u);
    EXPECT_EQ(c->paging, "pae nx smep");
    auto unreadable = find_cpu_line(
        "cpu: CentaurHauls \"\" family 6 model 15 stepping 0, microcode unreadable, MAXPHYADDR 36, paging: pae\n");
    ASSERT_TRUE(unreadable) << unreadable.error();
    EXPECT_FALSE(unreadable->microcode_known);
    EXPECT_FALSE(find_cpu_line("no cpu here\n"));
    EXPECT_FALSE(find_cpu_line("cpu: GenuineIntel family six\n"));
}
