/* tests/test-dist.c — distribution texts: parse, errors, canonical format, and the moments of the samples.
 *
 * Moments are checked against formulas written out here (not hnb_dist_mean), on fixed streams, so the bounds are
 * deterministic: a mean within 5 standard errors, a variance within 5 %.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sim/dist.h"

static HnbDist parse_ok(const char *text, HnbUnit unit)
{
    HnbDist d;
    GError *error = NULL;
    gboolean ok = hnb_dist_parse(text, unit, &d, &error);
    if (!ok)
        g_error("parse of \"%s\" failed: %s", text, error->message);
    return d;
}

/* ---- moments ---- */

static double std_pdf(double x) { return exp(-0.5 * x * x) / sqrt(2 * G_PI); }
static double std_tail(double x) { return 0.5 * erfc(x / G_SQRT2); } /* 1 - Phi(x) */

typedef struct {
    const char *text;
    HnbUnit unit;
    double mean, var; /* exact, from the textbook formulas below */
} Moments;

#define S 1e9 /* one second in ns */

static void test_moments(void)
{
    const double k = 1.5, lam = 10 * S;                       /* weibull(1.5,10s) */
    const double mu_ln = log(2 * S), sg = 0.5;                /* lognormal(2s,0.5) */
    const double a1 = -1.0 / 2, l1 = std_pdf(a1) / std_tail(a1); /* normal(1s,2s) truncated at 0: alpha = -mu/sd */
    const double a2 = -10.0 / 2, l2 = std_pdf(a2) / std_tail(a2);
    Moments cases[] = {
        {"const(30s)", HNB_UNIT_DURATION, 30 * S, 0},
        {"250ms", HNB_UNIT_DURATION, 0.25 * S, 0},
        {"uniform(5s,10s)", HNB_UNIT_DURATION, 7.5 * S, 25 * S * S / 12},
        {"uniform(-2,2)", HNB_UNIT_NONE, 0, 16.0 / 12},
        {"uniform(10%,90%)", HNB_UNIT_FRACTION, 0.5, 0.64 / 12},
        {"exp(30s)", HNB_UNIT_DURATION, 30 * S, 900 * S * S},
        {"exp(40/s)", HNB_UNIT_RATE, 40, 1600},
        {"normal(10s,2s)", HNB_UNIT_DURATION, 10 * S + 2 * S * l2, 4 * S * S * (1 + a2 * l2 - l2 * l2)},
        {"normal(1s,2s)", HNB_UNIT_DURATION, 1 * S + 2 * S * l1, 4 * S * S * (1 + a1 * l1 - l1 * l1)},
        {"normal(-3,2)", HNB_UNIT_NONE, -3, 4},
        {"lognormal(2s,0.5)", HNB_UNIT_DURATION, exp(mu_ln + sg * sg / 2),
         (exp(sg * sg) - 1) * exp(2 * mu_ln + sg * sg)},
        {"weibull(1.5,10s)", HNB_UNIT_DURATION, lam * tgamma(1 + 1 / k),
         lam * lam * (tgamma(1 + 2 / k) - tgamma(1 + 1 / k) * tgamma(1 + 1 / k))},
        {"weibull(1,3MB)", HNB_UNIT_SIZE, 3e6, 9e12},
        {"empirical(1s:0.2, 5s:0.5, 10s:0.3)", HNB_UNIT_DURATION, 5.7 * S, (0.2 + 12.5 + 30 - 5.7 * 5.7) * S * S},
        {"empirical(-1:1, 2:3)", HNB_UNIT_NONE, 1.25, 0.25 * 1 + 0.75 * 4 - 1.25 * 1.25},
    };
    enum { N = 200000 };

    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        HnbDist d = parse_ok(cases[c].text, cases[c].unit);
        HnbRng r = hnb_rng_at(hnb_stream(2024, 0, "test.dist"), c, 0);
        double m = 0, m2 = 0; /* Welford: sum of squares minus square of sum cancels badly at 1e10 ns */
        for (int i = 0; i < N; i++) {
            double v = hnb_dist_sample(&d, &r), delta = v - m;
            m += delta / (i + 1);
            m2 += delta * (v - m);
        }
        double var = m2 / (N - 1);
        double sd = sqrt(cases[c].var);
        g_test_message("%-36s mean %.6g (exact %.6g)  var %.6g (exact %.6g)", cases[c].text, m, cases[c].mean, var,
                       cases[c].var);

        /* the library's exact mean agrees with the formula here */
        g_assert_cmpfloat_with_epsilon(hnb_dist_mean(&d), cases[c].mean, 1e-12 * fmax(1, fabs(cases[c].mean)));
        if (cases[c].var == 0) {
            g_assert_cmpfloat(m, ==, cases[c].mean);
            g_assert_cmpfloat(var, ==, 0);
            continue;
        }
        g_assert_cmpfloat(fabs(m - cases[c].mean), <, 5 * sd / sqrt(N));
        g_assert_cmpfloat(fabs(var - cases[c].var), <, 0.05 * cases[c].var);
    }
}

