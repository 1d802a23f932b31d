/* tests/test-pool.c — the worker pool: every job runs exactly once, on a thread that owns the thread_ctx it is
 * given, and the results do not depend on the thread count, the batch size or the join order. */
#include "sim/pool.h"

#include <stdatomic.h>
#include <string.h>

/* ---- a pure job: a hash chain of input-dependent length ---- */

typedef struct {
    uint64_t input;
    uint64_t output;
    atomic_int runs;      /* must end at exactly 1 */
    GThread *ran_on;      /* the thread that ran it (written once, by the runner) */
} Job;

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

static uint64_t chain(uint64_t input)
{
    uint64_t x = input;
    unsigned len = 1 + (unsigned)(mix(input) % 300); /* jobs of uneven length, so threads finish out of order */
    for (unsigned i = 0; i < len; i++)
        x = mix(x);
    return x;
}

/* ---- per-thread context: counts inits and frees, knows its owner ---- */

typedef struct {
    atomic_int inits;
    atomic_int frees;
    atomic_int bad_ctx; /* a job or thread_free saw a ctx that is not its thread's */
} Counters;

typedef struct {
    Counters *counters;
    GThread *owner;
    uint64_t jobs_run; /* only the owner touches it */
} Ctx;

static void *ctx_init(void *user_data)
{
    Counters *c = user_data;
    Ctx *ctx = g_new0(Ctx, 1);
    ctx->counters = c;
    ctx->owner = g_thread_self();
    atomic_fetch_add(&c->inits, 1);
    return ctx;
}

static void ctx_free(void *thread_ctx)
{
    Ctx *ctx = thread_ctx;
    if (ctx->owner != g_thread_self())
        atomic_fetch_add(&ctx->counters->bad_ctx, 1);
    atomic_fetch_add(&ctx->counters->frees, 1);
    g_free(ctx);
}

static void run_job(void *job, void *thread_ctx)
{
    Job *j = job;
    Ctx *ctx = thread_ctx;
    g_assert_nonnull(ctx);
    if (ctx->owner != g_thread_self())
        atomic_fetch_add(&ctx->counters->bad_ctx, 1);
    ctx->jobs_run++;
    j->output = chain(j->input);
    j->ran_on = g_thread_self();
    atomic_fetch_add(&j->runs, 1);
}

static Job *jobs_new(size_t n, uint64_t seed)
{
    Job *jobs = g_new0(Job, n);
    for (size_t i = 0; i < n; i++)
        jobs[i].input = mix(seed + i);
    return jobs;
}

/* Order-independent digest of the outputs, position-keyed. */
static uint64_t digest(const Job *jobs, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = mix(h ^ jobs[i].output);
    return h;
}

static void check_jobs(const Job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_assert_cmpint(atomic_load(&jobs[i].runs), ==, 1);
        g_assert_cmpuint(jobs[i].output, ==, chain(jobs[i].input));
    }
}

static void shuffle(uint64_t *v, size_t n, GRand *rand)
{
    for (size_t i = n; i > 1; i--) {
        size_t k = (size_t)g_rand_int_range(rand, 0, (gint32)i);
        uint64_t t = v[i - 1];
        v[i - 1] = v[k];
        v[k] = t;
    }
}

/* ---- the matrix: threads x batch x join order x submission pattern ---- */

typedef enum { ORDER_FORWARD, ORDER_REVERSE, ORDER_RANDOM } Order;

static const unsigned thread_counts[] = { 0, 1, 2, 4 };
static const unsigned batch_sizes[] = { 1, 7, 64 };

