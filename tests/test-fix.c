/* tests/test-fix.c — the hole and its fix in one fleet run (models/fix.h, models/hnb_fix.c, [attack] repeat): the
 * checks of the decision-grade issue, each with its back-of-the-envelope value.  Small fleets, sampled TLS. */
#include "tests/model-run.h"

#include <math.h>
#include <string.h>

extern const HnbModel hnb_model_fleet;

/* 1000 golden HNBs, 30% exposed, attacked at 1 h (Monday 01:00); daily Informs; the fix, when enabled, is built 2 days
 * later (Wednesday 01:00) and signed for `variants` variants in working hours. */
static const char scenario[] = "[scenario]\nname = t\nduration = 6d\nseed = 5\n"
                               "[fleet]\nsize = 1000\n"
                               "[hnb]\nlayout = golden\n"
                               "[attack]\nstart = 1h\nfraction = 0.3\n"
                               "[fix]\ndevelop = 2d\npublish = 1h\n"
                               "[acs]\nworkers = 4\nmax_sessions = 200\n"
                               "[tls]\nfidelity = sampled:25\n";

/* The scenario with `sets` ("group.key=value" separated by spaces) as --set would give them. */
static HnbScenario *load(const char *sets, GError **error)
{
    g_auto(GStrv) v = g_strsplit(sets, " ", -1);
    return hnb_model_load_data(scenario, "test.ini", v, error);
}

static Run run_with(const char *sets)
{
    GError *error = NULL;
    HnbScenario *sc = load(sets, &error);
    g_assert_no_error(error);
    Run r = {hnb_metrics_new(), NULL, NULL};
    HnbProgress progress = {0};
    g_assert_true(hnb_model_fleet.run(sc, 0, &progress, r.m, &r.series, &r.cdf, &error));
    g_assert_no_error(error);
    hnb_scenario_free(sc);
    return r;
}

/* The attacker comes back daily and recovery reinstalls the vulnerable release: every exposed HNB is back on the
 * release minutes after each sweep, so each of the sweeps at 25 h, 49 h, ..., 121 h (5 in 6 days) rewrites all of
 * them again — exactly 5 x the first attack. */
static void test_repeat_release(void)
{
    Run r = run_with("attack.repeat=1d recovery.image=release");
    double repeated = metric(&r, "rewrites_repeated"), first = metric(&r, "attacked") - repeated;
    g_assert_cmpfloat(first, >, 250);
    g_assert_cmpfloat(repeated, ==, 5 * first);
    g_assert_cmpfloat(metric(&r, "affected"), ==, 6 * first); /* each rewrite reboots into the golden module */
    g_assert_true(isnan(metric(&r, "fix_published_h")));      /* no fix in this run */
    run_clear(&r);
}

/* Waiting for the fix: nothing recovers before it is published (no download of the release at all), the attacker's
 * sweeps find the golden modules out of reach, and at the end every HNB runs the fix: the affected by their golden
 * module's next poll, the rest by their next daily Inform, so the whole fleet is on the fix within a day (plus an
 * install) of the publication. */
static void test_fixed_waits(void)
{
    Run r = run_with("attack.repeat=1d fix.enabled=true recovery.image=fixed signing.variants=2");
    double affected = metric(&r, "affected"), published = metric(&r, "fix_published_h");
    double first = metric(&r, "fix_first_published_h");
    g_assert_cmpfloat(affected, >, 250);
    g_assert_cmpfloat(metric(&r, "release_downloads"), ==, 0);
    g_assert_cmpfloat(metric(&r, "rewrites_repeated"), ==, 0);
    g_assert_cmpfloat(first, >=, 48 + 1); /* develop 2 d, publish 1 h, signing in between */
    g_assert_cmpfloat(first, <=, published);
    /* the series: in service never above the unaffected until the first variant's fix is out */
    const HnbSeries *s = r.series;
    int in_service = -1;
    for (guint c = 0; c < s->ncols; c++)
        if (strcmp(s->names[c], "in_service") == 0)
            in_service = (int)c;
    g_assert_cmpint(in_service, >=, 0);
    guint rows = s->data->len / s->ncols, checked = 0;
    for (guint k = 0; k < rows; k++) {
        const double *row = &g_array_index(s->data, double, k * s->ncols);
        if (row[0] > 1.1 && row[0] < 1 + first) {
            g_assert_cmpfloat(row[in_service], <=, 1000 - affected);
            checked++;
        }
    }
    g_assert_cmpuint(checked, >, 100);
    g_assert_cmpfloat(metric(&r, "recovered"), ==, affected);
    g_assert_cmpfloat(metric(&r, "on_fix"), ==, 1000);
    double complete = metric(&r, "fix_complete_h");
    g_assert_cmpfloat(complete, >, published + 20); /* the campaign rides on daily Informs */
    g_assert_cmpfloat(complete, <, published + 24 + 0.5);
    g_assert_cmpfloat(metric(&r, "fix_downloads"), ==, 1000);
    run_clear(&r);
}

/* More signing servers never publish the fix later: the 8 variants' images go round-robin to the servers, so each
 * server of 2S holds a subset of one server of S, and a FIFO queue with the same per-image times finishes a subset
 * no later (each server has its own approvers). */
static void test_more_servers_never_later(void)
{
    double last = INFINITY;
    for (int s = 1; s <= 8; s *= 2) {
        g_autofree char *extra =
            g_strdup_printf("fix.enabled=true recovery.image=fixed signing.variants=8 signing.servers=%d", s);
        Run r = run_with(extra);
        double published = metric(&r, "fix_published_h");
        g_test_message("servers %d: fix published %.3f h after the attack", s, published);
        g_assert_true(isfinite(published));
        g_assert_cmpfloat(published, <=, last);
        last = published;
        run_clear(&r);
    }
}

/* Connection Requests at 2/s: the H(e)MS wakes the ~700 HNBs still on the release in ~350 s, and each is on the fix
 * a download (50 MB at ~20 Mbit/s: ~20 s), an install (30-90 s) and a boot (60-120 s) later: the fleet is complete
 * within ~0.1 h + ~5 min of the publication, instead of a day. */
static void test_connection_requests(void)
{
    Run r = run_with("fix.enabled=true fix.connection_requests=2/s recovery.image=fixed signing.variants=1");
    double published = metric(&r, "fix_published_h"), complete = metric(&r, "fix_complete_h");
    double woken = metric(&r, "connection_requests");
    g_test_message("published %.3f h, complete %.3f h, %g woken", published, complete, woken);
    g_assert_cmpfloat(woken, >=, 650);
    g_assert_cmpfloat(complete - published, >, woken / 2 / 3600);
    g_assert_cmpfloat(complete - published, <, woken / 2 / 3600 + 0.25);
    run_clear(&r);
}

/* The scenario's keys are checked at load: waiting for a fix that is never built is refused. */
static void test_fixed_needs_fix(void)
{
    GError *error = NULL;
    HnbScenario *sc = load("recovery.image=fixed", &error);
    g_assert_null(sc);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "[fix] enabled"));
    g_error_free(error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fix/repeat-release", test_repeat_release);
    g_test_add_func("/fix/fixed-waits", test_fixed_waits);
    g_test_add_func("/fix/more-servers-never-later", test_more_servers_never_later);
    g_test_add_func("/fix/connection-requests", test_connection_requests);
    g_test_add_func("/fix/fixed-needs-fix", test_fixed_needs_fix);
    return g_test_run();
}
