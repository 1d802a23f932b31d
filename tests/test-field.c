/* tests/test-field.c — the field force: FIFO service, working hours, weekends, ship-backs, no technicians, costs,
 * determinism, parallel technicians, and a minute-stepping reference for random request streams. */
#include "models/field.h"

#include <math.h>
#include <string.h>

#define H HNB_HOUR
#define M HNB_MIN
#define D HNB_DAY

typedef struct {
    uint32_t hnb;
    HnbTime at;
} Done;

typedef struct {
    HnbSim *sim;
    HnbField *f;
    GArray *done; /* of Done, in the order repaired() was called */
    uint32_t k_req;
} Rig;

static void on_repaired(HnbSim *sim, uint32_t hnb, void *ud)
{
    Rig *r = ud;
    Done d = {hnb, hnb_sim_now(sim)};
    g_array_append_val(r->done, d);
}

static void on_request(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    Rig *r = ud;
    hnb_field_request(r->f, ev->entity);
}

static HnbDist dist(const char *text)
{
    HnbDist d;
    g_autoptr(GError) err = NULL;
    g_assert_true(hnb_dist_parse(text, HNB_UNIT_DURATION, &d, &err));
    g_assert_no_error(err);
    return d;
}

static HnbFieldParams params(unsigned techs, HnbTime start, HnbTime end, gboolean weekdays, const char *travel,
                             const char *repair)
{
    HnbFieldParams p = {
        .technicians = techs,
        .day_start = start,
        .day_end = end,
        .weekdays_only = weekdays,
        .travel = dist(travel),
        .repair = dist(repair),
        .ship_back = 0,
        .turnaround = dist("72h"),
        .cost_truck_roll = 250,
        .cost_ship_back = 40,
    };
    return p;
}

static void rig_init(Rig *r, const HnbFieldParams *p, uint64_t seed)
{
    r->sim = hnb_sim_new();
    r->done = g_array_new(FALSE, FALSE, sizeof(Done));
    r->f = hnb_field_new(r->sim, p, hnb_stream(seed, 0, "field"), on_repaired, r);
    g_assert_nonnull(r->f);
    r->k_req = hnb_sim_register(r->sim, "test.request", on_request, r);
}

static void rig_clear(Rig *r)
{
    hnb_field_free(r->f);
    hnb_sim_free(r->sim);
    g_array_free(r->done, TRUE);
}

static void request_at(Rig *r, HnbTime at, uint32_t hnb)
{
    hnb_sim_schedule(r->sim, at, r->k_req, hnb, 0);
}

static HnbFieldStats stats(const Rig *r)
{
    HnbFieldStats s;
    hnb_field_stats(r->f, &s);
    return s;
}

static Done done_at(const Rig *r, guint i)
{
    g_assert_cmpuint(i, <, r->done->len);
    return g_array_index(r->done, Done, i);
}

/* One technician, 1 h + 1 h, around the clock: back to back in request order. */
static void test_serial(void)
{
    HnbFieldParams p = params(1, 0, 0, FALSE, "1h", "1h");
    Rig r;
    rig_init(&r, &p, 1);
    for (uint32_t i = 0; i < 6; i++)
        request_at(&r, 0, 100 + i);
    g_assert_cmpint(hnb_sim_run(r.sim, HNB_TIME_NEVER), ==, HNB_RUN_EMPTY);
    g_assert_cmpuint(r.done->len, ==, 6);
    for (guint i = 0; i < 6; i++) {
        g_assert_cmpuint(done_at(&r, i).hnb, ==, 100 + i);
        g_assert_cmpint(done_at(&r, i).at, ==, (HnbTime)(i + 1) * 2 * H);
    }
    HnbFieldStats s = stats(&r);
    g_assert_cmpuint(s.requests, ==, 6);
    g_assert_cmpuint(s.truck_rolls, ==, 6);
    g_assert_cmpuint(s.ship_backs, ==, 0);
    g_assert_cmpuint(s.done, ==, 6);
    g_assert_cmpuint(s.waiting, ==, 0);
    g_assert_cmpfloat_with_epsilon(s.technician_busy_hours, 12.0, 1e-9);
    g_assert_cmpfloat_with_epsilon(s.cost, 6 * 250.0, 1e-9);
    rig_clear(&r);
}

