/* tests/test-segw.c — the SeGW part driven by the test's own HnbSegwClient: set-ups bounded by the workers (makespan
 * = ceil(N / workers) x set-up time + the two exchanges), SA slots and drops, stale tunnels held until dead-peer
 * detection or deleted by INITIAL_CONTACT, rekeys, and set-ups abandoned by a reboot.  Each expected number is worked
 * out by hand in the test's comment. */
#include "models/segw.h"
#include "models/segw_ike.h"

#define MS HNB_MSEC
#define S HNB_SEC
#define MAXH 128

typedef struct {
    HnbSim *sim;
    HnbSegw *segw;
    HnbSegwParams p;
    HnbDist setup, rekey, rtt;
    uint8_t gen[MAXH];
    uint32_t draws[MAXH];
    HnbTime up_at[MAXH], failed_at[MAXH];
    HnbTime clock_off[MAXH];     /* HNB i's clock minus true time */
    HnbTlsReason reason[MAXH];   /* of its latest failure */
    gboolean refusals;           /* refusals expected (a crypto table): else every failure is a drop */
    unsigned ups, fails;
    uint32_t k_connect, k_lost;
} Rig;

static uint8_t gen_of(void *ctx, uint32_t i)
{
    return ((Rig *)ctx)->gen[i];
}

static HnbTime sample(void *ctx, uint32_t i, const HnbDist *d, HnbStream stream)
{
    Rig *r = ctx;
    HnbRng g = hnb_rng_at(stream, i, r->draws[i]);
    HnbTime t = hnb_dist_sample_time(d, &g);
    r->draws[i] = (uint32_t)g.counter;
    return t;
}

static void tunnel_up(void *ctx, uint32_t i)
{
    Rig *r = ctx;
    r->up_at[i] = hnb_sim_now(r->sim);
    r->ups++;
}

static void tunnel_failed(void *ctx, uint32_t i, HnbSegwFailure why, HnbTlsReason reason)
{
    Rig *r = ctx;
    if (!r->refusals)
        g_assert_cmpint(why, ==, HNB_SEGW_DROPPED);
    g_assert_cmpint(why == HNB_SEGW_DROPPED, ==, reason == HNB_TLS_OK);
    r->reason[i] = reason;
    r->failed_at[i] = hnb_sim_now(r->sim);
    r->fails++;
}

static HnbTime clock_of(void *ctx, uint32_t i, HnbTime t)
{
    return t + ((Rig *)ctx)->clock_off[i];
}

static const HnbSegwClient client = {gen_of, sample, tunnel_up, tunnel_failed, clock_of, NULL};

static void on_connect(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    hnb_segw_connect(((Rig *)ud)->segw, ev->entity);
}

static void on_lost(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Rig *r = ud;
    (void)sim;
    r->gen[ev->entity]++;
    hnb_segw_lost(r->segw, ev->entity);
}

static HnbDist dist(const char *text)
{
    HnbDist d;
    GError *error = NULL;
    g_assert_true(hnb_dist_parse(text, HNB_UNIT_DURATION, &d, &error));
    g_assert_no_error(error);
    return d;
}

/* Fixed 10 ms set-ups, 2 ms rekeys, no network time, a 30 s IKE timeout, 30 s DPD, no rekey; then `adjust`. */
static void rig_init(Rig *r, int64_t workers, int64_t max_tunnels)
{
    *r = (Rig){.sim = hnb_sim_new(), .setup = dist("10ms"), .rekey = dist("2ms"), .rtt = dist("0s")};
    r->p = (HnbSegwParams){.workers = workers, .max_tunnels = max_tunnels, .setup_cpu = &r->setup,
                           .rekey_cpu = &r->rekey, .rtt = &r->rtt, .ike_timeout = 30 * S, .dpd_timeout = 30 * S};
    for (int i = 0; i < MAXH; i++)
        r->up_at[i] = r->failed_at[i] = -1;
    r->k_connect = hnb_sim_register(r->sim, "test.connect", on_connect, r);
    r->k_lost = hnb_sim_register(r->sim, "test.lost", on_lost, r);
}

