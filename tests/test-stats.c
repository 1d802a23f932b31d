/* tests/test-stats.c — tallies against sorted samples, merge against one tally, gauges by hand, t against tables.
 *
 * The reference quantile is the same nearest-rank definition the tally uses: the value of rank ceil(q n) (at least
 * 1) in the sorted sample.  The histogram promises a relative error of at most 1/(2 HNB_HIST_SUB) = 1/128, so that is
 * the tolerance, tighter than the 1% in the header; a slice off by one would miss it.
 */
#include "sim/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a local generator, so these tests do not depend on sim/rng.c -------------------------------------------- */

/* splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014) */
static uint64_t next_bits(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* uniform on the open interval (0, 1): the top 53 bits, offset by half a step so 0 never comes out */
static double next_uniform(uint64_t *state)
{
    return ((double)(next_bits(state) >> 11) + 0.5) * 0x1p-53;
}

/* standard normal by Box-Muller (one of the pair is enough here) */
static double next_normal(uint64_t *state)
{
    double u = next_uniform(state), v = next_uniform(state);
    return sqrt(-2.0 * log(u)) * cos(2.0 * G_PI * v);
}

/* ---- reference helpers ---------------------------------------------------------------------------------------- */

#define QUANT_TOL (1.0 / (2 * HNB_HIST_SUB) * (1.0 + 1e-12))

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* nearest-rank quantile of a sorted array, written the way the tally is documented, not the way it is coded */
static double exact_quantile(const double *sorted, size_t n, double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static double rel_err(double got, double want)
{
    return want == got ? 0.0 : fabs(got - want) / fabs(want);
}

/* ---- tally ---------------------------------------------------------------------------------------------------- */

static void test_tally_empty(void)
{
    HnbTally t;
    hnb_tally_init(&t);
    g_assert_cmpuint(t.n, ==, 0);
    g_assert_true(isnan(hnb_tally_quantile(&t, 0.5)));
    g_assert_true(isnan(hnb_tally_quantile(&t, 0.0)));
    g_assert_true(isnan(t.min) && isnan(t.max));
    g_assert_cmpfloat(hnb_tally_variance(&t), ==, 0.0);
    g_assert_null(t.bins);
    hnb_tally_clear(&t);

    hnb_tally_add(&t, 3.0);
    g_assert_cmpfloat(hnb_tally_variance(&t), ==, 0.0); /* n < 2 */
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.5), ==, 3.0);
    g_assert_cmpfloat(t.min, ==, 3.0);
    g_assert_cmpfloat(t.max, ==, 3.0);
    hnb_tally_clear(&t);
    g_assert_null(t.bins);
    g_assert_cmpuint(t.n, ==, 0);
}

/* Moments against a two-pass computation on data with a large offset, where sum x^2 - n mean^2 would lose every
 * digit of the variance. */
