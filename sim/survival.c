/* sim/survival.c — the Kaplan–Meier estimator (sim/survival.h). */
#include "sim/survival.h"

#include <math.h>
#include <stdlib.h>

void hnb_survival_init(HnbSurvival *s)
{
    *s = (HnbSurvival){.sorted = TRUE};
}

void hnb_survival_clear(HnbSurvival *s)
{
    g_free(s->event_t);
    g_free(s->censored_t);
    *s = (HnbSurvival){.sorted = TRUE};
}

static void push(double **a, size_t *cap, size_t n, double t)
{
    if (n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *a = g_renew(double, *a, *cap);
    }
    (*a)[n] = t;
}

void hnb_survival_add(HnbSurvival *s, double t, gboolean observed)
{
    g_return_if_fail(t >= 0 && isfinite(t));
    if (observed)
        push(&s->event_t, &s->event_cap, s->events++, t);
    else
        push(&s->censored_t, &s->censored_cap, s->n - s->events, t);
    s->n++;
    s->sorted = FALSE;
}

static int by_time(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void hnb_survival_sort(HnbSurvival *s)
{
    if (!s->sorted && s->events) /* qsort's array must not be NULL, even empty */
        qsort(s->event_t, s->events, sizeof *s->event_t, by_time);
    if (!s->sorted && s->n > s->events)
        qsort(s->censored_t, s->n - s->events, sizeof *s->censored_t, by_time);
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
    size_t at_risk = s->n, i = 0, j = 0, nc = s->n - s->events;
    while (i < s->events || j < nc) {
        /* the next distinct time, from both sorted lists: its events and censorings leave together */
        double t = i == s->events ? s->censored_t[j] : j == nc ? s->event_t[i] : MIN(s->event_t[i], s->censored_t[j]);
        size_t d = 0, gone = 0;
        for (; i < s->events && s->event_t[i] == t; i++, gone++)
            d++;
        for (; j < nc && s->censored_t[j] == t; j++)
            gone++;
        if (d) {
            surv *= 1.0 - (double)d / (double)at_risk;
            if (1.0 - surv >= q * (1 - 1e-12))
                return t;
        }
        at_risk -= gone;
    }
    return INFINITY;
}
