/* tests/test-acs.c — the ACS part driven by the test's own HnbAcsClient (no HNB population, no TLS: every peer
 * speaks plain HTTP): session_end is called exactly once per session, with the right outcome and action; refusals at
 * admission, after the handshake or by dropped SYNs; FIFO service by the workers; a session whose HNB rebooted
 * meanwhile frees its slot without a callback; sessions queued past [cwmp] session_timeout are abandoned.  (What a
 * refused handshake costs a worker needs real TLS: tests/test-fleet.c.)  The fleet's peak metrics (the ACS's observer
 * window, open_max) against a brute force over the test's own log. */
#include "models/acs.h"

#include <math.h>

#define S HNB_SEC
#define N 8     /* HNBs of the first test */
#define MAXH 16 /* HNBs the rig can hold */

typedef struct {
    uint32_t hnb;
    gboolean ok;
    HnbCwmpAcsAction action;
    HnbTime at;
} End;

typedef struct {
    HnbSim *sim;
    HnbAcs *acs;
    HnbAcsParams p;
    HnbDist cpu, rtt, hs;
    uint8_t gen[MAXH];
    gboolean needs_image[MAXH];
    unsigned events[MAXH]; /* the HNB's Inform events (0: "2 PERIODIC") */
    uint32_t draws[MAXH];
    GArray *ends; /* of End, in call order */
    GArray *log;  /* of Log: what the test saw, in call order */
    gboolean connecting;
    unsigned tls_calls;
    uint32_t k_connect, k_reboot;
} Rig;

/* The test's own event log: an HNB connected and was admitted or refused (the refusal's session_end comes before
 * connect returns), or its session ended. */
/* what the window sees: every connect opens a session (admitted to a slot, or not: refused later, after its handshake
 * in the default overload mode); a refusal counts when it is answered */
typedef enum { LOG_ADMIT, LOG_ARRIVE, LOG_REFUSE, LOG_CLOSE } LogKind;
typedef struct {
    HnbTime t;
    LogKind kind;
} Log;

static HnbAcsPeer peer(void *ctx, uint32_t i)
{
    Rig *r = ctx;
    return (HnbAcsPeer){.gen = r->gen[i], .plain_http = TRUE, .needs_image = r->needs_image[i],
                        .events = r->events[i] ? r->events[i] : HNB_CWMP_EV_PERIODIC};
}

static HnbTime sample(void *ctx, uint32_t i, const HnbDist *d, HnbStream stream)
{
    Rig *r = ctx;
    HnbRng rng = hnb_rng_at(stream, i, r->draws[i]);
    HnbTime t = hnb_dist_sample_time(d, &rng);
    r->draws[i] = (uint32_t)rng.counter;
    return t;
}

static HnbTime clock_of(void *ctx, uint32_t i, HnbTime t)
{
    (void)ctx, (void)i;
    return t;
}

static void tls_failed(void *ctx, uint32_t i, HnbHsOutcome reason)
{
    (void)i, (void)reason;
    ((Rig *)ctx)->tls_calls++;
}

static void tls_kept(void *ctx, uint32_t i)
{
    (void)i;
    ((Rig *)ctx)->tls_calls++;
}

static void session_end(void *ctx, uint32_t i, gboolean ok, HnbCwmpAcsAction action)
{
    Rig *r = ctx;
    End e = {i, ok, action, hnb_sim_now(r->sim)};
    g_array_append_val(r->ends, e);
    if (!r->connecting) {
        Log l = {e.at, ok ? LOG_CLOSE : LOG_REFUSE}; /* the peaks test has no reboots, no TLS and no timeout */
        g_array_append_val(r->log, l);
    }
}

static const HnbAcsClient client = {peer, sample, clock_of, tls_failed, tls_kept, session_end};

static void on_connect(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Rig *r = ud;
    (void)sim;
    int64_t before = hnb_acs_stats(r->acs)->open;
    r->connecting = TRUE;
    hnb_acs_connect(r->acs, ev->entity);
    r->connecting = FALSE;
    Log l = {ev->time, hnb_acs_stats(r->acs)->open > before ? LOG_ADMIT : LOG_ARRIVE};
    g_array_append_val(r->log, l);
}

