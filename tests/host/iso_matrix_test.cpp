// SPDX-License-Identifier: MIT OR Apache-2.0
// The ISO's access-matrix entries: one job per mode planned, valid and covering the mode's whole default space, and a
// GRUB menu entry per mode plus one for every mode, each booting the guest with pw.test=matrix and its job modules.
#include <gtest/gtest.h>

#include <cstring>
#include <pagewalk/harness/matrix/job.hpp>
#include <pagewalk/harness/matrix/space.hpp>
#include <string>

#include "iso/iso_plan.hpp"

namespace pagewalk::host::iso {
namespace {

namespace hm = harness::matrix;

TEST(IsoMatrix, OneValidWholeSpaceJobPerModeAndAMenuEntryEach) {
    const IsoPlan plan = plan_iso({}, std::nullopt);
    ASSERT_EQ(plan.matrix_jobs.size(), 4u);
    for (const IsoMatrixJob& j : plan.matrix_jobs) {
        ASSERT_EQ(j.bytes.size(), sizeof(hm::Job));
        hm::Job job{};
        std::memcpy(&job, j.bytes.data(), sizeof job);
        EXPECT_EQ(hm::validate(job, j.bytes.size()), hm::JobError::ok) << to_string(j.mode);
        EXPECT_EQ(job.begin, 0u);
        EXPECT_EQ(job.end, hm::Matrix(j.mode, hm::Space::standard).count());
        EXPECT_EQ(hm::selected(job), job.end);
    }
    const std::string cfg = grub_config(plan, "/boot/pagewalk-guest.elf", 5);
    for (const char* title :
         {"access matrix, 32-bit paging", "access matrix, PAE paging", "access matrix, 4-level paging",
          "access matrix, 5-level paging", "access matrix, every mode"})
        EXPECT_NE(cfg.find(title), std::string::npos) << title;
    EXPECT_NE(cfg.find("pw.test=matrix"), std::string::npos);
    EXPECT_NE(cfg.find("module2 /pagewalk/matrix/4level.pwx"), std::string::npos);
}

TEST(IsoMatrix, AModeFilterKeepsOnlyItsJob) {
    const IsoPlan plan = plan_iso({}, PagingMode::pae);
    ASSERT_EQ(plan.matrix_jobs.size(), 1u);
    EXPECT_EQ(plan.matrix_jobs[0].mode, PagingMode::pae);
    EXPECT_EQ(grub_config(plan, "/g", 5).find("every mode\" {\n  multiboot2 /g pw.test=matrix"), std::string::npos);
}

}  // namespace
}  // namespace pagewalk::host::iso
