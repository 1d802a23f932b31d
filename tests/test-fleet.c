/* tests/test-fleet.c — the fleet model's checks from the issue: the extreme cases of the image layouts, recovery
 * bounded by H(e)MS capacity, and counts that reconcile.  Runs the real model (real TLS handshakes included) on
 * small fleets. */
#include "models/cwmp.h"
#include "tests/model-run.h"
#include "crypto/tls.h"

#include <math.h>
#include <string.h>

extern const HnbModel hnb_model_fleet;

static Run run_text(const char *text)
{
    return model_run(&hnb_model_fleet, text, 0);
}

/* No periodic Informs (a 30-day interval): every TLS session is a real handshake, and only the recovery sessions
 * matter here. */
static char *scenario(const char *layout, const char *extra)
{
    return g_strdup_printf("[scenario]\nname = t\nduration = 20d\nseed = 3\n"
                           "[fleet]\nsize = 1500\n"
                           "[cwmp]\nperiodic_interval = 30d\n"
                           "[hnb]\nlayout = %s\n"
                           "[attack]\nstart = 1h\nfraction = 0.2\n"
                           "[field]\ntechnicians = 10\n"
                           "%s\n",
                           layout, extra);
}

/* Single image: every affected HNB is bricked and needs the field; golden: none does. */
static void test_single_needs_field(void)
{
    g_autofree char *t = scenario("single", "");
    Run r = run_text(t);
    double affected = metric(&r, "affected");
    g_assert_cmpfloat(affected, >, 200);
    g_assert_cmpfloat(metric(&r, "bricked"), ==, affected);
    g_assert_cmpfloat(metric(&r, "truck_rolls"), ==, affected);
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected); /* 20 days are enough for 10 technicians */
    g_assert_cmpfloat(metric(&r, "downloads_started"), ==, 0);
    run_clear(&r);
}

/* Recovery censored at the horizon (sim/survival.h).  In `single` every affected HNB loses service within minutes of
 * the attack, so up to a horizon H the short run is the long run (same events) and nobody is censored before
 * H - ~1h: the Kaplan-Meier median of the short run must equal the long run's exactly when the long run's median
 * lies before that, and be "beyond the horizon" (inf) when it lies after — where the recovered-only median, biased
 * towards the fast visits, still reports a finite, smaller number. */
static void test_censored_recovery(void)
{
    g_autofree char *t = scenario("single", "");
    Run full = run_text(t);
    double affected = metric(&full, "affected"), km50 = metric(&full, "recover_km_p50");
    g_assert_cmpfloat(metric(&full, "censored"), ==, 0); /* 20 days: everyone is back */
    g_assert_cmpfloat(fabs(km50 - metric(&full, "recover_p50")), <=, 0.01 * km50); /* histogram within 1% */
    g_assert_cmpfloat(km50, >, 24);
    for (int k = 0; k < 2; k++) {
        /* k = 0: the median is reachable (a day to spare); k = 1: the horizon is at two thirds of it */
        double h = k == 0 ? km50 + 24 : km50 * 2 / 3;
        g_autofree char *dur = g_strdup_printf("scenario.duration=%.0fs", ceil(h * 3600));
        GError *error = NULL;
        char *sets[] = {dur, NULL};
        HnbScenario *sc = hnb_model_load_data(t, "test.ini", sets, &error);
        g_assert_no_error(error);
        Run r = {hnb_metrics_new(), NULL, NULL};
        HnbProgress p = {0};
        g_assert_true(hnb_model_fleet.run(sc, 0, &p, r.m, &r.series, &r.cdf, &error));
        g_assert_cmpfloat(metric(&r, "affected"), ==, affected);
        g_assert_cmpfloat(metric(&r, "censored"), ==, affected - metric(&r, "recovered"));
        g_assert_cmpfloat(metric(&r, "censored"), >, 0);
        if (k == 0) {
            g_assert_cmpfloat(metric(&r, "recover_km_p50"), ==, km50);
        } else {
            g_assert_true(isinf(metric(&r, "recover_km_p50")));
            g_assert_cmpfloat(metric(&r, "recover_p50"), <, km50); /* what the recovered-only metric hides */
        }
        hnb_scenario_free(sc);
        run_clear(&r);
    }
    run_clear(&full);
}

