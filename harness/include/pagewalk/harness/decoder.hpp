// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk harness: the one record decoder. Bounds-checks every field; garbage gives an error value, never UB.
//
// Both transports end here: the KVM launcher passes the bytes it read from guest memory, the serial path passes
// the bytes parse_line() recovered from a text line. Freestanding (no allocation), so the guest may use it too.
#pragma once

#include <cstddef>
#include <cstdint>

#include "matrix_records.hpp"
#include "records.hpp"
#include "runner_records.hpp"

namespace pagewalk::harness {

/// Why a byte string is not a valid record.
enum class DecodeError : std::uint8_t {
    ok = 0,
    truncated,           ///< fewer bytes than the header or than header.length
    bad_magic,           ///< header.magic != kRecordMagic
    bad_version,         ///< header.version != kProtocolVersion
    bad_length,          ///< header.length outside [16, kMaxRecordSize] or != the bytes given
    unknown_type,        ///< a type this decoder does not know (incl. unused types of the runner range)
    bad_payload_length,  ///< header.length does not match the type's layout
    bad_field,           ///< a field out of its range (vector > 31, text_length too long, bad enum…)
};

constexpr const char* to_string(DecodeError e) {
    switch (e) {
        case DecodeError::ok:
            return "ok";
        case DecodeError::truncated:
            return "truncated record";
        case DecodeError::bad_magic:
            return "bad magic";
        case DecodeError::bad_version:
            return "unsupported protocol version";
        case DecodeError::bad_length:
            return "bad record length";
        case DecodeError::unknown_type:
            return "unknown record type";
        case DecodeError::bad_payload_length:
            return "record length does not match its type";
        case DecodeError::bad_field:
            return "field out of range";
    }
    return "?";
}

struct DecodeResult;
inline DecodeResult decode(const std::uint8_t* data, std::size_t size);

/// A validated record, copied into aligned storage; the typed accessors return nullptr for another type.
class DecodedRecord {
public:
    [[nodiscard]] const RecordHeader& header() const { return *reinterpret_cast<const RecordHeader*>(bytes_); }
    [[nodiscard]] RecordType type() const { return static_cast<RecordType>(header().type); }
    [[nodiscard]] std::uint32_t size() const { return header().length; }
    [[nodiscard]] const std::uint8_t* bytes() const { return bytes_; }
    [[nodiscard]] const HelloRecord* hello() const { return as<HelloRecord>(RecordType::hello); }
    [[nodiscard]] const LogRecord* log() const { return as<LogRecord>(RecordType::log); }
    [[nodiscard]] const ExceptionRecord* exception() const { return as<ExceptionRecord>(RecordType::exception); }
    [[nodiscard]] const FinalRecord* final_record() const { return as<FinalRecord>(RecordType::final); }
    [[nodiscard]] const RunInfoRecord* run_info() const { return as<RunInfoRecord>(RecordType::run_info); }
    [[nodiscard]] const AnnounceRecord* announce() const { return as<AnnounceRecord>(RecordType::announce); }
    [[nodiscard]] const AccessRecord* access() const { return as<AccessRecord>(RecordType::access); }
    [[nodiscard]] const EntryRecord* entry() const { return as<EntryRecord>(RecordType::entry); }
    [[nodiscard]] const StepFailedRecord* step_failed() const { return as<StepFailedRecord>(RecordType::step_failed); }
    [[nodiscard]] const ControlWriteRecord* control_write() const {
        return as<ControlWriteRecord>(RecordType::control_write);
    }
    [[nodiscard]] const ProgramBeginRecord* program_begin() const {
        return as<ProgramBeginRecord>(RecordType::program_begin);
    }
    [[nodiscard]] const ProgramEndRecord* program_end() const { return as<ProgramEndRecord>(RecordType::program_end); }
    [[nodiscard]] const MatrixBeginRecord* matrix_begin() const {
        return as<MatrixBeginRecord>(RecordType::matrix_begin);
    }
    [[nodiscard]] const MatrixBlockRecord* matrix_block() const {
        return as<MatrixBlockRecord>(RecordType::matrix_block);
    }
    [[nodiscard]] const MatrixCaseRecord* matrix_case() const { return as<MatrixCaseRecord>(RecordType::matrix_case); }
    [[nodiscard]] const MatrixEndRecord* matrix_end() const { return as<MatrixEndRecord>(RecordType::matrix_end); }
    [[nodiscard]] const MatrixCalibrationRecord* matrix_calibration() const {
        return as<MatrixCalibrationRecord>(RecordType::matrix_calibration);
    }
    [[nodiscard]] const MatrixClassRecord* matrix_class() const {
        return as<MatrixClassRecord>(RecordType::matrix_class);
    }

private:
    friend DecodeResult decode(const std::uint8_t* data, std::size_t size);
    template <class T>
    const T* as(RecordType t) const {
        return type() == t ? reinterpret_cast<const T*>(bytes_) : nullptr;
    }
    alignas(8) std::uint8_t bytes_[kMaxRecordSize] = {};
};

/// decode()'s answer: `error == ok` or the reason; `record` is valid only when ok.
struct DecodeResult {
    DecodeError error = DecodeError::truncated;
    DecodedRecord record;
    [[nodiscard]] bool ok() const { return error == DecodeError::ok; }
};

namespace detail {
constexpr std::uint32_t load_le(const std::uint8_t* p, std::size_t n) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
    return v;
}

/// Field checks of the runner's records (decoder.hpp's check_payload calls it for types 0x10-0x3f).
constexpr DecodeError check_runner_payload(const std::uint8_t* p, std::uint16_t type, std::uint32_t length) {
    auto prediction_ok = [](const std::uint8_t* q) {
        return q[offsetof(Prediction, kind)] < kPredictionKinds && q[offsetof(Prediction, level)] <= 5 &&
               q[offsetof(Prediction, chain_count)] <= 5 && q[offsetof(Prediction, vector)] <= 31;
    };
    auto access_ok = [](const std::uint8_t* q) {  // kind, cpl, access_flags
        return q[0] <= 2 && (q[1] == 0 || q[1] == 3) && (q[2] & ~3u) == 0;
    };
    auto judgement_ok = [](const std::uint8_t* q) {  // judged, failed: known bits, failed within judged
        return (q[0] & ~guest_check::all) == 0 && (q[1] & ~q[0]) == 0;
    };
    auto mode_ok = [](std::uint8_t m) { return m >= 1 && m <= 4; };
    switch (static_cast<RecordType>(type)) {
        case RecordType::run_info:
            if (length != sizeof(RunInfoRecord)) return DecodeError::bad_payload_length;
            if (p[offsetof(RunInfoRecord, mode)] < 1 || p[offsetof(RunInfoRecord, mode)] > 4)
                return DecodeError::bad_field;
            if (p[offsetof(RunInfoRecord, code_bits)] != 32 && p[offsetof(RunInfoRecord, code_bits)] != 64)
                return DecodeError::bad_field;
            return DecodeError::ok;
        case RecordType::announce:
            if (length != sizeof(AnnounceRecord)) return DecodeError::bad_payload_length;
            if (!access_ok(p + offsetof(AnnounceRecord, kind)) ||
                !prediction_ok(p + offsetof(AnnounceRecord, prediction)))
                return DecodeError::bad_field;
            if (p[offsetof(AnnounceRecord, mode)] < 1 || p[offsetof(AnnounceRecord, mode)] > 4)
                return DecodeError::bad_field;
            return DecodeError::ok;
        case RecordType::access:
            if (length != sizeof(AccessRecord)) return DecodeError::bad_payload_length;
            if (!access_ok(p + offsetof(AccessRecord, kind)) || !prediction_ok(p + offsetof(AccessRecord, prediction)))
                return DecodeError::bad_field;
            if (p[offsetof(AccessRecord, outcome)] > 1 || p[offsetof(AccessRecord, vector)] > 31 ||
                p[offsetof(AccessRecord, has_error_code)] > 1 || p[offsetof(AccessRecord, trap_cpl)] > 3 ||
                p[offsetof(AccessRecord, chain_count)] > 5 || !judgement_ok(p + offsetof(AccessRecord, guest)))
                return DecodeError::bad_field;
            if ((p[offsetof(AccessRecord, width)] != 0 && !detail::is_access_width(p[offsetof(AccessRecord, width)])) ||
                p[offsetof(AccessRecord, crosses)] > 1 || p[offsetof(AccessRecord, second_chain_count)] > 5 ||
                !prediction_ok(p + offsetof(AccessRecord, second)))
                return DecodeError::bad_field;
            return DecodeError::ok;
        case RecordType::entry:
            if (length != sizeof(EntryRecord)) return DecodeError::bad_payload_length;
            if (p[offsetof(EntryRecord, level)] < 1 || p[offsetof(EntryRecord, level)] > 5 ||
                p[offsetof(EntryRecord, found)] > 1 || !judgement_ok(p + offsetof(EntryRecord, guest)))
                return DecodeError::bad_field;
            return DecodeError::ok;
        case RecordType::step_failed:
            if (length != sizeof(StepFailedRecord)) return DecodeError::bad_payload_length;
            if (p[offsetof(StepFailedRecord, reason)] < 1 || p[offsetof(StepFailedRecord, reason)] > kMaxStepFailure)
                return DecodeError::bad_field;
            return DecodeError::ok;
        case RecordType::control_write: {
            if (length != sizeof(ControlWriteRecord)) return DecodeError::bad_payload_length;
            const std::uint8_t reg = p[offsetof(ControlWriteRecord, reg)];
            const std::uint8_t mode = p[offsetof(ControlWriteRecord, mode)];
            const std::uint8_t predicted = p[offsetof(ControlWriteRecord, predicted_vector)];
            if ((reg != 0 && reg != 3 && reg != 4) || mode < 1 || mode > 4 ||
                p[offsetof(ControlWriteRecord, loads_pdptes)] > 1 || p[offsetof(ControlWriteRecord, outcome)] > 1 ||
                p[offsetof(ControlWriteRecord, vector)] > 31 || p[offsetof(ControlWriteRecord, has_error_code)] > 1 ||
                (predicted != 0 && predicted != 13) || p[offsetof(ControlWriteRecord, pdpte_index)] > 3 ||
                !judgement_ok(p + offsetof(ControlWriteRecord, guest)))
                return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::program_begin: {
            if (length != sizeof(ProgramBeginRecord)) return DecodeError::bad_payload_length;
            const std::uint8_t mode = p[offsetof(ProgramBeginRecord, mode)];
            const std::uint8_t bits = p[offsetof(ProgramBeginRecord, code_bits)];
            if ((mode != 0 && !mode_ok(mode)) || (bits != 32 && bits != 64) ||
                load_le(p + offsetof(ProgramBeginRecord, module_index), 4) >=
                    load_le(p + offsetof(ProgramBeginRecord, module_count), 4))
                return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::program_end: {
            if (length != sizeof(ProgramEndRecord)) return DecodeError::bad_payload_length;
            const std::uint8_t verdict = p[offsetof(ProgramEndRecord, verdict)];
            const std::uint8_t mode = p[offsetof(ProgramEndRecord, mode)];
            const std::uint8_t bits = p[offsetof(ProgramEndRecord, code_bits)];
            const std::uint32_t judged = load_le(p + offsetof(ProgramEndRecord, steps_judged), 4);
            const std::uint32_t passed = load_le(p + offsetof(ProgramEndRecord, steps_passed), 4);
            const std::uint32_t failed = load_le(p + offsetof(ProgramEndRecord, steps_failed), 4);
            if (verdict < 1 || verdict > kMaxProgramVerdict || (mode != 0 && !mode_ok(mode)) ||
                (bits != 32 && bits != 64) || p[offsetof(ProgramEndRecord, reason)] > kMaxStepFailure ||
                static_cast<std::uint64_t>(passed) + failed != judged ||
                (load_le(p + offsetof(ProgramEndRecord, failed_checks), 4) & ~std::uint32_t{guest_check::all}) != 0)
                return DecodeError::bad_field;
            return DecodeError::ok;
        }
        default:
            return DecodeError::unknown_type;
    }
}

constexpr DecodeError check_payload(const std::uint8_t* p, std::uint16_t type, std::uint32_t length) {
    switch (static_cast<RecordType>(type)) {
        case RecordType::hello: {
            if (length != sizeof(HelloRecord)) return DecodeError::bad_payload_length;
            const std::uint8_t entry = p[offsetof(HelloRecord, entry_path)];
            const std::uint8_t transport = p[offsetof(HelloRecord, transport)];
            const std::uint8_t bits = p[offsetof(HelloRecord, code_bits)];
            if (entry > static_cast<std::uint8_t>(EntryPath::direct64)) return DecodeError::bad_field;
            if (transport > static_cast<std::uint8_t>(TransportKind::serial)) return DecodeError::bad_field;
            if (bits != 32 && bits != 64) return DecodeError::bad_field;
            if (p[offsetof(HelloRecord, cpl)] > 3) return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::log: {
            if (length < kLogFixedSize) return DecodeError::bad_payload_length;
            const std::uint32_t text = load_le(p + offsetof(LogRecord, text_length), 2);
            if (text > kMaxLogText) return DecodeError::bad_field;
            if (length != kLogFixedSize + text) return DecodeError::bad_payload_length;
            if (load_le(p + offsetof(LogRecord, level), 2) > 2) return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::exception: {
            if (length != sizeof(ExceptionRecord)) return DecodeError::bad_payload_length;
            if (p[offsetof(ExceptionRecord, vector)] > 31) return DecodeError::bad_field;
            if (p[offsetof(ExceptionRecord, cpl)] > 3) return DecodeError::bad_field;
            if (p[offsetof(ExceptionRecord, has_error_code)] > 1 || p[offsetof(ExceptionRecord, expected)] > 1)
                return DecodeError::bad_field;
            const std::uint8_t bits = p[offsetof(ExceptionRecord, code_bits)];
            if (bits != 32 && bits != 64) return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::final: {
            if (length != sizeof(FinalRecord)) return DecodeError::bad_payload_length;
            if (load_le(p + offsetof(FinalRecord, status), 4) > 3) return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::matrix_begin: {
            if (length != sizeof(MatrixBeginRecord)) return DecodeError::bad_payload_length;
            const std::uint8_t bits = p[offsetof(MatrixBeginRecord, code_bits)];
            if (bits != 32 && bits != 64) return DecodeError::bad_field;
            if (p[offsetof(MatrixBeginRecord, space)] > 1) return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::matrix_block:
            return length == sizeof(MatrixBlockRecord) ? DecodeError::ok : DecodeError::bad_payload_length;
        case RecordType::matrix_case: {
            if (length != sizeof(MatrixCaseRecord)) return DecodeError::bad_payload_length;
            if ((p[offsetof(MatrixCaseRecord, mismatch)] & ~matrix::mismatch::all) != 0) return DecodeError::bad_field;
            if (p[offsetof(MatrixCaseRecord, outcome_class)] >= matrix::kOutcomeClasses) return DecodeError::bad_field;
            if (p[offsetof(MatrixCaseRecord, leaf_level)] > 5) return DecodeError::bad_field;
            return DecodeError::ok;
        }
        case RecordType::matrix_class:
            if (length != sizeof(MatrixClassRecord)) return DecodeError::bad_payload_length;
            if ((p[offsetof(MatrixClassRecord, mismatch)] & ~matrix::mismatch::all) != 0) return DecodeError::bad_field;
            return p[offsetof(MatrixClassRecord, outcome_class)] < matrix::kOutcomeClasses ? DecodeError::ok
                                                                                           : DecodeError::bad_field;
        case RecordType::matrix_calibration:
            if (length != sizeof(MatrixCalibrationRecord)) return DecodeError::bad_payload_length;
            return load_le(p + offsetof(MatrixCalibrationRecord, phase), 4) <= 3 ? DecodeError::ok
                                                                                 : DecodeError::bad_field;
        case RecordType::matrix_end:
            if (length != sizeof(MatrixEndRecord)) return DecodeError::bad_payload_length;
            return p[offsetof(MatrixEndRecord, status)] <= static_cast<std::uint8_t>(MatrixStatus::trapped)
                       ? DecodeError::ok
                       : DecodeError::bad_field;
        default:
            if (type >= static_cast<std::uint16_t>(RecordType::first_runner_type) &&
                type <= static_cast<std::uint16_t>(RecordType::last_runner_type))
                return check_runner_payload(p, type, length);
            return DecodeError::unknown_type;
    }
}
}  // namespace detail

/// Validates `size` bytes as exactly one record and copies it. Never reads past data[size - 1].
inline DecodeResult decode(const std::uint8_t* data, std::size_t size) {
    DecodeResult r;
    if (data == nullptr || size < sizeof(RecordHeader)) return r;  // truncated
    if (detail::load_le(data + offsetof(RecordHeader, magic), 4) != kRecordMagic) {
        r.error = DecodeError::bad_magic;
        return r;
    }
    if (detail::load_le(data + offsetof(RecordHeader, version), 2) != kProtocolVersion) {
        r.error = DecodeError::bad_version;
        return r;
    }
    const std::uint32_t length = detail::load_le(data + offsetof(RecordHeader, length), 4);
    if (length < sizeof(RecordHeader) || length > kMaxRecordSize) {
        r.error = DecodeError::bad_length;
        return r;
    }
    if (size < length) {
        r.error = DecodeError::truncated;
        return r;
    }
    if (size > length) {
        r.error = DecodeError::bad_length;
        return r;
    }
    const auto type = static_cast<std::uint16_t>(detail::load_le(data + offsetof(RecordHeader, type), 2));
    r.error = detail::check_payload(data, type, length);
    if (r.error != DecodeError::ok) return r;
    for (std::size_t i = 0; i < length; ++i) r.record.bytes_[i] = data[i];
    return r;
}

}  // namespace pagewalk::harness
