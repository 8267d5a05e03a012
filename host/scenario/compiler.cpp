// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/compiler.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <pagewalk/access.hpp>
#include <pagewalk/context.hpp>
#include <pagewalk/entry.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/register_writes.hpp>
#include <pagewalk/tlb_model.hpp>

#include "scenario/cpu_condition.hpp"
#include "scenario/mode_rules.hpp"
#include "scenario/recursive_slot.hpp"
#include "scenario/tlb_with_fault_record.hpp"

namespace pagewalk::host::scenario {
namespace {

using harness::StepOp;
namespace ctl = harness::control;
namespace feat = harness::feature;

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

class Compiler {
public:
    Compiler(const Scenario& s, PagingMode m, const CompileOptions& o, CompileResult& out)
        : s_(s), mode_(m), opt_(o), out_(out), p_(out.program) {}

    void run() {
        p_.scenario = &s_;
        p_.mode = mode_;
        p_.scenario_id = opt_.scenario_id;
        p_.controls = mode_controls(s_.controls, mode_, s_.pse_explicit);
        p_.features = required_features(s_, mode_);
        const CpuCondition cpu = cpu_condition(s_.qemu_cpu);
        const SourcePos top{s_.file, 1, 1};
        if (!cpu.error.empty()) error(top, "qemu_cpu", cpu.error);
        p_.features |= cpu.present;
        p_.absent_features = cpu.absent;
        p_.maxphyaddr = cpu.maxphyaddr;
        if ((cpu.absent & p_.features) != 0)
            error(top, "qemu_cpu",
                  "the CPU model turns off " + feature_names(cpu.absent & p_.features) +
                      ", which the scenario's modes, controls or steps need");
        controls_ = p_.controls;
        nxe_ = (p_.controls & ctl::nxe) != 0;
        if (s_.pkru && (*s_.pkru >> 30) != 0)
            error(s_.steps.empty() ? SourcePos{s_.file, 1, 1} : s_.steps.front().pos, "control.pkru",
                  "PKRU key 15 (bits 31:30) belongs to the guest's own user pages: leave it 0");
        std::vector<harness::Step> body;
        for (const StepSpec& st : s_.steps) {
            if (!applies(st, mode_)) continue;
            if (auto step = encode(st)) {
                body.push_back(*step);
                p_.steps[st.id] = &st;
            }
        }
        p_.step_count = static_cast<std::uint32_t>(body.size());
        if (s_.data_frames) {
            if (*s_.data_frames < data_frames_)
                error({s_.file, 1, 1}, "data_frames",
                      std::to_string(*s_.data_frames) + " is fewer than the steps use (" +
                          std::to_string(data_frames_) + ")");
            data_frames_ = std::max(data_frames_, *s_.data_frames);
        }
        p_.data_frames = data_frames_;
        if (!out_.errors.empty()) return;
        write(body);
    }

private:
    void error(const SourcePos& pos, const std::string& key, std::string message) {
        out_.errors.emplace_back(pos, key, std::move(message) + " [mode " + to_string(mode_) + "]");
    }
    static std::string key(const StepSpec& st, const char* field = nullptr) {
        return "step[" + std::to_string(st.id) + "]" + (field ? std::string(".") + field : "");
    }

    /// The address checks every op with a linear address shares.
    bool check_va(const StepSpec& st, std::uint64_t bytes, bool allow_non_canonical) {
        if (!shape(mode_).is_address(st.va) && (mode_ == PagingMode::legacy32 || mode_ == PagingMode::pae)) {
            error(st.pos, key(st, "va"), hex(st.va) + " does not fit a 32-bit linear address");
            return false;
        }
        if (!allow_non_canonical && !shape(mode_).is_address(st.va)) {
            error(st.pos, key(st, "va"), hex(st.va) + " is not canonical");
            return false;
        }
        if (st.va < kGuestIdentityEnd) {
            error(st.pos, key(st, "va"),
                  hex(st.va) + " lies in the guest's own identity map [0, " + hex(kGuestIdentityEnd) +
                      "): use addresses from 1 GiB up");
            return false;
        }
        if (bytes > 1 && shape(mode_).is_address(st.va) &&
            (st.va + bytes < st.va || !shape(mode_).is_address(st.va + bytes - 1))) {
            error(st.pos, key(st, "size"), "the range runs past the linear-address space");
            return false;
        }
        return true;
    }

    /// Without XD in the entries (32-bit paging) or with EFER.NXE = 0, every page is executable (SDM Vol. 3A
    /// §4.6): "x" only matters where XD exists, so the compiler does not ask the mapper for what it cannot write.
    std::uint8_t rights(std::uint8_t r) const {
        return nxe_ ? r : static_cast<std::uint8_t>(r | harness::step_rights::executable);
    }

    unsigned level(const StepSpec& st) {
        const unsigned l = st.entry.resolve(mode_);
        if (l > shape(mode_).levels) {
            error(
                st.pos, key(st, "entry"),
                std::string("no such entry in ") + to_string(mode_) + " paging (restrict the step with modes = [...])");
            return 0;
        }
        return l;
    }

    /// An absolute physical range must exist: no wrap past 2^64, nothing at or above 2^MAXPHYADDR (the CPU's, or
    /// the architectural 52 bits when the scenario does not fix it). Reserved address bits are an `edit`'s business.
    void check_physical_range(const StepSpec& st, std::uint64_t pa, std::uint64_t bytes) {
        const unsigned bits = pagewalk::clamped_maxphyaddr(p_.maxphyaddr == 0 ? 52 : p_.maxphyaddr);
        if (pa + bytes < pa || pa + bytes > (1ull << bits))
            error(st.pos, key(st, "pa"),
                  "[" + hex(pa) + ", +" + hex(bytes) + ") runs past MAXPHYADDR (" + std::to_string(bits) +
                      " bits): no such physical address (set reserved address bits with an edit step)");
    }

