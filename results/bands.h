/* results/bands.h — the mean of several replications' time series and its 95% confidence band, on a common grid.
 *
 * Replications need not share their row times (a model may add rows while something changes fast, and that differs
 * between replications), so the band is read on the union of every replication's row times, each replication's value
 * at t being the one of its last row at or before t (sample and hold).
 */
#ifndef HNB_BANDS_H
#define HNB_BANDS_H

#include "results/results.h"

/* A series with one row per distinct finite time of the replications' time column (column 0), ascending, and for each
 * other column c of the replications two columns: names[c] (the mean at t over the replications whose held value is
 * finite) and names[c] + "_ci95_half" (hnb_ci95's half-width over them; NaN where fewer than two are).  A replication
 * contributes nothing before its first row.  The replications must have the same columns (names and order); rows of
 * each must be in ascending time.  A row whose time is not finite is skipped.  Returns a new series (no rows when the
 * replications have none). */
HnbSeries *hnb_bands_compute(HnbSeries *const *reps, guint nreps);

/* The column of the half-width of a band's mean column `name` (a new string). */
char *hnb_bands_half_name(const char *name);

#endif
