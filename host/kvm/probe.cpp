// SPDX-License-Identifier: MIT OR Apache-2.0
#include "kvm/probe.hpp"

#include <cstring>
#include <functional>
#include <mutex>
#include <span>

#include "kvm/entry_state.hpp"
#include "kvm/layout.hpp"

extern "C" {
#define PW_SNIPPET(name) extern const unsigned char pw_probe_##name##_begin[], pw_probe_##name##_end[];
PW_SNIPPET(pm32)
PW_SNIPPET(paging32)
PW_SNIPPET(pae)
PW_SNIPPET(long_from32)
PW_SNIPPET(long64)
PW_SNIPPET(gbpage)
PW_SNIPPET(cr4_fetch_user)
PW_SNIPPET(user_code)
PW_SNIPPET(smap)
PW_SNIPPET(pku)
PW_SNIPPET(nx)
#undef PW_SNIPPET
}

namespace pagewalk::host::kvm {
namespace {

// Fixed addresses shared with probe_snippets.S.
constexpr std::uint64_t kCode = 0x10000, kGdtr = 0xa800, kPd32 = 0x20000, kPdptPae = 0x21000, kPdPae = 0x22000,
                        kPml5 = 0x23000, kUserPage = 0x200000, kProbeMemory = 4ull << 20;
constexpr std::uint16_t kPort = 0x5057;
constexpr std::uint32_t kGbMarker = 0x1ab0c0de;

#define SNIPPET(name) std::span<const unsigned char>(pw_probe_##name##_begin, pw_probe_##name##_end)

/// What one probe VM did.
struct ProbeRun {
    std::string setup_error;  ///< non-empty when the VM could not even be set up
    int stage = 0;            ///< last stage reported
    std::uint32_t last_value = 0;
    std::uint32_t exit_reason = KVM_EXIT_UNKNOWN;
    std::string describe() const {
        if (!setup_error.empty()) return setup_error;
        return exit_reason_name(exit_reason) + " after stage " + std::to_string(stage);
    }
};

using Setup = std::function<Status(Vm&, Vcpu&)>;

ProbeRun run_probe(const std::shared_ptr<KvmSystem>& kvm, std::span<const unsigned char> code, const Setup& setup) {
    ProbeRun out;
    auto vm = Vm::create(kvm, kProbeMemory);
    if (!vm) return ProbeRun{vm.error()};
    auto vcpu = (*vm)->create_vcpu();
    if (!vcpu) return ProbeRun{vcpu.error()};
    if (!(*vm)->memory().write(kCode, code.data(), code.size())) return ProbeRun{"probe code does not fit"};
    if (auto st = setup(**vm, **vcpu); !st) return ProbeRun{st.error()};
    for (int exits = 0; exits < 64; ++exits) {
        int err = 0;
        if (!(*vcpu)->run(&err)) {
            out.setup_error = ioctl_error("KVM_RUN", err).message;
            return out;
        }
        kvm_run& run = (*vcpu)->run_area();
        out.exit_reason = run.exit_reason;
        if (run.exit_reason == KVM_EXIT_IO && run.io.direction == KVM_EXIT_IO_OUT && run.io.port == kPort &&
            run.io.size == 4) {
            std::uint32_t v = 0;
            std::memcpy(&v, reinterpret_cast<const std::uint8_t*>(&run) + run.io.data_offset, 4);
            out.last_value = v;
            if (v < 16) out.stage = static_cast<int>(v);
            continue;
        }
        return out;
    }
    out.setup_error = "probe did not stop after 64 exits";
    return out;
}

EntryRegisters at_code(std::uint64_t rbx = 0) {
    EntryRegisters r;
    r.rip = kCode;
    r.rbx = rbx;
    return r;
}

Status pm32(Vm&, Vcpu& v) {
    return enter_protected_mode32(v, at_code());
}

Status long64(Vm& vm, Vcpu& v) {
    return enter_long_mode64(v, vm.memory(), at_code(), kProbeMemory);
}

/// Long mode with PML4E/PDPTE user, PDE 0 supervisor (our code), PDE 1 = user page at 2 MiB with user code.
Setup long64_user_page(std::uint64_t rbx, std::uint64_t pde1_extra = 0) {
    return [=](Vm& vm, Vcpu& v) -> Status {
        if (auto st = enter_long_mode64(v, vm.memory(), at_code(rbx), kProbeMemory); !st) return st;
        const auto& m = vm.memory();
        const auto uc = SNIPPET(user_code);
        bool ok = m.write_value<std::uint64_t>(LowMemory::pml4, LowMemory::pdpt | 7) &&
                  m.write_value<std::uint64_t>(LowMemory::pdpt, LowMemory::pd | 7) &&
                  m.write_value<std::uint64_t>(LowMemory::pd + 8, kUserPage | 0x87 | pde1_extra) &&
                  m.write(kUserPage, uc.data(), uc.size());
        return ok ? ok_status() : Status{Error{"cannot write probe tables"}};
    };
}

void add(KvmCapabilities& caps, std::string name, bool cpuid, bool works, std::string reason) {
    caps.rows.push_back(Capability{std::move(name), cpuid, works, std::move(reason)});
}

bool bit(const kvm_cpuid_entry2* e, int reg, int n) {
    if (e == nullptr) return false;
    const std::uint32_t v[4] = {e->eax, e->ebx, e->ecx, e->edx};
    return ((v[reg] >> n) & 1u) != 0;
}
enum { EAX, EBX, ECX, EDX };

/// Row for "is this CR4/EFER feature enforced": stages as in probe_snippets.S.
void enforcement_row(KvmCapabilities& caps, const std::string& name, bool cpuid, const ProbeRun& r, int accepted,
                     int enforced_stop, int not_enforced, const std::string& what) {
    if (!r.setup_error.empty()) return add(caps, name, cpuid, false, r.setup_error);
    if (r.stage >= not_enforced) return add(caps, name, cpuid, false, what + " not enforced (" + r.describe() + ")");
    if (r.stage == enforced_stop && r.exit_reason == KVM_EXIT_SHUTDOWN)
        return add(caps, name, cpuid, true, "enforced: fault → " + r.describe());
    if (r.stage < accepted) return add(caps, name, cpuid, false, "control bit refused: " + r.describe());
    add(caps, name, cpuid, false, "unexpected: " + r.describe());
}

}  // namespace

const char* paging_row(PagingMode mode) {
    switch (mode) {
        case PagingMode::legacy32:
            return "paging32";
        case PagingMode::pae:
            return "pae";
        case PagingMode::long4:
            return "long64";
        case PagingMode::long5:
            return "la57";
        case PagingMode::disabled:
            break;
    }
    return nullptr;
}

const Capability* KvmCapabilities::find(const std::string& name) const {
    for (const auto& c : rows)
        if (c.name == name) return &c;
    return nullptr;
}

bool KvmCapabilities::has(const std::string& name) const {
    const Capability* c = find(name);
    return c != nullptr && c->works;
}

bool kvm_can_enter_32bit(const std::shared_ptr<KvmSystem>& kvm) {
    static std::once_flag once;
    static bool result = false;
    std::call_once(once, [&] {
        const ProbeRun a = run_probe(kvm, SNIPPET(pm32), pm32);
        if (a.stage != 1) return;
        const ProbeRun b = run_probe(kvm, SNIPPET(long_from32), [](Vm& vm, Vcpu& v) -> Status {
            const std::uint64_t gdt[4] = {0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull, 0x00af9b000000ffffull};
            const std::uint16_t limit = sizeof gdt - 1;
            const std::uint32_t base = LowMemory::gdt;
            const auto& m = vm.memory();
            if (!m.write(LowMemory::gdt, gdt, sizeof gdt) || !m.write_value(kGdtr, limit) ||
                !m.write_value(kGdtr + 2, base))
                return Error{"cannot write probe GDT"};
            if (auto st = write_identity_map(m, kProbeMemory); !st) return st;
            return enter_protected_mode32(v, at_code());
        });
        result = b.stage == 3;
    });
    return result;
}

KvmCapabilities probe_kvm(const std::shared_ptr<KvmSystem>& kvm) {
    KvmCapabilities caps;
    caps.available = true;
    const kvm_cpuid_entry2* l0 = kvm->cpuid(0);
    const kvm_cpuid_entry2* l1 = kvm->cpuid(1);
    const kvm_cpuid_entry2* l7 = kvm->cpuid(7, 0);
    const kvm_cpuid_entry2* e1 = kvm->cpuid(0x80000001);
    const kvm_cpuid_entry2* e8 = kvm->cpuid(0x80000008);
    if (l0 != nullptr) {
        char v[13] = {};
        std::memcpy(v, &l0->ebx, 4);
        std::memcpy(v + 4, &l0->edx, 4);
        std::memcpy(v + 8, &l0->ecx, 4);
        caps.vendor = v;
    }
    caps.maxphyaddr = e8 != nullptr ? (e8->eax & 0xff) : 36;
    caps.cpuid_source = kvm->cpuid_source();

    const ProbeRun pm = run_probe(kvm, SNIPPET(pm32), pm32);
    add(caps, "pm32", true, pm.stage == 1,
        pm.stage == 1 ? "32-bit protected mode without paging runs (multiboot state)" : pm.describe());

    const ProbeRun p32 = run_probe(kvm, SNIPPET(paging32), [](Vm& vm, Vcpu& v) -> Status {
        // One 4 MiB PDE (PS = 1) identity-maps 0..4 MiB (SDM Vol. 3A §4.3, Table 4-4).
        if (!vm.memory().write_value<std::uint32_t>(kPd32, 0x83)) return Error{"cannot write PD"};
        return enter_protected_mode32(v, at_code());
    });
    add(caps, "paging32", bit(l1, EDX, 3), p32.stage == 2,
        p32.stage == 2 ? "guest enabled 32-bit paging (CR4.PSE) and ran on"
                       : "guest set CR0.PG (32-bit paging): " + p32.describe() + " (stage 1 = protected mode ran)");

    const ProbeRun pae = run_probe(kvm, SNIPPET(pae), [](Vm& vm, Vcpu& v) -> Status {
        // PDPTE: only P (bits 2:1 reserved, SDM Vol. 3A §4.4.1); PDE 0 = 2 MiB page at 0.
        const auto& m = vm.memory();
        if (!m.write_value<std::uint64_t>(kPdptPae, kPdPae | 1) || !m.write_value<std::uint64_t>(kPdPae, 0x83) ||
            !m.write_value<std::uint64_t>(kPdPae + 8, 0x200083))
            return Error{"cannot write PAE tables"};
        return enter_protected_mode32(v, at_code());
    });
    add(caps, "pae", bit(l1, EDX, 6), pae.stage == 2,
        pae.stage == 2 ? "guest enabled PAE paging and ran on"
                       : "guest set CR0.PG (PAE paging): " + pae.describe() + " (stage 1 = protected mode ran)");

    const bool from32 = kvm_can_enter_32bit(kvm);
    add(caps, "long_from32", bit(e1, EDX, 29), from32,
        from32 ? "guest entered IA-32e mode from 32-bit protected mode itself"
               : "guest cannot enter long mode from protected mode: the launcher uses the direct 64-bit entry");

    const ProbeRun l64 = run_probe(kvm, SNIPPET(long64), long64);
    add(caps, "long64", bit(e1, EDX, 29), l64.stage == 1,
        l64.stage == 1 ? "host-initialised 64-bit mode runs (direct entry)" : l64.describe());

    const bool la57_cpuid = bit(l7, ECX, 16);
    if (la57_cpuid) {
        const ProbeRun r = run_probe(kvm, SNIPPET(long64), [](Vm& vm, Vcpu& v) -> Status {
            if (auto st = long64(vm, v); !st) return st;
            if (!vm.memory().write_value<std::uint64_t>(kPml5, LowMemory::pml4 | 3)) return Error{"cannot write PML5"};
            auto s = v.sregs();
            if (!s) return Error{s.error()};
            s->cr3 = kPml5;
            s->cr4 |= cr4::la57;
            return v.set_sregs(*s);
        });
        add(caps, "la57", true, r.stage == 1, r.stage == 1 ? "5-level paging runs" : r.describe());
    } else {
        add(caps, "la57", false, false, "CPUID.(7,0):ECX.LA57 = 0");
    }

    const ProbeRun gb = run_probe(kvm, SNIPPET(gbpage), [](Vm& vm, Vcpu& v) -> Status {
        if (auto st = long64(vm, v); !st) return st;
        // PDPTE 1 with PS = 1: linear 1 GiB → physical 0 (SDM Vol. 3A §4.5, Table 4-16).
        if (!vm.memory().write_value<std::uint64_t>(LowMemory::pdpt + 8, 0x83)) return Error{"cannot write PDPTE"};
        return ok_status();
    });
    const bool gb_ok = gb.last_value == kGbMarker;
    add(caps, "1gb_pages", bit(e1, EDX, 26), gb_ok,
        gb_ok ? "read through a 1 GiB page (PDPTE.PS = 1)"
              : "read through a PDPTE with PS = 1 faulted (reserved bit without 1 GiB pages): " + gb.describe());

    const ProbeRun nx = run_probe(kvm, SNIPPET(nx), long64_user_page(0, 1ull << 63));
    enforcement_row(caps, "nx", bit(e1, EDX, 20), nx, 2, 2, 3, "XD");

    const ProbeRun smep = run_probe(kvm, SNIPPET(cr4_fetch_user), long64_user_page(cr4::smep));
    enforcement_row(caps, "smep", bit(l7, EBX, 7), smep, 2, 2, 3, "SMEP");

    const ProbeRun smap = run_probe(kvm, SNIPPET(smap), long64_user_page(cr4::smap));
    enforcement_row(caps, "smap", bit(l7, EBX, 20), smap, 2, 3, 4, "SMAP");

    const ProbeRun pku = run_probe(kvm, SNIPPET(pku), long64_user_page(0));
    if (pku.stage == 2 && (pku.exit_reason == KVM_EXIT_SHUTDOWN || pku.exit_reason == KVM_EXIT_INTERNAL_ERROR))
        add(caps, "pku", bit(l7, ECX, 3), false,
            "CR4.PKE accepted, but WRPKRU failed: no usable PKU (" + pku.describe() + ")");
    else
        enforcement_row(caps, "pku", bit(l7, ECX, 3), pku, 2, 3, 4, "PKRU.AD");

    const ProbeRun pcid = run_probe(kvm, SNIPPET(cr4_fetch_user), long64_user_page(cr4::pcide));
    add(caps, "pcid", bit(l1, ECX, 17), pcid.stage >= 2,
        pcid.stage >= 2 ? "CR4.PCIDE accepted" : "CR4.PCIDE refused: " + pcid.describe());
    return caps;
}

}  // namespace pagewalk::host::kvm