    void use_frames(std::uint64_t first, std::uint64_t count) {
        data_frames_ = std::max<std::uint64_t>(data_frames_, first + count) > harness::kMaxDataFrames
                           ? harness::kMaxDataFrames + 1
                           : static_cast<std::uint32_t>(std::max<std::uint64_t>(data_frames_, first + count));
    }

    std::optional<harness::Step> encode(const StepSpec& st) {
        harness::Step h{};
        h.op = static_cast<std::uint16_t>(st.op);
        h.id = st.id;
        h.va = st.va;
        const std::size_t errors_before = out_.errors.size();
        if (st.recursive_va) {
            // The checks below see the computed address (the evaluator reads it from the records).
            StepSpec resolved = st;
            if (!recursive_address(st, resolved.va)) return std::nullopt;
            h.va = resolved.va;
            encode_access(resolved, h);
            if (st.kind == harness::AccessKind::write && !st.implicit) entry_written_through_slot(st);
            h.expect = expectation(st);
            if (out_.errors.size() != errors_before) return std::nullopt;
            return h;
        }
        switch (st.op) {
            case StepOp::map:
                encode_map(st, h);
                break;
            case StepOp::unmap:
            case StepOp::protect:
                if (!check_va(st, st.size, false)) break;
                if ((st.va | st.size) & 0xfff) error(st.pos, key(st), "va and size must be 4 KiB-aligned");
                h.a = st.size;
                h.rights = rights(st.rights);
                if (!st.flush) h.flags |= harness::step_flag::no_flush;
                leaves_changed(st.va, st.size, false);
                if (st.flush) flushed_range(st.va, st.size);
                if (st.op == StepOp::unmap) {
                    forget_pages(st.va, st.size);
                    for (auto it = targets_.lower_bound(st.va); it != targets_.end() && it->first < st.va + st.size;)
                        it = targets_.erase(it);
                    for (auto it = globals_.lower_bound(st.va); it != globals_.end() && *it < st.va + st.size;)
                        it = globals_.erase(it);
                }
                break;
            case StepOp::edit_entry: {
                if (!check_va(st, 1, false)) break;
                h.level = static_cast<std::uint8_t>(level(st));
                h.a = st.set_bits;
                h.b = st.clear_bits;
                if (st.set_maxphyaddr_bit) h.flags |= harness::step_flag::maxphyaddr_bit;
                if (h.level == 0) break;
                const std::uint64_t span = shape(mode_).at(h.level).span();
                const std::uint64_t base = st.va & ~(span - 1);
                if (base < guest_end()) {
                    error(st.pos, key(st, "entry"),
                          "this entry maps [" + hex(base) + ", " + hex(base + span) +
                              "), which holds the guest's own identity map [0, " + hex(guest_end()) +
                              "): editing it would change the guest's own code and data (use a lower entry)");
                    break;
                }
                // Setting bit 8 may make a leaf global (G); PML4Es, PML5Es and PAE PDPTEs are never leaves.
                const bool leaf_capable = h.level <= 2 || (h.level == 3 && mode_ != PagingMode::pae);
                changed(base, base + span,
                        global_now(any_global(base, span) || (leaf_capable && (st.set_bits & entry_bit::global) != 0)),
                        h.level == 1 ? 4096 : page_size_of(base, span));
                if (mode_ == PagingMode::pae && h.level == 3) track_pdpte(st);
                if (!st.flush)
                    h.flags |= harness::step_flag::no_flush;
                else if (mode_ == PagingMode::pae && h.level == 3)
                    mov_cr3();  // the runner reloads CR3: PAE PDPTEs are registers (SDM Vol. 3A §4.4.1)
                else
                    tlb_.invlpg(st.va);
                break;
            }
            case StepOp::access:
                encode_access(st, h);
                break;
            case StepOp::invlpg:
                // Non-canonical, INVLPG is a no-op in 64-bit mode (SDM Vol. 2A, INVLPG): allowed, invalidates nothing.
                if (check_va(st, 1, true) && shape(mode_).is_address(st.va)) tlb_.invlpg(st.va);
                break;
            case StepOp::reload_cr3:
                // A MOV to CR3 that raises #GP (a PAE PDPTE with a reserved bit, SDM Vol. 3A §4.4.1) flushes nothing.
                if (st.expect && st.expect->kind == Expectation::Kind::fault) {
                    if (mode_ != PagingMode::pae)
                        error(st.pos, key(st, "expect"),
                              "MOV to CR3 raises #GP for a reserved PDPTE bit only in PAE paging (restrict the step "
                              "with modes = [\"pae\"])");
                    else if (!pdpte_load_may_fault())
                        error(st.pos, key(st, "expect"),
                              "no earlier step can have left a reserved bit (2:1, 8:5, 63:MAXPHYADDR) in a present "
                              "PDPTE, "
                              "so the PDPTE load completes (SDM Vol. 3A §4.4.1: other bits are ignored, a not-present "
                              "PDPTE is not checked)");
                    break;
                }
                // With `expect = { ok = true }` the step asserts the write completed; else it may have faulted.
                if (st.expect && st.expect->kind == Expectation::Kind::ok)
                    tlb_.mov_cr3(0, false);
                else
                    mov_cr3();
                break;
            case StepOp::toggle_pge:
                toggle_pge();
                break;
            case StepOp::read_entry:
                if (check_va(st, 1, false)) h.level = static_cast<std::uint8_t>(level(st));
                break;
            case StepOp::set_control:
                h.a = mode_controls(st.control_set, mode_, true);  // a step's pse is written out: kept in every mode
                h.b = mode_controls(st.control_clear, mode_, true);
                if (h.a & ctl::nxe) nxe_ = true;
                if (h.b & ctl::nxe) nxe_ = false;
                {
                    const std::uint32_t next =
                        (controls_ & ~static_cast<std::uint32_t>(h.b)) | static_cast<std::uint32_t>(h.a);
                    const std::uint32_t flipped = next ^ controls_;
                    // A TLB entry holds the protection key only if it was made with CR4.PKE = 1, and XD only with
                    // EFER.NXE = 1 (SDM Vol. 3A §4.10.2.2); none of these writes, nor one changing CR4.PSE, flushes
                    // (§4.10.4.1): every translation cached before may be stale until a flush.
                    // Only translations that exist can be cached: the ranges mapped so far, not those mapped later.
                    if ((flipped & (ctl::nxe | ctl::pse)) != 0 || (flipped & next & ctl::pke) != 0)
                        every_translation_changed();
                    // MOV to CR4 changing PGE invalidates everything (§4.10.4.1) — unless, in PAE paging, its PDPTE
                    // load raises #GP (§4.4.1), when it changes nothing.
                    if ((flipped & ctl::pge) != 0 && !pdpte_load_may_fault()) tlb_.mov_cr4(cr4::pge, 0);
                    // Setting CR4.PCIDE raises #GP(0) unless CR3[11:0] = 0 (§4.10.1); clearing it invalidates
                    // everything and makes PCID 000H current (§4.10.4.1).
                    if ((flipped & next & ctl::pcide) != 0 && cr3_low_ != 0)
                        error(st.pos, key(st, "pcide"),
                              "setting CR4.PCIDE while CR3[11:0] is " + std::to_string(cr3_low_) +
                                  " raises #GP(0) (SDM Vol. 3A §4.10.1): load_cr3 with pcid = 0 first");
                    if ((flipped & controls_ & ctl::pcide) != 0) tlb_.mov_cr4(cr4::pcide, 0);
                    controls_ = next;
                }
                if (st.pkru) {
                    if ((*st.pkru >> 30) != 0)
                        error(st.pos, key(st, "pkru"), "PKRU key 15 (bits 31:30) belongs to the guest: leave it 0");
                    h.flags |= harness::step_flag::set_pkru;
                    h.c = *st.pkru;
                }
                break;
            case StepOp::poke:
                if ((st.offset & 7) != 0) error(st.pos, key(st, "offset"), "must be 8-byte aligned");
                // An absolute address may be a page-table entry (the guest allocates the tables): any translation
                // may have changed (§4.10.4). The data area holds no tables.
                if (!st.frame) {
                    every_translation_changed();
                    pdpte_unknown_ = true;  // it may have written a PDPTE
                }
                if (st.frame) {
                    h.pa = std::uint64_t{*st.frame} * 4096 + st.offset;
                    h.flags |= harness::step_flag::pa_data;
                    use_frames(*st.frame, 1);
                } else {
                    h.pa = st.pa.value_or(0) + st.offset;
                    if (h.pa & 7) error(st.pos, key(st, "pa"), "must be 8-byte aligned");
                    if (h.pa < kGuestOwnMemoryEnd)
                        error(st.pos, key(st, "pa"),
                              hex(h.pa) + " lies in the guest's own memory below " + hex(kGuestOwnMemoryEnd) +
                                  " (its code, boot data, page tables and data area): poke from there up, or a "
                                  "data frame (frame = N)");
                    check_physical_range(st, h.pa, 8);
                }
                h.a = st.value.value_or(0);
                break;
            case StepOp::recursive:
                encode_recursive(st, h);
                break;
            case StepOp::load_cr3:
                encode_load_cr3(st, h);
                break;
            case StepOp::invpcid:
                encode_invpcid(st, h);
                break;
            case StepOp::tag:
                break;
        }
        // A table entry changed under a recursive slot changes the translations of the slot's addresses too (the
        // entry is a leaf or a table of theirs, SDM Vol. 3A §4.5): conservatively, every one of them until a
        // CR3 reload. (A plain map only adds translations; no TLB entry is made from a not-present entry, §4.10.2.2.)
        const bool changes_entries = st.op == StepOp::unmap || st.op == StepOp::protect ||
                                     st.op == StepOp::edit_entry || (st.op == StepOp::map && st.replace);
        if (changes_entries)
            for (const SlotRegion& r : slots_) changed(r.lo, r.hi, false, 4096);
        if (st.op == StepOp::access || st.op == StepOp::reload_cr3 || st.op == StepOp::read_entry)
            h.expect = expectation(st);
        if (out_.errors.size() != errors_before) return std::nullopt;
        return h;
    }

