// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the result of booting a guest once, the same for every backend.
#pragma once

#include <cstdint>
#include <pagewalk/harness/decoder.hpp>
#include <pagewalk/harness/stream.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pagewalk::host {

/// How a run ended. Only `passed` is a pass: a complete, well-formed stream whose final record says ok.
enum class Outcome {
    passed,
    guest_failed,     ///< complete stream, but the guest's final status is not ok
    protocol_error,   ///< a record failed to decode, or the stream is malformed (sequence, digest, count)
    early_stop,       ///< the guest stopped (exit / halt) without sending a final record
    triple_fault,     ///< KVM_EXIT_SHUTDOWN, or QEMU reset with -no-reboot
    internal_error,   ///< KVM_EXIT_INTERNAL_ERROR (e.g. kvm_pvm emulation failure)
    fail_entry,       ///< KVM_EXIT_FAIL_ENTRY: invalid guest state
    mmio,             ///< access to guest-physical memory with no RAM behind it
    halted,           ///< HLT with interrupts off, without the exit port
    timeout,          ///< the watchdog stopped it
    launch_error,     ///< could not even start (no /dev/kvm, bad ELF, no QEMU…)
    unexpected_exit,  ///< any other VM exit
    interrupted,      ///< pagewalk received SIGINT, SIGTERM or SIGHUP and ended the run
};
std::string_view to_string(Outcome o);

/// One record as received, with its arrival time since the backend started the VM.
struct ReceivedRecord {
    harness::DecodedRecord record;
    double ms = 0;
};

/// Everything a run produced; printable by format_result().
struct RunResult {
    std::string backend;  ///< backend_name() of the backend that ran it; "serial" for a COM1 capture
    std::string entry;    ///< entry path used ("multiboot1 (32-bit)", "direct64")
    Outcome outcome = Outcome::launch_error;
    std::string detail;  ///< why, in words, for anything but passed
    std::vector<ReceivedRecord> records;
    harness::StreamError stream = harness::StreamError::no_final;
    std::int64_t exit_status = -1;  ///< guest's exit-port value, -1 when none
    std::string console;            ///< non-record serial / COM1 text
    std::string registers;          ///< register dump at the end (failures)
    double setup_ms = 0;            ///< backend start → first instruction (VM, memory, load, vCPU)
    double first_record_ms = -1;    ///< backend start → first record
    double total_ms = 0;
    [[nodiscard]] bool passed() const { return outcome == Outcome::passed; }
};

/// Decodes records from either transport, keeps them, checks the stream. One per run.
class RecordCollector {
public:
    explicit RecordCollector(RunResult& result) : result_(result) {}
    /// Record bytes read from guest memory (KVM hypercall). False on a decode or stream error.
    bool add_bytes(const std::uint8_t* data, std::size_t size, double ms);
    /// One serial line: a record line is decoded; other text goes to result.console. False on error.
    bool add_line(std::string_view line, double ms);
    [[nodiscard]] bool failed() const { return failed_; }
    [[nodiscard]] bool final_seen() const { return checker_.final_seen(); }
    /// Sets result.outcome/detail from the stream when no harder outcome (crash, timeout…) was set already.
    void finish(bool hard_outcome_set);

private:
    bool fail(std::string why);
    RunResult& result_;
    harness::StreamChecker checker_;
    bool failed_ = false;
};

/// A walker prediction in words: "ok pa=0x… (level 1)", "#PF err=0x7 (P W U) at level 1", "#GP".
std::string format_prediction(const harness::Prediction& p);
/// One line per record, e.g. `#3 exception step 1: #PF err=0x7 (P W U) cr2=0x… rip=0x… cpl=3`.
std::string format_record(const harness::DecodedRecord& r);
/// Multi-line report: outcome, detail, timings, records (all, or the last `last_records` on failure), registers.
std::string format_result(const RunResult& r, bool verbose);

}  // namespace pagewalk::host
