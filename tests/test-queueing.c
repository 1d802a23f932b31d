/* tests/test-queueing.c — validates kernel + streams + statistics together, with no HNB model in the way: an M/M/c
 * queue built here from kernel primitives must give a mean wait whose 95% confidence interval over replications
 * covers the Erlang-C value, and that interval must be narrow enough (< 6% of the value) to mean something. */
#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/stats.h"

#include <math.h>

typedef struct {
    double lambda, mu;
    int c;
    uint64_t warmup, customers;
    HnbStream arr, svc;
    uint32_t k_arr, k_dep;
    uint64_t arrived, served, measured;
    int busy;
    GQueue waiting; /* arrival times; the test is not the hot path */
    HnbTally wait;
} MMc;

static void begin_service(HnbSim *sim, MMc *q, HnbTime arrived_at, uint64_t customer)
{
    if (customer >= q->warmup && q->measured < q->customers) {
        hnb_tally_add(&q->wait, hnb_time_to_sec(hnb_sim_now(sim) - arrived_at));
        if (++q->measured == q->customers)
            hnb_sim_stop(sim);
    }
    double s = hnb_exp_from_uniform(1e9 / q->mu, hnb_rng_uniform(q->svc, 0, customer));
    hnb_sim_schedule(sim, hnb_sim_now(sim) + (HnbTime)s, q->k_dep, 0, customer);
}

static void on_arrival(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    MMc *q = ud;
    uint64_t me = q->arrived++;
    double a = hnb_exp_from_uniform(1e9 / q->lambda, hnb_rng_uniform(q->arr, 0, q->arrived));
    hnb_sim_schedule(sim, ev->time + (HnbTime)a, q->k_arr, 0, 0);
    if (q->busy < q->c) {
        q->busy++;
        begin_service(sim, q, ev->time, me);
    } else {
        /* two entries per customer: arrival time, then its number (pointers are 64-bit here, see main) */
        g_queue_push_tail(&q->waiting, GSIZE_TO_POINTER((gsize)ev->time));
        g_queue_push_tail(&q->waiting, GSIZE_TO_POINTER((gsize)me));
    }
}

static void on_departure(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    MMc *q = ud;
    (void)ev;
    q->served++;
    if (g_queue_is_empty(&q->waiting)) {
        q->busy--;
        return;
    }
    HnbTime arrived = (HnbTime)GPOINTER_TO_SIZE(g_queue_pop_head(&q->waiting));
    uint64_t customer = GPOINTER_TO_SIZE(g_queue_pop_head(&q->waiting));
    begin_service(sim, q, arrived, customer);
}

static double run_mmc(double lambda, double mu, int c, uint64_t seed, guint rep)
{
    MMc q = {.lambda = lambda, .mu = mu, .c = c, .warmup = 20000, .customers = 200000,
             .arr = hnb_stream(seed, rep, "test.arrival"), .svc = hnb_stream(seed, rep, "test.service")};
    g_queue_init(&q.waiting);
    hnb_tally_init(&q.wait);
    HnbSim *sim = hnb_sim_new();
    q.k_arr = hnb_sim_register(sim, "arrival", on_arrival, &q);
    q.k_dep = hnb_sim_register(sim, "departure", on_departure, &q);
    hnb_sim_schedule(sim, (HnbTime)hnb_exp_from_uniform(1e9 / lambda, hnb_rng_uniform(q.arr, 0, 0)), q.k_arr, 0, 0);
    g_assert_cmpint(hnb_sim_run(sim, HNB_TIME_NEVER), ==, HNB_RUN_STOPPED);
    double mean = q.wait.mean;
    g_queue_clear(&q.waiting);
    hnb_tally_clear(&q.wait);
    hnb_sim_free(sim);
    return mean;
}

/* Erlang C: probability of waiting, then Wq = P_wait / (c mu - lambda). */
static double erlang_c_wait(double lambda, double mu, int c)
{
    double a = lambda / mu, rho = a / c, term = 1, sum = 0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term / (1 - rho);
    return top / (sum + top) / (c * mu - lambda);
}

static void check(double lambda, double mu, int c)
{
    enum { R = 20 };
    double w[R], mean, half;
    for (guint r = 0; r < R; r++)
        w[r] = run_mmc(lambda, mu, c, 2024, r);
    hnb_ci95(w, R, &mean, &half);
    double theory = erlang_c_wait(lambda, mu, c);
    g_test_message("M/M/%d lambda=%g mu=%g: Wq = %.4f +- %.4f (theory %.4f)", c, lambda, mu, mean, half, theory);
    g_assert_cmpfloat(half, <, 0.06 * theory);
    g_assert_cmpfloat(fabs(mean - theory), <=, half);
}

static void test_erlang_c_formula(void)
{
    /* M/M/1 reduces to rho/(mu - lambda); a textbook M/M/2 (lambda 1, mu 1): P_wait = 1/3, Wq = 1/3 */
    g_assert_cmpfloat_with_epsilon(erlang_c_wait(0.5, 1, 1), 1.0, 1e-12);
    g_assert_cmpfloat_with_epsilon(erlang_c_wait(1, 1, 2), 1.0 / 3, 1e-12);
}

static void test_mm1(void) { check(0.5, 1.0, 1); }
static void test_mmc(void) { check(2.4, 1.0, 3); }

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    G_STATIC_ASSERT(sizeof(gsize) == 8);
    g_test_add_func("/queueing/erlang-c-formula", test_erlang_c_formula);
    g_test_add_func("/queueing/mm1-wait-within-ci", test_mm1);
    g_test_add_func("/queueing/mm3-wait-within-ci", test_mmc);
    return g_test_run();
}
