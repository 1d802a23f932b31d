/* tests/test-cli.c — the `hnbsim` command as a user meets it: exit statuses, messages that name the problem, no
 * result directory after bad input, byte-identical results at any --threads, a resolved scenario that reproduces its
 * run.  Runs the real binary ($HNBSIM) in a scratch directory. */
#include <glib/gstdio.h>
#include <string.h>

#include "tests/cli-common.h"

static const char *small =
    "[scenario]\nname = small\nmodel = informs\nduration = 2h\nseed = 7\nreplications = 3\n"
    "[fleet]\nsize = 300\n[inform]\ninterval = 10m\n[acs]\nworkers = 2\nservice = lognormal(1s,0.5)\n";

static void test_version_and_help(void)
{
    char *out;
    g_assert_cmpint(hnbsim((const char *[]){"--version", NULL}, &out, NULL), ==, 0);
    g_assert_true(g_str_has_prefix(out, "hnbsim "));
    g_free(out);
    static const char *const cmds[] = {"run", "check", "describe", "bench"};
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_assert_cmpint(hnbsim((const char *[]){cmds[i], "--help", NULL}, &out, NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Usage:"));
        g_free(out);
    }
    g_assert_cmpint(hnbsim((const char *[]){"--help", NULL}, NULL, NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"frobnicate", NULL}, NULL, NULL), ==, 2);
    g_assert_cmpint(hnbsim((const char *[]){NULL}, NULL, NULL), ==, 2);
}

/* `bench kernel` on the queue and through dispatch: the result line, and options that do not apply refused. */
static void test_bench_options(void)
{
    static const char *const modes[] = {NULL, "--dispatch"}; /* on the queue, through dispatch */
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        char *out;
        const char *args[] = {"bench", "kernel", "--pending", "300", "--events", "20000", modes[i], NULL};
        g_assert_cmpint(hnbsim(args, &out, NULL), ==, 0);
        g_assert_nonnull(strstr(out, "events_per_s="));
        g_assert_nonnull(strstr(out, " pending=300\n"));
        g_free(out);
    }
    static const struct {
        const char *args[5];
        const char *expect;
    } bad[] = {
        {{"bench", "mm1", "--dispatch", NULL}, "--dispatch applies to kernel only"},
        {{"bench", "kernel", "--resume", NULL}, "--resume applies to handshake only"},
        {{"bench", "kernel", "--pending", "0", NULL}, "--pending"},
        {{"bench", "kernel", "--events", "x", NULL}, "--events"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *err;
        g_assert_cmpint(hnbsim(bad[i].args, NULL, &err), ==, 2);
        g_assert_nonnull(strstr(err, bad[i].expect));
        g_free(err);
    }
}