static void test_tally_moments(void)
{
    enum { N = 20000 };
    static double x[N];
    uint64_t s = 7;
    HnbTally t;
    hnb_tally_init(&t);
    double sum = 0, min = INFINITY, max = -INFINITY;
    for (size_t i = 0; i < N; i++) {
        x[i] = 1e9 + 3.0 * next_normal(&s);
        hnb_tally_add(&t, x[i]);
        sum += x[i];
        min = MIN(min, x[i]);
        max = MAX(max, x[i]);
    }
    double mean = sum / N, ss = 0;
    for (size_t i = 0; i < N; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    g_assert_cmpuint(t.n, ==, N);
    g_assert_cmpfloat(rel_err(t.mean, mean), <=, 1e-14);
    g_assert_cmpfloat(rel_err(t.sum, sum), <=, 1e-14);
    g_assert_cmpfloat(rel_err(hnb_tally_variance(&t), ss / (N - 1)), <=, 1e-6);
    g_assert_cmpfloat(fabs(hnb_tally_variance(&t) - 9.0), <=, 0.3); /* and it is the variance we drew */
    g_assert_cmpfloat(t.min, ==, min);
    g_assert_cmpfloat(t.max, ==, max);
    hnb_tally_clear(&t);
}

typedef struct {
    const char *name;
    double (*draw)(uint64_t *state);
} Shape;

static double draw_uniform(uint64_t *s) { return next_uniform(s); }
static double draw_exponential(uint64_t *s) { return -log(next_uniform(s)); }
static double draw_lognormal(uint64_t *s) { return exp(4.0 * next_normal(s)); } /* e^(±4.3 sigma) ~ 1e-7..1e7 */
static double draw_constant(uint64_t *s) { (void)next_bits(s); return 42.5; }
static double draw_two_point(uint64_t *s) { return next_uniform(s) < 0.9 ? 1.0 : 1000.0; }
static double draw_scaled(uint64_t *s) { return 3e-5 * (1.0 + 1e-3 * next_uniform(s)); } /* one narrow octave */

static const Shape shapes[] = {
    {"uniform", draw_uniform},   {"exponential", draw_exponential}, {"lognormal", draw_lognormal},
    {"constant", draw_constant}, {"two-point", draw_two_point},     {"narrow", draw_scaled},
};

static void test_tally_quantiles(gconstpointer data)
{
    const Shape *shape = data;
    enum { N = 100000 };
    double *x = g_new(double, N);
    uint64_t s = 12345;
    HnbTally t;
    hnb_tally_init(&t);
    for (size_t i = 0; i < N; i++) {
        x[i] = shape->draw(&s);
        hnb_tally_add(&t, x[i]);
    }
    qsort(x, N, sizeof *x, cmp_double);
    if (strcmp(shape->name, "lognormal") == 0) { /* the spread the brief asks for is really there */
        g_assert_cmpfloat(x[0], <, 1e-6);
        g_assert_cmpfloat(x[N - 1], >, 1e6);
    }

    static const double headline[] = {0.5, 0.95, 0.99};
    for (size_t k = 0; k < G_N_ELEMENTS(headline); k++) {
        double got = hnb_tally_quantile(&t, headline[k]), want = exact_quantile(x, N, headline[k]);
        if (g_test_verbose())
            g_test_message("%s p%g: tally %.9g exact %.9g (%.3f%%)", shape->name, 100 * headline[k], got, want,
                           100 * rel_err(got, want));
        g_assert_cmpfloat(rel_err(got, want), <=, QUANT_TOL);
    }
    /* every permille, so a bad bucket anywhere in the range shows up, not just at three points */
    for (int k = 0; k <= 1000; k++) {
        double q = k / 1000.0;
        g_assert_cmpfloat(rel_err(hnb_tally_quantile(&t, q), exact_quantile(x, N, q)), <=, QUANT_TOL);
    }
    /* the extremes are exact */
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.0), ==, x[0]);
    g_assert_cmpfloat(hnb_tally_quantile(&t, 1.0), ==, x[N - 1]);
    g_assert_cmpfloat(t.min, ==, x[0]);
    g_assert_cmpfloat(t.max, ==, x[N - 1]);

    hnb_tally_clear(&t);
    g_free(x);
}

/* Values on and just below slice edges, across the whole double range (subnormals, the largest finite): rank 2 of
 * {x/4, x, x, 4x} must come from x's own slice; x/4 and 4x keep the clamp to [min, max] from hiding a wrong slice.
 * An off-by-one slice is 1.5/128 away and fails the tolerance. */
static void test_tally_buckets(void)
{
    double xs[2 * HNB_HIST_SUB + 8];
    size_t n = 0;
    for (int k = 0; k < HNB_HIST_SUB; k++) {
        double edge = 1.0 + (double)k / HNB_HIST_SUB; /* slice k of octave [1, 2) starts here */
        xs[n++] = edge;
        xs[n++] = nextafter(edge, 0.0);
    }
    xs[n++] = 2.0;
    xs[n++] = nextafter(2.0, 0.0);
    xs[n++] = DBL_MIN;                    /* smallest normal */
    xs[n++] = 5e-324;                     /* smallest subnormal */
    xs[n++] = 3.7e-310;                   /* a subnormal mid-range */
    xs[n++] = DBL_MAX;
    xs[n++] = 1e-300;
    xs[n++] = 123456789.0;
    g_assert_cmpuint(n, <=, G_N_ELEMENTS(xs));

    for (size_t i = 0; i < n; i++) {
        HnbTally t;
        hnb_tally_init(&t);
        hnb_tally_add(&t, xs[i] / 4);
        hnb_tally_add(&t, xs[i]);
        hnb_tally_add(&t, xs[i]);
        hnb_tally_add(&t, fmin(4 * xs[i], DBL_MAX));
        double got = hnb_tally_quantile(&t, 0.5);
        if (rel_err(got, xs[i]) > QUANT_TOL)
            g_error("x = %a: median %a, relative error %g", xs[i], got, rel_err(got, xs[i]));
        hnb_tally_clear(&t);
    }
}

/* Zeros and negatives share the underflow bucket: inner ranks there read 0 (clamped to [min, max]), rank 1 reads the
 * true min. */
