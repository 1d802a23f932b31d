/* tests/test-fleet-run.c — one fleet replication in steps (models/fleet_run.h) and the HnbHems seam (models/hems.h):
 * stepping the kernel in slices gives what one run gives, and a fake H(e)MS plugged in where the model's goes drives
 * the same HNB code to counts computed by hand.  The fake is what `hnbsim drive` will be, without sockets: every
 * session ends well FAKE_SESSION after its connect, every download takes FAKE_DOWNLOAD, an HNB's first download fails
 * at the server's end (HnbImageServerClient.failed). */
#include "models/fleet_run.h"
#include "tests/model-run.h"

#include <math.h>

extern const HnbModel hnb_model_fleet;

#define FAKE_SESSION (40 * HNB_MSEC)
#define FAKE_DOWNLOAD (20 * HNB_SEC)
#define FAKE_FAIL_AFTER (5 * HNB_SEC)

typedef struct {
    HnbSim *sim;
    const HnbAcsClient *acs;
    const HnbImageServerClient *images;
    void *pop;
    HnbWindow *win;
    uint32_t k_session, k_image;
    HnbEventId *pending;  /* per HNB: its session's or its download's end */
    gboolean *in_session; /* per HNB: pending is its session's end */
    uint8_t *dl_attempts; /* per HNB */
    HnbAcsStats as;
    HnbImageServerStats is;
    uint64_t lost, needs_image_sessions;
} Fake;

static void on_session(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fake *f = ud;
    (void)sim;
    f->pending[ev->entity] = 0;
    f->in_session[ev->entity] = FALSE;
    f->as.completed++;
    f->as.open--;
    HnbAcsPeer peer = f->acs->peer(f->pop, ev->entity);
    f->needs_image_sessions += peer.needs_image;
    f->acs->session_end(f->pop, ev->entity, TRUE, peer.needs_image ? HNB_CWMP_ACS_DOWNLOAD : HNB_CWMP_ACS_NOTHING);
}

static void on_image(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fake *f = ud;
    (void)sim;
    f->pending[ev->entity] = 0;
    if (ev->arg) {
        f->is.failed++;
        f->is.faults[HNB_DL_FAULT_9017]++;
        f->images->failed(f->pop, ev->entity, HNB_DL_FAULT_9017);
    } else {
        f->is.completed++;
        f->is.last_done = ev->time;
        f->images->done(f->pop, ev->entity);
    }
}

static void f_connect(void *impl, uint32_t hnb)
{
    Fake *f = impl;
    g_assert_cmpuint(f->pending[hnb], ==, 0); /* an HNB has one session or one download at a time */
    f->as.sessions++;
    f->as.open++;
    hnb_window_add(f->win, hnb_sim_now(f->sim), 1, 0);
    f->pending[hnb] = hnb_sim_schedule_in(f->sim, FAKE_SESSION, f->k_session, hnb, 0);
    f->in_session[hnb] = TRUE;
}

static void f_lost(void *impl, uint32_t hnb)
{
    Fake *f = impl;
    f->lost++;
    if (f->pending[hnb] && f->in_session[hnb])
        f->as.open--, f->as.abandoned++; /* its session dies with it, silently (models/acs.h) */
    if (f->pending[hnb])
        hnb_sim_cancel(f->sim, f->pending[hnb]);
    f->pending[hnb] = 0;
    f->in_session[hnb] = FALSE;
}

static gboolean f_image_request(void *impl, uint32_t hnb)
{
    (void)impl, (void)hnb;
    return TRUE; /* no campaign queue */
}

static void f_image_start(void *impl, uint32_t hnb, double cap_bps)
{
    Fake *f = impl;
    g_assert_cmpfloat(cap_bps, >, 0);
    gboolean fail = f->dl_attempts[hnb]++ == 0;
    if (f->is.started++ == 0)
        f->is.first_start = hnb_sim_now(f->sim);
    f->pending[hnb] = hnb_sim_schedule_in(f->sim, fail ? FAKE_FAIL_AFTER : FAKE_DOWNLOAD, f->k_image, hnb, fail);
}

static void f_image_cancel(void *impl, uint32_t hnb)
{
    Fake *f = impl;
    if (f->pending[hnb])
        hnb_sim_cancel(f->sim, f->pending[hnb]);
    f->pending[hnb] = 0;
}

static gboolean f_image_restart(void *impl, uint32_t hnb)
{
    f_image_cancel(impl, hnb);
    return FALSE;
}

