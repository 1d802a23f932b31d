/* tests/test-segw-fleet.c — the fleet with its H(e)MS behind the SeGW ([hems] reach = segw, issue 13): the SeGW as
 * the recovery's bottleneck (makespan against a hand count of its set-ups), a revoked device certificate and a clock
 * rolled back before the SeGW certificate failing tunnel set-ups (real IKE jobs, their reasons counted), and plain
 * HTTP from the golden module refused on the internet (TS 33.320 clause 8.3.4) but compliant inside the tunnel. */
#include "models/model.h"
#include "tests/model-run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int column(const HnbSeries *s, const char *name);

/* The largest value of a series column over the rows. */
static double column_max(const HnbSeries *s, const char *name)
{
    int c = column(s, name);
    g_assert_cmpint(c, >=, 0);
    double most = -INFINITY;
    const double *v = (const double *)(void *)s->data->data;
    for (guint i = 0; i < hnb_series_rows(s); i++)
        most = fmax(most, v[(gsize)i * s->ncols + (guint)c]);
    return most;
}

static Run run_text(const char *text)
{
    return model_run(hnb_model_find("fleet"), text, 0);
}

/* 2,000 HNBs, every one rewritten at 1 h and rebooted at once (reboot_delay 0), golden layout, plain HTTP inside the
 * tunnel; the SeGW has 1 worker of 50 ms a set-up and no network time, the H(e)MS is far larger (1000 workers, no
 * CPU or network time for CWMP), the image (1 MB on 10 Gbit/s) takes ~1 ms.  Every affected HNB sets up its tunnel
 * TWICE: its golden module after the boot (device key, [golden] credential = device), and the release image after
 * download, install (30 s) and the second boot (60 s).  By hand: the golden modules all connect at 1 h + 60 s; the
 * worker serves the first wave, one every 50 ms, until +160 s; the second wave arrives from +150 s (HNB k's at
 * 60 + 0.05 (k + 1) + 90 s) at the worker's own pace, so the worker never idles and finishes
 * 2 x 2000 x 50 ms = 200 s after it began: makespan = 60 s (one boot) + 2 x affected x setup_time / workers = 260 s
 * (the release's boot Inform then costs nothing).  The brief's affected x setup_time / workers + one boot, download
 * and install (190 s) counts one set-up per HNB: with the golden module on the device key there are two. */
static void test_bottleneck(void)
{
    const char *t = "[scenario]\nname = t\nduration = 2h\nseed = 3\n"
                    "[fleet]\nsize = 2000\n"
                    "[hnb]\nlayout = golden\nboot_time = 60s\ninstall_time = 30s\n"
                    "[golden]\ntls = false\n[hems]\nreach = segw\n"
                    "[segw]\nworkers = 1\nsetup_time = 50ms\nrtt = 0s\nlifetime = 0s\n"
                    "[cwmp]\nperiodic_interval = 30d\n"
                    "[acs]\nworkers = 1000\nmax_sessions = 100000\ncwmp_time = 0s\nrtt = 0s\n"
                    "[download]\nbandwidth = 100Tbps\naccess_link = 10Gbps\nimage_size = 1MB\nmax_concurrent = 0\n"
                    "[attack]\nstart = 1h\nfraction = 1\nreboot_delay = 0s\n";
    Run r = run_text(t);
    double affected = metric(&r, "affected");
    g_assert_cmpfloat(affected, ==, 2000);
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
    double expect_s = 60 + 2 * affected * 0.050 / 1;
    double makespan_s = metric(&r, "makespan") * 3600;
    g_test_message("makespan %.2f s, hand count %.2f s, set-ups %.0f (real %.0f), SeGW busy %.3f of the window",
                   makespan_s, expect_s, metric(&r, "segw_setups"), metric(&r, "segw_setups_real"),
                   metric(&r, "recovery_segw_utilisation"));
    g_assert_cmpfloat(fabs(makespan_s - expect_s), <, 0.1 * expect_s);
    g_assert_cmpfloat(metric(&r, "segw_setups"), ==, 2 * affected);
    g_assert_cmpfloat(metric(&r, "segw_setups_real"), ==, 2 * affected); /* [tls] fidelity = full */
    g_assert_cmpfloat(metric(&r, "segw_replaced"), ==, 2 * affected);    /* INITIAL_CONTACT each time */
    g_assert_cmpfloat(metric(&r, "no_tunnel_end"), ==, 0);
    g_assert_cmpfloat(metric(&r, "tls_profile_compliant"), ==, 1); /* plain HTTP inside the tunnel */
    run_clear(&r);
}

