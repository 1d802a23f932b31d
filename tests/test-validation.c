/* tests/test-validation.c — issue 15's acceptance checks: the model, calibrated by `hnbsim calibrate --target` on a
 * real `hnbsim acs`, predicts what `hnbsim drive --model` measures on that server.
 *
 * The server: 2 workers, --max-sessions 20, on loopback.  The fleet: HNBs informing every minute (each at its own
 * phase: 1/60 of the fleet per second), across an emulated WAN (`drive --wan`: each CWMP round trip waits the
 * scenario's [acs] rtt = 1 s, half before its request and half after its response).  hnbsim acs counts a session from
 * its Inform to its last response (calibrate writes max_sessions_at = inform), so a session holds its slot for half
 * a round trip, the other half and its CPU: ~1 s.  Capacity by hand: 20 slots / 1 s = 20 sessions/s.
 *   - below saturation, 50% (600 HNBs: 10/s, ~10 slots busy; Erlang B(20, 10) = 0.2% refused): the measured session
 *     p50 — connect, handshake, 2 × 1 s of WAN, CPU: ~2 s — within 20% of the model's;
 *   - above, 120% (1,440 HNBs: 24/s first tries, more with the retries of TR-069 3.2.1.1; Erlang B(20, 24) = 25% of
 *     first tries refused): the refused fraction within 5 points of the model's.
 * Each run is 30 s of real time at speed 1, both at once against two servers; the model's 4 replications beside
 * each.  Release builds only (the
 * sanitizers would slow the driver, not the server), alone (is_parallel false), skipped below 2 CPUs. */
#include "tests/child-common.h"
#include "tests/cli-common.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#define SLOTS "20"
#define RTT "1s"

static char *pki_dir;

