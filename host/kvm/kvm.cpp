// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/kvm.hpp"

#include <cpuid.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace pagewalk::host::kvm {
namespace {

// The uapi header's __DECLARE_FLEX_ARRAY makes sizeof(kvm_cpuid2) 12 in C++ (Linux 6.1 headers), which changes
// the ioctl numbers and the entries' offset. The kernel's struct is {u32 nent; u32 padding; entries[]}: 8 bytes.
constexpr std::size_t kCpuid2Header = 8;
constexpr unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kCpuid2Header);
constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kCpuid2Header);

std::vector<std::uint8_t> cpuid_buffer(std::uint32_t n) {
    std::vector<std::uint8_t> buf(kCpuid2Header + n * sizeof(kvm_cpuid_entry2));
    std::memcpy(buf.data(), &n, 4);
    return buf;
}

/// What to do about EACCES on the KVM device: join its group — or, when its group may not use it either (a device
/// for root only), first a udev rule that opens it to the kvm group.
std::string access_fix(const char* path) {
    struct stat st {};
    const group* g = ::stat(path, &st) == 0 ? ::getgrgid(st.st_gid) : nullptr;
    const std::string name = g != nullptr ? g->gr_name : "kvm";
    if (g != nullptr && (st.st_mode & S_IRWXG) != 0 && name != "root")
        return " (this user may not use KVM: `sudo usermod -aG " + name + " $USER`, then log in again)";
    return std::string(" (") + path +
           " is for root only here: a udev rule such as KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\" opens it to "
           "the kvm group; then `sudo usermod -aG kvm $USER` and log in again)";
}

}  // namespace

Error ioctl_error(const char* what, int err) {
    return Error{std::string(what) + " failed: " + std::strerror(err)};
}

