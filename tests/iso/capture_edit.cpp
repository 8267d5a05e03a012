// SPDX-License-Identifier: MIT OR Apache-2.0
// Test tool: rewrites a COM1 capture of the ISO's access-matrix entries as a lying guest would have sent it — every
// record line re-framed (its CRC) and the final record's digest recomputed, so that the stream itself stays intact and
// only the host's own checks can find the lie:
//   block-count   the first block with an illegal combination claims one more combination run and agreed (its
//                 predicted class's count too), and the end record's totals follow: only the host's recount disagrees
//   case-outcome  the first case's access record says the access completed when it faulted, or faulted (#PF) when it
//                 completed
//   truncate      the capture ends before the first matrix_end line (a machine reset, a cable pulled)
// Usage: pagewalk_capture_edit IN OUT EDIT. Exit 0 when the edit was made, 1 when the capture has nothing to edit.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/framing.hpp>
#include <pagewalk/harness/matrix_records.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/harness/stream.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace pw = pagewalk::harness;

template <class T>
T& as(std::vector<std::uint8_t>& bytes) {
    return *reinterpret_cast<T*>(bytes.data());
}

bool edit_block(std::vector<std::uint8_t>& bytes, bool& done) {
    auto& b = as<pw::MatrixBlockRecord>(bytes);
    if (done || b.illegal == 0 || b.run == 0) return false;
    unsigned cls = 0;
    while (b.by_class[cls] == 0) ++cls;  // run > 0 and every run one agreed or not: a class with a count exists
    --b.illegal;
    ++b.run;
    ++b.agreed;
    ++b.by_class[cls];
    done = true;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: pagewalk_capture_edit IN OUT block-count|case-outcome|truncate\n";
        return 2;
    }
    const std::string edit = argv[3];
    if (edit != "block-count" && edit != "case-outcome" && edit != "truncate") {
        std::cerr << "pagewalk_capture_edit: unknown edit " << edit << "\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::cerr << "pagewalk_capture_edit: cannot read " << argv[1] << "\n";
        return 2;
    }
    std::ostringstream out;
    pw::StreamChecker digest;
    bool edited = false, block_done = false;
    for (std::string line; std::getline(in, line);) {
        std::vector<std::uint8_t> bytes(pw::kMaxRecordSize);
        const std::size_t at = line.find(pw::kLinePrefix);
        const pw::LineResult parsed =
            at == std::string::npos ? pw::LineResult{}
                                    : pw::parse_line(line.data() + at, line.size() - at, bytes.data(), bytes.size());
        if (parsed.error != pw::LineError::ok) {
            out << line << "\n";
            continue;
        }
        bytes.resize(parsed.size);
        const auto type = static_cast<pw::RecordType>(as<pw::RecordHeader>(bytes).type);
        if (edit == "truncate" && type == pw::RecordType::matrix_end) {
            edited = true;
            break;
        }
        if (edit == "block-count" && type == pw::RecordType::matrix_block)
            edited = edit_block(bytes, block_done) || edited;
        if (edit == "block-count" && type == pw::RecordType::matrix_end && block_done) {
            auto& e = as<pw::MatrixEndRecord>(bytes);
            --e.illegal;
            ++e.run;
            ++e.agreed;
        }
        if (edit == "case-outcome" && type == pw::RecordType::access && !edited &&
            as<pw::AccessRecord>(bytes).scenario_id == pw::kMatrixScenario) {
            auto& a = as<pw::AccessRecord>(bytes);
            if (a.outcome == 0) {
                a.outcome = static_cast<std::uint8_t>(pw::AccessOutcome::exception);
                a.vector = 14;  // #PF, with the error code of a not-present read
                a.has_error_code = 1;
                a.error_code = 0;
            } else {
                a.outcome = 0;
                a.vector = 0;
                a.has_error_code = 0;
                a.error_code = 0;
            }
            edited = true;
        }
        if (type == pw::RecordType::final) as<pw::FinalRecord>(bytes).digest = digest.digest();
        const pw::DecodeResult d = pw::decode(bytes.data(), bytes.size());
        if (d.ok()) digest.feed(d.record);
        out << line.substr(0, at);
        pw::write_line([&](char c) { out << c; }, bytes.data(), bytes.size());
    }
    if (!edited) {
        std::cerr << "pagewalk_capture_edit: " << argv[1] << " has nothing for " << edit << "\n";
        return 1;
    }
    std::ofstream o(argv[2], std::ios::binary | std::ios::trunc);
    o << out.str();
    if (!o) {
        std::cerr << "pagewalk_capture_edit: cannot write " << argv[2] << "\n";
        return 2;
    }
    return 0;
}