static void rig_start(Rig *r)
{
    r->segw = hnb_segw_new(r->sim, &r->p, MAXH, hnb_stream(1, 0, "segw.service"), &client, r);
}

static void rig_clear(Rig *r)
{
    hnb_segw_free(r->segw);
    hnb_sim_free(r->sim);
}

/* 100 HNBs connect at t = 0 to 4 workers, 10 ms each: the workers take them 4 at a time, so HNB k's set-up ends at
 * (k / 4 + 1) x 10 ms and the last at 25 x 10 = 250 ms; with two 20 ms exchanges every tunnel is up 40 ms later. */
static void test_makespan(void)
{
    for (int net = 0; net < 2; net++) {
        Rig r;
        rig_init(&r, 4, 1000);
        if (net)
            r.rtt = dist("20ms");
        rig_start(&r);
        for (uint32_t i = 0; i < 100; i++)
            hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
        hnb_sim_run(r.sim, 10 * S);
        g_assert_cmpuint(r.ups, ==, 100);
        HnbTime last = 0;
        for (uint32_t i = 0; i < 100; i++) {
            g_assert_cmpint(r.up_at[i], ==, (HnbTime)(i / 4 + 1) * 10 * MS + (net ? 40 * MS : 0));
            last = MAX(last, r.up_at[i]);
        }
        g_assert_cmpint(last, ==, 250 * MS + (net ? 40 * MS : 0));
        const HnbSegwStats *st = hnb_segw_stats(r.segw);
        g_assert_cmpint(st->cpu, ==, 1000 * MS); /* 100 x 10 ms */
        g_assert_cmpint(st->sas, ==, 100);
        g_assert_cmpint(st->busy, ==, 0);
        g_assert_true(hnb_segw_has_tunnel(r.segw, 99));
        rig_clear(&r);
    }
}

/* 30 SA slots, 100 HNBs at once: the first 30 get in, the other 70 are dropped and fail at the HNB exactly at the
 * IKE timeout (30 s); nothing they do costs a worker. */
static void test_max_tunnels(void)
{
    Rig r;
    rig_init(&r, 2, 30);
    rig_start(&r);
    for (uint32_t i = 0; i < 100; i++)
        hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
    hnb_sim_run(r.sim, 60 * S);
    g_assert_cmpuint(r.ups, ==, 30);
    g_assert_cmpuint(r.fails, ==, 70);
    for (uint32_t i = 30; i < 100; i++)
        g_assert_cmpint(r.failed_at[i], ==, 30 * S);
    const HnbSegwStats *st = hnb_segw_stats(r.segw);
    g_assert_cmpuint(st->dropped, ==, 70);
    g_assert_cmpint(st->sas_max, ==, 30);
    g_assert_cmpint(st->cpu, ==, 300 * MS);
    rig_clear(&r);
}

/* 10 tunnels up; the 10 HNBs reboot at 1 s and reconnect at 2 s.  Without INITIAL_CONTACT and 10 slots, the stale
 * SAs hold every slot until DPD frees them at 1 s + 30 s: the reconnects are dropped (fail at 32 s), and at the end
 * no slot is taken.  With INITIAL_CONTACT and 20 slots the reconnects get in, and each new tunnel deletes its HNB's
 * stale one: 10 SAs again at 2.01 s (set-ups 2 at a time... one worker: 10 ms each, last up at 2.1 s). */
