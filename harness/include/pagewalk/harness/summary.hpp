// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the run summary a boot of the ISO carries away in a QR code — versioned, checksummed text that
// a phone camera reads back and `pagewalk iso --decode` turns into a report. The guest fills a Summary as programs
// run and encodes it at the end (guest/runner/summary_screen.hpp); the host builds the same Summary from the serial
// records (host/iso/run_summary.cpp) and decodes the QR's text back into one. Freestanding (no heap, no library,
// 32-bit arithmetic only), fixed layout: the guest keeps it in memory both of its worlds share.
//
// Format 1, ASCII lines ending "\n", in this order (numbers decimal unless marked hex):
//   pagewalk-summary 1
//   version 0.1.0                                    the guest's pagewalk version
//   build 692f3a80                                   the guest image's build id (hex)
//   cpu GenuineIntel 6 85 7 ucode 5003604 phys 46 features 7ff
//                                                    vendor (spaces as '_'), family, model, stepping (as the SDM
//                                                    displays them), microcode revision (hex, "-" when unreadable),
//                                                    MAXPHYADDR, harness::feature bits (hex)
//   mode 32bit 10 1 2                                per mode: passed, failed (errors included), skipped
//   mode pae … / mode 4level … / mode 5level …
//   fail 4 pae 1 1 wrong-expectation                 each failed program: its index (1-based, the boot's order),
//                                                    mode, first failed step, failed checks (harness::guest_check
//                                                    bits, hex), name (cut at kNameChars)
//   error 9 4level bad-program                       each program that could not run (verdict ERROR)
//   truncated 0                                      1: more programs failed than are listed
//   crc 1a2b3c4d                                     CRC-32C of every byte before this line (hex)
#pragma once

#include <cstddef>
#include <cstdint>

#include "pagewalk/harness/crc32.hpp"

