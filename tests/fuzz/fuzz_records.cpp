// SPDX-License-Identifier: MIT OR Apache-2.0
// Fuzz target: what a guest sends — the record decoder, the stream checker fed with every record the bytes hold (back
// to back, each as long as its header says), the host's formatting of decoded records, and the serial framing
// (parse_line) on the same bytes taken as text lines.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/framing.hpp>
#include <pagewalk/harness/stream.hpp>
#include <string>

#include "run/run_result.hpp"

namespace {

using namespace pagewalk::harness;

void check_record(const DecodeResult& r, std::size_t size, StreamChecker& checker) {
    if (!r.ok()) {
        if (to_string(r.error)[0] == '?') __builtin_trap();
        return;
    }
    // A decoded record is exactly the bytes given, and its typed view matches its type.
    if (r.record.size() != size || r.record.size() > kMaxRecordSize) __builtin_trap();
    const StreamError e = checker.feed(r.record);
    if (to_string(e)[0] == '?') __builtin_trap();
    const std::string text = pagewalk::host::format_record(r.record);
    if (text.empty()) __builtin_trap();
    // The serial framing round-trips every valid record.
    std::string line;
    write_line([&](char c) { line.push_back(c); }, r.record.bytes(), r.record.size());
    std::uint8_t back[kMaxRecordSize];
    const LineResult l = parse_line(line.data(), line.size(), back, sizeof back);
    if (l.error != LineError::ok || l.size != size || std::memcmp(back, r.record.bytes(), size) != 0) __builtin_trap();
}

void as_lines(const std::uint8_t* data, std::size_t size) {
    const char* text = reinterpret_cast<const char*>(data);
    std::size_t start = 0;
    while (start < size) {
        std::size_t end = start;
        while (end < size && text[end] != '\n') ++end;
        // Both the full buffer and one smaller than a record: parse_line must honour the capacity.
        std::uint8_t out[kMaxRecordSize];
        for (const std::size_t capacity : {sizeof out, std::size_t{24}}) {
            const LineResult l = parse_line(text + start, end - start, out, capacity);
            if (l.error == LineError::ok && l.size > capacity) __builtin_trap();
            if (to_string(l.error)[0] == '?') __builtin_trap();
            if (l.error == LineError::ok) {
                StreamChecker checker;
                check_record(decode(out, l.size), l.size, checker);
            }
        }
        start = end + 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    StreamChecker whole;
    check_record(decode(data, size), size, whole);

    StreamChecker checker;
    std::size_t at = 0;
    while (at < size) {
        std::size_t n = size - at;
        if (n >= sizeof(RecordHeader)) {
            const std::uint32_t length = detail::load_le(data + at + offsetof(RecordHeader, length), 4);
            if (length >= sizeof(RecordHeader) && length <= n) n = length;
        }
        check_record(decode(data + at, n), n, checker);
        at += n;
    }
    if (to_string(checker.finish())[0] == '?') __builtin_trap();

    as_lines(data, size);
    return 0;
}
