/* sim/stats.c — tallies, gauges and Student-t intervals.
 *
 * Tally histogram layout: an observation x > 0 is written x = m * 2^e with m in [0.5, 1) (frexp), so octave e covers
 * [2^(e-1), 2^e).  Its sub-bucket is floor((m - 0.5) * 2 * HNB_HIST_SUB), a linear slice of the octave.  bins holds
 * the contiguous octaves [lo_octave, lo_octave + n_octaves); a value outside that range widens it in a cold path,
 * so after the first few observations adding one is arithmetic and one increment, nothing allocated.
 * Invariant: the bins plus zero_or_neg sum to n.
 *
 * Student-t quantiles invert the two-sided tail P(|T| > t) = I_{v/(v+t^2)}(v/2, 1/2) (Abramowitz & Stegun 26.7.1
 * and 26.5.27) by safeguarded Newton steps; the regularized incomplete beta I comes from its continued fraction
 * (A&S 26.5.8) evaluated by the modified Lentz method.  Large df skip all that: the Cornish-Fisher series
 * (A&S 26.7.5) is then exact to far below 1e-9.
 */
#include "sim/stats.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- tally ---------------------------------------------------------------------------------------------------- */

void hnb_tally_init(HnbTally *t)
{
    memset(t, 0, sizeof *t);
    /* no observation yet: NAN, like the quantiles of an empty tally, rather than a min of 0 that looks measured */
    t->min = NAN;
    t->max = NAN;
}

void hnb_tally_clear(HnbTally *t)
{
    g_free(t->bins);
    hnb_tally_init(t);
}

/* Widen the histogram to cover octaves [lo, hi) as well as what it already covers.  Cold: called only when an
 * octave appears for the first time, at most ~2100 times in a tally's life (the range of double exponents). */
static G_GNUC_NO_INLINE void cover(HnbTally *t, int lo, int hi)
{
    int old_lo = t->lo_octave, old_n = t->n_octaves;
    if (old_n > 0) {
        lo = MIN(lo, old_lo);
        hi = MAX(hi, old_lo + old_n);
    }
    uint64_t *bins = g_new0(uint64_t, (size_t)(hi - lo) * HNB_HIST_SUB);
    if (old_n > 0)
        memcpy(bins + (size_t)(old_lo - lo) * HNB_HIST_SUB, t->bins, (size_t)old_n * HNB_HIST_SUB * sizeof *bins);
    g_free(t->bins);
    t->bins = bins;
    t->lo_octave = lo;
    t->n_octaves = hi - lo;
}

void hnb_tally_add(HnbTally *t, double x)
{
    /* an infinity or NaN would poison the mean and has no bucket: a model bug, not data */
    g_return_if_fail(isfinite(x));

    /* Welford's update keeps m2 = sum (x_i - mean)^2 without the cancellation of sum x^2 - n mean^2.  The mean is
     * a chain from one observation to the next; dividing by n inside it made add 10.2 ns, multiplying by 1/n
     * (computed off the chain, from n alone) 7.9 ns, for one extra rounding of 1e-16. */
    t->n++;
    double d = x - t->mean;
    t->mean += d * (1.0 / (double)t->n);
    t->m2 += d * (x - t->mean);
    t->sum += x;
    if (t->n == 1 || x < t->min)
        t->min = x;
    if (t->n == 1 || x > t->max)
        t->max = x;

    if (x <= 0) {
        t->zero_or_neg++;
        return;
    }
    int e;
    double m = frexp(x, &e);
    /* (m - 0.5) * 2 * SUB is exact (power-of-two scaling, then Sterbenz subtraction), so the slice is never off by
     * one through rounding */
    int sub = (int)(m * (2 * HNB_HIST_SUB) - HNB_HIST_SUB);
    if (G_UNLIKELY(e < t->lo_octave || e >= t->lo_octave + t->n_octaves))
        cover(t, e, e + 1);
    t->bins[(size_t)(e - t->lo_octave) * HNB_HIST_SUB + (size_t)sub]++;
}

void hnb_tally_merge(HnbTally *into, const HnbTally *from)
{
    if (from->n == 0)
        return;
    /* read from's scalars first: into == from (doubling a tally) is then just a merge like any other */
    uint64_t na = into->n, nb = from->n;
    double ma = into->mean, mb = from->mean;
    double min = from->min, max = from->max;

    /* Chan, Golub & LeVeque (1979) pairwise update: exact for any split of the data, unlike adding sums of squares */
    uint64_t n = na + nb;
    double delta = mb - ma;
    into->mean = ma + delta * ((double)nb / (double)n);
    into->m2 = into->m2 + from->m2 + delta * delta * ((double)na * (double)nb / (double)n);
    into->n = n;
    into->sum += from->sum;
    if (na == 0 || min < into->min)
        into->min = min;
    if (na == 0 || max > into->max)
        into->max = max;
    into->zero_or_neg += from->zero_or_neg;

    if (from->n_octaves > 0) {
        int lo = from->lo_octave, hi = from->lo_octave + from->n_octaves;
        if (into->n_octaves == 0 || lo < into->lo_octave || hi > into->lo_octave + into->n_octaves)
            cover(into, lo, hi);
        uint64_t *dst = into->bins + (size_t)(lo - into->lo_octave) * HNB_HIST_SUB;
        for (size_t i = 0; i < (size_t)from->n_octaves * HNB_HIST_SUB; i++)
            dst[i] += from->bins[i];
    }
}