    void encode_frames(const StepSpec& st, const Expectation& x, harness::StepExpect& e) {
        if (x.frames.size() > harness::kMaxExpectFrames) {
            error(x.pos, key(st, "expect"),
                  "at most " + std::to_string(harness::kMaxExpectFrames) + " frames (the program format)");
            return;
        }
        e.frame_count = static_cast<std::uint8_t>(x.frames.size());
        for (std::size_t i = 0; i < x.frames.size(); ++i) e.frames[i] = x.frames[i];
    }
    static void encode_fault(const Expectation& x, harness::StepExpect& e) {
        e.vector = x.vector;
        if (x.error_code) {
            e.flags |= harness::expect_flag::error_code;
            e.error_code = *x.error_code;
        }
        if (x.cr2) {
            e.flags |= harness::expect_flag::cr2;
            e.value = *x.cr2;
        }
    }

    /// The step's expectation as the guest judges it (harness/step_expect.hpp): the fields the host's evaluator
    /// reads from the same StepSpec (check/evaluate.cpp, check/control_write.cpp).
    harness::StepExpect expectation(const StepSpec& st) {
        harness::StepExpect e{};
        if (st.op == StepOp::access && st.stale) e.flags |= harness::expect_flag::stale;
        if (!st.expect) return e;
        const Expectation& x = *st.expect;
        switch (x.kind) {
            case Expectation::Kind::ok:
                if (x.table_entry) {
                    table_entry_expectation(st, *x.table_entry, e);
                    break;
                }
                e.kind = static_cast<std::uint8_t>(harness::ExpectKind::ok);
                if (x.value) {
                    e.flags |= harness::expect_flag::value;
                    e.value = *x.value;
                }
                encode_frames(st, x, e);
                break;
            case Expectation::Kind::fault:
                e.kind = static_cast<std::uint8_t>(harness::ExpectKind::fault);
                encode_fault(x, e);
                break;
            case Expectation::Kind::ok_or_fault:
                // Exact outcomes are the rule; two are possible only while the TLB may hold either translation.
                if (!st.stale)
                    error(x.pos, key(st, "expect"),
                          "ok_or_fault is for a stale access (stale = true): otherwise only one outcome is possible "
                          "(SDM Vol. 3A §4.10.4) — expect it, or \"model\"");
                e.kind = static_cast<std::uint8_t>(harness::ExpectKind::ok_or_fault);
                encode_frames(st, x, e);
                encode_fault(x, e);
                break;
            case Expectation::Kind::model:
                e.kind = static_cast<std::uint8_t>(harness::ExpectKind::model);
                break;
            case Expectation::Kind::entry:
                e.kind = static_cast<std::uint8_t>(harness::ExpectKind::entry);
                if (x.accessed) {
                    e.flags |= harness::expect_flag::accessed;
                    e.value |= *x.accessed ? 0x20 : 0;
                }
                if (x.dirty) {
                    e.flags |= harness::expect_flag::dirty;
                    e.value |= *x.dirty ? 0x40 : 0;
                }
                break;
        }
        return e;
    }

