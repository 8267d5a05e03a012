// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/parser.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <pagewalk/access.hpp>
#include <sstream>

#include "scenario/toml_values.hpp"
#include "util/file.hpp"

namespace pagewalk::host::scenario {
namespace {

using harness::AccessKind;
using harness::StepOp;

/// Step ops as scenario files name them, and the keys each accepts (besides op, name, modes).
struct OpInfo {
    const char* name;
    StepOp op;
    AccessKind kind;
    std::vector<std::string> keys;
};

const std::vector<OpInfo>& ops() {
    static const std::vector<OpInfo> table = {
        {"map",
         StepOp::map,
         AccessKind::read,
         {"va", "size", "frame", "pa", "rights", "page_sizes", "global", "pat", "pkey", "replace", "flush"}},
        {"unmap", StepOp::unmap, AccessKind::read, {"va", "size", "flush"}},
        {"protect", StepOp::protect, AccessKind::read, {"va", "size", "rights", "flush"}},
        {"edit", StepOp::edit_entry, AccessKind::read, {"va", "entry", "set", "clear", "flush"}},
        {"read", StepOp::access, AccessKind::read, {"va", "size", "cpl", "ac", "stale", "expect"}},
        {"write", StepOp::access, AccessKind::write, {"va", "size", "cpl", "ac", "stale", "value", "expect"}},
        {"fetch", StepOp::access, AccessKind::fetch, {"va", "cpl", "ac", "stale", "expect"}},
        {"implicit", StepOp::access, AccessKind::read, {"va", "cpl", "ac", "stale", "expect"}},
        {"invlpg", StepOp::invlpg, AccessKind::read, {"va"}},
        {"reload_cr3", StepOp::reload_cr3, AccessKind::read, {"expect"}},
        {"toggle_pge", StepOp::toggle_pge, AccessKind::read, {}},
        {"read_entry", StepOp::read_entry, AccessKind::read, {"va", "entry", "expect"}},
        {"control",
         StepOp::set_control,
         AccessKind::read,
         {"wp", "pse", "pge", "smep", "smap", "pke", "nxe", "pcide", "pkru"}},
        {"poke", StepOp::poke, AccessKind::read, {"frame", "pa", "offset", "value"}},
        {"recursive", StepOp::recursive, AccessKind::read, {"slot", "flush"}},
        {"load_cr3", StepOp::load_cr3, AccessKind::read, {"pcid", "noflush"}},
        {"invpcid", StepOp::invpcid, AccessKind::read, {"type", "pcid", "address"}},
    };
    return table;
}

const std::pair<const char*, std::uint32_t> kControls[] = {
    {"wp", harness::control::wp},     {"pse", harness::control::pse},    {"pge", harness::control::pge},
    {"smep", harness::control::smep}, {"smap", harness::control::smap},  {"pke", harness::control::pke},
    {"nxe", harness::control::nxe},   {"pcide", harness::control::pcide}};

class Parser {
public:
    Parser(const std::string& file, std::vector<Diagnostic>& errors) : r_(file, errors) {}

