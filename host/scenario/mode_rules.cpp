// SPDX-License-Identifier: MIT OR Apache-2.0
// What a paging mode makes of a scenario's controls, steps and addresses.
#include "scenario/mode_rules.hpp"

#include <algorithm>

#include "scenario/compiler.hpp"

namespace pagewalk::host::scenario {

using harness::StepOp;
namespace ctl = harness::control;
namespace feat = harness::feature;

bool applies(const StepSpec& st, PagingMode m) {
    return st.modes.empty() || std::find(st.modes.begin(), st.modes.end(), m) != st.modes.end();
}

std::uint32_t mode_controls(std::uint32_t c, PagingMode m, bool keep_pse) {
    if (m != PagingMode::legacy32 && !keep_pse) c &= ~ctl::pse;
    if (m != PagingMode::long4 && m != PagingMode::long5) c &= ~ctl::pcide;  // PCIDs exist in IA-32e mode only
    if (m == PagingMode::legacy32) c &= ~ctl::nxe;
    return c;
}

std::uint32_t control_features(std::uint32_t c) {
    std::uint32_t f = 0;
    if (c & ctl::nxe) f |= feat::nx;
    if (c & ctl::smep) f |= feat::smep;
    if (c & ctl::smap) f |= feat::smap;
    if (c & ctl::pke) f |= feat::pku;
    if (c & ctl::pge) f |= feat::pge;
    if (c & ctl::pse) f |= feat::pse;
    if (c & ctl::pcide) f |= feat::pcid;
    return f;
}

std::uint32_t required_features(const Scenario& s, PagingMode mode) {
    std::uint32_t f = s.features | control_features(mode_controls(s.controls, mode, s.pse_explicit));
    if (mode == PagingMode::long5) f |= feat::la57;
    if (s.pkru) f |= feat::pku;
    for (const StepSpec& st : s.steps) {
        if (!applies(st, mode)) continue;
        if (st.op == StepOp::set_control) f |= control_features(mode_controls(st.control_set, mode, true));
        if (st.op == StepOp::set_control && st.pkru) f |= feat::pku;
        if (st.op == StepOp::map && st.sizes == 4) f |= feat::page1gb;
        if (st.op == StepOp::map && mode == PagingMode::legacy32 && st.sizes == 2) f |= feat::pse;
        if (st.op == StepOp::toggle_pge) f |= feat::pge;
        if (st.op == StepOp::load_cr3 && (st.pcid != 0 || !st.flush)) f |= feat::pcid;
        if (st.op == StepOp::invpcid) f |= feat::invpcid;
    }
    return f;
}

}  // namespace pagewalk::host::scenario
