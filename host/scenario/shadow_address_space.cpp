// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/shadow_address_space.hpp"

#include <algorithm>

namespace pagewalk::host::scenario {

void ShadowAddressSpace::map_data(std::uint64_t va, std::uint64_t size, std::uint64_t offset) {
    for (std::uint64_t o = 0; o < size && o < kPageByPageLimit; o += 4096) {
        data_pages_[va + o] = offset + o;
        targets_[va + o] = {offset + o, true};
    }
}

void ShadowAddressSpace::map_absolute(std::uint64_t va, std::uint64_t size, std::uint64_t pa) {
    forget_data(va, size);
    for (std::uint64_t o = 0; o < size && o < kPageByPageLimit; o += 4096) targets_[va + o] = {pa + o, false};
}

void ShadowAddressSpace::set_global(std::uint64_t va, std::uint64_t size, bool global) {
    for (std::uint64_t o = 0; o < size && o < kPageByPageLimit; o += 4096) {
        if (global)
            globals_.insert(va + o);
        else
            globals_.erase(va + o);
    }
}

void ShadowAddressSpace::unmap(std::uint64_t va, std::uint64_t size) {
    forget_data(va, size);
    for (auto it = targets_.lower_bound(va); it != targets_.end() && it->first < va + size;) it = targets_.erase(it);
    for (auto it = globals_.lower_bound(va); it != globals_.end() && *it < va + size;) it = globals_.erase(it);
}

void ShadowAddressSpace::forget_data(std::uint64_t va, std::uint64_t size) {
    for (auto it = data_pages_.lower_bound(va); it != data_pages_.end() && it->first < va + size;)
        it = data_pages_.erase(it);
}

bool ShadowAddressSpace::any_global(std::uint64_t va, std::uint64_t size) const {
    const auto it = globals_.lower_bound(va & ~std::uint64_t{0xfff});
    return it != globals_.end() && *it < va + size;
}

std::vector<std::uint64_t> ShadowAddressSpace::globals_in(std::uint64_t va, std::uint64_t size) const {
    std::vector<std::uint64_t> pages;
    for (auto it = globals_.lower_bound(va & ~std::uint64_t{0xfff}); it != globals_.end() && *it < va + size; ++it)
        pages.push_back(*it);
    return pages;
}

std::uint64_t ShadowAddressSpace::page_size_of(std::uint64_t va, std::uint64_t size) const {
    std::uint64_t page = 0;
    for (const MappedRange& m : ranges_) {
        if (m.hi <= va || m.lo >= va + size) continue;
        page = page == 0 ? m.page_size : std::min(page, m.page_size);
    }
    return page == 0 ? 4096 : page;
}

std::optional<PageTarget> ShadowAddressSpace::target(std::uint64_t page) const {
    const auto it = targets_.find(page);
    if (it == targets_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::uint64_t> ShadowAddressSpace::data_offset(std::uint64_t page) const {
    const auto it = data_pages_.find(page);
    if (it == data_pages_.end()) return std::nullopt;
    return it->second;
}

}  // namespace pagewalk::host::scenario