double hnb_tally_variance(const HnbTally *t)
{
    return t->n < 2 ? 0.0 : t->m2 / (double)(t->n - 1);
}

/* Midpoint of bin i: octave lo + i / SUB, slice i % SUB covers 2^e * [0.5 + s/(2 SUB), 0.5 + (s+1)/(2 SUB)). */
static double bin_mid(const HnbTally *t, size_t i)
{
    int e = t->lo_octave + (int)(i / HNB_HIST_SUB);
    double s = (double)(i % HNB_HIST_SUB);
    return ldexp(0.5 + (s + 0.5) / (2.0 * HNB_HIST_SUB), e);
}

static double clamp(const HnbTally *t, double v)
{
    return v < t->min ? t->min : v > t->max ? t->max : v;
}

double hnb_tally_quantile(const HnbTally *t, double q)
{
    g_return_val_if_fail(q >= 0.0 && q <= 1.0, NAN); /* also refuses a NaN q */
    if (t->n == 0)
        return NAN;
    uint64_t rank = (uint64_t)ceil(q * (double)t->n);
    /* the extreme ranks are known exactly, better than any bucket */
    if (rank <= 1)
        return t->min;
    if (rank >= t->n)
        return t->max;
    if (rank <= t->zero_or_neg)
        return clamp(t, 0.0);
    uint64_t cum = t->zero_or_neg;
    size_t nbins = (size_t)t->n_octaves * HNB_HIST_SUB;
    for (size_t i = 0; i < nbins; i++) {
        cum += t->bins[i];
        if (cum >= rank)
            return clamp(t, bin_mid(t, i));
    }
    g_assert_not_reached(); /* the bins and zero_or_neg sum to n >= rank */
    return NAN;
}

/* ---- gauge ---------------------------------------------------------------------------------------------------- */

void hnb_gauge_init(HnbGauge *g, HnbTime t0, double level)
{
    g->t0 = t0;
    g->last = t0;
    g->level = level;
    g->area = 0.0;
    g->max = level;
}

void hnb_gauge_set(HnbGauge *g, HnbTime now, double level)
{
    g_return_if_fail(now >= g->last); /* time runs forward; an earlier time would subtract area */
    /* area is in level x nanoseconds: the ns count converts to double exactly up to 2^53 ns (104 days) and with a
     * relative error of 1e-16 beyond, which a time average never notices */
    g->area += g->level * (double)(now - g->last);
    g->last = now;
    g->level = level;
    if (level > g->max)
        g->max = level;
}

double hnb_gauge_mean(const HnbGauge *g, HnbTime now)
{
    g_return_val_if_fail(now >= g->last, NAN);
    if (now == g->t0)
        return g->level;
    return (g->area + g->level * (double)(now - g->last)) / (double)(now - g->t0);
}

/* ---- Student t ------------------------------------------------------------------------------------------------ */

/* Above this many degrees of freedom the Cornish-Fisher series alone is used.  Its first omitted term is of order
 * z^11 / df^5; at z = 3.3 (alpha = 0.001) and df = 1000 that is ~1e-11, and the beta continued fraction, whose
 * length grows like sqrt(df), would only cost time. */
#define T_SERIES_DF 1000

/* ln B(a, b) through lgamma.  (glibc's lgamma writes the global signgam; the value is never read, so concurrent
 * callers race only on a result nobody uses.) */
static double ln_beta(double a, double b)
{
    return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* The continued fraction of A&S 26.5.8, I_x(a,b) = front / (1 + d1/(1 + d2/(1 + ...))), returns the denominator
 * 1 + d1/(1 + ...).  It converges quickly for x < (a+1)/(a+b+2); callers use the symmetry I_x(a,b) = 1 - I_y(b,a)
 * otherwise.  Modified Lentz: propagate C_j = f_j/f_{j-1} and D_j = f_{j-1}/f_j, replacing exact zeros by a tiny
 * number so no step divides by zero. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 2 * DBL_EPSILON; /* two ulps of 1 */
    double f = 1.0, c = 1.0, d = 0.0;
    for (int j = 1; j <= 100000; j++) {
        int m = j / 2;
        double num;
        if (j % 2) /* d_{2m+1} */
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        else /* d_{2m} */
            num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1.0 + num * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        f *= c * d;
        if (fabs(c * d - 1.0) < eps)
            return f;
    }
    g_warning("hnbsim: incomplete beta continued fraction did not converge (a=%g b=%g x=%g)", a, b, x);
    return f;
}