    Scenario parse(const toml::table& root) {
        Scenario s;
        s.file = r_.file();
        s.name = std::filesystem::path(r_.file()).stem().string();
        s.controls = harness::control::wp | harness::control::nxe | harness::control::pse;
        r_.check_keys(root, "",
                      {"name", "description", "rule", "tags", "modes", "features", "qemu_cpu", "control", "data_frames",
                       "table_frames", "memory_mib", "step"});
        if (const auto* n = root.get("name")) set(s.name, r_.string(*n, "name"));
        if (const auto* n = root.get("description")) set(s.description, r_.string(*n, "description"));
        if (const auto* n = root.get("tags"))
            if (auto list = r_.string_list(*n, "tags")) s.tags = *list;
        if (const auto* n = root.get("rule"))
            set(s.rule, r_.string(*n, "rule"));
        else
            r_.error(SourcePos{r_.file(), 1, 1}, "rule", "missing: name the SDM/APM rule the scenario proves");
        if (const auto* n = root.get("modes"))
            s.modes = modes(*n, "modes");
        else
            r_.error(SourcePos{r_.file(), 1, 1}, "modes", "missing: e.g. modes = [\"4level\", \"5level\"] or \"all\"");
        if (const auto* n = root.get("features")) s.features = features(*n, "features");
        if (const auto* n = root.get("qemu_cpu")) set(s.qemu_cpu, r_.string(*n, "qemu_cpu"));
        if (const auto* n = root.get("data_frames"))
            if (auto v = r_.ranged(*n, "data_frames", 1, harness::kMaxDataFrames))
                s.data_frames = static_cast<std::uint32_t>(*v);
        if (const auto* n = root.get("table_frames"))
            if (auto v = r_.ranged(*n, "table_frames", 8, harness::kMaxTableFrames))
                s.table_frames = static_cast<std::uint32_t>(*v);
        if (const auto* n = root.get("memory_mib"))
            if (auto v = r_.ranged(*n, "memory_mib", 16, 3072)) s.memory_mib = static_cast<std::uint32_t>(*v);
        if (const auto* n = root.get("control")) {
            if (const auto* t = n->as_table()) {
                std::uint32_t clear = 0;
                controls(*t, "control", s.controls, clear, s.pkru);
                if (const auto* pse = t->get("pse"); pse != nullptr && pse->value_or(false)) s.pse_explicit = true;
                s.controls &= ~clear;
            } else {
                r_.error(*n, "control", "expected a table ([control] with wp = true …)");
            }
        }
        if (const auto* n = root.get("step")) {
            if (const auto* a = n->as_array()) {
                for (std::size_t i = 0; i < a->size(); ++i) {
                    const std::string key = "step[" + std::to_string(i + 1) + "]";
                    if (const auto* t = (*a)[i].as_table())
                        step(*t, key, static_cast<std::uint32_t>(i + 1), s);
                    else
                        r_.error((*a)[i], key, "expected a table ([[step]])");
                }
            } else {
                r_.error(*n, "step", "expected an array of tables ([[step]])");
            }
        } else {
            r_.error(SourcePos{r_.file(), 1, 1}, "step", "missing: a scenario needs at least one [[step]]");
        }
        return s;
    }

private:
    template <class T>
    static void set(T& out, const std::optional<T>& v) {
        if (v) out = *v;
    }

    std::vector<PagingMode> modes(const toml::node& n, const std::string& key) {
        std::vector<PagingMode> out;
        auto list = r_.string_list(n, key);
        if (!list) return out;
        for (const auto& name : *list) {
            if (name == "all") {
                out.assign(std::begin(kPagingModes), std::end(kPagingModes));
                continue;
            }
            if (auto m = paging_mode_from_name(name.c_str())) {
                out.push_back(*m);
            } else {
                r_.error(n, key, "unknown mode '" + name + "' (32bit, pae, 4level, 5level, all)");
            }
        }
        if (out.empty() && list->empty()) r_.error(n, key, "no mode given");
        return out;
    }

    std::uint32_t features(const toml::node& n, const std::string& key) {
        std::uint32_t bits = 0;
        auto list = r_.string_list(n, key);
        if (!list) return 0;
        for (const auto& name : *list) {
            if (auto b = feature_from_name(name))
                bits |= *b;
            else
                r_.error(n, key, "unknown feature '" + name + "' (" + feature_names(harness::feature::all) + ")");
        }
        return bits;
    }

