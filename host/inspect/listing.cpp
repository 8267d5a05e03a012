// SPDX-License-Identifier: MIT OR Apache-2.0
#include "inspect/listing.hpp"

#include <pagewalk/mappings.hpp>  // MappingRun

#include "inspect/hex.hpp"
#include "inspect/qemu_format.hpp"

namespace pagewalk::host::inspect {
namespace {

/// A problem hole (reserved bits, unreadable table), as a ranges or JSON line.
void append_problem(std::string& out, const HoleVisit& h, bool json) {
    const char* entry = entry_name(h.level);
    if (json) {
        out += "{\"va\":\"" + hex(h.va_first) + "\",\"va_last\":\"" + hex(h.va_last) + "\",\"problem\":\"" +
               to_string(h.kind) + "\",\"level\":\"" + hex(h.level) + "\",\"entry_pa\":\"" + hex(h.entry_pa) + "\"";
        if (h.kind == HoleKind::reserved_bits)
            out += ",\"entry\":\"" + hex(h.entry) + "\",\"reserved_bits\":\"" + hex(h.reserved_bits) + "\"";
        out += "}\n";
        return;
    }
    out += hex(h.va_first) + "-" + hex(h.va_last) + " ! ";
    if (h.kind == HoleKind::reserved_bits) {
        out += std::string("reserved bits ") + hex(h.reserved_bits) + " in " + entry + " " + hex(h.entry) + " at " +
               hex(h.entry_pa) + ": any access faults (RSVD)\n";
    } else if (h.kind == HoleKind::memory_error) {
        out += std::string("the table with the ") + entry + " at " + hex(h.entry_pa) + " is not in the dump\n";
    } else {
        out += std::string(to_string(h.kind)) + " at " + entry + " " + hex(h.entry_pa) + "\n";
    }
}

bool is_problem(HoleKind k) {
    return k == HoleKind::reserved_bits || k == HoleKind::memory_error || k == HoleKind::loop;
}

/// ranges / json: mappings() runs, with problem holes in between.
struct RunWriter {
    Output* out;
    bool json;
    ListStats* stats;
    bool pke;

    void run(const MappingRun& r) {
        std::string& s = out->text();
        if (json) {
            s += "{\"va\":\"";
            append_hex(s, r.va_first);
            s += "\",\"va_last\":\"";
            append_hex(s, r.va_last);
            s += "\",\"pa\":\"";
            append_hex(s, r.pa_first);
            s += "\",\"size\":\"";
            append_hex(s, r.size());
            s += "\",\"page_size\":\"";
            append_hex(s, r.page_size);
            s += r.rights.writable ? "\",\"writable\":true" : "\",\"writable\":false";
            s += r.rights.user ? ",\"user\":true" : ",\"user\":false";
            s += r.rights.executable ? ",\"executable\":true" : ",\"executable\":false";
            s += r.global ? ",\"global\":true" : ",\"global\":false";
            s += ",\"pkey\":\"";
            append_hex(s, r.pkey);
            s += "\"}\n";
        } else {
            append_hex(s, r.va_first);
            s += '-';
            append_hex(s, r.va_last);
            s += " -> ";
            append_hex(s, r.pa_first);
            s += '-';
            append_hex(s, r.pa_first + (r.va_last - r.va_first));
            s += ' ';
            append_size(s, r.page_size);
            s += ' ';
            s += r.rights.user ? 'u' : 's';
            s += 'r';
            s += r.rights.writable ? 'w' : '-';
            s += r.rights.executable ? 'x' : '-';
            if (r.global) s += " G";
            if (pke) s += " pkey " + std::to_string(r.pkey);
            s += '\n';
        }
        ++stats->lines;
        out->line_done();
    }
};

/// Merges leaves into maximal runs, as pagewalk::mappings() does (contiguous linear and physical addresses, the
/// same page size, rights, key and G), and reports problem holes in address order between them.
struct RunsWithProblems {
    RunWriter* writer;
    ListStats* stats;
    MappingRun run{};
    bool open = false;