static void f_tls_forget(void *impl, uint32_t hnb) { (void)impl, (void)hnb; }
static void f_tls_prefetch(void *impl, uint32_t hnb, HnbTime at, HnbTime clock, gboolean has_session, gboolean rec)
{
    (void)impl, (void)hnb, (void)at, (void)clock, (void)has_session, (void)rec;
    g_assert_not_reached(); /* tls_runs_ahead is NULL: nothing is run ahead */
}
static const HnbAcsStats *f_acs_stats(void *impl) { return &((Fake *)impl)->as; }
static const HnbImageServerStats *f_image_stats(void *impl) { return &((Fake *)impl)->is; }
static size_t f_images_active(void *impl) { (void)impl; return 0; }
static double f_bytes(void *impl, HnbTime now) { (void)now; return (double)((Fake *)impl)->is.completed * 1e6; }
static void f_free(void *impl) { (void)impl; } /* the test owns the fake, to read it after the run */

static const HnbHemsOps fake_ops = {
    .connect = f_connect, .lost = f_lost, .image_request = f_image_request, .image_start = f_image_start,
    .image_cancel = f_image_cancel, .image_restart = f_image_restart, .tls_forget = f_tls_forget,
    .tls_runs_ahead = NULL, .tls_prefetch = f_tls_prefetch, .acs_stats = f_acs_stats, .image_stats = f_image_stats,
    .images_active = f_images_active, .bytes_delivered = f_bytes, .free = f_free,
};

static gboolean fake_new(void *data, HnbSim *sim, const HnbScenario *sc, guint rep, const HnbAcsClient *acs_client,
                         const HnbImageServerClient *image_client, void *population, HnbWindow *win, HnbHems *out,
                         GError **error)
{
    Fake *f = data;
    (void)rep, (void)error;
    uint32_t n = (uint32_t)hnb_scenario_int(sc, "fleet", "size");
    *f = (Fake){.sim = sim, .acs = acs_client, .images = image_client, .pop = population, .win = win,
                .pending = g_new0(HnbEventId, n), .in_session = g_new0(gboolean, n), .dl_attempts = g_new0(uint8_t, n)};
    f->is.first_start = f->is.last_done = -1;
    f->k_session = hnb_sim_register(sim, "fake.session", on_session, f);
    f->k_image = hnb_sim_register(sim, "fake.image", on_image, f);
    *out = (HnbHems){.ops = &fake_ops, .impl = f};
    return TRUE;
}

static void fake_clear(Fake *f)
{
    g_free(f->pending);
    g_free(f->in_session);
    g_free(f->dl_attempts);
}

static HnbScenario *load(const char *text)
{
    GError *error = NULL;
    HnbScenario *sc = hnb_model_load_data(text, "test.ini", NULL, &error);
    g_assert_no_error(error);
    return sc;
}

/* Run a stepped replication to its end in `slices` equal slices; its results. */
static Run stepped(const HnbScenario *sc, HnbHemsNew make, void *data, int slices)
{
    GError *error = NULL;
    HnbProgress progress = {0};
    HnbFleetRun *run = hnb_fleet_run_new(sc, 0, &progress, make, data, &error);
    g_assert_no_error(error);
    HnbTime end = hnb_fleet_run_duration(run);
    for (int k = 1; k <= slices; k++)
        hnb_sim_run(hnb_fleet_run_sim(run), end / slices * k + (k == slices ? end % slices : 0));
    Run r = {hnb_metrics_new(), NULL, NULL};
    g_assert_true(hnb_fleet_run_finish(run, r.m, &r.series, &r.cdf, &error));
    g_assert_no_error(error);
    hnb_fleet_run_free(run);
    return r;
}

static const char informs[] = "[scenario]\nname = t\nduration = 1h\nseed = 5\n"
                              "[fleet]\nsize = 200\n"
                              "[cwmp]\nperiodic_interval = 10m\n"
                              "[attack]\nmode = none\n";

/* The model's H(e)MS run in 7 slices gives what `hnbsim run` gives, bit for bit (the pacer's premise). */
static void test_slices_are_one_run(void)
{
    const char *text = "[scenario]\nname = t\nduration = 6h\nseed = 7\n[fleet]\nsize = 300\n"
                       "[cwmp]\nperiodic_interval = 30m\n[attack]\nstart = 1h\nfraction = 0.2\n";
    Run whole = model_run(&hnb_model_fleet, text, 0);
    HnbScenario *sc = load(text);
    Run sliced = stepped(sc, NULL, NULL, 7);
    g_assert_cmpfloat(metric(&whole, "affected"), >, 0);
    g_assert_true(same_run(&whole, &sliced));
    run_clear(&whole);
    run_clear(&sliced);
    hnb_scenario_free(sc);
}

