// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/translator.hpp"

#include <pagewalk/translate.hpp>

#include "inspect/hex.hpp"
#include "util/escape.hpp"

namespace pagewalk::host::inspect {
namespace {

void json_string(std::string& out, std::string_view s) {
    out += '"';
    append_json_string_body(out, s);
    out += '"';
}

void json_hex(std::string& out, const char* key, std::uint64_t v) {
    out += '"';
    out += key;
    out += "\":\"";
    append_hex(out, v);
    out += '"';
}

std::string cause_text(const PageFault& f) {
    const char* entry = entry_name(f.level);
    if ((f.causes & fault_cause::not_present) != 0) return std::string(entry) + " not present";
    if ((f.causes & fault_cause::reserved_bit) != 0)
        return "reserved bits " + hex(f.reserved_bits) + " set in " + entry;
    std::string s;
    auto add = [&](const char* what) {
        if (!s.empty()) s += ", ";
        s += what;
    };
    if ((f.causes & fault_cause::user_supervisor) != 0) add("user access to a supervisor page");
    if ((f.causes & fault_cause::write_protect) != 0) add("write to a read-only page");
    if ((f.causes & fault_cause::execute_disable) != 0) add("fetch from a no-execute page");
    if ((f.causes & fault_cause::smep) != 0) add("SMEP: supervisor fetch from a user page");
    if ((f.causes & fault_cause::smap) != 0) add("SMAP: supervisor access to a user page");
    if ((f.causes & fault_cause::pkey) != 0) add("protection key");
    return s;
}

}  // namespace

std::string error_code_bits(std::uint32_t code) {
    static constexpr struct {
        std::uint32_t bit;
        const char* name;
    } kBits[] = {{pf::p, "P"}, {pf::w, "W"}, {pf::u, "U"}, {pf::rsvd, "RSVD"}, {pf::id, "I/D"}, {pf::pk, "PK"}};
    std::string s;
    for (const auto& b : kBits) {
        if ((code & b.bit) == 0) continue;
        if (!s.empty()) s += ' ';
        s += b.name;
    }
    return s.empty() ? "none" : s;
}

void Translator::translate(std::uint64_t va, std::string& out) {
    const CompactTranslation c = translate_compact(*ctx_, memory_, va, access_);
    using K = TranslateResult::Kind;
    if (json_) {
        out += "{";
        json_hex(out, "va", va);
        switch (c.kind) {
            case K::mapping: {
                std::uint8_t pkey = 0;
                if (ctx_->pke()) {
                    const TranslateResult full = pagewalk::translate(*ctx_, memory_, va, access_);
                    if (const std::optional<Mapping> m = full.mapping()) pkey = m->pkey;
                }
                out += ',';
                json_hex(out, "pa", c.pa());
                out += ',';
                json_hex(out, "page_size", c.page_size());
                out += c.writable() ? ",\"writable\":true" : ",\"writable\":false";
                out += c.user() ? ",\"user\":true" : ",\"user\":false";
                out += c.executable() ? ",\"executable\":true," : ",\"executable\":false,";
                json_hex(out, "pkey", pkey);
                break;
            }
            case K::page_fault:
            case K::general_protection:
                out += ",\"fault\":{";
                json_hex(out, "vector", static_cast<std::uint64_t>(c.vector()));
                out += ',';
                json_hex(out, "error_code", c.kind == K::page_fault ? c.error_code : 0);
                out += ',';
                json_hex(out, "level", c.level);
                out += '}';
                break;
            case K::memory_error:
                out += ",\"error\":";
                json_string(out, std::string(entry_name(c.level)) + " at " + hex(c.value) + " is not in the dump");
                out += ',';
                json_hex(out, "entry_pa", c.value);
                out += ',';
                json_hex(out, "level", c.level);
                break;
        }
        out += "}\n";
        return;
    }
    append_hex(out, va);
    out += " -> ";
    switch (c.kind) {
        case K::mapping: {
            append_hex(out, c.pa());
            out += ' ';
            append_size(out, c.page_size());
            out += ' ';
            out += c.user() ? 'u' : 's';
            out += 'r';
            out += c.writable() ? 'w' : '-';
            out += c.executable() ? 'x' : '-';
            if (ctx_->pke()) {
                const TranslateResult full = pagewalk::translate(*ctx_, memory_, va, access_);
                if (const std::optional<Mapping> m = full.mapping()) out += " pkey " + std::to_string(m->pkey);
            }
            break;
        }
        case K::page_fault:
            if ((c.error_code & pf::p) == 0) {
                out += "#PF error_code ";
                append_hex(out, c.error_code);
                out += " level " + std::to_string(c.level) + ": " + entry_name(c.level) + " not present";
            } else {
                fault_text(va, out);
            }
            break;
        case K::general_protection:
            if (c.level == 0) {
                out += "#GP(0) non-canonical address";
            } else {
                fault_text(va, out);
            }
            break;
        case K::memory_error:
            out += "unreadable: ";
            out += entry_name(c.level);
            out += " at ";
            append_hex(out, c.value);
            out += " is not in the dump";
            break;
    }
    out += '\n';
}

void Translator::fault_text(std::uint64_t va, std::string& out) {
    const TranslateResult r = pagewalk::translate(*ctx_, memory_, va, access_);
    if (const std::optional<PageFault> f = r.page_fault()) {
        out += "#PF error_code ";
        append_hex(out, f->error_code);
        out += " (" + error_code_bits(f->error_code) + ") level " + std::to_string(f->level) + ": " + cause_text(*f);
    } else if (const std::optional<GeneralProtection> g = r.general_protection()) {
        out += "#GP(0) at the PDPTE load: reserved bits " + hex(g->reserved_bits) + " in PDPTE " +
               std::to_string(g->pdpte_index);
    } else {
        out += "(the full walk disagrees with the compact one)";
    }
}

void Translator::invalid(std::string_view token, std::string& out) const {
    if (json_) {
        out += "{\"input\":";
        json_string(out, token);
        out += ",\"error\":\"not a hexadecimal address\"}\n";
        return;
    }
    out += printable(token) + " -> invalid: not a hexadecimal address\n";
}

}  // namespace pagewalk::host::inspect
