/* tests/test-ladder.c — the ladder queue on its own: every path (run insert, far list, the three rebuilds) against a
 * reference that keeps all entries sorted by rank, with the invariants checked as it goes. */
#include "sim/ladder.h"

#include <stdlib.h>

typedef struct {
    HnbLadder l;
    GArray *ref; /* HnbEvqEntry, sorted by rank: what the ladder must give out */
    uint64_t seq;
    HnbTime now; /* the latest time taken: new entries are never earlier (the kernel's rule) */
    size_t checks;
} Fixture;

static void count_entry(const HnbEvqEntry *e, void *data)
{
    (void)e;
    (*(size_t *)data)++;
}

static void check(Fixture *f)
{
    size_t seen = 0;
    hnb_ladder_verify(&f->l, count_entry, &seen);
    g_assert_cmpuint(seen, ==, f->ref->len);
    f->checks++;
}

static void put(Fixture *f, HnbTime t)
{
    HnbEvqEntry e = {t, ++f->seq << 28};
    hnb_ladder_insert(&f->l, e);
    unsigned __int128 r = hnb_evq_rank(&e);
    guint i = f->ref->len;
    while (i > 0 && hnb_evq_rank(&g_array_index(f->ref, HnbEvqEntry, i - 1)) > r)
        i--;
    g_array_insert_val(f->ref, i, e);
}

static void take(Fixture *f)
{
    const HnbEvqEntry *front = hnb_ladder_front(&f->l);
    g_assert_nonnull(front);
    HnbEvqEntry want = g_array_index(f->ref, HnbEvqEntry, 0);
    g_assert_cmpint(front->time, ==, want.time);
    g_assert_cmpuint(front->key, ==, want.key); /* equal times: schedule order */
    f->now = front->time;
    hnb_ladder_pop(&f->l);
    g_array_remove_index(f->ref, 0);
}

static void drain(Fixture *f)
{
    while (f->ref->len > 0) {
        take(f);
        if (f->ref->len % 97 == 0)
            check(f);
    }
    g_assert_null(hnb_ladder_front(&f->l));
    check(f);
}

static int by_rank(gconstpointer a, gconstpointer b)
{
    unsigned __int128 x = hnb_evq_rank(a), y = hnb_evq_rank(b);
    return x < y ? -1 : x > y;
}

static void setup(Fixture *f, const HnbTime *t, size_t n)
{
    hnb_ladder_init(&f->l);
    f->ref = g_array_new(FALSE, FALSE, sizeof(HnbEvqEntry));
    f->seq = 0;
    f->now = 0;
    f->checks = 0;
    HnbEvqEntry *e = g_new(HnbEvqEntry, n + 1);
    for (size_t i = 0; i < n; i++)
        e[i] = (HnbEvqEntry){t[i], ++f->seq << 28};
    hnb_ladder_build(&f->l, e, n);
    for (size_t i = 0; i < n; i++)
        g_array_append_val(f->ref, e[i]);
    g_array_sort(f->ref, by_rank);
    g_free(e);
    check(f);
}

static void teardown(Fixture *f)
{
    hnb_ladder_free(&f->l);
    g_array_free(f->ref, TRUE);
}

/* Events far beyond the window wait in the far list and come back in order when the window reaches them. */
static void test_far_list(void)
{
    Fixture f;
    HnbTime t[300];
    for (int i = 0; i < 300; i++)
        t[i] = (HnbTime)i * HNB_MSEC;
    setup(&f, t, 300);
    /* the window spans ~8x the entries held at their spacing: ~2.4 s here */
    for (int i = 0; i < 12; i++)
        put(&f, 20 * HNB_SEC + (HnbTime)(i % 3) * HNB_SEC); /* ties among the far ones */
    for (int i = 0; i < 8; i++)
        put(&f, 30 * HNB_SEC - (HnbTime)i * HNB_MSEC);
    check(&f);
    g_assert_cmpuint(f.l.far.len, ==, 20);
    /* hold ~300 entries while time moves past the far ones */
    GRand *r = g_rand_new_with_seed(3);
    while (f.now < 40 * HNB_SEC) {
        take(&f);
        put(&f, f.now + (HnbTime)g_rand_int_range(r, 0, 600) * HNB_MSEC);
        if (f.ref->len % 53 == 0)
            check(&f);
    }
    g_rand_free(r);
    drain(&f);
    g_assert_cmpuint(f.l.spreads, >, 0);
    teardown(&f);
}

/* A width chosen from a dense front, then most events spread far apart: the window is far too narrow, and spreading
 * the far list moves many entries for few taken until a rebuild widens the bins. */
