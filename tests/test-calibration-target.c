/* tests/test-calibration-target.c — `hnbsim calibrate --target` against a real `hnbsim acs` on loopback (issue 15,
 * part 5), and its refusals of bad input.
 *
 * One worker, --max-sessions 12: a one-second-a-step calibration writes a [target] group with every key a fleet
 * scenario takes.  With the /metrics page: method server_metrics (the page shows the server's CPU), the server's CPU
 * per full handshake in a sane range, max_sessions 12 from the page's hnbsim_acs_limit, and a scenario with
 * `[acs] calibration = FILE` loads with the file's values.  Without it: method client_latency and a session limit
 * found by bursts (8 at once never reach 12: at least 8).  The session kinds (steps 4b, 4c): with an image published,
 * transfer_cwmp_time and download_cwmp_time near cwmp_time; without one, no Download, so no download_cwmp_time and a
 * comment saying why. */
#include "tests/child-common.h"
#include "tests/cli-common.h"
#include "models/model.h"
#include "sim/dist.h"
#include "sim/units.h"

#include <string.h>

static char *pki_dir;

static double duration_ns(const char *text)
{
    double v = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_units_parse(text, HNB_UNIT_DURATION, &v, &error));
    return v;
}

/* `hnbsim calibrate --target TARGET --pki ... [--metrics METRICS] --seconds 1 -o NAME`: the file, with every key a
 * [target] group has in common checked. */
static GKeyFile *calibrate(const char *target, const char *metrics, const char *name)
{
    g_autofree char *cal = g_build_filename(scratch, name, NULL);
    char *out = NULL, *err = NULL;
    const char *args[] = {"calibrate", "--target", target, "--pki", pki_dir, "--seconds", "1", "-o", cal,
                          metrics ? "--metrics" : NULL, metrics, NULL};
    g_assert_cmpint(hnbsim(args, &out, &err), ==, 0);
    g_test_message("calibrate: %s", out);
    g_assert_nonnull(strstr(out, "X_max"));
    g_free(out);
    g_free(err);
    GKeyFile *kf = g_key_file_new();
    g_assert_true(g_key_file_load_from_file(kf, cal, G_KEY_FILE_NONE, NULL));
    static const char *const keys[] = {"url", "method", "measured_utc", "handshake_time", "resumed_handshake_time",
                                       "cwmp_time", "rtt", "handshake_rtt", "workers", "max_sessions", "overload",
                                       "resumption", "capacity_per_s", "loads", "handshake_cpu_mean"};
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
        g_autofree char *v = g_key_file_get_string(kf, "target", keys[k], NULL);
        g_test_message("%s: %s = %s", name, keys[k], v);
        g_assert_nonnull(v);
    }
    g_autofree char *url = g_key_file_get_string(kf, "target", "url", NULL);
    g_assert_cmpstr(url, ==, target);
    g_autofree char *overload = g_key_file_get_string(kf, "target", "overload", NULL);
    g_assert_cmpstr(overload, ==, "reject_after_handshake");
    g_autofree char *resumption = g_key_file_get_string(kf, "target", "resumption", NULL);
    g_assert_cmpstr(resumption, ==, "ids"); /* hnbsim acs resumes session IDs by default */
    g_assert_cmpint(g_key_file_get_integer(kf, "target", "workers", NULL), >=, 1);
    /* every duration parses as the scenario reads it; the fits have 32 points, their median within 0.1 .. 50 ms */
    static const char *const durations[] = {"handshake_time", "resumed_handshake_time", "cwmp_time", "rtt",
                                            "handshake_rtt", "handshake_cpu_mean"};
    for (size_t k = 0; k < G_N_ELEMENTS(durations); k++) {
        g_autofree char *v = g_key_file_get_string(kf, "target", durations[k], NULL);
        HnbDist d;
        g_autoptr(GError) error = NULL;
        g_assert_true(hnb_dist_parse(v, HNB_UNIT_DURATION, &d, &error));
        if (k == 0) {
            g_assert_cmpint(d.kind, ==, HNB_DIST_EMPIRICAL);
            g_assert_cmpuint(d.n, ==, 32);
            g_assert_cmpfloat(d.value[16], >=, 1e5);
            g_assert_cmpfloat(d.value[16], <=, 5e7);
        }
    }
    return kf;
}

