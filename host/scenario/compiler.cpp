// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the scenario compiler's driver — the program's header fields, one encoder per step
// (step_encoders.hpp), the tag steps, the encoded bytes.
#include "scenario/compiler.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "scenario/compile_state.hpp"
#include "scenario/cpu_condition.hpp"
#include "scenario/mode_rules.hpp"
#include "scenario/step_encoders.hpp"

namespace pagewalk::host::scenario {
namespace {

using harness::StepOp;
namespace ctl = harness::control;

class Compiler {
public:
    Compiler(const Scenario& s, PagingMode m, const CompileOptions& o, CompileResult& out)
        : s_(s), mode_(m), opt_(o), out_(out), p_(out.program), c_(s, m, out) {}

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
        c_.controls = p_.controls;
        c_.nxe = (p_.controls & ctl::nxe) != 0;
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
            if (*s_.data_frames < c_.data_frames)
                error({s_.file, 1, 1}, "data_frames",
                      std::to_string(*s_.data_frames) + " is fewer than the steps use (" +
                          std::to_string(c_.data_frames) + ")");
            c_.data_frames = std::max(c_.data_frames, *s_.data_frames);
        }
        p_.data_frames = c_.data_frames;
        if (!out_.errors.empty()) return;
        write(body);
    }

private:
    void error(const SourcePos& pos, const std::string& key, std::string message) {
        c_.error(pos, key, std::move(message));
    }

    /// One step: its encoder, in the order of the guest's ProgramRunner::execute (guest/runner/runner_core.hpp).
    std::optional<harness::Step> encode(const StepSpec& st) {
        harness::Step h{};
        h.op = static_cast<std::uint16_t>(st.op);
        h.id = st.id;
        h.va = st.va;
        const std::size_t errors_before = c_.error_count();
        switch (st.op) {
            case StepOp::map:
            case StepOp::unmap:
            case StepOp::protect:
                encode_mapper_step(c_, st, h);
                break;
            case StepOp::edit_entry:
                encode_edit_step(c_, st, h);
                break;
            case StepOp::access:
                encode_access_step(c_, st, h);
                break;
            case StepOp::invlpg:
                encode_invlpg(c_, st, h);
                break;
            case StepOp::load_cr3:
                encode_load_cr3(c_, st, h);
                break;
            case StepOp::invpcid:
                encode_invpcid(c_, st, h);
                break;
            case StepOp::reload_cr3:
                encode_reload_cr3(c_, st, h);
                break;
            case StepOp::toggle_pge:
                encode_toggle_pge(c_, st, h);
                break;
            case StepOp::read_entry:
                encode_read_entry_step(c_, st, h);
                break;
            case StepOp::set_control:
                encode_control_step(c_, st, h);
                break;
            case StepOp::recursive:
                encode_recursive_step(c_, st, h);
                break;
            case StepOp::poke:
                encode_poke(c_, st, h);
                break;
            case StepOp::tag:
                encode_tag(c_, st, h);
                break;
        }
        // A table entry changed under a recursive slot changes the translations of the slot's addresses too (the
        // entry is a leaf or a table of theirs, SDM Vol. 3A §4.5): conservatively, every one of them until a
        // CR3 reload. (A plain map only adds translations; no TLB entry is made from a not-present entry, §4.10.2.2.)
        const bool changes_entries = st.op == StepOp::unmap || st.op == StepOp::protect ||
                                     st.op == StepOp::edit_entry || (st.op == StepOp::map && st.replace);
        if (changes_entries) c_.slot_translations_changed();
        if (c_.error_count() != errors_before) return std::nullopt;
        return h;
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
    CompileState c_;  ///< what the step encoders share
};

}  // namespace

CompileResult compile(const Scenario& s, PagingMode mode, const CompileOptions& options) {
    CompileResult out;
    Compiler c(s, mode, options, out);
    c.run();
    return out;
}

}  // namespace pagewalk::host::scenario