/* compare.csv's row for `metric`: the model's mean (column 3) and the measured value (column 5). */
static void compare_row(const char *dir, const char *metric, double *model, double *measured)
{
    g_autofree char *path = g_build_filename(dir, "compare.csv", NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_autofree char *key = g_strdup_printf("\n%s,", metric);
    const char *p = strstr(text, key);
    g_assert_nonnull(p);
    g_auto(GStrv) f = g_strsplit(p + 1, ",", 6);
    g_assert_cmpuint(g_strv_length(f), ==, 6);
    *model = g_ascii_strtod(f[2], NULL);
    *measured = g_ascii_strtod(f[4], NULL);
    g_test_message("%s: model %.4g, measured %.4g", metric, *model, *measured);
}

/* Write scenario NAME.ini (`hnbs` HNBs) and start `drive --wan --model` of it against the server, in the background
 * (its stderr to NAME.log); its pid. */
static GPid drive_start(const char *name, int hnbs, const char *target, const char *metrics)
{
    g_autofree char *sc = g_strdup_printf("%s/%s.ini", scratch, name);
    g_autofree char *text = g_strdup_printf("[scenario]\nname = %s\nduration = 30s\nseed = 7\nreplications = 4\n"
                                            "[fleet]\nsize = %d\n[cwmp]\nperiodic_interval = 1m\n[attack]\nmode = none\n"
                                            "[acs]\ncalibration = cal.ini\nrtt = " RTT "\n",
                                            name, hnbs);
    g_assert_true(g_file_set_contents(sc, text, -1, NULL));
    g_autofree char *dir = g_build_filename(scratch, name, NULL);
    g_autofree char *cmd = g_strdup_printf("exec '%s' drive '%s' --target %s --pki '%s' --metrics %s --wan --model "
                                           "-o '%s' --quiet >'%s.log' 2>&1",
                                           g_getenv("HNBSIM"), sc, target, pki_dir, metrics, dir, dir);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    GPid pid;
    GError *error = NULL;
    g_assert_true(g_spawn_async(scratch, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
    g_assert_no_error(error);
    return pid;
}

/* The drive's end: exit 0, and it kept its schedule (pace lag p99 <= 10 ms), or its arrivals were not the
 * scenario's.  Its comparison directory. */
static char *drive_end(const char *name, GPid pid)
{
    int rc = child_wait(pid, 300000);
    char *dir = g_build_filename(scratch, name, NULL);
    g_autofree char *log_path = g_strdup_printf("%s.log", dir), *log = NULL;
    g_file_get_contents(log_path, &log, NULL, NULL);
    g_test_message("drive %s: %s", name, log ? log : "");
    g_assert_cmpint(rc, ==, 0);
    g_autofree char *mpath = g_build_filename(dir, "manifest.json", NULL), *manifest = NULL;
    g_assert_true(g_file_get_contents(mpath, &manifest, NULL, NULL));
    g_assert_nonnull(strstr(manifest, "\"paced\": true"));
    return dir;
}

/* One server for each load, so both run at once (the slots, not the CPU, set the capacity: each load is a few
 * percent of a core); the calibration is made on the first and holds for both (same options). */
static void test_acceptance(void)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        g_test_skip("needs 2 CPUs: the servers and the drivers");
        return;
    }
    ChildServer acs[2];
    char *target[2], *metrics[2];
    for (int k = 0; k < 2; k++) {
        g_autofree char *log = g_strdup_printf("%s/acs%d.log", scratch, k);
        child_acs_start(&acs[k], scratch, pki_dir,
                        (const char *[]){"--workers", "2", "--max-sessions", SLOTS, "--metrics", "127.0.0.1:0", NULL},
                        log);
        metrics[k] = child_acs_metrics_url(&acs[k]);
        target[k] = g_strdup_printf("https://127.0.0.1:%s", acs[k].port);
    }
    char *out = NULL, *err = NULL;
    int rc = hnbsim((const char *[]){"calibrate", "--target", target[0], "--metrics", metrics[0], "--pki", pki_dir,
                                     "--seconds", "1", "-o", "cal.ini", NULL},
                    &out, &err);
    g_test_message("calibrate: %s%s", out, err);
    g_assert_cmpint(rc, ==, 0);
    g_free(out);
    g_free(err);

    GPid below_pid = drive_start("below", 600, target[0], metrics[0]);  /* 50% */
    GPid above_pid = drive_start("above", 1440, target[1], metrics[1]); /* 120% */
    g_autofree char *below = drive_end("below", below_pid);
    g_autofree char *above = drive_end("above", above_pid);

    double model, measured;
    compare_row(below, "sessions", &model, &measured);
    g_assert_cmpfloat(fabs(measured - model), <=, 0.15 * model); /* ~300 expected: binomial sd ~16 */
    compare_row(below, "session_p50_s", &model, &measured);
    g_assert_cmpfloat(model, >=, 2.0); /* two round trips of 1 s, by hand */
    g_assert_cmpfloat(model, <=, 2.2);
    g_assert_cmpfloat(fabs(measured - model), <=, 0.2 * model);
    compare_row(below, "refused_fraction", &model, &measured);
    g_assert_cmpfloat(measured, <=, 0.05);
    compare_row(above, "refused_fraction", &model, &measured);
    g_assert_cmpfloat(model, >=, 0.1); /* Erlang B(20, 24) = 0.25 of first tries, by hand */
    g_assert_cmpfloat(fabs(measured - model), <=, 0.05);
    for (int k = 0; k < 2; k++) {
        g_assert_cmpint(child_server_stop(&acs[k]), ==, 0);
        g_free(target[k]);
        g_free(metrics[k]);
    }
}

int main(int argc, char **argv)
{
    cli_init(&argc, &argv);
    pki_dir = g_build_filename(scratch, "pki", NULL);
    g_assert_cmpint(hnbsim((const char *[]){"pki", "--out", pki_dir, "--hnb", "1440", NULL}, NULL, NULL), ==, 0);
    g_test_add_func("/validation/acceptance", test_acceptance);
    int rc = cli_done();
    g_free(pki_dir);
    return rc;
}