/* The mean of the file's distribution `key`, in ns. */
static double kind_mean(GKeyFile *kf, const char *key)
{
    g_autofree char *v = g_key_file_get_string(kf, "target", key, NULL);
    g_assert_nonnull(v);
    HnbDist d;
    g_autoptr(GError) error = NULL;
    g_assert_true(hnb_dist_parse(v, HNB_UNIT_DURATION, &d, &error));
    g_test_message("%s: mean %.1f us", key, hnb_dist_mean(&d) / 1e3);
    return hnb_dist_mean(&d);
}

/* With the server's page: its CPU and its limit. */
static void test_server_metrics(void)
{
    ChildServer acs;
    g_autofree char *log = g_build_filename(scratch, "acs.log", NULL);
    /* an image published: an Inform showing another SoftwareVersion gets a Download (step 4c) */
    g_autofree char *image = g_build_filename(scratch, "image.bin", NULL);
    g_assert_true(g_file_set_contents(image, "hnbsim calibrate --target test image", -1, NULL));
    child_acs_start(&acs, scratch, pki_dir,
                    (const char *[]){"--workers", "1", "--max-sessions", "12", "--metrics", "127.0.0.1:0", "--image",
                                     image, "--image-version", "release-1", NULL}, log);
    g_autofree char *metrics = child_acs_metrics_url(&acs);
    g_autofree char *target = g_strdup_printf("https://127.0.0.1:%s", acs.port);
    g_autoptr(GKeyFile) kf = calibrate(target, metrics, "cal.ini");
    g_assert_cmpint(child_server_stop(&acs), ==, 0);
    g_autofree char *method = g_key_file_get_string(kf, "target", "method", NULL);
    g_assert_cmpstr(method, ==, "server_metrics");
    g_assert_cmpint(g_key_file_get_integer(kf, "target", "max_sessions", NULL), ==, 12); /* the page says so */
    g_autofree char *at = g_key_file_get_string(kf, "target", "max_sessions_at", NULL);
    g_assert_cmpstr(at, ==, "inform"); /* hnbsim acs counts from the Inform */
    g_autofree char *req = g_key_file_get_string(kf, "target", "request_cpu", NULL);
    g_assert_cmpstr(req, ==, "queued"); /* and answers each request as it arrives */
    /* the server's CPU per full handshake within 0.1 .. 50 ms */
    g_autofree char *cpu = g_key_file_get_string(kf, "target", "handshake_cpu_mean", NULL);
    double cpu_ns = duration_ns(cpu);
    g_assert_cmpfloat(cpu_ns, >=, 1e5);
    g_assert_cmpfloat(cpu_ns, <=, 5e7);
    /* the session kinds' CPU per round trip (steps 4b, 4c): hnbsim acs does about the same work for each request
     * (parse, answer), so by hand each kind's mean is the Inform-only one's within a factor of 3 */
    double plain = kind_mean(kf, "cwmp_time");
    g_assert_cmpfloat(kind_mean(kf, "transfer_cwmp_time"), >=, plain / 3);
    g_assert_cmpfloat(kind_mean(kf, "transfer_cwmp_time"), <=, plain * 3);
    g_assert_cmpfloat(kind_mean(kf, "download_cwmp_time"), >=, plain / 3);
    g_assert_cmpfloat(kind_mean(kf, "download_cwmp_time"), <=, plain * 3);

    /* a fleet scenario takes the file */
    g_autofree char *sc_path = write_scenario("fleet.ini", "[scenario]\nname = cal\n[acs]\ncalibration = cal.ini\n");
    g_assert_cmpint(hnbsim((const char *[]){"check", sc_path, NULL}, NULL, NULL), ==, 0);
    g_autoptr(GError) error = NULL;
    HnbScenario *sc = hnb_model_load(sc_path, NULL, &error);
    g_assert_no_error(error);
    g_autofree char *hs = g_key_file_get_string(kf, "target", "handshake_time", NULL);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "handshake_time"), ==, hs);
    g_autofree char *rtt = g_key_file_get_string(kf, "target", "rtt", NULL);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "rtt"), ==, rtt);
    g_autofree char *dl = g_key_file_get_string(kf, "target", "download_cwmp_time", NULL);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "download_cwmp_time"), ==, dl);
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "max_sessions"), ==, 12);
    g_assert_cmpstr(hnb_scenario_string(sc, "tls", "resumption"), ==, "ids");
    g_assert_cmpstr(hnb_scenario_string(sc, "acs", "max_sessions_at"), ==, "inform");
    hnb_scenario_free(sc);
}