static void on_reboot(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    ((Rig *)ud)->gen[ev->entity]++;
}

static HnbDist dist(const char *text)
{
    HnbDist d;
    GError *error = NULL;
    g_assert_true(hnb_dist_parse(text, HNB_UNIT_DURATION, &d, &error));
    g_assert_no_error(error);
    return d;
}

/* One worker, `slots` connection slots; CWMP round trips of 1 s CPU and rtt of the network. */
static void rig_init(Rig *r, int64_t slots, const char *rtt)
{
    *r = (Rig){.sim = hnb_sim_new(), .cpu = dist("1s"), .rtt = dist(rtt), .hs = dist("0s"),
               .ends = g_array_new(FALSE, FALSE, sizeof(End)), .log = g_array_new(FALSE, FALSE, sizeof(Log))};
    r->p = (HnbAcsParams){.workers = 1, .max_sessions = slots, .hs_full = &r->hs, .hs_resumed = &r->hs,
                          .cwmp_cpu = &r->cpu, .rtt = &r->rtt, .syn_rto = S, .horizon = HNB_TIME_NEVER};
    r->acs = hnb_acs_new(r->sim, &r->p, NULL, hnb_stream(1, 0, "acs.service"), &client, r);
    r->k_connect = hnb_sim_register(r->sim, "test.connect", on_connect, r);
    r->k_reboot = hnb_sim_register(r->sim, "test.reboot", on_reboot, r);
}

/* The ACS made again with r->p as the test has changed it (keys read at construction: acs.inform's registration). */
static void rig_rebuild(Rig *r)
{
    hnb_acs_free(r->acs);
    r->acs = hnb_acs_new(r->sim, &r->p, NULL, hnb_stream(1, 0, "acs.service"), &client, r);
}

static void rig_clear(Rig *r)
{
    hnb_acs_free(r->acs);
    hnb_sim_free(r->sim);
    g_array_free(r->ends, TRUE);
    g_array_free(r->log, TRUE);
}

static const End *end_of(const Rig *r, uint32_t hnb, unsigned *calls)
{
    const End *found = NULL;
    *calls = 0;
    for (guint k = 0; k < r->ends->len; k++)
        if (g_array_index(r->ends, End, k).hnb == hnb) {
            found = &g_array_index(r->ends, End, k);
            (*calls)++;
        }
    return found;
}

/* N HNBs connect at once to 5 slots: 5 are served one after the other (FIFO, one worker), 3 refused at once; each
 * gets one session_end, an HNB that needs an image with a Download. */
static void test_once_per_session(void)
{
    Rig r;
    rig_init(&r, 5, "0s");
    r.needs_image[2] = TRUE;
    for (uint32_t i = 0; i < N; i++)
        hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    unsigned trips = hnb_cwmp_round_trips(HNB_CWMP_EV_PERIODIC, HNB_CWMP_ACS_NOTHING);
    unsigned trips_dl = hnb_cwmp_round_trips(HNB_CWMP_EV_PERIODIC, HNB_CWMP_ACS_DOWNLOAD);
    HnbTime t = 0;
    for (uint32_t i = 0; i < N; i++) {
        unsigned calls;
        const End *e = end_of(&r, i, &calls);
        g_assert_cmpuint(calls, ==, 1);
        if (i >= 5) { /* refused: queued behind the five for a worker, whose handshake (none, plain HTTP) ends in a 503 */
            g_assert_false(e->ok);
            g_assert_cmpint(e->at, ==, t);
            continue;
        }
        g_assert_true(e->ok);
        g_assert_cmpint(e->action, ==, i == 2 ? HNB_CWMP_ACS_DOWNLOAD : HNB_CWMP_ACS_NOTHING);
        t += (HnbTime)(i == 2 ? trips_dl : trips) * S; /* FIFO behind the earlier ones */
        g_assert_cmpint(e->at, ==, t);
    }
    const HnbAcsStats *st = hnb_acs_stats(r.acs);
    g_assert_cmpuint(st->sessions, ==, N);
    g_assert_cmpuint(st->refused, ==, 3);
    g_assert_cmpuint(st->refused_hs, ==, 3);
    g_assert_cmpuint(st->completed, ==, 5);
    g_assert_cmpuint(st->failed + st->abandoned + (uint64_t)st->open + (uint64_t)st->busy + (uint64_t)st->refusing,
                     ==, 0);
    g_assert_cmpint(st->open_max, ==, 5);
    g_assert_cmpuint(st->handshakes, ==, 0); /* plain HTTP */
    g_assert_cmpuint(r.tls_calls, ==, 0);
    rig_clear(&r);
}

