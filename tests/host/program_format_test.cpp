// SPDX-License-Identifier: MIT OR Apache-2.0
// The program format (harness/program.hpp): a valid program round-trips; every malformed one is refused with the
// right error, without reading past the bytes given (the sanitizer build checks that).
#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/program.hpp>
#include <vector>

namespace h = pagewalk::harness;

namespace {

std::vector<std::uint8_t> program(std::vector<h::Step> steps, pagewalk::PagingMode mode = pagewalk::PagingMode::long4) {
    h::ProgramHeader hdr{};
    hdr.magic = h::kProgramMagic;
    hdr.version = h::kProgramVersion;
    hdr.header_size = sizeof hdr;
    hdr.step_count = static_cast<std::uint32_t>(steps.size());
    hdr.step_offset = sizeof hdr;
    hdr.step_size = sizeof(h::Step);
    hdr.total_size = static_cast<std::uint32_t>(sizeof hdr + steps.size() * sizeof(h::Step));
    hdr.mode = static_cast<std::uint8_t>(mode);
    hdr.table_frames = 16;
    hdr.data_frames = 4;
    std::vector<std::uint8_t> bytes(hdr.total_size);
    std::memcpy(bytes.data(), &hdr, sizeof hdr);
    if (!steps.empty()) std::memcpy(bytes.data() + sizeof hdr, steps.data(), steps.size() * sizeof(h::Step));
    return bytes;
}

h::Step map_step() {
    h::Step s{};
    s.op = static_cast<std::uint16_t>(h::StepOp::map);
    s.id = 1;
    s.va = 0x4000'0000;
    s.a = 0x1000;
    s.sizes = 1;
    s.rights = h::step_rights::writable;
    return s;
}

h::ProgramError check(const std::vector<std::uint8_t>& b) {
    return h::validate_program(b.data(), b.size()).error;
}

template <class T>
void poke(std::vector<std::uint8_t>& b, std::size_t offset, T value) {
    std::memcpy(b.data() + offset, &value, sizeof value);
}

}  // namespace

TEST(ProgramFormat, ValidProgramRoundTrips) {
    h::Step access{};
    access.op = static_cast<std::uint16_t>(h::StepOp::access);
    access.id = 2;
    access.va = 0x4000'0008;
    access.cpl = 3;
    access.access = static_cast<std::uint8_t>(h::AccessKind::write);
    access.width = 2;
    access.a = 0x1234;
    auto b = program({map_step(), access});
    ASSERT_EQ(check(b), h::ProgramError::ok);
    const h::ProgramHeader& hdr = h::program_header(b.data());
    EXPECT_EQ(hdr.step_count, 2u);
    const h::Step* s = h::program_steps(b.data());
    EXPECT_EQ(s[0].va, 0x4000'0000u);
    EXPECT_EQ(s[1].cpl, 3);
    EXPECT_EQ(s[1].a, 0x1234u);
    EXPECT_EQ(s[1].width, 2);
}

TEST(ProgramFormat, HeaderErrors) {
    const auto good = program({map_step()});
    EXPECT_EQ(h::validate_program(nullptr, 0).error, h::ProgramError::truncated);
    for (std::size_t n : {std::size_t{0}, sizeof(h::ProgramHeader) - 1, good.size() - 1}) {
        std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
        EXPECT_EQ(check(cut), h::ProgramError::truncated) << n;
    }
    auto b = good;
    poke<std::uint32_t>(b, 0, 0x12345678);
    EXPECT_EQ(check(b), h::ProgramError::bad_magic);
    b = good;
    poke<std::uint16_t>(b, offsetof(h::ProgramHeader, version), h::kProgramVersion + 1);
    EXPECT_EQ(check(b), h::ProgramError::bad_version);
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, step_size), 40);
    EXPECT_EQ(check(b), h::ProgramError::bad_layout);
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, total_size), static_cast<std::uint32_t>(good.size() + 8));
    EXPECT_EQ(check(b), h::ProgramError::bad_layout);
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, step_count), h::kMaxProgramSteps + 1);
    EXPECT_EQ(check(b), h::ProgramError::too_many_steps);
    // A step count that claims more steps than there are bytes: the layout check catches it before any step read.
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, step_count), 2);
    EXPECT_EQ(check(b), h::ProgramError::bad_layout);
    b = good;
    b[offsetof(h::ProgramHeader, mode)] = 9;
    EXPECT_EQ(check(b), h::ProgramError::bad_mode);
    for (std::size_t field : {offsetof(h::ProgramHeader, controls), offsetof(h::ProgramHeader, features),
                              offsetof(h::ProgramHeader, vouched_features)}) {
        b = good;
        poke<std::uint32_t>(b, field, 0x8000'0000u);
        EXPECT_EQ(check(b), h::ProgramError::bad_header_field) << field;
    }
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, pkru), 0xc000'0000u);  // key 15 is the guest's
    EXPECT_EQ(check(b), h::ProgramError::bad_header_field);
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, table_frames), 0);
    EXPECT_EQ(check(b), h::ProgramError::bad_header_field);
    b = good;
    poke<std::uint32_t>(b, offsetof(h::ProgramHeader, data_frames), h::kMaxDataFrames + 1);
    EXPECT_EQ(check(b), h::ProgramError::bad_header_field);
}