    void encode_map(const StepSpec& st, harness::Step& h) {
        if (!check_va(st, st.size, false)) return;
        if ((st.va | st.size) & 0xfff) {
            error(st.pos, key(st), "va and size must be 4 KiB-aligned");
            return;
        }
        if (in_slot_region(st, st.va, st.size)) return;
        const std::uint64_t huge_size = mode_ == PagingMode::legacy32 ? 4ull << 20 : 2ull << 20;
        if (mode_ == PagingMode::pae)  // the mapper may make a PDPTE of the range present again
            for (std::uint64_t g = st.va >> 30; g <= ((st.va + st.size - 1) >> 30) && g < 4; ++g)
                pdpte_absent_[g] = false;
        mapped_.push_back({st.va, st.va + st.size, st.id,
                           st.sizes == 2   ? huge_size
                           : st.sizes == 4 ? std::uint64_t{1} << 30
                                           : 4096});
        h.a = st.size;
        h.rights = rights(st.rights);
        h.sizes = st.sizes;
        if (st.pkey != 0 && mode_ != PagingMode::long4 && mode_ != PagingMode::long5)
            error(st.pos, key(st, "pkey"), "protection keys exist only in 4-level and 5-level paging");
        h.pat = st.pat;
        h.pkey = st.pkey;
        if (st.global) h.flags |= harness::step_flag::global;
        if (st.replace) h.flags |= harness::step_flag::replace;
        if (!st.flush) h.flags |= harness::step_flag::no_flush;
        const std::uint64_t huge = mode_ == PagingMode::legacy32 ? 4ull << 20 : 2ull << 20;
        if (st.frame) {
            if (st.sizes == 4) {
                error(st.pos, key(st, "frame"), "1 GiB pages need an absolute pa: the data area is only 2 MiB-aligned");
                return;
            }
            const std::uint64_t off = std::uint64_t{*st.frame} * 4096;
            if (st.sizes == 2 && ((off | st.va) & (huge - 1)) != 0) {
                error(st.pos, key(st, "frame"),
                      "huge pages only, but va or the frame is not " + std::to_string(huge >> 20) +
                          " MiB-aligned (frame must be a multiple of " + std::to_string(huge / 4096) + ")");
                return;
            }
            h.pa = off;
            h.flags |= harness::step_flag::pa_data;
            use_frames(*st.frame, (st.size + 4095) / 4096);
            for (std::uint64_t o = 0; o < st.size && o < (64ull << 20); o += 4096) {
                pages_[st.va + o] = off + o;
                targets_[st.va + o] = {off + o, true};
            }
        } else {
            h.pa = st.pa.value_or(0);
            if (h.pa & 0xfff) error(st.pos, key(st, "pa"), "must be 4 KiB-aligned");
            check_physical_range(st, h.pa, st.size);
            forget_pages(st.va, st.size);
            for (std::uint64_t o = 0; o < st.size && o < (64ull << 20); o += 4096)
                targets_[st.va + o] = {h.pa + o, false};
        }
        if (st.replace) {
            leaves_changed(st.va, st.size, st.global);
            if (st.flush) flushed_range(st.va, st.size);
        }
        for (std::uint64_t o = 0; o < st.size && o < (64ull << 20); o += 4096) {
            if (st.global)
                globals_.insert(st.va + o);
            else
                globals_.erase(st.va + o);
        }
    }