/* 200 HNBs lose power at 1 h for a minute.  HNBs 0-9 have revoked device certificates: the SeGW refuses every one of
 * their set-ups (revoked) and they stay out of service, retrying; the others are back. */
static void test_revoked(void)
{
    const char *t = "[scenario]\nname = t\nduration = 3h\nseed = 3\n"
                    "[fleet]\nsize = 200\n[hems]\nreach = segw\n[attack]\nmode = none\n"
                    "[pki]\nrevoked = 0-9\n"
                    "[power]\nregion_at = 1h\nregion_fraction = 1\nregion_outage = 1m\n";
    Run r = run_text(t);
    g_test_message("refused revoked %.0f, retries %.0f", metric(&r, "no_tunnel_revoked"),
                   metric(&r, "segw_ike_retries"));
    g_assert_cmpfloat(metric(&r, "no_tunnel_revoked"), >=, 10);
    g_assert_cmpfloat(metric(&r, "segw_refused"), ==, metric(&r, "no_tunnel_revoked"));
    g_assert_cmpfloat(metric(&r, "no_tunnel_end"), ==, 10);
    g_assert_cmpfloat(metric(&r, "hs_revoked"), ==, 0); /* they never reach the H(e)MS: no TLS to fail */
    run_clear(&r);
}

/* The SeGW certificate is valid from the epoch ([pki] segw_issued_before = 0s); HNBs save their clocks once a day
 * (each at its own phase) and a 1-minute outage at 2 h restarts each clock from its last save, which for most was
 * before the epoch: those refuse the SeGW (not_yet_valid) and lose service, not only management.  With NTP the clock
 * is corrected and every HNB gets its tunnel back. */
static void test_clock_before_segw(void)
{
    for (int ntp = 0; ntp < 2; ntp++) {
        g_autofree char *t = g_strdup_printf("[scenario]\nname = t\nduration = 4h\nseed = 3\n"
                                             "[fleet]\nsize = 200\n[hems]\nreach = segw\n[attack]\nmode = none\n"
                                             "[pki]\nsegw_issued_before = 0s\n"
                                             "[power]\nregion_at = 2h\nregion_fraction = 1\nregion_outage = 1m\n"
                                             "clock_save_interval = 1d\nntp = %s\nntp_delay = 5m\n",
                                             ntp ? "true" : "false");
        Run r = run_text(t);
        double nyv = metric(&r, "no_tunnel_not_yet_valid"), left = metric(&r, "no_tunnel_end");
        g_test_message("ntp %d: refused not_yet_valid %.0f, without a tunnel at the end %.0f", ntp, nyv, left);
        g_assert_cmpfloat(nyv, >, 100);
        g_assert_cmpfloat(metric(&r, "segw_refused"), ==, nyv);
        if (ntp)
            g_assert_cmpfloat(left, ==, 0);
        else
            g_assert_cmpfloat(left, >, 100);
        run_clear(&r);
    }
}

/* TS 33.320 clause 8.3.4: the golden module's plain HTTP is refused with the H(e)MS on the internet (unless [tls]
 * profile = custom, then marked non-compliant), runs and is compliant behind the SeGW. */
