/* tests/test-calibration.c — [acs] calibration: a fleet scenario takes its service times from a calibration file
 * (per [pki] key type), keys the scenario sets win, the resolved scenario carries the values (and reproduces them
 * without the file), and every bad file is bad input naming the scenario, the key, the file and the problem. */
#include "models/model.h"

#include <string.h>
#include <glib/gstdio.h>

static char *dir;

static const char *cal =
    "# written by hand in the format of `hnbsim calibrate -o FILE`\n"
    "[calibration]\n"
    "handshake_full_ec = 901.5us\nhandshake_full_ec_p95 = 1.2ms\nhandshake_resumed_ec = 121us\n"
    "handshake_full_rsa = 1.55ms\nhandshake_resumed_rsa = 133us\n"
    "image_verify_ec = 75.5us\nimage_verify_rsa = 31us\n"
    /* the SeGW's share of a set-up: read only with [hems] reach = segw */
    "segw_setup_ec = 756.3us\npair_segw_setup_ec = 1.23ms\nrate_segw_setup_ec = 779/s\n";

static char *write_file(const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static HnbScenario *load(const char *scenario_text, char **sets, GError **error)
{
    g_autofree char *path = write_file("sc.ini", scenario_text);
    return hnb_model_load(path, sets, error);
}

/* The resolved text without comment lines (what a reload must reproduce: the values). */
static char *values_of(const HnbScenario *sc)
{
    g_autofree char *text = hnb_scenario_to_data(sc);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    for (char **l = lines; *l; l++)
        if (**l != '#')
            g_string_append_printf(out, "%s\n", *l);
    return g_string_free(out, FALSE);
}

static void test_applied(void)
{
    g_autofree char *c = write_file("cal.ini", cal);
    g_autoptr(GError) error = NULL;
    /* resumed_handshake_time is the scenario's own: it wins over the file */
    g_autoptr(HnbScenario) sc =
        load("[scenario]\nname = c\n[acs]\ncalibration = cal.ini\nresumed_handshake_time = 200us\n", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "handshake_time"), ==, "901.5us");
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "resumed_handshake_time"), ==, "200us");
    g_assert_cmpstr(hnb_scenario_text(sc, "hnb", "image_verify_time"), ==, "75.5us");
    g_assert_cmpfloat_with_epsilon(hnb_dist_mean(hnb_scenario_dist(sc, "acs", "handshake_time")), 901500.0, 1e-6); /* ns */
    /* the resolved scenario names where each value came from, and no longer needs the file */
    g_assert_cmpstr(hnb_scenario_string(sc, "acs", "calibration"), ==, "");
    g_autofree char *text = hnb_scenario_to_data(sc);
    g_assert_nonnull(strstr(text, "# from the calibration file cal.ini, [calibration] handshake_full_ec\n"
                                  "handshake_time = 901.5us\n"));
    g_assert_nonnull(strstr(text, "# from the calibration file cal.ini, [calibration] image_verify_ec\n"
                                  "image_verify_time = 75.5us\n"));
    g_assert_nonnull(strstr(text, "\n# calibration =\n"));
    g_assert_null(strstr(text, "handshake_resumed_ec"));
    g_assert_null(strstr(text, "[calibration] segw_setup")); /* reach = internet: no SeGW */
    g_assert_cmpint(g_unlink(c), ==, 0);
    g_autoptr(HnbScenario) again = hnb_model_load_data(text, "resolved.ini", NULL, &error);
    g_assert_no_error(error);
    g_autofree char *a = values_of(sc), *b = values_of(again);
    g_assert_cmpstr(a, ==, b);
}

/* With [hems] reach = segw the SeGW's set-up time comes from the file too (by the device key type); an older file
 * without segw_setup_* is refused only then. */
static void test_segw(void)
{
    g_autofree char *c = write_file("cal.ini", cal);
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = c\n[hems]\nreach = segw\n[acs]\ncalibration = cal.ini\n",
                                     NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(sc, "segw", "setup_time"), ==, "756.3us");
    g_free(write_file("cal.ini", "[calibration]\nhandshake_full_ec = 1ms\nhandshake_resumed_ec = 1us\n"
                                 "image_verify_ec = 1us\n"));
    g_autoptr(HnbScenario) old = load("[scenario]\nname = c\n[acs]\ncalibration = cal.ini\n", NULL, &error);
    g_assert_no_error(error);
    g_assert_null(load("[scenario]\nname = c\n[hems]\nreach = segw\n[acs]\ncalibration = cal.ini\n", NULL, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "segw_setup_ec is missing"));
}

/* A set-up's time holds for the (EC)DH group it was measured in: a file without segw_dh_group was measured in 19 (the
 * default) and serves [segw] dh_group = 19 only; a file of group 14 serves 14 and is refused for 19, naming both. */