/* HNB 1 reboots while it waits for the worker, HNB 2 while its round trips are on the network: neither hears back,
 * and their slots and the worker are free again. */
static void test_stale_sessions(void)
{
    Rig r;
    rig_init(&r, 3, "10s");
    for (uint32_t i = 0; i < 3; i++)
        hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
    hnb_sim_schedule(r.sim, 1 * S, r.k_reboot, 1, 0);
    unsigned trips = hnb_cwmp_round_trips(HNB_CWMP_EV_PERIODIC, HNB_CWMP_ACS_NOTHING);
    hnb_sim_schedule(r.sim, (HnbTime)trips * S + 1, r.k_reboot, 0, 0); /* HNB 0: in its network time */
    hnb_sim_schedule(r.sim, 1000 * S, r.k_connect, 3, 0);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    unsigned calls;
    end_of(&r, 0, &calls);
    g_assert_cmpuint(calls, ==, 0);
    end_of(&r, 1, &calls);
    g_assert_cmpuint(calls, ==, 0);
    const End *e2 = end_of(&r, 2, &calls);
    g_assert_cmpuint(calls, ==, 1);
    g_assert_true(e2->ok);
    const End *e3 = end_of(&r, 3, &calls);
    g_assert_cmpuint(calls, ==, 1);
    g_assert_true(e3->ok);
    const HnbAcsStats *st = hnb_acs_stats(r.acs);
    g_assert_cmpint(st->open, ==, 0);
    g_assert_cmpint(st->busy, ==, 0);
    g_assert_cmpuint(st->refused, ==, 0);
    g_assert_cmpuint(st->abandoned, ==, 1); /* HNB 1's, dropped from the queue without a worker */
    rig_clear(&r);
}

/* Busy worker-seconds over [0, end]. */
static double busy_s(const Rig *r, HnbTime end)
{
    return hnb_gauge_mean(&hnb_acs_stats(r->acs)->busy_gauge, end) * hnb_time_to_sec(end);
}

/* drop_syn, one slot: HNB 0 takes it at 0 for 2 s of CPU and 2 round trips of `rtt`; HNB 1's SYN at 0 is dropped, and
 * Linux's retransmissions follow at 1, 3, 7, 15, 31, 63 s (RTO 1 s doubled).  rtt 1000 s: the slot stays taken, HNB 1's
 * connect fails at 127 s after 7 dropped SYNs, and no worker ever saw it (2 s of busy time: HNB 0's).  rtt 0: the slot
 * is free at 2 s, so the SYN at 3 s gets in and HNB 1 is served by 5 s, after 2 dropped SYNs. */
static void test_drop_syn(void)
{
    for (int k = 0; k < 2; k++) {
        Rig r;
        rig_init(&r, 1, k == 0 ? "1000s" : "0s");
        r.p.overload = HNB_ACS_DROP_SYN;
        r.p.syn_retries = 6;
        hnb_sim_schedule(r.sim, 0, r.k_connect, 0, 0);
        hnb_sim_schedule(r.sim, 0, r.k_connect, 1, 0);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        unsigned calls;
        const End *e = end_of(&r, 1, &calls);
        const HnbAcsStats *st = hnb_acs_stats(r.acs);
        g_assert_cmpuint(calls, ==, 1);
        if (k == 0) {
            g_assert_false(e->ok);
            g_assert_cmpint(e->at, ==, 127 * S);
            g_assert_cmpuint(st->refused_syn, ==, 1);
            g_assert_cmpuint(st->syn_dropped, ==, 7);
            g_assert_cmpfloat(busy_s(&r, 127 * S), ==, 2);
        } else {
            g_assert_true(e->ok);
            g_assert_cmpint(e->at, ==, 5 * S);
            g_assert_cmpuint(st->refused, ==, 0);
            g_assert_cmpuint(st->syn_dropped, ==, 2);
            /* in on its third SYN, sent 1 + 2 = 3 s after the first: 3 s to connect, and its session (2 s of CPU on
             * the worker HNB 0 freed at 2 s) ends 5 s after connect(); HNB 0's took 2 s */
            g_assert_cmpuint(st->lat.connect.n, ==, 2);
            g_assert_cmpfloat(st->lat.connect.max, ==, 3);
            g_assert_cmpfloat(st->lat.session.max, ==, 5);
            g_assert_cmpfloat(st->lat.session.min, ==, 2);
            g_assert_cmpfloat(busy_s(&r, 5 * S), ==, 4);
        }
        g_assert_cmpuint(st->refused_hs + st->abandoned + (uint64_t)st->refusing + (uint64_t)st->open, ==, 0);
        rig_clear(&r);
    }
}

