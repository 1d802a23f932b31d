/* tests/test-sim.c — the kernel: order, FIFO ties, cancel, run-until, stop, against a naive reference. */
#include "sim/evqueue.h"
#include "sim/sim.h"

#include <stdlib.h>

typedef struct {
    GArray *ran; /* of uint64_t: the arg of each event as it ran */
    HnbTime last;
    uint64_t last_arg;
    uint32_t kind;
    int verify;
} Log;

static void on_log(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Log *l = ud;
    g_assert_cmpint(ev->time, ==, hnb_sim_now(sim));
    g_assert_cmpint(ev->time, >=, l->last);
    g_array_append_val(l->ran, ev->arg);
    l->last = ev->time;
    if (l->verify)
        hnb_sim_verify(sim);
}

/* Queue configurations every ordering test runs under: the default switch points, heap only, ladder only, radix
 * only, and switch points so low that the queue changes structure every few events. */
static const struct {
    size_t ladder_above, radix_above;
} queue_modes[] = {
    {HNB_EVQ_LADDER_ABOVE, HNB_EVQ_RADIX_ABOVE}, {SIZE_MAX, SIZE_MAX}, {0, SIZE_MAX}, {0, 0}, {8, 40}};

static void test_order_in(size_t ladder_above, size_t radix_above)
{
    HnbSim *sim = hnb_sim_new();
    hnb_sim_tune_queue(sim, ladder_above, radix_above);
    Log l = {g_array_new(FALSE, FALSE, sizeof(uint64_t)), 0, 0, 0, 1};
    uint32_t k = hnb_sim_register(sim, "log", on_log, &l);
    GRand *r = g_rand_new_with_seed(7);
    enum { N = 5000 };
    HnbTime *t = g_new(HnbTime, N);
    for (uint64_t i = 0; i < N; i++) {
        t[i] = g_rand_int_range(r, 0, 100); /* many ties */
        hnb_sim_schedule(sim, t[i], k, 0, i);
    }
    hnb_sim_verify(sim);
    g_assert_cmpuint(hnb_sim_pending(sim), ==, N);
    g_assert_cmpint(hnb_sim_run(sim, HNB_TIME_NEVER), ==, HNB_RUN_EMPTY);
    g_assert_cmpuint(l.ran->len, ==, N);
    for (guint i = 1; i < N; i++) {
        uint64_t a = g_array_index(l.ran, uint64_t, i - 1), b = g_array_index(l.ran, uint64_t, i);
        /* by time, and equal times in schedule order */
        g_assert_true(t[a] < t[b] || (t[a] == t[b] && a < b));
    }
    g_assert_cmpuint(hnb_sim_events_run(sim), ==, N);
    g_free(t);
    g_rand_free(r);
    g_array_free(l.ran, TRUE);
    hnb_sim_free(sim);
}

/* A handler that schedules several same-time events: they must run in the order scheduled, after the ones already
 * pending at that time (an append to bucket 0 must not jump the queue). */
typedef struct {
    GArray *ran;
    uint32_t k;
} Chain;

static void on_chain(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Chain *c = ud;
    g_array_append_val(c->ran, ev->arg);
    if (ev->arg < 10)
        for (uint64_t j = 1; j <= 3; j++)
            hnb_sim_schedule(sim, ev->time, c->k, 0, ev->arg * 100 + j);
}

static void test_order(void)
{
    for (guint m = 0; m < G_N_ELEMENTS(queue_modes); m++)
        test_order_in(queue_modes[m].ladder_above, queue_modes[m].radix_above);
}