static void test_stale_tunnels(void)
{
    for (int ic = 0; ic < 2; ic++) {
        Rig r;
        rig_init(&r, 1, ic ? 20 : 10);
        r.p.initial_contact = ic;
        rig_start(&r);
        for (uint32_t i = 0; i < 10; i++) {
            hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
            hnb_sim_schedule(r.sim, 1 * S, r.k_lost, i, 0);
            hnb_sim_schedule(r.sim, 2 * S, r.k_connect, i, 0);
        }
        hnb_sim_run(r.sim, 1500 * MS);
        const HnbSegwStats *st = hnb_segw_stats(r.segw);
        g_assert_cmpint(st->sas, ==, 10); /* stale, still held */
        g_assert_false(hnb_segw_has_tunnel(r.segw, 0));
        hnb_sim_run(r.sim, 40 * S);
        if (!ic) {
            g_assert_cmpuint(r.ups, ==, 10);
            g_assert_cmpuint(r.fails, ==, 10);
            g_assert_cmpint(r.failed_at[9], ==, 32 * S);
            g_assert_cmpuint(st->dpd_freed, ==, 10);
            g_assert_cmpint(st->sas, ==, 0);
        } else {
            g_assert_cmpuint(r.ups, ==, 20);
            g_assert_cmpuint(r.fails, ==, 0);
            g_assert_cmpint(r.up_at[9], ==, 2 * S + 100 * MS);
            g_assert_cmpuint(st->replaced, ==, 10);
            g_assert_cmpuint(st->dpd_freed, ==, 0); /* the DPD events came, found nothing */
            g_assert_cmpint(st->sas, ==, 10);
            g_assert_cmpint(st->sas_max, ==, 20);
        }
        rig_clear(&r);
    }
}

/* A 1 h lifetime: 5 tunnels up at 10..50 ms are rekeyed at +1 h, +2 h, ...: in a run to 10 h 1 min each has had 10
 * rekeys of 2 ms; an HNB lost at 5 h 30 min stops at 5. */
static void test_rekey(void)
{
    Rig r;
    rig_init(&r, 1, 100);
    r.p.lifetime = 3600 * S;
    rig_start(&r);
    for (uint32_t i = 0; i < 5; i++)
        hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
    hnb_sim_schedule(r.sim, 5 * 3600 * S + 1800 * S, r.k_lost, 4, 0);
    hnb_sim_run(r.sim, 10 * 3600 * S + 60 * S);
    const HnbSegwStats *st = hnb_segw_stats(r.segw);
    g_assert_cmpuint(st->rekeys, ==, 4 * 10 + 5);
    g_assert_cmpint(st->cpu, ==, 5 * 10 * MS + 45 * 2 * MS);
    rig_clear(&r);
}

/* One worker, 5 HNBs at once; HNBs 2 and 3 reboot at 15 ms, while 1 is on the worker and 2..4 wait: their slots are
 * freed at once, their queued set-ups are skipped without CPU, nothing is reported for them, and 4 is served right
 * after 1 (up at 30 ms instead of 50 ms). */
static void test_lost_during_setup(void)
{
    Rig r;
    rig_init(&r, 1, 100);
    rig_start(&r);
    for (uint32_t i = 0; i < 5; i++)
        hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
    hnb_sim_schedule(r.sim, 15 * MS, r.k_lost, 2, 0);
    hnb_sim_schedule(r.sim, 15 * MS, r.k_lost, 3, 0);
    hnb_sim_run(r.sim, 60 * S);
    g_assert_cmpuint(r.ups, ==, 3);
    g_assert_cmpuint(r.fails, ==, 0);
    g_assert_cmpint(r.up_at[0], ==, 10 * MS);
    g_assert_cmpint(r.up_at[1], ==, 20 * MS);
    g_assert_cmpint(r.up_at[4], ==, 30 * MS);
    g_assert_cmpint(r.up_at[2], ==, -1);
    const HnbSegwStats *st = hnb_segw_stats(r.segw);
    g_assert_cmpuint(st->stale_setups, ==, 2);
    g_assert_cmpint(st->sas, ==, 3);
    g_assert_cmpint(st->cpu, ==, 30 * MS);
    rig_clear(&r);
}

/* Real IKE jobs (crypto/ike_job.h through models/segw_ike.h) decide the set-ups: 8 HNBs at t = 0 on 2 workers of
 * 10 ms, no network time, so HNB k's set-up ends at (k / 2 + 1) x 10 ms.  HNB 3's device certificate is revoked: the
 * SeGW refuses it at 20 ms (revoked), its slot freed; HNB 5's clock reads 60 days early, before the SeGW certificate's
 * notBefore (30 days before the epoch): the HNB refuses the SeGW at 30 ms (not_yet_valid).  The others come up.  At
 * sampled:4 only set-ups 0 and 4 (HNBs 0 and 4) are real; the others take the latest real outcome (ok), so HNB 3 and
 * HNB 5 come up too. */