static void test_describe_lists_every_key(void)
{
    char *out;
    g_assert_cmpint(hnbsim((const char *[]){"describe", NULL}, &out, NULL), ==, 0);
    static const char *const keys[] = {"duration", "seed", "replications", "sample_interval", "workers", "service",
                                       "queue_limit", "interval", "size",
                                       /* the signing model's */
                                       "servers_curve", "approvers", "oncall_delay", "person_rate", "horizon"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        g_assert_nonnull(strstr(out, keys[i]));
    g_free(out);
}

/* Each bad input: exit 2, a message naming the file (or option) and the problem, and nothing written. */
static void test_bad_input(void)
{
    static const struct {
        const char *text;   /* scenario text, or NULL to use `small` */
        const char *option; /* extra option, or NULL */
        const char *expect; /* in stderr */
    } cases[] = {
        {"[scenario]\nname = x\nduration = 5 parsecs\n", NULL, "duration"},
        {"[scenario]\nname = x\n[acs]\nwokers = 3\n", NULL, "did you mean"},
        {"[scenario]\nname = x\n[acss]\nworkers = 3\n", NULL, "acss"},
        {"[scenario]\nname = x\nthis line is junk\n", NULL, ":3"},
        {"[scenario]\nduration = 1h\n", NULL, "name"},
        {"[scenario]\nname = x\n[acs]\nservice = exp(-1s)\n", NULL, "service"},
        {"[scenario]\nname = x\n[acs]\nworkers = 0\n", NULL, "workers"},
        {"[scenario]\nname = x\nmodel = nosuch\n", NULL, "nosuch"},
        {"[scenario]\nname = x\nmodel = signing\n[approval]\nhours = 8-18\n", NULL, "[approval] hours"},
        {"[scenario]\nname = x\nmodel = signing\n[signing]\nservers_curve = 4 2\n", NULL, "[signing] servers_curve"},
        {"[scenario]\nname = x\nmodel = signing\n[signing]\nsevrers = 2\n", NULL, "did you mean \"servers\""},
        {"[scenario]\nname = x\nmodel = signing\n[exposure]\nperson_rate = -1/y\n", NULL, "person_rate"},
        {"[scenario]\nname = x\nmodel = signing\n[release]\ninterval = 0s\n", NULL, "[release] interval"},
        {"[scenario]\nname = x\n[acs]\ncalibration = no-such-cal.ini\n", NULL, "[acs] calibration = \"no-such-cal.ini\""},
        /* refused by the loader (models/registry.c), whatever the command */
        {"[scenario]\nname = x\nmodel = fleet\n[tls]\nmin_version = tls1.0\n", NULL,
         "[tls] does not meet TS 33.320 clause 8.3.4"},
        /* plain HTTP to an H(e)MS on the internet (issue 13): only inside the SeGW's tunnel, or profile = custom */
        {"[scenario]\nname = x\n[hnb]\nlayout = golden\n[golden]\ntls = false\n", NULL,
         "[golden] tls = false with [hems] reach = internet: TS 33.320 clause 8.3.4"},
        {NULL, "--set=acs.workers=many", "many"},
        {NULL, "--set=acs.wrkers=4", "did you mean"},
        {NULL, "--set=nonsense", "nonsense"},
        {NULL, "--threads=-3", "threads"},
        {NULL, "--replications=0", "replications"},
        {NULL, "--bogus-option", "bogus"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *path = write_scenario("bad.ini", cases[i].text ? cases[i].text : small), *err;
        const char *args[] = {"run", "-q", "-o", "out-bad", path, cases[i].option, NULL};
        int rc = hnbsim(args, NULL, &err);
        g_test_message("case %zu: %s", i, err);
        g_assert_cmpint(rc, ==, 2);
        g_assert_nonnull(strstr(err, cases[i].expect));
        if (cases[i].text)
            g_assert_nonnull(strstr(err, "bad.ini"));
        g_assert_false(exists("out-bad"));
        g_assert_false(exists("out-bad.tmp"));
        /* `check` agrees */
        if (!cases[i].option)
            g_assert_cmpint(hnbsim((const char *[]){"check", path, NULL}, NULL, NULL), ==, 2);
        g_free(err);
        g_free(path);
    }
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "no-such-file.ini", NULL}, NULL, NULL), ==, 2);
}

static void assert_same_dirs(const char *a, const char *b)
{
    static const char *const files[] = {"scenario.resolved.ini", "summary.json", "summary.csv", "timeseries.csv",
                                        "figures/sessions.gp",   "figures/sessions.svg", "figures/sessions.png",
                                        "figures/queue.svg",     "figures/wait.png"};
    assert_same_files(a, b, files, G_N_ELEMENTS(files));
}

/* The fleet model with real TLS handshakes and image checks running in the worker pool: the pool's threads must not
 * change a byte. */