/* The empirical draw returns each value with its probability. */
static void test_empirical_frequencies(void)
{
    enum { N = 200000 };
    HnbDist d = parse_ok("empirical(3:1, 1:2, 2:3, 7:4)", HNB_UNIT_NONE);
    double p[] = {0.1, 0.2, 0.3, 0.4};
    double vals[] = {3, 1, 2, 7};
    guint count[4] = {0};
    HnbRng r = hnb_rng_at(hnb_stream(1, 0, "test.empirical"), 0, 0);
    for (int i = 0; i < N; i++) {
        double v = hnb_dist_sample(&d, &r);
        guint j = 0;
        while (j < 4 && vals[j] != v)
            j++;
        g_assert_cmpuint(j, <, 4);
        count[j]++;
    }
    for (guint j = 0; j < 4; j++)
        g_assert_cmpfloat(fabs(count[j] - N * p[j]), <, 5 * sqrt(N * p[j] * (1 - p[j])));
}

static void test_truncation(void)
{
    HnbDist dur = parse_ok("normal(0s,1s)", HNB_UNIT_DURATION);
    HnbDist plain = parse_ok("normal(0,1)", HNB_UNIT_NONE);
    HnbRng r = hnb_rng_at(hnb_stream(3, 0, "test.trunc"), 0, 0);
    guint negative = 0;
    for (int i = 0; i < 10000; i++) {
        g_assert_cmpfloat(hnb_dist_sample(&dur, &r), >=, 0);
        g_assert_cmpint(hnb_dist_sample_time(&dur, &r), >=, 0);
        negative += hnb_dist_sample(&plain, &r) < 0;
    }
    /* a plain number is not truncated: about half the draws are negative */
    g_assert_cmpuint(negative, >, 4500);
    g_assert_cmpuint(negative, <, 5500);
}

/* Uniforms consumed per draw, as dist.h promises: one, two for (untruncated) normal and lognormal. */
static void test_consumption(void)
{
    struct {
        const char *text;
        HnbUnit unit;
        uint64_t per_draw;
    } cases[] = {
        {"5", HNB_UNIT_NONE, 1},          {"uniform(1,2)", HNB_UNIT_NONE, 1}, {"exp(3)", HNB_UNIT_NONE, 1},
        {"normal(0,1)", HNB_UNIT_NONE, 2}, {"lognormal(1,1)", HNB_UNIT_NONE, 2}, {"weibull(2,1)", HNB_UNIT_NONE, 1},
        {"empirical(1:1,2:1)", HNB_UNIT_NONE, 1},
    };
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        HnbDist d = parse_ok(cases[c].text, cases[c].unit);
        HnbRng r = hnb_rng_at(hnb_stream(1, 0, "test.count"), 0, 100);
        for (int i = 0; i < 10; i++)
            (void)hnb_dist_sample(&d, &r);
        g_assert_cmpuint(r.counter, ==, 100 + 10 * cases[c].per_draw);
    }
}

static void test_exp_from_uniform(void)
{
    g_assert_cmpfloat_with_epsilon(hnb_exp_from_uniform(2.0, exp(-1.0)), 2.0, 1e-15);
    g_assert_cmpfloat_with_epsilon(hnb_exp_from_uniform(30.0, 0.5), 30.0 * G_LN2, 1e-13);
    /* the extreme uniforms give finite, positive variates */
    double lo = hnb_exp_from_uniform(1.0, hnb_rng_bits_to_uniform(UINT64_MAX));
    double hi = hnb_exp_from_uniform(1.0, hnb_rng_bits_to_uniform(0));
    g_assert_cmpfloat(lo, >, 0);
    g_assert_true(isfinite(hi));
    g_assert_cmpfloat(hi, <, 40);
}

