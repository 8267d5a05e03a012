// SPDX-License-Identifier: MIT OR Apache-2.0
// The CPU state paging depends on: control-register bits and the features CPUID reports.
//
// These are exactly what a hypervisor reads from a vCPU (KVM_GET_SREGS, KVM_GET_CPUID2) and what a
// kernel reads from its own registers, so a `Context` can be built the same way in both places.
#pragma once

#include <cstdint>

#include "bits.hpp"

namespace pagewalk {

/// CR0 bits (SDM Vol. 3A §2.5).
namespace cr0 {
inline constexpr std::uint64_t pe = bits::bit(0);   // protection enable
inline constexpr std::uint64_t em = bits::bit(2);   // emulation: x87 and MMX instructions raise #UD / #NM
inline constexpr std::uint64_t ts = bits::bit(3);   // task switched: x87/MMX instructions raise #NM
inline constexpr std::uint64_t et = bits::bit(4);   // extension type (reads as 1 on every CPU since the i486)
inline constexpr std::uint64_t ne = bits::bit(5);   // numeric error: native x87 error reporting
inline constexpr std::uint64_t wp = bits::bit(16);  // write protect: supervisor writes honour R/W
inline constexpr std::uint64_t am = bits::bit(18);  // alignment mask: with EFLAGS.AC, misaligned CPL-3 data is #AC
inline constexpr std::uint64_t nw = bits::bit(29);  // not write-through
inline constexpr std::uint64_t cd = bits::bit(30);  // cache disable
inline constexpr std::uint64_t pg = bits::bit(31);  // paging
// SDM Vol. 3A §2.5: bits 63:32 are reserved (MOV to CR0 with one set is #GP(0)); so is NW = 1 with CD = 0.
inline constexpr std::uint64_t reserved = bits::mask(63, 32);
}  // namespace cr0

/// CR3 fields (SDM Vol. 3A §4.3 Table 4-3, §4.4.1 Table 4-7, §4.5.2 Tables 4-12 and 4-13).
namespace cr3 {
inline constexpr std::uint64_t pwt = bits::bit(3);                  // page-level write-through (CR4.PCIDE = 0)
inline constexpr std::uint64_t pcd = bits::bit(4);                  // page-level cache disable (CR4.PCIDE = 0)
inline constexpr std::uint64_t pcid = bits::mask(11, 0);            // process-context identifier (CR4.PCIDE = 1)
inline constexpr std::uint64_t root_legacy32 = bits::mask(31, 12);  // 32-bit paging: the page directory
inline constexpr std::uint64_t root_pae = bits::mask(31, 5);        // PAE paging: the 32-byte-aligned PDPT
inline constexpr std::uint64_t root_long = bits::mask(51, 12);      // 4/5-level: the PML4/PML5 (below MAXPHYADDR)
/// Bit 63 of the value a MOV to CR3 writes with CR4.PCIDE = 1: keep the new PCID's translations (§4.10.4.1);
/// never stored in CR3.
inline constexpr std::uint64_t no_flush = bits::bit(63);
}  // namespace cr3

/// CR4 bits (SDM Vol. 3A §2.5).
namespace cr4 {
inline constexpr std::uint64_t pse = bits::bit(4);             // 4 MiB pages in 32-bit paging
inline constexpr std::uint64_t pae = bits::bit(5);             // PAE / required for long mode
inline constexpr std::uint64_t pge = bits::bit(7);             // global pages
inline constexpr std::uint64_t la57 = bits::bit(12);           // 5-level paging
inline constexpr std::uint64_t pcide = bits::bit(17);          // process-context identifiers
inline constexpr std::uint64_t smep = bits::bit(20);           // supervisor-mode execution prevention
inline constexpr std::uint64_t smap = bits::bit(21);           // supervisor-mode access prevention
inline constexpr std::uint64_t pke = bits::bit(22);            // protection keys for user-mode pages
inline constexpr std::uint64_t reserved = bits::mask(63, 32);  // SDM Vol. 3A §2.5: MOV to CR4 with one set is #GP(0)
}  // namespace cr4

/// IA32_EFER bits (SDM Vol. 3A §2.2.1, MSR C000_0080H).
namespace efer {
inline constexpr std::uint64_t lme = bits::bit(8);   // long mode enable
inline constexpr std::uint64_t lma = bits::bit(10);  // long mode active (set by the CPU)
inline constexpr std::uint64_t nxe = bits::bit(11);  // execute-disable bit enable
// Reserved on Intel (SDM Vol. 3A §2.2.1, Table 2-1) and AMD (APM Vol. 2 §3.1.7) alike: WRMSR with one set is #GP.
inline constexpr std::uint64_t reserved = bits::mask(63, 32) | bits::mask(7, 1) | bits::bit(9);
}  // namespace efer

/// EFLAGS.AC (bit 18): lets explicit supervisor accesses reach user pages under SMAP (SDM §4.6.1).
inline constexpr std::uint64_t eflags_ac = bits::bit(18);

/// Model-specific registers paging depends on (SDM Vol. 4, Table 2-2).
namespace msr {
inline constexpr std::uint32_t efer = 0xc000'0080u;  // IA32_EFER
inline constexpr std::uint32_t pat = 0x277u;         // IA32_PAT
/// IA32_BIOS_SIGN_ID: bits 63:32 the loaded microcode update's revision, after writing 0 and executing CPUID(1)
/// (SDM Vol. 3A §10.11.7.1). AMD: the same MSR, PATCH_LEVEL (AMD BKDG for family 10h+, MSR0000_008B).
inline constexpr std::uint32_t bios_sign_id = 0x8bu;
}  // namespace msr

/// Power-on value of IA32_PAT (SDM Vol. 3A §13.12.4, Table 13-12): WB, WT, UC-, UC, repeated.
inline constexpr std::uint64_t pat_power_on = 0x0007'0406'0007'0406ull;

/// The registers that decide how linear addresses are translated.
struct ControlRegisters {
    std::uint64_t cr0 = 0;
    std::uint64_t cr3 = 0;
    std::uint64_t cr4 = 0;
    std::uint64_t efer = 0;
    std::uint64_t pat = pat_power_on;  // IA32_PAT: turns the PAT/PCD/PWT index into a memory type
};

/// CPU vendor: the two vendors' paging differs in small, documented ways (e.g. bit 8 of a PML4E).
enum class Vendor : std::uint8_t { intel, amd, other };

/// One CPUID answer.
struct CpuidResult {
    std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

/// Where CPUID reports each feature paging depends on (SDM Vol. 2A "CPUID", Tables 3-8 and 3-10; AMD APM Vol. 3
/// Appendix E). `has(answer)` reads the bit from the answer of `leaf`/`subleaf`.
namespace cpuid {
enum class Register : std::uint8_t { eax, ebx, ecx, edx };
struct Bit {
    std::uint32_t leaf;
    std::uint32_t subleaf;
    Register reg;
    std::uint8_t bit;