    VisitAction leaf(const LeafVisit& l) {
        if (open && l.va == run.va_last + 1 && l.pa == run.pa_first + (l.va - run.va_first) &&
            l.page_size == run.page_size && l.rights.writable == run.rights.writable &&
            l.rights.user == run.rights.user && l.rights.executable == run.rights.executable && l.pkey == run.pkey &&
            l.global == run.global) {
            run.va_last = l.va + l.page_size - 1;
            return VisitAction::proceed;
        }
        close();
        run = {l.va, l.va + l.page_size - 1, l.pa, l.page_size, l.rights, l.pkey, l.global};
        open = true;
        return VisitAction::proceed;
    }
    void close() {
        if (open) writer->run(run);
        open = false;
    }
    VisitAction hole(const HoleVisit& h) {
        if (!is_problem(h.kind)) return VisitAction::proceed;
        close();
        append_problem(writer->out->text(), h, writer->json);
        ++stats->problems;
        ++stats->lines;
        writer->out->line_done();
        return VisitAction::proceed;
    }
};

struct TlbWriter {
    const Context* ctx;
    Output* out;
    ListStats* stats;
    VisitAction leaf(const LeafVisit& l) {
        qemu::append_tlb_line(out->text(), *ctx, l);
        ++stats->lines;
        out->line_done();
        return VisitAction::proceed;
    }
    VisitAction hole(const HoleVisit& h) {
        if (is_problem(h.kind)) ++stats->problems;
        return VisitAction::proceed;
    }
};

struct MemWriter {
    qemu::MemRuns runs;
    ListStats* stats;
    VisitAction leaf(const LeafVisit& l) { return runs.leaf(l); }
    VisitAction hole(const HoleVisit& h) {
        if (is_problem(h.kind)) ++stats->problems;
        return VisitAction::proceed;
    }
};

}  // namespace

std::optional<ListFormat> parse_list_format(const std::string& name) {
    if (name == "ranges") return ListFormat::ranges;
    if (name == "json") return ListFormat::json;
    if (name == "qemu-tlb") return ListFormat::qemu_tlb;
    if (name == "qemu-mem") return ListFormat::qemu_mem;
    return std::nullopt;
}

std::optional<VisitRange> parse_range(const std::string& text) {
    const auto dash = text.find('-');
    if (dash == std::string::npos) return std::nullopt;
    const auto first = parse_hex(std::string_view(text).substr(0, dash));
    const auto last = parse_hex(std::string_view(text).substr(dash + 1));
    if (!first || !last || *first > *last) return std::nullopt;
    return VisitRange{*first, *last};
}

Expected<ListStats> write_listing(const Context& ctx, const DumpMemory& memory, const ListOptions& options,
                                  Output& out) {
    ListStats stats;
    const bool qemu_format = options.format == ListFormat::qemu_tlb || options.format == ListFormat::qemu_mem;
    if (ctx.mode() == PagingMode::disabled) {
        if (qemu_format) {
            out.text() += "PG disabled\n";
            stats.lines = 1;
        }
        return stats;
    }
    // The CPU follows a table that references its own ancestors (a recursive slot), and so does QEMU's monitor;
    // max_entries keeps a table that references itself from every entry finite.
    const VisitOptions visit_options{.follow_ancestors = true, .max_entries = options.max_entries};
    // A dry run first: tables that reference themselves from many entries map the same pages billions of times
    // over, and the budget should end that before the first line is written, not after a billion lines.
    struct Nothing {};
    Nothing nothing;
    if (visit(ctx, memory, options.range, nothing, visit_options).budget_exhausted)
        return Error{"gave up after reading " + std::to_string(options.max_entries) +
                     " entries (--max-entries), before writing anything: the tables reference themselves too "
                     "often to list"};
    VisitResult result{};
    switch (options.format) {
        case ListFormat::ranges:
        case ListFormat::json: {
            RunWriter writer{&out, options.format == ListFormat::json, &stats, ctx.pke()};
            RunsWithProblems visitor{&writer, &stats};
            result = visit(ctx, memory, options.range, visitor, visit_options);
            visitor.close();
            break;
        }
        case ListFormat::qemu_tlb: {
            TlbWriter writer{&ctx, &out, &stats};
            result = visit(ctx, memory, options.range, writer, visit_options);
            break;
        }
        case ListFormat::qemu_mem: {
            MemWriter writer{qemu::MemRuns(ctx, out), &stats};
            result = visit(ctx, memory, options.range, writer, visit_options);
            writer.runs.finish();
            stats.lines = writer.runs.lines();
            break;
        }
    }
    stats.entries_read = result.entries_read;
    if (result.budget_exhausted)
        return Error{"gave up after reading " + std::to_string(options.max_entries) +
                     " entries (--max-entries): the tables reference themselves too often to list"};
    return stats;
}

}  // namespace pagewalk::host::inspect