static void test_plain_http(void)
{
    const char *base = "[scenario]\nname = t\nduration = 2h\n[fleet]\nsize = 50\n[hnb]\nlayout = golden\n"
                       "[golden]\ntls = false\n";
    GError *error = NULL;
    g_assert_null(hnb_model_load_data(base, "plain.ini", NULL, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "plain.ini"));
    g_assert_nonnull(strstr(error->message, "[golden] tls = false with [hems] reach = internet"));
    g_assert_nonnull(strstr(error->message, "TS 33.320 clause 8.3.4"));
    g_clear_error(&error);
    g_autofree char *custom = g_strconcat(base, "[tls]\nprofile = custom\n", NULL);
    Run c = run_text(custom);
    g_assert_cmpfloat(metric(&c, "tls_profile_compliant"), ==, 0);
    run_clear(&c);
    g_autofree char *segw = g_strconcat(base, "[hems]\nreach = segw\n", NULL);
    Run s = run_text(segw);
    g_assert_cmpfloat(metric(&s, "tls_profile_compliant"), ==, 1);
    run_clear(&s);
}

/* [golden] credential = recovery: the golden module builds its tunnel with its recovery certificate (real IKE jobs
 * against the recovery CA, full fidelity) and recovers as with the device key.  When that certificate has expired
 * ([pki] recovery_lifetime 10 d, issued 30 d before the epoch) while the device certificates are valid, every golden
 * set-up is refused as expired and no affected HNB recovers: they stay in the golden module, without a tunnel,
 * retrying (the read-only module cannot be given a new certificate). */
static void test_credential_recovery(void)
{
    const char *t = "[scenario]\nname = t\nduration = 3h\nseed = 4\n[fleet]\nsize = 100\n"
                    "[hnb]\nlayout = golden\n[golden]\ncredential = recovery\ntls = false\n[hems]\nreach = segw\n"
                    "[attack]\nstart = 1h\nfraction = 0.5\nreboot_delay = 0s\n%s";
    g_autofree char *ok = g_strdup_printf(t, "");
    Run r = run_text(ok);
    double affected = metric(&r, "affected");
    g_assert_cmpfloat(affected, >, 30);
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
    g_assert_cmpfloat(metric(&r, "segw_refused"), ==, 0);
    g_assert_cmpfloat(metric(&r, "segw_setups_real"), ==, 2 * affected); /* golden (recovery), then release (device) */
    run_clear(&r);
    g_autofree char *expired = g_strdup_printf(t, "[pki]\nrecovery_issued_before = 30d\nrecovery_lifetime = 10d\n");
    Run x = run_text(expired);
    g_test_message("expired recovery certificate: affected %.0f, refused expired %.0f, recovered %.0f, without a "
                   "tunnel at the end %.0f", metric(&x, "affected"), metric(&x, "no_tunnel_expired"),
                   metric(&x, "recovered"), metric(&x, "no_tunnel_end"));
    g_assert_cmpfloat(metric(&x, "recovered"), ==, 0);
    g_assert_cmpfloat(metric(&x, "no_tunnel_expired"), >=, metric(&x, "affected"));
    g_assert_cmpfloat(metric(&x, "segw_refused"), ==, metric(&x, "no_tunnel_expired"));
    g_assert_cmpfloat(metric(&x, "no_tunnel_end"), ==, metric(&x, "affected"));
    run_clear(&x);
}

/* A regional power restoration with the SeGW the bottleneck (scenarios/segw/power-restoration.ini in small): all
 * 2,000 HNBs lose power at 1 h for 2 minutes and boot 60-120 s after it returns; the SeGW has 1 worker of 50 ms
 * (20 set-ups/s against arrivals of 2,000 / 60 s = 33/s), so it never idles from the first boot on.  By hand: the
 * fleet is back in service 60 s + set-ups x 50 ms / 1 after power returns (160 s).  With a queue limit of 100,
 * HNBs dropped at the SeGW wait out [segw] ike_timeout (165 s) before they retry: later than without the limit. */
