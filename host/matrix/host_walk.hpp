// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk matrix: the host's own walk of one combination — its entries as walker_inputs() gives them, placed where a
// layout puts them in a small host memory, translated by the host's walker. The guest's report of a case is judged
// against this, never against what the guest says it wrote or predicted.
#pragma once

#include <cstdint>
#include <pagewalk/harness/matrix/matrix.hpp>
#include <pagewalk/harness/matrix_records.hpp>
#include <pagewalk/harness/runner_records.hpp>
#include <pagewalk/pagewalk.hpp>

namespace pagewalk::host::matrix {

namespace hm = harness::matrix;

/// The tables of one walk: the entries of `inputs` at their addresses. The other entries of a PAE PDPT read as 0 (not
/// present: the PDPTE load of SDM Vol. 3A §4.4.1 reads all four); any other address cannot be read.
class WalkMemory {
public:
    WalkMemory(const hm::WalkerInputs& inputs, PagingMode mode, const hm::Layout& layout);
    bool read_entry(const EntryLocation& loc, std::uint64_t& out) const;

private:
    std::uint64_t pa_[6] = {}, value_[6] = {};
    unsigned count_ = 0;
    std::uint64_t pdpt_ = ~std::uint64_t{0};  ///< PAE: the PDPT's address (32 bytes)
};

/// The host's walk of a combination.
struct HostWalk {
    hm::WalkerInputs inputs;
    bool pdpte_gp = false;             ///< PAE: the MOV to CR3 that loads the PDPTEs raises #GP(0) (no access is made)
    std::uint64_t pdpte_reserved = 0;  ///< then: the reserved bits of the PDPTE that caused it
    TranslateResult result;            ///< the walk (PAE: with the PDPTEs loaded, unless pdpte_gp)
};

/// Walks `c` on `cpu` with its tables where `layout` puts them; `context` is the control state's (CR3 = the layout's
/// root).
HostWalk host_walk(const hm::Combination& c, const Context& context, const CpuFeatures& cpu, const hm::Layout& layout);

/// What the host's walk predicts, in the guest's record form (harness::Prediction), for a field-by-field comparison.
harness::Prediction expected_prediction(const HostWalk& w);

/// The first field in which `guest` differs from `host` ("" when they are equal).
const char* prediction_difference(const harness::Prediction& guest, const harness::Prediction& host);

/// The outcome class of the host's prediction.
hm::OutcomeClass outcome_class(const harness::Prediction& p);

/// A layout the host uses for combinations the guest reports only as counts: every table in its own 4 KiB frame
/// below 1 MiB, the page at 1 GiB (aligned to every page size, below 4 GiB for 32-bit and PAE paging). The outcome
/// class of a combination does not depend on where its tables are.
hm::Layout reference_layout(PagingMode mode);

/// The CPU the guest reported in its matrix_begin record: its feature bits, MAXPHYADDR and vendor.
CpuFeatures cpu_of(const harness::MatrixBeginRecord& begin);

}  // namespace pagewalk::host::matrix
