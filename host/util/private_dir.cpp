// SPDX-License-Identifier: MIT OR Apache-2.0
#include "util/private_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace pagewalk::host {

Expected<PrivateDir> PrivateDir::create() {
    const char* env = std::getenv("TMPDIR");
    const std::string base = env != nullptr && *env != 0 ? env : "/tmp";
    std::string pattern = base + "/pagewalk-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr)
        return Error{"cannot create a private directory in " + base + ": " + std::strerror(errno)};
    return PrivateDir(std::string(name.data()));
}

PrivateDir::PrivateDir(PrivateDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}

PrivateDir::~PrivateDir() {
    remove();
}

std::string PrivateDir::unique_path(const std::string& stem, const std::string& suffix) const {
    static std::atomic<unsigned> counter{0};
    return path_ + "/" + stem + "-" + std::to_string(counter++) + suffix;
}

void PrivateDir::remove() {
    if (path_.empty()) return;
    const int dfd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd >= 0) {
        if (DIR* d = ::fdopendir(dfd)) {
            std::vector<std::string> names;
            while (const dirent* e = ::readdir(d)) {
                const std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            // unlinkat never follows a symlink; a subdirectory (pagewalk makes none) is tried as an empty one.
            for (const auto& n : names)
                if (::unlinkat(dfd, n.c_str(), 0) != 0 && errno == EISDIR) ::unlinkat(dfd, n.c_str(), AT_REMOVEDIR);
            ::closedir(d);  // closes dfd
        } else {
            ::close(dfd);
        }
    }
    ::rmdir(path_.c_str());
    path_.clear();
}

namespace {
std::mutex run_dir_lock;
std::optional<PrivateDir>& run_dir_slot() {
    static std::optional<PrivateDir> dir;  // destroyed (and removed) at exit
    return dir;
}
}  // namespace

Expected<const PrivateDir*> run_dir() {
    std::lock_guard g(run_dir_lock);
    auto& slot = run_dir_slot();
    if (!slot) {
        auto made = PrivateDir::create();
        if (!made) return Error{made.error()};
        slot.emplace(std::move(*made));
    }
    return &*slot;
}

void remove_run_dir() {
    std::lock_guard g(run_dir_lock);
    run_dir_slot().reset();
}

}  // namespace pagewalk::host