static void test_power_restoration(void)
{
    const char *t = "[scenario]\nname = t\nduration = 2h\nseed = 2\n[fleet]\nsize = 2000\n[attack]\nmode = none\n"
                    "[hems]\nreach = segw\n[segw]\nworkers = 1\nsetup_time = 50ms\nrtt = 0s\n%s"
                    "[power]\nregion_at = 1h\nregion_fraction = 1\nregion_outage = 2m\n";
    g_autofree char *fifo = g_strdup_printf(t, "");
    Run r = run_text(fifo);
    double setups = metric(&r, "segw_setups"), back_s = metric(&r, "region_back_h") * 3600;
    double expect_s = 60 + setups * 0.050;
    g_test_message("FIFO: back after %.2f s, hand count %.2f s (%.0f set-ups)", back_s, expect_s, setups);
    g_assert_cmpfloat(setups, ==, 2000);
    g_assert_cmpfloat(fabs(back_s - expect_s), <, 0.02 * expect_s);
    run_clear(&r);
    g_autofree char *limited = g_strdup_printf(t, "queue_limit = 100\n");
    Run q = run_text(limited);
    double qback_s = metric(&q, "region_back_h") * 3600;
    g_test_message("queue limit 100: back after %.2f s, %.0f dropped", qback_s, metric(&q, "segw_dropped"));
    g_assert_cmpfloat(metric(&q, "segw_dropped"), >, 0);
    g_assert_cmpfloat(qback_s, >, back_s + 60);
    run_clear(&q);
}

/* [golden] credential = none: the golden module has no key.  Behind the SeGW it cannot build a tunnel, so every
 * affected HNB is stranded in it and waits for the field (50 technicians, a day of 24 h: all repaired within the
 * run), never recovering remotely: no golden set-up at all, only the release images' after the repairs.  On the
 * internet with TLS it is stranded the same way (the profile authenticates the HNB by its certificate); with plain
 * HTTP on the internet ([tls] profile = custom) it needs no key and recovers as before. */
static void test_credential_none(void)
{
    const char *base = "[scenario]\nname = t\nduration = 12h\nseed = 5\n[fleet]\nsize = 100\n"
                       "[hnb]\nlayout = golden\n[golden]\ncredential = none\ntls = true\n"
                       "[field]\ntechnicians = 50\nday_start = 0s\nday_end = 1d\nweekdays_only = false\n"
                       "[attack]\nstart = 1h\nfraction = 0.5\nreboot_delay = 0s\n";
    g_autofree char *segw = g_strconcat(base, "[hems]\nreach = segw\n", NULL);
    Run s = run_text(segw);
    double affected = metric(&s, "affected");
    g_test_message("segw: affected %.0f stranded %.0f truck rolls %.0f set-ups %.0f recovered %.0f", affected,
                   metric(&s, "golden_stranded"), metric(&s, "truck_rolls"), metric(&s, "segw_setups"),
                   metric(&s, "recovered"));
    g_assert_cmpfloat(affected, >, 30);
    g_assert_cmpfloat(metric(&s, "golden_stranded"), ==, affected);
    g_assert_cmpfloat(metric(&s, "truck_rolls"), ==, affected);
    g_assert_cmpfloat(metric(&s, "recovered"), ==, affected);
    g_assert_cmpfloat(metric(&s, "segw_setups"), ==, affected); /* the repaired release images', none of golden */
    g_assert_cmpfloat(metric(&s, "stack_modules"), ==, 1);
    /* the stranded wait in the series as HNBs without a tunnel for want of a credential (until the field comes) */
    g_assert_cmpfloat(column_max(s.series, "no_tunnel_no_credential"), >, 0);
    g_assert_cmpfloat(column_max(s.series, "no_tunnel_no_credential"), <=, affected);
    run_clear(&s);
    Run t = run_text(base); /* the internet, golden over TLS */
    g_assert_cmpfloat(metric(&t, "golden_stranded"), ==, metric(&t, "affected"));
    g_assert_cmpfloat(metric(&t, "truck_rolls"), ==, metric(&t, "affected"));
    run_clear(&t);
    g_autoptr(GString) plain = g_string_new(base);
    g_string_replace(plain, "tls = true", "tls = false", 1);
    g_string_append(plain, "[tls]\nprofile = custom\n");
    Run p = run_text(plain->str);
    g_assert_cmpfloat(metric(&p, "golden_stranded"), ==, 0);
    g_assert_cmpfloat(metric(&p, "truck_rolls"), ==, 0);
    g_assert_cmpfloat(metric(&p, "recovered"), ==, metric(&p, "affected"));
    run_clear(&p);
}

