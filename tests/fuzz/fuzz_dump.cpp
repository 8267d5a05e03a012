// SPDX-License-Identifier: MIT OR Apache-2.0
// Fuzz target: a memory dump given to `pagewalk inspect` — the ELF core reader (in memory, and through Dump::open on a
// memfd, the way a file is read), the context resolved from its CPU notes or from registers taken from the input's
// last bytes, a few translations and a listing in the format the input picks, with a small budget of entries.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <pagewalk/access.hpp>
#include <string>

#include "inspect/dump.hpp"
#include "inspect/dump_memory.hpp"
#include "inspect/listing.hpp"
#include "inspect/output.hpp"
#include "inspect/registers.hpp"
#include "inspect/translator.hpp"

namespace {

namespace in = pagewalk::host::inspect;

std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    return v;
}

// The dump as a file: one memfd, rewritten for each input.
std::optional<std::string> as_file(const std::uint8_t* data, std::size_t size) {
    static const int fd = ::memfd_create("pagewalk-fuzz-dump", MFD_CLOEXEC);
    if (fd < 0 || ::ftruncate(fd, 0) != 0) return std::nullopt;
    for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
        if (n <= 0) return std::nullopt;
        done += static_cast<std::size_t>(n);
    }
    return "/proc/self/fd/" + std::to_string(fd);
}

void use_context(const in::Dump& dump, const in::ResolvedContext& rc, std::uint8_t select, std::uint64_t va) {
    const bool json = (select & 0x20) != 0;
    std::string text;
    for (const pagewalk::Access& access :
         {pagewalk::Access::read(), pagewalk::Access::write().user(), pagewalk::Access::fetch()}) {
        in::Translator t(rc.ctx, dump, access, json);
        for (const std::uint64_t a : {std::uint64_t{0}, va, rc.regs.cr3, std::uint64_t{0xffff'8000'0000'1000},
                                      std::uint64_t{0x7fff'ffff'f000}, std::uint64_t{0x8000'0000'0000'0000}})
            t.translate(a, text);
        t.invalid("zz", text);
    }
    in::ListOptions lo;
    lo.format = static_cast<in::ListFormat>((select >> 3) & 3);
    lo.max_entries = 1u << 12;  // hostile tables may reference themselves many times over
    in::Output out;
    const in::DumpMemory memory(dump);
    (void)in::write_listing(rc.ctx, memory, lo, out);
    if (out.text().size() > (std::size_t{64} << 20)) __builtin_trap();  // bounded by the budget
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (in::looks_like_elf(data, size)) (void)in::parse_elf_core(data, size);  // exact bounds for ASan

    const auto path = as_file(data, size);
    if (!path) return 0;
    // Registers from the last bytes (part of memory too: a raw image has nowhere else to put them).
    std::uint8_t select = 0;
    std::uint64_t cr3 = 0, va = 0;
    if (size >= 17) {
        select = data[size - 1];
        cr3 = load64(data + size - 9);
        va = load64(data + size - 17);
    }
    for (const in::DumpFormatChoice choice : {in::DumpFormatChoice::automatic, in::DumpFormatChoice::raw}) {
        auto dump = in::Dump::open(*path, choice);
        if (!dump) {
            if (dump.error().empty()) __builtin_trap();
            continue;
        }
        if (dump->memory_bytes() > dump->file_size() && dump->format() == in::DumpFormat::raw) __builtin_trap();
        std::uint64_t probe = 0;
        (void)dump->read(va, &probe, sizeof probe);

        // From the dump alone (an ELF core's CPU notes), then with the input's registers.
        if (auto rc = in::resolve_context(*dump, {})) use_context(*dump, *rc, select, va);
        in::RegisterOptions o;
        static constexpr const char* kModes[] = {"32bit", "pae", "4level", "5level"};
        if ((select & 7) < 4) o.mode = in::parse_mode(kModes[select & 7]);
        // Mostly a table inside the dump; sometimes the raw value.
        o.cr3 = (select & 0x80) != 0 ? cr3 : (cr3 % size) & ~std::uint64_t{0x1f};
        o.raw_pdptes = (select & 0x40) != 0;
        o.cpu = (select >> 3) & 1;
        if (auto rc = in::resolve_context(*dump, o)) use_context(*dump, *rc, select, va);
    }
    return 0;
}
