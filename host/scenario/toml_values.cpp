// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/toml_values.hpp"

#include <algorithm>
#include <cctype>

namespace pagewalk::host::scenario {

std::optional<std::uint64_t> parse_number(const std::string& text) {
    std::string t;
    for (char c : text)
        if (c != '_') t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t.empty()) return std::nullopt;
    unsigned base = 10;
    std::size_t i = 0;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'b' || t[1] == 'o')) {
        base = t[1] == 'x' ? 16 : t[1] == 'b' ? 2 : 8;
        i = 2;
    }
    std::uint64_t v = 0;
    for (; i < t.size(); ++i) {
        const char c = t[i];
        unsigned d = 0;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else
            return std::nullopt;
        if (d >= base) return std::nullopt;
        if (v > (~std::uint64_t{0} - d) / base) return std::nullopt;  // overflow
        v = v * base + d;
    }
    return v;
}

SourcePos TomlReader::pos(const toml::source_region& r) const {
    return {file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

SourcePos TomlReader::pos(const toml::node& n) const {
    return pos(n.source());
}

void TomlReader::error(const SourcePos& p, const std::string& key, std::string message) {
    errors_.emplace_back(p, key, std::move(message));
}

void TomlReader::error(const toml::node& n, const std::string& key, std::string message) {
    error(pos(n), key, std::move(message));
}

void TomlReader::check_keys(const toml::table& table, const std::string& path,
                            const std::vector<std::string>& allowed) {
    for (auto&& [k, v] : table) {
        const std::string name(k.str());
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        error(pos(k.source()), path.empty() ? name : path + "." + name, "unknown key (expected one of: " + list + ")");
    }
}

std::optional<std::string> TomlReader::string(const toml::node& n, const std::string& key) {
    if (const auto* s = n.as_string()) return s->get();
    error(n, key, "expected a string");
    return std::nullopt;
}

std::optional<bool> TomlReader::boolean(const toml::node& n, const std::string& key) {
    if (const auto* b = n.as_boolean()) return b->get();
    error(n, key, "expected true or false");
    return std::nullopt;
}

std::optional<std::uint64_t> TomlReader::u64(const toml::node& n, const std::string& key) {
    if (const auto* i = n.as_integer()) {
        if (i->get() < 0) {
            error(n, key,
                  "expected a non-negative number (write addresses with bit 63 set as strings, e.g. "
                  "\"0xffff_8000_0000_0000\")");
            return std::nullopt;
        }
        return static_cast<std::uint64_t>(i->get());
    }
    if (const auto* s = n.as_string()) {
        if (auto v = parse_number(s->get())) return v;
        error(n, key, "'" + s->get() + "' is not a number");
        return std::nullopt;
    }
    error(n, key, "expected a number");
    return std::nullopt;
}

std::optional<std::uint64_t> TomlReader::ranged(const toml::node& n, const std::string& key, std::uint64_t lo,
                                                std::uint64_t hi) {
    auto v = u64(n, key);
    if (v && (*v < lo || *v > hi)) {
        error(n, key, std::to_string(*v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
        return std::nullopt;
    }
    return v;
}

std::optional<std::uint64_t> TomlReader::size(const toml::node& n, const std::string& key) {
    if (const auto* s = n.as_string()) {
        std::string t = s->get();
        std::uint64_t unit = 1;
        if (!t.empty()) {
            const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
            if (last == 'K' || last == 'M' || last == 'G') {
                unit = last == 'K' ? 1ull << 10 : last == 'M' ? 1ull << 20 : 1ull << 30;
                t.pop_back();
            }
        }
        const auto v = parse_number(t);
        if (!v || *v == 0 || *v > (~std::uint64_t{0}) / unit) {
            error(n, key, "'" + s->get() + "' is not a size (e.g. 4096, \"4K\", \"2M\", \"1G\")");
            return std::nullopt;
        }
        return *v * unit;
    }
    auto v = u64(n, key);
    if (v && *v == 0) {
        error(n, key, "size must not be 0");
        return std::nullopt;
    }
    return v;
}

std::optional<std::vector<std::string>> TomlReader::string_list(const toml::node& n, const std::string& key) {
    if (const auto* s = n.as_string()) return std::vector<std::string>{s->get()};
    const auto* a = n.as_array();
    if (a == nullptr) {
        error(n, key, "expected a string or an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto* s = (*a)[i].as_string();
        if (s == nullptr) {
            error((*a)[i], key + "[" + std::to_string(i) + "]", "expected a string");
            return std::nullopt;
        }
        out.push_back(s->get());
    }
    return out;
}

namespace {

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

/// Entry bit names (SDM Vol. 3A §4.5, Tables 4-15 … 4-20). PAT is 7 in a PTE and 12 in a huge leaf: by number.
std::optional<unsigned> entry_bit_number(const std::string& name) {
    static const std::pair<const char*, unsigned> names[] = {{"P", 0}, {"RW", 1}, {"US", 2}, {"PWT", 3}, {"PCD", 4},
                                                             {"A", 5}, {"D", 6},  {"PS", 7}, {"G", 8},   {"XD", 63}};
    for (const auto& [n, b] : names)
        if (upper(name) == n) return b;
    return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> TomlReader::entry_bits(const toml::node& n, const std::string& key, bool* maxphyaddr) {
    auto one = [&](const toml::node& item, const std::string& k) -> std::optional<std::uint64_t> {
        if (const auto* i = item.as_integer()) {
            if (i->get() < 0 || i->get() > 63) {
                error(item, k, "bit number " + std::to_string(i->get()) + " is outside 0..63");
                return std::nullopt;
            }
            return std::uint64_t{1} << i->get();
        }
        if (const auto* s = item.as_string()) {
            if (upper(s->get()) == "MAXPHYADDR") {
                *maxphyaddr = true;
                return 0;
            }
            if (auto b = entry_bit_number(s->get())) return std::uint64_t{1} << *b;
            error(item, k,
                  "unknown entry bit '" + s->get() + "' (names: P RW US PWT PCD A D PS G XD MAXPHYADDR, or a number)");
            return std::nullopt;
        }
        error(item, k, "expected a bit name or number");
        return std::nullopt;
    };
    if (const auto* a = n.as_array()) {
        std::uint64_t mask = 0;
        for (std::size_t i = 0; i < a->size(); ++i) {
            auto b = one((*a)[i], key + "[" + std::to_string(i) + "]");
            if (!b) return std::nullopt;
            mask |= *b;
        }
        return mask;
    }
    if (n.is_integer()) return u64(n, key);  // a mask
    return one(n, key);
}

std::optional<std::uint32_t> TomlReader::error_code(const toml::node& n, const std::string& key) {
    // #PF error code bits, SDM Vol. 3A §4.7 (Figure 4-12).
    static const std::pair<const char*, unsigned> names[] = {{"P", 0},    {"W", 1},  {"RW", 1},  {"U", 2},  {"US", 2},
                                                             {"RSVD", 3}, {"ID", 4}, {"I/D", 4}, {"PK", 5}, {"SS", 6}};
    auto bit = [&](const std::string& s) -> std::optional<unsigned> {
        for (const auto& [name, b] : names)
            if (upper(s) == name) return b;
        return std::nullopt;
    };
    std::vector<std::string> parts;
    if (n.is_integer()) {
        auto v = ranged(n, key, 0, 0xffff'ffff);
        if (!v) return std::nullopt;
        return static_cast<std::uint32_t>(*v);
    }
    if (const auto* s = n.as_string()) {
        if (auto v = parse_number(s->get())) return static_cast<std::uint32_t>(*v);
        std::string cur;
        for (char c : s->get() + "|") {
            if (c == '|' || c == ' ' || c == ',') {
                if (!cur.empty()) parts.push_back(cur);
                cur.clear();
            } else {
                cur += c;
            }
        }
    } else if (auto l = string_list(n, key)) {
        parts = *l;
    } else {
        return std::nullopt;
    }
    std::uint32_t code = 0;
    for (const auto& p : parts) {
        if (p == "0" || p == "-") continue;
        const auto b = bit(p);
        if (!b) {
            error(n, key, "unknown error-code bit '" + p + "' (names: P W U RSVD ID PK SS, or a number)");
            return std::nullopt;
        }
        code |= 1u << *b;
    }
    return code;
}

std::optional<std::uint8_t> TomlReader::vector(const toml::node& n, const std::string& key) {
    if (n.is_integer()) {
        auto v = ranged(n, key, 0, 31);
        if (!v) return std::nullopt;
        return static_cast<std::uint8_t>(*v);
    }
    auto s = string(n, key);
    if (!s) return std::nullopt;
    std::string t = upper(*s);
    if (!t.empty() && t[0] == '#') t.erase(0, 1);
    static const std::pair<const char*, std::uint8_t> names[] = {{"DE", 0},  {"DB", 1},  {"BP", 3},  {"UD", 6},
                                                                 {"DF", 8},  {"TS", 10}, {"NP", 11}, {"SS", 12},
                                                                 {"GP", 13}, {"PF", 14}, {"AC", 17}, {"MC", 18}};
    for (const auto& [name, v] : names)
        if (t == name) return v;
    error(n, key, "unknown exception '" + *s + "' (e.g. \"PF\", \"GP\", \"UD\", or a vector number)");
    return std::nullopt;
}

std::optional<std::uint8_t> TomlReader::rights(const toml::node& n, const std::string& key) {
    auto s = string(n, key);
    if (!s) return std::nullopt;
    std::uint8_t r = 0;
    bool read = false;
    for (char c : *s) {
        switch (std::tolower(static_cast<unsigned char>(c))) {
            case 'r':
                read = true;
                break;
            case 'w':
                r |= harness::step_rights::writable;
                break;
            case 'x':
                r |= harness::step_rights::executable;
                break;
            case 'u':
                r |= harness::step_rights::user;
                break;
            default:
                error(n, key, "rights '" + *s + "': letters are r (read, always), w, x, u — e.g. \"rw\", \"rwxu\"");
                return std::nullopt;
        }
    }
    if (!read) {
        error(n, key, "rights '" + *s + "' must include r (a present page is always readable)");
        return std::nullopt;
    }
    return r;
}

std::optional<std::uint8_t> TomlReader::page_sizes(const toml::node& n, const std::string& key) {
    auto list = string_list(n, key);
    if (!list) return std::nullopt;
    std::uint8_t bits = 0;
    for (const auto& s : *list) {
        const std::string t = upper(s);
        if (t == "4K")
            bits |= 1;
        else if (t == "2M" || t == "4M" || t == "HUGE")
            bits |= 2;
        else if (t == "1G")
            bits |= 4;
        else if (t == "ANY")
            bits |= 7;
        else {
            error(n, key, "unknown page size '" + s + "' (4K, 2M, 4M, huge, 1G, any)");
            return std::nullopt;
        }
    }
    if (bits == 0) {
        error(n, key, "no page size given");
        return std::nullopt;
    }
    return bits;
}

}  // namespace pagewalk::host::scenario