/* 8h–17h: a job requested inside the window at 16:30 starts at once and runs past 17:00; the rest wait for Tuesday
 * 08:00, and one wake-up serves all idle technicians. */
static void test_window(void)
{
    HnbFieldParams p = params(1, 8 * H, 17 * H, FALSE, "1h", "1h");
    Rig r;
    rig_init(&r, &p, 1);
    HnbTime t0 = 16 * H + 30 * M; /* Monday 16:30 */
    for (uint32_t i = 0; i < 3; i++)
        request_at(&r, t0, i);
    hnb_sim_run(r.sim, t0);
    HnbFieldStats s = stats(&r);
    g_assert_cmpuint(s.truck_rolls, ==, 1);
    g_assert_cmpuint(s.waiting, ==, 2);
    hnb_sim_run(r.sim, D + 8 * H - 1); /* Tuesday 07:59:59.999999999 */
    g_assert_cmpuint(r.done->len, ==, 1);
    g_assert_cmpint(done_at(&r, 0).at, ==, 18 * H + 30 * M);
    s = stats(&r);
    g_assert_cmpuint(s.truck_rolls, ==, 1);
    g_assert_cmpuint(s.waiting, ==, 2);
    g_assert_cmpuint(hnb_sim_pending(r.sim), ==, 1); /* the wake-up */
    g_assert_cmpint(hnb_sim_run(r.sim, HNB_TIME_NEVER), ==, HNB_RUN_EMPTY);
    g_assert_cmpuint(r.done->len, ==, 3);
    g_assert_cmpint(done_at(&r, 1).at, ==, D + 10 * H);
    g_assert_cmpint(done_at(&r, 2).at, ==, D + 12 * H);
    rig_clear(&r);

    /* window edges: 17:00 is closed, 08:00 open; many idle technicians, one pending wake-up */
    p = params(5, 8 * H, 17 * H, FALSE, "30m", "30m");
    rig_init(&r, &p, 1);
    request_at(&r, 17 * H, 1);
    request_at(&r, 17 * H, 2);
    hnb_sim_run(r.sim, 17 * H);
    g_assert_cmpuint(stats(&r).waiting, ==, 2);
    g_assert_cmpuint(hnb_sim_pending(r.sim), ==, 1);
    request_at(&r, D + 8 * H, 3);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    g_assert_cmpuint(r.done->len, ==, 3);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpint(done_at(&r, i).at, ==, D + 9 * H);
    rig_clear(&r);
}

/* weekdays_only: a Friday 16:00 backlog resumes Monday 08:00; without it, Saturday 08:00. */
static void test_weekend(void)
{
    for (int weekdays = 0; weekdays <= 1; weekdays++) {
        HnbFieldParams p = params(1, 8 * H, 17 * H, weekdays, "1h", "1h");
        Rig r;
        rig_init(&r, &p, 1);
        HnbTime fri = 4 * D;
        for (uint32_t i = 0; i < 3; i++)
            request_at(&r, fri + 16 * H, i);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        g_assert_cmpuint(r.done->len, ==, 3);
        g_assert_cmpint(done_at(&r, 0).at, ==, fri + 18 * H);
        HnbTime next = weekdays ? 7 * D : 5 * D;
        g_assert_cmpint(done_at(&r, 1).at, ==, next + 10 * H);
        g_assert_cmpint(done_at(&r, 2).at, ==, next + 12 * H);
        rig_clear(&r);
    }
    /* a Saturday request with weekdays_only waits for Monday 08:00 of the next week, also in week 3 */
    HnbFieldParams p = params(2, 8 * H, 17 * H, TRUE, "1h", "1h");
    Rig r;
    rig_init(&r, &p, 1);
    request_at(&r, 14 * D + 5 * D + 9 * H, 7);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    g_assert_cmpuint(r.done->len, ==, 1);
    g_assert_cmpint(done_at(&r, 0).at, ==, 21 * D + 10 * H);
    rig_clear(&r);
}