static void test_golden_needs_no_field(void)
{
    static const char *const layouts[] = {"golden", "ab+golden"};
    for (size_t k = 0; k < G_N_ELEMENTS(layouts); k++)
        for (int tls = 0; tls < 2; tls++) {
            g_autofree char *extra = g_strdup_printf("[golden]\ntls = %s\n", tls ? "true" : "false");
            g_autofree char *t = scenario(layouts[k], extra);
            Run r = run_text(t);
            double affected = metric(&r, "affected");
            g_assert_cmpfloat(affected, >, 200);
            g_assert_cmpfloat(metric(&r, "bricked"), ==, 0);
            g_assert_cmpfloat(metric(&r, "truck_rolls"), ==, 0);
            g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
            g_assert_cmpfloat(metric(&r, "downloads_completed"), >=, affected);
            run_clear(&r);
        }
}

/* A/B with both banks rewritten is no better than single; with only the active bank rewritten it falls back. */
static void test_ab(void)
{
    g_autofree char *all = scenario("ab", "");
    Run r = run_text(all);
    g_assert_cmpfloat(metric(&r, "bricked"), ==, metric(&r, "affected"));
    run_clear(&r);
    GError *error = NULL; /* the same scenario with only the active bank rewritten */
    char *sets[] = {"attack.banks=active", NULL};
    HnbScenario *sc = hnb_model_load_data(all, "test.ini", sets, &error);
    g_assert_no_error(error);
    Run a = {hnb_metrics_new(), NULL, NULL};
    HnbProgress p = {0};
    g_assert_true(hnb_model_fleet.run(sc, 0, &p, a.m, &a.series, &a.cdf, &error));
    g_assert_cmpfloat(metric(&a, "affected"), >, 200);
    g_assert_cmpfloat(metric(&a, "bricked"), ==, 0);
    g_assert_cmpfloat(metric(&a, "recovered"), ==, metric(&a, "affected"));
    g_assert_cmpfloat(metric(&a, "downloads_started"), ==, 0); /* the other bank boots: nothing to fetch */
    hnb_scenario_free(sc);
    run_clear(&a);
}

/* When the H(e)MS is the bottleneck, the makespan is affected HNBs / H(e)MS capacity, within 10%.  What stands between
 * an affected HNB and service is one session at the ACS — the golden module's Inform that gets the Download — at 1 s
 * of CPU per round trip; the boot Inform with TransferComplete comes after the HNB is back in service.  Everything
 * else is made fast and no session is refused. */
static void test_hems_bottleneck(void)
{
    const char *t = "[scenario]\nname = t\nduration = 2d\nseed = 5\n"
                    "[fleet]\nsize = 3000\n"
                    "[hnb]\nlayout = golden\nboot_time = 1s\ninstall_time = 1s\n"
                    "[golden]\ntls = false\n"
                    "[cwmp]\nperiodic_interval = 30d\n"
                    "[acs]\nworkers = 2\nmax_sessions = 100000\ncwmp_time = 1s\nrtt = 0s\n"
                    "[download]\nbandwidth = 100Tbps\naccess_link = 10Gbps\nimage_size = 1MB\n"
                    "[attack]\nstart = 1h\nfraction = 0.3\nreboot_delay = 0s\n";
    Run r = run_text(t);
    double affected = metric(&r, "affected");
    double per_hnb_cpu_s = hnb_cwmp_round_trips(HNB_CWMP_EV_BOOT, HNB_CWMP_ACS_DOWNLOAD);
    double expect_h = affected * per_hnb_cpu_s / 2 / 3600;
    double got_h = metric(&r, "makespan");
    g_test_message("affected %.0f, makespan %.3f h, capacity bound %.3f h", affected, got_h, expect_h);
    g_assert_cmpfloat(metric(&r, "sessions_refused"), ==, 0);
    g_assert_cmpfloat(fabs(got_h - expect_h), <=, 0.10 * expect_h);
    run_clear(&r);
}