static void test_fleet_determinism_across_threads(void)
{
    const char *text = "[scenario]\nname = fleet-small\nduration = 6h\nseed = 11\nreplications = 1\n"
                       "[fleet]\nsize = 400\n[hnb]\nlayout = golden\n[cwmp]\nperiodic_interval = 2h\n"
                       "[acs]\nworkers = 4\nmax_sessions = 30\n[attack]\nstart = 1h\nfraction = 0.3\n";
    char *path = write_scenario("fleet.ini", text);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "1", "-o", "ft1", path, NULL}, NULL, NULL), ==,
                    0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "2", "-o", "ft2", path, NULL}, NULL, NULL), ==,
                    0);
    static const char *const files[] = {"scenario.resolved.ini", "summary.json", "timeseries.csv", "cdf.csv",
                                        "figures/fleet.svg"};
    assert_same_files("ft1", "ft2", files, G_N_ELEMENTS(files));
    /* nor the PKI letting parsed credentials go and reading them back (pki.h, hnb_pki_device_ref): room for 3 */
    g_setenv("HNBSIM_PKI_PARSED_MAX", "3", TRUE);
    g_setenv("G_MESSAGES_DEBUG", "hnbsim", TRUE);
    char *err = NULL; /* GLib writes debug messages to stdout */
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "2", "-o", "ft3", path, NULL}, &err, NULL), ==,
                    0);
    g_unsetenv("HNBSIM_PKI_PARSED_MAX");
    g_unsetenv("G_MESSAGES_DEBUG");
    const char *let_go = strstr(err, " parsed ones let go");
    g_assert_nonnull(let_go);
    while (let_go > err && g_ascii_isdigit(let_go[-1]))
        let_go--;
    g_assert_cmpuint(g_ascii_strtoull(let_go, NULL, 10), >, 100); /* 400 HNBs' credentials through 3 places */
    g_free(err);
    assert_same_files("ft1", "ft3", files, G_N_ELEMENTS(files));
    char *summary = slurp("ft1", "summary.csv");
    g_assert_nonnull(strstr(summary, "handshakes_real"));
    g_free(summary);
    g_free(path);
}

/* Handshakes run ahead of time (threads > 1) must be adopted only when nothing that decides an outcome lies between
 * the guessed and the real time: here device certificates expire mid-run, kept sessions outlive their lifetime and
 * power losses (and a regional outage) leave HNB clocks hours behind, and the H(e)MS certificate is renewed; boot
 * delays of up to 2 h put a boot's session far from the boot, where the handshake was started ahead.  Byte-identical results at --threads 1 (never runs ahead) and 2. */
static void test_fleet_run_ahead_boundaries(void)
{
    const char *text = "[scenario]\nname = fleet-ahead\nduration = 8h\nseed = 5\nreplications = 1\n"
                       "[fleet]\nsize = 300\n[hnb]\nlayout = golden\n[cwmp]\nperiodic_interval = 1h\n"
                       "boot_delay = uniform(0s,2h)\n"
                       "[acs]\nworkers = 4\n[attack]\nstart = 2h\nfraction = 0.3\n"
                       "[power]\nmtbf = 1d\nclock_save_interval = 6h\nregion_at = 4h\nclock_drift = 2000\nntp = true\n"
                       "ntp_delay = uniform(1m,1h)\n"
                       "[tls]\nsession_lifetime = 150m\n[pki]\ndevice_issued_before = 1d\n"
                       "device_lifetime = 30h\nhems_renewal_at = 3h\nhems_renewal_lead = 20m\n";
    char *path = write_scenario("ahead.ini", text);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "1", "-o", "ah1", path, NULL}, NULL, NULL), ==,
                    0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "2", "-o", "ah2", path, NULL}, NULL, NULL), ==,
                    0);
    static const char *const files[] = {"summary.json", "summary.csv", "timeseries.csv", "cdf.csv"};
    assert_same_files("ah1", "ah2", files, G_N_ELEMENTS(files));
    /* the boundaries were really crossed: some handshakes resumed, some failed on the expired device certificate */
    char *summary = slurp("ah1", "summary.csv");
    const char *exp = strstr(summary, "\nhs_expired,"), *res = strstr(summary, "\nhandshakes_resumed,");
    g_assert_nonnull(exp);
    g_assert_nonnull(res);
    g_assert_false(g_str_has_prefix(exp, "\nhs_expired,handshakes,0,"));
    g_assert_false(g_str_has_prefix(res, "\nhandshakes_resumed,handshakes,0,"));
    const char *nyv = strstr(summary, "\nhs_not_yet_valid,");
    g_assert_nonnull(nyv);
    g_assert_false(g_str_has_prefix(nyv, "\nhs_not_yet_valid,handshakes,0,"));
    g_free(summary);
    g_free(path);
}

/* The signing model end to end: the trade-off curve and its figure, byte-identical at any --threads (the signatures
 * run on the pool's threads). */