/* A window past midnight (22h..6h) belongs to the day it opens on. */
static void test_night(void)
{
    static const struct {
        gboolean weekdays;
        HnbTime req, done;
    } cases[] = {
        {FALSE, 3 * H, 5 * H},              /* Monday 03:00: Sunday night's window (the week repeats) */
        {TRUE, 3 * H, 24 * H},              /* ...but Sunday's is off: Monday 22:00 + 2 h */
        {TRUE, D + 5 * H + 59 * M, D + 7 * H + 59 * M}, /* Tuesday 05:59: Monday night's */
        {TRUE, D + 6 * H, 2 * D},           /* Tuesday 06:00: closed until 22:00 */
        {TRUE, 5 * D + 5 * H, 5 * D + 7 * H}, /* Saturday 05:00: Friday night's */
        {TRUE, 6 * D + 5 * H, 8 * D},       /* Sunday 05:00: Saturday's is off; Monday 22:00 */
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        HnbFieldParams p = params(1, 22 * H, 6 * H, cases[i].weekdays, "1h", "1h");
        Rig r;
        rig_init(&r, &p, 1);
        request_at(&r, cases[i].req, 1);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        g_assert_cmpuint(r.done->len, ==, 1);
        g_assert_cmpint(done_at(&r, 0).at, ==, cases[i].done);
        rig_clear(&r);
    }
}

/* ship_back = 1: back at request + turnaround, no technician time, with or without technicians. */
static void test_ship_back(void)
{
    for (unsigned techs = 0; techs <= 1; techs++) {
        HnbFieldParams p = params(techs, 8 * H, 17 * H, TRUE, "1h", "1h");
        p.ship_back = 1;
        Rig r;
        rig_init(&r, &p, 3);
        HnbTime req[] = {0, 5 * H + 7, 4 * D + 16 * H, 5 * D + 23 * H};
        for (uint32_t i = 0; i < G_N_ELEMENTS(req); i++)
            request_at(&r, req[i], i);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        g_assert_cmpuint(r.done->len, ==, G_N_ELEMENTS(req));
        for (guint i = 0; i < r.done->len; i++)
            g_assert_cmpint(done_at(&r, i).at, ==, req[done_at(&r, i).hnb] + 72 * H);
        HnbFieldStats s = stats(&r);
        g_assert_cmpuint(s.ship_backs, ==, G_N_ELEMENTS(req));
        g_assert_cmpuint(s.truck_rolls, ==, 0);
        g_assert_cmpuint(s.waiting, ==, 0);
        g_assert_cmpfloat(s.technician_busy_hours, ==, 0);
        g_assert_cmpfloat_with_epsilon(s.cost, G_N_ELEMENTS(req) * 40.0, 1e-9);
        rig_clear(&r);
    }
}

/* No technicians: truck rolls wait forever, ship-backs still come back. */
static void test_no_technicians(void)
{
    HnbFieldParams p = params(0, 0, 0, FALSE, "1h", "1h");
    Rig r;
    rig_init(&r, &p, 1);
    for (uint32_t i = 0; i < 10; i++)
        request_at(&r, i * H, i);
    g_assert_cmpint(hnb_sim_run(r.sim, HNB_TIME_NEVER), ==, HNB_RUN_EMPTY);
    HnbFieldStats s = stats(&r);
    g_assert_cmpuint(r.done->len, ==, 0);
    g_assert_cmpuint(s.requests, ==, 10);
    g_assert_cmpuint(s.truck_rolls, ==, 0);
    g_assert_cmpuint(s.done, ==, 0);
    g_assert_cmpuint(s.waiting, ==, 10);
    g_assert_cmpfloat(s.cost, ==, 0);
    rig_clear(&r);

    p.ship_back = 0.5;
    rig_init(&r, &p, 1);
    for (uint32_t i = 0; i < 200; i++)
        request_at(&r, i * M, i);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    s = stats(&r);
    g_assert_cmpuint(s.ship_backs, >, 60);
    g_assert_cmpuint(s.ship_backs, <, 140);
    g_assert_cmpuint(s.done, ==, s.ship_backs);
    g_assert_cmpuint(r.done->len, ==, s.ship_backs);
    g_assert_cmpuint(s.waiting, ==, 200 - s.ship_backs);
    g_assert_cmpuint(s.truck_rolls, ==, 0);
    rig_clear(&r);
}