Expected<std::shared_ptr<KvmSystem>> KvmSystem::open(const char* path) {
    if (path == nullptr) {
        const char* env = std::getenv("PAGEWALK_KVM_DEVICE");
        path = env != nullptr && *env != '\0' ? env : "/dev/kvm";
    }
    auto sys = std::make_shared<KvmSystem>();
    sys->fd_ = Fd(::open(path, O_RDWR | O_CLOEXEC));
    if (!sys->fd_.valid()) {
        const int err = errno;
        std::string why = std::string("cannot open ") + path + ": " + std::strerror(err);
        // The usual cause on a desktop: the user is not in the group that owns /dev/kvm.
        if (err == EACCES) why += access_fix(path);
        return Error{why};
    }
    const int version = ::ioctl(sys->fd(), KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        return Error{"KVM API version " + std::to_string(version) + ", expected " + std::to_string(KVM_API_VERSION)};
    const int mmap_size = ::ioctl(sys->fd(), KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < static_cast<int>(sizeof(kvm_run))) return ioctl_error("KVM_GET_VCPU_MMAP_SIZE", errno);
    sys->vcpu_mmap_size_ = static_cast<std::size_t>(mmap_size);
    // KVM_GET_SUPPORTED_CPUID: grow the buffer until it fits (E2BIG). Some KVMs (kvm_pvm) refuse it: then the
    // host's own CPUID stands in, and the capability probe says so.
    int err = 0;
    for (std::uint32_t n = 64; n <= 4096; n *= 2) {
        auto buf = cpuid_buffer(n);
        if (::ioctl(sys->fd(), kGetSupportedCpuid, buf.data()) == 0) {
            std::uint32_t got = 0;
            std::memcpy(&got, buf.data(), 4);
            sys->cpuid_.resize(std::min(got, n));
            std::memcpy(sys->cpuid_.data(), buf.data() + kCpuid2Header, sys->cpuid_.size() * sizeof(kvm_cpuid_entry2));
            sys->cpuid_source_ = "KVM_GET_SUPPORTED_CPUID";
            return sys;
        }
        err = errno;
        if (err != E2BIG) break;
    }
    sys->cpuid_ = host_cpuid_entries();
    sys->cpuid_source_ = "host CPUID instruction (" + ioctl_error("KVM_GET_SUPPORTED_CPUID", err).message + ")";
    return sys;
}

std::vector<kvm_cpuid_entry2> host_cpuid_entries() {
    std::vector<kvm_cpuid_entry2> out;
    auto add = [&](std::uint32_t leaf, std::uint32_t index, bool indexed) {
        kvm_cpuid_entry2 e{};
        e.function = leaf;
        e.index = index;
        e.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
        __cpuid_count(leaf, index, e.eax, e.ebx, e.ecx, e.edx);
        out.push_back(e);
    };
    std::uint32_t a = 0, b = 0, c = 0, d = 0;
    __cpuid(0, a, b, c, d);
    const std::uint32_t max_basic = std::min(a, 0x1fu);
    for (std::uint32_t leaf = 0; leaf <= max_basic; ++leaf) {
        const bool indexed = leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd || leaf == 0x1f;
        add(leaf, 0, indexed);
        if (leaf == 7 || leaf == 0xd) add(leaf, 1, true);
    }
    __cpuid(0x80000000u, a, b, c, d);
    const std::uint32_t max_ext = std::min(a, 0x80000021u);
    for (std::uint32_t leaf = 0x80000000u; leaf <= max_ext; ++leaf) add(leaf, 0, false);
    return out;
}

int KvmSystem::check_extension(int cap) const {
    const int r = ::ioctl(fd(), KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

const kvm_cpuid_entry2* KvmSystem::cpuid(std::uint32_t leaf, std::uint32_t index) const {
    for (const auto& e : cpuid_)
        if (e.function == leaf && ((e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) == 0 || e.index == index)) return &e;
    return nullptr;
}

Expected<std::unique_ptr<Vm>> Vm::create(std::shared_ptr<KvmSystem> kvm, std::uint64_t memory_size) {
    if (memory_size == 0 || memory_size % 4096 != 0 || memory_size > (std::uint64_t{1} << 32))
        return Error{"guest memory size must be a multiple of 4 KiB in (0, 4 GiB]"};
    Fd fd(::ioctl(kvm->fd(), KVM_CREATE_VM, 0));
    if (!fd.valid()) return ioctl_error("KVM_CREATE_VM", errno);
    std::unique_ptr<Vm> vm(new Vm(std::move(kvm), std::move(fd)));
    void* ram =
        ::mmap(nullptr, memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) return Error{std::string("mmap guest memory: ") + std::strerror(errno)};
    vm->ram_ = ram;
    vm->ram_size_ = memory_size;
    kvm_userspace_memory_region region{};
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = memory_size;
    region.userspace_addr = reinterpret_cast<std::uint64_t>(ram);
    if (::ioctl(vm->fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0)
        return ioctl_error("KVM_SET_USER_MEMORY_REGION", errno);
    vm->memory_ = GuestMemory(static_cast<std::uint8_t*>(ram), 0, memory_size);
    return vm;
}

Vm::~Vm() {
    if (ram_ != nullptr) ::munmap(ram_, ram_size_);
}

Expected<std::unique_ptr<Vcpu>> Vm::create_vcpu() {
    Fd fd(::ioctl(fd_.get(), KVM_CREATE_VCPU, 0));
    if (!fd.valid()) return ioctl_error("KVM_CREATE_VCPU", errno);
    void* run = ::mmap(nullptr, kvm_->vcpu_mmap_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (run == MAP_FAILED) return Error{std::string("mmap kvm_run: ") + std::strerror(errno)};
    auto vcpu = std::make_unique<Vcpu>(std::move(fd), static_cast<kvm_run*>(run), kvm_->vcpu_mmap_size());
    if (auto s = vcpu->set_cpuid(kvm_->supported_cpuid()); !s) return Error{s.error()};
    return vcpu;
}

Vcpu::~Vcpu() {
    ::munmap(run_, run_size_);
}

bool Vcpu::run(int* err) {
    if (::ioctl(fd_.get(), KVM_RUN, 0) == 0) return true;
    *err = errno;
    return false;
}

Expected<kvm_regs> Vcpu::regs() const {
    kvm_regs r{};
    if (::ioctl(fd_.get(), KVM_GET_REGS, &r) != 0) return ioctl_error("KVM_GET_REGS", errno);
    return r;
}

Expected<kvm_sregs> Vcpu::sregs() const {
    kvm_sregs s{};
    if (::ioctl(fd_.get(), KVM_GET_SREGS, &s) != 0) return ioctl_error("KVM_GET_SREGS", errno);
    return s;
}

Status Vcpu::set_regs(const kvm_regs& r) {
    if (::ioctl(fd_.get(), KVM_SET_REGS, &r) != 0) return ioctl_error("KVM_SET_REGS", errno);
    return ok_status();
}

Status Vcpu::set_sregs(const kvm_sregs& s) {
    if (::ioctl(fd_.get(), KVM_SET_SREGS, &s) != 0) return ioctl_error("KVM_SET_SREGS", errno);
    return ok_status();
}

Status Vcpu::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) {
    auto buf = cpuid_buffer(static_cast<std::uint32_t>(entries.size()));
    std::memcpy(buf.data() + kCpuid2Header, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
    if (::ioctl(fd_.get(), kSetCpuid2, buf.data()) != 0) return ioctl_error("KVM_SET_CPUID2", errno);
    return ok_status();
}

Expected<std::uint64_t> Vcpu::translate(std::uint64_t linear) const {
    kvm_translation t{};
    t.linear_address = linear;
    if (::ioctl(fd_.get(), KVM_TRANSLATE, &t) != 0) return ioctl_error("KVM_TRANSLATE", errno);
    if (!t.valid) return Error{"KVM_TRANSLATE: linear address not mapped"};
    return static_cast<std::uint64_t>(t.physical_address);
}

Expected<kvm_translation> Vcpu::translate_full(std::uint64_t linear) const {
    kvm_translation t{};
    t.linear_address = linear;
    if (::ioctl(fd_.get(), KVM_TRANSLATE, &t) != 0) return ioctl_error("KVM_TRANSLATE", errno);
    return t;
}

std::string exit_reason_name(std::uint32_t reason) {
    switch (reason) {
        case KVM_EXIT_UNKNOWN:
            return "KVM_EXIT_UNKNOWN";
        case KVM_EXIT_EXCEPTION:
            return "KVM_EXIT_EXCEPTION";
        case KVM_EXIT_IO:
            return "KVM_EXIT_IO";
        case KVM_EXIT_HYPERCALL:
            return "KVM_EXIT_HYPERCALL";
        case KVM_EXIT_DEBUG:
            return "KVM_EXIT_DEBUG";
        case KVM_EXIT_HLT:
            return "KVM_EXIT_HLT";
        case KVM_EXIT_MMIO:
            return "KVM_EXIT_MMIO";
        case KVM_EXIT_SHUTDOWN:
            return "KVM_EXIT_SHUTDOWN";
        case KVM_EXIT_FAIL_ENTRY:
            return "KVM_EXIT_FAIL_ENTRY";
        case KVM_EXIT_INTR:
            return "KVM_EXIT_INTR";
        case KVM_EXIT_INTERNAL_ERROR:
            return "KVM_EXIT_INTERNAL_ERROR";
        case KVM_EXIT_SYSTEM_EVENT:
            return "KVM_EXIT_SYSTEM_EVENT";
        default:
            return "KVM_EXIT_" + std::to_string(reason);
    }
}

}  // namespace pagewalk::host::kvm
