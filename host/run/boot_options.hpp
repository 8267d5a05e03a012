// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: what to boot and how, for any backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <pagewalk/harness/decoder.hpp>
#include <string>

namespace pagewalk::host {

/// Which entry the KVM launcher uses: by capability probe (auto), or forced.
enum class EntryChoice { automatic, multiboot32, direct64 };

/// Control registers as a backend reports them for a stopped vCPU.
struct LiveRegisters {
    std::uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
};

/// A guest stopped between two instructions, for checks made from outside while it waits (the KVM launcher's
/// hypercall exit; QEMU's serial handshake with its RAM in a shared file).
class LiveGuest {
public:
    virtual ~LiveGuest() = default;
    /// Guest-physical memory; false outside RAM.
    virtual bool read_physical(std::uint64_t pa, void* out, std::size_t n) = 0;
    /// The vCPU's control registers (KVM_GET_SREGS; QEMU's `info registers`); nullopt where the backend cannot tell.
    virtual std::optional<LiveRegisters> registers() = 0;
    /// Whether registers() is meant to answer: then nullopt is a failure to read them, never a reason to trust the
    /// guest's own report instead.
    virtual bool has_registers() const { return true; }
    /// KVM_TRANSLATE: the guest-physical address of `va` under the vCPU's paging, or nullopt (invalid / none).
    /// Its "writeable" answer is always 1 here, so only the address means something.
    virtual std::optional<std::optional<std::uint64_t>> translate(std::uint64_t va) = 0;
    /// Where registers() and translate() come from, for reports ("KVM_GET_SREGS", "QEMU's registers (info registers)").
    virtual const char* source() const = 0;
};

/// Called for every record as it arrives, with the stopped guest (never stored past the call).
using RecordHook = std::function<void(const harness::DecodedRecord&, LiveGuest&)>;

/// One boot of the guest image.
struct BootOptions {
    std::string guest_path;                  ///< the guest ELF (pagewalk-guest.elf)
    std::optional<std::string> module_path;  ///< multiboot module (the scenario program), if any
    std::optional<std::string> iso_path;     ///< QEMU only: boot this GRUB ISO (-cdrom) instead of -kernel
    std::string uefi_firmware;               ///< QEMU with iso_path: this OVMF code image (read-only pflash) instead
                                             ///< of SeaBIOS, so the ISO boots through UEFI; "" = BIOS
    std::string cmdline;                     ///< guest command line, e.g. "pw.test=selftest"
    double timeout_s = 10.0;                 ///< watchdog
    std::uint64_t memory_bytes = 64ull << 20;
    EntryChoice entry = EntryChoice::automatic;
    std::string qemu_cpu = "max";  ///< QEMU only: the -cpu value ("max,-pdpe1gb", "max,phys-bits=36" …)
    /// QEMU only: RAM in a shared file the host maps, and the serial handshake after each announce record, so the
    /// hook can walk the live tables (the program must have harness::program_flag::serial_handshake).
    bool qemu_live = false;
    /// The records' arrival times measure the guest (a calibration): read each at once. Otherwise QEMU's COM1 output,
    /// a byte per write, is read in bursts.
    bool timed_records = false;
    RecordHook on_record;  ///< optional
    /// QEMU only: a VGA card (-device VGA, its EDID asking for screen_width × screen_height when given) and, once
    /// the final record arrived, QEMU's screendump of it into this file (PPM). Without isa-debug-exit then, as on a
    /// physical machine, so the guest halts with its screen as it left it; the exit status comes from the final
    /// record.
    std::string screenshot_path;
    unsigned screen_width = 0, screen_height = 0;
};

}  // namespace pagewalk::host