static void test_narrow_window_rebuilds(void)
{
    Fixture f;
    HnbTime t[400];
    for (int i = 0; i < 400; i++)
        t[i] = i; /* 1 ns apart: bins of ~16 ns */
    setup(&f, t, 400);
    GRand *r = g_rand_new_with_seed(5);
    for (int round = 0; round < 4000; round++) {
        take(&f);
        put(&f, f.now + (HnbTime)g_rand_int_range(r, 1, 1000000) * HNB_USEC); /* up to 1000 s ahead */
        if (round % 211 == 0)
            check(&f);
    }
    drain(&f);
    g_assert_cmpuint(f.l.rebuilds[1], >, 0);
    g_rand_free(r);
    teardown(&f);
}

/* A width chosen from a sparse front, then a dense cluster inside one bin: the bin is far too full when it becomes
 * the run, and the ladder rebuilds with narrower bins.  A burst at a single time must not loop on rebuilds. */
static void test_wide_bin_rebuilds(void)
{
    Fixture f;
    HnbTime t[300];
    for (int i = 0; i < 300; i++)
        t[i] = (HnbTime)i * HNB_SEC; /* bins of ~16 s */
    setup(&f, t, 300);
    take(&f);
    for (int i = 0; i < 2000; i++)
        put(&f, 60 * HNB_SEC + (HnbTime)(i * 7919 % 2000) * HNB_USEC); /* 2000 within 2 ms, shuffled */
    for (int i = 0; i < 1000; i++)
        put(&f, 200 * HNB_SEC); /* a burst at one time */
    drain(&f);
    g_assert_cmpuint(f.l.rebuilds[2], >, 0);
    teardown(&f);
}

/* Grown from a few entries to many (and back), the ladder re-chooses its width: the drift rebuild. */
static void test_size_drift_rebuilds(void)
{
    Fixture f;
    HnbTime t[4] = {0, 10, 20, 30};
    setup(&f, t, 4);
    GRand *r = g_rand_new_with_seed(9);
    for (int i = 0; i < 5000; i++) {
        put(&f, f.now + (HnbTime)g_rand_int_range(r, 0, 1000000));
        put(&f, f.now + (HnbTime)g_rand_int_range(r, 0, 1000000));
        take(&f);
    }
    check(&f);
    drain(&f);
    g_assert_cmpuint(f.l.rebuilds[0], >, 0);
    g_rand_free(r);
    teardown(&f);
}

/* Events at the current time, or before the end of the run, go into the sorted run: after the ties already there,
 * and as the new front when earliest. */
static void test_into_the_run(void)
{
    Fixture f;
    HnbTime t[500];
    for (int i = 0; i < 500; i++)
        t[i] = (HnbTime)(i / 5) * HNB_MSEC; /* five at each time */
    setup(&f, t, 500);
    GRand *r = g_rand_new_with_seed(11);
    for (int round = 0; round < 3000; round++) {
        take(&f);
        int how = g_rand_int_range(r, 0, 3);
        HnbTime d = how == 0   ? 0
                    : how == 1 ? g_rand_int_range(r, 0, 3)
                               : (HnbTime)g_rand_int_range(r, 0, 200) * HNB_MSEC;
        put(&f, f.now + d);
        if (round % 101 == 0)
            check(&f);
    }
    drain(&f);
    g_rand_free(r);
    teardown(&f);
}

/* Random schedules over many scales against the reference, with the entries taken out and refiled (as a switch of
 * structure does) now and then. */
static void test_random_against_reference(void)
{
    for (guint32 seed = 1; seed <= 20; seed++) {
        Fixture f;
        GRand *r = g_rand_new_with_seed(seed);
        HnbTime t[64];
        for (int i = 0; i < 64; i++)
            t[i] = g_rand_int_range(r, 0, 1000);
        setup(&f, t, 64);
        for (int step = 0; step < 6000; step++) {
            if (f.ref->len > 0 && g_rand_int_range(r, 0, 100) < 48)
                take(&f);
            else
                put(&f, f.now + (HnbTime)(g_rand_double(r) * (double)(INT64_C(1) << g_rand_int_range(r, 0, 50))));
            if (step % 1500 == 1499) {
                HnbEvqEntry *all;
                size_t n = hnb_ladder_take_all(&f.l, &all);
                g_assert_cmpuint(n, ==, f.ref->len);
                g_assert_cmpuint(f.l.count, ==, 0);
                hnb_ladder_build(&f.l, all, n);
                g_free(all);
                check(&f);
            }
        }
        drain(&f);
        g_rand_free(r);
        teardown(&f);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ladder/far-list", test_far_list);
    g_test_add_func("/ladder/narrow-window-rebuilds", test_narrow_window_rebuilds);
    g_test_add_func("/ladder/wide-bin-rebuilds", test_wide_bin_rebuilds);
    g_test_add_func("/ladder/size-drift-rebuilds", test_size_drift_rebuilds);
    g_test_add_func("/ladder/into-the-run", test_into_the_run);
    g_test_add_func("/ladder/random-vs-reference", test_random_against_reference);
    return g_test_run();
}
