// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: the run's private directory. Every file, socket and log a run makes (program files, QEMU's QMP
// socket and debug log) goes into one directory made by mkdtemp with mode 0700, so nobody else can plant a symlink,
// pre-create a file or pre-bind a socket under a name pagewalk will use; it is removed with its contents at the end.
#pragma once

#include <string>

#include "util/expected.hpp"

namespace pagewalk::host {

class PrivateDir {
public:
    /// mkdtemp("$TMPDIR/pagewalk-XXXXXX") (or /tmp when TMPDIR is unset or empty), mode 0700.
    static Expected<PrivateDir> create();
    PrivateDir(PrivateDir&& o) noexcept;
    PrivateDir& operator=(PrivateDir&&) = delete;
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;
    ~PrivateDir();

    [[nodiscard]] const std::string& path() const { return path_; }
    /// A name no other caller of unique_path() in this process gets: PATH/STEM-N SUFFIX.
    [[nodiscard]] std::string unique_path(const std::string& stem, const std::string& suffix = "") const;
    /// Removes the directory and what is in it (entries are unlinked, never followed).
    void remove();

private:
    explicit PrivateDir(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

/// The process's private directory, made on first use and removed at exit (or by remove_run_dir()).
Expected<const PrivateDir*> run_dir();
/// Removes the process's private directory now, if it was made (the signal path calls it before exiting).
void remove_run_dir();

}  // namespace pagewalk::host