/* A SeGW run gives the same metrics and series, bit for bit, whatever the worker pool: IKE jobs and TLS handshakes in
 * the same pool, with 0, 1 and 2 threads (a mass rewrite and a power outage behind the SeGW, full fidelity). */
static void test_threads(void)
{
    const char *t = "[scenario]\nname = t\nduration = 4h\nseed = 7\n"
                    "[fleet]\nsize = 300\n[hnb]\nlayout = golden\n[hems]\nreach = segw\n"
                    "[segw]\nworkers = 1\nsetup_time = 20ms\n"
                    "[attack]\nstart = 1h\nfraction = 0.3\n"
                    "[power]\nregion_at = 2h\nregion_fraction = 0.5\nregion_outage = uniform(1m,5m)\n";
    GError *error = NULL;
    HnbScenario *sc = hnb_model_load_data(t, "test.ini", NULL, &error);
    g_assert_no_error(error);
    Run runs[3];
    for (unsigned k = 0; k < 3; k++) {
        runs[k] = (Run){hnb_metrics_new(), NULL, NULL};
        HnbProgress progress = {.pool_threads = k};
        g_assert_true(hnb_model_find("fleet")->run(sc, 0, &progress, runs[k].m, &runs[k].series, &runs[k].cdf, &error));
        g_assert_no_error(error);
    }
    g_assert_cmpfloat(metric(&runs[0], "segw_setups_real"), >, 300); /* the outage's and the rewrite's set-ups */
    g_assert_true(same_run(&runs[0], &runs[1]));
    g_assert_true(same_run(&runs[0], &runs[2]));
    for (unsigned k = 0; k < 3; k++)
        run_clear(&runs[k]);
    hnb_scenario_free(sc);
}

static int column(const HnbSeries *s, const char *name)
{
    for (guint c = 0; c < s->ncols; c++)
        if (strcmp(s->names[c], name) == 0)
            return (int)c;
    return -1;
}

/* The fleet's figures over one replication's series into a fresh directory: which of the SeGW's were written (a .gp)
 * and rendered (an .svg, when gnuplot is installed). */
static void fleet_figures(HnbSeries *series, gboolean *written, gboolean *rendered_svg)
{
    const HnbModel *fleet = hnb_model_find("fleet");
    g_autofree char *tmp = g_dir_make_tmp("hnb-segw-fig-XXXXXX", NULL);
    g_autofree char *dir = g_build_filename(tmp, "run", NULL);
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(dir, FALSE, &error);
    g_assert_no_error(error);
    HnbStamp stamp = {.scenario = "t", .seed = 3, .replications = 1, .version = "test"};
    gboolean rendered = FALSE;
    g_assert_true(hnb_results_write_series(rd, &series, 1, &error));
    g_assert_true(hnb_results_write_figures(rd, &stamp, &series, 1, fleet->figures, fleet->nfigures, &rendered,
                                            &error));
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_commit(rd, &error));
    static const char *const names[] = {"segw-load", "segw-tunnels", "segw-no-tunnel"};
    for (guint k = 0; k < G_N_ELEMENTS(names); k++) {
        g_autofree char *gp = g_strdup_printf("%s/figures/%s.gp", dir, names[k]);
        g_autofree char *svg = g_strdup_printf("%s/figures/%s.svg", dir, names[k]);
        written[k] = g_file_test(gp, G_FILE_TEST_EXISTS);
        rendered_svg[k] = rendered && g_file_test(svg, G_FILE_TEST_EXISTS);
    }
    g_autofree char *fleet_gp = g_strdup_printf("%s/figures/fleet.gp", dir);
    g_assert_true(g_file_test(fleet_gp, G_FILE_TEST_EXISTS)); /* the other figures as ever */
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    g_assert_cmpint(system(cmd), ==, 0);
}