static void test_tally_zero_neg(void)
{
    HnbTally t;
    hnb_tally_init(&t);
    for (int i = 0; i < 30; i++)
        hnb_tally_add(&t, -5.0 + i * 0.1); /* -5 .. -2.1 */
    for (int i = 0; i < 20; i++)
        hnb_tally_add(&t, 0.0);
    for (int i = 0; i < 50; i++)
        hnb_tally_add(&t, 10.0);
    g_assert_cmpuint(t.zero_or_neg, ==, 50);
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.0), ==, -5.0);
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.2), ==, 0.0);
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.5), ==, 0.0);  /* rank 50: the last zero */
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.51), ==, 10.0); /* rank 51: slice of 10 clamped to max */
    g_assert_cmpfloat(hnb_tally_quantile(&t, 1.0), ==, 10.0);
    hnb_tally_clear(&t);

    /* all negative: inner ranks read 0 clamped to max */
    hnb_tally_init(&t);
    hnb_tally_add(&t, -3.0);
    hnb_tally_add(&t, -2.0);
    hnb_tally_add(&t, -1.0);
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.5), ==, -1.0);
    g_assert_cmpfloat(hnb_tally_quantile(&t, 0.0), ==, -3.0);
    g_assert_null(t.bins); /* nothing positive, nothing allocated */
    hnb_tally_clear(&t);
}

static void assert_same_tally(const HnbTally *a, const HnbTally *b)
{
    g_assert_cmpuint(a->n, ==, b->n);
    g_assert_cmpuint(a->zero_or_neg, ==, b->zero_or_neg);
    g_assert_cmpfloat(rel_err(a->mean, b->mean), <=, 1e-9);
    g_assert_cmpfloat(rel_err(hnb_tally_variance(a), hnb_tally_variance(b)), <=, 1e-9);
    g_assert_cmpfloat(rel_err(a->sum, b->sum), <=, 1e-9);
    g_assert_cmpfloat(a->min, ==, b->min);
    g_assert_cmpfloat(a->max, ==, b->max);
    for (int k = 0; k <= 1000; k++)
        g_assert_cmpfloat(hnb_tally_quantile(a, k / 1000.0), ==, hnb_tally_quantile(b, k / 1000.0));
    /* the histograms agree bin for bin over the union of their ranges */
    int lo = MIN(a->lo_octave, b->lo_octave), hi = MAX(a->lo_octave + a->n_octaves, b->lo_octave + b->n_octaves);
    for (int e = lo; e < hi; e++)
        for (int s = 0; s < HNB_HIST_SUB; s++) {
            uint64_t ca = e >= a->lo_octave && e < a->lo_octave + a->n_octaves
                              ? a->bins[(size_t)(e - a->lo_octave) * HNB_HIST_SUB + (size_t)s] : 0;
            uint64_t cb = e >= b->lo_octave && e < b->lo_octave + b->n_octaves
                              ? b->bins[(size_t)(e - b->lo_octave) * HNB_HIST_SUB + (size_t)s] : 0;
            g_assert_cmpuint(ca, ==, cb);
        }
}

/* Four parts with disjoint, overlapping and empty octave ranges, merged in an order that makes `into` grow both
 * down and up, must equal one tally fed everything. */
static void test_tally_merge(void)
{
    enum { N = 40000, PARTS = 4 };
    HnbTally whole, part[PARTS], merged;
    hnb_tally_init(&whole);
    hnb_tally_init(&merged);
    for (int p = 0; p < PARTS; p++)
        hnb_tally_init(&part[p]);
    uint64_t s = 99;
    for (size_t i = 0; i < N; i++) {
        double u = next_uniform(&s), x;
        int p;
        if (u < 0.3) {
            x = 1e-6 * (1 + 999 * next_uniform(&s)); /* 1e-6 .. 1e-3 */
            p = 0;
        } else if (u < 0.6) {
            x = 1e3 * (1 + 999 * next_uniform(&s)); /* 1e3 .. 1e6 */
            p = 1;
        } else if (u < 0.65) {
            x = -next_uniform(&s); /* the underflow bucket */
            p = 2;
        } else {
            x = exp(3 * next_normal(&s)); /* overlaps everything */
            p = 2;
        }
        /* part 3 stays empty */
        hnb_tally_add(&whole, x);
        hnb_tally_add(&part[p], x);
    }
    g_assert_cmpint(part[0].lo_octave + part[0].n_octaves, <=, part[1].lo_octave); /* really disjoint */

    hnb_tally_merge(&merged, &part[3]); /* empty into empty */
    g_assert_cmpuint(merged.n, ==, 0);
    g_assert_null(merged.bins);
    hnb_tally_merge(&merged, &part[1]); /* into empty: a copy */
    hnb_tally_merge(&merged, &part[0]); /* grows downward */
    hnb_tally_merge(&merged, &part[3]); /* empty: no change */
    hnb_tally_merge(&merged, &part[2]); /* grows both ways */
    assert_same_tally(&merged, &whole);

    /* the other association: ((2 + 0) + 1) */
    HnbTally other;
    hnb_tally_init(&other);
    hnb_tally_merge(&other, &part[2]);
    hnb_tally_merge(&other, &part[0]);
    hnb_tally_merge(&other, &part[1]);
    assert_same_tally(&other, &whole);

    /* merging a tally into itself doubles every count and keeps the mean */
    HnbTally twice;
    hnb_tally_init(&twice);
    hnb_tally_merge(&twice, &whole);
    hnb_tally_merge(&twice, &whole);
    hnb_tally_merge(&other, &other);
    assert_same_tally(&other, &twice);
    g_assert_cmpuint(other.n, ==, 2 * N);

    hnb_tally_clear(&twice);
    hnb_tally_clear(&other);
    hnb_tally_clear(&merged);
    hnb_tally_clear(&whole);
    for (int p = 0; p < PARTS; p++)
        hnb_tally_clear(&part[p]);
}

