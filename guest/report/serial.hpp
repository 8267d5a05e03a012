// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: COM1, a polled 16550 UART (port map: PC16550D data sheet; base 0x3F8).
#pragma once

#include <cstdint>
#include <pagewalk/harness/ports.hpp>

#include "arch/cpu.hpp"

namespace pagewalk::guest::serial {

inline constexpr std::uint16_t kBase = harness::Ports::com1;

/// 115200 baud, 8N1, FIFOs on, interrupts off.
inline void init() {
    arch::outb(kBase + 1, 0x00);  // IER: no interrupts
    arch::outb(kBase + 3, 0x80);  // LCR: DLAB
    arch::outb(kBase + 0, 0x01);  // DLL: divisor 1 = 115200
    arch::outb(kBase + 1, 0x00);  // DLM
    arch::outb(kBase + 3, 0x03);  // LCR: 8N1
    arch::outb(kBase + 2, 0xc7);  // FCR: enable + clear FIFOs
    arch::outb(kBase + 4, 0x03);  // MCR: DTR, RTS
}

/// Waits for LSR.THRE (bit 5): the transmitter holding register (or FIFO) is empty. Bounded: a missing UART must not
/// hang the guest.
inline void wait_transmitter_empty() {
    for (int i = 0; i < 100000 && (arch::inb(kBase + 5) & 0x20) == 0; ++i) {
    }
}

/// Waits for THRE, then writes one byte.
inline void put(char c) {
    wait_transmitter_empty();
    arch::outb(kBase, static_cast<std::uint8_t>(c));
}

/// Writes a stream of bytes with the transmit FIFO (init() enables it): THRE set means the 16-byte FIFO is empty, so
/// up to 16 bytes go out per wait (PC16550D data sheet, "FIFO mode") — half the port accesses of put() per byte,
/// and each is a costly exit where the UART is emulated.
class FifoWriter {
public:
    void put(char c) {
        if (room_ == 0) {
            wait_transmitter_empty();
            room_ = kFifoBytes;
        }
        arch::outb(kBase, static_cast<std::uint8_t>(c));
        --room_;
    }

private:
    static constexpr unsigned kFifoBytes = 16;
    unsigned room_ = 0;
};

}  // namespace pagewalk::guest::serial
