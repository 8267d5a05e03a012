// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/iso_command.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "backend/backend.hpp"
#include "iso/iso_check.hpp"
#include "iso/iso_image.hpp"
#include "iso/iso_plan.hpp"
#include "iso/run_summary.hpp"
#include "iso/screenshot.hpp"
#include "suite/suite.hpp"
#include "util/interrupt.hpp"

namespace pagewalk::host::iso {
namespace {

constexpr int kSkip = 77;

/// This program's own path, for the commands it suggests.
std::string self() {
    std::error_code ec;
    const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("pagewalk") : p.string();
}

std::string megabytes(std::uint64_t bytes) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return b;
}

/// `--decode ARG`: ARG is a file when one of that name exists, else the text itself.
int decode_command(const std::string& arg) {
    std::string text = arg;
    std::error_code ec;
    if (std::filesystem::is_regular_file(arg, ec)) {
        std::ifstream in(arg, std::ios::binary);
        std::ostringstream all;
        all << in.rdbuf();
        if (!in) {
            std::cerr << "pagewalk iso --decode: cannot read " << arg << "\n";
            return 1;
        }
        text = all.str();
    }
    Expected<harness::summary::Summary> s = decode_summary(text);
    if (!s) {
        std::cerr << "pagewalk iso --decode: " << (text == arg ? "the text" : arg) << ": " << s.error() << "\n";
        return 1;
    }
    std::cout << summary_report(*s);
    return 0;
}

/// The first WxH of a gfxpayload list, for QEMU's VGA card to offer as its preferred (EDID) mode.
std::pair<unsigned, unsigned> first_size(const std::string& gfxmode) {
    static const std::regex kSize("^([0-9]+)x([0-9]+).*");
    std::smatch m;
    if (!std::regex_match(gfxmode, m, kSize)) return {0, 0};
    return {static_cast<unsigned>(std::stoul(m[1])), static_cast<unsigned>(std::stoul(m[2]))};
}

}  // namespace

