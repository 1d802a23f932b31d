/* tests/test-scenario.c — the scenario loader: values, defaults, --set, every error class, the resolved file.
 *
 * The schema below is the test's own, so the tests do not move when a model's keys change.  Error tests load a small
 * text named "test.ini" and check that the message carries the file, the line, the group, the key and the value.
 */
#include "sim/scenario.h"

#include <glib/gstdio.h>
#include <string.h>

static const HnbKeySpec scenario_keys[] = {
    {"scenario", "name", HNB_KEY_STRING, HNB_UNIT_NONE, NULL, NULL, NULL, NULL, "name of the run"},
    {"scenario", "duration", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1h", "1s", NULL, NULL, "simulated time"},
    {"scenario", "seed", HNB_KEY_INT, HNB_UNIT_NONE, "1", "0", NULL, NULL, "random seed"},
    {"scenario", "replications", HNB_KEY_INT, HNB_UNIT_NONE, "1", "1", "10000", NULL, "independent replications"},
    HNB_KEY_END,
};

static const HnbKeySpec acs_keys[] = {
    {"acs", "workers", HNB_KEY_INT, HNB_UNIT_NONE, "4", "1", "100000", NULL, "TLS worker threads"},
    {"acs", "service", HNB_KEY_DIST, HNB_UNIT_DURATION, "exp(200ms)", "1ms", "10min", NULL, "session service time"},
    {"acs", "mode", HNB_KEY_ENUM, HNB_UNIT_NONE, "queue", NULL, NULL, "queue|reject|drop", "policy when all busy"},
    {"acs", "tls", HNB_KEY_BOOL, HNB_UNIT_NONE, "true", NULL, NULL, NULL, "sessions use TLS"},
    {"acs", "bandwidth", HNB_KEY_NUMBER, HNB_UNIT_BITRATE, "1Gbps", "1kbps", "100Gbps", NULL, "uplink bandwidth"},
    {"acs", "fraction", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "0.5", NULL, NULL, NULL, "share of HNBs served"},
    HNB_KEY_END,
};

/* A second table: adds a key to [acs] (groups may span tables) and a group of its own. */
static const HnbKeySpec extra_keys[] = {
    {"acs", "label", HNB_KEY_STRING, HNB_UNIT_NONE, "", NULL, NULL, NULL, "free text, empty by default"},
    {"fleet", "size", HNB_KEY_INT, HNB_UNIT_NONE, "100", "1", NULL, NULL, "number of HNBs"},
    {"fleet", "offset", HNB_KEY_DIST, HNB_UNIT_NONE, "0", "-5", "5", NULL, "a plain distribution"},
    {"fleet", "jitter", HNB_KEY_DIST, HNB_UNIT_DURATION, "", NULL, NULL, NULL, "an optional distribution, unset"},
    HNB_KEY_END,
};

static const HnbKeySpec *const schemas[] = {scenario_keys, acs_keys, extra_keys, NULL};

static HnbScenario *load(const char *text, char **sets, GError **error)
{
    return hnb_scenario_load_data(text, strlen(text), "test.ini", schemas, sets, error);
}

/* Loads `text` (with `sets`), expects HNB_ERROR_INPUT and every one of `needles` in the message. */
static void expect_error(const char *text, char **sets, const char *const *needles)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load(text, sets, &e);
    g_assert_null(sc);
    g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
    g_test_message("message: %s", e->message);
    for (const char *const *n = needles; *n; n++)
        if (!strstr(e->message, *n))
            g_error("message \"%s\" lacks \"%s\"", e->message, *n);
}

#define EXPECT(text, sets, ...) expect_error(text, sets, (const char *const[]){__VA_ARGS__, NULL})

/* The exact message, for the forms scenario.h promises. */
static void expect_message(const char *text, char **sets, const char *message)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load(text, sets, &e);
    g_assert_null(sc);
    g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_cmpstr(e->message, ==, message);
}

/* ---- values and defaults --------------------------------------------------------------------------------------- */