/* One worker, 2 s per session (2 round trips of 1 s CPU, no network time), HNB k connecting at k s (k = 0..9), and a
 * 5.5 s session timeout.  By hand (start = max(arrival, previous end); abandoned if start > arrival + 5.5):
 *   k      0  1  2  3  4   5   6     7   8     9
 *   start  0  2  4  6  8  10   -    12   -    14
 *   k = 6 would start at 12 > 11.5 and k = 8 at 14 > 13.5: abandoned at 11.5 s and 13.5 s.
 * 8 served, 2 abandoned, and the worker is busy 16 s of 16: the abandoned cost it nothing. */
static void test_session_timeout(void)
{
    Rig r;
    rig_init(&r, 100, "0s");
    r.p.session_timeout = 5500 * HNB_MSEC;
    for (uint32_t k = 0; k < 10; k++)
        hnb_sim_schedule(r.sim, k * S, r.k_connect, k, 0);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    static const HnbTime start[10] = {0, 2, 4, 6, 8, 10, -1, 12, -1, 14};
    for (uint32_t k = 0; k < 10; k++) {
        unsigned calls;
        const End *e = end_of(&r, k, &calls);
        g_assert_cmpuint(calls, ==, 1);
        g_assert_cmpint(e->ok, ==, start[k] >= 0);
        g_assert_cmpint(e->at, ==, start[k] >= 0 ? (start[k] + 2) * S : k * S + 5500 * HNB_MSEC);
    }
    const HnbAcsStats *st = hnb_acs_stats(r.acs);
    g_assert_cmpuint(st->abandoned, ==, 2);
    g_assert_cmpuint(st->completed, ==, 8);
    g_assert_cmpuint(st->refused + st->failed + (uint64_t)st->open + (uint64_t)st->busy, ==, 0);
    g_assert_cmpfloat(busy_s(&r, 16 * S), ==, 16);
    rig_clear(&r);
}

/* The fleet's peak metrics come from the ACS: peak_sessions_per_s and peak_refused_fraction from the window it feeds
 * (hnb_acs_observe), peak_open_sessions from open_max.  Bursts of arrivals at 2 workers and 12 slots, quiet spells
 * between; then the same numbers from the test's own log by brute force, O(n^2): every instant where a 1-minute window
 * (t - 1 min, t] gains or loses an arrival, and every admission's count of sessions open. */