/* The SeGW's load in the time series: set-ups begun, refused and dropped per second since the previous row, tunnels
 * up and workers busy at the row, after no_tunnel.  A hand check: each rate times its row's interval, summed over the
 * rows (the last row is at the end of the run), gives back the whole-run count (segw_setups, segw_refused,
 * segw_dropped) within rounding; tunnels + no_tunnel is the fleet.  200 HNBs lose power for a minute at 1 h: 10 have
 * revoked certificates (refused: every set-up real), and a SeGW of 1 worker at 1 s a set-up with room for 20 waiting drops most of
 * the rest at first.  The same fleet without a SeGW has the columns it always had and no SeGW figures. */
static void test_series(void)
{
    static const char t[] = "[scenario]\nname = t\nduration = 3h\nseed = 3\n"
                            "[fleet]\nsize = 200\n[hems]\nreach = segw\n[attack]\nmode = none\n"
                            "[pki]\nrevoked = 0-9\n"
                            "[segw]\nworkers = 1\nsetup_time = 1s\nqueue_limit = 20\n"
                            "[power]\nregion_at = 1h\nregion_fraction = 1\nregion_outage = 1m\n";
    Run r = run_text(t);
    const HnbSeries *s = r.series;
    static const char *const cols[] = {"no_tunnel", "segw_setups_per_s", "segw_refused_per_s", "segw_dropped_per_s",
                                       "tunnels", "segw_busy", "no_tunnel_down", "no_tunnel_setting_up",
                                       "no_tunnel_after_drop", "no_tunnel_after_refusal", "no_tunnel_no_credential"};
    int first = column(s, "no_tunnel");
    g_assert_cmpint(first, >, 0);
    g_assert_cmpuint(s->ncols, ==, (guint)first + G_N_ELEMENTS(cols));
    for (guint k = 0; k < G_N_ELEMENTS(cols); k++)
        g_assert_cmpint(column(s, cols[k]), ==, first + (int)k);
    g_assert_cmpstr(s->units[first + 1], ==, "set-ups/s");
    double sum[3] = {0}, prev = 0, most_refused = 0, most_dropped = 0;
    const double *v = (const double *)(void *)s->data->data;
    for (guint i = 0; i < hnb_series_rows(s); i++) {
        const double *row = v + (gsize)i * s->ncols;
        double dt = (row[0] - prev) * 3600;
        prev = row[0];
        for (int k = 0; k < 3; k++)
            sum[k] += row[first + 1 + k] * dt;
        g_assert_cmpfloat(row[first] + row[first + 4], ==, 200); /* no_tunnel + tunnels */
        g_assert_cmpfloat(row[first + 5], >=, 0);
        g_assert_cmpfloat(row[first + 5], <=, 1); /* one worker */
        double why = 0; /* the HNBs without a tunnel, by why, add up to them */
        for (int k = 6; k < 11; k++)
            why += row[first + k];
        g_assert_cmpfloat(why, ==, row[first]);
        g_assert_cmpfloat(row[first + 10], ==, 0); /* no golden module here */
        most_dropped = fmax(most_dropped, row[first + 8]);
        most_refused = fmax(most_refused, row[first + 9]);
    }
    g_test_message("most HNBs waiting after a drop %.0f, after a refusal %.0f", most_dropped, most_refused);
    g_assert_cmpfloat(most_dropped, >, 0);
    g_assert_cmpfloat(most_refused, >=, 10); /* the revoked ones, between their retries */
    g_assert_cmpfloat(most_refused, <=, 10);
    g_assert_cmpfloat(prev, ==, 3); /* the last row is at the end: the rates cover the whole run */
    static const char *const counts[] = {"segw_setups", "segw_refused", "segw_dropped"};
    for (int k = 0; k < 3; k++) {
        g_test_message("%s: %.0f, integrated from the series %.6f", counts[k], metric(&r, counts[k]), sum[k]);
        g_assert_cmpfloat(fabs(sum[k] - metric(&r, counts[k])), <, 1e-6 * fmax(1, metric(&r, counts[k])));
    }
    g_assert_cmpfloat(metric(&r, "segw_refused"), >=, 10);
    g_assert_cmpfloat(metric(&r, "segw_dropped"), >, 0);
    gboolean written[3], svg[3];
    fleet_figures(r.series, written, svg);
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    for (int k = 0; k < 3; k++) {
        g_assert_true(written[k]);
        g_assert_true(svg[k] == (gnuplot != NULL));
    }
    run_clear(&r);

    g_auto(GStrv) parts = g_strsplit(t, "reach = segw", 2);
    g_autofree char *text = g_strjoinv("reach = internet", parts);
    Run n = run_text(text);
    g_assert_cmpint(column(n.series, "no_tunnel"), <, 0);
    for (guint k = 0; k < G_N_ELEMENTS(cols); k++)
        g_assert_cmpint(column(n.series, cols[k]), <, 0);
    g_assert_cmpstr(n.series->names[n.series->ncols - 1], ==, "unmanaged_other");
    fleet_figures(n.series, written, svg);
    g_assert_false(written[0] || written[1] || written[2] || svg[0] || svg[1] || svg[2]);
    run_clear(&n);
}