/* Mixed jobs: every request ends in done; costs and hours add up per job. */
static void test_costs(void)
{
    HnbFieldParams p = params(3, 8 * H, 17 * H, TRUE, "30m", "1h30m");
    p.ship_back = 0.3;
    Rig r;
    rig_init(&r, &p, 9);
    for (uint32_t i = 0; i < 300; i++)
        request_at(&r, (HnbTime)i * 17 * M, i);
    hnb_sim_run(r.sim, 2 * D); /* part-way: costs are booked at start, so they count visits in progress */
    HnbFieldStats s = stats(&r);
    g_assert_cmpuint(s.requests, ==, s.truck_rolls + s.ship_backs + s.waiting);
    g_assert_cmpfloat_with_epsilon(s.cost, s.truck_rolls * 250.0 + s.ship_backs * 40.0, 1e-6);
    g_assert_cmpfloat_with_epsilon(s.technician_busy_hours, s.truck_rolls * 2.0, 1e-9);
    g_assert_cmpuint(s.waiting, >, 0);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    s = stats(&r);
    g_assert_cmpuint(s.requests, ==, 300);
    g_assert_cmpuint(s.done, ==, 300);
    g_assert_cmpuint(s.waiting, ==, 0);
    g_assert_cmpuint(s.truck_rolls + s.ship_backs, ==, 300);
    g_assert_cmpuint(s.ship_backs, >, 50);
    g_assert_cmpuint(s.ship_backs, <, 130);
    g_assert_cmpfloat_with_epsilon(s.cost, s.truck_rolls * 250.0 + s.ship_backs * 40.0, 1e-6);
    g_assert_cmpfloat_with_epsilon(s.technician_busy_hours, s.truck_rolls * 2.0, 1e-9);
    /* each HNB once */
    g_autofree gboolean *seen = g_new0(gboolean, 300);
    for (guint i = 0; i < r.done->len; i++) {
        g_assert_false(seen[done_at(&r, i).hnb]);
        seen[done_at(&r, i).hnb] = TRUE;
    }
    rig_clear(&r);
}

/* Same stream and requests: the same repairs at the same times; another seed: different times. Ship-back choices
 * do not depend on the number of technicians (common random numbers across variants). */
static GArray *run_random(uint64_t seed, unsigned techs, uint64_t *ship_backs)
{
    HnbFieldParams p = params(techs, 8 * H, 18 * H, TRUE, "lognormal(45m,0.5)", "uniform(20m,40m)");
    p.turnaround = dist("uniform(3d,7d)");
    p.ship_back = 0.25;
    Rig r;
    rig_init(&r, &p, seed);
    GRand *g = g_rand_new_with_seed(5);
    for (uint32_t i = 0; i < 400; i++) /* some HNBs brick twice */
        request_at(&r, g_rand_int_range(g, 0, 5 * 24 * 60) * M + g_rand_int_range(g, 0, 1000), i % 300);
    g_rand_free(g);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    g_assert_cmpuint(r.done->len, ==, 400);
    if (ship_backs)
        *ship_backs = stats(&r).ship_backs;
    GArray *out = g_array_copy(r.done);
    rig_clear(&r);
    return out;
}

