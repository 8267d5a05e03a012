// SPDX-License-Identifier: MIT OR Apache-2.0
// `inspect translate`: the text and JSON lines, against translate() on the same tables, and hostile tables.
#include <gtest/gtest.h>

#include "inspect/dump.hpp"
#include "inspect/hex.hpp"
#include "inspect/registers.hpp"
#include "inspect/translator.hpp"
#include "inspect_fixtures.hpp"

namespace pagewalk::test::inspect {
namespace {

using host::inspect::Dump;
using host::inspect::Translator;

struct Opened {
    TempDir dir;
    std::optional<Dump> dump;
    Context ctx;
};

/// The guest as a core with its CPU state, and the context resolved from it.
std::unique_ptr<Opened> open_core(const Guest& g,
                                  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& holes = {}) {
    auto o = std::make_unique<Opened>();
    auto d = Dump::open(write_file(o->dir.file("core"), g.core(true, holes)));
    EXPECT_TRUE(d) << d.error();
    if (!d) return nullptr;
    o->dump.emplace(std::move(*d));
    auto r = host::inspect::resolve_context(*o->dump, {});
    EXPECT_TRUE(r) << r.error();
    if (!r) return nullptr;
    o->ctx = r->ctx;
    return o;
}

std::string line(const Opened& o, std::uint64_t va, const Access& a = Access::read(), bool json = false) {
    Translator t(o.ctx, *o.dump, a, json);
    std::string out;
    t.translate(va, out);
    return out;
}

TEST(InspectTranslate, TextLinesAgreeWithTranslate) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x40'0000'0000, 0x20'0000, 0x2000, MapRights::user_rw(), {.sizes = page_4k}));
    ASSERT_TRUE(g.map(0x40'0020'0000, 0x40'0000, 0x20'0000, MapRights::rw_nx()));
    ASSERT_TRUE(g.set_bits(0x40'0020'0000, 2, 1u << 13));  // a reserved alignment bit in the 2 MiB PDE
    auto o = open_core(g);
    ASSERT_TRUE(o);
    EXPECT_EQ(line(*o, 0x40'0000'1234), "0x4000001234 -> 0x201234 4K urwx\n");
    EXPECT_EQ(line(*o, 0x40'0000'2000), "0x4000002000 -> #PF error_code 0x0 level 1: PTE not present\n");
    EXPECT_EQ(line(*o, 0x41'0000'0000), "0x4100000000 -> #PF error_code 0x0 level 3: PDPTE not present\n");
    EXPECT_EQ(line(*o, 0x40'0000'1000, Access::fetch().user()), "0x4000001000 -> 0x201000 4K urwx\n");
    EXPECT_EQ(line(*o, 0x40'0020'0000),
              "0x4000200000 -> #PF error_code 0x9 (P RSVD) level 2: reserved bits 0x2000 set in PDE\n");
    EXPECT_EQ(line(*o, 0x8000'0000'0000), "0x800000000000 -> #GP(0) non-canonical address\n");
    // Each answer is what translate() says, whatever the access.
    for (const Access a : {Access::read(), Access::write().user(), Access::fetch(), Access::fetch().user()}) {
        for (const std::uint64_t va : {0x40'0000'0000ull, 0x40'0000'1ff8ull, 0x40'0000'3000ull}) {
            host::inspect::DumpMemory mem(*o->dump);
            const TranslateResult r = translate(o->ctx, mem, va, a);
            const std::string text = line(*o, va, a);
            if (const std::optional<Mapping> m = r.mapping()) {
                EXPECT_NE(text.find("-> " + host::inspect::hex(m->pa) + " "), std::string::npos) << text;
            } else if (const std::optional<PageFault> f = r.page_fault()) {
                EXPECT_NE(text.find("#PF error_code " + host::inspect::hex(f->error_code)), std::string::npos) << text;
            }
        }
    }
    EXPECT_EQ(line(*o, 0x40'0000'1000, Access::write().user()), "0x4000001000 -> 0x201000 4K urwx\n");
    EXPECT_EQ(line(*o, 0x40'0020'1000, Access::fetch()),
              "0x4000201000 -> #PF error_code 0x19 (P RSVD I/D) level 2: reserved bits 0x2000 set in PDE\n");
}

TEST(InspectTranslate, ProtectionFaultsNameTheirCause) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x1000'0000, 0x10'0000, 0x1000, {false, false, false}));
    auto o = open_core(g);
    ASSERT_TRUE(o);
    EXPECT_EQ(line(*o, 0x1000'0000, Access::write().user()),
              "0x10000000 -> #PF error_code 0x7 (P W U) level 1: user access to a supervisor page, write to a "
              "read-only page\n");
    EXPECT_EQ(line(*o, 0x1000'0000, Access::fetch()),
              "0x10000000 -> #PF error_code 0x11 (P I/D) level 1: fetch from a no-execute page\n");
}

TEST(InspectTranslate, JsonObjects) {
    Guest g(PagingMode::long5);
    ASSERT_TRUE(g.map(0x0001'0000'0000'0000, 0x20'0000, 0x20'0000, MapRights::user_ro()));
    auto o = open_core(g);
    ASSERT_TRUE(o);
    EXPECT_EQ(line(*o, 0x0001'0000'0001'2345, Access::read(), true),
              "{\"va\":\"0x1000000012345\",\"pa\":\"0x212345\",\"page_size\":\"0x200000\",\"writable\":false,"
              "\"user\":true,\"executable\":true,\"pkey\":\"0x0\"}\n");
    EXPECT_EQ(line(*o, 0x0001'0000'0001'2345, Access::write().user(), true),
              "{\"va\":\"0x1000000012345\",\"fault\":{\"vector\":\"0xe\",\"error_code\":\"0x7\",\"level\":\"0x2\"}}\n");
    EXPECT_EQ(
        line(*o, 0x0100'0000'0000'0000, Access::read(), true),
        "{\"va\":\"0x100000000000000\",\"fault\":{\"vector\":\"0xd\",\"error_code\":\"0x0\",\"level\":\"0x0\"}}\n");
    Translator t(o->ctx, *o->dump, Access::read(), true);
    std::string out;
    t.invalid("x\"y", out);
    EXPECT_EQ(out, "{\"input\":\"x\\\"y\",\"error\":\"not a hexadecimal address\"}\n");
}

TEST(InspectTranslate, TablesOutsideTheDumpAreUnreadableEntries) {
    Guest g(PagingMode::long4);
    ASSERT_TRUE(g.map(0x1000'0000, 0x10'0000, 0x1000));
    ASSERT_TRUE(g.map(0x40'0000'0000, 0x10'0000, 0x1000));
    // The first mapping's PDPTE points its PD into the void; the second mapping's PT lies in a hole of the core.
    constexpr std::uint64_t kAddress = 0xff'ffff'f000;
    const std::uint64_t pdpt = g.peek(g.root(), 0) & kAddress;
    const std::uint64_t pd2 = g.peek(pdpt, 256) & kAddress;  // 0x40'0000'0000: PDPT index 256
    const std::uint64_t pt2 = g.peek(pd2, 0) & kAddress;
    g.poke(pdpt, 0, 0x40'0000'0000 | 0x3);
    auto o = open_core(g, {{pt2, pt2 + 0x1000}});
    ASSERT_TRUE(o);
    EXPECT_EQ(line(*o, 0x1000'0000), "0x10000000 -> unreadable: PDE at 0x4000000400 is not in the dump\n");
    EXPECT_EQ(line(*o, 0x40'0000'0000),
              "0x4000000000 -> unreadable: PTE at " + host::inspect::hex(pt2) + " is not in the dump\n");
    EXPECT_NE(line(*o, 0x1000'0000, Access::read(), true).find("\"error\":\"PDE at 0x4000000400 is not in the dump\""),
              std::string::npos);
}

TEST(InspectTranslate, SelfReferencingTablesEndAfterTheLastLevel) {
    Guest g(PagingMode::long4);
    for (unsigned i = 0; i < 512; ++i) g.poke(g.root(), i, g.root() | 0x7);  // every entry points back to the root
    auto o = open_core(g);
    ASSERT_TRUE(o);
    // Four levels through the same table: the "page" is the root table itself.
    EXPECT_EQ(line(*o, 0x1234), "0x1234 -> " + host::inspect::hex(g.root() + 0x234) + " 4K urwx\n");
    EXPECT_EQ(line(*o, 0xffff'ffff'ffff'fff0),
              "0xfffffffffffffff0 -> " + host::inspect::hex(g.root() + 0xff0) + " 4K urwx\n");
}

TEST(InspectTranslate, LegacyModesTruncateTo32Bits) {
    Guest g(PagingMode::legacy32);
    ASSERT_TRUE(g.map(0x40'0000, 0x1'0040'0000, 0x40'0000));  // a PSE-36 page above 4 GiB
    auto o = open_core(g);
    ASSERT_TRUE(o);
    EXPECT_EQ(line(*o, 0x40'1234), "0x401234 -> 0x100401234 4M srwx\n");
}

TEST(InspectTranslate, ParseHex) {
    using host::inspect::parse_hex;
    EXPECT_EQ(parse_hex("0x1f"), 0x1fu);
    EXPECT_EQ(parse_hex("1F"), 0x1fu);
    EXPECT_EQ(parse_hex("0xffff_8000_0000_0000"), 0xffff'8000'0000'0000u);
    EXPECT_EQ(parse_hex("0xffffffffffffffff"), ~std::uint64_t{0});
    EXPECT_EQ(parse_hex("00000000000000000000001"), 1u);
    EXPECT_FALSE(parse_hex("0x1ffffffffffffffff"));
    EXPECT_FALSE(parse_hex("0x"));
    EXPECT_FALSE(parse_hex(""));
    EXPECT_FALSE(parse_hex("_1"));
    EXPECT_FALSE(parse_hex("0x12g"));
    EXPECT_FALSE(parse_hex("-1"));
}

}  // namespace
}  // namespace pagewalk::test::inspect
