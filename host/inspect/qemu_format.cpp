// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/qemu_format.hpp"

#include "inspect/hex.hpp"

namespace pagewalk::host::inspect::qemu {

std::uint64_t canonical(const Context& ctx, std::uint64_t a) {
    // The width by CR4.LA57 alone, whatever the mode; and only a set top bit is extended: an address past the top of
    // the 48/57-bit space (the end of a run that reaches it) stays as it is.
    const unsigned width =
        shape((ctx.registers().cr4 & cr4::la57) != 0 ? PagingMode::long5 : PagingMode::long4).va_bits;
    return ((a >> (width - 1)) & 1) != 0 ? bits::sign_extend(a, width) : a;
}

std::uint64_t tlb_address(const Context& ctx, unsigned level, std::uint64_t entry) {
    switch (ctx.mode()) {
        case PagingMode::legacy32:  // the entry is 32 bits; a 4 MiB page keeps bits 31:21
            return level == 1 ? entry & 0xffff'f000u : entry & 0xffe0'0000u;
        case PagingMode::pae:  // every bit above the page offset QEMU clears, XD included
            return level == 1 ? entry & ~std::uint64_t{0xfff} : entry & ~std::uint64_t{0xf'ffff};
        case PagingMode::long4:
        case PagingMode::long5:
            return level == 1   ? entry & 0x3'ffff'ffff'f000ull
                   : level == 2 ? entry & 0x3'ffff'ffe0'0000ull
                                : entry & 0x3'ffff'c000'0000ull;
        case PagingMode::disabled:
            break;
    }
    return 0;
}

void append_tlb_line(std::string& out, const Context& ctx, const LeafVisit& l) {
    // QEMU passes a 4 KiB PTE with PS (its PAT bit) cleared, so 'P' marks huge pages only.
    const std::uint64_t e = l.level == 1 ? l.entry & ~std::uint64_t{0x80} : l.entry;
    append_hex_fixed(out, canonical(ctx, l.va), 16);
    out += ": ";
    append_hex_fixed(out, tlb_address(ctx, l.level, e), 16);
    const char flags[] = {' ',
                          (e >> 63) != 0 ? 'X' : '-',
                          (e & 0x100) != 0 ? 'G' : '-',
                          (e & 0x80) != 0 ? 'P' : '-',
                          (e & 0x40) != 0 ? 'D' : '-',
                          (e & 0x20) != 0 ? 'A' : '-',
                          (e & 0x10) != 0 ? 'C' : '-',
                          (e & 0x08) != 0 ? 'T' : '-',
                          (e & 0x04) != 0 ? 'U' : '-',
                          (e & 0x02) != 0 ? 'W' : '-',
                          '\n'};
    out.append(flags, sizeof flags);
}

MemRuns::MemRuns(const Context& ctx, Output& out)
    : ctx_(&ctx),
      out_(&out),
      mask_(ctx.is_long_mode() ? bits::mask(ctx.shape().va_bits - 1, 0) : std::uint64_t{0xffff'ffff}) {}

VisitAction MemRuns::leaf(const LeafVisit& l) {
    // QEMU's prot: P | U/S | R/W, each ANDed over the levels (NX plays no part).
    const unsigned prot = 1u | (l.rights.writable ? 2u : 0u) | (l.rights.user ? 4u : 0u);
    const std::uint64_t first = l.va & mask_;
    if (open_ && first == end_ && prot == prot_) {
        end_ += l.page_size;
        return VisitAction::proceed;
    }
    flush();
    open_ = true;
    start_ = first;
    end_ = first + l.page_size;
    prot_ = prot;
    return VisitAction::proceed;
}

void MemRuns::finish() {
    flush();
}

void MemRuns::flush() {
    if (!open_) return;
    open_ = false;
    std::string& s = out_->text();
    append_hex_fixed(s, canonical(*ctx_, start_), 16);
    s += '-';
    append_hex_fixed(s, canonical(*ctx_, end_), 16);
    s += ' ';
    append_hex_fixed(s, canonical(*ctx_, end_ - start_), 16);
    s += ' ';
    s += (prot_ & 4u) != 0 ? 'u' : '-';
    s += 'r';
    s += (prot_ & 2u) != 0 ? 'w' : '-';
    s += '\n';
    ++lines_;
    out_->line_done();
}

}  // namespace pagewalk::host::inspect::qemu