/* [segw] dh_group reaches the IKE engine: every group runs its real set-ups (a power outage behind the SeGW, full
 * fidelity) and brings every tunnel back; the modelled times do not depend on it, so the counts are the same. */
static void test_dh_group(void)
{
    static const char *const groups[] = {"14", "19", "20", "21", "31"};
    double setups = -1;
    for (guint k = 0; k < G_N_ELEMENTS(groups); k++) {
        g_autofree char *t = g_strdup_printf("[scenario]\nname = t\nduration = 2h\nseed = 3\n"
                                             "[fleet]\nsize = 30\n[hems]\nreach = segw\n[attack]\nmode = none\n"
                                             "[segw]\ndh_group = %s\n"
                                             "[power]\nregion_at = 1h\nregion_fraction = 1\nregion_outage = 1m\n",
                                             groups[k]);
        Run r = run_text(t);
        g_assert_cmpfloat(metric(&r, "segw_setups_real"), ==, 30);
        g_assert_cmpfloat(metric(&r, "segw_refused"), ==, 0);
        g_assert_cmpfloat(metric(&r, "no_tunnel_end"), ==, 0);
        g_assert_true(setups < 0 || metric(&r, "segw_setups") == setups);
        setups = metric(&r, "segw_setups");
        run_clear(&r);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/segw-fleet/bottleneck", test_bottleneck);
    g_test_add_func("/segw-fleet/revoked", test_revoked);
    g_test_add_func("/segw-fleet/clock-before-segw", test_clock_before_segw);
    g_test_add_func("/segw-fleet/plain-http", test_plain_http);
    g_test_add_func("/segw-fleet/threads", test_threads);
    g_test_add_func("/segw-fleet/credential-none", test_credential_none);
    g_test_add_func("/segw-fleet/power-restoration", test_power_restoration);
    g_test_add_func("/segw-fleet/credential-recovery", test_credential_recovery);
    g_test_add_func("/segw-fleet/series", test_series);
    g_test_add_func("/segw-fleet/dh-group", test_dh_group);
    return g_test_run();
}
