// ADOL-C (Debian's libadolc-dev, 2.7.2) on the scalar engine's mixed graph,
// the C++ tape peer of ferrograd's `scalar_mixed_f64/build_backward_drop`
// bench (benches/scalar_tape.rs).
//
// What it measures: one graph per timing, everything included. Each graph
// is a new tape (trace_on with keep = 1): eight ring values 0.1 i - 0.3 and
// a shift of -0.1 as independents, 12,500 rounds of
//   m = a * b; t = tanh(m + a); r = relu(t + shift); out = r * r * t + b
// (a = ring[k % 8], b = ring[(k * 5 + 3) % 8], ring[k % 8] = out; relu as
// fmax(x, 0), the square as r * r), the ring summed; then one reverse sweep
// (fos_reverse) for the gradient on every independent. 100,000 operations,
// as ferrograd records them.
//
// Build: g++ -O3 -march=native -o adolc_mixed adolc_mixed.cpp -ladolc
// Run:   adolc_mixed <graphs per run> <runs>
// Prints one JSON line: the median of the runs' median times per graph
// (`median_ms`), each run's median, and the root's value and its gradient
// on the shift (ferrograd's, when both run the same graph).

#include <adolc/adolc.h>

#include "peer_common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using peer::fail;
using peer::median;
using peer::positive;

constexpr int ROUNDS = 12500;
constexpr int RING = 8;

// One graph on a new tape; returns the root's value and d root / d shift.
std::pair<double, double> graph() {
    double x[RING + 1], g[RING + 1];
    for (int i = 0; i < RING; i++) x[i] = 0.1 * i - 0.3;
    x[RING] = -0.1;
    double root_value = 0.0;
    trace_on(2, 1);
    adouble ring[RING], shift;
    for (int i = 0; i < RING; i++) ring[i] <<= x[i];
    shift <<= x[RING];
    for (int k = 0; k < ROUNDS; k++) {
        adouble& a = ring[k % RING];
        adouble& b = ring[(k * 5 + 3) % RING];
        adouble m = a * b;
        adouble u = m + a;
        adouble t = tanh(u);
        adouble v = t + shift;
        adouble r = fmax(v, 0.0);
        adouble p = r * r;
        adouble q = p * t;
        a = q + b;
    }
    adouble root = ring[0];
    for (int i = 1; i < RING; i++) root = root + ring[i];
    root >>= root_value;
    trace_off();
    double seed = 1.0;
    fos_reverse(2, 1, RING + 1, &seed, g);
    return {root_value, g[RING]};
}

}  // namespace

int main(int argc, char** argv) {
    peer::program = "adolc_mixed";
    if (argc != 3) fail("usage: adolc_mixed <graphs per run> <runs>");
    const long graphs = positive(argv[1], "graphs per run");
    const long runs = positive(argv[2], "runs");
    std::vector<double> run_medians;
    const auto first = graph();
    for (long r = 0; r < runs; r++) {
        std::vector<double> samples;
        for (long s = 0; s < graphs; s++) {
            auto t0 = std::chrono::steady_clock::now();
            const auto got = graph();
            auto t1 = std::chrono::steady_clock::now();
            if (got != first) fail("a graph's value or gradient differs from the first graph's");
            samples.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        run_medians.push_back(median(samples));
    }
    std::printf("{\"id\": \"cpp/adolc_mixed\", \"system\": \"ADOL-C\", \"median_ms\": %.6g, \"run_medians_ms\": [", median(run_medians));
    for (size_t i = 0; i < run_medians.size(); i++) std::printf("%s%.6g", i ? ", " : "", run_medians[i]);
    std::printf("], \"graphs\": %ld, \"root\": %.17g, \"grad_shift\": %.17g}\n", graphs, first.first, first.second);
    return 0;
}
