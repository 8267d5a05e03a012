// SPDX-License-Identifier: MIT OR Apache-2.0
// Fuzz target: the walker over hostile page tables. The first 48 bytes choose the registers and the CPU (contexts no
// CPU could be in are rejected by Context::from_registers, which is fine); the rest is physical memory from address
// 0, read through a Reader callback that fails outside it. translate() and translate_compact() must agree; visit()
// and mappings() must end within their entry budget; the typed walker must follow the same tables without trapping.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <pagewalk/pagewalk.hpp>
#include <type_traits>

namespace {

namespace pw = pagewalk;

constexpr std::size_t kHeader = 48;
constexpr std::uint64_t kBudget = 1u << 14;  // entries a visit may read: self-referencing tables are 512^4 leaves

std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    return v;
}

struct Header {
    pw::ControlRegisters regs;
    pw::CpuFeatures cpu;
    std::uint64_t va = 0;
    std::uint32_t pkru = 0;
    bool load_pdptes = false;
    bool follow_ancestors = false;
};

// Byte 0: PG, WP, PAE, long mode, LA57, NXE, PSE, PGE; byte 1: SMEP, SMAP, PKE, PCIDE, load PDPTEs, follow ancestors,
// raw XOR of bytes 24..47 into CR0/CR4/EFER, AMD; bytes 2-3: CPU features removed; byte 4: MAXPHYADDR; 5-7: PKRU;
// 8: CR3; 16: va.
Header parse_header(const std::uint8_t* d) {
    Header h;
    const unsigned a = d[0], b = d[1], gone = d[2] | d[3] << 8u;
    auto& r = h.regs;
    if (a & 1) r.cr0 |= pw::cr0::pe | pw::cr0::pg;
    if (a & 2) r.cr0 |= pw::cr0::wp;
    if (a & 4) r.cr4 |= pw::cr4::pae;
    if (a & 8) r.efer |= pw::efer::lme | pw::efer::lma;
    if (a & 16) r.cr4 |= pw::cr4::la57;
    if (a & 32) r.efer |= pw::efer::nxe;
    if (a & 64) r.cr4 |= pw::cr4::pse;
    if (a & 128) r.cr4 |= pw::cr4::pge;
    if (b & 1) r.cr4 |= pw::cr4::smep;
    if (b & 2) r.cr4 |= pw::cr4::smap;
    if (b & 4) r.cr4 |= pw::cr4::pke;
    if (b & 8) r.cr4 |= pw::cr4::pcide;
    h.load_pdptes = (b & 16) != 0;
    h.follow_ancestors = (b & 32) != 0;
    if (b & 64) {
        r.cr0 ^= load64(d + 24);
        r.cr4 ^= load64(d + 32);
        r.efer ^= load64(d + 40);
    }
    r.cr3 = load64(d + 8);
    h.va = load64(d + 16);
    h.pkru = d[5] | d[6] << 8u | static_cast<std::uint32_t>(d[7]) << 24u;
    auto& c = h.cpu;
    bool* features[] = {&c.pse,  &c.pae, &c.pge,  &c.pat, &c.pse36,   &c.pcid,     &c.smep,
                        &c.smap, &c.pku, &c.la57, &c.nx,  &c.page1gb, &c.long_mode};
    for (unsigned i = 0; i < std::size(features); ++i)
        if ((gone >> i) & 1) *features[i] = false;
    c.maxphyaddr = static_cast<std::uint8_t>(32 + d[4] % 21);
    c.vendor = (b & 128) != 0 ? pw::Vendor::amd : pw::Vendor::intel;
    return h;
}

template <class M>
void translate_both(const pw::Context& ctx, M& mem, std::uint64_t va, std::uint32_t pkru) {
    for (const pw::Access& access :
         {pw::Access::read().with_pkru(pkru), pw::Access::write().user().with_pkru(pkru), pw::Access::fetch(),
          pw::Access::read().with_ac(), pw::Access::read().user().implicit()}) {
        const pw::TranslateResult full = pw::translate(ctx, mem, va, access);
        const pw::CompactTranslation compact = pw::translate_compact(ctx, mem, va, access);
        if (full.kind() != compact.kind || full.vector() != compact.vector()) __builtin_trap();
        if (full.chain().size() > 5) __builtin_trap();
        if (const std::optional<pw::Mapping> m = full.mapping()) {
            if (m->pa != compact.pa() || m->page_size != compact.page_size() || m->writable != compact.writable() ||
                m->user != compact.user() || m->executable != compact.executable())
                __builtin_trap();
        } else if (const std::optional<pw::PageFault> f = full.page_fault()) {
            if (f->error_code != compact.error_code || f->level != compact.level) __builtin_trap();
        } else if (const std::optional<pw::MemoryError> e = full.memory_error()) {
            if (e->pa != compact.value || e->level != compact.level) __builtin_trap();
        }
    }
}