static void test_defaults(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = x\n", NULL, &e);
    g_assert_no_error(e);

    g_assert_cmpstr(hnb_scenario_string(sc, "scenario", "name"), ==, "x");
    g_assert_cmpint(hnb_scenario_time(sc, "scenario", "duration"), ==, HNB_HOUR);
    g_assert_cmpfloat(hnb_scenario_number(sc, "scenario", "duration"), ==, 3600e9);
    g_assert_cmpint(hnb_scenario_int(sc, "scenario", "seed"), ==, 1);
    g_assert_cmpint(hnb_scenario_int(sc, "scenario", "replications"), ==, 1);
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "workers"), ==, 4);
    const HnbDist *d = hnb_scenario_dist(sc, "acs", "service");
    g_assert_cmpint(d->kind, ==, HNB_DIST_EXP);
    g_assert_cmpfloat(d->a, ==, 200e6);
    g_assert_cmpstr(hnb_scenario_string(sc, "acs", "mode"), ==, "queue");
    g_assert_true(hnb_scenario_bool(sc, "acs", "tls"));
    g_assert_cmpfloat(hnb_scenario_number(sc, "acs", "bandwidth"), ==, 1e9);
    g_assert_cmpfloat(hnb_scenario_number(sc, "acs", "fraction"), ==, 0.5);
    g_assert_cmpstr(hnb_scenario_string(sc, "acs", "label"), ==, "");
    g_assert_cmpint(hnb_scenario_int(sc, "fleet", "size"), ==, 100);
    g_assert_cmpstr(hnb_scenario_text(sc, "scenario", "duration"), ==, "1h");
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "service"), ==, "exp(200ms)");
    g_assert_cmpstr(hnb_scenario_source(sc), ==, "test.ini");
}

static const char full[] =
    "# a full scenario\r\n"
    "; semicolon comments too\n"
    "  [scenario]  \n"
    "name = My run   \n"
    "duration=2h30m\n"
    "\tseed = 42\n"
    "replications = 10000\n"
    "\n"
    "[acs]\n"
    "workers = 16\n"
    "service = uniform(10ms, 2s)\n"
    "mode = reject\n"
    "tls = Off\n"
    "bandwidth = 100Mbit/s\n"
    "fraction = 20%\n"
    "label = a # not a comment\n"
    "[fleet]\n"
    "size = 5000\n"
    "offset = normal(-1, 0.5)\n"
    "jitter = exp(2s)";

static void test_values(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load(full, NULL, &e);
    g_assert_no_error(e);

    g_assert_cmpstr(hnb_scenario_string(sc, "scenario", "name"), ==, "My run");
    g_assert_cmpint(hnb_scenario_time(sc, "scenario", "duration"), ==, 2 * HNB_HOUR + 30 * HNB_MIN);
    g_assert_cmpint(hnb_scenario_int(sc, "scenario", "seed"), ==, 42);
    g_assert_cmpint(hnb_scenario_int(sc, "scenario", "replications"), ==, 10000);
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "workers"), ==, 16);
    const HnbDist *d = hnb_scenario_dist(sc, "acs", "service");
    g_assert_cmpint(d->kind, ==, HNB_DIST_UNIFORM);
    g_assert_cmpfloat(d->a, ==, 10e6);
    g_assert_cmpfloat(d->b, ==, 2e9);
    g_assert_cmpstr(hnb_scenario_string(sc, "acs", "mode"), ==, "reject");
    g_assert_false(hnb_scenario_bool(sc, "acs", "tls"));
    g_assert_cmpfloat(hnb_scenario_number(sc, "acs", "bandwidth"), ==, 1e8);
    g_assert_cmpfloat(hnb_scenario_number(sc, "acs", "fraction"), ==, 0.2);
    /* GKeyFile semantics: "#" inside a value is part of it */
    g_assert_cmpstr(hnb_scenario_string(sc, "acs", "label"), ==, "a # not a comment");
    g_assert_cmpint(hnb_scenario_int(sc, "fleet", "size"), ==, 5000);
    g_assert_cmpint(hnb_scenario_dist(sc, "fleet", "offset")->kind, ==, HNB_DIST_NORMAL);
    g_assert_cmpfloat(hnb_dist_mean(hnb_scenario_dist(sc, "fleet", "jitter")), ==, 2e9);
    g_assert_cmpstr(hnb_scenario_text(sc, "acs", "tls"), ==, "Off");
}