static void test_segw_dh_group(void)
{
    static const char *const sc_text = "[scenario]\nname = c\n[hems]\nreach = segw\n[acs]\ncalibration = cal.ini\n";
    g_autofree char *c = write_file("cal.ini", cal);
    g_autoptr(GError) error = NULL;
    char *g14[] = {"segw.dh_group=14", NULL};
    g_assert_null(load(sc_text, g14, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(error->message, "measured with DH group 19, the scenario's [segw] dh_group is 14"));
    g_clear_error(&error);
    g_autofree char *modp = g_strconcat(cal, "segw_dh_group = 14\n", NULL);
    g_free(write_file("cal.ini", modp));
    g_autoptr(HnbScenario) sc = load(sc_text, g14, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(sc, "segw", "setup_time"), ==, "756.3us");
    g_assert_null(load(sc_text, NULL, &error));
    g_assert_nonnull(strstr(error->message, "hnbsim calibrate --dh-group 19"));
    g_clear_error(&error);
    char *bad[] = {"segw.dh_group=2", NULL}; /* not an IKE group the engine runs */
    g_assert_null(load(sc_text, bad, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
}

/* The key types pick the file's keys: RSA devices take the RSA handshake times, an RSA-PSS signing key the RSA image
 * time; a --set wins like a file key; no calibration key changes nothing. */
static void test_key_types_and_sets(void)
{
    g_autofree char *c = write_file("cal.ini", cal);
    g_autoptr(GError) error = NULL;
    char *sets[] = {"pki.device_key=rsa-2048", "pki.signing_key=rsa-2048", "acs.handshake_time=2ms", NULL};
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = c\n[acs]\ncalibration = cal.ini\n", sets, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "handshake_time"), ==, "2ms");
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "resumed_handshake_time"), ==, "133us");
    g_assert_cmpstr(hnb_scenario_text(sc, "hnb", "image_verify_time"), ==, "31us");
    g_autoptr(HnbScenario) plain = load("[scenario]\nname = c\n", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(plain, "acs", "handshake_time"), ==, "1200us");
    g_assert_cmpstr(hnb_scenario_text(plain, "hnb", "image_verify_time"), ==, "0s");
}

/* [target] (`hnbsim calibrate --target`: a real H(e)MS measured): its keys are the scenario's names and win over
 * [calibration]'s in-process costs; the scenario's own keys win over both; a file with [target] alone is enough. */
static void test_target(void)
{
    g_autofree char *both = g_strconcat(cal, "[target]\nurl = https://127.0.0.1:7547\nhandshake_time = 1.6ms\n"
                                             "cwmp_time = 350us\nrtt = 61us\nhandshake_rtt = 0.82ms\nworkers = 1\n"
                                             "max_sessions = 32\noverload = reject_after_handshake\n"
                                             "resumption = none\n", NULL);
    g_free(write_file("cal.ini", both));
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbScenario) sc =
        load("[scenario]\nname = c\n[acs]\ncalibration = cal.ini\nmax_sessions = 100\n", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "handshake_time"), ==, "1.6ms");      /* [target] over [calibration] */
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "resumed_handshake_time"), ==, "121us"); /* only [calibration] has it */
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "cwmp_time"), ==, "350us");
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "handshake_rtt"), ==, "0.82ms");
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "workers"), ==, 1);
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "max_sessions"), ==, 100); /* the scenario's own */
    g_assert_cmpstr(hnb_scenario_string(sc, "tls", "resumption"), ==, "none");
    g_autofree char *text = hnb_scenario_to_data(sc);
    g_assert_nonnull(strstr(text, "# from the calibration file cal.ini, [target] cwmp_time (measured on "
                                  "https://127.0.0.1:7547)\ncwmp_time = 350us\n"));
    g_free(write_file("cal.ini", "[target]\nhandshake_time = 2ms\n"));
    g_autoptr(HnbScenario) alone = load("[scenario]\nname = c\n[acs]\ncalibration = cal.ini\n", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hnb_scenario_text(alone, "acs", "handshake_time"), ==, "2ms");
    g_assert_cmpstr(hnb_scenario_text(alone, "hnb", "image_verify_time"), ==, "0s"); /* no [calibration]: default */
}

static void test_bad_files(void)
{
    static const struct {
        const char *file; /* contents of cal.ini, NULL: no such file */
        const char *problem;
    } cases[] = {
        {NULL, "No such file"},
        {"this is not a key file\n", "cal.ini"},
        {"[other]\nx = 1\n", "no [calibration] or [target] group"},
        {"[target]\nworkers = 0\n", "[target] workers = \"0\""},
        {"[target]\noverload = sometimes\n", "[target] overload = \"sometimes\""},
        {"[calibration]\nhandshake_full_ec = 1ms\nimage_verify_ec = 1us\n", "handshake_resumed_ec is missing"},
        {"[calibration]\nhandshake_full_ec = fast\nhandshake_resumed_ec = 1us\nimage_verify_ec = 1us\n",
         "handshake_full_ec = \"fast\""},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *c = g_build_filename(dir, "cal.ini", NULL);
        g_unlink(c);
        if (cases[i].file)
            g_free(write_file("cal.ini", cases[i].file));
        g_autoptr(GError) error = NULL;
        g_autoptr(HnbScenario) sc = load("[scenario]\nname = c\n[acs]\ncalibration = cal.ini\n", NULL, &error);
        g_assert_null(sc);
        g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
        g_test_message("case %zu: %s", i, error->message);
        g_assert_nonnull(strstr(error->message, "sc.ini: [acs] calibration = \"cal.ini\": "));
        g_assert_nonnull(strstr(error->message, c)); /* the file as opened */
        g_assert_nonnull(strstr(error->message, cases[i].problem));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("hnbsim-test-calibration-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_test_add_func("/calibration/applied", test_applied);
    g_test_add_func("/calibration/segw", test_segw);
    g_test_add_func("/calibration/segw-dh-group", test_segw_dh_group);
    g_test_add_func("/calibration/key-types-and-sets", test_key_types_and_sets);
    g_test_add_func("/calibration/bad-files", test_bad_files);
    g_test_add_func("/calibration/target", test_target);
    int rc = g_test_run();
    g_autofree char *c = g_build_filename(dir, "cal.ini", NULL), *s = g_build_filename(dir, "sc.ini", NULL);
    g_unlink(c);
    g_unlink(s);
    g_rmdir(dir);
    g_free(dir);
    return rc;
}
