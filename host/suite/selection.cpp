// SPDX-License-Identifier: MIT OR Apache-2.0
#include "suite/selection.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>

#include "scenario/compiler.hpp"
#include "scenario/parser.hpp"
#include "suite/suite.hpp"

namespace pagewalk::host::suite {
namespace {

namespace fs = std::filesystem;

/// The sorted *.toml files of `dir` (scenario_files: a symlink loop or a dangling link is kept, so that reading it
/// says why); empty, with `why` saying what is wrong, when it is not a readable directory.
std::vector<std::string> toml_files(const std::string& dir, std::string& why) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        why = dir + ": " + (ec ? ec.message() : std::string("not a directory"));
        return {};
    }
    Expected<std::vector<std::string>> files = scenario_files({}, dir);
    if (!files) {
        why = files.error();
        return {};
    }
    why.clear();
    return std::move(files.value());
}

/// One scenario of the library: its file, name and tags (a file that does not parse answers to its stem only).
struct Entry {
    std::string file, name, stem;
    std::vector<std::string> tags;
};

std::vector<Entry> library(const std::vector<std::string>& files) {
    std::vector<Entry> out;
    for (const std::string& f : files) {
        Entry e{f, "", fs::path(f).stem().string(), {}};
        const scenario::ParseResult p = scenario::parse_scenario_file(f);
        if (p.ok()) {
            e.name = p.scenario.name;
            e.tags = scenario_tags(p.scenario);
        }
        out.push_back(std::move(e));
    }
    return out;
}

bool matches(const std::string& pattern, const std::string& text) {
    return !text.empty() && ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

}  // namespace

std::vector<std::string> scenario_tags(const scenario::Scenario& s) {
    std::vector<std::string> tags = s.tags;
    std::uint32_t features = 0;
    for (PagingMode m : s.modes) features |= scenario::required_features(s, m);
    const std::string names = scenario::feature_names(features);  // "nx smep"
    for (std::size_t at = 0; at < names.size();) {
        const std::size_t end = std::min(names.find(' ', at), names.size());
        if (end > at) tags.push_back(names.substr(at, end - at));
        at = end + 1;
    }
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    return tags;
}

Selection select_scenarios(const std::vector<std::string>& args, const std::vector<std::string>& tags,
                           const std::string& dir) {
    Selection sel;
    auto add = [&](const std::string& f) {
        if (std::find(sel.files.begin(), sel.files.end(), f) == sel.files.end()) sel.files.push_back(f);
    };
    std::string dir_problem;
    const std::vector<std::string> dir_files = toml_files(dir, dir_problem);
    const bool dir_ok = dir_problem.empty();
    if (args.empty() && tags.empty()) {
        if (!dir_ok) sel.error = "--scenarios " + dir_problem;
        sel.files = dir_files;
        return sel;
    }
    std::vector<Entry> lib;  // parsed only when a name, glob or tag needs it
    auto need_library = [&]() -> bool {
        if (!dir_ok) {
            sel.error = "--scenarios " + dir_problem + " (scenario names, globs and tags are looked up there)";
            return false;
        }
        if (lib.empty()) lib = library(dir_files);
        return true;
    };
    for (const std::string& a : args) {
        std::error_code ec;
        if (fs::is_directory(a, ec)) {
            std::string problem;
            const auto files = toml_files(a, problem);
            if (files.empty()) {
                sel.error = a + ": no *.toml scenario files in this directory";
                return sel;
            }
            for (const auto& f : files) add(f);
        } else if (fs::exists(a, ec)) {
            add(a);
        } else if (a.find('/') != std::string::npos || fs::path(a).extension() == ".toml") {
            sel.error = a + ": no such file";
            return sel;
        } else {
            if (!need_library()) return sel;
            bool any = false;
            for (const Entry& e : lib)
                if (matches(a, e.name) || matches(a, e.stem)) add(e.file), any = true;
            if (!any) {
                sel.error = "no scenario in " + dir + " is named '" + a + "' (names and globs: `pagewalk list`)";
                return sel;
            }
        }
    }
    for (const std::string& t : tags) {
        if (!need_library()) return sel;
        bool any = false;
        for (const Entry& e : lib)
            if (std::find(e.tags.begin(), e.tags.end(), t) != e.tags.end()) add(e.file), any = true;
        if (!any) {
            sel.error = "no scenario in " + dir + " has the tag '" + t + "' (tags: `pagewalk list`)";
            return sel;
        }
    }
    return sel;
}

}  // namespace pagewalk::host::suite
