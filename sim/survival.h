/* sim/survival.h — times to an event when some are censored: the Kaplan–Meier estimator.
 *
 * Why.  A run ends at its horizon.  An entity still waiting then (an affected HNB not yet recovered) has no time to
 * the event, only a lower bound: the time it has waited so far.  Quantiles of the observed times alone answer "how
 * long did those that made it take" and shrink as the horizon shrinks; the Kaplan–Meier product-limit estimate
 * S(t) = prod over event times t_j <= t of (1 - d_j / n_j) (d_j events at t_j, n_j entities still waiting just before
 * it) uses the censored ones as "at least this long" and estimates the time-to-event distribution itself.
 *
 * Contract.  Record one observation per entity: hnb_survival_add(s, t, TRUE) when its event happened after t,
 * hnb_survival_add(s, t, FALSE) when it was censored after waiting t.  A censoring at the same time as an event counts
 * as still waiting at that time (the usual convention).  Without censoring the estimate is the empirical
 * distribution, and hnb_survival_quantile is the nearest-rank quantile of the times, exactly.
 */
#ifndef HNB_SIM_SURVIVAL_H
#define HNB_SIM_SURVIVAL_H

#include <glib.h>

/* The times of the events and of the censorings apart (8 bytes an observation: a national fleet's 3M affected HNBs
 * are 3M observations, sorted at the end of the run). */
typedef struct {
    double *event_t, *censored_t; /* private */
    size_t n, events;             /* observations; those with the event (the others are censored) */
    size_t event_cap, censored_cap;
    gboolean sorted;
} HnbSurvival;

void hnb_survival_init(HnbSurvival *s);
void hnb_survival_clear(HnbSurvival *s); /* frees; init again to reuse */
/* One entity: waited `t` (>= 0, finite) and then had the event (observed) or was censored (!observed). */
void hnb_survival_add(HnbSurvival *s, double t, gboolean observed);

/* Sort the observations by time: once, after the last add and before any quantile. */
void hnb_survival_sort(HnbSurvival *s);

/* The q-quantile (0 < q <= 1) of the time to the event: the smallest event time t with 1 - S(t) >= q.  +INFINITY
 * when the estimate never reaches q — the quantile lies beyond the longest follow-up (the horizon), which is all the
 * data can say; NAN with no observations (or not sorted since the last add: a programming error, logged). */
double hnb_survival_quantile(const HnbSurvival *s, double q);

#endif
