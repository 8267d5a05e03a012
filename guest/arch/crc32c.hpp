// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: CRC-32C with the CRC32 instruction where the CPU has SSE4.2 — it computes exactly the table's
// CRC-32C step (SDM Vol. 2A "CRC32": polynomial 11EDC6F41H, bit-reflected, no inversion), so a digest is the same
// whichever path made it; a software CPU emulates one instruction per 4 bytes faster than a table lookup per byte.
// Portable (-m32 and -m64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <pagewalk/harness/crc32.hpp>

#include "arch/cpu.hpp"

namespace pagewalk::guest::arch {

class Crc32cUpdater {
public:
    /// Probes CPUID once.
    Crc32cUpdater() : instruction_(cpu_has(pagewalk::cpuid::sse4_2)) {}
    /// For tests: the table only, or the instruction (which the CPU must have).
    explicit Crc32cUpdater(bool instruction) : instruction_(instruction) {}

    /// harness::crc32c_table_update(state, p, size).
    std::uint32_t update(std::uint32_t state, const std::uint8_t* p, std::size_t size) const {
        if (!instruction_) return harness::crc32c_table_update(state, p, size);
        std::size_t i = 0;
        for (; i + 4 <= size; i += 4) {
            std::uint32_t word;
            __builtin_memcpy(&word, p + i, 4);
            asm("crc32l %1, %0" : "+r"(state) : "rm"(word));
        }
        for (; i < size; ++i) asm("crc32b %1, %0" : "+r"(state) : "qm"(p[i]));
        return state;
    }
    bool uses_instruction() const { return instruction_; }

private:
    bool instruction_;
};

}  // namespace pagewalk::guest::arch
