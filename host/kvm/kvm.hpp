// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: thin RAII wrappers over the /dev/kvm ioctls (Linux Documentation/virt/kvm/api.rst).
//
// No library in between: KvmSystem opens /dev/kvm, Vm owns a VM and its guest RAM (one memory slot at GPA 0),
// Vcpu owns a vCPU and its mmap'ed kvm_run area. Failures come back as Error values with errno text.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvm/guest_memory.hpp"
#include "util/expected.hpp"
#include "util/fd.hpp"

namespace pagewalk::host::kvm {

/// An open /dev/kvm: API version checked, vCPU mmap size and supported CPUID known.
class KvmSystem {
public:
    /// `path` null: $PAGEWALK_KVM_DEVICE if set (tests point it at a missing file), else /dev/kvm.
    static Expected<std::shared_ptr<KvmSystem>> open(const char* path = nullptr);
    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] std::size_t vcpu_mmap_size() const { return vcpu_mmap_size_; }
    /// KVM_GET_SUPPORTED_CPUID: what this KVM can expose to a guest.
    [[nodiscard]] const std::vector<kvm_cpuid_entry2>& supported_cpuid() const { return cpuid_; }
    /// Where supported_cpuid() came from: "KVM_GET_SUPPORTED_CPUID", or the host CPUID instruction with the reason
    /// (kvm_pvm answers EINVAL to KVM_GET_SUPPORTED_CPUID).
    [[nodiscard]] const std::string& cpuid_source() const { return cpuid_source_; }
    /// KVM_CHECK_EXTENSION on the system fd (0 = absent).
    [[nodiscard]] int check_extension(int cap) const;
    /// The supported CPUID entry for (leaf, subleaf), if any.
    [[nodiscard]] const kvm_cpuid_entry2* cpuid(std::uint32_t leaf, std::uint32_t index = 0) const;

private:
    Fd fd_;
    std::size_t vcpu_mmap_size_ = 0;
    std::vector<kvm_cpuid_entry2> cpuid_;
    std::string cpuid_source_;
};

/// The CPUID leaves the host CPU itself reports, in KVM_SET_CPUID2 form (fallback when KVM will not say).
std::vector<kvm_cpuid_entry2> host_cpuid_entries();

/// One virtual CPU. Not thread-safe except kick(), which the watchdog calls from another thread.
class Vcpu {
public:
    Vcpu(Fd fd, kvm_run* run, std::size_t run_size) : fd_(std::move(fd)), run_(run), run_size_(run_size) {}
    Vcpu(const Vcpu&) = delete;
    Vcpu& operator=(const Vcpu&) = delete;
    ~Vcpu();
    [[nodiscard]] kvm_run& run_area() { return *run_; }
    /// KVM_RUN once. Returns false with errno kept in `*err` when the ioctl failed (EINTR after a kick).
    bool run(int* err);
    Expected<kvm_regs> regs() const;
    Expected<kvm_sregs> sregs() const;
    Status set_regs(const kvm_regs& r);
    Status set_sregs(const kvm_sregs& s);
    Status set_cpuid(const std::vector<kvm_cpuid_entry2>& entries);
    /// KVM_TRANSLATE: linear → guest-physical under the vCPU's current paging.
    Expected<std::uint64_t> translate(std::uint64_t linear) const;
    /// KVM_TRANSLATE with its whole answer (valid flag included); an Error only when the ioctl fails.
    Expected<kvm_translation> translate_full(std::uint64_t linear) const;
    /// Make a running KVM_RUN return soon (sets immediate_exit; the caller also signals the vCPU thread).
    void request_immediate_exit() { __atomic_store_n(&run_->immediate_exit, 1, __ATOMIC_SEQ_CST); }

private:
    Fd fd_;
    kvm_run* run_;
    std::size_t run_size_;
};

/// One VM with `memory_size` bytes of RAM at guest-physical 0 (slot 0).
class Vm {
public:
    static Expected<std::unique_ptr<Vm>> create(std::shared_ptr<KvmSystem> kvm, std::uint64_t memory_size);
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;
    ~Vm();
    [[nodiscard]] const GuestMemory& memory() const { return memory_; }
    [[nodiscard]] KvmSystem& system() const { return *kvm_; }
    /// Creates vCPU 0 with the supported CPUID installed (KVM needs CPUID.80000001H:EDX.LM for EFER.LME).
    Expected<std::unique_ptr<Vcpu>> create_vcpu();

private:
    Vm(std::shared_ptr<KvmSystem> kvm, Fd fd) : kvm_(std::move(kvm)), fd_(std::move(fd)) {}
    std::shared_ptr<KvmSystem> kvm_;
    Fd fd_;
    void* ram_ = nullptr;
    std::uint64_t ram_size_ = 0;
    GuestMemory memory_;
};

/// "ioctl NAME failed: strerror(errno)".
Error ioctl_error(const char* what, int err);
/// Human name of a KVM_EXIT_* reason.
std::string exit_reason_name(std::uint32_t reason);

}  // namespace pagewalk::host::kvm
