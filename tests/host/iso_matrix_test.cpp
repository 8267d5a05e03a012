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
        EXPECT_EQ(job.sample_every, 65536u) << "a whole space over COM1: one agreement in 65536 in full";
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

TEST(IsoMatrix, ALimitMakesEachJobTheSeededSliceOfPagewalkMatrix) {
    const IsoPlan plan = plan_iso({}, std::nullopt, 1000);
    ASSERT_EQ(plan.matrix_jobs.size(), 4u);
    for (const IsoMatrixJob& j : plan.matrix_jobs) {
        EXPECT_LE(hm::selected(j.job), 1000u) << to_string(j.mode);
        EXPECT_GT(j.job.stride, 1u);
        hm::Job bytes{};
        std::memcpy(&bytes, j.bytes.data(), sizeof bytes);
        EXPECT_EQ(bytes.stride, j.job.stride);
        EXPECT_EQ(bytes.sample_every, 4096u) << "a slice keeps pagewalk matrix's sampling";
        EXPECT_EQ(hm::validate(bytes, j.bytes.size()), hm::JobError::ok);
    }
}

TEST(IsoMatrix, MenuEntriesByNameInTheMenusOrder) {
    const IsoPlan plan = plan_iso({}, std::nullopt);  // no scenarios: entry 0, then the matrix entries
    EXPECT_EQ(menu_entry(plan, "scenarios"), 0u);
    EXPECT_EQ(menu_entry(plan, "matrix-32bit"), 1u);
    EXPECT_EQ(menu_entry(plan, "matrix-5level"), 4u);
    EXPECT_EQ(menu_entry(plan, "matrix"), 5u);
    EXPECT_EQ(menu_entry(plan, "scenarios-4level"), std::nullopt);
    EXPECT_EQ(menu_entry(plan, "bogus"), std::nullopt);
    EXPECT_EQ(menu_entry(plan_iso({}, PagingMode::pae), "matrix"), std::nullopt);  // one job: no every-mode entry
    const std::string cfg = grub_config(plan, "/g", 5, "auto", 5);
    EXPECT_NE(cfg.find("set default=5\n"), std::string::npos);
    // The sixth menuentry is the every-mode one.
    std::size_t at = 0;
    for (int i = 0; i < 6; ++i) at = cfg.find("menuentry ", at) + 1;
    const std::string every = "menuentry \"pagewalk: access matrix, every mode\"";
    EXPECT_EQ(cfg.compare(at - 1, every.size(), every), 0) << cfg;
}

}  // namespace
}  // namespace pagewalk::host::iso
