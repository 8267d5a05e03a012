// SPDX-License-Identifier: MIT OR Apache-2.0
#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "util/interrupt.hpp"

namespace pagewalk::host {

void supervise_child(pid_t parent) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);  // the parent died before prctl
}

ProcessResult run_process(const std::vector<std::string>& argv, bool capture_stderr) {
    ProcessResult r;
    if (argv.empty()) return r;
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return r;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        supervise_child(parent);
        const int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(capture_stderr ? out[1] : devnull, 2);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return r;
    }
    char buf[4096];
    bool interrupted = false;
    for (;;) {
        pollfd fds[2] = {{out[0], POLLIN, 0}, {interrupt::wake_fd(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
        if (interrupt::received() != 0) {
            interrupted = true;
            break;
        }
        if (fds[0].revents == 0) continue;
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        r.output.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (interrupted) kill(-pid, SIGKILL);  // its process group: grub-mkrescue's own children too
    int status = 0;
    waitpid(pid, &status, 0);
    if (interrupted) return r;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    return r;
}

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t colon = dirs.find(':', start);
        const std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        start = colon == std::string::npos ? dirs.size() + 1 : colon + 1;
        if (dir.empty()) continue;
        const std::filesystem::path p = std::filesystem::path(dir) / name;
        if (access(p.c_str(), X_OK) == 0) return p.string();
    }
    return "";
}

}  // namespace pagewalk::host
