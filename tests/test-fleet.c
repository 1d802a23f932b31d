/* tests/test-fleet.c — the fleet model's checks from the issue: the extreme cases of the image layouts, recovery
 * bounded by H(e)MS capacity, and counts that reconcile.  Runs the real model (real TLS handshakes included) on
 * small fleets. */
#include "models/cwmp.h"
#include "tests/model-run.h"
#include "crypto/tls.h"
#include "sim/stats.h"

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

/* The shipped `single` (2000 HNBs, Informs monthly and one TLS handshake in 50 real, for speed) for `duration`,
 * replication `rep`. */
static Run run_single(const char *duration, guint rep)
{
    g_autofree char *path = g_build_filename(g_getenv("HNB_SOURCE_DIR"), "scenarios", "mass-rewrite", "single.ini", NULL);
    g_autofree char *dur = g_strdup_printf("scenario.duration=%s", duration);
    char *sets[] = {"fleet.size=2000", "cwmp.periodic_interval=30d", "tls.fidelity=sampled:50", dur, NULL};
    GError *error = NULL;
    HnbScenario *sc = hnb_model_load(path, sets, &error);
    g_assert_no_error(error);
    Run r = {hnb_metrics_new(), NULL, NULL};
    HnbProgress p = {0};
    g_assert_true(hnb_model_fleet.run(sc, rep, &p, r.m, &r.series, &r.cdf, &error));
    g_assert_no_error(error);
    hnb_scenario_free(sc);
    return r;
}

/* What a 3-day run still owes, priced (cost_to_completion), plus what it cost, is what the episode costs when it is run
 * until every HNB is back (30 days: ~4.5 days of field work), within 10%, in every replication.  Measured: 107,550
 * vs 107,444 in replication 0 (the field queue projected at mean visit times; 184 of 611 HNBs still queued at 3 d). */
static void test_cost_to_completion(void)
{
    for (guint rep = 0; rep < 3; rep++) {
        Run s = run_single("3d", rep), l = run_single("30d", rep);
        double est = metric(&s, "cost_to_completion_total"), full = metric(&l, "total_cost");
        g_test_message("rep %u: 3 d: total %.0f + owed %.0f (%.0f visits, %.0f h) = %.0f; 30 d: %.0f (%+.2f%%)", rep,
                       metric(&s, "total_cost"), metric(&s, "cost_to_completion"), metric(&s, "owed_visits"),
                       metric(&s, "owed_downtime_h"), est, full, 100 * (est / full - 1));
        g_assert_cmpfloat(metric(&s, "censored"), >, 50); /* 3 days leave work owed ... */
        g_assert_cmpfloat(metric(&s, "owed_visits"), >, 50);
        g_assert_cmpfloat(metric(&l, "censored"), ==, 0); /* ... 30 days none */
        g_assert_cmpfloat(metric(&l, "cost_to_completion"), ==, 0);
        g_assert_cmpfloat(metric(&l, "cost_to_completion_total"), ==, full);
        g_assert_cmpfloat(fabs(est - full), <=, 0.10 * full);
        g_assert_cmpfloat(metric(&s, "total_cost"), <, 0.9 * full); /* what the horizon alone would hide */
        run_clear(&s);
        run_clear(&l);
    }
}

/* The Kaplan-Meier median of 3-day runs matches the empirical median of the same replications run to the end, within
 * the 95% interval over replications; the recovered-only median of the 3-day runs does not (it only sees the
 * visits made by then). */
static void test_km_matches_long_run(void)
{
    enum { REPS = 5 };
    double km[REPS], emp[REPS], cut[REPS];
    for (guint rep = 0; rep < REPS; rep++) {
        Run s = run_single("3d", rep), l = run_single("30d", rep);
        km[rep] = metric(&s, "recover_km_p50");
        cut[rep] = metric(&s, "recover_p50");
        emp[rep] = metric(&l, "recover_p50");
        g_assert_cmpfloat(metric(&l, "censored"), ==, 0);
        run_clear(&s);
        run_clear(&l);
    }
    double km_mean, km_half, emp_mean, emp_half, cut_mean, cut_half;
    hnb_ci95(km, REPS, &km_mean, &km_half);
    hnb_ci95(emp, REPS, &emp_mean, &emp_half);
    hnb_ci95(cut, REPS, &cut_mean, &cut_half);
    g_test_message("median time to recover: Kaplan-Meier at 3 d %.2f +- %.2f h, long run %.2f +- %.2f h, "
                   "recovered-only at 3 d %.2f +- %.2f h",
                   km_mean, km_half, emp_mean, emp_half, cut_mean, cut_half);
    g_assert_true(isfinite(km_mean));
    g_assert_cmpfloat(fabs(km_mean - emp_mean), <=, emp_half);
    g_assert_cmpfloat(fabs(cut_mean - emp_mean), >, emp_half);
}