    /// `recursive`: entry `slot` of the top-level table points to that table. Refused where the slot's region holds
    /// the guest's identity map or an earlier mapping (the mapper would take the root for a lower-level table).
    void encode_recursive(const StepSpec& st, harness::Step& h) {
        if (mode_ == PagingMode::pae) {
            error(st.pos, key(st, "op"),
                  "PAE paging has no recursive slot: its PDPT is 4 entries (32 bytes), not a page-table page "
                  "(SDM Vol. 3A §4.4.1); leave pae out of the modes or restrict the step with modes = [...]");
            return;
        }
        if (st.slot >= top_level_entries(mode_)) {
            error(st.pos, key(st, "slot"),
                  std::to_string(st.slot) + " is out of range: the top-level table has " +
                      std::to_string(top_level_entries(mode_)) + " entries");
            return;
        }
        const SlotRegion r = slot_region(mode_, st.slot);
        if (r.lo < guest_end()) {
            error(st.pos, key(st, "slot"),
                  "slot " + std::to_string(st.slot) + " covers [" + hex(r.lo) + ", " + hex(r.hi) +
                      "), which holds the guest's own identity map [0, " + hex(guest_end()) + ")");
            return;
        }
        for (const Mapped& m : mapped_)
            if (m.lo < r.hi && m.hi > r.lo) {
                error(st.pos, key(st, "slot"),
                      "slot " + std::to_string(st.slot) + " covers [" + hex(r.lo) + ", " + hex(r.hi) +
                          "), where step[" + std::to_string(m.step) + "] mapped " + hex(m.lo) +
                          ": pick a free top-level entry");
                return;
            }
        h.a = st.slot;
        // The top-level entry changed: every translation through it (SDM Vol. 3A §4.10.4). The runner's flush is a
        // CR3 reload (the slot is not global).
        changed(r.lo, r.hi, false, 4096);
        if (!st.flush)
            h.flags |= harness::step_flag::no_flush;
        else
            tlb_.mov_cr3(0, false);
        slots_.push_back(r);
        slot_ = st.slot;
    }

    /// True (and an error) when [va, va + size) reaches into a recursive slot's region.
    bool in_slot_region(const StepSpec& st, std::uint64_t va, std::uint64_t size) {
        for (const SlotRegion& r : slots_)
            if (va < r.hi && va + size > r.lo) {
                error(st.pos, key(st, "va"),
                      hex(va) + " lies in the region of the recursive slot [" + hex(r.lo) + ", " + hex(r.hi) +
                          "): its tables are the paging structures themselves");
                return true;
            }
        return false;
    }

    /// `va = { recursive = "PTE", of = … }`: the address of that entry through the latest recursive slot.
    bool recursive_address(const StepSpec& st, std::uint64_t& va) {
        if (!slot_) {
            error(st.pos, key(st, "va"), "a recursive address needs an earlier recursive step in this mode");
            return false;
        }
        const unsigned level = st.recursive_va->entry.resolve(mode_);
        if (level > shape(mode_).levels) {
            error(st.pos, key(st, "va.recursive"), std::string("no such entry in ") + to_string(mode_) + " paging");
            return false;
        }
        va = recursive_entry_address(mode_, *slot_, level, st.recursive_va->of);
        return true;
    }

    /// `expect = { ok = true, entry = "PTE", of = … }`: a read of that entry. The guest compares the value with the
    /// entry in its tables; the host knows only where `of` is mapped (the leaf's address), from the map steps.
    void table_entry_expectation(const StepSpec& st, const EntryOf& x, harness::StepExpect& e) {
        const unsigned level = x.entry.resolve(mode_);
        if (level > shape(mode_).levels) {
            error(
                st.expect->pos, key(st, "expect.entry"),
                std::string("no such entry in ") + to_string(mode_) + " paging (restrict the step with modes = [...])");
            return;
        }
        const auto it = targets_.find(x.of & ~std::uint64_t{0xfff});
        if (it == targets_.end()) {
            error(st.expect->pos, key(st, "expect.of"),
                  hex(x.of) + " is not mapped by an earlier map step in this mode: nothing says what the entry holds");
            return;
        }
        p_.table_entry_pages[st.id] = it->second;
        e.kind = static_cast<std::uint8_t>(harness::ExpectKind::table_entry);
        e.vector = static_cast<std::uint8_t>(level);
        e.value = x.of;
    }

