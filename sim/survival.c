/* sim/survival.c — the Kaplan–Meier estimator (sim/survival.h). */
#include "sim/survival.h"

#include <math.h>
#include <stdlib.h>

struct HnbSurvivalObs {
    double t;
    gboolean observed;
};

void hnb_survival_init(HnbSurvival *s)
{
    *s = (HnbSurvival){.sorted = TRUE};
}

void hnb_survival_clear(HnbSurvival *s)
{
    g_free(s->obs);
    *s = (HnbSurvival){.sorted = TRUE};
}

void hnb_survival_add(HnbSurvival *s, double t, gboolean observed)
{
    g_return_if_fail(t >= 0 && isfinite(t));
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->obs = g_renew(struct HnbSurvivalObs, s->obs, s->cap);
    }
    s->obs[s->n++] = (struct HnbSurvivalObs){t, observed != FALSE};
    s->events += observed != FALSE;
    s->sorted = FALSE;
}

/* By time only: the walk below takes all observations of one time together, so their order does not matter. */
static int by_time(const void *a, const void *b)
{
    const struct HnbSurvivalObs *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

void hnb_survival_sort(HnbSurvival *s)
{
    if (!s->sorted)
        qsort(s->obs, s->n, sizeof *s->obs, by_time);
    s->sorted = TRUE;
}

double hnb_survival_quantile(const HnbSurvival *s, double q)
{
    g_return_val_if_fail(q > 0 && q <= 1, NAN);
    g_return_val_if_fail(s->sorted, NAN);
    if (s->n == 0)
        return NAN;
    /* Walk the distinct times; `at_risk` counts the entities with t >= the current time, so a censoring at an event's
     * time is still at risk there (it is removed only after the group).  A relative slack of
     * 1e-12 keeps 1 - S from missing q by rounding when the estimate lands on it exactly (no censoring: k/n = q). */
    double surv = 1.0;
    size_t at_risk = s->n, i = 0;
    while (i < s->n) {
        double t = s->obs[i].t;
        size_t d = 0, gone = 0;
        for (; i < s->n && s->obs[i].t == t; i++, gone++)
            d += s->obs[i].observed;
        if (d) {
            surv *= 1.0 - (double)d / (double)at_risk;
            if (1.0 - surv >= q * (1 - 1e-12))
                return t;
        }
        at_risk -= gone;
    }
    return INFINITY;
}
