/* tests/test-image-server.c — the image server and the download campaign alone, on the kernel, with a client table
 * of the test's own: the cap and its FIFO queue, the campaign rate, a restart that re-aims the completion event (the
 * bug of the former cancel_stale), Range resume and the faults by code.  Every expected time is worked out by hand
 * in the comments: 1 MB images from an 8 Mbit/s (1 MB/s) server, access links without a cap. */
#include "models/image_server.h"

#include <math.h>

#define N 8
#define MB 1e6
#define SEC(x) ((HnbTime)((x) * 1e9))

enum { ACT_REQUEST, ACT_CANCEL, ACT_RESTART };

typedef struct {
    HnbSim *sim;
    HnbImageServer *s;
    uint32_t k_act;
    HnbTime granted_at[N], done_at[N];
    uint32_t done_order[N], ndone;
    gboolean restart_cut[N];
} Bench;

/* A session that asked for the Download: start at once if the RPC goes out. */
static void ask(Bench *b, uint32_t hnb)
{
    if (hnb_image_server_request(b->s, hnb))
        hnb_image_server_start(b->s, hnb, INFINITY);
}

/* The Connection Request's session is instant here: the HNB asks again, and now gets its Download. */
static void granted(void *ctx, uint32_t hnb)
{
    Bench *b = ctx;
    b->granted_at[hnb] = hnb_sim_now(b->sim);
    g_assert_true(hnb_image_server_request(b->s, hnb));
    hnb_image_server_start(b->s, hnb, INFINITY);
}

static void done(void *ctx, uint32_t hnb)
{
    Bench *b = ctx;
    b->done_at[hnb] = hnb_sim_now(b->sim);
    b->done_order[b->ndone++] = hnb;
}

static const HnbImageServerClient client = {.granted = granted, .done = done};

static void on_act(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Bench *b = ud;
    (void)sim;
    if (ev->arg == ACT_REQUEST)
        ask(b, ev->entity);
    else if (ev->arg == ACT_CANCEL)
        hnb_image_server_cancel(b->s, ev->entity);
    else
        b->restart_cut[ev->entity] = hnb_image_server_restart(b->s, ev->entity);
}

static void bench_init(Bench *b, uint32_t cap, double rate, gboolean resume)
{
    *b = (Bench){.sim = hnb_sim_new()};
    for (int i = 0; i < N; i++)
        b->granted_at[i] = b->done_at[i] = -1;
    HnbImageServerParams p = {.bandwidth = 8e6, .image_bytes = MB, .max_concurrent = cap, .campaign_rate = rate,
                              .resume = resume};
    b->s = hnb_image_server_new(b->sim, &p, &client, b);
    b->k_act = hnb_sim_register(b->sim, "test.act", on_act, b);
}

static void act(Bench *b, HnbTime at, uint32_t hnb, int what)
{
    hnb_sim_schedule(b->sim, at, b->k_act, hnb, (uint64_t)what);
}

/* n HNBs ask at t = 0 (in index order) */
static void ask_all_at_0(Bench *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        act(b, 0, i, ACT_REQUEST);
}

static void bench_clear(Bench *b)
{
    hnb_image_server_free(b->s);
    hnb_sim_free(b->sim);
}

/* Completion times are rounded up to whole ns (download.h): allow a few. */
static void assert_at(HnbTime got, double expect_s)
{
    g_assert_cmpint(llabs(got - SEC(expect_s)), <=, 4);
}

/* Cap 2, five requests at t = 0: 0 and 1 share the 1 MB/s and end at 2 s; 2 and 3 get their slots then and end at
 * 4 s; 4 runs alone from 4 s and ends at 5 s = 5 x 1 MB / 1 MB/s, the bandwidth-bound makespan.  Queue: 3 waited
 * (peak 3), 2 + 2 + 4 = 8 s in all. */
static void test_cap_fifo(void)
{
    Bench b;
    bench_init(&b, 2, 0, FALSE);
    ask_all_at_0(&b, 5);
    hnb_sim_run(b.sim, SEC(100));
    static const double expect[] = {2, 2, 4, 4, 5};
    for (uint32_t i = 0; i < 5; i++)
        assert_at(b.done_at[i], expect[i]);
    g_assert_cmpint(b.granted_at[0], ==, -1); /* served at once, no Connection Request */
    assert_at(b.granted_at[2], 2);
    assert_at(b.granted_at[4], 4);
    for (uint32_t k = 0; k < 5; k++)
        g_assert_cmpuint(b.done_order[k], ==, k); /* first come, first served */
    const HnbImageServerStats *st = hnb_image_server_stats(b.s);
    g_assert_cmpuint(st->queued, ==, 3);
    g_assert_cmpuint(st->queue_peak, ==, 3);
    g_assert_cmpfloat(fabs(st->queue_wait_s - 8), <, 1e-6);
    g_assert_cmpuint(st->completed, ==, 5);
    g_assert_cmpuint(hnb_image_server_waiting(b.s), ==, 0);
    bench_clear(&b);
}