static void test_determinism(void)
{
    GArray *a = run_random(42, 4, NULL), *b = run_random(42, 4, NULL), *c = run_random(43, 4, NULL);
    g_assert_cmpuint(a->len, ==, b->len);
    g_assert_cmpmem(a->data, a->len * sizeof(Done), b->data, b->len * sizeof(Done));
    gboolean differ = a->len != c->len || memcmp(a->data, c->data, a->len * sizeof(Done)) != 0;
    g_assert_true(differ);
    g_array_free(a, TRUE);
    g_array_free(b, TRUE);
    g_array_free(c, TRUE);

    uint64_t s1 = 0, s2 = 0;
    GArray *x = run_random(42, 1, &s1), *y = run_random(42, 20, &s2);
    g_assert_cmpuint(s1, ==, s2);
    g_assert_cmpuint(s1, >, 0);
    g_array_free(x, TRUE);
    g_array_free(y, TRUE);
}

/* Draws: travel and repair of a visit are independent (the variance of their sum is the sum of variances), and the
 * jobs of one HNB bricked again and again get fresh draws. */
static void test_draws(void)
{
    HnbFieldParams p = params(1, 0, 0, FALSE, "uniform(0s,2h)", "uniform(0s,2h)");
    Rig r;
    rig_init(&r, &p, 17);
    enum { N = 4000 };
    for (uint32_t i = 0; i < N; i++)
        request_at(&r, 0, i);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    g_assert_cmpuint(r.done->len, ==, N);
    double sum = 0, sum2 = 0;
    for (guint i = 0; i < N; i++) {
        double d = (double)(done_at(&r, i).at - (i ? done_at(&r, i - 1).at : 0)) / (double)H;
        sum += d;
        sum2 += d * d;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    g_assert_cmpfloat(fabs(mean - 2.0), <, 0.05);
    g_assert_cmpfloat(fabs(var - 2.0 / 3.0), <, 0.1); /* 2 · 2²/12; a shared draw would give 4/3 */
    rig_clear(&r);

    rig_init(&r, &p, 17);
    for (uint32_t i = 0; i < 20; i++)
        request_at(&r, 0, 77);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    g_assert_cmpuint(r.done->len, ==, 20);
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    HnbTime *dur = g_new(HnbTime, 20);
    for (guint i = 0; i < 20; i++) {
        dur[i] = done_at(&r, i).at - (i ? done_at(&r, i - 1).at : 0);
        g_hash_table_add(seen, &dur[i]);
    }
    g_assert_cmpuint(g_hash_table_size(seen), ==, 20);
    g_hash_table_destroy(seen);
    g_free(dur);
    rig_clear(&r);
}

/* k technicians, n jobs at t = 0, around the clock: k finish every 2 h, makespan ceil(n/k) · 2 h. */
static void test_parallel(void)
{
    static const unsigned cases[][2] = {{1, 3}, {3, 10}, {4, 8}, {10, 5}, {7, 50}, {64, 1000}};
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        unsigned k = cases[c][0], n = cases[c][1];
        HnbFieldParams p = params(k, 0, 0, FALSE, "1h", "1h");
        Rig r;
        rig_init(&r, &p, 1);
        for (uint32_t i = 0; i < n; i++)
            request_at(&r, 0, i);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        g_assert_cmpuint(r.done->len, ==, n);
        HnbTime makespan = 0;
        for (guint i = 0; i < n; i++) {
            Done d = done_at(&r, i);
            g_assert_cmpint(d.at, ==, (HnbTime)(i / k + 1) * 2 * H); /* FIFO: job i is in round i / k */
            g_assert_cmpuint(d.hnb, ==, i);
            makespan = MAX(makespan, d.at);
        }
        g_assert_cmpint(makespan, ==, (HnbTime)((n + k - 1) / k) * 2 * H);
        g_assert_cmpfloat_with_epsilon(stats(&r).technician_busy_hours, 2.0 * n, 1e-9);
        rig_clear(&r);
    }
}

/* Reference: FIFO; job j starts at the first minute >= max(request_j, start_{j-1}) inside a window with a free
 * technician.  All times are whole minutes, so stepping by minutes finds the exact start. */