/* Every download started ends completed, failed or still running; every session opened ends completed, refused,
 * failed or still open; retry waits fall in their TR-069 windows.  With a tight ACS and short timeouts all the
 * paths are exercised. */
static void test_reconcile(void)
{
    g_autofree char *t = scenario("golden", "[acs]\nworkers = 1\nmax_sessions = 3\ncwmp_time = 200ms\n"
                                            "[download]\nbandwidth = 20Mbps\ntimeout = 10m\n");
    char *p = strstr(t, "duration = 20d");
    memcpy(p, "duration = 02d", 14); /* two days show every path */
    Run r = run_text(t);
    g_assert_cmpfloat(metric(&r, "downloads_started"), ==,
                      metric(&r, "downloads_completed") + metric(&r, "downloads_failed") +
                          metric(&r, "downloads_running"));
    g_assert_cmpfloat(metric(&r, "downloads_failed"), >, 0);
    g_assert_cmpfloat(metric(&r, "downloads_failed"), ==,
                      metric(&r, "download_faults_9010") + metric(&r, "download_faults_9017"));
    g_assert_cmpfloat(metric(&r, "sessions"), ==,
                      metric(&r, "sessions_completed") + metric(&r, "sessions_refused") +
                          metric(&r, "sessions_failed") + metric(&r, "sessions_open"));
    g_assert_cmpfloat(metric(&r, "sessions_refused"), >, 0);
    double hs = 0;
    for (int k = 0; k < HNB_TLS_REASON_COUNT; k++) {
        g_autofree char *name = g_strdup_printf("hs_%s", hnb_tls_reason_name((HnbTlsReason)k));
        hs += metric(&r, name);
    }
    g_assert_cmpfloat(hs, ==, metric(&r, "handshakes"));
    g_assert_cmpfloat(metric(&r, "handshakes"), >, 0);
    /* every retry wait the model drew lies in its TR-069 3.2.1.1 window [m (k/1000)^(n-1), m (k/1000)^n] (defaults
     * m = 5 s, k = 2000: ratio to the lower bound in [1, 2]), and the draws spread over the whole window */
    g_test_message("%.0f retries, wait / window low in [%.4f, %.4f]", metric(&r, "retries"),
                   metric(&r, "retry_wait_lo"), metric(&r, "retry_wait_hi"));
    g_assert_cmpfloat(metric(&r, "retries"), >, 100);
    g_assert_cmpfloat(metric(&r, "retry_wait_lo"), >=, 1.0);
    g_assert_cmpfloat(metric(&r, "retry_wait_hi"), <=, 2.0);
    g_assert_cmpfloat(metric(&r, "retry_wait_lo"), <, 1.05);
    g_assert_cmpfloat(metric(&r, "retry_wait_hi"), >, 1.95);
    run_clear(&r);
}

/* The image server as the bottleneck of a golden recovery: ~1,500 affected HNBs (30% of 5,000) fetch a 50 MB image
 * from a 50 Mbit/s server.  Plain-HTTP golden modules and sampled TLS keep it fast; no periodic Informs. */
static Run download_run(const char *download)
{
    g_autofree char *t = g_strdup_printf("[scenario]\nname = t\nduration = 14h\nseed = 3\n"
                                         "[fleet]\nsize = 5000\n"
                                         "[cwmp]\nperiodic_interval = 30d\n"
                                         "[hnb]\nlayout = golden\n"
                                         "[golden]\ntls = false\n"
                                         "[tls]\nfidelity = sampled:100\n"
                                         "[attack]\nstart = 1h\nfraction = 0.3\n"
                                         "[download]\nbandwidth = 50Mbps\nimage_size = 50MB\n%s\n",
                                         download);
    return run_text(t);
}