namespace pagewalk::harness::summary {

inline constexpr std::uint32_t kFormat = 1;
inline constexpr unsigned kMaxFailures = 16;
inline constexpr unsigned kNameChars = 24;
/// The longest text encode() writes: a QR code of version 20 at level M (666 bytes) stays legible on a 1024×768
/// screen beside the text.
inline constexpr std::size_t kMaxText = 660;
inline constexpr unsigned kModes = 5;  ///< indexed by PagingMode value: 1 32bit, 2 pae, 3 4level, 4 5level

constexpr const char* mode_word(unsigned mode) {
    constexpr const char* names[kModes] = {"?", "32bit", "pae", "4level", "5level"};
    return mode < kModes ? names[mode] : "?";
}

struct ModeCounts {
    std::uint32_t passed, failed, skipped;
};

/// A program that failed (error = 0) or could not run (error = 1).
struct Failure {
    std::uint32_t index;  ///< 1-based
    std::uint32_t step;   ///< first failed step
    std::uint8_t mode;
    std::uint8_t error;
    std::uint8_t checks;  ///< harness::guest_check bits
    std::uint8_t reserved;
    char name[kNameChars + 4];  ///< NUL-terminated
};

struct Summary {
    char version[16];  ///< NUL-terminated
    std::uint64_t build_id;
    char vendor[16];  ///< the CPUID vendor string, NUL-terminated
    std::uint32_t family, model, stepping;
    std::uint32_t microcode;
    std::uint32_t microcode_known;
    std::uint32_t features;  ///< harness::feature bits
    std::uint32_t maxphyaddr;
    ModeCounts modes[kModes];
    std::uint32_t failure_count;  ///< entries of failures in use
    std::uint32_t truncated;      ///< 1: more programs failed than failures lists
    Failure failures[kMaxFailures];
};
static_assert(sizeof(Failure) == 40 && sizeof(Summary) == 136 + kMaxFailures * sizeof(Failure));

/// Records one failed (or, `error`, unrunnable) program; past kMaxFailures only `truncated` is set.
inline void add_failure(Summary& s, std::uint32_t index, std::uint8_t mode, bool error, std::uint32_t step,
                        std::uint8_t checks, const char* name) {
    if (s.failure_count == kMaxFailures) {
        s.truncated = 1;
        return;
    }
    Failure& f = s.failures[s.failure_count++];
    f = {};
    f.index = index;
    f.mode = mode;
    f.error = error ? 1 : 0;
    f.step = error ? 0 : step;
    f.checks = error ? 0 : checks;
    for (unsigned i = 0; i < kNameChars && name[i] != 0; ++i) f.name[i] = name[i];
}

namespace detail {

/// Appends to a bounded buffer; `ok` turns false once something did not fit.
class Writer {
public:
    Writer(char* out, std::size_t capacity) : out_(out), cap_(capacity) {}
    Writer& put(char c) {
        if (n_ < cap_)
            out_[n_++] = c;
        else
            ok_ = false;
        return *this;
    }
    /// `s`, its spaces and non-printable bytes as '_' (a word of the format never holds a space).
    Writer& word(const char* s) {
        for (; *s != 0; ++s) put(*s > ' ' && *s < 0x7f ? *s : '_');
        return *this;
    }
    Writer& text(const char* s) {
        for (; *s != 0; ++s) put(*s);
        return *this;
    }
    Writer& dec(std::uint32_t v) {
        char d[10];
        int n = 0;
        do {
            d[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) put(d[--n]);
        return *this;
    }
    Writer& hex(std::uint64_t v) {
        int shift = 60;
        while (shift > 0 && ((v >> shift) & 15) == 0) shift -= 4;
        for (; shift >= 0; shift -= 4) put("0123456789abcdef"[(v >> shift) & 15]);
        return *this;
    }
    [[nodiscard]] std::size_t size() const { return n_; }
    [[nodiscard]] bool ok() const { return ok_; }

private:
    char* out_;
    std::size_t cap_;
    std::size_t n_ = 0;
    bool ok_ = true;
};

inline std::size_t encode_listing(const Summary& s, unsigned failures, bool truncated, char* out, std::size_t cap) {
    Writer w(out, cap);
    w.text("pagewalk-summary ").dec(kFormat).put('\n');
    w.text("version ").word(s.version).put('\n');
    w.text("build ").hex(s.build_id).put('\n');
    w.text("cpu ").word(s.vendor).put(' ').dec(s.family).put(' ').dec(s.model).put(' ').dec(s.stepping);
    w.text(" ucode ");
    if (s.microcode_known != 0)
        w.hex(s.microcode);
    else
        w.put('-');
    w.text(" phys ").dec(s.maxphyaddr).text(" features ").hex(s.features).put('\n');
    for (unsigned m = 1; m < kModes; ++m)
        w.text("mode ")
            .text(mode_word(m))
            .put(' ')
            .dec(s.modes[m].passed)
            .put(' ')
            .dec(s.modes[m].failed)
            .put(' ')
            .dec(s.modes[m].skipped)
            .put('\n');
    for (unsigned i = 0; i < failures; ++i) {
        const Failure& f = s.failures[i];
        w.text(f.error != 0 ? "error " : "fail ").dec(f.index).put(' ').text(mode_word(f.mode)).put(' ');
        if (f.error == 0) w.dec(f.step).put(' ').hex(f.checks).put(' ');
        w.word(f.name[0] != 0 ? f.name : "-").put('\n');
    }
    w.text("truncated ").put(truncated ? '1' : '0').put('\n');
    const std::uint32_t crc = Crc32c{}.update(out, w.size() < cap ? w.size() : cap).value();
    w.text("crc ").hex(crc).put('\n');
    return w.ok() ? w.size() : 0;
}

}  // namespace detail

/// The text of `s` in at most min(capacity, kMaxText) bytes: failures left out from the end (and "truncated 1")
/// when they do not all fit. Its length, or 0 when not even the counts fit.
inline std::size_t encode(const Summary& s, char* out, std::size_t capacity) {
    const std::size_t cap = capacity < kMaxText ? capacity : kMaxText;
    const unsigned listed = s.failure_count < kMaxFailures ? s.failure_count : kMaxFailures;
    for (unsigned n = listed + 1; n-- > 0;) {
        const std::size_t size = detail::encode_listing(s, n, s.truncated != 0 || n < listed, out, cap);
        if (size != 0) return size;
    }
    return 0;
}

/// Why decode() refused, with the 1-based line it stopped at (0: the text as a whole).
struct DecodeError {
    const char* message = nullptr;  ///< nullptr: decoded
    unsigned line = 0;
};

namespace detail {

class Reader {
public:
    Reader(const char* text, std::size_t n) : p_(text), end_(text + n) {}
    [[nodiscard]] bool at_end() const { return p_ == end_; }
    [[nodiscard]] const char* position() const { return p_; }
    [[nodiscard]] unsigned line() const { return line_; }
    /// The next word (up to a space or the end of the line) equals `w`.
    bool keyword(const char* w) {
        const char* q = p_;
        for (; *w != 0; ++w, ++q)
            if (q == end_ || *q != *w) return false;
        if (q != end_ && *q != ' ' && *q != '\n') return false;
        p_ = q;
        return true;
    }
    bool space() { return take(' '); }
    bool end_of_line() {
        if (!take('\n')) return false;
        ++line_;
        return true;
    }
    /// A word of printable non-space characters into out (NUL-terminated, at most size - 1).
    bool word(char* out, std::size_t size) {
        std::size_t n = 0;
        for (; p_ != end_ && *p_ > ' ' && *p_ < 0x7f; ++p_) {
            if (n + 1 >= size) return false;
            out[n++] = *p_;
        }
        out[n] = 0;
        return n > 0;
    }
    bool dec(std::uint32_t& v) { return number(v, 10); }
    bool hex(std::uint64_t& v) {
        v = 0;
        unsigned digits = 0;
        for (; p_ != end_ && digit(*p_, 16) >= 0; ++p_, ++digits) {
            if (digits == 16) return false;
            v = v << 4 | static_cast<unsigned>(digit(*p_, 16));
        }
        return digits > 0;
    }
    bool hex32(std::uint32_t& v) { return number(v, 16); }

private:
    bool take(char c) {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    static int digit(char c, unsigned base) {
        if (c >= '0' && c <= '9') return c - '0';
        if (base == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    }
    bool number(std::uint32_t& v, unsigned base) {
        v = 0;
        unsigned digits = 0;
        for (; p_ != end_ && digit(*p_, base) >= 0; ++p_, ++digits) {
            const std::uint32_t next = v * base + static_cast<std::uint32_t>(digit(*p_, base));
            if ((next - static_cast<std::uint32_t>(digit(*p_, base))) / base != v) return false;  // overflow
            v = next;
        }
        return digits > 0;
    }
    const char* p_;
    const char* end_;
    unsigned line_ = 1;
};

inline bool mode_from_word(const char* w, std::uint8_t& mode) {
    for (unsigned m = 0; m < kModes; ++m) {  // "?": a module that was no program
        const char* a = w;
        const char* b = mode_word(m);
        while (*a != 0 && *a == *b) ++a, ++b;
        if (*a == 0 && *b == 0) {
            mode = static_cast<std::uint8_t>(m);
            return true;
        }
    }
    return false;
}

}  // namespace detail

/// Parses the text encode() writes (a trailing "\n" may be missing, "\r\n" is not accepted). Checks the format
/// version first, then the fields, then the checksum.
inline DecodeError decode(const char* text, std::size_t n, Summary& s) {
    s = {};
    detail::Reader r(text, n);
    auto fail = [&](const char* message) { return DecodeError{message, r.line()}; };
    std::uint32_t format = 0;
    if (!r.keyword("pagewalk-summary") || !r.space() || !r.dec(format))
        return fail("not a pagewalk summary (it starts \"pagewalk-summary 1\")");
    if (format != kFormat) return fail("a summary format this pagewalk does not know (it reads format 1)");
    if (!r.end_of_line()) return fail("expected the end of the line");
    if (!r.keyword("version") || !r.space() || !r.word(s.version, sizeof s.version) || !r.end_of_line())
        return fail("expected \"version X.Y.Z\"");
    if (!r.keyword("build") || !r.space() || !r.hex(s.build_id) || !r.end_of_line())
        return fail("expected \"build HEX\"");
    char ucode[12] = {};
    if (!r.keyword("cpu") || !r.space() || !r.word(s.vendor, sizeof s.vendor) || !r.space() || !r.dec(s.family) ||
        !r.space() || !r.dec(s.model) || !r.space() || !r.dec(s.stepping) || !r.space() || !r.keyword("ucode") ||
        !r.space() || !r.word(ucode, sizeof ucode) || !r.space() || !r.keyword("phys") || !r.space() ||
        !r.dec(s.maxphyaddr) || !r.space() || !r.keyword("features") || !r.space() || !r.hex32(s.features) ||
        !r.end_of_line())
        return fail("expected \"cpu VENDOR FAMILY MODEL STEPPING ucode HEX|- phys N features HEX\"");
    if (!(ucode[0] == '-' && ucode[1] == 0)) {
        detail::Reader u(ucode, __builtin_strlen(ucode));
        if (!u.hex32(s.microcode) || !u.at_end()) return fail("the microcode revision is neither hex nor \"-\"");
        s.microcode_known = 1;
    }
    for (unsigned m = 1; m < kModes; ++m) {
        ModeCounts& c = s.modes[m];
        if (!r.keyword("mode") || !r.space() || !r.keyword(mode_word(m)) || !r.space() || !r.dec(c.passed) ||
            !r.space() || !r.dec(c.failed) || !r.space() || !r.dec(c.skipped) || !r.end_of_line())
            return fail("expected \"mode NAME PASSED FAILED SKIPPED\" (32bit, pae, 4level, 5level in turn)");
    }
    for (;;) {
        const bool is_fail = r.keyword("fail");
        if (!is_fail && !r.keyword("error")) break;
        if (s.failure_count == kMaxFailures) return fail("more than 16 failed programs listed");
        Failure& f = s.failures[s.failure_count++];
        char mode[8] = {};
        std::uint32_t checks = 0;
        f.error = is_fail ? 0 : 1;
        if (!r.space() || !r.dec(f.index) || !r.space() || !r.word(mode, sizeof mode) ||
            !detail::mode_from_word(mode, f.mode) || !r.space() ||
            (is_fail && (!r.dec(f.step) || !r.space() || !r.hex32(checks) || checks > 0xff || !r.space())) ||
            !r.word(f.name, kNameChars + 1) || !r.end_of_line())
            return fail(is_fail ? "expected \"fail INDEX MODE STEP CHECKS NAME\""
                                : "expected \"error INDEX MODE NAME\"");
        f.checks = static_cast<std::uint8_t>(checks);
        if (f.name[0] == '-' && f.name[1] == 0) f.name[0] = 0;
    }
    std::uint32_t truncated = 0;
    if (!r.keyword("truncated") || !r.space() || !r.dec(truncated) || truncated > 1 || !r.end_of_line())
        return fail("expected \"truncated 0|1\"");
    s.truncated = truncated;
    const std::size_t covered = static_cast<std::size_t>(r.position() - text);
    std::uint32_t crc = 0;
    if (!r.keyword("crc") || !r.space() || !r.hex32(crc)) return fail("expected \"crc HEX\"");
    if (!r.at_end() && !r.end_of_line()) return fail("expected the end of the line");
    if (!r.at_end()) return fail("text after the crc line");
    if (Crc32c{}.update(text, covered).value() != crc)
        return fail("the checksum does not match: the text was changed or misread");
    return {};
}

}  // namespace pagewalk::harness::summary