int iso_command(const IsoCommandOptions& o) {
    if (!o.decode.empty()) return decode_command(o.decode);
    if (!valid_gfxmode(o.gfxmode)) {
        std::cerr << "pagewalk iso --gfxmode: \"" << o.gfxmode
                  << "\" is not a GRUB mode list (auto, keep, text or WxH[xDEPTH], separated by commas)\n";
        return 1;
    }
    if (!o.serial_log.empty()) {
        // A capture from a boot of the ISO: the same programs (the scenario files are compiled again, in the ISO's
        // order and with its scenario ids), checked from the log alone.
        const Expected<std::vector<std::string>> files = suite::scenario_files(o.files, o.scenario_dir);
        if (!files) {
            std::cerr << "pagewalk iso: " << files.error() << "\n";
            return 1;
        }
        const IsoPlan plan = plan_iso(files.value(), o.mode, o.matrix_limit);
        for (const std::string& e : plan.errors) std::cerr << e << "\n";
        if (!plan.errors.empty()) return 1;
        std::optional<BackendKind> under;
        if (!o.captured_under.empty()) under = parse_backend(o.captured_under);
        const IsoCheckResult r = check_serial_log(plan, o.serial_log, o.verbose, under);
        std::cout << r.report;
        return r.ok() ? 0 : 1;
    }
    if (const std::string why = iso_tools_missing(); !why.empty()) {
        if (o.skip_if_unavailable) {
            std::cout << "SKIP: cannot make an ISO here: " << why << "\n";
            return kSkip;
        }
        std::cerr << "pagewalk iso: " << why
                  << " (Debian: apt-get install grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools)\n";
        return 1;
    }
    if (o.check && o.skip_if_unavailable) {
        if (const std::string why = backend::boot_unavailable(kIsoCheckBackend, {}, std::nullopt); !why.empty()) {
            std::cout << "SKIP: " << why << "\n";
            return kSkip;
        }
    }
    if (o.check && !o.screenshot.empty() && find_zbarimg().empty() && o.skip_if_unavailable) {
        std::cout << "SKIP: cannot read the screenshot's QR code here: zbarimg missing (Debian: zbar-tools)\n";
        return kSkip;
    }
    if (o.check && o.uefi) {
        std::string why;
        if (!grub_platforms().uefi)
            why = "no GRUB x86_64-efi modules (Debian: grub-efi-amd64-bin): the ISO would not boot";
        else if (find_uefi_firmware().empty())
            why = "no OVMF firmware (Debian: ovmf)";
        if (!why.empty()) {
            if (o.skip_if_unavailable) {
                std::cout << "SKIP: cannot boot the ISO through UEFI here: " << why << "\n";
                return kSkip;
            }
            std::cerr << "pagewalk iso --firmware uefi: " << why << "\n";
            return 1;
        }
    }
    const Expected<std::vector<std::string>> listed = suite::scenario_files(o.files, o.scenario_dir);
    if (!listed) {
        std::cerr << "pagewalk iso: " << listed.error() << "\n";
        return 1;
    }
    const std::vector<std::string>& files = listed.value();
    const IsoPlan plan = plan_iso(files, o.mode, o.matrix_limit);
    for (const std::string& e : plan.errors) std::cerr << e << "\n";
    if (!plan.errors.empty()) {
        std::cerr << "pagewalk iso: " << plan.errors.size() << " error(s) in the scenario files: no ISO made\n";
        return 1;
    }
    const std::optional<unsigned> default_entry = menu_entry(plan, o.default_entry);
    if (!default_entry) {
        std::cerr << "pagewalk iso --default-entry: this ISO has no entry \"" << o.default_entry
                  << "\" (scenarios, scenarios-MODE, matrix-MODE for the modes it holds; matrix when it holds more "
                     "than one)\n";
        return 1;
    }
    IsoBuildOptions b;
    b.output = o.output;
    b.guest_path = o.guest_path;
    b.work_dir = o.work_dir;
    b.force = o.force;
    b.grub_timeout = o.grub_timeout;
    b.gfxmode = o.gfxmode;
    b.default_entry = *default_entry;
    const Expected<IsoImage> image = build_iso(plan, b);
    if (const int sig = interrupt::received(); sig != 0) {
        std::error_code ec;
        std::filesystem::remove(o.output, ec);  // grub-mkrescue was ended half way
        std::cerr << "pagewalk iso: interrupted by signal " << sig << " (" << strsignal(sig) << "): no ISO made\n";
        return interrupt::exit_status();
    }
    if (!image) {
        std::cerr << "pagewalk iso: " << image.error() << "\n";
        return 1;
    }
    std::size_t per_mode[static_cast<std::size_t>(PagingMode::long5) + 1] = {};
    for (const IsoProgram& p : plan.programs) ++per_mode[static_cast<unsigned>(p.mode)];
    std::cout << "pagewalk iso: " << image->path << " (" << megabytes(image->bytes) << "): " << plan.programs.size()
              << " programs (" << per_mode[1] << " 32-bit, " << per_mode[2] << " PAE, " << per_mode[3] << " 4-level, "
              << per_mode[4] << " 5-level paging) from " << files.size() << " scenario files\n"
              << "  boots through: " << describe(image->platforms) << "\n"
              << "  GRUB menu: every scenario in every mode, or one paging mode; the access matrix of one mode, or "
                 "every mode; after "
              << o.grub_timeout << " s: " << o.default_entry << "; serial console on COM1, 115200 8N1\n"
              << "  contents: " << image->tree << "/boot/grub/grub.cfg, " << image->tree << "/pagewalk/manifest.txt\n";
    if (!o.check) {
        const std::string iso = image->path;
        std::cout
            << "\nWrite it to a USB stick (this ERASES the stick — find its device with `lsblk` first):\n"
            << "  sudo dd if=" << iso << " of=/dev/sdX bs=4M conv=fsync status=progress\n"
            << (image->platforms.uefi
                    ? "Boot the machine from it through UEFI (Secure Boot off: GRUB's EFI image is not signed) or\n"
                      "BIOS (legacy/CSM). The screen shows one line per program, the summary and a QR code of it\n"
                      "(photograph it; `pagewalk iso --decode TEXT` prints its report). COM1 (115200 8N1) carries\n"
                      "the same lines and every record. To have the host check "
                    : "Boot the machine from it in BIOS (legacy/CSM) mode. The screen shows one line per program,\n"
                      "the summary and a QR code of it (photograph it; `pagewalk iso --decode TEXT` prints its\n"
                      "report); COM1 (115200 8N1) carries the same lines and every record. To have the host check\n")
            << "a capture of COM1 (e.g. `picocom -b 115200 -g com1.log /dev/ttyUSB0`):\n"
            << "  " << self() << " iso --serial-log com1.log   (with the same scenario files and --mode)\n"
            << "Try it under QEMU first:\n"
            << "  qemu-system-x86_64 -cdrom " << iso << " -m " << (plan.memory_bytes >> 20)
            << " -cpu max -serial stdio\n"
            << "  " << self() << " iso --check -o " << iso
            << "   (rebuilds it, boots it under QEMU, checks every program and line)\n";
        if (image->platforms.uefi)
            std::cout << "  " << self() << " iso --check --firmware uefi -o " << iso << "   (the same through OVMF)\n";
        return 0;
    }
    IsoCheckOptions c;
    c.iso = image->path;
    c.timeout_s = o.timeout_s;
    c.verbose = o.verbose;
    c.firmware = o.uefi ? Firmware::uefi : Firmware::bios;
    c.memory_bytes = std::uint64_t{o.memory_mib} << 20;
    c.screenshot = o.screenshot;
    std::tie(c.screen_width, c.screen_height) = first_size(o.gfxmode);
    const IsoCheckResult r = check_iso(plan, c);
    std::cout << "\n" << r.report;
    if (const int sig = interrupt::received(); sig != 0) {
        std::cout << "pagewalk iso --check: interrupted by signal " << sig << " (" << strsignal(sig)
                  << "): QEMU was ended, the check did not finish\n";
        return interrupt::exit_status();
    }
    return r.ok() ? 0 : 1;
}

}  // namespace pagewalk::host::iso
