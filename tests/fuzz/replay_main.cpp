// SPDX-License-Identifier: MIT OR Apache-2.0
// The fuzz targets without libFuzzer: runs every seed of a corpus, then a fixed number of deterministic mutations of
// them (bit flips, interesting values, insertions, deletions, splices, truncations), so that every normal build —
// g++ or clang, with or without sanitizers — exercises the same code the fuzzer does, the same way every time.
//
//   fuzz_X_replay [--mutations N] [--seed S] [--only K [--save FILE]] CORPUS_DIR_OR_FILE...
//
// A crash names the input (#K); `--only K --save FILE` reruns it alone and writes it out for libFuzzer or a test.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAGEWALK_REPLAY_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PAGEWALK_REPLAY_ASAN 1
#endif
#ifdef PAGEWALK_REPLAY_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMaxInput = 64 * 1024;  // mutations never grow an input past this

// The input being run, for the crash message (written by the handler with async-signal-safe calls only).
volatile std::uint64_t g_current = 0;

void write_number(std::uint64_t v) {
    char buf[24];
    int n = 0;
    do {
        buf[sizeof buf - 1 - n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    [[maybe_unused]] const auto w = ::write(2, buf + sizeof buf - n, static_cast<std::size_t>(n));
}

void write_text(const char* s) {
    [[maybe_unused]] const auto w = ::write(2, s, std::strlen(s));
}

void report_crash() {
    write_text("\nfuzz replay: crashed on input #");
    write_number(g_current);
    write_text("; rerun it alone with --only ");
    write_number(g_current);
    write_text(" --save FILE\n");
}

void on_signal(int sig) {
    report_crash();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

// splitmix64: small, fast, and the same on every platform.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

constexpr std::uint64_t kInteresting[] = {0,
                                          1,
                                          0x7f,
                                          0x80,
                                          0xff,
                                          0x100,
                                          0x1000,
                                          0x7fff,
                                          0x8000,
                                          0xffff,
                                          0x7fffffff,
                                          0x80000000,
                                          0xffffffff,
                                          0x8000000000000000ull,
                                          ~std::uint64_t{0}};

void mutate_once(Bytes& b, const std::vector<Bytes>& corpus, Rng& rng) {
    switch (rng.below(8)) {
        case 0:  // flip one bit
            if (!b.empty()) b[rng.below(b.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
            break;
        case 1:  // a random byte
            if (!b.empty()) b[rng.below(b.size())] = static_cast<std::uint8_t>(rng.next());
            break;
        case 2: {  // an interesting value, 1/2/4/8 bytes little-endian
            const std::size_t width = std::size_t{1} << rng.below(4);
            if (b.size() < width) break;
            const std::uint64_t v = kInteresting[rng.below(std::size(kInteresting))];
            const std::size_t at = rng.below(b.size() - width + 1);
            for (std::size_t i = 0; i < width; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
            break;
        }
        case 3: {  // insert random bytes
            const std::size_t n = 1 + rng.below(16);
            const std::size_t at = rng.below(b.size() + 1);
            Bytes ins(n);
            for (auto& x : ins) x = static_cast<std::uint8_t>(rng.next());
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
            break;
        }
        case 4: {  // delete a range
            if (b.empty()) break;
            const std::size_t at = rng.below(b.size());
            const std::size_t n = 1 + rng.below(std::min<std::size_t>(b.size() - at, 64));
            b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
            break;
        }
        case 5: {  // duplicate a range in place (repeated records, lines, tables)
            if (b.empty()) break;
            const std::size_t at = rng.below(b.size());
            const std::size_t n = 1 + rng.below(std::min<std::size_t>(b.size() - at, 256));
            const Bytes copy(b.begin() + static_cast<std::ptrdiff_t>(at),
                             b.begin() + static_cast<std::ptrdiff_t>(at + n));
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size() + 1)), copy.begin(), copy.end());
            break;
        }
        case 6: {  // splice: a head of this input and a tail of another seed
            const Bytes& other = corpus[rng.below(corpus.size())];
            const std::size_t head = rng.below(b.size() + 1);
            const std::size_t tail = rng.below(other.size() + 1);
            b.resize(head);
            b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(tail), other.end());
            break;
        }
        default:  // truncate
            b.resize(rng.below(b.size() + 1));
            break;
    }
    if (b.size() > kMaxInput) b.resize(kMaxInput);
}

// Input #k: the seeds first, then mutations, each a function of (seed, k) alone so that --only K reproduces it.
Bytes make_input(std::uint64_t k, const std::vector<Bytes>& corpus, std::uint64_t seed) {
    if (k < corpus.size()) return corpus[k];
    Rng rng{seed ^ (k * 0xd1342543de82ef95ull)};
    Bytes b = corpus[rng.below(corpus.size())];
    const std::size_t rounds = 1 + rng.below(rng.below(2) == 0 ? 2 : 8);
    for (std::size_t r = 0; r < rounds; ++r) mutate_once(b, corpus, rng);
    return b;
}

void run_one(const Bytes& input) {
    // An exactly-sized heap copy, so that AddressSanitizer catches a read one byte past the end.
    const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[input.size() + (input.empty() ? 1 : 0)]);
    if (!input.empty()) std::memcpy(copy.get(), input.data(), input.size());
    LLVMFuzzerTestOneInput(copy.get(), input.size());
}

bool read_file(const std::filesystem::path& p, Bytes& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--mutations N] [--seed S] [--only K [--save FILE]] CORPUS_DIR_OR_FILE...\n",
                 argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t mutations = 20000, seed = 0x70616765;  // "page"
    std::int64_t only = -1;
    std::string save;
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--mutations" && has_value) {
            mutations = std::strtoull(argv[++i], nullptr, 0);
        } else if (a == "--seed" && has_value) {
            seed = std::strtoull(argv[++i], nullptr, 0);
        } else if (a == "--only" && has_value) {
            only = std::strtoll(argv[++i], nullptr, 0);
        } else if (a == "--save" && has_value) {
            save = argv[++i];
        } else if (!a.empty() && a[0] == '-') {
            return usage(argv[0]);
        } else if (std::filesystem::is_directory(a)) {
            for (const auto& e : std::filesystem::directory_iterator(a))
                if (e.is_regular_file()) files.push_back(e.path());
        } else {
            files.emplace_back(a);
        }
    }
    std::sort(files.begin(), files.end());  // directory order differs between file systems
    std::vector<Bytes> corpus;
    for (const auto& f : files) {
        Bytes b;
        if (!read_file(f, b)) {
            std::fprintf(stderr, "%s: cannot read %s\n", argv[0], f.c_str());
            return 1;
        }
        corpus.push_back(std::move(b));
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "%s: no seed files\n", argv[0]);
        return usage(argv[0]);
    }

#ifdef PAGEWALK_REPLAY_ASAN
    __sanitizer_set_death_callback(report_crash);
#endif
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP}) ::signal(sig, on_signal);

    if (only >= 0) {
        const Bytes input = make_input(static_cast<std::uint64_t>(only), corpus, seed);
        if (!save.empty()) {
            std::ofstream(save, std::ios::binary)
                .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
            std::printf("wrote input #%lld (%zu bytes) to %s\n", static_cast<long long>(only), input.size(),
                        save.c_str());
            std::fflush(stdout);  // before the input runs, and perhaps crashes
        }
        g_current = static_cast<std::uint64_t>(only);
        run_one(input);
        std::printf("input #%lld: ok\n", static_cast<long long>(only));
        return 0;
    }

    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t total = corpus.size() + mutations;
    for (std::uint64_t k = 0; k < total; ++k) {
        g_current = k;
        run_one(make_input(k, corpus, seed));
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: ran %llu inputs (%zu seeds + %llu mutations, seed 0x%llx) in %.2f s\n",
                std::filesystem::path(argv[0]).filename().c_str(), static_cast<unsigned long long>(total),
                corpus.size(), static_cast<unsigned long long>(mutations), static_cast<unsigned long long>(seed), s);
    return 0;
}
