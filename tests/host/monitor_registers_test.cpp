// SPDX-License-Identifier: MIT OR Apache-2.0
// QEMU's `info registers` text → the control registers the live check walks with (qemu/monitor_registers.hpp).
#include "qemu/monitor_registers.hpp"

#include <gtest/gtest.h>

using namespace pagewalk::host;
using pagewalk::host::qemu::parse_info_registers;

namespace {

// As QEMU 7.2 prints them for a 64-bit vCPU (abridged) …
const char* const kLongMode =
    "CPU#0\n"
    "RAX=000000000000000a RBX=000000000000000e RCX=00000000000186a0 RDX=00000000000003f8\n"
    "RIP=000000000012bf4a RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\n"
    "GDT=     00000000001311b0 0000005f\n"
    "CR0=80010011 CR2=0000000000000000 CR3=0000000000800000 CR4=000000a0\n"
    "DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 \n"
    "EFER=0000000000000d00\n"
    "XMM00=0000000000000000 0000000000000000 XMM01=0000000000000000 0000000000000000\n";
// … and for a vCPU in protected mode (PAE paging).
const char* const kProtectedMode =
    "EAX=0013120a EBX=00145b57 ECX=00000000 EDX=000003f8\n"
    "CR0=80010011 CR2=00000000 CR3=00800000 CR4=000000a0\n"
    "EFER=0000000000000800\n";

}  // namespace

TEST(MonitorRegisters, ReadsTheControlRegistersOfALongModeVcpu) {
    const auto r = parse_info_registers(kLongMode);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->cr0, 0x80010011u);
    EXPECT_EQ(r->cr3, 0x800000u);
    EXPECT_EQ(r->cr4, 0xa0u);
    EXPECT_EQ(r->efer, 0xd00u);
}

TEST(MonitorRegisters, ReadsTheControlRegistersOfAProtectedModeVcpu) {
    const auto r = parse_info_registers(kProtectedMode);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->cr3, 0x800000u);
    EXPECT_EQ(r->efer, 0x800u);
}

TEST(MonitorRegisters, ANameInsideAnotherIsNotTheRegister) {
    // "XCR3=" or "DR3=" must not be read as CR3.
    const auto r = parse_info_registers("XCR3=1111 DR3=2222\nCR0=1 CR3=3000 CR4=20\nEFER=500\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->cr3, 0x3000u);
}

TEST(MonitorRegisters, AMissingOrMalformedRegisterIsNoAnswer) {
    EXPECT_FALSE(parse_info_registers("CR0=80010011 CR3=00800000 CR4=000000a0\n"));     // no EFER
    EXPECT_FALSE(parse_info_registers("CR0=80010011 CR3= CR4=a0\nEFER=0\n"));           // CR3 has no digits
    EXPECT_FALSE(parse_info_registers("CR0=1 CR3=11112222333344445 CR4=0\nEFER=0\n"));  // 17 digits
    EXPECT_FALSE(parse_info_registers("error: no CPU\n"));
    EXPECT_FALSE(parse_info_registers(""));
}

TEST(MonitorRegisters, TheReportKeepsTheRegistersAndDropsTheFpuState) {
    const std::string report = pagewalk::host::qemu::register_dump_for_report(
        std::string(kLongMode) + "FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80\nFPR0=0 0000\n");
    EXPECT_EQ(report.rfind("    CPU#0\n    RAX=000000000000000a", 0), 0u) << report;
    EXPECT_NE(report.find("    EFER=0000000000000d00\n"), std::string::npos);
    EXPECT_EQ(report.find("FCW="), std::string::npos);
    EXPECT_EQ(report.find("FPR0"), std::string::npos);
    EXPECT_EQ(report.find("XMM"), std::string::npos);
}
