// SPDX-License-Identifier: MIT OR Apache-2.0
#include "iso/iso_image.hpp"

#include <filesystem>
#include <fstream>

#include "util/file.hpp"
#include "util/process.hpp"

namespace pagewalk::host::iso {
namespace {

namespace fs = std::filesystem;

/// Where grub-mkrescue finds GRUB's BIOS (i386-pc) and 64-bit UEFI (x86_64-efi) modules: it makes a boot image for
/// each platform whose directory exists (grub-mkrescue(1): the default --directory list).
constexpr const char* kGrubBiosModules = "/usr/lib/grub/i386-pc";
constexpr const char* kGrubEfiModules = "/usr/lib/grub/x86_64-efi";

Status write_file(const fs::path& path, const void* data, std::size_t size) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    return write_whole_file(path.string(), data, size);
}

Status write_text(const fs::path& path, const std::string& text) {
    return write_file(path, text.data(), text.size());
}

/// The file that says pagewalk made a work tree: only such a tree (or an empty directory) is emptied without --force.
constexpr const char* kTreeMarker = ".pagewalk-iso-tree";

/// Empties `tree` for a new ISO, refusing a non-empty directory that pagewalk did not make (unless `force`).
Status claim_tree(const std::string& tree, bool force) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(tree, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) return Error{tree + ": " + ec.message()};
    if (!fs::exists(st)) return ok_status();
    if (!fs::is_directory(st))
        return Error{tree + " exists and is not a directory: not removed (choose another --work-dir)"};
    const bool empty = fs::is_empty(tree, ec);
    if (ec) return Error{tree + ": " + ec.message()};
    const bool ours = fs::is_regular_file(fs::symlink_status(fs::path(tree) / kTreeMarker, ec));
    if (!empty && !ours && !force)
        return Error{tree + " is not empty and was not made by pagewalk iso (no " + kTreeMarker +
                     "): not removed; choose another --work-dir, or pass --force to empty it"};
    fs::remove_all(tree, ec);
    if (ec) return Error{"cannot empty " + tree + ": " + ec.message()};
    return ok_status();
}

}  // namespace

GrubPlatforms grub_platforms() {
    std::error_code ec;
    return {fs::is_directory(kGrubBiosModules, ec), fs::is_directory(kGrubEfiModules, ec)};
}

std::string describe(const GrubPlatforms& p) {
    if (p.bios && p.uefi) return "BIOS (legacy/CSM) and UEFI (x86-64, Secure Boot off)";
    if (p.bios) return "BIOS only — install grub-efi-amd64-bin for UEFI";
    if (p.uefi) return "UEFI only (x86-64, Secure Boot off)";
    return "no firmware (no GRUB platform modules)";
}

std::string iso_tools_missing() {
    std::string missing;
    if (find_program("grub-mkrescue").empty()) missing += " grub-mkrescue (grub-common)";
    if (find_program("xorriso").empty()) missing += " xorriso";
    std::error_code ec;
    if (!fs::is_directory(kGrubBiosModules, ec)) missing += std::string(" ") + kGrubBiosModules + " (grub-pc-bin)";
    if (fs::is_directory(kGrubEfiModules, ec) && find_program("mformat").empty())
        missing += " mformat (mtools: the UEFI boot image)";
    return missing.empty() ? "" : "missing:" + missing;
}

Expected<IsoImage> build_iso(const IsoPlan& plan, const IsoBuildOptions& o) {
    if (const std::string why = iso_tools_missing(); !why.empty()) return Error{"cannot make an ISO: " + why};
    if (plan.programs.empty()) return Error{"no programs to put on the ISO"};
    IsoImage image;
    image.path = o.output;
    image.tree = o.work_dir.empty() ? o.output + ".d" : o.work_dir;
    if (const Status s = claim_tree(image.tree, o.force); !s) return Error{s.error()};
    std::error_code ec;
    fs::create_directories(fs::path(image.tree) / "boot" / "grub", ec);
    if (ec) return Error{"cannot create " + image.tree + ": " + ec.message()};
    if (const Status s = write_text(fs::path(image.tree) / kTreeMarker, "made by pagewalk iso\n"); !s)
        return Error{s.error()};
    const std::string guest_iso_path = "/boot/pagewalk-guest.elf";
    fs::copy_file(o.guest_path, fs::path(image.tree) / "boot" / "pagewalk-guest.elf",
                  fs::copy_options::overwrite_existing, ec);
    if (ec) return Error{"cannot copy the guest " + o.guest_path + ": " + ec.message()};
    for (const IsoProgram& p : plan.programs) {
        const Status s =
            write_file(fs::path(image.tree) / p.iso_path.substr(1), p.program.bytes.data(), p.program.bytes.size());
        if (!s) return Error{s.error()};
    }
    for (const IsoMatrixJob& j : plan.matrix_jobs) {
        const Status s = write_file(fs::path(image.tree) / j.iso_path.substr(1), j.bytes.data(), j.bytes.size());
        if (!s) return Error{s.error()};
    }
    for (const auto& [name, text] :
         {std::pair<std::string, std::string>{
              "boot/grub/grub.cfg", grub_config(plan, guest_iso_path, o.grub_timeout, o.gfxmode, o.default_entry)},
          {"pagewalk/manifest.txt", manifest(plan)}}) {
        const Status s = write_text(fs::path(image.tree) / name, text);
        if (!s) return Error{s.error()};
    }
    fs::create_directories(fs::absolute(o.output, ec).parent_path(), ec);
    const ProcessResult r = run_process({"grub-mkrescue", "-o", o.output, image.tree});
    if (r.exit_code != 0) return Error{"grub-mkrescue failed (exit " + std::to_string(r.exit_code) + "):\n" + r.output};
    image.platforms = grub_platforms();
    image.bytes = fs::file_size(o.output, ec);
    if (ec) return Error{"grub-mkrescue wrote no " + o.output};
    return image;
}

}  // namespace pagewalk::host::iso
