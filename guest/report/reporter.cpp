// SPDX-License-Identifier: MIT OR Apache-2.0
#include "report/reporter.hpp"

#include <pagewalk/harness/crc32.hpp>
#include <pagewalk/harness/framing.hpp>

#include "arch/cpu.hpp"
#include "report/serial.hpp"

namespace pagewalk::guest {

using harness::TransportKind;

std::uint32_t crc32c_state(std::uint32_t state, const void* data, std::uint32_t size) {
    return harness::crc32c_table_update(state, static_cast<const std::uint8_t*>(data), size);
}

void Reporter::init(std::uint32_t entry_marker) {
    s_->transport = static_cast<std::uint32_t>(entry_marker == harness::kLauncherMarker ? TransportKind::hypercall
                                                                                        : TransportKind::serial);
    if (transport() == TransportKind::serial) serial::init();
}

void Reporter::send(harness::RecordHeader& record) {
    record.sequence = s_->sequence;
    if (record.type != static_cast<std::uint16_t>(harness::RecordType::final)) {
        s_->digest = ~crc32c_state(~s_->digest, &record, record.length);
        ++s_->sequence;
    }
    if (transport() == TransportKind::hypercall) {
        arch::outl(harness::Ports::hypercall, static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&record)));
    } else {
        serial::FifoWriter out;
        harness::write_line([&out](char c) { out.put(c); }, &record, record.length);
    }
}

void Reporter::log(const char* text, std::uint16_t level) {
    harness::LogRecord rec;
    std::uint32_t n = 0;
    while (n < harness::kMaxLogText && text[n] != 0) {
        rec.text[n] = text[n];
        ++n;
    }
    rec.header = harness::make_header(harness::RecordType::log, harness::kLogFixedSize + n);
    rec.level = level;
    rec.text_length = static_cast<std::uint16_t>(n);
    rec.reserved = 0;
    send(rec.header);
}

void Reporter::final(std::uint32_t steps, harness::ExitStatus status) {
    harness::FinalRecord rec{};
    rec.header = harness::make_header(harness::RecordType::final, sizeof rec);
    rec.records = s_->sequence;
    rec.steps = steps;
    rec.digest = s_->digest;
    rec.status = static_cast<std::uint32_t>(status);
    send(rec.header);
}

void Reporter::exit(harness::ExitStatus status) {
    const auto v = static_cast<std::uint32_t>(status);
    if (transport() == TransportKind::hypercall)
        arch::outl(harness::Ports::exit, v);
    else
        arch::outl(harness::Ports::qemu_debug_exit, v);  // QEMU: exit((v << 1) | 1); bare metal: nothing there
    arch::halt_forever();
}

void Reporter::console(const char* text) {
    if (transport() == TransportKind::serial) {
        for (; *text != 0; ++text) serial::put(*text);
    } else {
        for (; *text != 0; ++text) arch::outb(harness::Ports::com1, static_cast<std::uint8_t>(*text));
    }
}

}  // namespace pagewalk::guest