static void test_peaks_vs_brute(void)
{
    Rig r;
    rig_init(&r, 12, "uniform(0s,3s)");
    hnb_acs_free(r.acs); /* before its params change: the ACS reads them (workers) until it is freed */
    r.cpu = dist("exp(250ms)");
    r.p.workers = 2;
    r.p.session_timeout = 0; /* every session_end(FALSE) is a refusal */
    r.acs = hnb_acs_new(r.sim, &r.p, NULL, hnb_stream(1, 0, "acs.service"), &client, &r);
    HnbWindow win;
    hnb_window_init(&win, HNB_MIN, 20);
    hnb_acs_observe(r.acs, &win);
    HnbStream s = hnb_stream(2, 0, "test.arrivals");
    HnbTime t = 0;
    for (uint64_t k = 0; k < 3000; k++) {
        /* a burst phase (mean gap 0.1 s) and a quiet phase (mean gap 5 s) alternate every 500 arrivals; ties too */
        double mean_gap = (k / 500) % 2 ? 5.0 : 0.1;
        double u = hnb_rng_uniform(s, 0, k);
        t += u < 0.05 ? 0 : (HnbTime)(-log(u) * mean_gap * (double)S);
        hnb_sim_schedule(r.sim, t, r.k_connect, (uint32_t)(k % N), 0);
    }
    HnbTime end = t + 2 * HNB_MIN;
    hnb_sim_run(r.sim, end);
    hnb_window_finish(&win, end);

    /* brute force over the log */
    const Log *lg = (const Log *)(void *)r.log->data;
    guint n = r.log->len;
    uint64_t max_open = 0, max_a = 0, refusals = 0;
    double max_ratio = NAN;
    for (guint i = 0; i < n; i++) {
        refusals += lg[i].kind == LOG_REFUSE;
        if (lg[i].kind == LOG_ADMIT) {
            int64_t open = 0;
            for (guint j = 0; j <= i; j++)
                open += lg[j].kind == LOG_ADMIT ? 1 : lg[j].kind == LOG_CLOSE ? -1 : 0;
            max_open = MAX(max_open, (uint64_t)open);
        }
        if (lg[i].kind == LOG_CLOSE)
            continue; /* the window's counts change only when an arrival or a refusal enters or leaves it */
        for (int leave = 0; leave < 2; leave++) { /* window ends at the arrival, and when it leaves */
            HnbTime e = lg[i].t + (leave ? HNB_MIN : 0);
            if (e > end)
                continue;
            uint64_t a = 0, b = 0;
            for (guint j = 0; j < n; j++)
                if (lg[j].kind != LOG_CLOSE && lg[j].t > e - HNB_MIN && lg[j].t <= e) {
                    a += lg[j].kind == LOG_ADMIT || lg[j].kind == LOG_ARRIVE;
                    b += lg[j].kind == LOG_REFUSE;
                }
            max_a = MAX(max_a, a);
            if (a >= 20 && (isnan(max_ratio) || (double)b / (double)a > max_ratio))
                max_ratio = (double)b / (double)a;
        }
    }
    const HnbAcsStats *st = hnb_acs_stats(r.acs);
    g_test_message("%u log entries, %" G_GUINT64_FORMAT " refused; peaks: %" G_GUINT64_FORMAT
                   " sessions/min, refused fraction %.4f, %" G_GUINT64_FORMAT " open",
                   n, refusals, max_a, max_ratio, max_open);
    g_assert_cmpuint(st->sessions, ==, 3000);
    g_assert_cmpuint(refusals, ==, st->refused);
    g_assert_cmpuint(refusals, >, 100);         /* the bursts overload the ACS ... */
    g_assert_cmpfloat(max_ratio, <, 1);         /* ... not every session of a busy minute */
    g_assert_cmpuint(hnb_window_max_a(&win), ==, max_a);
    g_assert_cmpfloat(hnb_window_max_ratio(&win), ==, max_ratio);
    g_assert_cmpint(st->open_max, ==, (int64_t)max_open);
    g_assert_cmpuint(max_open, ==, 12);
    hnb_window_clear(&win);
    rig_clear(&r);
}

/* The latency tallies by hand (plain HTTP: no handshake; 2 round trips of 1 s CPU, rtt 0; one worker, 4 slots):
 * HNBs 0 and 1 connect at 0 and HNB 2 at 10 s.  HNB 0 is served at once: admitted 0, handshake 0, first response 1 s,
 * end 2 s; HNB 1 waits for the worker until 2 s: 0, 2, 3, 4 s; HNB 2: 0, 0, 1, 2 s.  With handshake_rtt 0.5 s (a TLS
 * session's: not plain HTTP, so the rig's peers get none) the same.  With the horizon at 3 s only HNB 0's session is
 * tallied, and only it is completed. */
