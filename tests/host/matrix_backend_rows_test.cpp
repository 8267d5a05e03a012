// SPDX-License-Identifier: MIT OR Apache-2.0
// Which of the matrix's features the KVM row leaves to QEMU: what the probe saw the CPU do decides.
#include <gtest/gtest.h>

#include <pagewalk/harness/program.hpp>

#include "matrix/backend_rows.hpp"

using namespace pagewalk;
using namespace pagewalk::host;

namespace {

kvm::KvmCapabilities probed(bool smep_cpuid, bool smep_works) {
    kvm::KvmCapabilities caps;
    caps.available = true;
    for (const char* row : {"nx", "smap", "pku", "la57", "1gb_pages"}) caps.rows.push_back({row, true, true, ""});
    caps.rows.push_back({"smep", smep_cpuid, smep_works, ""});
    return caps;
}

}  // namespace

TEST(MatrixBackendRows, AFeatureTheCpuEnforcesStaysOnKvmWhateverTheSupportedCpuidSays) {
    // kvm_pvm: KVM_GET_SUPPORTED_CPUID lacks SMEP, the probe VM saw it enforced (and the guest's CPUID has it).
    EXPECT_EQ(matrix::kvm_missing_features(probed(false, true)) & harness::feature::smep, 0u);
    EXPECT_EQ(matrix::kvm_missing_features(probed(true, true)), 0u);
}

TEST(MatrixBackendRows, AFeatureThatDidNotWorkGoesToQemu) {
    EXPECT_NE(matrix::kvm_missing_features(probed(true, false)) & harness::feature::smep, 0u);
    EXPECT_NE(matrix::kvm_missing_features(probed(false, false)) & harness::feature::smep, 0u);
    kvm::KvmCapabilities none;  // no rows at all: every feature is left to QEMU
    EXPECT_EQ(matrix::kvm_missing_features(none) & harness::feature::pku, harness::feature::pku);
}