static void test_bom(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load("\xef\xbb\xbf[scenario]\nname = bom\n", NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(hnb_scenario_string(sc, "scenario", "name"), ==, "bom");
}

static void test_bool_forms(void)
{
    static const struct {
        const char *text;
        gboolean value;
    } cases[] = {{"true", TRUE}, {"false", FALSE}, {"yes", TRUE}, {"no", FALSE}, {"on", TRUE},
                 {"off", FALSE}, {"1", TRUE},      {"0", FALSE},  {"TRUE", TRUE}, {"No", FALSE}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf("[scenario]\nname=x\n[acs]\ntls = %s\n", cases[i].text);
        g_autoptr(GError) e = NULL;
        g_autoptr(HnbScenario) sc = load(text, NULL, &e);
        g_assert_no_error(e);
        g_assert_cmpint(hnb_scenario_bool(sc, "acs", "tls"), ==, cases[i].value);
    }
}

static void test_escapes(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = \\s two\\tparts\\\\ \\s\n", NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(hnb_scenario_string(sc, "scenario", "name"), ==, "  two\tparts\\  ");
}

static void test_load_file(void)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *dir = g_dir_make_tmp("test-scenario-XXXXXX", &e);
    g_assert_no_error(e);
    g_autofree char *path = g_build_filename(dir, "run.ini", NULL);
    g_assert_true(g_file_set_contents(path, full, -1, &e));

    g_autoptr(HnbScenario) sc = hnb_scenario_load(path, schemas, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(hnb_scenario_source(sc), ==, path);
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "workers"), ==, 16);

    g_autofree char *missing = g_build_filename(dir, "missing.ini", NULL);
    g_autoptr(HnbScenario) none = hnb_scenario_load(missing, schemas, NULL, &e);
    g_assert_null(none);
    g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(e->message, "missing.ini"));
    g_remove(path);
    g_rmdir(dir);
}

/* ---- --set ----------------------------------------------------------------------------------------------------- */

static void test_set_override(void)
{
    char *sets[] = {"acs.workers=32", "scenario.name = from the command line ", "acs.workers=64",
                    "acs.service=const(1s)", "fleet.offset=-3", NULL};
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load(full, sets, &e);
    g_assert_no_error(e);
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "workers"), ==, 64); /* the last --set wins */
    g_assert_cmpstr(hnb_scenario_string(sc, "scenario", "name"), ==, "from the command line");
    g_assert_cmpint(hnb_scenario_dist(sc, "acs", "service")->kind, ==, HNB_DIST_CONST);
    g_assert_cmpint(hnb_scenario_int(sc, "scenario", "seed"), ==, 42); /* untouched keys keep the file's value */

    /* a --set may provide a required key the file lacks */
    char *name[] = {"scenario.name=given", NULL};
    g_autoptr(HnbScenario) sc2 = load("", name, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(hnb_scenario_string(sc2, "scenario", "name"), ==, "given");
}

static void test_split_set(void)
{
    g_autofree char *g = NULL, *k = NULL, *v = NULL;
    g_autoptr(GError) e = NULL;

    g_assert_true(hnb_scenario_split_set("acs.service=normal(1.5s,0.2s)", &g, &k, &v, &e));
    g_assert_no_error(e);
    g_assert_cmpstr(g, ==, "acs");
    g_assert_cmpstr(k, ==, "service");
    g_assert_cmpstr(v, ==, "normal(1.5s,0.2s)");
    g_clear_pointer(&g, g_free);
    g_clear_pointer(&k, g_free);
    g_clear_pointer(&v, g_free);

    /* split at the first dot and the first '=': the value may hold both */
    g_assert_true(hnb_scenario_split_set("a.b.c=x=1.5", &g, &k, &v, &e));
    g_assert_cmpstr(g, ==, "a");
    g_assert_cmpstr(k, ==, "b.c");
    g_assert_cmpstr(v, ==, "x=1.5");

    static const char *const bad[] = {"acs", "acs.workers", "acsworkers=5", ".workers=5", "acs.=5", "=5", "w=1.5"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *g2 = NULL, *k2 = NULL, *v2 = NULL;
        g_assert_false(hnb_scenario_split_set(bad[i], &g2, &k2, &v2, &e));
        g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
        g_assert_true(g_str_has_prefix(e->message, "--set "));
        g_assert_nonnull(strstr(e->message, bad[i]));
        g_assert_null(g2);
        g_clear_error(&e);
    }
}

/* ---- errors ---------------------------------------------------------------------------------------------------- */