/* ---- parsing ---- */

static void test_parse_values(void)
{
    HnbDist d = parse_ok("  30s ", HNB_UNIT_DURATION);
    g_assert_cmpint(d.kind, ==, HNB_DIST_CONST);
    g_assert_cmpfloat(d.a, ==, 30 * S);

    d = parse_ok(" uniform ( 5s ,\t10s ) ", HNB_UNIT_DURATION);
    g_assert_cmpint(d.kind, ==, HNB_DIST_UNIFORM);
    g_assert_cmpfloat(d.a, ==, 5 * S);
    g_assert_cmpfloat(d.b, ==, 10 * S);

    d = parse_ok("weibull(1.5,10s)", HNB_UNIT_DURATION);
    g_assert_cmpint(d.kind, ==, HNB_DIST_WEIBULL);
    g_assert_cmpfloat(d.a, ==, 1.5);
    g_assert_cmpfloat(d.b, ==, 10 * S);

    d = parse_ok("lognormal(2s,0.5)", HNB_UNIT_DURATION);
    g_assert_cmpint(d.kind, ==, HNB_DIST_LOGNORMAL);
    g_assert_cmpfloat(d.a, ==, 2 * S);
    g_assert_cmpfloat(d.b, ==, 0.5);

    d = parse_ok("exp(1Gbps)", HNB_UNIT_BITRATE);
    g_assert_cmpint(d.kind, ==, HNB_DIST_EXP);
    g_assert_cmpfloat(d.a, ==, 1e9);

    /* weights are normalised; cum ends at exactly 1 and is a multiple of 2^-53 */
    d = parse_ok("empirical(1s:2, 5s:5, 10s:3)", HNB_UNIT_DURATION);
    g_assert_cmpint(d.kind, ==, HNB_DIST_EMPIRICAL);
    g_assert_cmpuint(d.n, ==, 3);
    g_assert_cmpfloat(d.value[2], ==, 10 * S);
    g_assert_cmpfloat_with_epsilon(d.cum[0], 0.2, 1e-15);
    g_assert_cmpfloat_with_epsilon(d.cum[1], 0.7, 1e-15);
    g_assert_cmpfloat(d.cum[2], ==, 1.0);
    for (unsigned i = 0; i < d.n; i++)
        g_assert_cmpfloat(d.cum[i] * 0x1p53, ==, floor(d.cum[i] * 0x1p53));

    /* negative plain numbers are fine where the unit allows them */
    d = parse_ok("normal(-3,2)", HNB_UNIT_NONE);
    g_assert_cmpfloat(d.a, ==, -3);
}