struct Census {
    pw::LeafVisit leaves[8] = {};
    unsigned leaf_count = 0;
    std::uint64_t holes = 0, tables = 0;
    pw::VisitAction table(const pw::TableVisit& t) {
        if (t.va_first > t.va_last && t.level < 5) __builtin_trap();
        ++tables;
        return {};
    }
    pw::VisitAction leaf(const pw::LeafVisit& l) {
        if (l.page_size == 0 || (l.page_size & (l.page_size - 1)) != 0) __builtin_trap();
        if (leaf_count < std::size(leaves)) leaves[leaf_count++] = l;
        return {};
    }
    pw::VisitAction hole(const pw::HoleVisit& h) {
        holes += pw::to_string(h.kind)[0] != 0;
        return {};
    }
};

// The typed walker along va's path (and the first and last entry of each table on it).
template <class Mode, unsigned Level, class M>
void walk_typed(const pw::TableWalker<Mode, Level, M>& t, std::uint64_t va, std::uint64_t& sink) {
    using W = pw::TableWalker<Mode, Level, M>;
    const auto on_path = static_cast<unsigned>((va >> W::shape.shift) % W::entries);
    for (const unsigned i : {on_path, 0u, W::entries - 1}) {
        const auto next = t.next(i);
        using Next = std::remove_const_t<decltype(next)>;
        sink += next.raw() ^ next.va() ^ static_cast<unsigned>(next.kind()) ^ next.entry().raw();
        if constexpr (Level > 1) {
            if (next.is_table() && i == on_path) walk_typed(next.table(), va, sink);
            if constexpr (!std::is_void_v<typename Next::Leaf>) {
                if (next.is_huge_page()) sink += next.huge_page().address();
            }
        } else {
            if (next.is_page()) sink += next.page().address();
        }
    }
}

template <class M>
std::uint64_t walk_typed_any(const pw::Context& ctx, M& mem, std::uint64_t va) {
    std::uint64_t sink = 0;
    switch (ctx.mode()) {
        case pw::PagingMode::legacy32:
            walk_typed(pw::root<pw::Legacy32>(ctx, mem), va, sink);
            break;
        case pw::PagingMode::pae:
            walk_typed(pw::root<pw::Pae>(ctx, mem), va, sink);
            break;
        case pw::PagingMode::long4:
            walk_typed(pw::root<pw::Long4>(ctx, mem), va, sink);
            break;
        case pw::PagingMode::long5:
            walk_typed(pw::root<pw::Long5>(ctx, mem), va, sink);
            break;
        default:
            break;
    }
    return sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < kHeader) return 0;
    const Header h = parse_header(data);
    const std::uint8_t* phys = data + kHeader;
    const std::size_t phys_size = size - kHeader;
    pw::Reader mem{[phys, phys_size](std::uint64_t pa, void* out, std::size_t n) {
        if (pa > phys_size || phys_size - pa < n) return false;
        std::memcpy(out, phys + pa, n);
        return true;
    }};

    pw::Context ctx = pw::Context::from_registers(h.regs, h.cpu);
    if (!ctx) {
        if (pw::to_string(ctx.error())[0] == 0) __builtin_trap();
        return 0;
    }
    if (h.load_pdptes && ctx.mode() == pw::PagingMode::pae) (void)ctx.load_pdptes(mem);

    const pw::VisitOptions options{.follow_ancestors = h.follow_ancestors, .max_entries = kBudget};
    Census census;
    const pw::VisitResult v = pw::visit(ctx, mem, pw::VisitRange::all(), census, options);
    if (v.entries_read > kBudget + 1) __builtin_trap();

    std::uint64_t runs = 0, last_end = 0;
    const pw::VisitResult listed = pw::mappings(
        ctx, mem,
        pw::VisitRange{h.va,
                       h.va + (std::uint64_t{1} << 40) < h.va ? ~std::uint64_t{0} : h.va + (std::uint64_t{1} << 40)},
        [&](const pw::MappingRun& run) {
            if (run.va_last < run.va_first || (runs > 0 && run.va_first <= last_end)) __builtin_trap();
            last_end = run.va_last;
            ++runs;
        },
        options);
    if (listed.entries_read > kBudget + 1) __builtin_trap();

    const std::uint64_t addresses[] = {h.va, h.va ^ (std::uint64_t{1} << 47), ~h.va, 0, h.va & 0xffff'ffff};
    for (const std::uint64_t va : addresses) translate_both(ctx, mem, va, h.pkru);
    for (unsigned i = 0; i < census.leaf_count; ++i) {
        const pw::LeafVisit& leaf = census.leaves[i];
        const std::uint64_t offset = h.va & (leaf.page_size - 1);
        translate_both(ctx, mem, leaf.va + offset, h.pkru);
        // What visit() calls a leaf, a walk reaches too: a CPL-0 read with EFLAGS.AC = 1 (and PKRU 0) may read any
        // present page, so translate() must map it to the same page with the same rights.
        const pw::TranslateResult r = pw::translate(ctx, mem, leaf.va + offset, pw::Access::read().with_ac());
        const std::optional<pw::Mapping> m = r.mapping();
        if (!m.has_value() || m->pa != leaf.pa + offset || m->page_size != leaf.page_size || m->level != leaf.level ||
            m->writable != leaf.rights.writable || m->user != leaf.rights.user ||
            m->executable != leaf.rights.executable || m->pkey != leaf.pkey || m->global != leaf.global)
            __builtin_trap();
    }

    volatile std::uint64_t keep = walk_typed_any(ctx, mem, h.va);
    (void)keep;
    return 0;
}