static void test_signing_determinism_across_threads(void)
{
    const char *text = "[scenario]\nname = signing-small\nmodel = signing\nduration = 21d\nseed = 3\n"
                       "replications = 4\n[signing]\nservers = 2\nservers_curve = 1 2 4\n";
    char *path = write_scenario("signing.ini", text);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "1", "-o", "sg1", path, NULL}, NULL, NULL), ==,
                    0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "3", "-o", "sg3", path, NULL}, NULL, NULL), ==,
                    0);
    static const char *const files[] = {"scenario.resolved.ini", "summary.json", "timeseries.csv", "curve.csv",
                                        "figures/tradeoff.gp", "figures/tradeoff.svg", "figures/queue.svg"};
    assert_same_files("sg1", "sg3", files, G_N_ELEMENTS(files));
    char *curve = slurp("sg1", "curve.csv");
    g_assert_true(g_str_has_prefix(curve, "servers,first_signed_p50_h,"));
    g_auto(GStrv) rows = g_strsplit(curve, "\n", -1);
    g_assert_cmpuint(g_strv_length(rows), ==, 5); /* header, S = 1 2 4, and the empty string after the last \n */
    g_assert_true(g_str_has_prefix(rows[3], "4,"));
    g_assert_true(exists("sg1/figures/tradeoff.png"));
    g_free(curve);
    g_free(path);
}

/* Every scenario file shipped under scenarios/ passes `hnbsim check` (so a renamed key or a moved variant file is
 * caught here, not by a user). */
static void check_tree(const char *dir, int *n)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    for (const char *name; (name = g_dir_read_name(d)) != NULL;) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            check_tree(path, n);
        } else if (g_str_has_suffix(name, ".ini")) {
            g_autofree char *err = NULL;
            int rc = hnbsim((const char *[]){"check", path, NULL}, NULL, &err);
            if (rc != 0)
                g_error("hnbsim check %s: exit %d: %s", path, rc, err);
            (*n)++;
        }
    }
}

static void test_shipped_scenarios_check(void)
{
    int n = 0;
    check_tree(HNB_SOURCE_DIR "/scenarios", &n);
    g_assert_cmpint(n, >, 20);
}

static void test_determinism_across_threads(void)
{
    char *path = write_scenario("small.ini", small);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "1", "-o", "t1", path, NULL}, NULL, NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "2", "-o", "t2", path, NULL}, NULL, NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--threads", "3", "-o", "t3", path, NULL}, NULL, NULL), ==, 0);
    assert_same_dirs("t1", "t2");
    assert_same_dirs("t1", "t3");
    char *manifest = slurp("t2", "manifest.json");
    g_assert_nonnull(strstr(manifest, "\"threads\": 2"));
    g_free(manifest);
    /* a different seed must change the results, or the test above proves nothing */
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--seed", "8", "-o", "s8", path, NULL}, NULL, NULL), ==, 0);
    char *a = slurp("t1", "summary.json"), *b = slurp("s8", "summary.json");
    g_assert_cmpstr(a, !=, b);
    g_free(a);
    g_free(b);
    g_free(path);
}

/* A fleet scenario taking its handshake times from a calibration file: the run's resolved scenario holds the values
 * (not the file), and running it reproduces the results after the file is gone. */
static void test_calibration_run(void)
{
    char *cal = write_scenario("cal.ini", "[calibration]\nhandshake_full_ec = 2.5ms\nhandshake_resumed_ec = 300us\n"
                                          "image_verify_ec = 80us\n");
    char *path = write_scenario("fleet-cal.ini",
                                "[scenario]\nname = fleet-cal\nduration = 3h\nseed = 5\n[fleet]\nsize = 120\n"
                                "[cwmp]\nperiodic_interval = 1h\n[acs]\nworkers = 2\ncalibration = cal.ini\n"
                                "[attack]\nstart = 1h\nfraction = 0.3\n");
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "fc1", path, NULL}, NULL, NULL), ==, 0);
    char *text = slurp("fc1", "scenario.resolved.ini");
    g_assert_nonnull(strstr(text, "[calibration] handshake_full_ec\nhandshake_time = 2.5ms\n"));
    g_assert_nonnull(strstr(text, "image_verify_time = 80us\n"));
    g_assert_nonnull(strstr(text, "\n# calibration =\n"));
    g_assert_cmpint(g_unlink(cal), ==, 0);
    char *resolved = g_build_filename(scratch, "fc1", "scenario.resolved.ini", NULL);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "fc2", resolved, NULL}, NULL, NULL), ==, 0);
    static const char *const files[] = {"summary.json", "timeseries.csv", "cdf.csv"};
    assert_same_files("fc1", "fc2", files, G_N_ELEMENTS(files));
    /* without the file the original scenario is bad input, and nothing is written */
    char *err;
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "fc3", path, NULL}, NULL, &err), ==, 2);
    g_assert_nonnull(strstr(err, "fleet-cal.ini: [acs] calibration = \"cal.ini\": "));
    g_assert_false(exists("fc3"));
    g_free(err);
    g_free(resolved);
    g_free(text);
    g_free(path);
    g_free(cal);
}