static void test_latency(void)
{
    for (int k = 0; k < 2; k++) {
        Rig r;
        rig_init(&r, 4, "0s");
        r.p.handshake_rtt = S / 2;
        if (k == 1)
            r.p.horizon = 3 * S;
        hnb_sim_schedule(r.sim, 0, r.k_connect, 0, 0);
        hnb_sim_schedule(r.sim, 0, r.k_connect, 1, 0);
        hnb_sim_schedule(r.sim, 10 * S, r.k_connect, 2, 0);
        hnb_sim_run(r.sim, k == 0 ? HNB_TIME_NEVER : 3 * S);
        const HnbAcsStats *st = hnb_acs_stats(r.acs);
        const HnbAcsLatency *l = &st->lat;
        if (k == 0) {
            g_assert_cmpuint(st->completed, ==, 3);
            g_assert_cmpuint(l->session.n, ==, 3);
            g_assert_cmpfloat_with_epsilon(hnb_tally_quantile(&l->session, 0.5), 2, 2 * 0.008); /* stats.h: 0.78% */
            g_assert_cmpfloat(l->session.max, ==, 4);
            g_assert_cmpfloat(l->handshake.max, ==, 2);
            g_assert_cmpfloat(l->handshake.min, ==, 0);
            g_assert_cmpfloat(l->first_response.max, ==, 3);
            g_assert_cmpfloat(l->first_response.min, ==, 1);
            g_assert_cmpfloat(l->connect.max, ==, 0);
        } else {
            g_assert_cmpuint(st->completed, ==, 1);
            g_assert_cmpuint(l->session.n, ==, 1);
            g_assert_cmpfloat(l->session.max, ==, 2);
        }
        rig_clear(&r);
    }
}

/* max_sessions_at = inform, by hand: one worker, 1 s of CPU per round trip (2 a session), round trips of 4 s, one
 * slot.  HNB 0 at 0: CPU to 2 s, its Inform at max(2, 0 + 4/2) = 2 s takes the slot, its last response leaves at 2 + 8
 * - 2 = 8 s, it has it at 10 s.  HNB 1 at 0: queued, CPU 2..4 s, its Inform at 4 s finds the slot taken: refused, the
 * 8005 reaches it at 6 s (its 2 s of CPU spent).  HNB 2 at 9 s: CPU 9..11 s, its Inform at 11 s takes the freed slot,
 * ends at 19 s. */
static void test_limit_at_inform(void)
{
    Rig r;
    rig_init(&r, 1, "4s");
    r.p.limit_at = HNB_ACS_LIMIT_AT_INFORM;
    rig_rebuild(&r);
    hnb_sim_schedule(r.sim, 0, r.k_connect, 0, 0);
    hnb_sim_schedule(r.sim, 0, r.k_connect, 1, 0);
    hnb_sim_schedule(r.sim, 9 * S, r.k_connect, 2, 0);
    hnb_sim_run(r.sim, 9 * S - 1);
    const HnbAcsStats *st = hnb_acs_stats(r.acs);
    g_assert_cmpint(st->in_session, ==, 0); /* HNB 0's slot freed at 8 s, its end still to come */
    g_assert_cmpint(st->open, ==, 1);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    unsigned calls;
    const End *e0 = end_of(&r, 0, &calls), *e1, *e2;
    g_assert_cmpuint(calls, ==, 1);
    e1 = end_of(&r, 1, &calls);
    g_assert_cmpuint(calls, ==, 1);
    e2 = end_of(&r, 2, &calls);
    g_assert_cmpuint(calls, ==, 1);
    g_assert_true(e0->ok && !e1->ok && e2->ok);
    g_assert_cmpint(e0->at, ==, 10 * S);
    g_assert_cmpint(e1->at, ==, 6 * S);
    g_assert_cmpint(e2->at, ==, 19 * S);
    g_assert_cmpuint(st->completed, ==, 2);
    g_assert_cmpuint(st->refused, ==, 1);
    g_assert_cmpuint(st->refused_hs, ==, 1);
    g_assert_cmpint(st->refusal_cpu, ==, 2 * S);
    g_assert_cmpint(st->in_session_max, ==, 1);
    g_assert_cmpint(st->in_session, ==, 0);
    g_assert_cmpint(st->open, ==, 0);
    g_assert_cmpint(st->open_max, ==, 2); /* both connections of t = 0 admitted */
    g_assert_cmpfloat(st->lat.session.max, ==, 10);
    g_assert_cmpuint(st->lat.session.n, ==, 2);
    rig_clear(&r);
}