/* Submit all n jobs, then join them in `order`. */
static uint64_t run_all_then_join(unsigned threads, unsigned batch, Order order, size_t n, uint64_t seed)
{
    Counters c = { 0 };
    Job *jobs = jobs_new(n, seed);
    uint64_t *tickets = g_new(uint64_t, n);
    GRand *rand = g_rand_new_with_seed((guint32)seed);

    HnbPool *pool = hnb_pool_new(threads, batch, ctx_init, ctx_free, &c);
    g_assert_nonnull(pool);
    g_assert_cmpuint(hnb_pool_threads(pool), ==, threads);
    for (size_t i = 0; i < n; i++) {
        tickets[i] = hnb_pool_submit(pool, run_job, &jobs[i]);
        g_assert_cmpuint(tickets[i], ==, i + 1); /* consecutive from 1 */
    }
    if (threads == 0)
        for (size_t i = 0; i < n; i++)
            g_assert_cmpint(atomic_load(&jobs[i].runs), ==, 0); /* nothing runs before its join */

    uint64_t *idx = g_new(uint64_t, n);
    for (size_t i = 0; i < n; i++)
        idx[i] = order == ORDER_REVERSE ? n - 1 - i : i;
    if (order == ORDER_RANDOM)
        shuffle(idx, n, rand);
    for (size_t i = 0; i < n; i++) {
        Job *j = &jobs[idx[i]];
        hnb_pool_join(pool, tickets[idx[i]]);
        g_assert_cmpint(atomic_load(&j->runs), ==, 1);
        g_assert_cmpuint(j->output, ==, chain(j->input));
        if (threads == 0)
            g_assert_true(j->ran_on == g_thread_self());
    }
    g_assert_cmpint(atomic_load(&c.inits), ==, (int)threads + 1); /* workers + the caller */
    hnb_pool_free(pool);
    g_assert_cmpint(atomic_load(&c.inits), ==, (int)threads + 1);
    g_assert_cmpint(atomic_load(&c.frees), ==, (int)threads + 1);
    g_assert_cmpint(atomic_load(&c.bad_ctx), ==, 0);

    check_jobs(jobs, n);
    uint64_t d = digest(jobs, n);
    g_free(idx);
    g_rand_free(rand);
    g_free(tickets);
    g_free(jobs);
    return d;
}

/* Like a simulation: keep a window of jobs in flight, submitting new ones as old ones are joined; the next join is the
 * oldest (FIFO) or a random one of the window. */
static uint64_t run_window(unsigned threads, unsigned batch, gboolean random_join, size_t n, size_t window,
                           uint64_t seed)
{
    Counters c = { 0 };
    Job *jobs = jobs_new(n, seed);
    uint64_t *inflight = g_new(uint64_t, window); /* job indices */
    size_t nin = 0, next = 0, joined = 0;
    GRand *rand = g_rand_new_with_seed((guint32)seed ^ 0x5eedu);

    HnbPool *pool = hnb_pool_new(threads, batch, ctx_init, ctx_free, &c);
    while (joined < n) {
        /* Submit a random number of new jobs (0 .. 3), up to the window. */
        int burst = g_rand_int_range(rand, 0, 4);
        for (int k = 0; k < burst && nin < window && next < n; k++, next++) {
            uint64_t t = hnb_pool_submit(pool, run_job, &jobs[next]);
            g_assert_cmpuint(t, ==, next + 1);
            inflight[nin++] = next;
        }
        if (nin == 0)
            continue;
        if (nin < window && next < n && g_rand_boolean(rand))
            continue;
        size_t pick = random_join ? (size_t)g_rand_int_range(rand, 0, (gint32)nin) : 0;
        uint64_t j = inflight[pick];
        if (random_join)
            inflight[pick] = inflight[--nin];
        else
            memmove(inflight, inflight + 1, --nin * sizeof *inflight);
        hnb_pool_join(pool, j + 1);
        g_assert_cmpint(atomic_load(&jobs[j].runs), ==, 1);
        g_assert_cmpuint(jobs[j].output, ==, chain(jobs[j].input));
        joined++;
        if (joined % 97 == 0)
            hnb_pool_flush(pool);
    }
    hnb_pool_free(pool);
    g_assert_cmpint(atomic_load(&c.inits), ==, (int)threads + 1);
    g_assert_cmpint(atomic_load(&c.frees), ==, (int)threads + 1);
    g_assert_cmpint(atomic_load(&c.bad_ctx), ==, 0);

    check_jobs(jobs, n);
    uint64_t d = digest(jobs, n);
    g_rand_free(rand);
    g_free(inflight);
    g_free(jobs);
    return d;
}

static void test_matrix_all_then_join(void)
{
    const size_t n = 2000;
    const uint64_t seed = 42;
    uint64_t ref = 0;
    gboolean have_ref = FALSE;

    for (size_t t = 0; t < G_N_ELEMENTS(thread_counts); t++)
        for (size_t b = 0; b < G_N_ELEMENTS(batch_sizes); b++)
            for (Order o = ORDER_FORWARD; o <= ORDER_RANDOM; o++) {
                uint64_t d = run_all_then_join(thread_counts[t], batch_sizes[b], o, n, seed);
                if (!have_ref) {
                    ref = d;
                    have_ref = TRUE;
                }
                g_assert_cmpuint(d, ==, ref); /* same results at every thread count, batch size, join order */
            }
}