/* A NaN is a model bug: refused with a critical, the tally untouched. */
static void test_tally_nan(void)
{
    if (g_test_subprocess()) {
        HnbTally t;
        hnb_tally_init(&t);
        hnb_tally_add(&t, NAN);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*isfinite*");
}

/* ---- gauge ---------------------------------------------------------------------------------------------------- */

/* Level 2 from 10 s, 5 from 12 s, 4 from 15 s, 0 from 20 s.  Area to 25 s: 2*2 + 5*3 + 4*5 + 0*5 = 39 level-seconds
 * over 15 s: mean 2.6.  To 16 s: 4 + 15 + 4 = 23 over 6 s. */
static void test_gauge_mean(void)
{
    HnbGauge g;
    hnb_gauge_init(&g, 10 * HNB_SEC, 2.0);
    g_assert_cmpfloat(hnb_gauge_mean(&g, 10 * HNB_SEC), ==, 2.0); /* no time has passed: the level */
    hnb_gauge_set(&g, 12 * HNB_SEC, 5.0);
    hnb_gauge_add(&g, 15 * HNB_SEC, -1.0);
    g_assert_cmpfloat(g.level, ==, 4.0);
    g_assert_cmpfloat(fabs(hnb_gauge_mean(&g, 16 * HNB_SEC) - 23.0 / 6.0), <=, 1e-12);
    hnb_gauge_set(&g, 20 * HNB_SEC, 0.0);
    g_assert_cmpfloat(fabs(hnb_gauge_mean(&g, 25 * HNB_SEC) - 2.6), <=, 1e-12);
    g_assert_cmpfloat(g.max, ==, 5.0);

    /* two changes at one instant leave no area behind */
    hnb_gauge_set(&g, 25 * HNB_SEC, 100.0);
    hnb_gauge_set(&g, 25 * HNB_SEC, 0.0);
    g_assert_cmpfloat(fabs(hnb_gauge_mean(&g, 25 * HNB_SEC) - 2.6), <=, 1e-12);
    g_assert_cmpfloat(g.max, ==, 100.0);

    /* the max starts at the initial level, even if it only falls */
    hnb_gauge_init(&g, 0, 7.0);
    hnb_gauge_add(&g, HNB_MSEC, -7.0);
    g_assert_cmpfloat(g.max, ==, 7.0);
    g_assert_cmpfloat(fabs(hnb_gauge_mean(&g, 4 * HNB_MSEC) - 7.0 / 4.0), <=, 1e-12);
}

/* ---- Student t ------------------------------------------------------------------------------------------------ */

static void test_t_table(void)
{
    static const struct {
        double alpha;
        unsigned df;
        double t;
    } table[] = {
        /* the usual two-sided table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2, more digits) */
        {0.05, 1, 12.7062047},
        {0.05, 2, 4.30265273},
        {0.05, 4, 2.77644511},
        {0.05, 9, 2.26215716},
        {0.05, 29, 2.04522964},
        {0.05, 120, 1.97993040},
        {0.01, 10, 3.16927267},
        {0.1, 5, 2.01504837},
        /* corners of the promised range, and both sides of the switch to the series at df 1000; computed with
         * mpmath (40 digits) by inverting its regularized incomplete beta */
        {0.001, 1, 636.619248768719603},
        {0.001, 3, 12.9239786366874830},
        {0.001, 30, 3.64595863504202181},
        {0.5, 7, 0.711141778081786306},
        {0.2, 15, 1.34060560785045553},
        {0.05, 1000, 1.96233908082640846},
        {0.05, 1001, 1.96233670528087989},
        {0.001, 1000, 3.30028264842391290},
        {0.001, 1001, 3.30027287606600912},
        {0.05, 100000, 1.95998770753460961},
        /* df -> infinity is the normal quantile */
        {0.05, UINT_MAX, 1.95996398454005424},
        {0.001, UINT_MAX, 3.29052673149189479},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        double got = hnb_student_t_quantile(table[i].alpha, table[i].df);
        if (!(fabs(got - table[i].t) <= 1e-6))
            g_error("t(%g, %u) = %.12g, table %.12g", table[i].alpha, table[i].df, got, table[i].t);
    }
}

/* The quantile falls as df grows and as alpha grows; a root finder that lost its bracket would break this. */
static void test_t_monotone(void)
{
    static const double alphas[] = {0.001, 0.003, 0.01, 0.05, 0.1, 0.25, 0.5};
    for (size_t a = 0; a < G_N_ELEMENTS(alphas); a++) {
        double prev = INFINITY;
        for (unsigned df = 1; df <= 2000; df++) {
            double t = hnb_student_t_quantile(alphas[a], df);
            g_assert_cmpfloat(t, <, prev);
            if (a > 0)
                g_assert_cmpfloat(t, <, hnb_student_t_quantile(alphas[a - 1], df));
            prev = t;
        }
    }
}

/* ---- confidence interval -------------------------------------------------------------------------------------- */

/* x = {1.2, 2.4, 1.9, 3.1, 2.2}: mean 10.8/5 = 2.16; squared deviations .9216 .0576 .0676 .8836 .0016 sum to 1.932,
 * s^2 = 0.483, s = 0.694982014; half = t(0.05, 4) s / sqrt 5 = 2.776445105 * 0.694982014 / 2.236067977
 * = 0.862934146. */
static void test_ci95_textbook(void)
{
    static const double x[] = {1.2, 2.4, 1.9, 3.1, 2.2};
    double mean, half;
    hnb_ci95(x, G_N_ELEMENTS(x), &mean, &half);
    g_assert_cmpfloat(fabs(mean - 2.16), <=, 1e-12);
    g_assert_cmpfloat(fabs(half - 0.862934146376349), <=, 1e-6);

    hnb_ci95(x, 1, &mean, &half);
    g_assert_cmpfloat(mean, ==, 1.2);
    g_assert_true(isnan(half));
    hnb_ci95(x, 0, &mean, &half);
    g_assert_true(isnan(mean));
    g_assert_true(isnan(half));

    /* identical values: a zero-width interval, not NaN */
    static const double same[] = {4.0, 4.0, 4.0};
    hnb_ci95(same, 3, &mean, &half);
    g_assert_cmpfloat(mean, ==, 4.0);
    g_assert_cmpfloat(half, ==, 0.0);
    /* and exactly so for values whose sum rounds: 200 x 2/3 summed is not 200 x (2/3) in binary */
    double thirds[200];
    for (size_t i = 0; i < G_N_ELEMENTS(thirds); i++)
        thirds[i] = 2.0 / 3;
    hnb_ci95(thirds, G_N_ELEMENTS(thirds), &mean, &half);
    g_assert_cmpfloat(mean, ==, 2.0 / 3);
    g_assert_cmpfloat(half, ==, 0.0);
    /* beyond the horizon in every replication: +inf, and no interval (as the report has always read it) */
    static const double never[] = {INFINITY, INFINITY};
    hnb_ci95(never, 2, &mean, &half);
    g_assert_true(isinf(mean) && mean > 0);
    g_assert_true(isnan(half));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/stats/tally/empty", test_tally_empty);
    g_test_add_func("/stats/tally/moments", test_tally_moments);
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        g_autofree char *path = g_strdup_printf("/stats/tally/quantiles/%s", shapes[i].name);
        g_test_add_data_func(path, &shapes[i], test_tally_quantiles);
    }
    g_test_add_func("/stats/tally/buckets", test_tally_buckets);
    g_test_add_func("/stats/tally/zero-neg", test_tally_zero_neg);
    g_test_add_func("/stats/tally/merge", test_tally_merge);
    g_test_add_func("/stats/tally/nan", test_tally_nan);
    g_test_add_func("/stats/gauge/mean", test_gauge_mean);
    g_test_add_func("/stats/t/table", test_t_table);
    g_test_add_func("/stats/t/monotone", test_t_monotone);
    g_test_add_func("/stats/ci95/textbook", test_ci95_textbook);
    return g_test_run();
}
