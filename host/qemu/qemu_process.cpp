// SPDX-License-Identifier: MIT OR Apache-2.0
#include "qemu/qemu_process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "util/process.hpp"

namespace pagewalk::host::qemu {

std::string qemu_binary() {
    const char* env = std::getenv("PAGEWALK_QEMU");
    return env != nullptr && *env != 0 ? env : "qemu-system-x86_64";
}

pid_t spawn(const std::vector<std::string>& args, Fd& out, Fd& err, Fd* in, int ram_fd) {
    int i[2] = {-1, -1};
    if (in != nullptr && pipe2(i, O_CLOEXEC) != 0) return -1;
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) != 0) return -1;
    if (pipe2(e, O_CLOEXEC) != 0) {
        close(o[0]);
        close(o[1]);
        return -1;
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        supervise_child(parent);
        const int devnull = in != nullptr ? i[0] : open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(o[1], 1);
        dup2(e[1], 2);
        // Every other descriptor is close-on-exec; dup2 gives the copy without the flag.
        if (ram_fd == kGuestRamFd)
            fcntl(ram_fd, F_SETFD, 0);
        else if (ram_fd >= 0)
            dup2(ram_fd, kGuestRamFd);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    out = Fd(o[0]);
    err = Fd(e[0]);
    if (in != nullptr) {
        close(i[0]);
        *in = Fd(i[1]);
    }
    if (pid < 0) return -1;
    return pid;
}

std::string log_tail(const std::string& path, std::size_t max_lines) {
    std::ifstream in(path);
    if (!in) return "";
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
        if (lines.size() > 4 * max_lines) lines.erase(lines.begin(), lines.end() - static_cast<long>(max_lines));
    }
    std::string out;
    for (std::size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i)
        out += "    " + lines[i] + "\n";
    return out;
}

}  // namespace pagewalk::host::qemu
