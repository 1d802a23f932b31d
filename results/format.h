/* results/format.h — numbers for people: the report's tables and sentences, rounded to what the data support.
 *
 * The CSV and JSON files keep every digit (hnb_results_fmt); these are for reading only.  A mean with a 95% CI
 * half-width is rounded by the Particle Data Group's rule (Review of Particle Physics, Introduction, section 5.3
 * "Rounding", e.g. Phys. Rev. D 98 (2018) 030001): take the three highest-order digits of the half-width; 100-354:
 * two significant digits, 355-949: one, 950-999: round up to 1000 and keep two; the mean is given to the same
 * decimal place.  So 3046.5 ± 387.54 reads "3,000 ± 400" and 0.3812 ± 0.0212 reads "0.381 ± 0.021".  A value with
 * no half-width (one replication) gets four significant digits.  Thousands are grouped with commas; +inf (a quantile
 * past the run's end, sim/survival.h) reads "beyond horizon"; NaN reads "–" (an en dash: undefined, e.g. a mean
 * over nothing).  All strings are UTF-8 and independent of the locale.
 */
#ifndef HNB_FORMAT_H
#define HNB_FORMAT_H

#include <glib.h>

/* What +inf and NaN read as. */
#define HNB_FORMAT_BEYOND "beyond horizon"
#define HNB_FORMAT_UNDEFINED "\u2013"

/* "MEAN ± HALF" rounded by the PDG rule.  A half-width that is NaN, infinite or negative means "no interval": the
 * mean alone at four significant digits; a half-width of 0 (every replication agreed) keeps the mean at four
 * significant digits and says "± 0", as does one below 10^-12 of the mean (the rounding of identical values
 * summed, not a spread).  A non-finite mean reads as hnb_format_sig does, without the half-width.
 * Returns a new string. */
char *hnb_format_mean_ci(double mean, double half);

/* v rounded to `digits` significant digits (1..17), halves away from zero, grouped, the trailing zeros of a decimal
 * part dropped (nothing says they are real: 0.38 reads "0.38", not "0.3800"); inf, -inf and NaN as above ("-inf"
 * for -inf).  Returns a new string. */
char *hnb_format_sig(double v, int digits);

/* The decimal place the PDG rule rounds a half-width to (10^place is its last kept digit: -2 for 0.021, 2 for 400),
 * and the rounded half-width in *rounded (may be NULL).  half must be finite and > 0. */
int hnb_format_ci_place(double half, double *rounded);

#endif