    /// Control bits of a [control] table or a control step (whose other keys the step's own check covers).
    void controls(const toml::table& t, const std::string& path, std::uint32_t& on, std::uint32_t& off,
                  std::optional<std::uint32_t>& pkru, bool check_keys = true) {
        if (check_keys) r_.check_keys(t, path, {"wp", "pse", "pge", "smep", "smap", "pke", "nxe", "pcide", "pkru"});
        for (const auto& [name, bit] : kControls) {
            const auto* n = t.get(name);
            if (n == nullptr) continue;
            if (auto b = r_.boolean(*n, path + "." + name)) (*b ? on : off) |= bit;
        }
        if (const auto* n = t.get("pkru"))
            if (auto v = r_.ranged(*n, path + ".pkru", 0, 0xffff'ffff)) pkru = static_cast<std::uint32_t>(*v);
    }

    void step(const toml::table& t, const std::string& key, std::uint32_t id, Scenario& s) {
        StepSpec st;
        st.id = id;
        st.pos = r_.pos(t);
        const auto* opnode = t.get("op");
        if (opnode == nullptr) {
            r_.error(st.pos, key + ".op", "missing: what the step does (map, read, write, fetch, edit, …)");
            return;
        }
        auto opname = r_.string(*opnode, key + ".op");
        if (!opname) return;
        const OpInfo* info = nullptr;
        for (const auto& o : ops())
            if (*opname == o.name) info = &o;
        if (info == nullptr) {
            std::string names;
            for (const auto& o : ops()) names += (names.empty() ? "" : ", ") + std::string(o.name);
            r_.error(*opnode, key + ".op", "unknown op '" + *opname + "' (" + names + ")");
            return;
        }
        st.op = info->op;
        st.kind = info->kind;
        st.implicit = *opname == "implicit";
        std::vector<std::string> allowed = {"op", "name", "modes"};
        allowed.insert(allowed.end(), info->keys.begin(), info->keys.end());
        r_.check_keys(t, key, allowed);
        if (const auto* n = t.get("name")) set(st.name, r_.string(*n, key + ".name"));
        if (const auto* n = t.get("modes")) st.modes = modes(*n, key + ".modes");

        auto need = [&](const char* k) -> const toml::node* {
            const auto* n = t.get(k);
            if (n == nullptr)
                r_.error(st.pos, key + "." + k, std::string("missing (required by op '") + *opname + "')");
            return n;
        };
        auto has = [&](const char* k) {
            return std::find(info->keys.begin(), info->keys.end(), std::string(k)) != info->keys.end();
        };
        if (has("va"))
            if (const auto* n = need("va")) {
                if (const auto* vt = n->as_table(); vt != nullptr && st.op == StepOp::access)
                    st.recursive_va = entry_of(*vt, key + ".va", "recursive");
                else
                    set(st.va, r_.u64(*n, key + ".va"));
            }
        if (has("slot"))
            if (const auto* n = need("slot"))
                if (auto v = r_.ranged(*n, key + ".slot", 0, 1023)) st.slot = static_cast<unsigned>(*v);
        if (has("size") && st.op == StepOp::access) {
            if (const auto* n = t.get("size"))
                if (auto v = r_.u64(*n, key + ".size")) {
                    if (*v > 8 || !harness::detail::is_access_width(static_cast<unsigned>(*v)))
                        r_.error(*n, key + ".size", "an access is 1, 2, 4 or 8 bytes wide");
                    else
                        st.width = static_cast<std::uint8_t>(*v);
                }
        } else if (has("size") && st.op != StepOp::poke) {
            if (const auto* n = need("size")) set(st.size, r_.size(*n, key + ".size"));
        }
        if (has("frame") || has("pa")) {
            const auto* f = t.get("frame");
            const auto* p = t.get("pa");
            if ((f == nullptr) == (p == nullptr)) {
                r_.error(st.pos, key, "give exactly one of frame (a 4 KiB frame of the data area) and pa (absolute)");
            } else if (f != nullptr) {
                if (auto v = r_.ranged(*f, key + ".frame", 0, harness::kMaxDataFrames - 1))
                    st.frame = static_cast<std::uint32_t>(*v);
            } else if (auto v = r_.u64(*p, key + ".pa")) {
                st.pa = *v;
            }
        }
        if (const auto* n = t.get("rights"))
            set(st.rights, r_.rights(*n, key + ".rights"));
        else if (st.op == StepOp::map || st.op == StepOp::protect)
            need("rights");
        if (const auto* n = t.get("page_sizes")) set(st.sizes, r_.page_sizes(*n, key + ".page_sizes"));
        if (const auto* n = t.get("global")) set(st.global, r_.boolean(*n, key + ".global"));
        if (const auto* n = t.get("replace")) set(st.replace, r_.boolean(*n, key + ".replace"));
        if (const auto* n = t.get("flush")) set(st.flush, r_.boolean(*n, key + ".flush"));
        if (const auto* n = t.get("pat"))
            if (auto v = r_.ranged(*n, key + ".pat", 0, 7)) st.pat = static_cast<std::uint8_t>(*v);
        if (const auto* n = t.get("pkey"))
            if (auto v = r_.ranged(*n, key + ".pkey", 0, 14)) st.pkey = static_cast<std::uint8_t>(*v);
        if (has("entry"))
            if (const auto* n = need("entry")) entry(*n, key + ".entry", st.entry);
        if (const auto* n = t.get("set")) set(st.set_bits, r_.entry_bits(*n, key + ".set", &st.set_maxphyaddr_bit));
        if (const auto* n = t.get("clear")) {
            bool dummy = false;
            set(st.clear_bits, r_.entry_bits(*n, key + ".clear", &dummy));
            if (dummy) r_.error(*n, key + ".clear", "MAXPHYADDR can only be set");
        }
        if (st.op == StepOp::edit_entry && t.get("set") == nullptr && t.get("clear") == nullptr)
            r_.error(st.pos, key, "edit needs set and/or clear");
        if (const auto* n = t.get("cpl"))
            if (auto v = r_.u64(*n, key + ".cpl")) {
                if (*v != 0 && *v != 3)
                    r_.error(*n, key + ".cpl", "cpl must be 0 or 3");
                else
                    st.cpl = static_cast<std::uint8_t>(*v);
            }
        if (const auto* n = t.get("ac")) set(st.ac, r_.boolean(*n, key + ".ac"));
        if (const auto* n = t.get("stale")) set(st.stale, r_.boolean(*n, key + ".stale"));
        if (const auto* n = t.get("value"))
            if (auto v = r_.u64(*n, key + ".value")) st.value = *v;
        if (st.op == StepOp::poke && !st.value) need("value");
        if (const auto* n = t.get("pcid"))
            if (auto v = r_.ranged(*n, key + ".pcid", 0, 0xfff)) st.pcid = static_cast<std::uint16_t>(*v);
        if (const auto* n = t.get("noflush")) {
            bool keep = false;
            set(keep, r_.boolean(*n, key + ".noflush"));
            st.flush = !keep;
        }
        if (st.op == StepOp::invpcid) {
            if (const auto* n = need("type"))
                if (auto v = r_.ranged(*n, key + ".type", 0, 3)) st.invpcid_type = static_cast<std::uint8_t>(*v);
            if (const auto* n = t.get("address")) {
                set(st.va, r_.u64(*n, key + ".address"));
            } else if (st.invpcid_type == 0) {
                need("address");
            }
        }
        if (const auto* n = t.get("offset"))
            if (auto v = r_.ranged(*n, key + ".offset", 0, 4088)) st.offset = *v;
        if (st.op == StepOp::set_control) {
            controls(t, key, st.control_set, st.control_clear, st.pkru, false);
            if (st.control_set == 0 && st.control_clear == 0 && !st.pkru)
                r_.error(st.pos, key,
                         "a control step needs at least one of wp, pse, pge, smep, smap, pke, nxe, pcide, pkru");
        }
        if (const auto* n = t.get("expect")) {
            st.expect = expectation(*n, key + ".expect", st.op);
        } else if (st.op == StepOp::access) {
            need("expect");
        }
        s.steps.push_back(std::move(st));
    }

    /// `{ LEVEL_KEY = "PTE", of = 0x… }`: the entry of a level that maps `of` (exactly these two keys).
    std::optional<EntryOf> entry_of(const toml::table& t, const std::string& key, const char* level_key,
                                    bool check_keys = true) {
        if (check_keys) r_.check_keys(t, key, {level_key, "of"});
        const auto* level = t.get(level_key);
        const auto* of = t.get("of");
        if (level == nullptr || of == nullptr) {
            r_.error(t, key,
                     std::string("give both ") + level_key + " = \"PTE\" (… \"top\") and of = the address it maps");
            return std::nullopt;
        }
        EntryOf out;
        const std::size_t errors = r_.error_count();
        entry(*level, key + "." + level_key, out.entry);
        if (auto v = r_.u64(*of, key + ".of")) out.of = *v;
        if (r_.error_count() != errors) return std::nullopt;
        return out;
    }

    void entry(const toml::node& n, const std::string& key, EntryRef& out) {
        auto s = r_.string(n, key);
        if (!s) return;
        static const std::pair<const char*, unsigned> names[] = {{"PTE", 1},   {"PDE", 2},   {"PDPTE", 3},
                                                                 {"PML4E", 4}, {"PML5E", 5}, {"top", 0}};
        for (const auto& [name, level] : names) {
            if (*s == name) {
                out.level = level;
                return;
            }
        }
        r_.error(n, key, "unknown entry '" + *s + "' (PTE, PDE, PDPTE, PML4E, PML5E, top)");
    }

    std::optional<Expectation> expectation(const toml::node& n, const std::string& key, StepOp op) {
        Expectation e;
        e.pos = r_.pos(n);
        const bool outcome_op = op == StepOp::access || op == StepOp::reload_cr3;
        if (const auto* s = n.as_string()) {
            if (s->get() == "ok" && outcome_op) {
                e.kind = Expectation::Kind::ok;
                return e;
            }
            if (s->get() == "model" && outcome_op) {
                e.kind = Expectation::Kind::model;
                return e;
            }
            r_.error(n, key,
                     op == StepOp::access
                         ? "expected \"ok\", \"model\", or a table ({ fault = \"PF\", error = \"P|W\" } …)"
                     : op == StepOp::reload_cr3 ? "expected \"ok\", \"model\", or { fault = \"GP\", error = 0 }"
                                                : "expected a table ({ accessed = true, dirty = false })");
            return std::nullopt;
        }
        const auto* t = n.as_table();
        if (t == nullptr) {
            r_.error(n, key, "expected a string or a table");
            return std::nullopt;
        }
        if (op == StepOp::read_entry) {
            r_.check_keys(*t, key, {"accessed", "dirty"});
            e.kind = Expectation::Kind::entry;
            if (const auto* a = t->get("accessed")) e.accessed = r_.boolean(*a, key + ".accessed");
            if (const auto* d = t->get("dirty")) e.dirty = r_.boolean(*d, key + ".dirty");
            return e;
        }
        if (op == StepOp::reload_cr3) {
            // SDM Vol. 3A §4.4.1: in PAE paging a present PDPTE with a reserved bit makes MOV to CR3 raise #GP(0).
            r_.check_keys(*t, key, {"fault", "error"});
            e.kind = Expectation::Kind::fault;
            const auto* f = t->get("fault");
            if (f == nullptr) {
                r_.error(n, key, "give fault = \"GP\" (or write expect = \"ok\")");
                return std::nullopt;
            }
            if (auto v = r_.vector(*f, key + ".fault")) e.vector = *v;
            if (e.vector != 13)
                r_.error(*f, key + ".fault", "a MOV to CR3 raises only #GP here (a PAE PDPTE with a reserved bit)");
            if (const auto* c = t->get("error")) e.error_code = r_.error_code(*c, key + ".error");
            return e;
        }
        if (op != StepOp::access) {
            r_.error(n, key, "only access steps, read_entry and reload_cr3 have expectations");
            return std::nullopt;
        }
        r_.check_keys(*t, key,
                      {"ok", "value", "frame", "frames", "fault", "ok_or_fault", "error", "cr2", "entry", "of"});
        const bool fault = t->get("fault") != nullptr;
        const bool ok = t->get("ok") != nullptr;
        const bool either = t->get("ok_or_fault") != nullptr;
        if (int{fault} + int{ok} + int{either} != 1) {
            r_.error(n, key,
                     "give exactly one of ok = true, fault = \"PF\" (or \"GP\" …) and ok_or_fault = \"PF\" (a "
                     "stale access)");
            return std::nullopt;
        }
        if (either) return ok_or_fault(*t, key, e);
        if (ok) {
            e.kind = Expectation::Kind::ok;
            if (auto b = r_.boolean(*t->get("ok"), key + ".ok"); b && !*b)
                r_.error(*t->get("ok"), key + ".ok", "ok = false means nothing: say which fault (fault = \"PF\")");
            for (const char* k : {"error", "cr2"})
                if (const auto* x = t->get(k)) r_.error(*x, key + "." + k, "only a fault has this");
            if (t->get("entry") != nullptr || t->get("of") != nullptr) {
                for (const char* k : {"value", "frame", "frames"})
                    if (const auto* x = t->get(k))
                        r_.error(*x, key + "." + k, "entry and of already say what the read returns");
                e.table_entry = entry_of(*t, key, "entry", false);
            }
            if (const auto* v = t->get("value")) e.value = r_.u64(*v, key + ".value");
            frames(*t, key, e);
            return e;
        }
        e.kind = Expectation::Kind::fault;
        for (const char* k : {"value", "frame", "frames", "entry", "of"})
            if (const auto* x = t->get(k)) r_.error(*x, key + "." + k, "only an ok access has this");
        fault_fields(*t, key, "fault", e);
        return e;
    }

    /// `ok_or_fault = "PF"`: the fault's fields, and the frames a completed read may return.
    std::optional<Expectation> ok_or_fault(const toml::table& t, const std::string& key, Expectation& e) {
        e.kind = Expectation::Kind::ok_or_fault;
        for (const char* k : {"ok", "value", "entry", "of"})
            if (const auto* x = t.get(k))
                r_.error(*x, key + "." + k, "ok_or_fault takes error, cr2, and frame or frames (what a read returns)");
        frames(t, key, e);
        fault_fields(t, key, "ok_or_fault", e);
        return e;
    }

    /// The vector (in `field`), error code and CR2 of a fault expectation.
    void fault_fields(const toml::table& t, const std::string& key, const char* field, Expectation& e) {
        if (auto v = r_.vector(*t.get(field), key + "." + field)) {
            e.vector = *v;
            // A memory access raises #PF or #GP(0) (non-canonical, or a PAE PDPTE load): anything else could
            // never be checked against the walker's prediction.
            if (e.vector != pagewalk::vector::page_fault && e.vector != pagewalk::vector::general_protection)
                r_.error(*t.get(field), key + "." + field, "an access raises only #PF or #GP here");
        }
        if (const auto* c = t.get("error")) e.error_code = r_.error_code(*c, key + ".error");
        if (const auto* c = t.get("cr2")) e.cr2 = r_.u64(*c, key + ".cr2");
    }

    /// `frame = N` or `frames = [N, M]`.
    void frames(const toml::table& t, const std::string& key, Expectation& e) {
        if (const auto* f = t.get("frame"))
            if (auto v = r_.ranged(*f, key + ".frame", 0, harness::kMaxDataFrames - 1))
                e.frames.push_back(static_cast<std::uint32_t>(*v));
        if (const auto* f = t.get("frames")) {
            if (const auto* a = f->as_array(); a != nullptr && a->empty()) {
                r_.error(*f, key + ".frames", "an empty list expects nothing: give at least one frame");
            } else if (a != nullptr) {
                for (std::size_t i = 0; i < a->size(); ++i)
                    if (auto v = r_.ranged((*a)[i], key + ".frames", 0, harness::kMaxDataFrames - 1))
                        e.frames.push_back(static_cast<std::uint32_t>(*v));
            } else {
                r_.error(*f, key + ".frames", "expected an array of frame numbers");
            }
        }
    }

    TomlReader r_;
};

}  // namespace

ParseResult parse_scenario_text(std::string_view text, const std::string& file) {
    ParseResult out;
    toml::table root;
    try {
        root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        out.errors.emplace_back(SourcePos{file, static_cast<int>(b.line), static_cast<int>(b.column)}, "",
                                "TOML syntax: " + std::string(e.description()));
        return out;
    }
    Parser p(file, out.errors);
    out.scenario = p.parse(root);
    return out;
}

namespace {
constexpr std::uint64_t kMaxScenarioBytes = 1u << 20;
}  // namespace

ParseResult parse_scenario_file(const std::string& path) {
    // A scenario is a few kilobytes; 1 MiB is plenty, and /dev/zero or a FIFO that never ends is refused.
    const Expected<std::string> text = read_capped(path, kMaxScenarioBytes);
    if (!text) {
        ParseResult out;
        out.errors.emplace_back(SourcePos{path, 0, 0}, "", text.error());
        return out;
    }
    return parse_scenario_text(*text, path);
}

}  // namespace pagewalk::host::scenario
