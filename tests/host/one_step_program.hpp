// SPDX-License-Identifier: MIT OR Apache-2.0
// Test helper: whether validate_program() accepts a program made of one step in one paging mode — the smallest
// program around a step, so a test can probe the field rules of that step (harness/program.hpp).
#pragma once

#include <cstdint>
#include <cstring>
#include <pagewalk/harness/program.hpp>
#include <vector>

namespace pagewalk::test {

inline bool one_step_program_valid(const harness::Step& step, pagewalk::PagingMode mode) {
    std::vector<std::uint8_t> bytes(sizeof(harness::ProgramHeader) + sizeof(harness::Step));
    harness::ProgramHeader hdr{};
    hdr.magic = harness::kProgramMagic;
    hdr.version = harness::kProgramVersion;
    hdr.header_size = sizeof hdr;
    hdr.step_count = 1;
    hdr.step_offset = sizeof hdr;
    hdr.step_size = sizeof(harness::Step);
    hdr.total_size = static_cast<std::uint32_t>(bytes.size());
    hdr.mode = static_cast<std::uint8_t>(mode);
    hdr.table_frames = 64;
    std::memcpy(bytes.data(), &hdr, sizeof hdr);
    std::memcpy(bytes.data() + sizeof hdr, &step, sizeof step);
    return static_cast<bool>(harness::validate_program(bytes.data(), bytes.size()));
}

}  // namespace pagewalk::test
