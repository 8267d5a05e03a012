// SPDX-License-Identifier: MIT OR Apache-2.0
// A program that uses pagewalk through its CMake package. It runs: exit status 0 means it built and started.
#include <cstdio>
#include <pagewalk/pagewalk.hpp>

static_assert(__cplusplus >= 202002L, "pagewalk::walker must bring C++20 to its consumers");

int main() {
    std::puts("pagewalk consumer: ok");
    return 0;
}