TEST(ProgramFormat, StepErrorsNameTheStep) {
    h::Step bad_op = map_step();
    bad_op.op = 99;
    const auto two = program({map_step(), bad_op});
    auto r = h::validate_program(two.data(), two.size());
    EXPECT_EQ(r.error, h::ProgramError::bad_step_op);
    EXPECT_EQ(r.step_index, 1u);

    auto field = [](h::Step s, pagewalk::PagingMode mode = pagewalk::PagingMode::long4) {
        const auto b = program({s}, mode);
        return h::validate_program(b.data(), b.size()).error;
    };
    h::Step s = map_step();
    s.pkey = 15;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = map_step();
    s.sizes = 0;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = map_step();
    s.a = 0;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = map_step();
    s.flags = 0x80;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = {};
    s.op = static_cast<std::uint16_t>(h::StepOp::edit_entry);
    s.level = 4;
    EXPECT_EQ(field(s, pagewalk::PagingMode::long4), h::ProgramError::ok);
    EXPECT_EQ(field(s, pagewalk::PagingMode::pae), h::ProgramError::bad_step_field);  // no PML4E in PAE paging
    s.level = 0;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = {};
    s.op = static_cast<std::uint16_t>(h::StepOp::access);
    s.width = 8;
    s.cpl = 1;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s.cpl = 0;
    // A read or write is 1, 2, 4 or 8 bytes; a fetch or an implicit access has no width of its own.
    for (std::uint8_t w : {1, 2, 4, 8}) {
        s.width = w;
        EXPECT_EQ(field(s), h::ProgramError::ok) << int{w};
    }
    for (std::uint8_t w : {0, 3, 16}) {
        s.width = w;
        EXPECT_EQ(field(s), h::ProgramError::bad_step_field) << int{w};
    }
    s.access = static_cast<std::uint8_t>(h::AccessKind::fetch);
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s.width = 0;
    EXPECT_EQ(field(s), h::ProgramError::ok);
    s.access = static_cast<std::uint8_t>(h::AccessKind::read);
    s.access_flags = h::access_flag::implicit;
    EXPECT_EQ(field(s), h::ProgramError::ok);
    s.width = 8;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s.access_flags = 0;
    s.cpl = 0;
    s.access = static_cast<std::uint8_t>(h::AccessKind::write);
    s.access_flags = h::access_flag::implicit;  // implicit accesses are reads
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = {};
    s.op = static_cast<std::uint16_t>(h::StepOp::set_control);
    s.a = h::control::smep;
    s.b = h::control::smep;  // on and off at once
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
    s = {};
    s.op = static_cast<std::uint16_t>(h::StepOp::tag);
    s.flags = h::step_flag::pa_data;
    s.pa = 0x1008;  // not a frame
    s.a = 1;
    EXPECT_EQ(field(s), h::ProgramError::bad_step_field);
}

TEST(ProgramFormat, DataTagsAreDistinctAndStartWithRet) {
    EXPECT_EQ(h::data_tag(0) & 0xff, 0xc3u);
    EXPECT_EQ(h::data_tag(0x1008) & 0xff, 0xc3u);
    EXPECT_NE(h::data_tag(0x1008), h::data_tag(0x1010));
    EXPECT_EQ(h::data_tag(0x1008) >> 8, 0x1008u);
    EXPECT_TRUE(h::is_tagged(0x10f8));
    EXPECT_FALSE(h::is_tagged(0x1100));
    EXPECT_FALSE(h::is_tagged(0x1004));
}
