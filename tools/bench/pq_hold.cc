// tools/bench/pq_hold.cc — the baseline for `hnbsim bench kernel`: the classic hold model over std::priority_queue.
//
// The queue holds N pending events, PODs of 32 bytes ordered by (time, seq) — what a textbook C++ simulator would
// write.  One iteration pops the earliest event and pushes its successor at now + exp(mean 1 s).  Everything but the
// container matches tools/bench/hold.c: the same splitmix64 generator and seed, the same uniform-to-exponential
// mapping, the same untimed warm-up pass of N events, so the ratio of the two results measures the event queue.
//
// Build: g++ -O2 -std=c++17 -o pq_hold tools/bench/pq_hold.cc
// Usage: pq_hold --pending N --events M   (last line: `events_per_s=<n> pending=<N>`)

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <queue>
#include <vector>

namespace {

struct Event {
    int64_t time; // ns
    uint64_t seq; // schedule order: the FIFO tie-break
    uint32_t kind;
    uint32_t entity;
    uint64_t arg;
};

// std::priority_queue keeps the "largest" on top, so order by "later than" to get the earliest.
struct Later {
    bool operator()(const Event &a, const Event &b) const
    {
        return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
};

// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): one add and two
// multiply-xorshift rounds per draw.
struct SplitMix64 {
    uint64_t state;

    uint64_t next()
    {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Exponential with mean 1 s, in ns.  u is the midpoint of one of 2^53 equal cells of (0, 1), so log(u) is finite.
    int64_t exp_ns()
    {
        double u = (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
        return static_cast<int64_t>(-std::log(u) * 1e9);
    }
};

double seconds_now()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A count >= 1, written as an integer ("1000000") or in exponent form ("1e6").
bool parse_count(const char *text, uint64_t *out)
{
    errno = 0;
    char *end = nullptr;
    double v = std::strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 1.0) || v > 1e15 || v != std::floor(v))
        return false;
    *out = static_cast<uint64_t>(v);
    return true;
}

int usage(const char *argv0)
{
    std::fprintf(stderr, "usage: %s --pending N --events M   (N, M >= 1; e.g. 1000000 or 1e6)\n", argv0);
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    uint64_t pending = 1000000, events = 5000000;
    for (int i = 1; i < argc; i++) {
        uint64_t *target = nullptr;
        if (std::strcmp(argv[i], "--pending") == 0)
            target = &pending;
        else if (std::strcmp(argv[i], "--events") == 0)
            target = &events;
        else
            return usage(argv[0]);
        if (i + 1 >= argc || !parse_count(argv[i + 1], target)) {
            std::fprintf(stderr, "%s: %s needs a count >= 1, got '%s'\n", argv[0], argv[i],
                         i + 1 < argc ? argv[i + 1] : "");
            return usage(argv[0]);
        }
        i++;
    }

    SplitMix64 rng{42};
    uint64_t seq = 0;
    std::vector<Event> storage;
    storage.reserve(pending + 1); // no growth inside the measured loop
    std::priority_queue<Event, std::vector<Event>, Later> queue(Later(), std::move(storage));
    for (uint64_t i = 0; i < pending; i++)
        queue.push(Event{rng.exp_ns(), seq++, 0, static_cast<uint32_t>(i), 0});

    // One hold iteration: pop the earliest, push its successor (same kind/entity/arg, as hold.c reschedules).
    auto hold = [&](uint64_t n) {
        for (uint64_t k = 0; k < n; k++) {
            Event e = queue.top();
            queue.pop();
            e.time += rng.exp_ns();
            e.seq = seq++;
            queue.push(e);
        }
    };

    // Warm-up, untimed: one pass over the queue, so the timed part sees the steady-state shape, not the prefill's.
    hold(pending);

    double t0 = seconds_now();
    hold(events);
    double secs = seconds_now() - t0;

    // The clock after the run is printed so the loop's work is observable (and a quick check: it advances by about
    // events / pending seconds).
    std::printf("# pq_hold: std::priority_queue, %zu-byte events, %.3f s, sim time %.3f s\n", sizeof(Event), secs,
                static_cast<double>(queue.top().time) / 1e9);
    std::printf("events_per_s=%.0f pending=%zu\n", static_cast<double>(events) / secs, queue.size());
    return 0;
}
