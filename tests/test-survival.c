/* tests/test-survival.c — the Kaplan–Meier estimator (sim/survival.c), checked by hand. */
#include "sim/survival.h"

#include <math.h>
#include <stdlib.h>

/* The 6-MP arm of Freireich et al. (1963), the textbook example of the product-limit estimate: weeks in remission,
 * '*' censored.  By hand: S drops at 6 (to 18/21 = 0.857), 7 (0.807), 10 (0.753), 13 (0.690), 16 (0.627), 22 (0.538),
 * 23 (0.448) and never below 0.448, since every later time is censored. */
static void test_freireich(void)
{
    static const struct {
        double t;
        gboolean event;
    } d[] = {{6, 1},  {6, 1},  {6, 1},  {6, 0},  {7, 1},  {9, 0},  {10, 1}, {10, 0}, {11, 0}, {13, 1}, {16, 1},
             {17, 0}, {19, 0}, {20, 0}, {22, 1}, {23, 1}, {25, 0}, {32, 0}, {32, 0}, {34, 0}, {35, 0}};
    HnbSurvival s;
    hnb_survival_init(&s);
    for (int i = G_N_ELEMENTS(d) - 1; i >= 0; i--) /* any order */
        hnb_survival_add(&s, d[i].t, d[i].event);
    g_assert_cmpuint(s.events, ==, 9);
    hnb_survival_sort(&s);
    g_assert_cmpfloat(hnb_survival_quantile(&s, 0.10), ==, 6);  /* 1 - S(6) = 0.143 */
    g_assert_cmpfloat(hnb_survival_quantile(&s, 0.25), ==, 13); /* 1 - S(10) = 0.247 < 0.25 <= 1 - S(13) = 0.310 */
    g_assert_cmpfloat(hnb_survival_quantile(&s, 0.50), ==, 23); /* 1 - S(22) = 0.462, 1 - S(23) = 0.552 */
    /* 0.552 is as far as the data go: a larger quantile lies beyond the longest follow-up, not at the largest time */
    g_assert_true(isinf(hnb_survival_quantile(&s, 0.56)));
    g_assert_true(isinf(hnb_survival_quantile(&s, 0.95)));
    hnb_survival_clear(&s);
}

/* Without censoring the estimate is the empirical distribution: the nearest-rank quantile, value ceil(q n). */
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_uncensored_is_nearest_rank(void)
{
    GRand *r = g_rand_new_with_seed(7);
    for (int round = 0; round < 50; round++) {
        int n = g_rand_int_range(r, 1, 300);
        double *x = g_new(double, n);
        HnbSurvival s;
        hnb_survival_init(&s);
        for (int i = 0; i < n; i++) {
            x[i] = (double)g_rand_int_range(r, 0, 40); /* many ties */
            hnb_survival_add(&s, x[i], TRUE);
        }
        hnb_survival_sort(&s);
        qsort(x, n, sizeof *x, cmp);
        static const double qs[] = {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0};
        for (guint k = 0; k < G_N_ELEMENTS(qs); k++) {
            size_t rank = (size_t)ceil(qs[k] * n - 1e-9);
            g_assert_cmpfloat(hnb_survival_quantile(&s, qs[k]), ==, x[MAX(rank, 1) - 1]);
        }
        hnb_survival_clear(&s);
        g_free(x);
    }
    g_rand_free(r);
}

/* Censoring at the horizon: 10 entities, 4 events at 1..4 h, 6 still waiting after 5 h.  1 - S reaches 0.4 at 4 h;
 * the median is beyond the horizon (the observed times alone would say 2.5 h — the bias this estimator removes). */
static void test_horizon(void)
{
    HnbSurvival s;
    hnb_survival_init(&s);
    for (int i = 1; i <= 4; i++)
        hnb_survival_add(&s, i, TRUE);
    for (int i = 0; i < 6; i++)
        hnb_survival_add(&s, 5, FALSE);
    hnb_survival_sort(&s);
    g_assert_cmpfloat(hnb_survival_quantile(&s, 0.4), ==, 4);
    g_assert_true(isinf(hnb_survival_quantile(&s, 0.5)));
    /* a censoring at the time of an event is still at risk there: 2 at risk at t = 1, one event: S = 1/2 */
    HnbSurvival t;
    hnb_survival_init(&t);
    hnb_survival_add(&t, 1, FALSE);
    hnb_survival_add(&t, 1, TRUE);
    hnb_survival_sort(&t);
    g_assert_cmpfloat(hnb_survival_quantile(&t, 0.5), ==, 1);
    g_assert_true(isinf(hnb_survival_quantile(&t, 0.51)));
    hnb_survival_clear(&t);
    hnb_survival_clear(&s);
    /* nothing observed: nothing to say */
    hnb_survival_init(&s);
    g_assert_true(isnan(hnb_survival_quantile(&s, 0.5)));
    hnb_survival_add(&s, 3, FALSE);
    hnb_survival_sort(&s);
    g_assert_true(isinf(hnb_survival_quantile(&s, 0.5)));
    hnb_survival_clear(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/survival/freireich", test_freireich);
    g_test_add_func("/survival/uncensored-is-nearest-rank", test_uncensored_is_nearest_rank);
    g_test_add_func("/survival/horizon", test_horizon);
    return g_test_run();
}
