// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: check (c) — the cross-check from outside. When the guest announces an access (and waits), the host
// walks the guest's live page tables with the same walker over guest-physical memory, using the vCPU's control
// registers (KVM_GET_SREGS; under QEMU its monitor's `info registers`), and compares the result with the guest's
// prediction and with KVM_TRANSLATE's address (its "writeable" answer is always 1, so it is not compared).
//
// PAE paging: the CPU translates through its four PDPTE registers, loaded at each MOV to CR3 (and some MOVs to
// CR0/CR4), not through the PDPT in memory (Intel SDM Vol. 3A §4.4.1) — and QEMU 7.2 even writes bit 5 of the
// in-memory PDPTEs. So the checker keeps its own PDPTE registers: at each control_write record that loads them it
// predicts the load with its own walker from the PDPT values the guest read just before the write (a reserved bit:
// #GP), compares with the guest's prediction, and then follows the CPU as the guest does: the registers take the
// PDPT values when the write completed and keep theirs when it raised an exception.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/pagewalk.hpp>
#include <string>
#include <vector>

#include "check/findings.hpp"
#include "run/boot_options.hpp"

namespace pagewalk::host::check {

/// The CPU the guest saw, from its hello record's CPUID leaves (plus features the host vouched for).
CpuFeatures cpu_from_hello(const harness::HelloRecord& h, std::uint32_t vouched_features);

/// Collects findings while a run goes on; feed it every record through BootOptions::on_record.
class LiveChecker {
public:
    explicit LiveChecker(std::uint32_t vouched_features = 0) : vouched_(vouched_features) {}

    void on_record(const harness::DecodedRecord& r, LiveGuest& guest);

    [[nodiscard]] const std::vector<Finding>& findings() const { return findings_; }
    [[nodiscard]] unsigned checked() const { return checked_; }
    [[nodiscard]] const std::string& source() const { return source_; }

private:
    void check_announce(const harness::AnnounceRecord& a, LiveGuest& guest);
    void track_pdpte_load(const harness::ControlWriteRecord& w);
    void fail(std::uint32_t step, std::string message, std::string detail = {});

    std::uint32_t vouched_;
    std::optional<CpuFeatures> cpu_;
    std::optional<std::array<std::uint64_t, 4>> pdptes_;  ///< PAE: the PDPTE registers as this checker models them
    std::vector<Finding> findings_;
    unsigned checked_ = 0;
    std::string source_;
};

}  // namespace pagewalk::host::check