static void test_err_syntax(void)
{
    EXPECT("[scenario]\nname = x\n[acs\n", NULL, "test.ini:3: syntax error", "[acs");
    EXPECT("[scenario]\nname = x\nworkers 5\n", NULL, "test.ini:3: syntax error", "workers 5");
    EXPECT("[scenario] # hello\nname = x\n", NULL, "test.ini:1: syntax error", "# hello");
    EXPECT("name = x\n[scenario]\n", NULL, "test.ini:1: syntax error", "\"name\"", "before any [group]");
    EXPECT("[scenario]\n= x\n", NULL, "test.ini:2: syntax error", "key name is missing");
    EXPECT("[scenario]\nname = x\n[]\n", NULL, "test.ini:3: syntax error", "empty group name");
    EXPECT("[scenario]\nna]me = x\n", NULL, "test.ini:2: syntax error", "na]me");
    EXPECT("[scenario]\nname = \xff\xfe\n", NULL, "test.ini:2: syntax error", "UTF-8");
    /* a NUL byte, which GKeyFile would silently cut the line at */
    static const char nul[] = "[scenario]\nname = a\0b\n";
    g_autoptr(GError) e = NULL;
    g_assert_null(hnb_scenario_load_data(nul, sizeof nul - 1, "test.ini", schemas, NULL, &e));
    g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
    g_assert_nonnull(strstr(e->message, "test.ini:2: syntax error"));
}

static void test_err_locale(void)
{
    EXPECT("[scenario]\nname = x\nname[fr] = y\n", NULL, "test.ini:3:", "[scenario]", "name[fr]", "locale");
}

static void test_err_unknown_key(void)
{
    expect_message("[scenario]\nname = x\n[acs]\nwokers = 5\n", NULL,
                   "test.ini:4: unknown key \"wokers\" in [acs] (did you mean \"workers\"?)");
    /* transposition, prefix, case */
    EXPECT("[acs]\nwokrers = 5\n", NULL, "test.ini:2:", "\"wokrers\"", "did you mean \"workers\"");
    EXPECT("[acs]\nband = 5\n", NULL, "test.ini:2:", "did you mean \"bandwidth\"");
    EXPECT("[acs]\nWORKERS = 5\n", NULL, "did you mean \"workers\"");
    /* the same key name in another group */
    expect_message("[scenario]\nname = x\n[fleet]\nworkers = 5\n", NULL,
                   "test.ini:4: unknown key \"workers\" in [fleet] (did you mean [acs] workers?)");
    /* nothing close: the group's keys are listed */
    EXPECT("[fleet]\nzzzzzz = 1\n", NULL, "test.ini:2: unknown key \"zzzzzz\" in [fleet]", "size, offset");
}

static void test_err_unknown_group(void)
{
    expect_message("[scenario]\nname = x\n\n[acss]\nworkers = 5\n", NULL,
                   "test.ini:4: unknown group [acss] (did you mean [acs]?)");
    EXPECT("[senario]\n", NULL, "test.ini:1:", "[senario]", "did you mean [scenario]");
    EXPECT("[kitchen]\n", NULL, "test.ini:1:", "[kitchen]", "[scenario], [acs], [fleet]");
    /* a prefix beats a two-edit match on a short name */
    EXPECT("[sce]\n", NULL, "test.ini:1:", "did you mean [scenario]");
}

static void test_err_bad_int(void)
{
    expect_message("[scenario]\nname = x\n[acs]\nworkers = abc\n", NULL,
                   "test.ini:4: [acs] workers = \"abc\": expected an integer in 1..100000 (TLS worker threads)");
    EXPECT("[acs]\nworkers = 1.5\n", NULL, "test.ini:2:", "[acs] workers", "\"1.5\"", "integer");
    EXPECT("[acs]\nworkers = 99999999999999999999999\n", NULL, "test.ini:2:", "99999999999999999999999", "integer");
}

