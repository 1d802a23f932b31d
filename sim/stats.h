/* sim/stats.h — recorders: tallies with quantiles, time-weighted gauges, Student-t confidence intervals.
 *
 * Counters are plain uint64_t in the model's state.  A tally accumulates observations (Welford mean/variance, min,
 * max) and a log-linear histogram: each power-of-two octave is cut into HNB_HIST_SUB equal sub-buckets, so any
 * quantile read from the histogram is within 1% (relative) of the exact sample quantile.  Values must be >= 0
 * (negative values are counted in a separate underflow bucket and reported as 0 by quantiles).
 */
#ifndef HNB_STATS_H
#define HNB_STATS_H

#include <glib.h>
#include <stdint.h>
#include "sim/time.h"

/* Sub-buckets per octave.  Octave e holds [2^(e-1), 2^e) in 64 equal slices of width 2^(e-1)/64; a quantile is
 * reported as its slice's midpoint, at most half a slice (2^(e-1)/128) from any value in the slice, which is a
 * relative error of at most 1/128 = 0.78%.  Memory: 512 bytes per octave seen (1e-6..1e6 spans 40 octaves). */
#define HNB_HIST_SUB 64

typedef struct {
    uint64_t n;
    double mean, m2, min, max, sum;
    /* histogram, allocated on first observation, sized to the octaves seen (grows in a cold path) */
    uint64_t *bins; /* bins[(octave - lo_octave) * HNB_HIST_SUB + sub]; 64-bit like n, so no bin can overflow first */
    int lo_octave, n_octaves;
    uint64_t zero_or_neg; /* observations <= 0 */
} HnbTally;

void hnb_tally_init(HnbTally *t);
void hnb_tally_clear(HnbTally *t); /* frees the histogram; the tally may be init'ed again */
void hnb_tally_add(HnbTally *t, double x);
void hnb_tally_merge(HnbTally *into, const HnbTally *from);
double hnb_tally_variance(const HnbTally *t); /* sample variance (n-1); 0 when n < 2 */
/* Nearest-rank quantile: the value of rank ceil(q*n) (at least 1) in sorted order.  Ranks 1 and n return min and max
 * exactly; other ranks return their bucket's midpoint clamped to [min, max].  0 <= q <= 1; NAN when n == 0. */
double hnb_tally_quantile(const HnbTally *t, double q);

/* Time-weighted gauge: a piecewise-constant level (queue length, sessions in progress). */
typedef struct {
    HnbTime t0, last;
    double level, area, max;
} HnbGauge;

void hnb_gauge_init(HnbGauge *g, HnbTime t0, double level);
void hnb_gauge_set(HnbGauge *g, HnbTime now, double level);
static inline void hnb_gauge_add(HnbGauge *g, HnbTime now, double delta) { hnb_gauge_set(g, now, g->level + delta); }
double hnb_gauge_mean(const HnbGauge *g, HnbTime now); /* time average over [t0, now]; level if now == t0 */

/* Student-t two-sided quantile t_{1-alpha/2, df} (df >= 1), accurate to 1e-6 for alpha in [0.001, 0.5]. */
double hnb_student_t_quantile(double alpha, unsigned df);

/* Mean and 95% confidence half-width of n values (Student-t, n-1 df).  half = NAN when n < 2; n >= 2 identical
 * finite values give that value and half = 0 exactly. */
void hnb_ci95(const double *x, size_t n, double *mean, double *half);

#endif