static void test_fifo_from_handler_in(size_t ladder_above, size_t radix_above)
{
    HnbSim *sim = hnb_sim_new();
    hnb_sim_tune_queue(sim, ladder_above, radix_above);
    Chain c = {g_array_new(FALSE, FALSE, sizeof(uint64_t)), 0};
    c.k = hnb_sim_register(sim, "chain", on_chain, &c);
    hnb_sim_schedule(sim, 5, c.k, 0, 1);
    hnb_sim_schedule(sim, 5, c.k, 0, 2);
    hnb_sim_run(sim, HNB_TIME_NEVER);
    uint64_t want[] = {1, 2, 101, 102, 103, 201, 202, 203};
    g_assert_cmpuint(c.ran->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpuint(g_array_index(c.ran, uint64_t, i), ==, want[i]);
    g_array_free(c.ran, TRUE);
    hnb_sim_free(sim);
}

static void test_fifo_from_handler(void)
{
    for (guint m = 0; m < G_N_ELEMENTS(queue_modes); m++)
        test_fifo_from_handler_in(queue_modes[m].ladder_above, queue_modes[m].radix_above);
}

static void test_cancel_in(size_t ladder_above, size_t radix_above)
{
    HnbSim *sim = hnb_sim_new();
    hnb_sim_tune_queue(sim, ladder_above, radix_above);
    Log l = {g_array_new(FALSE, FALSE, sizeof(uint64_t)), 0, 0, 0, 1};
    uint32_t k = hnb_sim_register(sim, "log", on_log, &l);
    HnbEventId id[10];
    for (uint64_t i = 0; i < 10; i++)
        id[i] = hnb_sim_schedule(sim, (HnbTime)(10 - i), k, 0, i);
    g_assert_true(hnb_sim_cancel(sim, id[3]));
    g_assert_false(hnb_sim_cancel(sim, id[3])); /* twice */
    g_assert_true(hnb_sim_cancel(sim, id[9]));  /* the earliest: sits at the root */
    g_assert_false(hnb_sim_cancel(sim, 0));
    g_assert_cmpuint(hnb_sim_pending(sim), ==, 8);
    hnb_sim_verify(sim);
    hnb_sim_run(sim, 5);
    g_assert_cmpint(hnb_sim_now(sim), ==, 5);
    g_assert_false(hnb_sim_cancel(sim, id[5])); /* ran at t = 5 */
    /* a reused slot must not answer to the old id */
    HnbEventId fresh = hnb_sim_schedule(sim, 7, k, 0, 99);
    g_assert_false(hnb_sim_cancel(sim, id[9]));
    hnb_sim_run(sim, HNB_TIME_NEVER);
    uint64_t want[] = {8, 7, 6, 5, 4, 99, 2, 1, 0};
    g_assert_cmpuint(l.ran->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpuint(g_array_index(l.ran, uint64_t, i), ==, want[i]);
    g_assert_false(hnb_sim_cancel(sim, fresh));
    g_array_free(l.ran, TRUE);
    hnb_sim_free(sim);
}

static void test_cancel(void)
{
    for (guint m = 0; m < G_N_ELEMENTS(queue_modes); m++)
        test_cancel_in(queue_modes[m].ladder_above, queue_modes[m].radix_above);
}

/* Random schedules and cancels from inside handlers, checked against a reference: the set of live events sorted by
 * (time, schedule order). */
typedef struct {
    GRand *r;
    uint32_t k;
    GArray *ids;   /* id by serial */
    GArray *times; /* time by serial */
    GArray *state; /* 0 pending, 1 ran, 2 cancelled */
    GArray *ran;
    uint64_t budget;
} Fuzz;

static void schedule_one(HnbSim *sim, Fuzz *f)
{
    uint64_t serial = f->ids->len;
    /* small delays make many ties; wide ones reach the queue's high buckets */
    HnbTime delay = g_rand_boolean(f->r) ? g_rand_int_range(f->r, 0, 50)
                                         : (HnbTime)(g_rand_double(f->r) * (double)(INT64_C(1) << g_rand_int_range(f->r, 1, 45)));
    HnbTime at = hnb_sim_now(sim) + delay;
    HnbEventId id = hnb_sim_schedule(sim, at, f->k, 0, serial);
    guint8 st = 0;
    g_array_append_val(f->ids, id);
    g_array_append_val(f->times, at);
    g_array_append_val(f->state, st);
}

static void on_fuzz(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fuzz *f = ud;
    g_assert_cmpuint(g_array_index(f->state, guint8, ev->arg), ==, 0);
    g_array_index(f->state, guint8, ev->arg) = 1;
    g_array_append_val(f->ran, ev->arg);
    int n = f->budget > 0 ? g_rand_int_range(f->r, 0, 3) : 0;
    for (int i = 0; i < n && f->budget > 0; i++, f->budget--)
        schedule_one(sim, f);
    if (g_rand_int_range(f->r, 0, 4) == 0 && f->ids->len > 0) {
        guint victim = (guint)g_rand_int_range(f->r, 0, (gint32)f->ids->len);
        gboolean was = g_array_index(f->state, guint8, victim) == 0;
        g_assert_cmpint(hnb_sim_cancel(sim, g_array_index(f->ids, HnbEventId, victim)), ==, was);
        if (was)
            g_array_index(f->state, guint8, victim) = 2;
    }
    hnb_sim_verify(sim);
}

static int by_time_serial(gconstpointer a, gconstpointer b, gpointer ud)
{
    const HnbTime *t = ud;
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return t[x] < t[y] ? -1 : t[x] > t[y] ? 1 : x < y ? -1 : x > y;
}

static void test_random_against_reference(void)
{
    for (guint32 seed = 1; seed <= 40; seed++) {
        HnbSim *sim = hnb_sim_new();
        hnb_sim_tune_queue(sim, queue_modes[seed % G_N_ELEMENTS(queue_modes)].ladder_above,
                           queue_modes[seed % G_N_ELEMENTS(queue_modes)].radix_above);
        Fuzz f = {g_rand_new_with_seed(seed), 0, g_array_new(FALSE, FALSE, sizeof(HnbEventId)),
                  g_array_new(FALSE, FALSE, sizeof(HnbTime)), g_array_new(FALSE, FALSE, 1),
                  g_array_new(FALSE, FALSE, sizeof(uint64_t)), 3000};
        f.k = hnb_sim_register(sim, "fuzz", on_fuzz, &f);
        for (int i = 0; i < 50; i++)
            schedule_one(sim, &f);
        /* run in slices, scheduling from outside between them at the clock where the slice stopped: the queue must
         * not have moved its notion of "now" past the slice's end */
        while (hnb_sim_pending(sim) > 0) {
            HnbTime until = hnb_sim_now(sim) + (HnbTime)(g_rand_double(f.r) * (double)(INT64_C(1) << g_rand_int_range(f.r, 1, 45)));
            HnbRunStatus st = hnb_sim_run(sim, until);
            g_assert_true(st == HNB_RUN_UNTIL || st == HNB_RUN_EMPTY);
            g_assert_cmpint(hnb_sim_now(sim), ==, until);
            if (f.budget > 0 && g_rand_boolean(f.r)) {
                f.budget--;
                schedule_one(sim, &f);
                hnb_sim_verify(sim);
            }
        }
        g_assert_cmpint(hnb_sim_run(sim, HNB_TIME_NEVER), ==, HNB_RUN_EMPTY);
        /* every event not cancelled ran exactly once */
        GArray *expect = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        for (uint64_t s = 0; s < f.ids->len; s++) {
            g_assert_cmpuint(g_array_index(f.state, guint8, s), !=, 0);
            if (g_array_index(f.state, guint8, s) == 1)
                g_array_append_val(expect, s);
        }
        g_array_sort_with_data(expect, by_time_serial, f.times->data);
        g_assert_cmpuint(expect->len, ==, f.ran->len);
        for (guint i = 0; i < expect->len; i++)
            g_assert_cmpuint(g_array_index(expect, uint64_t, i), ==, g_array_index(f.ran, uint64_t, i));
        g_array_free(expect, TRUE);
        g_array_free(f.ids, TRUE);
        g_array_free(f.times, TRUE);
        g_array_free(f.state, TRUE);
        g_array_free(f.ran, TRUE);
        g_rand_free(f.r);
        hnb_sim_free(sim);
    }
}

static void on_stop_at_3(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (*(int *)ud)++;
    if (ev->arg == 3)
        hnb_sim_stop(sim);
}

static void test_until_and_stop(void)
{
    HnbSim *sim = hnb_sim_new();
    int count = 0;
    uint32_t k = hnb_sim_register(sim, "stop", on_stop_at_3, &count);
    for (uint64_t i = 1; i <= 6; i++)
        hnb_sim_schedule(sim, (HnbTime)i * HNB_SEC, k, 0, i);
    g_assert_cmpint(hnb_sim_run(sim, 2 * HNB_SEC), ==, HNB_RUN_UNTIL); /* t = 2 s is included */
    g_assert_cmpint(count, ==, 2);
    g_assert_cmpint(hnb_sim_now(sim), ==, 2 * HNB_SEC);
    g_assert_cmpint(hnb_sim_run(sim, HNB_TIME_NEVER), ==, HNB_RUN_STOPPED);
    g_assert_cmpint(count, ==, 3);
    g_assert_cmpint(hnb_sim_now(sim), ==, 3 * HNB_SEC);
    g_assert_cmpint(hnb_sim_run(sim, 100 * HNB_SEC), ==, HNB_RUN_EMPTY);
    g_assert_cmpint(count, ==, 6);
    g_assert_cmpint(hnb_sim_now(sim), ==, 100 * HNB_SEC);
    hnb_sim_free(sim);
}

/* Renumbering (done once 2^36 seqs are used) must keep the order, the FIFO tie-break and the ids. */
static void test_renumber_in(size_t ladder_above, size_t radix_above)
{
    HnbEvq q;
    hnb_evq_init(&q);
    q.ladder_above = ladder_above;
    q.ladder_below = ladder_above / 4;
    q.radix_above = radix_above;
    q.radix_below = radix_above / 4;
    GRand *r = g_rand_new_with_seed(3);
    uint64_t ids[2000];
    for (uint32_t i = 0; i < 2000; i++) {
        HnbEvqEntry e;
        ids[i] = hnb_evq_make(&q, g_rand_int_range(r, 0, 20), 0, i, 0, &e);
        hnb_evq_push(&q, e);
    }
    for (uint32_t i = 0; i < 2000; i += 3)
        g_assert_true(hnb_evq_cancel(&q, ids[i]));
    q.next_seq = HNB_EVQ_SEQ_LIMIT; /* pretend the sequence space is used up */
    HnbEvqEntry e;
    hnb_evq_make(&q, 0, 0, 5000, 0, &e); /* triggers the renumbering */
    hnb_evq_push(&q, e);
    hnb_evq_verify(&q);
    g_assert_true(hnb_evq_cancel(&q, ids[1])); /* old ids still work */
    HnbTime last = -1;
    uint32_t last_entity = 0;
    size_t popped = 0;
    const HnbEvqEntry *front;
    while ((front = hnb_evq_front(&q, HNB_TIME_NEVER)) != NULL) {
        HnbEvqEntry top = *front;
        uint32_t s = (uint32_t)(top.key & HNB_EVQ_SLOT_MASK);
        hnb_evq_pop(&q);
        if (!hnb_evq_slot_holds(&q.slots[s], top.key))
            continue;
        uint32_t ent = q.slots[s].entity;
        if (top.time == last && ent != 5000 && last_entity != 5000)
            g_assert_cmpuint(ent, >, last_entity); /* FIFO among the originals */
        g_assert_cmpint(top.time, >=, last);
        last = top.time;
        last_entity = ent;
        hnb_evq_release(&q, s);
        q.live--;
        popped++;
    }
    g_assert_cmpuint(popped, ==, 2000 - 667 - 1 + 1);
    g_rand_free(r);
    hnb_evq_clear(&q);
}

static void test_renumber(void)
{
    for (guint m = 0; m < G_N_ELEMENTS(queue_modes); m++)
        test_renumber_in(queue_modes[m].ladder_above, queue_modes[m].radix_above);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/order-and-fifo-ties", test_order);
    g_test_add_func("/sim/fifo-from-handler", test_fifo_from_handler);
    g_test_add_func("/sim/cancel", test_cancel);
    g_test_add_func("/sim/random-vs-reference", test_random_against_reference);
    g_test_add_func("/sim/until-and-stop", test_until_and_stop);
    g_test_add_func("/sim/renumber", test_renumber);
    return g_test_run();
}
