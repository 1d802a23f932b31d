/* tests/test-window.c — exact sliding-window peaks (sim/window.c): a case by hand, then random streams against a
 * brute force that looks at every window end on the integer grid (O(n * T)). */
#include "sim/rng.h"
#include "sim/window.h"

#include <math.h>

typedef struct {
    HnbTime t;
    uint32_t a, b;
} Ev;

/* W = 10.  Events (t: a,b): 0: 1,0   5: 1,1   9: 1,0   10: 1,1   15: 1,1   15: 1,0   25: 1,1.  By hand, the windows
 * (t-10, t] at every instant something enters or leaves, up to end = 30:
 *   t = 0 {0} A 1 B 0;  5 {0,5} 2/1;  9 {0,5,9} 3/1;  10 {5,9,10} 3/2 (0 leaves as 10 enters);  15 {9,10,15,15} 4/2
 *   (5 leaves);  19 {10,15,15} 3/2;  20 {15,15} 2/1;  25 {25} 1/1 (both 15s leave as 25 enters); 35 is past the end.
 * So max A = 4; max B/A = 1 with min_a = 1 (t = 25), 2/3 with min_a = 2 or 3 (t = 10 and 19). */
static void test_by_hand(void)
{
    static const Ev ev[] = {{0, 1, 0}, {5, 1, 1}, {9, 1, 0}, {10, 1, 1}, {15, 1, 1}, {15, 1, 0}, {25, 1, 1}};
    for (int min_a = 1; min_a <= 3; min_a++) {
        HnbWindow w;
        hnb_window_init(&w, 10, (uint64_t)min_a);
        for (size_t i = 0; i < G_N_ELEMENTS(ev); i++)
            hnb_window_add(&w, ev[i].t, ev[i].a, ev[i].b);
        hnb_window_finish(&w, 30);
        g_assert_cmpuint(hnb_window_max_a(&w), ==, 4);
        /* min_a 1: {25} at t = 25 is 1/1;  2: 2/3 (t = 19: {10, 15, 15});  3: 2/3 as well (t = 19 has A = 3) */
        double want = min_a == 1 ? 1.0 : 2.0 / 3.0;
        g_assert_cmpfloat(fabs(hnb_window_max_ratio(&w) - want), <, 1e-15);
        hnb_window_clear(&w);
    }
    /* Instants are taken whole.  Entries: at t = 5 three events arrive, the first refused; the window {0, 5} with
     * B/A = 2/2 never exists (at t = 5 it is {0,5,5,5}, 2/4).  Exits: at t = 10 two events leave as three enter; A
     * never reaches 5. */
    static const Ev in[] = {{0, 1, 1}, {5, 1, 1}, {5, 1, 0}, {5, 1, 0}};
    static const Ev out[] = {{0, 1, 0}, {0, 1, 0}, {10, 1, 0}, {10, 1, 0}, {10, 1, 0}};
    HnbWindow g;
    hnb_window_init(&g, 100, 2);
    for (size_t i = 0; i < G_N_ELEMENTS(in); i++)
        hnb_window_add(&g, in[i].t, in[i].a, in[i].b);
    hnb_window_finish(&g, 5);
    g_assert_cmpfloat(hnb_window_max_ratio(&g), ==, 0.5);
    hnb_window_clear(&g);
    hnb_window_init(&g, 10, 1);
    for (size_t i = 0; i < G_N_ELEMENTS(out); i++)
        hnb_window_add(&g, out[i].t, out[i].a, out[i].b);
    hnb_window_finish(&g, 50);
    g_assert_cmpuint(hnb_window_max_a(&g), ==, 3);
    hnb_window_clear(&g);
    /* no b at all: ratio 0; too few events for min_a with some b: NAN */
    HnbWindow w;
    hnb_window_init(&w, 10, 5);
    hnb_window_add(&w, 3, 1, 0);
    hnb_window_finish(&w, 100);
    g_assert_cmpfloat(hnb_window_max_ratio(&w), ==, 0);
    hnb_window_clear(&w);
    hnb_window_add(&w, 3, 1, 1);
    hnb_window_finish(&w, 100);
    g_assert_true(isnan(hnb_window_max_ratio(&w)));
    g_assert_cmpuint(hnb_window_max_a(&w), ==, 1);
    hnb_window_clear(&w);
}

/* Every window end t in [0, end] on the integer grid: with integer times and width, A(t) and B(t) only change at
 * integers, so this sees every window there is, by the definition itself. */
static void brute(const Ev *ev, size_t n, HnbTime width, uint64_t min_a, HnbTime end, uint64_t *max_a,
                  double *max_ratio, gboolean *any_b)
{
    *max_a = 0;
    *max_ratio = NAN;
    *any_b = FALSE;
    for (size_t i = 0; i < n; i++)
        *any_b |= ev[i].b > 0;
    for (HnbTime t = 0; t <= end; t++) {
        uint64_t a = 0, b = 0;
        for (size_t i = 0; i < n; i++)
            if (ev[i].t > t - width && ev[i].t <= t) {
                a += ev[i].a;
                b += ev[i].b;
            }
        *max_a = MAX(*max_a, a);
        if (a >= min_a && (isnan(*max_ratio) || (double)b / (double)a > *max_ratio))
            *max_ratio = (double)b / (double)a;
    }
    if (!*any_b)
        *max_ratio = 0;
}

/* Random bursts with many ties (times on a coarse grid), counts 0..3, against the brute force. */
static void test_random_vs_brute(void)
{
    HnbStream s = hnb_stream(7, 0, "test.window");
    uint64_t counter = 0;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + (size_t)(hnb_rng_uniform(s, (uint64_t)trial, counter++) * 200);
        HnbTime width = 1 + (HnbTime)(hnb_rng_uniform(s, (uint64_t)trial, counter++) * 30);
        uint64_t min_a = 1 + (uint64_t)(hnb_rng_uniform(s, (uint64_t)trial, counter++) * 8);
        double step = hnb_rng_uniform(s, (uint64_t)trial, counter++) * 4; /* mean gap 0..2: bursts and ties */
        Ev *ev = g_new(Ev, n);
        HnbTime t = 0;
        for (size_t i = 0; i < n; i++) {
            t += (HnbTime)(hnb_rng_uniform(s, (uint64_t)trial, counter++) * step);
            ev[i] = (Ev){t, (uint32_t)(hnb_rng_uniform(s, (uint64_t)trial, counter++) * 3),
                         hnb_rng_uniform(s, (uint64_t)trial, counter++) < 0.3 ? 1u : 0u};
        }
        HnbTime end = t + (HnbTime)(hnb_rng_uniform(s, (uint64_t)trial, counter++) * 2 * (double)width);
        HnbWindow w;
        hnb_window_init(&w, width, min_a);
        for (size_t i = 0; i < n; i++)
            hnb_window_add(&w, ev[i].t, ev[i].a, ev[i].b);
        hnb_window_finish(&w, end);
        uint64_t want_a;
        double want_r;
        gboolean any_b;
        brute(ev, n, width, min_a, end, &want_a, &want_r, &any_b);
        g_assert_cmpuint(hnb_window_max_a(&w), ==, want_a);
        if (isnan(want_r))
            g_assert_true(isnan(hnb_window_max_ratio(&w)));
        else
            g_assert_cmpfloat(hnb_window_max_ratio(&w), ==, want_r);
        hnb_window_clear(&w);
        g_free(ev);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/window/by-hand", test_by_hand);
    g_test_add_func("/window/random-vs-brute", test_random_vs_brute);
    return g_test_run();
}