/* With a cap of 10 downloads each gets 5 Mbit/s, below every 20 Mbit/s access link, so the server runs at its full
 * 50 Mbit/s from the first download to the last: each image takes 400 Mbit / 50 Mbit/s = 8 s of the server, and
 * the affected HNBs' downloads take affected x 8 s (1,462 HNBs: 11,696 s = 3.249 h).  The makespan adds the reboot
 * and boot before the first request (<= 1 + 2 min), the last install (30-90 s) and its boot (1-2 min): ~3.32 h
 * measured, within 15% of affected x size / bandwidth + one install (mean 60 s).  No download fails: each runs
 * 400 Mbit / 5 Mbit/s = 80 s, far below the 2 h timeout. */
static void test_download_cap_makespan(void)
{
    Run r = download_run("max_concurrent = 10\naccess_link = 20Mbps\n");
    double affected = metric(&r, "affected");
    double bound_h = affected * 50e6 * 8 / 50e6 / 3600;
    double expect_h = bound_h + 60.0 / 3600;
    g_test_message("affected %.0f, makespan %.3f h, download span %.3f h, bound %.3f h (+ one install: %.3f h), queue "
                   "peak %.0f, mean wait %.2f h",
                   affected, metric(&r, "makespan"), metric(&r, "download_span"), bound_h, expect_h,
                   metric(&r, "download_queue_peak"), metric(&r, "download_queue_wait"));
    g_assert_cmpfloat(affected, >, 1400);
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
    g_assert_cmpfloat(metric(&r, "downloads_failed"), ==, 0);
    g_assert_cmpfloat(fabs(metric(&r, "makespan") - expect_h), <=, 0.15 * expect_h);
    /* the server alone: busy at full rate from the first start to the last completion */
    g_assert_cmpfloat(fabs(metric(&r, "download_span") - bound_h), <=, 0.01 * bound_h);
    g_assert_cmpfloat(metric(&r, "download_queue_peak"), >, affected - 100); /* nearly all wait at first */
    g_assert_cmpfloat(metric(&r, "downloads_queued"), ==, affected - 10);
    run_clear(&r);
}

/* Without the cap every Download goes out at once: 1,462 downloads share 50 Mbit/s, so each would take 1,462 x 8 s
 * = 3.25 h, past the 2 h timeout; all are cut together (fault 9017), retried after a few seconds, cut again...  In
 * 13 h after the attack, ~6 rounds of ~1,462 failures and almost no recovery (the few that complete are those whose
 * retries fell out of step). */
static void test_download_collapse(void)
{
    Run r = download_run("max_concurrent = 0\n");
    double affected = metric(&r, "affected");
    g_test_message("affected %.0f, recovered %.0f, downloads failed %.0f (9017: %.0f)", affected,
                   metric(&r, "recovered"), metric(&r, "downloads_failed"), metric(&r, "download_faults_9017"));
    g_assert_cmpfloat(affected, >, 1400);
    g_assert_cmpfloat(metric(&r, "recovered"), <, 0.01 * affected);
    g_assert_cmpfloat(metric(&r, "downloads_failed"), >, 5 * affected);
    g_assert_cmpfloat(metric(&r, "download_faults_9017"), ==, metric(&r, "downloads_failed"));
    g_assert_cmpfloat(metric(&r, "download_faults_9010"), ==, 0); /* no power loss, no reboot mid-download */
    run_clear(&r);
}

/* A 30 s timeout cuts every download whose access link draw is below 400 Mbit / 30 s = 13.3 Mbit/s (28% of the
 * default lognormal(20Mbps,0.7)); each retry draws a new link.  Both runs recover everyone within the day; without
 * resume each cut download's bytes are sent again, with resume the server sends each image exactly once:
 * affected x 50 MB. */