static void test_matrix_window(void)
{
    const size_t n = 3000;
    const uint64_t seed = 7;
    uint64_t ref = run_window(0, 1, FALSE, n, 1, seed); /* one at a time, inline: the reference */

    for (size_t t = 0; t < G_N_ELEMENTS(thread_counts); t++)
        for (size_t b = 0; b < G_N_ELEMENTS(batch_sizes); b++)
            for (int r = 0; r <= 1; r++) {
                g_assert_cmpuint(run_window(thread_counts[t], batch_sizes[b], r, n, 50, seed), ==, ref);
                g_assert_cmpuint(run_window(thread_counts[t], batch_sizes[b], r, n, 500, seed), ==, ref);
            }
}

/* With threads == 0 a job runs at its own join and no other. */
static void test_inline_reference(void)
{
    Counters c = { 0 };
    Job *jobs = jobs_new(10, 1);
    HnbPool *pool = hnb_pool_new(0, 4, ctx_init, ctx_free, &c);
    g_assert_cmpint(atomic_load(&c.inits), ==, 1);
    for (int i = 0; i < 10; i++)
        hnb_pool_submit(pool, run_job, &jobs[i]);
    hnb_pool_flush(pool);
    for (int i = 9; i >= 0; i--) {
        hnb_pool_join(pool, (uint64_t)i + 1);
        for (int k = 0; k < 10; k++)
            g_assert_cmpint(atomic_load(&jobs[k].runs), ==, k >= i ? 1 : 0);
    }
    hnb_pool_free(pool);
    g_assert_cmpint(atomic_load(&c.frees), ==, 1);
    g_assert_cmpint(atomic_load(&c.bad_ctx), ==, 0);
    g_free(jobs);
}

/* flush hands a part-filled batch to the threads: its jobs run with nobody joining them. */
static void test_flush_runs_without_join(void)
{
    Counters c = { 0 };
    Job *jobs = jobs_new(3, 2);
    HnbPool *pool = hnb_pool_new(2, 64, ctx_init, ctx_free, &c);
    for (int i = 0; i < 3; i++)
        hnb_pool_submit(pool, run_job, &jobs[i]);
    hnb_pool_flush(pool);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    for (int i = 0; i < 3; i++)
        while (atomic_load(&jobs[i].runs) == 0) {
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            g_usleep(100);
        }
    for (int i = 0; i < 3; i++) {
        hnb_pool_join(pool, (uint64_t)i + 1);
        g_assert_true(jobs[i].ran_on != g_thread_self()); /* a worker ran it */
    }
    hnb_pool_free(pool);
    check_jobs(jobs, 3);
    g_free(jobs);
}

/* Free waits for jobs that were never joined, at any thread count. */
static void test_free_runs_unjoined(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(thread_counts); t++) {
        Counters c = { 0 };
        Job *jobs = jobs_new(500, 3);
        HnbPool *pool = hnb_pool_new(thread_counts[t], 7, ctx_init, ctx_free, &c);
        for (int i = 0; i < 500; i++) {
            hnb_pool_submit(pool, run_job, &jobs[i]);
            if (i % 3 == 0)
                hnb_pool_join(pool, (uint64_t)i + 1);
        }
        hnb_pool_free(pool);
        check_jobs(jobs, 500);
        g_assert_cmpint(atomic_load(&c.frees), ==, (int)thread_counts[t] + 1);
        g_assert_cmpint(atomic_load(&c.bad_ctx), ==, 0);
        g_free(jobs);
    }
}

/* Discard: a job nobody started never runs (threads == 0: nothing starts before a join); one that ran reports so and
 * its output is there; every discarded ticket counts as joined (free does not run it later). */
