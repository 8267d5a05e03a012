// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/launcher.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <mutex>
#include <pagewalk/harness/boot_header.hpp>
#include <pagewalk/harness/ports.hpp>

#include "backend/kind.hpp"
#include "kvm/elf_loader.hpp"
#include "kvm/entry_state.hpp"
#include "kvm/kvm.hpp"
#include "kvm/layout.hpp"
#include "kvm/multiboot_info.hpp"
#include "kvm/probe.hpp"
#include "kvm/vcpu_dump.hpp"
#include "kvm/watchdog.hpp"
#include "util/file.hpp"

namespace pagewalk::host::kvm {
namespace {

using harness::Ports;

Expected<std::shared_ptr<KvmSystem>> shared_kvm() {
    static std::mutex m;
    static std::shared_ptr<KvmSystem> kvm;
    std::lock_guard lock(m);
    if (kvm) return kvm;
    auto k = KvmSystem::open();
    if (!k) return Error{k.error()};
    kvm = *k;
    return kvm;
}

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

/// The stopped vCPU as a LiveGuest: guest RAM, KVM_GET_SREGS, KVM_TRANSLATE.
class KvmLiveGuest final : public LiveGuest {
public:
    KvmLiveGuest(Vm& vm, Vcpu& vcpu) : vm_(vm), vcpu_(vcpu) {}
    bool read_physical(std::uint64_t pa, void* out, std::size_t n) override { return vm_.memory().read(pa, out, n); }
    std::optional<LiveRegisters> registers() override {
        auto s = vcpu_.sregs();
        if (!s) return std::nullopt;
        return LiveRegisters{s->cr0, s->cr3, s->cr4, s->efer};
    }
    std::optional<std::optional<std::uint64_t>> translate(std::uint64_t va) override {
        auto t = vcpu_.translate_full(va);
        if (!t) return std::nullopt;
        if (!t->valid) return std::optional<std::uint64_t>{};
        return std::optional<std::uint64_t>{t->physical_address};
    }
    const char* source() const override { return "KVM_GET_SREGS + KVM_TRANSLATE"; }

private:
    Vm& vm_;
    Vcpu& vcpu_;
};

/// The run loop's state for one VM.
class Session {
public:
    Session(RunResult& result, Vm& vm, Vcpu& vcpu, const Stopwatch& clock, const RecordHook& hook)
        : result_(result), vm_(vm), vcpu_(vcpu), clock_(clock), collector_(result), hook_(hook) {}

    void run(double timeout_s) {
        Watchdog watchdog(vcpu_, timeout_s);
        for (;;) {
            int err = 0;
            const bool ok = vcpu_.run(&err);
            if (watchdog.interrupted()) {
                stop(Outcome::interrupted, "pagewalk received a signal: the VM was stopped");
                return;
            }
            if (watchdog.fired()) {
                stop(Outcome::timeout, "no exit after " + std::to_string(timeout_s) + " s (watchdog)");
                return;
            }
            if (!ok) {
                if (err == EINTR || err == EAGAIN) continue;
                stop(Outcome::unexpected_exit, ioctl_error("KVM_RUN", err).message);
                return;
            }
            if (!handle_exit()) return;
        }
    }

private:
    /// Returns false when the run is over.
    bool handle_exit() {
        kvm_run& run = vcpu_.run_area();
        switch (run.exit_reason) {
            case KVM_EXIT_IO:
                return handle_io(run);
            case KVM_EXIT_HLT:
                if (collector_.final_seen()) return finish();
                return stop(Outcome::halted, "HLT with interrupts off before the final record");
            case KVM_EXIT_SHUTDOWN:
                return stop(Outcome::triple_fault, "KVM_EXIT_SHUTDOWN: the guest triple-faulted");
            case KVM_EXIT_INTERNAL_ERROR: {
                std::string d = "KVM_EXIT_INTERNAL_ERROR suberror " + std::to_string(run.internal.suberror);
                for (std::uint32_t i = 0; i < run.internal.ndata && i < 16; ++i)
                    d += (i ? " " : ", data ") + hex(run.internal.data[i]);
                return stop(Outcome::internal_error, d + "; bytes at rip: " + bytes_at_rip(vcpu_, vm_.memory()));
            }
            case KVM_EXIT_FAIL_ENTRY:
                return stop(Outcome::fail_entry,
                            "KVM_EXIT_FAIL_ENTRY reason " + hex(run.fail_entry.hardware_entry_failure_reason));
            case KVM_EXIT_MMIO:
                return stop(Outcome::mmio, std::string("guest ") + (run.mmio.is_write ? "wrote" : "read") + " " +
                                               std::to_string(run.mmio.len) + " bytes at guest-physical " +
                                               hex(run.mmio.phys_addr) + ", outside guest RAM (" +
                                               hex(vm_.memory().size()) + " bytes)");
            default:
                return stop(Outcome::unexpected_exit, exit_reason_name(run.exit_reason));
        }
    }