/* Without a page: the client's latencies, and bursts for the limit (8 at once never reach 12). */
static void test_client_latency(void)
{
    ChildServer acs;
    g_autofree char *log = g_build_filename(scratch, "acs2.log", NULL);
    child_acs_start(&acs, scratch, pki_dir, (const char *[]){"--workers", "1", "--max-sessions", "12", NULL}, log);
    g_autofree char *target = g_strdup_printf("https://127.0.0.1:%s", acs.port);
    g_autoptr(GKeyFile) kf = calibrate(target, NULL, "cal2.ini");
    g_assert_cmpint(child_server_stop(&acs), ==, 0);
    g_autofree char *method = g_key_file_get_string(kf, "target", "method", NULL);
    g_assert_cmpstr(method, ==, "client_latency");
    gint max_sessions = g_key_file_get_integer(kf, "target", "max_sessions", NULL);
    g_assert_cmpint(max_sessions, >=, 8);
    g_assert_cmpint(max_sessions, <=, 256);
    g_assert_false(g_key_file_has_key(kf, "target", "max_sessions_at", NULL)); /* a burst cannot tell where */
    /* no image, so no Download: that kind is not measured, and the file says why */
    g_assert_true(g_key_file_has_key(kf, "target", "transfer_cwmp_time", NULL));
    g_assert_false(g_key_file_has_key(kf, "target", "download_cwmp_time", NULL));
    g_autofree char *path = g_build_filename(scratch, "cal2.ini", NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "download_cwmp_time not measured: the server sent no Download"));
}

/* Exit 2, naming the problem, before any socket — or at the preflight session (nobody listening). */
static void test_bad_input(void)
{
    g_autofree char *missing = g_build_filename(scratch, "no-such-pki", NULL);
    static const struct {
        const char *target;
        gboolean missing_pki;
        const char *says;
    } cases[] = {
        {"http://127.0.0.1:7547", FALSE, "only https://"},
        {"https://10.0.0.1:7547", FALSE, "neither loopback nor link-local"},
        {"https://127.0.0.1:7547", TRUE, "no root.pem"},
        {"https://127.0.0.1:1", FALSE, "preflight session with dev0 ended refused_rst"},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
        g_autofree char *never = g_build_filename(scratch, "never.ini", NULL);
        char *out = NULL, *err = NULL;
        int rc = hnbsim((const char *[]){"calibrate", "--target", cases[k].target, "--pki",
                                         cases[k].missing_pki ? missing : pki_dir, "-o", never, NULL},
                        &out, &err);
        g_assert_cmpint(rc, ==, 2);
        g_assert_nonnull(strstr(err, cases[k].says));
        g_assert_false(g_file_test(never, G_FILE_TEST_EXISTS));
        g_free(out);
        g_free(err);
    }
}

int main(int argc, char **argv)
{
    cli_init(&argc, &argv);
    pki_dir = g_build_filename(scratch, "pki", NULL);
    g_assert_cmpint(hnbsim((const char *[]){"pki", "--out", pki_dir, "--hnb", "8", NULL}, NULL, NULL), ==, 0);
    g_test_add_func("/calibration-target/server-metrics", test_server_metrics);
    g_test_add_func("/calibration-target/client-latency", test_client_latency);
    g_test_add_func("/calibration-target/bad-input", test_bad_input);
    int rc = cli_done();
    g_free(pki_dir);
    return rc;
}
