#include "check/known_deviations.hpp"

namespace pagewalk::host::check {
namespace {

constexpr std::uint32_t kPfP = 1u << 0, kPfRsvd = 1u << 3;

/// QEMU's software MMU reports a reserved-bit #PF without P: the SDM (Vol. 3A §4.7) says RSVD is set only together
/// with P (a reserved bit is found only in a present entry), real CPUs give 0x9/0xb, QEMU 7.2 gives 0x8/0xa.
bool rsvd_without_p(const Disagreement& d) {
    return d.expected_vector == 14 && d.observed_exception && d.observed_vector == 14 &&
           (d.expected_error & (kPfP | kPfRsvd)) == (kPfP | kPfRsvd) && d.observed_error == (d.expected_error & ~kPfP);
}

/// QEMU exempts an implicit supervisor access made at CPL < 3 with EFLAGS.AC = 1 from SMAP
/// (target/i386/cpu.h cpu_mmu_index_kernel picks MMU_KNOSMAP_IDX); the SDM exempts only explicit accesses.
bool smap_implicit_ac(const Disagreement& d) {
    constexpr std::uint16_t kSmapCause = 1u << 6;  // pagewalk::fault_cause::smap
    return d.expected_vector == 14 && d.implicit && d.ac && d.cpl < 3 && (d.fault_causes & kSmapCause) != 0 &&
           !(d.observed_exception && d.observed_vector == 14);
}

}  // namespace

const std::vector<KnownDeviation>& known_deviations() {
    static const std::vector<KnownDeviation> list = {
        {"qemu-rsvd-without-p", "qemu", "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.7: RSVD = 1 only with P = 1 (a reserved bit is checked only in a present entry)",
         "QEMU 7.2 TCG (target/i386/tcg/sysemu/excp_helper.c) raises #PF with error code 0x8/0xa for a reserved bit "
         "where hardware gives 0x9/0xb; seen by scenarios/reserved-bit-*.toml and the first probe of this host",
         rsvd_without_p},
        {"qemu-smap-implicit-ac", "qemu", "QEMU emulator version 7.2",
         "SDM Vol. 3A §4.6.1: with CR4.SMAP = 1, an implicit supervisor-mode access (e.g. a GDT/LDT descriptor read) "
         "may not reach a user-mode address whatever EFLAGS.AC is",
         "QEMU 7.2 TCG loads descriptors through cpu_mmu_index_kernel(), which drops SMAP when CPL < 3 and AC = 1: "
         "scenarios/smap-ac-implicit.toml step 5 reads the LDT descriptor from a user page without #PF (then #GP "
         "0x4 for the descriptor itself); KVM (kvm_pvm) raises the #PF",
         smap_implicit_ac},
    };
    return list;
}

std::optional<KnownDeviation> match_known_deviation(const Disagreement& d) {
    for (const KnownDeviation& k : known_deviations()) {
        if (d.backend != k.backend) continue;
        if (d.backend_version.rfind(k.version_prefix, 0) != 0) continue;
        if (k.matches(d)) return k;
    }
    return std::nullopt;
}

}  // namespace pagewalk::host::check
