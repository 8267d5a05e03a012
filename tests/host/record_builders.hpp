// SPDX-License-Identifier: MIT OR Apache-2.0
// Test helpers: well-formed records as bytes, to corrupt one field at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <pagewalk/harness/records.hpp>
#include <string>
#include <vector>

namespace pagewalk::test {

template <class T>
std::vector<std::uint8_t> bytes_of(const T& rec, std::size_t size = sizeof(T)) {
    std::vector<std::uint8_t> v(size);
    std::memcpy(v.data(), &rec, size);
    return v;
}

inline std::vector<std::uint8_t> hello(std::uint32_t seq = 0) {
    harness::HelloRecord h{};
    h.header = harness::make_header(harness::RecordType::hello, sizeof h);
    h.header.sequence = seq;
    h.protocol_version = harness::kProtocolVersion;
    h.entry_path = static_cast<std::uint8_t>(harness::EntryPath::direct64);
    h.transport = static_cast<std::uint8_t>(harness::TransportKind::hypercall);
    h.code_bits = 64;
    std::memcpy(h.vendor, "GenuineIntel", 12);
    return bytes_of(h);
}

inline std::vector<std::uint8_t> log(const std::string& text, std::uint32_t seq = 1) {
    harness::LogRecord l{};
    l.header = harness::make_header(harness::RecordType::log,
                                    harness::kLogFixedSize + static_cast<std::uint32_t>(text.size()));
    l.header.sequence = seq;
    l.text_length = static_cast<std::uint16_t>(text.size());
    std::memcpy(l.text, text.data(), text.size());
    return bytes_of(l, harness::kLogFixedSize + text.size());
}

inline std::vector<std::uint8_t> exception(std::uint32_t seq = 2, std::uint8_t vector = 14) {
    harness::ExceptionRecord x{};
    x.header = harness::make_header(harness::RecordType::exception, sizeof x);
    x.header.sequence = seq;
    x.step = 1;
    x.vector = vector;
    x.cpl = 3;
    x.cs = 0x33;
    x.error_code = 7;
    x.has_error_code = 1;
    x.cr2 = 0x1000;
    x.code_bits = 64;
    x.expected = 1;
    return bytes_of(x);
}

inline std::vector<std::uint8_t> final_record(std::uint32_t seq, std::uint32_t records, std::uint32_t digest,
                                              std::uint32_t status = 0) {
    harness::FinalRecord f{};
    f.header = harness::make_header(harness::RecordType::final, sizeof f);
    f.header.sequence = seq;
    f.records = records;
    f.digest = digest;
    f.status = status;
    return bytes_of(f);
}

/// Writes a little-endian field into a record.
template <class T>
void poke(std::vector<std::uint8_t>& v, std::size_t offset, T value) {
    std::memcpy(v.data() + offset, &value, sizeof value);
}

}  // namespace pagewalk::test
