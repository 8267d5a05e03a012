// SPDX-License-Identifier: MIT OR Apache-2.0
// Fuzz target: a compiled scenario program as the guest receives it (the multiboot module). validate_program() must
// reject anything malformed without reading past the end; what it accepts is read step by step the way the guest's
// runner reads it, and every field the op uses must then be within the range program.hpp documents.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <pagewalk/harness/program.hpp>
#include <vector>

namespace {

using namespace pagewalk::harness;

unsigned top_level(std::uint8_t mode) {
    return pagewalk::shape(pagewalk::paging_mode_from_value(mode).value_or(pagewalk::PagingMode::long5)).levels;
}

// What the runner relies on for each op (checked, not executed).
void read_step(const Step& s, std::uint8_t mode, std::uint64_t& sink) {
    if (s.expect.kind > kMaxExpectKind || s.expect.frame_count > kMaxExpectFrames) __builtin_trap();
    for (unsigned i = 0; i < s.expect.frame_count; ++i) {
        if (s.expect.frames[i] >= kMaxDataFrames) __builtin_trap();
        sink += s.expect.frames[i];
    }
    switch (static_cast<StepOp>(s.op)) {
        case StepOp::map:
            if (s.a == 0 || s.pat >= 8 || s.pkey >= 15 || s.sizes == 0 || s.sizes > 7) __builtin_trap();
            sink += s.va ^ s.pa ^ s.a ^ s.rights;
            break;
        case StepOp::unmap:
        case StepOp::protect:
            if (s.a == 0) __builtin_trap();
            sink += s.va + s.a;
            break;
        case StepOp::edit_entry:
        case StepOp::read_entry:
            if (s.level < 1 || s.level > top_level(mode)) __builtin_trap();
            sink += s.va ^ s.a ^ s.b;
            break;
        case StepOp::access:
            if (s.access > 2 || (s.cpl != 0 && s.cpl != 3)) __builtin_trap();
            sink += s.va ^ s.a ^ s.access_flags;
            break;
        case StepOp::set_control:
            if (((s.a | s.b) & ~std::uint64_t{control::all}) != 0) __builtin_trap();
            sink += s.a ^ s.b ^ s.c;
            break;
        case StepOp::tag:
            if (s.a == 0 || s.a > kMaxDataFrames || (s.pa & 0xfff) != 0) __builtin_trap();
            sink += s.pa;
            break;
        case StepOp::poke:
            if ((s.pa & 7) != 0) __builtin_trap();
            sink += s.pa ^ s.a;
            break;
        case StepOp::recursive:
            if (mode == static_cast<std::uint8_t>(pagewalk::PagingMode::pae) || s.a >= 1024) __builtin_trap();
            sink += s.a;
            break;
        case StepOp::invlpg:
        case StepOp::reload_cr3:
        case StepOp::toggle_pge:
            sink += s.va;
            break;
        default:
            __builtin_trap();  // validate_program() accepted an unknown op
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ProgramCheck check = validate_program(data, size);
    if (to_string(check.error)[0] == '?') __builtin_trap();
    if (!check) return 0;

    // The guest reads the module in place, 8-aligned (as GRUB and the launchers load it).
    std::vector<std::uint64_t> aligned((size + 7) / 8);
    std::memcpy(aligned.data(), data, size);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(aligned.data());
    const ProgramHeader& h = program_header(bytes);
    if (h.step_count > kMaxProgramSteps || h.total_size > size ||
        h.total_size != sizeof(ProgramHeader) + std::uint64_t{h.step_count} * sizeof(Step) ||
        h.data_frames > kMaxDataFrames || h.table_frames == 0 || h.table_frames > kMaxTableFrames)
        __builtin_trap();
    std::size_t name_length = 0;  // NUL-padded, not necessarily terminated
    while (name_length < kMaxScenarioName && h.name[name_length] != 0) ++name_length;
    std::uint64_t sink = name_length + h.controls + h.features;
    const Step* steps = program_steps(bytes);
    for (std::uint32_t i = 0; i < h.step_count; ++i) read_step(steps[i], h.mode, sink);
    // Keep the reads.
    volatile std::uint64_t keep = sink;
    (void)keep;
    return 0;
}
