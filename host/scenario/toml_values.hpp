// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: reading typed values out of toml++ nodes for the scenario parser, with diagnostics.
//
// Every reader takes the node and its key path, and on a bad value records a Diagnostic at the node's source
// position and returns nullopt; the parser goes on, so one run lists every problem in a file.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace pagewalk::host::scenario {

/// The diagnostics sink and file name shared by all readers of one file.
class TomlReader {
public:
    TomlReader(std::string file, std::vector<Diagnostic>& errors) : file_(std::move(file)), errors_(errors) {}

    [[nodiscard]] const std::string& file() const { return file_; }
    [[nodiscard]] SourcePos pos(const toml::node& n) const;
    [[nodiscard]] SourcePos pos(const toml::source_region& r) const;
    void error(const toml::node& n, const std::string& key, std::string message);
    void error(const SourcePos& p, const std::string& key, std::string message);
    [[nodiscard]] std::size_t error_count() const { return errors_.size(); }

    /// Fails on keys of `table` not in `allowed` (a typo must not silently mean "default").
    void check_keys(const toml::table& table, const std::string& path, const std::vector<std::string>& allowed);

    std::optional<std::string> string(const toml::node& n, const std::string& key);
    std::optional<bool> boolean(const toml::node& n, const std::string& key);
    /// A non-negative integer, or a string holding one ("0xffff_8000_0000_0000", "4096"): TOML integers are
    /// signed 64-bit, so addresses with bit 63 set must be strings.
    std::optional<std::uint64_t> u64(const toml::node& n, const std::string& key);
    /// u64 within [lo, hi].
    std::optional<std::uint64_t> ranged(const toml::node& n, const std::string& key, std::uint64_t lo,
                                        std::uint64_t hi);
    /// A byte count: an integer, or "4K", "2M", "1G", "8K", "0x3000".
    std::optional<std::uint64_t> size(const toml::node& n, const std::string& key);
    /// A string, or an array of strings (for lists that may have one element).
    std::optional<std::vector<std::string>> string_list(const toml::node& n, const std::string& key);
    /// Bits of a paging-structure entry: an integer mask, a name ("PS"), a bit number, or an array of those.
    /// "MAXPHYADDR" sets *maxphyaddr instead (the guest knows which bit that is).
    std::optional<std::uint64_t> entry_bits(const toml::node& n, const std::string& key, bool* maxphyaddr);
    /// A #PF error code: an integer, "P|W|U", or ["P", "W"].
    std::optional<std::uint32_t> error_code(const toml::node& n, const std::string& key);
    /// An exception vector: 14, "PF", "#PF", "GP", "UD" …
    std::optional<std::uint8_t> vector(const toml::node& n, const std::string& key);
    /// Rights letters: r (always), w, x, u — e.g. "rw", "rwxu". Returns harness::step_rights bits.
    std::optional<std::uint8_t> rights(const toml::node& n, const std::string& key);
    /// Page sizes: "4K", "2M", "4M", "huge", "1G", "any", or an array of those. Returns PageSizeBits.
    std::optional<std::uint8_t> page_sizes(const toml::node& n, const std::string& key);

private:
    std::string file_;
    std::vector<Diagnostic>& errors_;
};

/// Parses an unsigned number written as text: decimal, 0x…, 0b…, 0o…, with '_' separators.
std::optional<std::uint64_t> parse_number(const std::string& text);

}  // namespace pagewalk::host::scenario