/* The recovery window's averages and the fine series on a golden episode squeezed through a small ACS (1 worker, 3 slots): the
 * window runs from the attack to within a minute after the last recovery; inside it the refused fraction and the
 * utilisation are far above their whole-run means; the series has a row a minute while the episode runs and only the
 * coarse grid (here 100 min) before and after it, every time on the minute grid.  Measured: window 0.133 h for a
 * 0.119 h makespan; refused 27.5% in it, 12.4% whole run, 45.5% at the peak minute; utilisation 0.37 in it, 0.0002. */
static void test_recovery_window_and_series(void)
{
    g_autofree char *t =
        scenario("golden", "[acs]\nmax_sessions = 3\nworkers = 1\ncwmp_time = 100ms\n[tls]\nfidelity = sampled:50\n");
    Run r = run_text(t);
    double makespan = metric(&r, "makespan"), wh = metric(&r, "recovery_window_h");
    g_test_message("makespan %.4f h, window %.4f h; refused %.4f in it, %.4f whole run; utilisation %.5f in it, "
                   "%.6f whole run; peak refused %.3f",
                   makespan, wh, metric(&r, "recovery_refused_fraction"), metric(&r, "refused_fraction"),
                   metric(&r, "recovery_acs_utilisation"), metric(&r, "acs_utilisation"),
                   metric(&r, "peak_refused_fraction"));
    g_assert_cmpfloat(metric(&r, "censored"), ==, 0);
    g_assert_cmpfloat(wh, >=, makespan);
    g_assert_cmpfloat(wh, <=, makespan + 1 / 60.0);
    g_assert_cmpfloat(metric(&r, "sessions_refused"), >, 0);
    g_assert_cmpfloat(metric(&r, "recovery_refused_fraction"), >, 2 * metric(&r, "refused_fraction"));
    g_assert_cmpfloat(metric(&r, "recovery_acs_utilisation"), >, 20 * metric(&r, "acs_utilisation"));
    g_assert_cmpfloat(metric(&r, "peak_refused_fraction"), >=, metric(&r, "recovery_refused_fraction"));
    /* the series: 20 d / 288 = 100 min coarse; fine rows in the episode only */
    const HnbSeries *s = r.series;
    guint rows = hnb_series_rows(s), fine = 0, in_episode = 0;
    double prev = 0;
    for (guint k = 0; k < rows; k++) {
        double h = g_array_index(s->data, double, k * s->ncols);
        double min = h * 60;
        g_assert_cmpfloat(fabs(min - round(min)), <, 1e-6); /* on the minute grid */
        g_assert_cmpfloat(h, >, prev);
        gboolean coarse = fmod(round(min), 100) == 0;
        fine += !coarse;
        in_episode += !coarse && h > 1 && h <= 1 + makespan + 2 / 60.0;
        prev = h;
    }
    g_test_message("%u rows, %u of them fine (%u in the episode)", rows, fine, in_episode);
    g_assert_cmpuint(rows, <=, 288 + 20160);
    g_assert_cmpuint(in_episode, >=, (guint)(makespan * 60) - 2);
    g_assert_cmpuint(fine, <=, in_episode + 60); /* the odd fine row elsewhere (a stray refusal) */
    run_clear(&r);
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
    g_test_add_func("/fleet/cost-to-completion", test_cost_to_completion);
    g_test_add_func("/fleet/km-matches-long-run", test_km_matches_long_run);
    g_test_add_func("/fleet/recovery-window-and-series", test_recovery_window_and_series);
    g_test_add_func("/fleet/golden-needs-no-field", test_golden_needs_no_field);
    g_test_add_func("/fleet/ab", test_ab);
    g_test_add_func("/fleet/hems-bottleneck", test_hems_bottleneck);
    g_test_add_func("/fleet/reconcile", test_reconcile);
    g_test_add_func("/fleet/hems-cert-rollover", test_hems_cert_rollover);
    return g_test_run();
}