    /// A read or write has a width and any alignment; it may cross into the next page (each page is translated, SDM
    /// Vol. 3A §4.7). A fetch and an implicit access stay 8-byte aligned.
    void encode_access(const StepSpec& st, harness::Step& h) {
        const bool data = st.kind != harness::AccessKind::fetch && !st.implicit;
        const unsigned width = data ? st.width : 8;
        if (!check_va(st, width, true)) return;
        h.access = static_cast<std::uint8_t>(st.kind);
        h.cpl = st.cpl;
        h.width = data ? st.width : 0;
        if (st.ac) h.access_flags |= harness::access_flag::ac;
        if (st.implicit) h.access_flags |= harness::access_flag::implicit;
        if (!data && (st.va & 7)) error(st.pos, key(st, "va"), "fetches and implicit accesses must be 8-byte aligned");
        const bool crosses = harness::crosses_page(st.va, width);
        if (st.kind == harness::AccessKind::fetch && (st.va & 0xfff) >= harness::kTaggedBytes)
            error(st.pos, key(st, "va"),
                  "a fetch must target the first " + std::to_string(harness::kTaggedBytes) +
                      " bytes of a page (where the guest's tags put RET instructions)");
        if (st.kind == harness::AccessKind::write) h.a = st.value.value_or(default_write_value(st.id));
        const std::uint64_t last = st.va + width - 1;
        if (tlb_.may_be_stale(st.va, last) && !st.stale)
            error(st.pos, key(st),
                  "an earlier step changed this address's translation without a flush: the CPU may still use the "
                  "old one (SDM Vol. 3A §4.10.4). Flush first, or say stale = true and accept both outcomes");
        if (st.kind == harness::AccessKind::read && !st.implicit && tlb_.fresh_only_by_page_fault(st.va, last))
            p_.fresh_by_page_fault.insert(st.id);
        // A #PF invalidates the faulting page's translations (SDM Vol. 3A §4.10.4.1). Only an asserted #PF counts:
        // if the CPU does not fault, this step fails and nothing after it is trusted. Across a page boundary `cr2`
        // names the page that faults.
        if (st.expect && st.expect->kind == Expectation::Kind::fault && st.expect->vector == vector::page_fault &&
            shape(mode_).is_address(st.va))
            tlb_.page_fault(st.expect->cr2.value_or(st.va));
        if (st.expect && st.expect->cr2 && crosses && (*st.expect->cr2 < st.va || *st.expect->cr2 > last))
            error(st.expect->pos, key(st, "expect.cr2"),
                  "across a page boundary cr2 names the faulting page by a byte of the access in it: " + hex(st.va) +
                      " … " + hex(last));
        if (st.expect && (st.expect->value || !st.expect->frames.empty() || st.expect->table_entry) &&
            (st.kind != harness::AccessKind::read || st.implicit))
            error(st.expect->pos, key(st, "expect"), "only a read has a value to expect (value, frame, frames, entry)");
        if (st.expect && st.expect->value && width < 8 && (*st.expect->value >> (8 * width)) != 0)
            error(st.expect->pos, key(st, "expect.value"),
                  "a " + std::to_string(width) + "-byte read returns its bytes zero-extended: at most " +
                      hex((std::uint64_t{1} << (8 * width)) - 1));
        if (st.expect && st.expect->table_entry && width != 8)
            error(st.expect->pos, key(st, "expect.entry"), "an entry is read with an 8-byte read (size = 8)");
        if (st.expect && !st.expect->frames.empty() && ((st.va & 0xfff) + width > harness::kTaggedBytes))
            error(st.expect->pos, key(st, "expect"),
                  "frame expectations need a read within the first " + std::to_string(harness::kTaggedBytes) +
                      " bytes of a page (the tagged bytes)");
        if (!shape(mode_).is_address(st.va)) return;
        for (const std::uint64_t page : {st.va & ~std::uint64_t{0xfff}, last & ~std::uint64_t{0xfff}})
            if (auto it = pages_.find(page); it != pages_.end())
                p_.tagged_frames.insert(static_cast<std::uint32_t>(it->second >> 12));
        if (st.expect)
            for (std::uint32_t f : st.expect->frames) {
                p_.tagged_frames.insert(f);
                use_frames(f, 1);
            }
    }

    /// A translation is global only if G = 1 and CR4.PGE = 1 (SDM Vol. 3A §4.10.2.4). With PGE = 0 no global TLB
    /// entry exists: those made while it was 1 went when it was cleared (a MOV to CR4 changing PGE flushes all).
    bool global_now(bool g) const { return g && (controls_ & ctl::pge) != 0; }

    /// Whether a page in [va, va + size) was mapped global (a CR3 reload may keep its old translation).
    bool any_global(std::uint64_t va, std::uint64_t size) const {
        const auto it = globals_.lower_bound(va & ~std::uint64_t{0xfff});
        return it != globals_.end() && *it < va + size;
    }

    void forget_pages(std::uint64_t va, std::uint64_t size) {
        for (auto it = pages_.lower_bound(va); it != pages_.end() && it->first < va + size;) it = pages_.erase(it);
    }
    /// The runner applies the mapper's flush for [va, va + size): nothing there stays stale.
    void flushed_range(std::uint64_t va, std::uint64_t size) {
        if (size > (64ull << 20)) {
            // The runner flushes everything: a CR4.PGE toggle when a page was global, else a CR3 reload (which
            // leaves other PCIDs' translations).
            if (any_global(va, size))
                toggle_pge();
            else
                mov_cr3();
            return;
        }
        for (std::uint64_t o = 0; o < size; o += 4096) tlb_.invlpg(va + o);
    }

    /// The end of the guest's own identity map: scenario entries and slots must not cover it.
    std::uint64_t guest_end() const {
        return std::max<std::uint64_t>(kGuestIdentityEnd, std::uint64_t{s_.memory_mib} << 20);
    }