static void test_err_range(void)
{
    EXPECT("[scenario]\nname = x\nreplications = 0\n", NULL, "test.ini:3:", "[scenario] replications", "\"0\"",
           "in 1..10000");
    EXPECT("[scenario]\nname = x\nreplications = 10001\n", NULL, "test.ini:3:", "\"10001\"", "1..10000");
    EXPECT("[scenario]\nseed = -1\n", NULL, "test.ini:2:", "[scenario] seed", "\"-1\"", ">= 0");
    EXPECT("[scenario]\nduration = 500ms\n", NULL, "test.ini:2:", "[scenario] duration", "\"500ms\"",
           "a duration >= 1s");
    EXPECT("[acs]\nbandwidth = 200Gbps\n", NULL, "test.ini:2:", "[acs] bandwidth", "\"200Gbps\"", "1kbps..100Gbps");
    /* a distribution with finite support is checked against the range, an unbounded one is not */
    EXPECT("[acs]\nservice = uniform(0s, 1s)\n", NULL, "test.ini:2:", "[acs] service", "uniform(0s, 1s)",
           "1ms..10min");
    EXPECT("[acs]\nservice = empirical(1s:1, 1h:1)\n", NULL, "test.ini:2:", "1ms..10min");
    EXPECT("[fleet]\noffset = const(6)\n", NULL, "test.ini:2:", "[fleet] offset", "-5..5");
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load("[scenario]\nname=x\n[acs]\nservice = exp(1h)\n", NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpint(hnb_scenario_dist(sc, "acs", "service")->kind, ==, HNB_DIST_EXP);
}

static void test_err_bad_enum(void)
{
    expect_message("[scenario]\nname = x\n[acs]\nmode = queu\n", NULL,
                   "test.ini:4: [acs] mode = \"queu\": expected one of: queue, reject, drop (did you mean \"queue\"?) "
                   "(policy when all busy)");
    EXPECT("[acs]\nmode = fifo\n", NULL, "test.ini:2:", "[acs] mode", "\"fifo\"", "queue, reject, drop");
}

static void test_err_bad_bool(void)
{
    EXPECT("[acs]\ntls = maybe\n", NULL, "test.ini:2:", "[acs] tls", "\"maybe\"", "true/false");
}

static void test_err_bad_unit(void)
{
    EXPECT("[acs]\nbandwidth = 10 furlongs\n", NULL, "test.ini:2:", "[acs] bandwidth", "\"10 furlongs\"",
           "bit rate");
    EXPECT("[scenario]\nduration = 5 parsecs\n", NULL, "test.ini:2:", "[scenario] duration", "\"5 parsecs\"",
           "duration");
    EXPECT("[acs]\nfraction = 120%\n", NULL, "test.ini:2:", "[acs] fraction", "\"120%\"", "fraction");
}

static void test_err_bad_dist(void)
{
    EXPECT("[acs]\nservice = gamma(2, 1s)\n", NULL, "test.ini:2:", "[acs] service", "gamma(2, 1s)", "unknown");
    EXPECT("[acs]\nservice = exp(30s\n", NULL, "test.ini:2:", "[acs] service", "exp(30s", ")");
    EXPECT("[acs]\nservice = uniform(2s,1s)\n", NULL, "test.ini:2:", "uniform(2s,1s)");
}

static void test_err_inline_comment(void)
{
    EXPECT("[acs]\nservice = 30s # typical\n", NULL, "test.ini:2:", "[acs] service", "30s # typical",
           "inline comments are not allowed");
    EXPECT("[acs]\nworkers = 5 ; five\n", NULL, "test.ini:2:", "inline comments are not allowed");
}

static void test_err_bad_escape(void)
{
    EXPECT("[scenario]\nname = a\\qb\n", NULL, "test.ini:2:", "[scenario] name", "a\\qb", "\\q");
    EXPECT("[scenario]\nname = ab\\\n", NULL, "test.ini:2:", "[scenario] name", "ab\\");
}

static void test_err_empty_value(void)
{
    expect_message("[scenario]\nname = x\n[acs]\nworkers =\n", NULL,
                   "test.ini:4: [acs] workers = \"\": empty value (TLS worker threads)");
    EXPECT("[scenario]\nname =   \n", NULL, "test.ini:2:", "[scenario] name", "empty value");
}

static void test_err_duplicate_key(void)
{
    expect_message("[scenario]\nname = x\n[acs]\nworkers = 5\n\nworkers = 6\n", NULL,
                   "test.ini:6: duplicate key \"workers\" in [acs] (first set on line 4)");
}

static void test_err_duplicate_group(void)
{
    EXPECT("[scenario]\nname = x\n[acs]\nworkers = 5\n[scenario]\nseed = 2\n", NULL, "test.ini:5:",
           "duplicate group [scenario]", "line 1");
}

static void test_err_missing_required(void)
{
    expect_message("[acs]\nworkers = 5\n", NULL,
                   "test.ini: [scenario] name: required key is missing (name of the run)");
}

static void test_err_set_syntax(void)
{
    char *sets[] = {"acsworkers=5", NULL};
    EXPECT("[scenario]\nname = x\n", sets, "--set acsworkers=5: ", "group.key=value");
    char *sets2[] = {"acs.workers", NULL};
    EXPECT("[scenario]\nname = x\n", sets2, "--set acs.workers: ");
}

static void test_err_set_unknown(void)
{
    char *sets[] = {"acs.wokers=5", NULL};
    expect_message("[scenario]\nname = x\n", sets,
                   "--set acs.wokers=5: unknown key \"wokers\" in [acs] (did you mean \"workers\"?)");
    char *sets2[] = {"acss.workers=5", NULL};
    EXPECT("[scenario]\nname = x\n", sets2, "--set acss.workers=5: ", "unknown group [acss]", "did you mean [acs]");
    char *sets3[] = {"fleet.workers=5", NULL};
    EXPECT("[scenario]\nname = x\n", sets3, "--set fleet.workers=5: ", "did you mean [acs] workers");
}

static void test_err_set_value(void)
{
    char *sets[] = {"acs.workers=abc", NULL};
    expect_message("[scenario]\nname = x\n", sets,
                   "--set acs.workers=abc: expected an integer in 1..100000 (TLS worker threads)");
    char *sets2[] = {"acs.workers=", NULL};
    EXPECT("[scenario]\nname = x\n", sets2, "--set acs.workers=: ", "empty value");
    char *sets3[] = {"scenario.duration=0s", NULL};
    EXPECT("[scenario]\nname = x\n", sets3, "--set scenario.duration=0s: ", ">= 1s");
}

/* The file is checked before the overrides: a bad file value is an error even when a --set replaces it. */
static void test_err_order(void)
{
    char *sets[] = {"acs.workers=5", NULL};
    EXPECT("[scenario]\nname = x\n[acs]\nworkers = abc\n", sets, "test.ini:4:");
}

/* ---- the resolved file ----------------------------------------------------------------------------------------- */

static void assert_same(const HnbScenario *a, const HnbScenario *b)
{
    for (const HnbKeySpec *const *t = schemas; *t; t++)
        for (const HnbKeySpec *k = *t; k->group; k++)
            g_assert_cmpstr(hnb_scenario_text(a, k->group, k->key), ==, hnb_scenario_text(b, k->group, k->key));
    g_assert_cmpint(hnb_scenario_time(a, "scenario", "duration"), ==, hnb_scenario_time(b, "scenario", "duration"));
    g_assert_cmpfloat(hnb_scenario_dist(a, "acs", "service")->a, ==, hnb_scenario_dist(b, "acs", "service")->a);
    g_assert_cmpfloat(hnb_scenario_number(a, "acs", "fraction"), ==, hnb_scenario_number(b, "acs", "fraction"));
}

static void round_trip(const char *text, char **sets)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) a = load(text, sets, &e);
    g_assert_no_error(e);
    g_autofree char *data = hnb_scenario_to_data(a);
    g_test_message("%s", data);
    g_autoptr(HnbScenario) b = load(data, NULL, &e);
    g_assert_no_error(e);
    assert_same(a, b);

    /* deterministic bytes, and a fixed point: the resolved file of the resolved file is the same file */
    g_autofree char *again = hnb_scenario_to_data(a);
    g_assert_cmpstr(data, ==, again);
    g_autofree char *twice = hnb_scenario_to_data(b);
    g_assert_cmpstr(data, ==, twice);
}

