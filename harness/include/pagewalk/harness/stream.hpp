// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: integrity of a whole record stream (order, completeness, digest).
//
// The host feeds every decoded record; the checker answers whether the stream so far is well-formed and, at the
// end, whether it is complete: hello first, sequence numbers 0, 1, 2 … without gaps, nothing after final, and
// final.records / final.digest equal to what was actually received. This is transport integrity only; what the
// records *say* is checked elsewhere.
#pragma once

#include <cstdint>

#include "crc32.hpp"
#include "decoder.hpp"
#include "records.hpp"

namespace pagewalk::harness {

/// Why a record stream is not complete and well-formed.
enum class StreamError : std::uint8_t {
    ok = 0,
    first_not_hello,  ///< the first record is not a hello
    bad_sequence,     ///< a record's sequence is not the count received so far
    after_final,      ///< a record arrived after the final record
    count_mismatch,   ///< final.records differs from the records received
    digest_mismatch,  ///< final.digest differs from the CRC chain of the records received
    no_final,         ///< the stream ended without a final record
};

constexpr const char* to_string(StreamError e) {
    switch (e) {
        case StreamError::ok:
            return "ok";
        case StreamError::first_not_hello:
            return "first record is not hello";
        case StreamError::bad_sequence:
            return "record sequence gap";
        case StreamError::after_final:
            return "record after final";
        case StreamError::count_mismatch:
            return "final record count mismatch";
        case StreamError::digest_mismatch:
            return "final digest mismatch";
        case StreamError::no_final:
            return "stream ended before the final record (early stop)";
    }
    return "?";
}

/// Incremental checker of one run's record stream; the first error sticks.
class StreamChecker {
public:
    StreamError feed(const DecodedRecord& r) {
        if (error_ != StreamError::ok) return error_;
        if (final_seen_) return error_ = StreamError::after_final;
        if (received_ == 0 && r.type() != RecordType::hello) return error_ = StreamError::first_not_hello;
        if (r.header().sequence != received_) return error_ = StreamError::bad_sequence;
        if (const FinalRecord* f = r.final_record()) {
            final_seen_ = true;
            status_ = f->status;
            if (f->records != received_) return error_ = StreamError::count_mismatch;
            if (f->digest != digest_) return error_ = StreamError::digest_mismatch;
            return StreamError::ok;
        }
        digest_ = Crc32c::resume(digest_).update(r.bytes(), r.size()).value();
        ++received_;
        return StreamError::ok;
    }
    /// The verdict once the stream is over: ok only when a valid final arrived.
    [[nodiscard]] StreamError finish() const {
        if (error_ != StreamError::ok) return error_;
        return final_seen_ ? StreamError::ok : StreamError::no_final;
    }
    [[nodiscard]] bool final_seen() const { return final_seen_; }
    [[nodiscard]] std::uint32_t received() const { return received_; }
    [[nodiscard]] std::uint32_t digest() const { return digest_; }
    [[nodiscard]] std::uint32_t final_status() const { return status_; }

private:
    StreamError error_ = StreamError::ok;
    bool final_seen_ = false;
    std::uint32_t received_ = 0;
    std::uint32_t digest_ = 0;  // CRC-32C of nothing
    std::uint32_t status_ = 0;
};

}  // namespace pagewalk::harness