/* No cap, 2 Download RPCs a second: five requests at t = 0 get their RPCs at 0, 0.5, 1, 1.5 and 2 s. */
static void test_campaign_rate(void)
{
    Bench b;
    bench_init(&b, 0, 2, FALSE);
    ask_all_at_0(&b, 5);
    hnb_sim_run(b.sim, SEC(100));
    g_assert_cmpint(b.granted_at[0], ==, -1);
    for (uint32_t i = 1; i < 5; i++)
        g_assert_cmpint(b.granted_at[i], ==, SEC(0.5 * i));
    g_assert_cmpuint(hnb_image_server_stats(b.s)->completed, ==, 5);
    bench_clear(&b);
}

/* Two downloads share 1 MB/s from t = 0; HNB 0 reboots at 0.5 s (fault 9010).  HNB 1 has 0.25 MB by then and gets
 * the whole 1 MB/s for its last 0.75 MB: done at 1.25 s.  The former cancel_stale left the event aimed at 2 s (the
 * old shared finish), so HNB 1 finished late. */
static void test_restart_reaims(void)
{
    Bench b;
    bench_init(&b, 0, 0, FALSE);
    ask_all_at_0(&b, 2);
    act(&b, SEC(0.5), 0, ACT_RESTART);
    hnb_sim_run(b.sim, SEC(100));
    g_assert_true(b.restart_cut[0]);
    g_assert_cmpint(b.done_at[0], ==, -1);
    assert_at(b.done_at[1], 1.25);
    const HnbImageServerStats *st = hnb_image_server_stats(b.s);
    g_assert_cmpuint(st->faults[HNB_DL_FAULT_9010], ==, 1);
    g_assert_cmpuint(st->faults[HNB_DL_FAULT_9017], ==, 0);
    g_assert_cmpuint(st->failed, ==, 1);
    g_assert_cmpfloat(fabs(hnb_image_server_bytes_delivered(b.s, SEC(100)) - 1.25 * MB), <, 1e-3);
    bench_clear(&b);
}

/* A restart drops a queued HNB's place (its dead ticket is skipped): cap 1, HNB 0 runs, 1 and 2 wait; 1 reboots at
 * 0.5 s; 2 gets the slot when 0 ends at 1 s and ends at 2 s. */
static void test_restart_leaves_queue(void)
{
    Bench b;
    bench_init(&b, 1, 0, FALSE);
    ask_all_at_0(&b, 3);
    act(&b, SEC(0.5), 1, ACT_RESTART);
    hnb_sim_run(b.sim, SEC(100));
    g_assert_false(b.restart_cut[1]); /* nothing was running: no fault */
    g_assert_cmpint(b.done_at[1], ==, -1);
    assert_at(b.done_at[2], 2);
    g_assert_cmpuint(hnb_image_server_stats(b.s)->failed, ==, 0);
    g_assert_cmpuint(hnb_image_server_waiting(b.s), ==, 0);
    bench_clear(&b);
}

/* The HNB's timeout cuts its download at 0.4 s (fault 9017) and it asks again at once.  With resume it holds 0.4 MB
 * and asks for the other 0.6 MB: done at 1.0 s, 1 MB served.  Without, it starts over: done at 1.4 s, 1.4 MB served.
 * With resume but a reboot between the cut and the new request, the RAM-held 0.4 MB are lost: done at 1.4 s. */
static void resume_case(gboolean resume, gboolean reboot, double expect_done, double expect_mb)
{
    Bench b;
    bench_init(&b, 0, 0, resume);
    act(&b, 0, 0, ACT_REQUEST);
    act(&b, SEC(0.4), 0, ACT_CANCEL);
    if (reboot)
        act(&b, SEC(0.4), 0, ACT_RESTART);
    act(&b, SEC(0.4), 0, ACT_REQUEST);
    hnb_sim_run(b.sim, SEC(100));
    assert_at(b.done_at[0], expect_done);
    const HnbImageServerStats *st = hnb_image_server_stats(b.s);
    g_assert_cmpuint(st->faults[HNB_DL_FAULT_9017], ==, 1);
    g_assert_cmpuint(st->resumed, ==, resume && !reboot ? 1 : 0);
    g_assert_cmpfloat(fabs(hnb_image_server_bytes_delivered(b.s, SEC(100)) - expect_mb * MB), <, 1e-3);
    bench_clear(&b);
}

static void test_resume(void)
{
    resume_case(TRUE, FALSE, 1.0, 1.0);
    resume_case(FALSE, FALSE, 1.4, 1.4);
    resume_case(TRUE, TRUE, 1.4, 1.4);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/image-server/cap-fifo", test_cap_fifo);
    g_test_add_func("/image-server/campaign-rate", test_campaign_rate);
    g_test_add_func("/image-server/restart-reaims", test_restart_reaims);
    g_test_add_func("/image-server/restart-leaves-queue", test_restart_leaves_queue);
    g_test_add_func("/image-server/resume", test_resume);
    return g_test_run();
}