static void test_to_data(void)
{
    round_trip("[scenario]\nname = x\n", NULL);
    round_trip(full, NULL);
    round_trip("[scenario]\nname = \\s\\s lead and trail \\s\\s\n[acs]\nlabel = back\\\\slash \\t tab\\n\n", NULL);
    char *sets[] = {"scenario.name=line\nbreak  \\s", "acs.label=x ; y # z", "acs.service=empirical(1s:1, 2s:3)",
                    NULL};
    round_trip(full, sets);

    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load(full, NULL, &e);
    g_autofree char *data = hnb_scenario_to_data(sc);
    g_assert_true(g_str_has_prefix(data, "# Scenario resolved by hnbsim"));
    g_assert_nonnull(strstr(data, "reproduces the run"));
    g_assert_nonnull(strstr(data, "# simulated time\n# duration, range >= 1s, default 1h\nduration = 2h30m\n"));
    g_assert_nonnull(strstr(data, "name = My run\n"));
    /* every key of every table, groups in first-appearance order */
    const char *at = data;
    for (const HnbKeySpec *const *t = schemas; *t; t++)
        for (const HnbKeySpec *k = *t; k->group; k++) {
            g_autofree char *line = g_strdup_printf("\n%s = ", k->key);
            g_assert_nonnull(strstr(data, line));
        }
    at = strstr(data, "[scenario]");
    g_assert_nonnull(at);
    at = strstr(at, "[acs]");
    g_assert_nonnull(at);
    g_assert_nonnull(strstr(at, "\nlabel = ")); /* the second table's [acs] key joins the first's group */
    at = strstr(at, "[fleet]");
    g_assert_nonnull(at);
    g_assert_null(strstr(at + 1, "[acs]")); /* [acs] appears once */
}

