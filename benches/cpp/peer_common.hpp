// What the C++ tape peers (adolc_moons.cpp, adolc_mixed.cpp) share: a fatal
// error in the caller's terms, a median, and a checked count argument.

#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace peer {

// The program's name in its error messages; each program sets it first.
inline const char* program = "peer";

[[noreturn]] inline void fail(const std::string& why) {
    std::fprintf(stderr, "%s: %s\n", program, why.c_str());
    std::exit(1);
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// `arg` as a whole number from 1 to 1,000,000, else a fatal error naming `what`.
inline long positive(const char* arg, const char* what) {
    char* end = nullptr;
    long v = std::strtol(arg, &end, 10);
    if (!end || *end != '\0' || v < 1 || v > 1000000) fail(std::string(what) + " must be a positive whole number");
    return v;
}

}  // namespace peer
