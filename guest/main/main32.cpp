// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk guest: the 32-bit world's entry, compiled -m32 and called from pw_start32 (protected mode, no paging).
// It sends the hello record; runs the 32-bit and PAE scenario programs among the modules (runner/runner32.cpp), or
// stays in this world for good — the self-tests of 32-bit and PAE paging (selftest/selftest32.cpp), the 32-bit and
// PAE inspect-demo — and returns, so that pw_start32 enters long mode for the 64-bit world (guest/README.md).
#include <pagewalk/harness/boot_header.hpp>

#include "boot/boot_info.hpp"
#include "boot/boot_relocate.hpp"
#include "inspect_demo/demo.hpp"
#include "report/reporter.hpp"
#include "report/text.hpp"
#include "runner/layout.hpp"
#include "runner/runner32.hpp"
#include "selftest/selftest32.hpp"

using namespace pagewalk;

extern "C" const char pw_image_end[];

extern "C" void pw_main32(guest::BootContext* ctx) {
    ctx->entry_path =
        static_cast<std::uint32_t>(ctx->eax == harness::kMultiboot2BootMagic   ? harness::EntryPath::multiboot2
                                   : ctx->eax == harness::kMultiboot1BootMagic ? harness::EntryPath::multiboot1
                                                                               : harness::EntryPath::unknown);
    guest::Reporter r(&ctx->reporter);
    r.init(ctx->ecx);
    guest::send_hello(r, *ctx, 32);
    char test[32] = "";
    guest::BootInfo info = guest::parse_boot_info(*ctx);
    // Before anything reads a module: a UEFI boot may have put them below the image or high (boot/boot_relocate.hpp).
    const guest::BootRelocation moved =
        guest::relocate_boot_data(info, reinterpret_cast<std::uintptr_t>(&pw_image_end), guest::runner::kBootDataLimit);
    if (moved.done) {
        ctx->ebx = moved.info;
        info = guest::parse_boot_info(*ctx);
        r.log((guest::Text{} << "boot data moved above the image: modules and multiboot2 information now at ")
                  .hex(moved.start)
                  .c_str());
    }
    if (info.valid && guest::cmdline_option(info.cmdline, "pw.test=", test, sizeof test)) {
        if (guest::equals(test, "program") || guest::equals(test, "matrix")) guest::runner::run_programs32(r, info);
        if (guest::equals(test, "selftest32")) guest::run_selftest32(r, info, false);
        if (guest::equals(test, "selftest-pae")) guest::run_selftest32(r, info, true);
        // inspect-demo in 32-bit or PAE paging stays in this world and halts there (guest/inspect_demo/).
        if (guest::equals(test, "inspect-32bit")) guest::run_inspect_demo32(r, false);
        if (guest::equals(test, "inspect-pae")) guest::run_inspect_demo32(r, true);
    }
    r.log("32-bit code (-m32) running in protected mode; entering long mode");
}