static gboolean ref_allowed(gboolean weekdays, int64_t d)
{
    return !weekdays || ((d % 7) + 7) % 7 < 5;
}

static gboolean ref_open(HnbTime s, HnbTime e, gboolean weekdays, HnbTime t)
{
    int64_t d = t / D;
    HnbTime tod = t % D;
    if (s == e)
        return ref_allowed(weekdays, d);
    if (s < e)
        return ref_allowed(weekdays, d) && tod >= s && tod < e;
    return (tod >= s && ref_allowed(weekdays, d)) || (tod < e && ref_allowed(weekdays, d - 1));
}

static void test_reference(void)
{
    static const HnbTime win[][2] = {{0, 0}, {8 * H, 17 * H}, {7 * H, 19 * H}, {22 * H, 6 * H}, {0, 12 * H}};
    GRand *g = g_rand_new_with_seed(11);
    for (int round = 0; round < 40; round++) {
        guint w = g_rand_int_range(g, 0, G_N_ELEMENTS(win));
        gboolean weekdays = g_rand_boolean(g);
        unsigned k = g_rand_int_range(g, 1, 6);
        int travel = g_rand_int_range(g, 0, 90), repair = g_rand_int_range(g, 1, 240);
        char tt[32], rt[32];
        g_snprintf(tt, sizeof tt, "%dm", travel);
        g_snprintf(rt, sizeof rt, "%dm", repair);
        HnbFieldParams p = params(k, win[w][0], win[w][1], weekdays, tt, rt);
        Rig r;
        rig_init(&r, &p, round);
        enum { N = 150 };
        HnbTime req[N];
        for (uint32_t i = 0; i < N; i++) {
            req[i] = (HnbTime)g_rand_int_range(g, 0, 14 * 24 * 60) * M;
        }
        /* FIFO order = request order; sort so equal times keep index order, as the kernel does */
        for (uint32_t i = 1; i < N; i++)
            for (uint32_t j = i; j > 0 && req[j - 1] > req[j]; j--) {
                HnbTime x = req[j];
                req[j] = req[j - 1];
                req[j - 1] = x;
            }
        for (uint32_t i = 0; i < N; i++)
            request_at(&r, req[i], i);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        g_assert_cmpuint(r.done->len, ==, N);

        HnbTime busy[8] = {0}, expect[N], prev = 0, dur = (HnbTime)(travel + repair) * M;
        for (uint32_t i = 0; i < N; i++) {
            HnbTime t = MAX(req[i], prev);
            for (;; t += M) {
                if (!ref_open(win[w][0], win[w][1], weekdays, t))
                    continue;
                unsigned free_tech = k;
                for (unsigned j = 0; j < k; j++)
                    if (busy[j] <= t) {
                        free_tech = j;
                        break;
                    }
                if (free_tech < k) {
                    busy[free_tech] = t + dur;
                    break;
                }
            }
            prev = t;
            expect[i] = t + dur;
        }
        for (guint i = 0; i < N; i++) {
            Done d = done_at(&r, i);
            if (d.at != expect[d.hnb])
                g_error("round %d (window %u, weekdays %d, k %u, %d+%d min): HNB %u done at %" G_GINT64_FORMAT
                        ", reference %" G_GINT64_FORMAT,
                        round, w, weekdays, k, travel, repair, d.hnb, d.at, expect[d.hnb]);
        }
        rig_clear(&r);
    }
    g_rand_free(g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/field/serial", test_serial);
    g_test_add_func("/field/window", test_window);
    g_test_add_func("/field/weekend", test_weekend);
    g_test_add_func("/field/night", test_night);
    g_test_add_func("/field/ship-back", test_ship_back);
    g_test_add_func("/field/no-technicians", test_no_technicians);
    g_test_add_func("/field/costs", test_costs);
    g_test_add_func("/field/determinism", test_determinism);
    g_test_add_func("/field/draws", test_draws);
    g_test_add_func("/field/parallel", test_parallel);
    g_test_add_func("/field/reference", test_reference);
    return g_test_run();
}