    constexpr bool has(const CpuidResult& r) const {
        const std::uint32_t v = reg == Register::eax   ? r.eax
                                : reg == Register::ebx ? r.ebx
                                : reg == Register::ecx ? r.ecx
                                                       : r.edx;
        return ((v >> bit) & 1u) != 0;
    }
    constexpr std::uint32_t mask() const { return std::uint32_t{1} << bit; }
};
inline constexpr std::uint32_t basic_max_leaf = 0;                 // EAX: the highest basic leaf
inline constexpr std::uint32_t extended_max_leaf = 0x8000'0000u;   // EAX: the highest extended leaf
inline constexpr std::uint32_t address_sizes_leaf = 0x8000'0008u;  // EAX[7:0] MAXPHYADDR, EAX[15:8] linear width
inline constexpr Bit pse{1, 0, Register::edx, 3};
inline constexpr Bit pae{1, 0, Register::edx, 6};
inline constexpr Bit pge{1, 0, Register::edx, 13};
inline constexpr Bit pat{1, 0, Register::edx, 16};
inline constexpr Bit pse36{1, 0, Register::edx, 17};
inline constexpr Bit pcid{1, 0, Register::ecx, 17};
inline constexpr Bit sse4_2{1, 0, Register::ecx, 20};  // with it the CRC32 instruction (SDM Vol. 2A "CRC32")
inline constexpr Bit smep{7, 0, Register::ebx, 7};
inline constexpr Bit invpcid{7, 0, Register::ebx, 10};
inline constexpr Bit smap{7, 0, Register::ebx, 20};
inline constexpr Bit pku{7, 0, Register::ecx, 3};
inline constexpr Bit la57{7, 0, Register::ecx, 16};
inline constexpr Bit nx{0x8000'0001u, 0, Register::edx, 20};
inline constexpr Bit page1gb{0x8000'0001u, 0, Register::edx, 26};
inline constexpr Bit long_mode{0x8000'0001u, 0, Register::edx, 29};
inline constexpr Bit hypervisor{1, 0, Register::ecx, 31};  // "not used" on hardware; set by hypervisors for guests
/// Leaf 1 EAX, the processor signature (SDM Vol. 2A "CPUID", Figure 3-6): stepping [3:0], model [7:4], family
/// [11:8], extended model [19:16], extended family [27:20].
inline constexpr std::uint32_t signature_leaf = 1;
/// Leaves 80000002H–80000004H: the processor brand string, 16 ASCII bytes each in EAX, EBX, ECX, EDX (SDM Vol. 2A
/// "CPUID", "The Processor Brand String"), NUL-padded.
inline constexpr std::uint32_t brand_string_first_leaf = 0x8000'0002u;
inline constexpr std::uint32_t brand_string_last_leaf = 0x8000'0004u;

/// Family, model and stepping as the SDM displays them (Vol. 2A "CPUID", Figure 3-6 and the note below it): the
/// family adds the extended family only when it is 0FH; the model takes the extended model as its high nibble when
/// the family is 06H or 0FH.
struct Signature {
    std::uint32_t family = 0, model = 0, stepping = 0;
};
constexpr Signature signature(std::uint32_t eax) {
    const std::uint32_t family = (eax >> 8) & 0xf, model = (eax >> 4) & 0xf;
    return {family == 0xf ? family + ((eax >> 20) & 0xff) : family,
            family == 0x6 || family == 0xf ? ((eax >> 16) & 0xf) << 4 | model : model, eax & 0xf};
}
}  // namespace cpuid

/// What the CPU supports. The defaults describe a permissive modern CPU (every feature, MAXPHYADDR 52,
/// so that no physical-address bit is reserved) — right for reading a dump of unknown origin; build it
/// `from_cpuid` to model one CPU exactly.
struct CpuFeatures {
    std::uint8_t maxphyaddr = 52;  // CPUID.80000008H:EAX[7:0]
    bool pse = true;               // CPUID.01H:EDX[3]
    bool pae = true;               // CPUID.01H:EDX[6]
    bool pge = true;               // CPUID.01H:EDX[13]
    bool pat = true;               // CPUID.01H:EDX[16]
    bool pse36 = true;             // CPUID.01H:EDX[17]
    bool pcid = true;              // CPUID.01H:ECX[17]
    bool invpcid = true;           // CPUID.(EAX=07H,ECX=0):EBX[10]
    bool smep = true;              // CPUID.(EAX=07H,ECX=0):EBX[7]
    bool smap = true;              // CPUID.(EAX=07H,ECX=0):EBX[20]
    bool pku = true;               // CPUID.(EAX=07H,ECX=0):ECX[3]
    bool la57 = true;              // CPUID.(EAX=07H,ECX=0):ECX[16]
    bool nx = true;                // CPUID.80000001H:EDX[20]
    bool page1gb = true;           // CPUID.80000001H:EDX[26]
    bool long_mode = true;         // CPUID.80000001H:EDX[29]
    Vendor vendor = Vendor::intel;

    /// Reads every field through `cpuid(leaf, subleaf) -> CpuidResult` (the CPUID instruction, or a
    /// vCPU's CPUID table). Leaves the CPU does not report read as all-zero, i.e. "not supported".
    template <class CpuidFn>
    static constexpr CpuFeatures from_cpuid(CpuidFn&& cpuid) {
        CpuFeatures f{};
        const CpuidResult l0 = cpuid(cpuid::basic_max_leaf, 0u);
        const CpuidResult l1 = l0.eax >= 1 ? cpuid(1u, 0u) : CpuidResult{};
        const CpuidResult l7 = l0.eax >= 7 ? cpuid(7u, 0u) : CpuidResult{};
        const CpuidResult e0 = cpuid(cpuid::extended_max_leaf, 0u);
        const bool has_e1 = e0.eax >= 0x8000'0001u && e0.eax <= 0x8000'ffffu;
        const bool has_e8 = e0.eax >= cpuid::address_sizes_leaf && e0.eax <= 0x8000'ffffu;
        const CpuidResult e1 = has_e1 ? cpuid(0x8000'0001u, 0u) : CpuidResult{};
        const CpuidResult e8 = has_e8 ? cpuid(cpuid::address_sizes_leaf, 0u) : CpuidResult{};
        f.pse = cpuid::pse.has(l1);
        f.pae = cpuid::pae.has(l1);
        f.pge = cpuid::pge.has(l1);
        f.pat = cpuid::pat.has(l1);
        f.pse36 = cpuid::pse36.has(l1);
        f.pcid = cpuid::pcid.has(l1);
        f.smep = cpuid::smep.has(l7);
        f.invpcid = cpuid::invpcid.has(l7);
        f.smap = cpuid::smap.has(l7);
        f.pku = cpuid::pku.has(l7);
        f.la57 = cpuid::la57.has(l7);
        f.nx = cpuid::nx.has(e1);
        f.page1gb = cpuid::page1gb.has(e1);
        f.long_mode = cpuid::long_mode.has(e1);
        // SDM Vol. 3A §4.1.4: without leaf 80000008H, MAXPHYADDR is 36 with PAE support, else 32.
        f.maxphyaddr = has_e8 ? static_cast<std::uint8_t>(e8.eax & 0xff) : (f.pae ? 36 : 32);
        // "AuthenticAMD" and "HygonGenuine" (a licensed AMD design) behave as AMD; "GenuineIntel" as Intel.
        if (l0.ebx == 0x6874'7541u && l0.edx == 0x6974'6e65u && l0.ecx == 0x444d'4163u) {
            f.vendor = Vendor::amd;
        } else if (l0.ebx == 0x6f67'7948u && l0.edx == 0x6e65'476eu && l0.ecx == 0x656e'6975u) {
            f.vendor = Vendor::amd;
        } else if (l0.ebx == 0x756e'6547u && l0.edx == 0x4965'6e69u && l0.ecx == 0x6c65'746eu) {
            f.vendor = Vendor::intel;
        } else {
            f.vendor = Vendor::other;
        }
        return f;
    }
};

}  // namespace pagewalk
