// SPDX-License-Identifier: MIT OR Apache-2.0
// Freestanding link check: the whole library, linked with -nostdlib -static for -m64 and -m32.
//
// Nothing here runs; the point is that the link succeeds with no libc, libgcc or libstdc++. Whatever the
// library code called from exercise() needs (a 64-bit division helper such as __udivdi3 in 32-bit code,
// __cxa_* or exception support, a libc function) shows up as an undefined symbol and fails the test.
// runtime.cpp provides the only things a kernel is expected to provide: memcpy, memmove, memset, memcmp.
#include <cstddef>
#include <cstdint>
#include <pagewalk/pagewalk.hpp>

namespace {

// pagewalk::Level is a constexpr strong type in both widths (tests/walker/level_test.cpp has the rest).
static_assert(pagewalk::kPml5e.next_lower() == pagewalk::kPml4e && pagewalk::kPte.next_lower().value() == 0);
static_assert(pagewalk::shape(pagewalk::PagingMode::pae).at(pagewalk::kPdpte).index_bits == 2 &&
              sizeof(pagewalk::Level) == 1);

// Results go here so that the optimiser keeps the calls.
volatile std::uint64_t sink;

// Call into the library here: every function used is compiled and linked for both -m64 and -m32.
bool read_phys(std::uint64_t pa, void* out, std::size_t n) {
    auto* bytes = static_cast<unsigned char*>(out);
    for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(pa + i);
    return pa < 0x10000;
}

void exercise() {
    using namespace pagewalk;
    const std::uint64_t value = sink;
    IdentityMemory identity;
    OffsetMemory offset{std::uintptr_t{0x1000}, 0x10000};
    Reader reader{read_phys};
    AnyMemory any{reader};
    RecursiveMemory recursive{PagingMode::long4, 510};
    const PagingMode modes[] = {PagingMode::legacy32, PagingMode::pae, PagingMode::long4, PagingMode::long5};
    for (PagingMode mode : modes) {
        Context ctx = Context::for_mode(mode, value & 0xfffff000u);
        if (mode == PagingMode::pae) sink = ctx.load_pdptes(offset) ? 1 : 0;
        const Access access = Access::write().user().with_pkru(static_cast<std::uint32_t>(value));
        sink = translate(ctx, identity, value, access).vector();
        sink = translate(ctx, offset, value, Access::fetch()).ok();
        sink = translate(ctx, reader, value, Access::read().implicit()).kind() == TranslateResult::Kind::memory_error;
        sink = translate(ctx, any, value, Access::read()).ok();
        sink = translate_compact(ctx, offset, value, Access::write()).pa();
        const TranslateResult r = translate(ctx, recursive, value, Access::read());
        if (auto m = r.mapping()) sink = m->pa;
    }
    auto pml4 = root<Long4>(offset, value);
    auto next = pml4.next(static_cast<unsigned>(value));
    if (next.is_table()) {
        auto pdpt = next.table();
        pdpt.entry_mut(3)->set_accessed(false);
        sink = pdpt.next(4).kind() == NextKind::huge_page;
    }
    auto pd32 = root<Legacy32>(offset, value);
    if (auto n = pd32.next(1); n.is_huge_page()) sink = n.huge_page().address();
    sink = recursive.table_address(1, value);
    for (PagingMode mode : modes) {
        BumpAllocator<64> frames{value & 0xfffff000u, 0x10'0000};
        const Context bare = Context::for_mode(mode, 0);
        const std::uint64_t top = Mapper<OffsetMemory, BumpAllocator<64>>::create_root(bare, offset, frames);
        const Context ctx = Context::for_mode(mode, top);
        Mapper mapper{ctx, offset, frames};
        sink = mapper.map(value, value, 0x40'0000, MapRights::rw(), {.global = true}).flush.count;
        sink = mapper.protect(value, 0x1000, MapRights::read_only()).error == MapError::none;
        sink = mapper.unmap(value, 0x2000).flush.all;
        sink = mapper.locate(value, 1).ok;
        struct Leaves {
            std::uint64_t n = 0;
            VisitAction leaf(LeafVisit& l) {
                ++n;
                l.entry |= 0x20;
                return VisitAction::proceed;
            }
        } leaves;
        sink = visit_mut(ctx, offset, VisitRange::all(), leaves).entries_written + leaves.n;
        sink = mappings(ctx, offset, VisitRange{value, value + 0x10000}, [](const MappingRun& r) {
                   sink = r.pa_first;
               }).entries_read;
    }
    sink = CpuFeatures::from_cpuid([](unsigned leaf, unsigned) { return CpuidResult{leaf, 0, 0, 0}; }).maxphyaddr;
}

}  // namespace

extern "C" [[noreturn]] void _start() {
    exercise();
    for (;;) {
        __asm__ volatile("hlt");
    }
}