static void test_parse_errors(void)
{
    char many[2048];
    GString *g = g_string_new("empirical(");
    for (int i = 0; i < HNB_DIST_TABLE_MAX + 1; i++)
        g_string_append_printf(g, "%s%ds:1", i ? "," : "", i + 1);
    g_string_append_c(g, ')');
    g_strlcpy(many, g->str, sizeof many);
    g_string_free(g, TRUE);

    struct {
        const char *text;
        HnbUnit unit;
        const char *expect; /* a piece of the message that names the problem */
    } cases[] = {
        {"foo(1s)", HNB_UNIT_DURATION,
         "unknown distribution \"foo\" (expected const, uniform, exp, normal, lognormal, weibull, empirical)"},
        {"EXP(1s)", HNB_UNIT_DURATION, "unknown distribution \"EXP\""},
        {"", HNB_UNIT_DURATION, "empty"},
        {"   ", HNB_UNIT_DURATION, "empty"},
        {"30 parsecs", HNB_UNIT_DURATION, "constant"},
        {"exp(-3)", HNB_UNIT_NONE, "exponential mean must be > 0"},
        {"exp(-3s)", HNB_UNIT_DURATION, "exponential mean"},
        {"exp(0s)", HNB_UNIT_DURATION, "exponential mean must be > 0"},
        {"exp()", HNB_UNIT_DURATION, "exp takes 1 argument (mean), got 0"},
        {"exp(1s,2s)", HNB_UNIT_DURATION, "exp takes 1 argument (mean), got 2"},
        {"uniform(1s)", HNB_UNIT_DURATION, "uniform takes 2 arguments (a,b), got 1"},
        {"uniform(1s,,2s)", HNB_UNIT_DURATION, "got 3"},
        {"uniform(1s,)", HNB_UNIT_DURATION, "uniform upper bound b is missing"},
        {"uniform(10s,5s)", HNB_UNIT_DURATION, "uniform needs a <= b, got a = 10s > b = 5s"},
        {"uniform(0.5,1.5)", HNB_UNIT_FRACTION, "uniform upper bound b"},
        {"exp(30s)x", HNB_UNIT_DURATION, "unexpected \"x\" after ')'"},
        {"exp(30s))", HNB_UNIT_DURATION, "unexpected \")\" after ')'"},
        {"exp(30s", HNB_UNIT_DURATION, "missing ')'"},
        {"exp((30s))", HNB_UNIT_DURATION, "unexpected \")\" after ')'"},
        {"normal(10s,-2s)", HNB_UNIT_DURATION, "normal sd"},
        {"normal(-1s,2s)", HNB_UNIT_DURATION, "normal mean"},
        {"normal(1,-2)", HNB_UNIT_NONE, "normal sd must be >= 0"},
        {"lognormal(0s,0.5)", HNB_UNIT_DURATION, "lognormal median must be > 0"},
        {"lognormal(2s,-1)", HNB_UNIT_DURATION, "lognormal sigma must be >= 0"},
        {"lognormal(2s,1s)", HNB_UNIT_DURATION, "lognormal sigma"},
        {"lognormal(2s,50)", HNB_UNIT_DURATION, "mean of this distribution is not a finite number"},
        {"weibull(0,10s)", HNB_UNIT_DURATION, "weibull shape must be > 0"},
        {"weibull(1.5,0s)", HNB_UNIT_DURATION, "weibull scale must be > 0"},
        {"weibull(10s,1.5)", HNB_UNIT_DURATION, "weibull shape"},
        {"weibull(0.001,10s)", HNB_UNIT_DURATION, "mean of this distribution is not a finite number"},
        {"empirical()", HNB_UNIT_DURATION, "empirical takes at least 1 argument"},
        {"empirical(1s)", HNB_UNIT_DURATION, "empirical entry \"1s\" is not value:weight"},
        {"empirical(1s:0.2, 5s:0)", HNB_UNIT_DURATION, "empirical weight must be > 0, got \"0\""},
        {"empirical(1s:0.2, 5s:-1)", HNB_UNIT_DURATION, "empirical weight must be > 0, got \"-1\""},
        {"empirical(1s:0.2, 5s:x)", HNB_UNIT_DURATION, "empirical weight"},
        {"empirical(-1s:1)", HNB_UNIT_DURATION, "empirical value"},
        {"empirical(1s:1,)", HNB_UNIT_DURATION, "empirical entry \"\" is not value:weight"},
        {"empirical(1s:1e-300, 2s:1)", HNB_UNIT_DURATION, "below 2^-53"},
        {"empirical(1:1e308, 2:1e308)", HNB_UNIT_NONE, "sum to more than a double holds"},
        {many, HNB_UNIT_DURATION, "empirical has 65 entries, at most 64 are allowed"},
        {"nan", HNB_UNIT_NONE, "constant"},
        {"inf", HNB_UNIT_NONE, "constant"},
        {"exp(inf)", HNB_UNIT_NONE, "exponential mean"},
        {"exp(nan)", HNB_UNIT_NONE, "exponential mean"},
        {"const(1e999)", HNB_UNIT_NONE, "constant"},
        {"uniform(1,1e999)", HNB_UNIT_NONE, "uniform upper bound b"},
    };

    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        HnbDist d, before;
        GError *error = NULL;
        memset(&d, 0xab, sizeof d);
        before = d;
        gboolean ok = hnb_dist_parse(cases[c].text, cases[c].unit, &d, &error);
        if (ok)
            g_error("\"%s\" was accepted", cases[c].text);
        g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
        g_test_message("%s", error->message);
        g_autofree char *quoted = g_strdup_printf("\"%s\"", cases[c].text);
        if (!strstr(error->message, quoted) || !strstr(error->message, cases[c].expect))
            g_error("message for \"%s\" is \"%s\"; wanted the quoted text and \"%s\"", cases[c].text, error->message,
                    cases[c].expect);
        g_assert_true(memcmp(&d, &before, sizeof d) == 0); /* *out untouched on error */
        g_clear_error(&error);
    }
}

