// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: starting qemu-system-x86_64 as a child — which binary, its pipes, the descriptor of the shared
// guest RAM — and reading the tail of its -D log.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace pagewalk::host::qemu {

/// $PAGEWALK_QEMU, else qemu-system-x86_64.
std::string qemu_binary();

/// The descriptor number guest RAM has in QEMU (`mem-path=/proc/self/fd/3`).
constexpr int kGuestRamFd = 3;

/// Spawns argv with stdout and stderr on pipes, stdin on /dev/null (or on a pipe whose write end goes to `*in`),
/// and `ram_fd` (when >= 0) as descriptor kGuestRamFd. Returns the pid or -1.
pid_t spawn(const std::vector<std::string>& args, Fd& out, Fd& err, Fd* in = nullptr, int ram_fd = -1);

/// The last `max_lines` lines of a QEMU -D log, indented.
std::string log_tail(const std::string& path, std::size_t max_lines);

}  // namespace pagewalk::host::qemu
