// SPDX-License-Identifier: MIT OR Apache-2.0
// Ratios between benchmarks of one run, each against its target.
//
// A benchmark program registers its benchmarks with repetitions, then calls `run_with_ratios` with the
// ratios it promises ("translate 4-level, independent" = Translate/4level/independent ÷ Floor/4level/
// independent, target ≤ 2.0). The medians of the repetitions are compared, never single runs. The table is
// printed at the end of the program and, when PAGEWALK_BENCH_RATIOS names a file, appended to it as
// tab-separated lines so that `./run.sh bench` can print one table for all programs.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace pagewalk::bench {

struct Ratio {
    std::string label;        // what is compared, for people
    std::string numerator;    // benchmark name (without the aggregate suffix)
    std::string denominator;  // the baseline in the same run
    double target;            // the ratio must be at most this; 0: reported, no target
};

/// Remembers the median real time (ns per iteration) of every benchmark while printing as usual.
class MedianCollector : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
                // "Name/repeats:5" → "Name": ratios name benchmarks as registered.
                std::string name = run.run_name.str();
                if (const auto cut = name.find("/repeats:"); cut != std::string::npos) name.resize(cut);
                medians_[name] = run.GetAdjustedRealTime();
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
    const std::map<std::string, double>& medians() const { return medians_; }

private:
    std::map<std::string, double> medians_;
};

/// Runs the registered benchmarks, then prints (and appends to $PAGEWALK_BENCH_RATIOS) each ratio.
/// Returns the process exit status: 0, or 1 for unrecognised arguments.
inline int run_with_ratios(int argc, char** argv, const std::vector<Ratio>& ratios) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    MedianCollector reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    const char* out_path = std::getenv("PAGEWALK_BENCH_RATIOS");
    std::FILE* out = out_path != nullptr ? std::fopen(out_path, "a") : nullptr;
    std::printf("\n%-62s %10s %10s %8s %8s  %s\n", "ratio (medians)", "ns", "baseline", "ratio", "target", "verdict");
    for (const Ratio& r : ratios) {
        const auto num = reporter.medians().find(r.numerator);
        const auto den = reporter.medians().find(r.denominator);
        if (num == reporter.medians().end() || den == reporter.medians().end()) {
            std::printf("%-62s  (not run: filtered out or missing)\n", r.label.c_str());
            continue;
        }
        const double ratio = num->second / den->second;
        const char* verdict = r.target <= 0 ? "(no target)" : ratio <= r.target ? "ok" : "OVER TARGET";
        std::printf("%-62s %10.2f %10.2f %8.2f %8.2f  %s\n", r.label.c_str(), num->second, den->second, ratio, r.target,
                    verdict);
        if (out != nullptr) {
            std::fprintf(out, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n", r.label.c_str(), num->second, den->second, ratio,
                         r.target, verdict);
        }
    }
    if (out != nullptr) std::fclose(out);
    return 0;
}

}  // namespace pagewalk::bench
