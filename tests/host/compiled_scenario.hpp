// SPDX-License-Identifier: MIT OR Apache-2.0
// Test helper: a scenario parsed from TOML text and compiled for one mode, its program pointing back at it (what
// the host's evaluation reads). Not copyable: the program holds the scenario's address.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"

namespace pagewalk::test {

struct CompiledScenario {
    host::scenario::Scenario s;
    host::scenario::Program p;

    explicit CompiledScenario(const std::string& text, PagingMode mode = PagingMode::long4) {
        auto r = host::scenario::parse_scenario_text(text, "test.toml");
        EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
        s = r.scenario;
        auto c = host::scenario::compile(s, mode);
        EXPECT_TRUE(c.ok()) << (c.errors.empty() ? "" : c.errors.front().to_string());
        p = c.program;
        p.scenario = &s;
    }
    CompiledScenario(const CompiledScenario&) = delete;
    CompiledScenario& operator=(const CompiledScenario&) = delete;
};

}  // namespace pagewalk::test