/* Periodic Informs only, against the fake.  By hand: HNB i informs at its phase p_i in [0, 10 min) and then every
 * 10 min (the next PeriodicInformTime after its 40 ms session), so in [0, 1 h] it opens exactly 6 sessions (a 7th
 * would need p_i = 0) — 1,200 in all; each ends 40 ms later, so all but those opened in the last 40 ms (p_i > 10 min
 * − 40 ms: expected 200 × 40 ms / 10 min = 0.013 HNBs) have completed. */
static void test_fake_informs(void)
{
    HnbScenario *sc = load(informs);
    Fake fake;
    Run r = stepped(sc, fake_new, &fake, 3);
    g_assert_cmpfloat(metric(&r, "sessions"), ==, 1200);
    g_assert_cmpfloat(metric(&r, "sessions_completed"), ==, 1200 - (double)fake.as.open);
    g_assert_cmpint(fake.as.open, <=, 1);
    g_assert_cmpfloat(metric(&r, "sessions_refused"), ==, 0);
    g_assert_cmpuint(fake.needs_image_sessions, ==, 0);
    g_assert_cmpuint(fake.is.started, ==, 0);
    g_assert_cmpuint(fake.lost, ==, 0);
    fake_clear(&fake);
    run_clear(&r);
    hnb_scenario_free(sc);
}

/* The mass rewrite with golden modules, against the fake.  By hand: every affected HNB boots its golden module,
 * informs (needs_image), gets a Download whose first transfer fails at the server's end (`failed`, fault 9017: the
 * HNB backs off and asks again), then one that completes; so downloads started = 2 × affected, one fault each, and
 * every affected HNB recovers well inside the 12 h (boot ≤ 2 min + retry waits of minutes + 25 s of transfers +
 * install ≤ 90 s).  The reboots are the attack's: one `lost` each, and at least one per affected HNB. */
static void test_fake_recovery(void)
{
    HnbScenario *sc = load("[scenario]\nname = t\nduration = 12h\nseed = 11\n"
                           "[fleet]\nsize = 400\n"
                           "[cwmp]\nperiodic_interval = 1d\n"
                           "[hnb]\nlayout = golden\n"
                           "[attack]\nstart = 1h\nfraction = 0.25\n");
    Fake fake;
    Run r = stepped(sc, fake_new, &fake, 1);
    double affected = metric(&r, "affected");
    g_assert_cmpfloat(affected, >, 50);
    g_assert_cmpfloat(metric(&r, "affected_hnbs"), ==, affected); /* no second episode */
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
    g_assert_cmpuint(fake.is.started, ==, 2 * (uint64_t)affected);
    g_assert_cmpuint(fake.is.failed, ==, (uint64_t)affected);
    g_assert_cmpuint(fake.is.completed, ==, (uint64_t)affected);
    g_assert_cmpfloat(metric(&r, "download_faults_9017"), ==, affected);
    g_assert_cmpuint(fake.needs_image_sessions, ==, 2 * (uint64_t)affected);
    g_assert_cmpuint(fake.lost, >=, (uint64_t)affected);
    g_assert_cmpfloat(metric(&r, "recover_max"), <, 1.0); /* hours */
    fake_clear(&fake);
    run_clear(&r);
    hnb_scenario_free(sc);
}

/* A run that ends while sessions are in their CWMP exchange (100 HNBs informing in a 12 s run, 4 replications on the
 * pool): the ACS abandons only the handshakes still in flight — a handshake joined already is not joined again (that
 * was a critical, fatal under the tests' G_DEBUG, and a job slot freed twice). */
static void test_ends_mid_session(void)
{
    for (guint rep = 0; rep < 4; rep++) {
        Run r = model_run(&hnb_model_fleet,
                          "[scenario]\nname = t\nduration = 12s\nseed = 4\n[fleet]\nsize = 100\n"
                          "[cwmp]\nperiodic_interval = 1m\n[attack]\nmode = none\n",
                          rep);
        g_assert_cmpfloat(metric(&r, "sessions"), >, 0);
        run_clear(&r);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fleet-run/slices-are-one-run", test_slices_are_one_run);
    g_test_add_func("/fleet-run/fake-informs", test_fake_informs);
    g_test_add_func("/fleet-run/fake-recovery", test_fake_recovery);
    g_test_add_func("/fleet-run/ends-mid-session", test_ends_mid_session);
    return g_test_run();
}
