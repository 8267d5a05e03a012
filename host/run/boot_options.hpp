// pagewalk host: what to boot and how, for any backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pagewalk::host {

/// Which entry the KVM launcher uses: by capability probe (auto), or forced.
enum class EntryChoice { automatic, multiboot32, direct64 };

/// One boot of the guest image.
struct BootOptions {
    std::string guest_path;                  ///< the guest ELF (pagewalk-guest.elf)
    std::optional<std::string> module_path;  ///< multiboot module (the scenario program), if any
    std::optional<std::string> iso_path;     ///< QEMU only: boot this GRUB ISO (-cdrom) instead of -kernel
    std::string cmdline;                     ///< guest command line, e.g. "pw.test=selftest"
    double timeout_s = 10.0;                 ///< watchdog
    std::uint64_t memory_bytes = 64ull << 20;
    EntryChoice entry = EntryChoice::automatic;
};

}  // namespace pagewalk::host