    void changed(std::uint64_t lo, std::uint64_t hi, bool global, std::uint64_t page_size) {
        if (hi > lo) tlb_.translations_changed(lo, hi - 1, page_size, global);
    }
    /// The leaves of [va, va + size) changed: their translations may be stale, global ones (pages mapped G, or
    /// `now_global`) only where CR4.PGE = 1 makes them global — page by page, so that a CR3 load still flushes the
    /// others.
    void leaves_changed(std::uint64_t va, std::uint64_t size, bool now_global) {
        const std::uint64_t page = page_size_of(va, size);
        changed(va, va + size, global_now(now_global), page);
        if (!global_now(true) || now_global) return;
        for (auto it = globals_.lower_bound(va & ~std::uint64_t{0xfff}); it != globals_.end() && *it < va + size; ++it)
            changed(*it, *it + 4096, true, page);
    }
    /// Every translation that can exist — those of the ranges mapped so far — may be stale.
    void every_translation_changed() {
        for (const Mapped& m : mapped_) changed(m.lo, m.hi, global_now(true), m.page_size);
        for (const SlotRegion& r : slots_) changed(r.lo, r.hi, false, 4096);
    }

    /// The page size the translations of [va, va + size) certainly had: a map step that allowed huge pages only
    /// made huge pages; otherwise 4 KiB (what INVLPG removes at least).
    std::uint64_t page_size_of(std::uint64_t va, std::uint64_t size) const {
        std::uint64_t page = 0;
        for (const Mapped& m : mapped_) {
            if (m.hi <= va || m.lo >= va + size) continue;
            page = page == 0 ? m.page_size : std::min(page, m.page_size);
        }
        return page == 0 ? 4096 : page;
    }

    /// A write through a recursive slot changes the entry it reaches: the translations under it, and those the
    /// slot's addresses read (§4.10.4, §4.10.3.3).
    void entry_written_through_slot(const StepSpec& st) {
        const unsigned level = st.recursive_va->entry.resolve(mode_);
        if (level == 0 || level > shape(mode_).levels) return;
        const std::uint64_t span = shape(mode_).at(level).span();
        const std::uint64_t base = shape(mode_).canonical(st.recursive_va->of) & ~(span - 1);
        changed(base, base + span, global_now(true), 4096);
        for (const SlotRegion& r : slots_) changed(r.lo, r.hi, false, 4096);
    }

    /// PAE: the reserved bits an edit may have left set in each PDPTE. A PDPTE load with one of them in a present
    /// PDPTE raises #GP(0) and invalidates nothing (§4.4.1), so the flushes that load PDPTEs count only while none
    /// can be set.
    void track_pdpte(const StepSpec& st) {
        // Bits 62:MAXPHYADDR are reserved as well; without a known MAXPHYADDR, every bit from 36 up (the least).
        const unsigned maxphy = p_.maxphyaddr != 0 ? p_.maxphyaddr : 36;
        const std::uint64_t reserved = PaePdpte::reserved_low_field::mask | PaePdpte::reserved_middle_field::mask |
                                       PaePdpte::reserved_high_field::mask | bits::mask(62, maxphy);
        const unsigned i = (st.va >> 30) & 3;
        pdpte_reserved_[i] = (pdpte_reserved_[i] & ~st.clear_bits) | (st.set_bits & reserved);
        if (st.set_maxphyaddr_bit) pdpte_reserved_[i] |= std::uint64_t{1} << maxphy;
        // Only a present PDPTE is checked (§4.4.1): one this step made not present cannot fault.
        if ((st.set_bits & entry_bit::present) != 0)
            pdpte_absent_[i] = false;
        else if ((st.clear_bits & entry_bit::present) != 0)
            pdpte_absent_[i] = true;
    }
    bool pdpte_load_may_fault() const {
        if (mode_ != PagingMode::pae) return false;
        if (pdpte_unknown_) return true;
        for (unsigned i = 0; i < 4; ++i)
            if (pdpte_reserved_[i] != 0 && !pdpte_absent_[i]) return true;
        return false;
    }
    /// MOV CR3, CR3: the current PCID's non-global translations, unless its PDPTE load may fault.
    void mov_cr3() {
        if (!pdpte_load_may_fault()) tlb_.mov_cr3(cr3_low_, pcide());
    }
    bool pcide() const { return (controls_ & ctl::pcide) != 0; }
    bool long_mode() const { return mode_ == PagingMode::long4 || mode_ == PagingMode::long5; }

    /// `load_cr3`: MOV to CR3 with a PCID and, `noflush = true`, bit 63 (§4.10.4.1).
    void encode_load_cr3(const StepSpec& st, harness::Step& h) {
        if (!long_mode()) {
            error(st.pos, key(st, "op"),
                  "PCIDs exist only in IA-32e mode (4-level and 5-level paging; restrict the step with modes = [...])");
            return;
        }
        if (!pcide() && (st.pcid != 0 || !st.flush)) {
            error(st.pos, key(st, st.pcid != 0 ? "pcid" : "noflush"),
                  "needs CR4.PCIDE = 1 (control pcide = true): without it CR3[11:0] holds no PCID and bit 63 is "
                  "reserved (#GP)");
            return;
        }
        h.a = st.pcid;
        if (!st.flush) h.flags |= harness::step_flag::no_flush;
        tlb_.mov_cr3(st.pcid | (st.flush ? 0 : cr3::no_flush), pcide());
        cr3_low_ = st.pcid;
    }