static void test_to_data_empty_default(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = x\n", NULL, &e);
    g_autofree char *data = hnb_scenario_to_data(sc);
    /* an empty resolved value cannot be written as a value; it is left to the (empty) default */
    g_assert_nonnull(strstr(data, "\n# label =\n"));
    /* an optional distribution likewise: no distribution until given */
    g_assert_nonnull(strstr(data, "\n# jitter =\n"));
    g_assert_null(hnb_scenario_dist(sc, "fleet", "jitter"));
    round_trip("[scenario]\nname = x\n", NULL);
    g_autoptr(HnbScenario) given = load("[scenario]\nname = x\n[fleet]\njitter = uniform(1s,3s)\n", NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpfloat(hnb_dist_mean(hnb_scenario_dist(given, "fleet", "jitter")), ==, 2e9);
    round_trip("[scenario]\nname = x\n[fleet]\njitter = uniform(1s,3s)\n", NULL);
}

static void test_describe(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    hnb_scenario_describe(schemas, out);
    g_test_message("%s", out->str);
    for (const HnbKeySpec *const *t = schemas; *t; t++)
        for (const HnbKeySpec *k = *t; k->group; k++) {
            g_autofree char *name = g_strdup_printf("%s.%s ", k->group, k->key);
            g_assert_nonnull(strstr(out->str, name));
            g_assert_nonnull(strstr(out->str, k->doc));
        }
    g_assert_nonnull(strstr(out->str, "queue|reject|drop"));
    g_assert_nonnull(strstr(out->str, "(required)"));
    g_assert_nonnull(strstr(out->str, "1..10000"));
    /* aligned: the doc column starts at the same place on every key line */
    g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);
    const char *first = strstr(lines[0], "DESCRIPTION");
    g_assert_nonnull(first);
    glong column = first - lines[0];
    for (char **l = lines + 1; *l; l++) {
        if (!**l)
            continue;
        for (const HnbKeySpec *const *t = schemas; *t; t++)
            for (const HnbKeySpec *k = *t; k->group; k++) {
                const char *doc = strstr(*l, k->doc);
                if (doc && g_str_has_suffix(*l, k->doc))
                    g_assert_cmpint(doc - *l, ==, column);
            }
    }
}

/* ---- programming errors ---------------------------------------------------------------------------------------- */