    bool handle_io(kvm_run& run) {
        auto* data = reinterpret_cast<std::uint8_t*>(&run) + run.io.data_offset;
        const std::size_t bytes = std::size_t{run.io.size} * run.io.count;
        if (run.io.direction == KVM_EXIT_IO_IN) {
            std::memset(data, run.io.port == Ports::com1 + 5 ? 0x60 : 0xff, bytes);  // LSR: THRE | TEMT
            if (run.io.port == Ports::hypercall) std::memset(data, 0, bytes);        // reserved for host answers
            return true;
        }
        std::uint32_t value = 0;
        std::memcpy(&value, data, std::min<std::size_t>(run.io.size, 4));
        if (run.io.port == Ports::hypercall) {
            if (run.io.size != 4 || run.io.count != 1)
                return stop(Outcome::protocol_error, "hypercall is not a 4-byte OUT");
            return read_record(value);
        }
        if (run.io.port == Ports::exit || run.io.port == Ports::qemu_debug_exit) {
            result_.exit_status = value;
            return finish();
        }
        if (run.io.port == Ports::com1 && run.io.size == 1)
            result_.console.append(reinterpret_cast<char*>(data), run.io.count);
        return true;  // other ports (UART setup): ignored
    }

    bool read_record(std::uint32_t gpa) {
        const GuestMemory& mem = vm_.memory();
        harness::RecordHeader h{};
        const double t = clock_.ms();
        if (!mem.read(gpa, &h, sizeof h))
            return stop(Outcome::protocol_error, "hypercall record address " + hex(gpa) + " outside guest memory");
        std::uint8_t buf[harness::kMaxRecordSize];
        std::size_t n = sizeof h;
        if (h.length >= sizeof h && h.length <= harness::kMaxRecordSize) {
            if (!mem.read(gpa, buf, h.length))
                return stop(Outcome::protocol_error, "record at " + hex(gpa) + " runs past guest memory");
            n = h.length;
        } else {
            std::memcpy(buf, &h, sizeof h);  // decode() names the bad length
        }
        if (!collector_.add_bytes(buf, n, t)) return stop_keep_detail();
        if (hook_) {
            KvmLiveGuest live(vm_, vcpu_);
            hook_(result_.records.back().record, live);
        }
        return true;
    }

    bool finish() {
        collector_.finish(false);
        if (!result_.passed()) result_.registers = dump_vcpu(vcpu_, vm_.memory());
        return false;
    }

    bool stop(Outcome o, std::string detail) {
        if (!collector_.failed()) {
            result_.outcome = o;
            result_.detail = std::move(detail);
        }
        result_.registers = dump_vcpu(vcpu_, vm_.memory());
        return false;
    }
    bool stop_keep_detail() {
        result_.registers = dump_vcpu(vcpu_, vm_.memory());
        return false;
    }

    RunResult& result_;
    Vm& vm_;
    Vcpu& vcpu_;
    const Stopwatch& clock_;
    RecordCollector collector_;
    const RecordHook& hook_;
};

RunResult launch_error(RunResult r, std::string why) {
    r.outcome = Outcome::launch_error;
    r.detail = std::move(why);
    return r;
}

}  // namespace

RunResult boot_kvm(const BootOptions& options) {
    RunResult result;
    result.backend = backend_name(BackendKind::kvm);
    auto kvm = shared_kvm();
    if (!kvm) return launch_error(result, kvm.error());
    auto file = read_file(options.guest_path);
    if (!file) return launch_error(result, file.error());
    std::vector<std::uint8_t> module_bytes;
    if (options.module_path) {
        auto m = read_file(*options.module_path);
        if (!m) return launch_error(result, m.error());
        module_bytes = std::move(*m);
    }
    bool use32 = options.entry == EntryChoice::multiboot32;
    if (options.entry == EntryChoice::automatic) use32 = kvm_can_enter_32bit(*kvm);  // probed once per process

    const Stopwatch clock;
    auto vm = Vm::create(*kvm, options.memory_bytes);
    if (!vm) return launch_error(result, vm.error());
    auto vcpu = (*vm)->create_vcpu();
    if (!vcpu) return launch_error(result, vcpu.error());
    const GuestMemory& mem = (*vm)->memory();
    auto image = load_elf(*file, mem, LowMemory::image_floor);
    if (!image) return launch_error(result, options.guest_path + ": " + image.error());
    if (!image->boot_header) return launch_error(result, options.guest_path + ": no pagewalk boot header");
    const harness::BootHeader& bh = *image->boot_header;
    ModuleSpec spec{module_bytes, options.module_path.value_or("")};
    auto mb = build_multiboot_info(mem, options.cmdline, options.module_path ? &spec : nullptr, image->high);
    if (!mb) return launch_error(result, mb.error());

    EntryRegisters regs;
    regs.rax = harness::kMultiboot1BootMagic;
    regs.rbx = mb->info;
    regs.rcx = harness::kLauncherMarker;
    Status st = ok_status();
    if (use32) {
        result.entry = "multiboot1 32-bit entry";
        regs.rip = bh.entry32;
        st = enter_protected_mode32(**vcpu, regs);
    } else {
        result.entry = "direct 64-bit entry";
        regs.rip = bh.entry64;
        st = enter_long_mode64(**vcpu, mem, regs, std::min<std::uint64_t>(bh.identity_map_bytes, 4ull << 30));
    }
    if (!st) return launch_error(result, st.error());
    result.setup_ms = clock.ms();

    Session session(result, **vm, **vcpu, clock, options.on_record);
    session.run(options.timeout_s);
    result.total_ms = clock.ms();
    if (!result.records.empty() && result.records.front().record.hello() != nullptr &&
        result.records.front().record.hello()->build_id != bh.build_id && result.passed()) {
        result.outcome = Outcome::protocol_error;
        result.detail = "hello build id " + hex(result.records.front().record.hello()->build_id) +
                        " differs from the image's " + hex(bh.build_id);
    }
    return result;
}

}  // namespace pagewalk::host::kvm