static void test_resolved_reproduces(void)
{
    char *path = write_scenario("small.ini", small);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--set", "acs.workers=3", "-o", "r1", path, NULL}, NULL, NULL),
                    ==, 0);
    char *resolved = g_build_filename(scratch, "r1", "scenario.resolved.ini", NULL);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "r2", resolved, NULL}, NULL, NULL), ==, 0);
    assert_same_dirs("r1", "r2");
    char *text = slurp("r1", "scenario.resolved.ini");
    g_assert_nonnull(strstr(text, "workers = 3"));
    g_assert_nonnull(strstr(text, "queue_limit = 0")); /* defaults are filled in */
    g_free(text);
    g_free(resolved);
    g_free(path);
}

static void test_existing_dir_and_force(void)
{
    char *path = write_scenario("small.ini", small), *err;
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "f1", path, NULL}, NULL, NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "f1", path, NULL}, NULL, &err), ==, 2);
    g_assert_nonnull(strstr(err, "--force"));
    g_free(err);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "--force", "-o", "f1", path, NULL}, NULL, NULL), ==, 0);
    g_assert_true(exists("f1/summary.csv"));
    g_assert_false(exists("f1.tmp"));
    g_free(path);
}

static void test_without_gnuplot(void)
{
    if (g_test_subprocess()) {
        g_setenv("PATH", "/nonexistent", TRUE);
        char *path = write_scenario("small.ini", small), *err;
        g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "nognuplot", path, NULL}, NULL, &err), ==, 0);
        g_assert_nonnull(strstr(err, "gnuplot"));
        g_assert_true(exists("nognuplot/summary.json"));
        g_assert_true(exists("nognuplot/figures/sessions.gp"));
        g_assert_false(exists("nognuplot/figures/sessions.png"));
        g_free(err);
        g_free(path);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void test_summary_content(void)
{
    char *path = write_scenario("small.ini", small);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "sum", path, NULL}, NULL, NULL), ==, 0);
    char *csv = slurp("sum", "summary.csv");
    g_assert_true(g_str_has_prefix(csv, "metric,unit,mean,ci95_half,min,max,n\n"));
    g_assert_nonnull(strstr(csv, "wait_p95"));
    g_free(csv);
    char *ts = slurp("sum", "timeseries.csv");
    g_assert_true(g_str_has_prefix(ts, "replication,time_h,"));
    g_free(ts);
    g_free(path);
}

int main(int argc, char **argv)
{
    cli_init(&argc, &argv);
    g_test_add_func("/cli/version-and-help", test_version_and_help);
    g_test_add_func("/cli/describe", test_describe_lists_every_key);
    g_test_add_func("/cli/bench-options", test_bench_options);
    g_test_add_func("/cli/bad-input", test_bad_input);
    g_test_add_func("/cli/determinism-across-threads", test_determinism_across_threads);
    g_test_add_func("/cli/fleet-determinism-across-threads", test_fleet_determinism_across_threads);
    g_test_add_func("/cli/fleet-run-ahead-boundaries", test_fleet_run_ahead_boundaries);
    g_test_add_func("/cli/shipped-scenarios-check", test_shipped_scenarios_check);
    g_test_add_func("/cli/signing-determinism-across-threads", test_signing_determinism_across_threads);
    g_test_add_func("/cli/resolved-reproduces", test_resolved_reproduces);
    g_test_add_func("/cli/calibration-run", test_calibration_run);
    g_test_add_func("/cli/existing-dir-and-force", test_existing_dir_and_force);
    g_test_add_func("/cli/without-gnuplot", test_without_gnuplot);
    g_test_add_func("/cli/summary-content", test_summary_content);
    return cli_done();
}