static void test_getter_wrong_type(void)
{
    if (g_test_subprocess()) {
        g_autoptr(HnbScenario) sc = load("[scenario]\nname = x\n", NULL, NULL);
        hnb_scenario_int(sc, "acs", "mode");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*[acs] mode*");
}

static void test_getter_unknown_key(void)
{
    if (g_test_subprocess()) {
        g_autoptr(HnbScenario) sc = load("[scenario]\nname = x\n", NULL, NULL);
        hnb_scenario_string(sc, "acs", "nope");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*[acs] nope*");
}

static void test_bad_default(void)
{
    static const HnbKeySpec broken[] = {
        {"x", "n", HNB_KEY_INT, HNB_UNIT_NONE, "ten", NULL, NULL, NULL, "a bad default"},
        HNB_KEY_END,
    };
    static const HnbKeySpec *const bad[] = {broken, NULL};
    if (g_test_subprocess()) {
        hnb_scenario_load_data("", 0, "t", bad, NULL, NULL);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*[x] n*ten*");
}

/* What a sweep's grid relies on: the line a key came from, and a value checked as a file value would be. */
static void test_line_and_check_value(void)
{
    char *sets[] = {"acs.mode=reject", NULL};
    g_autoptr(GError) e = NULL;
    g_autoptr(HnbScenario) sc = load("[scenario]\nname = x\n\n[acs]\nworkers = 3\nmode = drop\n", sets, &e);
    g_assert_no_error(e);
    g_assert_cmpint(hnb_scenario_line(sc, "acs", "workers"), ==, 5);
    g_assert_cmpint(hnb_scenario_line(sc, "acs", "mode"), ==, 0);     /* the --set won */
    g_assert_cmpint(hnb_scenario_line(sc, "acs", "service"), ==, 0);  /* a default */
    g_assert_true(hnb_scenario_spec(sc, "acs", "bandwidth")->unit == HNB_UNIT_BITRATE);
    g_assert_null(hnb_scenario_spec(sc, "acs", "nope"));
    g_assert_true(hnb_scenario_check_value(sc, "acs", "bandwidth", "10Gbps", &e));
    g_assert_true(hnb_scenario_check_value(sc, "fleet", "offset", "uniform(-1,1)", &e));
    static const struct {
        const char *group, *key, *value, *expect;
    } bad[] = {
        {"acs", "bandwidth", "1Tbps", "[acs] bandwidth = \"1Tbps\": expected a bit rate in 1kbps..100Gbps"},
        {"acs", "workers", "0", "expected an integer in 1..100000 (TLS worker threads)"},
        {"acs", "mode", "dorp", "did you mean \"drop\""},
        {"acs", "wrokers", "3", "unknown key \"wrokers\" in [acs] (did you mean \"workers\"?)"},
        {"acz", "workers", "3", "unknown group [acz] (did you mean [acs]?)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&e);
        g_assert_false(hnb_scenario_check_value(sc, bad[i].group, bad[i].key, bad[i].value, &e));
        g_assert_error(e, HNB_ERROR, HNB_ERROR_INPUT);
        if (!strstr(e->message, bad[i].expect))
            g_error("message \"%s\" lacks \"%s\"", e->message, bad[i].expect);
    }
    /* checking never changes the scenario */
    g_assert_cmpint(hnb_scenario_int(sc, "acs", "workers"), ==, 3);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/scenario/values/defaults", test_defaults);
    g_test_add_func("/scenario/values/full", test_values);
    g_test_add_func("/scenario/values/bool-forms", test_bool_forms);
    g_test_add_func("/scenario/values/escapes", test_escapes);
    g_test_add_func("/scenario/values/byte-order-mark", test_bom);
    g_test_add_func("/scenario/values/load-file", test_load_file);
    g_test_add_func("/scenario/set/override", test_set_override);
    g_test_add_func("/scenario/set/split", test_split_set);
    g_test_add_func("/scenario/errors/syntax", test_err_syntax);
    g_test_add_func("/scenario/errors/locale-key", test_err_locale);
    g_test_add_func("/scenario/errors/unknown-key", test_err_unknown_key);
    g_test_add_func("/scenario/errors/unknown-group", test_err_unknown_group);
    g_test_add_func("/scenario/errors/bad-int", test_err_bad_int);
    g_test_add_func("/scenario/errors/out-of-range", test_err_range);
    g_test_add_func("/scenario/errors/bad-enum", test_err_bad_enum);
    g_test_add_func("/scenario/errors/bad-bool", test_err_bad_bool);
    g_test_add_func("/scenario/errors/bad-unit", test_err_bad_unit);
    g_test_add_func("/scenario/errors/bad-dist", test_err_bad_dist);
    g_test_add_func("/scenario/errors/inline-comment", test_err_inline_comment);
    g_test_add_func("/scenario/errors/bad-escape", test_err_bad_escape);
    g_test_add_func("/scenario/errors/empty-value", test_err_empty_value);
    g_test_add_func("/scenario/errors/duplicate-key", test_err_duplicate_key);
    g_test_add_func("/scenario/errors/duplicate-group", test_err_duplicate_group);
    g_test_add_func("/scenario/errors/missing-required", test_err_missing_required);
    g_test_add_func("/scenario/errors/set-syntax", test_err_set_syntax);
    g_test_add_func("/scenario/errors/set-unknown", test_err_set_unknown);
    g_test_add_func("/scenario/errors/set-value", test_err_set_value);
    g_test_add_func("/scenario/errors/file-before-set", test_err_order);
    g_test_add_func("/scenario/to-data/round-trip", test_to_data);
    g_test_add_func("/scenario/to-data/empty-default", test_to_data_empty_default);
    g_test_add_func("/scenario/describe", test_describe);
    g_test_add_func("/scenario/programming/getter-wrong-type", test_getter_wrong_type);
    g_test_add_func("/scenario/programming/getter-unknown-key", test_getter_unknown_key);
    g_test_add_func("/scenario/programming/bad-default", test_bad_default);
    g_test_add_func("/scenario/line-and-check-value", test_line_and_check_value);
    return g_test_run();
}