static void test_discard(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(thread_counts); t++) {
        Counters c = { 0 };
        Job *jobs = jobs_new(300, 5);
        HnbPool *pool = hnb_pool_new(thread_counts[t], 4, ctx_init, ctx_free, &c);
        for (int i = 0; i < 300; i++)
            hnb_pool_submit(pool, run_job, &jobs[i]);
        if (thread_counts[t] > 0)
            hnb_pool_flush(pool);
        int ran = 0;
        for (int i = 0; i < 300; i++) {
            if (i % 2 == 0) {
                hnb_pool_join(pool, (uint64_t)i + 1);
                g_assert_cmpint(atomic_load(&jobs[i].runs), ==, 1);
                continue;
            }
            gboolean r = hnb_pool_discard(pool, (uint64_t)i + 1);
            g_assert_cmpint(atomic_load(&jobs[i].runs), ==, r ? 1 : 0);
            if (r)
                g_assert_cmpuint(jobs[i].output, ==, chain(jobs[i].input));
            if (thread_counts[t] == 0)
                g_assert_false(r);
            ran += r;
        }
        hnb_pool_free(pool);
        for (int i = 1; i < 300; i += 2) /* free ran nothing more */
            g_assert_cmpint(atomic_load(&jobs[i].runs), <=, 1);
        int runs = 0;
        for (int i = 1; i < 300; i += 2)
            runs += atomic_load(&jobs[i].runs);
        g_assert_cmpint(runs, ==, ran);
        g_assert_cmpint(atomic_load(&c.bad_ctx), ==, 0);
        g_free(jobs);
    }
}

/* NULL thread_init/thread_free: jobs get a NULL ctx. */
static void null_ctx_job(void *job, void *thread_ctx)
{
    Job *j = job;
    g_assert_null(thread_ctx);
    j->output = chain(j->input);
    atomic_fetch_add(&j->runs, 1);
}

static void test_no_ctx(void)
{
    Job *jobs = jobs_new(100, 4);
    HnbPool *pool = hnb_pool_new(2, 3, NULL, NULL, NULL);
    for (int i = 0; i < 100; i++)
        hnb_pool_submit(pool, null_ctx_job, &jobs[i]);
    for (int i = 0; i < 100; i++)
        hnb_pool_join(pool, (uint64_t)i + 1);
    hnb_pool_free(pool);
    check_jobs(jobs, 100);
    g_free(jobs);
}

/* Joining a ticket twice is a bug the pool reports (g_return_if_fail), whether or not its batch was recycled. */
static void test_double_join(void)
{
    if (g_test_subprocess()) {
        Job *jobs = jobs_new(4, 5);
        HnbPool *pool = hnb_pool_new(0, 8, NULL, NULL, NULL);
        for (int i = 0; i < 4; i++)
            hnb_pool_submit(pool, null_ctx_job, &jobs[i]);
        hnb_pool_join(pool, 2);
        hnb_pool_join(pool, 2);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*CRITICAL*");
}

static void test_join_recycled(void)
{
    if (g_test_subprocess()) {
        Job *jobs = jobs_new(4, 6);
        HnbPool *pool = hnb_pool_new(1, 1, NULL, NULL, NULL);
        for (int i = 0; i < 4; i++)
            hnb_pool_submit(pool, null_ctx_job, &jobs[i]);
        hnb_pool_join(pool, 1);
        hnb_pool_join(pool, 1);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*CRITICAL*");
}

/* 1e5 jobs through 4 threads, random windowed joins and flushes; then the same in reverse-join batch form. */
static void test_stress(void)
{
    const size_t n = 100000;
    uint64_t ref = run_window(0, 1, TRUE, n, 1000, 11);
    g_assert_cmpuint(run_window(4, 7, TRUE, n, 1000, 11), ==, ref);
    g_assert_cmpuint(run_window(2, 64, FALSE, n, 300, 11), ==, ref);
    g_assert_cmpuint(run_all_then_join(4, 16, ORDER_RANDOM, n, 11), ==, run_all_then_join(0, 16, ORDER_FORWARD, n, 11));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pool/matrix/all-then-join", test_matrix_all_then_join);
    g_test_add_func("/pool/matrix/window", test_matrix_window);
    g_test_add_func("/pool/inline-reference", test_inline_reference);
    g_test_add_func("/pool/flush", test_flush_runs_without_join);
    g_test_add_func("/pool/free-runs-unjoined", test_free_runs_unjoined);
    g_test_add_func("/pool/no-ctx", test_no_ctx);
    g_test_add_func("/pool/discard", test_discard);
    g_test_add_func("/pool/double-join", test_double_join);
    g_test_add_func("/pool/join-recycled", test_join_recycled);
    g_test_add_func("/pool/stress", test_stress);
    return g_test_run();
}