/* ---- formatting ---- */

static void check_round_trip(const HnbDist *d, const char *origin)
{
    char buf[HNB_DIST_FORMAT_MAX], again[HNB_DIST_FORMAT_MAX];
    HnbDist back;
    GError *error = NULL;
    hnb_dist_format(d, buf, sizeof buf);
    g_assert_cmpuint(strlen(buf), <, sizeof buf - 1); /* not truncated */
    if (!hnb_dist_parse(buf, d->unit, &back, &error))
        g_error("\"%s\" formats as \"%s\", which does not parse: %s", origin, buf, error->message);
    if (!hnb_dist_equal(&back, d))
        g_error("\"%s\" formats as \"%s\", which parses to a different distribution", origin, buf);
    g_assert_cmpstr(hnb_dist_format(&back, again, sizeof again), ==, buf);
}

static void test_format_canonical(void)
{
    struct {
        const char *text;
        HnbUnit unit;
        const char *canonical;
    } cases[] = {
        {"const(30s)", HNB_UNIT_DURATION, "30s"},
        {" 30s ", HNB_UNIT_DURATION, "30s"},
        {" uniform( 5s , 10s ) ", HNB_UNIT_DURATION, "uniform(5s,10s)"},
        {"exp(30s)", HNB_UNIT_DURATION, "exp(30s)"},
        {"normal(10s,2s)", HNB_UNIT_DURATION, "normal(10s,2s)"},
        {"lognormal(2s,0.5)", HNB_UNIT_DURATION, "lognormal(2s,0.5)"},
        {"weibull(1.5,10s)", HNB_UNIT_DURATION, "weibull(1.5,10s)"},
        {"empirical(1s:0.2, 5s:0.5, 10s:0.3)", HNB_UNIT_DURATION, "empirical(1s:0.2, 5s:0.5, 10s:0.3)"},
        {"empirical(1s:2,5s:5,10s:3)", HNB_UNIT_DURATION, "empirical(1s:0.2, 5s:0.5, 10s:0.3)"},
        {"empirical(7:1)", HNB_UNIT_NONE, "empirical(7:1)"},
        {"normal(-0,1)", HNB_UNIT_NONE, "normal(0,1)"},
    };
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        HnbDist d = parse_ok(cases[c].text, cases[c].unit);
        char buf[256];
        g_assert_cmpstr(hnb_dist_format(&d, buf, sizeof buf), ==, cases[c].canonical);
        check_round_trip(&d, cases[c].text);
    }
}