    /// `invpcid`: refused where it raises #GP(0) (a harness flush must flush); else the model applies its type.
    void encode_invpcid(const StepSpec& st, harness::Step& h) {
        if (!long_mode()) {
            error(st.pos, key(st, "op"),
                  "the harness runs INVPCID in 4-level and 5-level paging only (restrict the step with modes = [...])");
            return;
        }
        const bool canonical = shape(mode_).is_address(st.va);
        if (invpcid_faults(st.invpcid_type, st.pcid, canonical, pcide())) {
            error(
                st.pos, key(st),
                "this INVPCID raises #GP(0) (SDM Vol. 2A: type 0 needs a canonical address; types 0 and 1 name PCID 0 "
                "unless CR4.PCIDE = 1)");
            return;
        }
        h.a = st.invpcid_type;
        h.b = st.pcid;
        h.va = st.va;
        tlb_.invpcid(static_cast<InvpcidType>(st.invpcid_type), st.pcid, st.va);
    }
    /// CR4.PGE off and on: everything, unless the first write's PDPTE load may fault.
    void toggle_pge() {
        if (!pdpte_load_may_fault()) tlb_.mov_cr4(cr4::pge, 0);
    }

    void write(const std::vector<harness::Step>& body) {
        std::vector<harness::Step> steps;
        // Tag steps first (id 0): ranges of consecutive tagged frames.
        for (auto it = p_.tagged_frames.begin(); it != p_.tagged_frames.end();) {
            const std::uint32_t first = *it;
            std::uint32_t count = 0;
            while (it != p_.tagged_frames.end() && *it == first + count) ++it, ++count;
            harness::Step t{};
            t.op = static_cast<std::uint16_t>(StepOp::tag);
            t.flags = harness::step_flag::pa_data;
            t.pa = std::uint64_t{first} * 4096;
            t.a = count;
            steps.push_back(t);
        }
        steps.insert(steps.end(), body.begin(), body.end());
        if (steps.size() > harness::kMaxProgramSteps) {
            error({s_.file, 1, 1}, "step",
                  std::to_string(steps.size()) + " program steps (the file's " + std::to_string(body.size()) + " and " +
                      std::to_string(steps.size() - body.size()) + " that tag data frames): a program has at most " +
                      std::to_string(harness::kMaxProgramSteps));
            return;
        }
        harness::ProgramHeader hdr{};
        hdr.magic = harness::kProgramMagic;
        hdr.version = harness::kProgramVersion;
        hdr.header_size = sizeof hdr;
        hdr.step_count = static_cast<std::uint32_t>(steps.size());
        hdr.step_offset = sizeof hdr;
        hdr.step_size = sizeof(harness::Step);
        hdr.total_size = static_cast<std::uint32_t>(sizeof hdr + steps.size() * sizeof(harness::Step));
        hdr.scenario_id = opt_.scenario_id;
        hdr.mode = static_cast<std::uint8_t>(mode_);
        hdr.flags = opt_.serial_handshake ? harness::program_flag::serial_handshake : 0;
        std::memcpy(hdr.name, s_.name.data(), std::min<std::size_t>(s_.name.size(), sizeof hdr.name));
        hdr.controls = p_.controls;
        hdr.pkru = s_.pkru.value_or(0);
        hdr.features = p_.features;
        hdr.data_frames = p_.data_frames;
        hdr.table_frames = s_.table_frames;
        hdr.absent_features = p_.absent_features;
        hdr.maxphyaddr = p_.maxphyaddr;
        p_.bytes.resize(hdr.total_size);
        std::memcpy(p_.bytes.data(), &hdr, sizeof hdr);
        if (!steps.empty())
            std::memcpy(p_.bytes.data() + sizeof hdr, steps.data(), steps.size() * sizeof(harness::Step));
        const harness::ProgramCheck c = harness::validate_program(p_.bytes.data(), p_.bytes.size());
        if (!c)
            error({s_.file, 1, 1}, "",
                  std::string("internal: the encoded program does not validate: ") + harness::to_string(c.error) +
                      " (step index " + std::to_string(c.step_index) + ")");
    }

    const Scenario& s_;
    PagingMode mode_;
    const CompileOptions& opt_;
    CompileResult& out_;
    Program& p_;
    TlbWithFaultRecord tlb_;                ///< which translations may be stale (SDM Vol. 3A §4.10, walker/)
    std::uint64_t pdpte_reserved_[4] = {};  ///< PAE: reserved bits edits may have set in each PDPTE
    bool pdpte_absent_[4] = {};
    bool pdpte_unknown_ = false;  ///< PAE: a poke may have written any PDPTE
    std::uint16_t cr3_low_ = 0;  ///< CR3[11:0]: the PCID while CR4.PCIDE = 1 (kept when it is cleared)             ///<
                                 ///< PAE: an edit made the PDPTE not present (until a map or edit there)
    std::map<std::uint64_t, std::uint64_t> pages_;  ///< 4 KiB page va → data offset (frame-based maps so far)
    std::set<std::uint64_t> globals_;               ///< 4 KiB pages mapped with G = 1
    std::map<std::uint64_t, PageTarget> targets_;   ///< 4 KiB page va → its physical page (every map so far)
    struct Mapped {
        std::uint64_t lo, hi;
        std::uint32_t step;
        std::uint64_t page_size;  ///< the size its pages certainly have (4 KiB unless only huge pages were allowed)
    };
    std::vector<Mapped> mapped_;     ///< every map step's range (a recursive slot must not cover one)
    std::vector<SlotRegion> slots_;  ///< regions of the recursive slots installed so far
    std::optional<unsigned> slot_;   ///< the latest recursive slot (recursive addresses use it)
    std::uint32_t data_frames_ = 0;
    bool nxe_ = false;            ///< EFER.NXE at the current step
    std::uint32_t controls_ = 0;  ///< harness::control bits at the current step
};

}  // namespace

CompileResult compile(const Scenario& s, PagingMode mode, const CompileOptions& options) {
    CompileResult out;
    Compiler c(s, mode, options, out);
    c.run();
    return out;
}

}  // namespace pagewalk::host::scenario
