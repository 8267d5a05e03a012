// SPDX-License-Identifier: MIT OR Apache-2.0
#include "scenario/cpu_condition.hpp"

#include <pagewalk/harness/program.hpp>
#include <utility>

namespace pagewalk::host::scenario {
namespace {

/// QEMU's names (target/i386/cpu.c feature_word_info) of the CPUID bits the harness knows.
constexpr std::pair<const char*, std::uint32_t> kQemuFlags[] = {
    {"pdpe1gb", harness::feature::page1gb}, {"nx", harness::feature::nx},     {"xd", harness::feature::nx},
    {"smep", harness::feature::smep},       {"smap", harness::feature::smap}, {"pku", harness::feature::pku},
    {"la57", harness::feature::la57},       {"pse", harness::feature::pse},   {"pse36", harness::feature::pse36},
    {"pge", harness::feature::pge},         {"pcid", harness::feature::pcid}, {"pat", harness::feature::pat},
    {"invpcid", harness::feature::invpcid},
};

std::uint32_t flag_bit(const std::string& name) {
    for (const auto& [n, bit] : kQemuFlags)
        if (name == n) return bit;
    return 0;
}

}  // namespace

CpuCondition cpu_condition(const std::string& qemu_cpu) {
    CpuCondition c;
    if (qemu_cpu.empty()) return c;
    std::size_t start = 0;
    for (bool first = true; start <= qemu_cpu.size(); first = false) {
        const std::size_t comma = qemu_cpu.find(',', start);
        const std::string token =
            qemu_cpu.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? qemu_cpu.size() + 1 : comma + 1;
        if (first) {
            if (token != "max") c.error = "CPU model '" + token + "': only 'max' and flags on it can be checked";
            continue;
        }
        std::string name = token;
        bool on = true;
        if (!name.empty() && (name[0] == '-' || name[0] == '+')) {
            on = name[0] == '+';
            name.erase(0, 1);
        } else if (const std::size_t eq = name.find('='); eq != std::string::npos) {
            const std::string value = name.substr(eq + 1);
            name.resize(eq);
            if (name == "phys-bits") {
                int bits = 0;
                for (char ch : value) bits = ch >= '0' && ch <= '9' && bits < 100 ? bits * 10 + (ch - '0') : 1000;
                if (bits < 32 || bits > 52)
                    c.error = "phys-bits=" + value + ": MAXPHYADDR must be 32 to 52";
                else
                    c.maxphyaddr = static_cast<std::uint8_t>(bits);
                continue;
            }
            if (value != "on" && value != "off") {
                c.error = "'" + token + "': expected on or off";
                continue;
            }
            on = value == "on";
        }
        const std::uint32_t bit = flag_bit(name);
        if (bit == 0) {
            c.error = "'" + token +
                      "': the guest cannot check this on another CPU (known: phys-bits and pdpe1gb nx "
                      "smep smap pku la57 pse pse36 pge pcid pat)";
            continue;
        }
        (on ? c.present : c.absent) |= bit;
        (on ? c.absent : c.present) &= ~bit;
    }
    return c;
}

}  // namespace pagewalk::host::scenario
