// SPDX-License-Identifier: MIT OR Apache-2.0
// The outcome classes of the access matrix: what the per-block counts count. A combination's class is its predicted
// outcome (the walker's translate), so an agreement is counted under what the CPU did; a #PF with several causes is
// counted under the first of them in the order below (the error code carries them all).
#pragma once

#include <cstdint>
#include <pagewalk/access.hpp>

namespace pagewalk::harness::matrix {

enum class OutcomeClass : std::uint8_t {
    completed,           ///< no fault: the access read, wrote or fetched through the mapping
    not_present,         ///< #PF, P = 0 at some level
    reserved_bit,        ///< #PF, a reserved bit set (RSVD)
    general_protection,  ///< #GP: a PAE PDPTE with a reserved bit at the CR3 load (SDM §4.4.1)
    smep,                ///< #PF, a supervisor fetch from a user page
    smap,                ///< #PF, a supervisor data access to a user page
    protection_key,      ///< #PF, PKRU denies it
    execute_disable,     ///< #PF, a fetch from an XD page
    user,                ///< #PF, a user access to a supervisor page
    write,               ///< #PF, a write to a read-only page
    other,               ///< anything else (the walker could not read its tables)
};
inline constexpr unsigned kOutcomeClasses = static_cast<unsigned>(OutcomeClass::other) + 1;

constexpr const char* to_string(OutcomeClass c) {
    constexpr const char* names[kOutcomeClasses] = {"ok",       "#PF not-present", "#PF reserved", "#GP PDPTE",
                                                    "#PF SMEP", "#PF SMAP",        "#PF pkey",     "#PF XD",
                                                    "#PF user", "#PF write",       "other"};
    return names[static_cast<unsigned>(c)];
}

/// The class of a prediction: `kind` as in harness::Prediction (0 mapping, 1 #PF, 2 #GP, 3 memory error), `causes`
/// the fault_cause bits of a #PF.
constexpr OutcomeClass classify(std::uint8_t kind, std::uint16_t causes) {
    if (kind == 0) return OutcomeClass::completed;
    if (kind == 2) return OutcomeClass::general_protection;
    if (kind != 1) return OutcomeClass::other;
    constexpr struct {
        std::uint16_t cause;
        OutcomeClass cls;
    } order[] = {
        {fault_cause::not_present, OutcomeClass::not_present},
        {fault_cause::reserved_bit, OutcomeClass::reserved_bit},
        {fault_cause::smep, OutcomeClass::smep},
        {fault_cause::smap, OutcomeClass::smap},
        {fault_cause::pkey, OutcomeClass::protection_key},
        {fault_cause::execute_disable, OutcomeClass::execute_disable},
        {fault_cause::user_supervisor, OutcomeClass::user},
        {fault_cause::write_protect, OutcomeClass::write},
    };
    for (const auto& o : order)
        if ((causes & o.cause) != 0) return o.cls;
    return OutcomeClass::other;
}

/// Why a combination is a mismatch (bits; 0 = it agreed).
namespace mismatch {
inline constexpr std::uint8_t outcome = 1u << 0;         ///< completed vs faulted, or another vector
inline constexpr std::uint8_t error_code = 1u << 1;      ///< the #PF error code or CR2
inline constexpr std::uint8_t value = 1u << 2;           ///< the value read, or what a write left in memory
inline constexpr std::uint8_t accessed_dirty = 1u << 3;  ///< A/D bits after the access (SDM §4.8)
inline constexpr std::uint8_t all = 15;
}  // namespace mismatch

}  // namespace pagewalk::harness::matrix
