/* sim/dist.h — probability distributions written as scenario values.
 *
 * Text forms (each argument carries the distribution's unit, e.g. durations "30s"):
 *   30s                      constant (a bare value)
 *   const(30s)               constant
 *   uniform(5s,10s)          uniform on [a, b], a <= b
 *   exp(30s)                 exponential with mean 30 s
 *   normal(10s,2s)           normal(mean, sd), truncated at 0 for non-negative units (redrawn, not clamped)
 *   lognormal(2s,0.5)        lognormal with median 2 s and sigma 0.5 of ln(X) (sigma is a plain number)
 *   weibull(1.5,10s)         Weibull with shape k = 1.5 and scale lambda = 10 s
 *   empirical(1s:0.2, 5s:0.5, 10s:0.3)
 *                            discrete values with weights (weights > 0, normalised to sum 1)
 * Whitespace around tokens is ignored.  Values are in the unit's base (ns for durations, see units.h).
 */
#ifndef HNB_DIST_H
#define HNB_DIST_H

#include <glib.h>
#include "sim/units.h"
#include "sim/rng.h"
#include "sim/time.h"

typedef enum {
    HNB_DIST_CONST,
    HNB_DIST_UNIFORM,
    HNB_DIST_EXP,
    HNB_DIST_NORMAL,
    HNB_DIST_LOGNORMAL,
    HNB_DIST_WEIBULL,
    HNB_DIST_EMPIRICAL,
} HnbDistKind;

#define HNB_DIST_TABLE_MAX 64

typedef struct {
    HnbDistKind kind;
    HnbUnit unit;
    double a, b;                           /* parameters in base units, meaning per kind (see dist.c) */
    unsigned n;                            /* empirical: number of entries */
    double value[HNB_DIST_TABLE_MAX];      /* empirical: values */
    double cum[HNB_DIST_TABLE_MAX];        /* empirical: cumulative probabilities, cum[n-1] == 1 */
} HnbDist;

/* Parse; on error FALSE with a message quoting the text and saying what was expected. */
gboolean hnb_dist_parse(const char *text, HnbUnit unit, HnbDist *out, GError **error);

/* Canonical text form, which hnb_dist_parse reads back to an equal HnbDist; returns buf.  256 bytes suffice except
 * for long empirical tables; HNB_DIST_FORMAT_MAX always does (a shorter buffer gets a truncated text). */
#define HNB_DIST_FORMAT_MAX (16 + HNB_DIST_TABLE_MAX * 80)
char *hnb_dist_format(const HnbDist *d, char *buf, size_t n);

/* Draw one value, consuming uniforms from r (one per draw, two for normal/lognormal; truncation may take more). */
double hnb_dist_sample(const HnbDist *d, HnbRng *r);

/* For durations: a draw rounded to whole ns, never negative. */
static inline HnbTime hnb_dist_sample_time(const HnbDist *d, HnbRng *r)
{
    double v = hnb_dist_sample(d, r);
    return v <= 0 ? 0 : (HnbTime)(v + 0.5);
}

/* Same law, same parameters, bit for bit (what a parse of hnb_dist_format gives back). */
gboolean hnb_dist_equal(const HnbDist *x, const HnbDist *y);

double hnb_dist_mean(const HnbDist *d); /* exact mean (truncated normal: of the truncated law) */
/* The law of f·X for X ~ d (f > 0): its scale parameters times f, its shape parameters kept; the mean scales by f. */
void hnb_dist_scale(HnbDist *d, double f);

/* Exponential variate with the given mean from one uniform in (0,1): the hot-path helper. */
double hnb_exp_from_uniform(double mean, double u);

#endif