static void test_format_round_trip(void)
{
    const struct {
        const char *text;
        HnbUnit unit;
    } fixed[] = {
        {"exp(1h30m)", HNB_UNIT_DURATION},         {"uniform(0s,1ms)", HNB_UNIT_DURATION},
        {"normal(1.5GB,100MiB)", HNB_UNIT_SIZE},   {"exp(3/h)", HNB_UNIT_RATE},
        {"uniform(100Mbps,1Gbps)", HNB_UNIT_BITRATE}, {"uniform(5%,20%)", HNB_UNIT_FRACTION},
        {"empirical(1:1, 2:1, 3:1)", HNB_UNIT_NONE}, {"empirical(1s:1, 2s:1e-9, 3s:7)", HNB_UNIT_DURATION},
        {"lognormal(0.001,3)", HNB_UNIT_NONE},     {"weibull(0.5,2d)", HNB_UNIT_DURATION},
    };
    for (guint c = 0; c < G_N_ELEMENTS(fixed); c++) {
        HnbDist d = parse_ok(fixed[c].text, fixed[c].unit);
        check_round_trip(&d, fixed[c].text);
    }

    /* random parameters: arbitrary plain doubles and whole-ns durations; full-size random empirical tables */
    GRand *rand = g_rand_new_with_seed(12345);
    for (int i = 0; i < 2000; i++) {
        char text[HNB_DIST_FORMAT_MAX];
        double x = g_rand_double_range(rand, -1e6, 1e6) * pow(10, g_rand_int_range(rand, -20, 20));
        double y = fabs(g_rand_double_range(rand, 0, 1e3));
        gint64 ns = g_rand_int_range(rand, 1, G_MAXINT32) * (gint64)g_rand_int_range(rand, 1, 1000);
        char xs[64], ys[64], ts[64];
        g_ascii_formatd(xs, sizeof xs, "%.17g", x);
        g_ascii_formatd(ys, sizeof ys, "%.17g", y);
        g_snprintf(ts, sizeof ts, "%" G_GINT64_FORMAT "ns", ns);
        switch (i % 5) {
        case 0: g_snprintf(text, sizeof text, "normal(%s,%s)", xs, ys); break;
        case 1: g_snprintf(text, sizeof text, "uniform(%s,%s)", x < y ? xs : ys, x < y ? ys : xs); break;
        case 2: g_snprintf(text, sizeof text, "exp(%s)", ts); break;
        case 3: g_snprintf(text, sizeof text, "lognormal(%s,%.3f)", ts, y / 1e3); break;
        default: {
            GString *g = g_string_new("empirical(");
            int n = g_rand_int_range(rand, 1, HNB_DIST_TABLE_MAX + 1);
            for (int j = 0; j < n; j++) {
                char w[64];
                g_ascii_formatd(w, sizeof w, "%.17g", g_rand_double_range(rand, 1e-6, 1e6));
                g_string_append_printf(g, "%s%" G_GINT64_FORMAT "ns:%s", j ? "," : "",
                                       g_rand_int_range(rand, 0, G_MAXINT32) * (gint64)1000, w);
            }
            g_string_append_c(g, ')');
            g_strlcpy(text, g->str, sizeof text);
            g_string_free(g, TRUE);
        }
        }
        HnbUnit unit = (i % 5 < 2) ? HNB_UNIT_NONE : HNB_UNIT_DURATION;
        HnbDist d = parse_ok(text, unit);
        check_round_trip(&d, text);
    }
    g_rand_free(rand);
}

/* A short buffer gets a terminated prefix, never an overrun. */
static void test_format_truncates(void)
{
    HnbDist d = parse_ok("empirical(1s:0.2, 5s:0.5, 10s:0.3)", HNB_UNIT_DURATION);
    char buf[12];
    memset(buf, 'x', sizeof buf);
    hnb_dist_format(&d, buf, 8);
    g_assert_cmpstr(buf, ==, "empiric");
    g_assert_cmpint(buf[8], ==, 'x');
}

/* Scaling by f gives the law of f·X: the mean times f for every kind, and each draw (same uniforms) times f. */
static void test_scale(void)
{
    static const char *const texts[] = {"30s", "uniform(5s,10s)", "exp(30s)", "normal(10s,2s)", "lognormal(2s,0.5)",
                                        "weibull(1.5,10s)", "empirical(1s:0.2, 5s:0.5, 10s:0.3)"};
    for (size_t k = 0; k < G_N_ELEMENTS(texts); k++) {
        HnbDist d, s;
        g_assert_true(hnb_dist_parse(texts[k], HNB_UNIT_DURATION, &d, NULL));
        s = d;
        hnb_dist_scale(&s, 2.5);
        g_assert_cmpfloat_with_epsilon(hnb_dist_mean(&s), 2.5 * hnb_dist_mean(&d), 1e-9 * hnb_dist_mean(&d));
        HnbRng r1 = hnb_rng_at(hnb_stream(1, 0, "scale"), 7, 0), r2 = r1;
        for (int i = 0; i < 100; i++) {
            double a = hnb_dist_sample(&d, &r1), b = hnb_dist_sample(&s, &r2);
            g_assert_cmpfloat_with_epsilon(b, 2.5 * a, 1e-6 * (a + 1));
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dist/sample/moments", test_moments);
    g_test_add_func("/dist/sample/empirical-frequencies", test_empirical_frequencies);
    g_test_add_func("/dist/sample/truncation", test_truncation);
    g_test_add_func("/dist/sample/consumption", test_consumption);
    g_test_add_func("/dist/sample/exp-from-uniform", test_exp_from_uniform);
    g_test_add_func("/dist/parse/values", test_parse_values);
    g_test_add_func("/dist/parse/errors", test_parse_errors);
    g_test_add_func("/dist/format/canonical", test_format_canonical);
    g_test_add_func("/dist/format/round-trip", test_format_round_trip);
    g_test_add_func("/dist/format/truncates", test_format_truncates);
    g_test_add_func("/dist/scale", test_scale);
    return g_test_run();
}