static void test_crypto(void)
{
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    pp.no_cache = TRUE;
    pp.device_key = HNB_PKI_KEY_EC_P256;
    pp.segw_key = HNB_PKI_KEY_EC_P256;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_pki_parse_revoked("3", &pp.revoked, &pp.nrevoked, &error));
    HnbPki *pki = hnb_pki_new(&pp, &error);
    g_assert_no_error(error);
    hnb_pki_params_clear(&pp);
    HnbIkeEngine *engine = hnb_ike_engine_new(pki, HNB_IKE_DH_DEFAULT, NULL, &error);
    g_assert_no_error(error);
    for (unsigned one_in = 1; one_in <= 4; one_in += 3) {
        HnbPool *pool = hnb_pool_new(1, 2, hnb_ike_thread_init, hnb_ike_thread_free, engine);
        HnbSegwIke *ike = hnb_segw_ike_new(&(HnbSegwIkeParams){2, {one_in == 1 ? HNB_FIDELITY_FULL : HNB_FIDELITY_SAMPLED,
                                                                   one_in}},
                                           pool, hnb_ike_job_run, engine);
        Rig r;
        rig_init(&r, 2, 1000);
        r.refusals = TRUE;
        r.clock_off[5] = -60 * HNB_DAY;
        rig_start(&r);
        hnb_segw_set_crypto(r.segw, &hnb_segw_ike_crypto, ike);
        for (uint32_t i = 0; i < 8; i++)
            hnb_sim_schedule(r.sim, 0, r.k_connect, i, 0);
        hnb_sim_run(r.sim, 10 * S);
        const HnbSegwStats *st = hnb_segw_stats(r.segw);
        if (one_in == 1) {
            g_assert_cmpuint(r.ups, ==, 6);
            g_assert_cmpuint(r.fails, ==, 2);
            g_assert_cmpint(r.failed_at[3], ==, 20 * MS);
            g_assert_cmpint(r.reason[3], ==, HNB_TLS_REVOKED);
            g_assert_cmpint(r.failed_at[5], ==, 30 * MS);
            g_assert_cmpint(r.reason[5], ==, HNB_TLS_NOT_YET_VALID);
            g_assert_cmpuint(st->refused, ==, 2);
            g_assert_cmpuint(st->failed[HNB_TLS_REVOKED], ==, 1);
            g_assert_cmpuint(st->failed[HNB_TLS_NOT_YET_VALID], ==, 1);
            g_assert_cmpuint(hnb_segw_ike_stats(ike)->real, ==, 8);
            g_assert_cmpuint(hnb_segw_ike_stats(ike)->side[HNB_IKE_SIDE_SEGW], ==, 1);
            g_assert_cmpuint(hnb_segw_ike_stats(ike)->side[HNB_IKE_SIDE_HNB], ==, 1);
        } else {
            g_assert_cmpuint(r.ups, ==, 8);
            g_assert_cmpuint(hnb_segw_ike_stats(ike)->real, ==, 2);
        }
        g_assert_cmpint(st->sas, ==, st->tunnels);
        g_assert_cmpint(st->tunnels, ==, (int64_t)r.ups);
        g_assert_true(hnb_segw_ike_error(ike, &error));
        /* HNB 0 reconnects after a reboot and the run stops with its set-up on a worker: abandoned at free */
        r.gen[0]++;
        hnb_segw_lost(r.segw, 0);
        hnb_segw_connect(r.segw, 0);
        rig_clear(&r);
        hnb_segw_ike_free(ike);
        hnb_pool_free(pool);
    }
    hnb_ike_engine_free(engine);
    hnb_pki_free(pki);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/segw/makespan", test_makespan);
    g_test_add_func("/segw/max-tunnels", test_max_tunnels);
    g_test_add_func("/segw/stale-tunnels", test_stale_tunnels);
    g_test_add_func("/segw/rekey", test_rekey);
    g_test_add_func("/segw/lost-during-setup", test_lost_during_setup);
    g_test_add_func("/segw/crypto", test_crypto);
    return g_test_run();
}
