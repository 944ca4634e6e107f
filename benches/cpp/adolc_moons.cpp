// ADOL-C (Debian's libadolc-dev, 2.7.2): micrograd's moons step written as a
// user writes it, the C++ operator-overloading tape peer of ferrograd's
// `scalar_moons_step_f64/user_written` bench (benches/scalar_tape.rs).
//
// What it measures: one SGD step per timing, everything included. Each step
// records a new tape (trace_on with keep = 1), runs the forward pass on
// `adouble`s exactly as the Rust bench writes it (per neuron `s = b;
// s = s + w * x`, ReLU as fmax(s, 0) on the hidden layers, hinge loss
// `relu(1 + score * -y)` summed then times 1/100, plus 1e-4 * sum of p * p),
// closes the tape, runs one reverse sweep (fos_reverse: the documented way to
// differentiate right after a trace kept with keep = 1) and updates every
// parameter with lr 0.01. Nothing is reused from one step to the next.
//
// The moons points, the labels, the layer sizes and the initial parameters
// come from a fixture that the Rust bench writes (FERROGRAD_MOONS_FIXTURE), so
// both sides run the same computation; the fixture also holds ferrograd's
// first-step loss, which `cargo xtask bench` compares with `first_loss`.
//
// Build: g++ -O3 -march=native -o adolc_moons adolc_moons.cpp -ladolc
// Run:   adolc_moons <fixture> <steps per run> <runs>
// Each run starts from the initial parameters and times each step; the run's
// median is kept. Prints one JSON line: the median of the runs' medians
// (`median_ms`), each run's median, and the loss of the first step.

#include <adolc/adolc.h>

#include "peer_common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using peer::fail;
using peer::median;
using peer::positive;

struct Fixture {
    std::vector<int> sizes;
    std::vector<double> x0, x1, y;
    std::vector<double> params;
};

double read_number(std::FILE* f, const char* what) {
    double v;
    if (std::fscanf(f, "%lf", &v) != 1) fail(std::string("fixture: expected ") + what);
    if (!std::isfinite(v)) fail(std::string("fixture: ") + what + " is not finite");
    return v;
}

int read_count(std::FILE* f, const char* key, int most) {
    char word[32];
    int n;
    if (std::fscanf(f, "%31s %d", word, &n) != 2 || std::strcmp(word, key) != 0)
        fail(std::string("fixture: expected `") + key + " <count>`");
    if (n < 1 || n > most) fail(std::string("fixture: bad count for ") + key);
    return n;
}

// The fixture: a comment line, `layers n s0 .. s{n-1}`, `points n` then n
// lines `x0 x1 y`, `params n` then n numbers, `loss l` (read by xtask only).
Fixture read_fixture(const char* path) {
    std::FILE* f = std::fopen(path, "r");
    if (!f) fail(std::string("cannot open fixture ") + path);
    int c;
    while ((c = std::fgetc(f)) != EOF && c != '\n') {
    }
    Fixture fx;
    int layers = read_count(f, "layers", 16);
    for (int i = 0; i < layers; i++) {
        double s = read_number(f, "a layer size");
        if (s < 1 || s > 4096 || s != std::floor(s)) fail("fixture: bad layer size");
        fx.sizes.push_back(static_cast<int>(s));
    }
    if (layers < 2 || fx.sizes.back() != 1) fail("fixture: the network must end in one output");
    int points = read_count(f, "points", 1 << 20);
    if (fx.sizes[0] != 2) fail("fixture: the moons points have two coordinates");
    for (int i = 0; i < points; i++) {
        fx.x0.push_back(read_number(f, "x0"));
        fx.x1.push_back(read_number(f, "x1"));
        fx.y.push_back(read_number(f, "y"));
    }
    int n = read_count(f, "params", 1 << 24);
    size_t want = 0;
    for (int k = 0; k + 1 < layers; k++) want += size_t(fx.sizes[k + 1]) * (fx.sizes[k] + 1);
    if (size_t(n) != want) fail("fixture: the parameter count does not fit the layer sizes");
    for (int i = 0; i < n; i++) fx.params.push_back(read_number(f, "a parameter"));
    std::fclose(f);
    return fx;
}

// One SGD step on a new tape; returns the loss before the update.
double step(const Fixture& fx, std::vector<double>& p, std::vector<double>& g) {
    const int n = static_cast<int>(p.size());
    const int layers = static_cast<int>(fx.sizes.size()) - 1;
    const int widest = *std::max_element(fx.sizes.begin(), fx.sizes.end());
    double loss_value = 0.0;
    trace_on(1, 1);
    std::vector<adouble> ap(n);
    for (int i = 0; i < n; i++) ap[i] <<= p[i];
    adouble data_loss = 0.0;
    std::vector<adouble> act(widest), next(widest);
    for (size_t i = 0; i < fx.y.size(); i++) {
        act[0] = fx.x0[i];
        act[1] = fx.x1[i];
        int off = 0;
        for (int k = 0; k < layers; k++) {
            const int nin = fx.sizes[k], nout = fx.sizes[k + 1];
            for (int j = 0; j < nout; j++) {
                // Parameters are stored neuron by neuron: weights, then bias.
                adouble s = ap[off + nin];
                for (int q = 0; q < nin; q++) s = s + ap[off + q] * act[q];
                off += nin + 1;
                if (k + 1 < layers) s = fmax(s, 0.0);
                next[j] = s;
            }
            for (int j = 0; j < nout; j++) act[j] = next[j];
        }
        adouble margin = fmax(1.0 + act[0] * -fx.y[i], 0.0);
        data_loss = data_loss + margin;
    }
    data_loss = data_loss * (1.0 / static_cast<double>(fx.y.size()));
    adouble reg = 0.0;
    for (int i = 0; i < n; i++) reg = reg + ap[i] * ap[i];
    adouble loss = data_loss + reg * 1e-4;
    loss >>= loss_value;
    trace_off();
    double seed = 1.0;
    fos_reverse(1, 1, n, &seed, g.data());
    for (int i = 0; i < n; i++) p[i] -= 0.01 * g[i];
    return loss_value;
}

}  // namespace

int main(int argc, char** argv) {
    peer::program = "adolc_moons";
    if (argc != 4) fail("usage: adolc_moons <fixture> <steps per run> <runs>");
    const Fixture fx = read_fixture(argv[1]);
    const long steps = positive(argv[2], "steps per run");
    const long runs = positive(argv[3], "runs");
    std::vector<double> g(fx.params.size());
    std::vector<double> run_medians;
    double first_loss = 0.0;
    for (long r = 0; r < runs; r++) {
        std::vector<double> p = fx.params;
        std::vector<double> samples;
        for (long s = 0; s < steps; s++) {
            auto t0 = std::chrono::steady_clock::now();
            double l = step(fx, p, g);
            auto t1 = std::chrono::steady_clock::now();
            if (!std::isfinite(l)) fail("the loss is not finite");
            if (s == 0) {
                if (r == 0) first_loss = l;
                else if (l != first_loss) fail("the first step's loss differs between runs");
            }
            samples.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        run_medians.push_back(median(samples));
    }
    std::printf("{\"id\": \"cpp/adolc_moons\", \"system\": \"ADOL-C\", \"median_ms\": %.6g, \"run_medians_ms\": [", median(run_medians));
    for (size_t i = 0; i < run_medians.size(); i++) std::printf("%s%.6g", i ? ", " : "", run_medians[i]);
    std::printf("], \"steps\": %ld, \"first_loss\": %.17g}\n", steps, first_loss);
    return 0;
}