/* A row's latencies by hand ([series] latency: HnbAcsParams.row_latency), with the rig's one worker, 2 round trips
 * of 1 s CPU and rtt 1 s (plain HTTP): HNBs 0 and 1 connect at 0, HNB 2 at 10 s.  HNB 0: CPU 0-2 s, network 2-4 s,
 * ends at 4 s (session 4 s, handshake 0); HNB 1 waits for the worker until 2 s: CPU 2-4 s, ends at 6 s (session 6 s,
 * handshake 2 s); HNB 2: ends at 14 s (4 s, 0).  Rows at 3, 5, 8, 9 and 20 s: at 3 s none (HNB 0's CPU is done but
 * it has not ended: a row counts sessions that ENDED in it), at 5 s HNB 0's, at 8 s HNB 1's, at 9 s none, at 20 s
 * HNB 2's.  One value a row, so every quantile is that value exactly (stats.h: rank 1 is the minimum).  The
 * whole-run tallies are those of /acs/latency's kind, unchanged by the rows. */
static void test_row_latency(void)
{
    Rig r;
    rig_init(&r, 4, "1s");
    hnb_acs_free(r.acs); /* rebuilt with the rows kept */
    r.p.row_latency = TRUE;
    r.acs = hnb_acs_new(r.sim, &r.p, NULL, hnb_stream(1, 0, "acs.service"), &client, &r);
    hnb_sim_schedule(r.sim, 0, r.k_connect, 0, 0);
    hnb_sim_schedule(r.sim, 0, r.k_connect, 1, 0);
    hnb_sim_schedule(r.sim, 10 * S, r.k_connect, 2, 0);
    static const struct {
        HnbTime at;
        double session, handshake; /* NAN: no session ended in the row */
    } rows[] = {{3 * S, NAN, NAN}, {5 * S, 4, 0}, {8 * S, 6, 2}, {9 * S, NAN, NAN}, {20 * S, 4, 0}};
    for (size_t k = 0; k < G_N_ELEMENTS(rows); k++) {
        hnb_sim_run(r.sim, rows[k].at);
        HnbAcsRowLatency rl;
        hnb_tally_init(&rl.session);
        hnb_tally_init(&rl.handshake);
        hnb_acs_row_latency(r.acs, rows[k].at, &rl);
        if (isnan(rows[k].session)) {
            g_assert_cmpuint(rl.session.n, ==, 0);
            g_assert_true(isnan(hnb_tally_quantile(&rl.session, 0.5)));
            g_assert_true(isnan(hnb_tally_quantile(&rl.handshake, 0.95)));
        } else {
            g_assert_cmpuint(rl.session.n, ==, 1);
            g_assert_cmpfloat(hnb_tally_quantile(&rl.session, 0.5), ==, rows[k].session);
            g_assert_cmpfloat(hnb_tally_quantile(&rl.session, 0.95), ==, rows[k].session);
            g_assert_cmpfloat(hnb_tally_quantile(&rl.handshake, 0.95), ==, rows[k].handshake);
        }
        hnb_tally_clear(&rl.session);
        hnb_tally_clear(&rl.handshake);
    }
    const HnbAcsLatency *l = &hnb_acs_stats(r.acs)->lat;
    g_assert_cmpuint(hnb_acs_stats(r.acs)->completed, ==, 3);
    g_assert_cmpuint(l->session.n, ==, 3);
    g_assert_cmpfloat(l->session.max, ==, 6);
    g_assert_cmpfloat(l->session.min, ==, 4);
    rig_clear(&r);
}

/* request_cpu = queued, by hand: one worker, 1 s of CPU a request, round trips of 2 s, no handshake CPU (plain
 * HTTP).  HNBs 0 and 1 at 0: both handshakes done at 0; their Informs arrive at 1 s (half a round trip); HNB 0's CPU
 * 1-2 s, HNB 1's (queued) 2-3 s; their second requests arrive at 2 + 2 = 4 s and 3 + 2 = 5 s; HNB 0's CPU 4-5 s,
 * HNB 1's (behind it at 5 s) 5-6 s; each ends half a round trip after its last CPU: 6 s and 7 s (with_handshake: 6
 * and 8 s, HNB 1 waiting for HNB 0's whole session's CPU).  First responses at 3 and 4 s. */