static void test_download_resume(void)
{
    double gb[2], failed[2];
    for (int resume = 0; resume < 2; resume++) {
        g_autofree char *t = g_strdup_printf("[scenario]\nname = t\nduration = 1d\nseed = 3\n[fleet]\nsize = 1000\n"
                                             "[cwmp]\nperiodic_interval = 30d\n[hnb]\nlayout = golden\n"
                                             "[golden]\ntls = false\n[tls]\nfidelity = sampled:100\n"
                                             "[attack]\nstart = 1h\nfraction = 0.3\n"
                                             "[download]\ntimeout = 30s\nresume = %s\n",
                                             resume ? "true" : "false");
        Run r = run_text(t);
        double affected = metric(&r, "affected");
        g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
        g_assert_cmpfloat(metric(&r, "download_faults_9017"), >, 0.1 * affected);
        gb[resume] = metric(&r, "download_gbytes");
        failed[resume] = metric(&r, "downloads_failed");
        if (resume) {
            g_assert_cmpfloat(fabs(gb[1] - affected * 0.05), <=, 1e-6 * gb[1]);
            g_assert_cmpfloat(metric(&r, "downloads_resumed"), ==, failed[1]);
        } else {
            g_assert_cmpfloat(metric(&r, "downloads_resumed"), ==, 0);
        }
        run_clear(&r);
    }
    g_test_message("bytes served: %.2f GB without resume (%.0f cut), %.2f GB with (%.0f cut)", gb[0], failed[0], gb[1],
                   failed[1]);
    g_assert_cmpfloat(gb[1], <, gb[0]);
}

/* Power failures during the campaign: every HNB loses power once an hour on average (outages of 1-5 min).  A cap of
 * 4 on a 20 Mbit/s server gives each download 5 Mbit/s, 80 s for 50 MB, so about 80 s / 1 h = 2% of downloads die
 * with their HNB (fault 9010, reported after the boot) and more HNBs lose their place in the queue; the boot Inform
 * asks again.  ~300 affected x 20 s of server time = 1.7 h: everyone is back within the day, so no slot leaked
 * with a reboot (a leaked reservation would stall the queue for good).  Measured: 273 affected, 278 downloads, 3
 * faults 9010 (1%: most run while fewer than 4 share the server, so faster than 80 s), all back. */
static void test_download_power_loss(void)
{
    g_autofree char *t = scenario("golden", "[golden]\ntls = false\n[tls]\nfidelity = sampled:100\n"
                                            "[power]\nmtbf = 1h\noutage = uniform(1m,5m)\n"
                                            "[download]\nbandwidth = 20Mbps\nmax_concurrent = 4\nresume = true\n");
    char *p = strstr(t, "duration = 20d");
    memcpy(p, "duration = 01d", 14);
    Run r = run_text(t);
    double affected = metric(&r, "affected");
    g_test_message("affected %.0f, recovered %.0f, faults 9010 %.0f, 9017 %.0f, started %.0f, resumed %.0f", affected,
                   metric(&r, "recovered"), metric(&r, "download_faults_9010"), metric(&r, "download_faults_9017"),
                   metric(&r, "downloads_started"), metric(&r, "downloads_resumed"));
    g_assert_cmpfloat(metric(&r, "download_faults_9010"), >, 0);
    g_assert_cmpfloat(metric(&r, "downloads_failed"), ==,
                      metric(&r, "download_faults_9010") + metric(&r, "download_faults_9017"));
    g_assert_cmpfloat(metric(&r, "downloads_started"), ==,
                      metric(&r, "downloads_completed") + metric(&r, "downloads_failed") +
                          metric(&r, "downloads_running"));
    g_assert_cmpfloat(metric(&r, "downloads_resumed"), ==, 0); /* nothing timed out; a reboot loses the bytes */
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
    run_clear(&r);
}