/* I_x(a, b) with y = 1 - x passed separately, so that a tiny 1 - x keeps its precision. */
static double inc_beta(double a, double b, double x, double y)
{
    if (x <= 0.0)
        return 0.0;
    if (y <= 0.0)
        return 1.0;
    double front = exp(a * log(x) + b * log(y) - ln_beta(a, b));
    if (x < (a + 1.0) / (a + b + 2.0))
        return front / (a * beta_cf(a, b, x));
    return 1.0 - front / (b * beta_cf(b, a, y));
}

/* P(|T| > t) for t >= 0 with v degrees of freedom. */
static double t_tail2(double t, double v)
{
    double t2 = t * t;
    return inc_beta(0.5 * v, 0.5, v / (v + t2), t2 / (v + t2));
}

/* Density of T at t. */
static double t_pdf(double t, double v)
{
    return exp(-0.5 * (v + 1.0) * log1p(t * t / v) - 0.5 * log(v) - ln_beta(0.5 * v, 0.5));
}

/* Upper normal quantile z with Q(z) = P(Z > z) = p, 0 < p <= 0.5.  Starts from A&S 26.2.23 (error < 4.5e-4) and
 * polishes with Newton steps on Q(z) = erfc(z / sqrt 2) / 2, which double the correct digits each time. */
static double normal_upper_quantile(double p)
{
    double r = sqrt(-2.0 * log(p));
    double z = r - (2.515517 + r * (0.802853 + r * 0.010328)) / (1.0 + r * (1.432788 + r * (0.189269 + r * 0.001308)));
    for (int i = 0; i < 4; i++) {
        double pdf = exp(-0.5 * z * z) / sqrt(2.0 * G_PI);
        z += (0.5 * erfc(z / G_SQRT2) - p) / pdf;
    }
    return z;
}

/* Cornish-Fisher expansion of the t quantile in powers of 1/v around the normal quantile z (A&S 26.7.5). */
static double t_series(double z, double v)
{
    double z2 = z * z;
    double g1 = z * (z2 + 1.0) / 4.0;
    double g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    double g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    double g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
}

double hnb_student_t_quantile(double alpha, unsigned df)
{
    g_return_val_if_fail(alpha > 0.0 && alpha < 1.0, NAN);
    g_return_val_if_fail(df >= 1, NAN);
    double v = df;

    /* closed forms: Cauchy, and v = 2 where the tail is 1 - t / sqrt(2 + t^2) */
    if (df == 1)
        return tan(G_PI_2 * (1.0 - alpha));
    if (df == 2)
        return (1.0 - alpha) / sqrt(alpha * (1.0 - 0.5 * alpha));

    double guess = t_series(normal_upper_quantile(0.5 * alpha), v);
    if (df > T_SERIES_DF)
        return guess;

    /* Bracket the root of tail(t) = alpha (tail falls from 1 at t = 0) and take Newton steps, bisecting whenever a
     * step would leave the bracket.  The series guess is usually within 1e-3, so a few steps suffice; for small v
     * and small alpha it can be far off, and the bracket keeps that safe. */
    double lo = 0.0, hi = guess > 1.0 ? guess : 1.0;
    while (t_tail2(hi, v) > alpha)
        hi *= 2.0;
    double t = guess > lo && guess < hi ? guess : 0.5 * (lo + hi);
    for (int i = 0; i < 200; i++) {
        double f = t_tail2(t, v) - alpha;
        if (f > 0.0)
            lo = t;
        else
            hi = t;
        double next = t + f / (2.0 * t_pdf(t, v)); /* d tail / dt = -2 pdf */
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        double step = fabs(next - t);
        t = next;
        if (step <= 1e-14 * t || hi - lo <= 1e-14 * t)
            break;
    }
    return t;
}

void hnb_ci95(const double *x, size_t n, double *mean, double *half)
{
    if (n == 0) {
        *mean = NAN;
        *half = NAN;
        return;
    }
    /* two passes: the data are at hand, and subtracting the mean first avoids cancellation */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double m = sum / (double)n;
    *mean = m;
    if (n < 2) {
        *half = NAN;
        return;
    }
    /* every replication agreed: that value and no spread (summing n copies of 0.1 does not give n x 0.1 exactly, so
     * the passes below would report a half-width of ~1e-17 and a mean off in its last bit) */
    size_t same = 1;
    while (same < n && x[same] == x[0])
        same++;
    if (same == n && isfinite(x[0])) { /* (+inf everywhere, "beyond the horizon", keeps its NaN half-width) */
        *mean = x[0];
        *half = 0;
        return;
    }
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    double s = sqrt(ss / (double)(n - 1));
    /* n - 1 fits in unsigned for any realistic number of replications; saturate rather than wrap beyond */
    unsigned df = n - 1 > UINT_MAX ? UINT_MAX : (unsigned)(n - 1);
    *half = hnb_student_t_quantile(0.05, df) * s / sqrt((double)n);
}