static void test_requests_queued(void)
{
    Rig r;
    rig_init(&r, 4, "2s");
    r.p.request_cpu = HNB_ACS_REQUESTS_QUEUED;
    rig_rebuild(&r);
    hnb_sim_schedule(r.sim, 0, r.k_connect, 0, 0);
    hnb_sim_schedule(r.sim, 0, r.k_connect, 1, 0);
    hnb_sim_run(r.sim, HNB_TIME_NEVER);
    unsigned calls;
    const End *e0 = end_of(&r, 0, &calls);
    g_assert_cmpuint(calls, ==, 1);
    const End *e1 = end_of(&r, 1, &calls);
    g_assert_cmpuint(calls, ==, 1);
    g_assert_true(e0->ok && e1->ok);
    g_assert_cmpint(e0->at, ==, 6 * S);
    g_assert_cmpint(e1->at, ==, 7 * S);
    const HnbAcsStats *st = hnb_acs_stats(r.acs);
    g_assert_cmpuint(st->completed, ==, 2);
    g_assert_cmpint(st->open, ==, 0);
    g_assert_cmpint(st->busy, ==, 0);
    g_assert_cmpfloat(st->lat.first_response.min, ==, 3);
    g_assert_cmpfloat(st->lat.first_response.max, ==, 4);
    g_assert_cmpfloat(st->lat.session.min, ==, 6);
    g_assert_cmpfloat(st->lat.session.max, ==, 7);
    rig_clear(&r);
}

/* [acs] transfer_cwmp_time and download_cwmp_time by hand: one worker, plain HTTP, no network time, four HNBs at 0 s
 * served FIFO: an Inform-only session (2 round trips of cwmp_time 1 s: ends at 2 s), one carrying a TransferComplete
 * (3 of 2 s: 8 s), one getting a Download (3 of 3 s: 17 s), one both (4 round trips of the Download's 3 s: 29 s).
 * Unset, every kind takes cwmp_time: 2, 5, 8, 12 s.  With request_cpu = queued the one worker does the same work, so
 * the last session still ends at 29 s. */
static void test_cpu_per_kind(void)
{
    static const HnbTime with_kinds[] = {2 * S, 8 * S, 17 * S, 29 * S}, without[] = {2 * S, 5 * S, 8 * S, 12 * S};
    for (int mode = 0; mode < 3; mode++) {
        Rig r;
        rig_init(&r, 8, "0s");
        HnbDist tc = dist("2s"), dl = dist("3s");
        if (mode > 0) {
            r.p.cwmp_cpu_transfer = &tc;
            r.p.cwmp_cpu_download = &dl;
        }
        if (mode == 2)
            r.p.request_cpu = HNB_ACS_REQUESTS_QUEUED;
        rig_rebuild(&r);
        r.events[1] = r.events[3] = HNB_CWMP_EV_BOOT | HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD;
        r.needs_image[2] = r.needs_image[3] = TRUE;
        for (uint32_t i = 0; i < 4; i++)
            hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
        hnb_sim_run(r.sim, HNB_TIME_NEVER);
        HnbTime last = 0;
        for (uint32_t i = 0; i < 4; i++) {
            unsigned calls;
            const End *e = end_of(&r, i, &calls);
            g_assert_cmpuint(calls, ==, 1);
            g_assert_true(e->ok);
            if (mode < 2)
                g_assert_cmpint(e->at, ==, mode ? with_kinds[i] : without[i]);
            last = MAX(last, e->at);
        }
        g_assert_cmpint(last, ==, mode ? 29 * S : 12 * S);
        rig_clear(&r);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acs/once-per-session", test_once_per_session);
    g_test_add_func("/acs/stale-sessions", test_stale_sessions);
    g_test_add_func("/acs/drop-syn", test_drop_syn);
    g_test_add_func("/acs/session-timeout", test_session_timeout);
    g_test_add_func("/acs/peaks-vs-brute", test_peaks_vs_brute);
    g_test_add_func("/acs/latency", test_latency);
    g_test_add_func("/acs/limit-at-inform", test_limit_at_inform);
    g_test_add_func("/acs/row-latency", test_row_latency);
    g_test_add_func("/acs/requests-queued", test_requests_queued);
    g_test_add_func("/acs/cpu-per-kind", test_cpu_per_kind);
    return g_test_run();
}