/* The time clause of TS 33.320 8.3.4: the H(e)MS certificate is renewed at 12 h, a regional outage follows at 14 h,
 * and HNBs restart with clocks saved up to a day earlier.  Without a renewal lead time the real handshakes of those
 * HNBs fail with not_yet_valid (they are out of management for a while); with a day of lead time none does. */
static double rollover(const char *lead, const char *power, double *unmanaged_peak)
{
    g_autofree char *t = g_strdup_printf(
        "[scenario]\nname = t\nduration = 2d\nseed = 4\n[fleet]\nsize = 300\n[attack]\nmode = none\n"
        "[cwmp]\nperiodic_interval = 2h\n[power]\nclock_save_interval = 1d\nregion_at = 14h\n"
        "region_fraction = 0.5\nregion_outage = uniform(30m,1h)\n%s\n[pki]\nhems_renewal_at = 12h\n"
        "hems_renewal_lead = %s\n",
        power, lead);
    Run r = run_text(t);
    double nyv = metric(&r, "hs_not_yet_valid");
    int col = -1;
    for (guint c = 0; c < r.series->ncols; c++)
        if (strcmp(r.series->names[c], "unmanaged_not_yet_valid") == 0)
            col = (int)c;
    g_assert_cmpint(col, >=, 0);
    *unmanaged_peak = 0;
    for (guint row = 0; row < hnb_series_rows(r.series); row++)
        *unmanaged_peak =
            MAX(*unmanaged_peak, g_array_index(r.series->data, double, row * r.series->ncols + (guint)col));
    run_clear(&r);
    return nyv;
}

static void test_hems_cert_rollover(void)
{
    double peak0, peak1, peak_ntp, peak_drift;
    double nyv0 = rollover("0s", "", &peak0), nyv1 = rollover("1d", "", &peak1);
    /* NTP after power returns corrects most clocks before the boot Inform (boot takes 60-120 s) */
    double nyv_ntp = rollover("0s", "ntp = true\nntp_delay = uniform(5s,30s)", &peak_ntp);
    /* clocks up to 10% fast or slow (100000 ppm) reach the new notBefore sooner or later than exact ones */
    double nyv_drift = rollover("0s", "clock_drift = 100000", &peak_drift);
    g_test_message("not_yet_valid: %.0f handshakes (peak %.0f HNBs out) without lead time, %.0f with a day, %.0f "
                   "with NTP, %.0f with 10%% drift",
                   nyv0, peak0, nyv1, nyv_ntp, nyv_drift);
    g_assert_cmpfloat(nyv0, >, 0);
    g_assert_cmpfloat(peak0, >, 10);
    g_assert_cmpfloat(nyv1, ==, 0);
    g_assert_cmpfloat(peak1, ==, 0);
    g_assert_cmpfloat(nyv_ntp, <, nyv0 / 4);
    g_assert_cmpfloat(nyv_drift, !=, nyv0); /* drift changes the clocks, both ways */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fleet/single-needs-field", test_single_needs_field);
    g_test_add_func("/fleet/censored-recovery", test_censored_recovery);
    g_test_add_func("/fleet/golden-needs-no-field", test_golden_needs_no_field);
    g_test_add_func("/fleet/ab", test_ab);
    g_test_add_func("/fleet/hems-bottleneck", test_hems_bottleneck);
    g_test_add_func("/fleet/reconcile", test_reconcile);
    g_test_add_func("/fleet/download-cap-makespan", test_download_cap_makespan);
    g_test_add_func("/fleet/download-collapse", test_download_collapse);
    g_test_add_func("/fleet/download-resume", test_download_resume);
    g_test_add_func("/fleet/download-power-loss", test_download_power_loss);
    g_test_add_func("/fleet/hems-cert-rollover", test_hems_cert_rollover);
    return g_test_run();
}
