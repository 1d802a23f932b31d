/* tests/test-results.c — run directories, summaries, time series, figures. */
#include "results/bands.h"
#include "results/csv.h"
#include "results/format.h"
#include "results/results.h"
#include "sim/time.h"

#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

static void rm_rf(const char *path)
{
    GStatBuf st;
    if (g_lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        GDir *d = g_dir_open(path, 0, NULL);
        g_assert_nonnull(d);
        const char *name;
        while ((name = g_dir_read_name(d)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
        g_dir_close(d);
        g_assert_cmpint(g_rmdir(path), ==, 0);
    } else {
        g_assert_cmpint(g_unlink(path), ==, 0);
    }
}

typedef struct {
    char *root; /* scratch directory */
    char *dir;  /* root/run: the run directory under test */
    char *tmp;  /* root/run.tmp */
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    f->root = g_dir_make_tmp("hnb-results-XXXXXX", &error);
    g_assert_no_error(error);
    f->dir = g_build_filename(f->root, "run", NULL);
    f->tmp = g_strconcat(f->dir, ".tmp", NULL);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    rm_rf(f->root);
    g_free(f->root);
    g_free(f->dir);
    g_free(f->tmp);
}

static gboolean exists(const char *path)
{
    GStatBuf st;
    return g_lstat(path, &st) == 0;
}

static char *slurp(const char *dir, const char *rel, gsize *len)
{
    g_autofree char *path = g_build_filename(dir, rel, NULL);
    char *text = NULL;
    GError *error = NULL;
    g_file_get_contents(path, &text, len, &error);
    g_assert_no_error(error);
    return text;
}

static void put(const char *dir, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(dir, rel, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0777), ==, 0);
    GError *error = NULL;
    g_file_set_contents(path, text, -1, &error);
    g_assert_no_error(error);
}

/* Names in root other than "keep", for spotting leftovers such as run.old-0 or run.tmp. */
static guint count_entries(const char *root)
{
    GDir *d = g_dir_open(root, 0, NULL);
    g_assert_nonnull(d);
    guint n = 0;
    while (g_dir_read_name(d) != NULL)
        n++;
    g_dir_close(d);
    return n;
}

/* Parse a JSON file with python3 if it is there; FALSE (and the test is marked skipped) if not. */
static gboolean python_json_ok(const char *path, const char *check)
{
    g_autofree char *python = g_find_program_in_path("python3");
    if (python == NULL) {
        g_test_skip("python3 not found: JSON not parsed back");
        return FALSE;
    }
    g_autofree char *code = g_strdup_printf("import json,sys\nd=json.load(open(sys.argv[1]))\n%s\n",
                                            check != NULL ? check : "");
    const char *argv[] = {python, "-c", code, path, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
    g_assert_no_error(error);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        g_error("python3 rejected %s:\n%s", path, err);
    return TRUE;
}

static const HnbStamp stamp = {.scenario = "unit-test", .seed = 42, .replications = 3, .version = "0.0-test"};

/* ---- run directories ---- */

static void test_rundir_commit(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    g_assert_nonnull(rd);
    g_assert_cmpstr(hnb_rundir_tmp_path(rd), ==, f->tmp);
    g_assert_true(g_file_test(f->tmp, G_FILE_TEST_IS_DIR));
    g_assert_false(exists(f->dir));

    g_assert_true(hnb_rundir_write(rd, "a/b/c.txt", "hello", -1, &error));
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_write(rd, "empty", "", 0, &error));
    g_assert_true(hnb_rundir_write(rd, "bin", "x\0y", 3, &error));
    g_assert_no_error(error);
    g_assert_false(exists(f->dir)); /* nothing at DIR before commit */

    g_assert_true(hnb_rundir_commit(rd, &error));
    g_assert_no_error(error);
    g_assert_false(exists(f->tmp));
    g_autofree char *c = slurp(f->dir, "a/b/c.txt", NULL);
    g_assert_cmpstr(c, ==, "hello");
    gsize len = 99;
    g_autofree char *e = slurp(f->dir, "empty", &len);
    g_assert_nonnull(e);
    g_assert_cmpuint(len, ==, 0);
    g_autofree char *b = slurp(f->dir, "bin", &len);
    g_assert_cmpmem(b, len, "x\0y", 3);
    g_assert_cmpuint(count_entries(f->root), ==, 1);
}

static void test_rundir_refuse_existing(Fixture *f, gconstpointer data)
{
    (void)data;
    put(f->dir, "old.txt", "old");
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_null(rd);
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_autofree char *want = g_strdup_printf("%s: exists; use --force to replace it", f->dir);
    g_assert_cmpstr(error->message, ==, want);
    g_clear_error(&error);
    g_assert_false(exists(f->tmp));

    /* a trailing slash names the same directory, not DIR/.tmp */
    g_autofree char *slashed = g_strconcat(f->dir, "/", NULL);
    rd = hnb_rundir_begin(slashed, FALSE, &error);
    g_assert_null(rd);
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_clear_error(&error);
    g_autofree char *old = slurp(f->dir, "old.txt", NULL);
    g_assert_cmpstr(old, ==, "old");
}

static void test_rundir_force_replaces(Fixture *f, gconstpointer data)
{
    (void)data;
    put(f->dir, "old.txt", "old");
    put(f->dir, "sub/deep/old2.txt", "old");
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, TRUE, &error);
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_write(rd, "new.txt", "new", -1, &error));
    g_assert_no_error(error);
    g_assert_true(exists(f->dir)); /* old DIR stays until commit */

    g_assert_true(hnb_rundir_commit(rd, &error));
    g_assert_no_error(error);
    g_autofree char *old_txt = g_build_filename(f->dir, "old.txt", NULL);
    g_assert_false(exists(old_txt));
    g_autofree char *new_txt = slurp(f->dir, "new.txt", NULL);
    g_assert_cmpstr(new_txt, ==, "new");
    g_assert_cmpuint(count_entries(f->root), ==, 1); /* no run.tmp, no run.old-N */
}

static void test_rundir_abort(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;

    /* fresh: nothing anywhere afterwards */
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_write(rd, "x/y.txt", "y", -1, &error));
    hnb_rundir_abort(rd);
    g_assert_false(exists(f->tmp));
    g_assert_false(exists(f->dir));
    g_assert_cmpuint(count_entries(f->root), ==, 0);

    /* forced over an existing DIR: the old DIR survives an abort untouched */
    put(f->dir, "old.txt", "old");
    rd = hnb_rundir_begin(f->dir, TRUE, &error);
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_write(rd, "new.txt", "new", -1, &error));
    hnb_rundir_abort(rd);
    g_assert_false(exists(f->tmp));
    g_autofree char *old = slurp(f->dir, "old.txt", NULL);
    g_assert_cmpstr(old, ==, "old");
    g_assert_cmpuint(count_entries(f->root), ==, 1);

    hnb_rundir_abort(NULL);
}

static void test_rundir_stale_tmp(Fixture *f, gconstpointer data)
{
    (void)data;
    /* a stale DIR.tmp with nested content and a link pointing outside, which must not be followed */
    g_autofree char *outside = g_build_filename(f->root, "outside", NULL);
    put(outside, "precious.txt", "keep me");
    put(f->tmp, "a/b/c.txt", "stale");
    put(f->tmp, "top.txt", "stale");
    g_autofree char *link = g_build_filename(f->tmp, "a", "link", NULL);
    g_assert_cmpint(symlink(outside, link), ==, 0);

    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(count_entries(f->tmp), ==, 0); /* emptied and recreated */
    g_autofree char *precious = slurp(outside, "precious.txt", NULL);
    g_assert_cmpstr(precious, ==, "keep me");
    hnb_rundir_abort(rd);
    g_assert_false(exists(f->tmp));
}

static void test_rundir_commit_raced(Fixture *f, gconstpointer data)
{
    (void)data;
    /* DIR appears between begin and commit without --force: refused, and the tmp tree is cleaned up */
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    put(f->dir, "theirs.txt", "theirs");
    g_assert_false(hnb_rundir_commit(rd, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_clear_error(&error);
    g_assert_false(exists(f->tmp));
    g_autofree char *theirs = slurp(f->dir, "theirs.txt", NULL);
    g_assert_cmpstr(theirs, ==, "theirs");
}

/* ---- numbers ---- */

static void test_fmt(void)
{
    char buf[32];
    g_assert_cmpstr(hnb_results_fmt(0.1, buf), ==, "0.1");
    g_assert_cmpstr(hnb_results_fmt(2.5, buf), ==, "2.5");
    g_assert_cmpstr(hnb_results_fmt(1.0 / 3.0, buf), ==, "0.3333333333");
    g_assert_cmpstr(hnb_results_fmt(1e20, buf), ==, "1e+20");
    g_assert_cmpstr(hnb_results_fmt(-1.5e-7, buf), ==, "-1.5e-07");
    g_assert_cmpstr(hnb_results_fmt(-0.0, buf), ==, "0");
    g_assert_cmpstr(hnb_results_fmt(-DBL_MAX, buf), ==, "-1.797693135e+308");
    g_assert_cmpstr(hnb_results_fmt(NAN, buf), ==, "nan");
    g_assert_cmpstr(hnb_results_fmt(INFINITY, buf), ==, "inf");
    g_assert_cmpstr(hnb_results_fmt(-INFINITY, buf), ==, "-inf");
    /* as a reader of the CSV sees them: DBL_MAX's 10 digits round up past it */
    g_assert_true(hnb_results_fmt_finite(1e308));
    g_assert_false(hnb_results_fmt_finite(-DBL_MAX));
    g_assert_false(hnb_results_fmt_finite(NAN));
}

/* ---- summaries ---- */

/* Three replications: wait_mean 1, 2, 3 (mean 2, sd 1, half = t(0.975, 2) / sqrt 3 = 2.484138...), rate constant
 * 10, and gap undefined in one replication. */
static HnbMetrics *example_rep(guint r)
{
    HnbMetrics *m = hnb_metrics_new();
    hnb_metrics_add(m, "wait_mean", "s", 1.0 + r, "mean wait, \"queued\" sessions\nonly");
    hnb_metrics_add(m, "rate", "sessions/s", 10.0, "arrival rate");
    hnb_metrics_add(m, "gap", "s", r == 1 ? NAN : 0.5, NULL);
    hnb_metrics_add(m, "beyond", "h", r == 2 ? INFINITY : 4.0 + r, "a quantile past the horizon in replication 2");
    return m;
}

/* The number after `"key": ` in the object whose name is `name`. */
static double json_field(const char *json, const char *name, const char *key)
{
    g_autofree char *at_name = g_strdup_printf("\"name\": \"%s\"", name);
    g_autofree char *at_key = g_strdup_printf("\"%s\": ", key);
    const char *p = strstr(json, at_name);
    g_assert_nonnull(p);
    p = strstr(p, at_key);
    g_assert_nonnull(p);
    p += strlen(at_key);
    if (g_str_has_prefix(p, "null"))
        return NAN;
    char *end = NULL;
    double v = g_ascii_strtod(p, &end);
    g_assert_true(end != p);
    return v;
}

static void test_summary_example(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    HnbMetrics *reps[3];
    for (guint r = 0; r < 3; r++)
        reps[r] = example_rep(r);
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    g_assert_true(hnb_results_write_summary(rd, &stamp, reps, 3, &error));
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_assert_no_error(error);
    for (guint r = 0; r < 3; r++)
        hnb_metrics_free(reps[r]);

    g_autofree char *json = slurp(f->dir, "summary.json", NULL);
    g_assert_true(g_str_has_prefix(json, "{\n  \"scenario\": \"unit-test\",\n  \"seed\": 42,\n  \"replications\": 3,\n"
                                         "  \"version\": \"0.0-test\",\n  \"metrics\": [\n    {\n"
                                         "      \"name\": \"wait_mean\",\n      \"unit\": \"s\",\n"
                                         "      \"doc\": \"mean wait, \\\"queued\\\" sessions\\nonly\",\n"));
    g_assert_nonnull(strstr(json, "\"values\": [1, 2, 3]"));
    g_assert_nonnull(strstr(json, "\"values\": [0.5, null, 0.5]"));
    g_assert_cmpfloat(json_field(json, "wait_mean", "mean"), ==, 2.0);
    g_assert_cmpfloat_with_epsilon(json_field(json, "wait_mean", "ci95_half"), 2.4841377, 1e-6);
    g_assert_cmpfloat(json_field(json, "wait_mean", "min"), ==, 1.0);
    g_assert_cmpfloat(json_field(json, "wait_mean", "max"), ==, 3.0);
    g_assert_cmpfloat(json_field(json, "rate", "mean"), ==, 10.0);
    g_assert_cmpfloat(json_field(json, "rate", "ci95_half"), ==, 0.0);
    g_assert_true(isnan(json_field(json, "gap", "mean")));
    g_assert_true(isnan(json_field(json, "gap", "ci95_half")));

    g_autofree char *path = g_build_filename(f->dir, "summary.json", NULL);
    python_json_ok(path, "m=d['metrics']\n"
                         "assert [x['name'] for x in m] == ['wait_mean','rate','gap','beyond']\n"
                         "assert m[0]['mean'] == 2 and abs(m[0]['ci95_half'] - 2.4841377) < 1e-6\n"
                         "assert m[0]['doc'] == 'mean wait, \"queued\" sessions\\nonly'\n"
                         "assert m[2]['mean'] is None and m[2]['values'][1] is None\n"
                         "assert d['seed'] == 42 and d['replications'] == 3\n");

    g_autofree char *csv = slurp(f->dir, "summary.csv", NULL);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    g_assert_cmpstr(lines[0], ==, "metric,unit,mean,ci95_half,min,max,n");
    g_assert_true(g_str_has_prefix(lines[1], "wait_mean,s,2,2.48413"));
    g_assert_true(g_str_has_suffix(lines[1], ",1,3,3"));
    g_assert_cmpstr(lines[2], ==, "rate,sessions/s,10,0,10,10,3");
    g_assert_cmpstr(lines[3], ==, "gap,s,nan,nan,nan,nan,3");
    /* one replication beyond the horizon: so is the mean (inf - inf would make it nan), and no interval */
    g_assert_cmpstr(lines[4], ==, "beyond,h,inf,nan,4,inf,3");
    g_assert_cmpstr(lines[5], ==, "");
    g_assert_null(lines[6]);
}

static void test_summary_single(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    g_autoptr(HnbMetrics) m = hnb_metrics_new();
    hnb_metrics_add(m, "x", "", 4.25, "one");
    HnbMetrics *reps[] = {m};
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_true(hnb_results_write_summary(rd, &stamp, reps, 1, &error));
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_commit(rd, &error));

    g_autofree char *json = slurp(f->dir, "summary.json", NULL);
    g_assert_nonnull(strstr(json, "\"ci95_half\": null"));
    g_assert_cmpfloat(json_field(json, "x", "mean"), ==, 4.25);
    g_autofree char *csv = slurp(f->dir, "summary.csv", NULL);
    g_assert_cmpstr(csv, ==, "metric,unit,mean,ci95_half,min,max,n\nx,,4.25,nan,4.25,4.25,1\n");
    g_autofree char *path = g_build_filename(f->dir, "summary.json", NULL);
    python_json_ok(path, "assert d['metrics'][0]['ci95_half'] is None");
}

static void test_summary_empty(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    g_autoptr(HnbMetrics) m = hnb_metrics_new();
    HnbMetrics *reps[] = {m};
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_true(hnb_results_write_summary(rd, &stamp, reps, 1, &error));
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(f->dir, "summary.json", NULL);
    python_json_ok(path, "assert d['metrics'] == []");
}

static void test_summary_mismatch(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    g_autoptr(HnbMetrics) a = hnb_metrics_new();
    g_autoptr(HnbMetrics) b = hnb_metrics_new();
    g_autoptr(HnbMetrics) c = hnb_metrics_new();
    hnb_metrics_add(a, "x", "", 1, "");
    hnb_metrics_add(a, "y", "", 1, "");
    hnb_metrics_add(b, "x", "", 1, "");
    hnb_metrics_add(b, "z", "", 1, "");
    hnb_metrics_add(c, "x", "", 1, "");
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);

    HnbMetrics *renamed[] = {a, a, b};
    g_assert_false(hnb_results_write_summary(rd, &stamp, renamed, 3, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_RUN);
    g_assert_nonnull(strstr(error->message, "replication 2"));
    g_assert_nonnull(strstr(error->message, "\"z\""));
    g_clear_error(&error);

    HnbMetrics *shorter[] = {a, c};
    g_assert_false(hnb_results_write_summary(rd, &stamp, shorter, 2, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_RUN);
    g_assert_nonnull(strstr(error->message, "\"y\""));
    g_clear_error(&error);
    hnb_rundir_abort(rd);
}

static void test_summary_csv_escaping(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    g_autoptr(HnbMetrics) m = hnb_metrics_new();
    hnb_metrics_add(m, "a,b", "say \"hi\"", 1, "");
    hnb_metrics_add(m, "line\nbreak", "plain", 2, "");
    HnbMetrics *reps[] = {m};
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_true(hnb_results_write_summary(rd, &stamp, reps, 1, &error));
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_assert_no_error(error);
    g_autofree char *csv = slurp(f->dir, "summary.csv", NULL);
    g_assert_cmpstr(csv, ==,
                    "metric,unit,mean,ci95_half,min,max,n\n"
                    "\"a,b\",\"say \"\"hi\"\"\",1,nan,1,1,1\n"
                    "\"line\nbreak\",plain,2,nan,2,2,1\n");
    g_autofree char *json = slurp(f->dir, "summary.json", NULL);
    g_assert_nonnull(strstr(json, "\"name\": \"line\\nbreak\""));
    g_autofree char *path = g_build_filename(f->dir, "summary.json", NULL);
    python_json_ok(path, "assert d['metrics'][0]['unit'] == 'say \"hi\"'");
}

/* ---- time series ---- */

static const char *const series_names[] = {"time_h", "sessions_per_s", "wait_mean_s", "empty"};
static const char *const series_units[] = {"h", "sessions/s", "s", ""};

static HnbSeries *example_series(guint r)
{
    HnbSeries *s = hnb_series_new(4, series_names, series_units);
    for (guint i = 0; i < 5; i++) {
        double row[4] = {0.5 * i, 10.0 + i + r, i == 2 ? NAN : 0.25 * i * (r + 1), NAN};
        hnb_series_add_row(s, row);
    }
    return s;
}

static void test_series(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    g_autoptr(HnbSeries) s0 = hnb_series_new(2, series_names, NULL);
    g_autoptr(HnbSeries) s1 = hnb_series_new(2, series_names, NULL);
    double r00[] = {0, 1.5}, r01[] = {0.5, NAN}, r10[] = {0, -INFINITY};
    hnb_series_add_row(s0, r00);
    hnb_series_add_row(s0, r01);
    hnb_series_add_row(s1, r10);
    g_assert_cmpuint(hnb_series_rows(s0), ==, 2);
    g_assert_cmpstr(s0->units[0], ==, "");
    HnbSeries *reps[] = {s0, s1};
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_true(hnb_results_write_series(rd, reps, 2, &error));
    g_assert_no_error(error);

    g_autoptr(HnbSeries) other = hnb_series_new(2, (const char *const[]){"time_h", "other"}, NULL);
    HnbSeries *bad[] = {s0, other};
    g_assert_false(hnb_results_write_series(rd, bad, 2, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_RUN);
    g_clear_error(&error);

    g_assert_true(hnb_rundir_commit(rd, &error));
    g_autofree char *csv = slurp(f->dir, "timeseries.csv", NULL);
    g_assert_cmpstr(csv, ==, "replication,time_h,sessions_per_s\n0,0,1.5\n0,0.5,nan\n1,0,-inf\n");
}

/* ---- manifest ---- */

static void test_manifest(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    HnbStamp fleet = stamp;
    fleet.hnbs = 1000;
    g_assert_true(hnb_results_write_manifest(rd, &fleet, 4, 12.5, &error));
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_autofree char *json = slurp(f->dir, "manifest.json", NULL);
    g_assert_nonnull(strstr(json, "\"threads\": 4"));
    g_assert_nonnull(strstr(json, "\"wall_seconds\": 12.5"));
    g_assert_nonnull(strstr(json, "\"host\": "));
    g_autofree char *path = g_build_filename(f->dir, "manifest.json", NULL);
    python_json_ok(path, "import re\n"
                         "assert re.fullmatch(r'\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ', d['started_utc'])\n"
                         "assert d['seed'] == 42 and d['version'] == '0.0-test'\n"
                         "assert d['peak_rss_bytes'] > 1e6\n"
                         "assert 0 < d['cpu_seconds'] < 1e6\n"
                         "assert abs(d['peak_rss_bytes_per_hnb'] - d['peak_rss_bytes'] / 1000) <= 0.5\n");
}

/* ---- reading CSV ---- */

/* Fields with commas, quotes and a line break, written by the writer and read back by the reader; the line numbers
 * count the quoted line break. */
static void test_csv_read(void)
{
    static const char *const fields[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "", "\"", ",\"\","};
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint k = 0; k < G_N_ELEMENTS(fields); k++) {
        if (k > 0)
            g_string_append_c(text, ',');
        hnb_results_csv_field(text, fields[k]);
    }
    g_assert_cmpstr(text->str, ==, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"\"\"\",\",\"\"\"\",\"");
    g_string_append(text, "\r\n\nlast,\"open, at the end");

    HnbCsv csv;
    hnb_csv_init(&csv, text->str);
    guint line = 0;
    g_auto(GStrv) first = hnb_csv_next(&csv, &line);
    g_assert_cmpuint(line, ==, 1);
    g_assert_cmpuint(g_strv_length(first), ==, G_N_ELEMENTS(fields));
    for (guint k = 0; k < G_N_ELEMENTS(fields); k++)
        g_assert_cmpstr(first[k], ==, fields[k]);
    g_auto(GStrv) empty = hnb_csv_next(&csv, &line); /* an empty line: one empty field */
    g_assert_cmpuint(line, ==, 3);
    g_assert_cmpuint(g_strv_length(empty), ==, 1);
    g_assert_cmpstr(empty[0], ==, "");
    g_auto(GStrv) last = hnb_csv_next(&csv, &line);
    g_assert_cmpuint(line, ==, 4);
    g_assert_cmpuint(g_strv_length(last), ==, 2);
    g_assert_cmpstr(last[1], ==, "open, at the end");
    g_assert_null(hnb_csv_next(&csv, &line));

    /* a quote inside an unquoted field is text; text after a closing quote is kept */
    hnb_csv_init(&csv, "a\"b,\"c\"d\n");
    g_auto(GStrv) odd = hnb_csv_next(&csv, NULL);
    g_assert_cmpuint(g_strv_length(odd), ==, 2);
    g_assert_cmpstr(odd[0], ==, "a\"b");
    g_assert_cmpstr(odd[1], ==, "cd");
    g_assert_null(hnb_csv_next(&csv, NULL));
}

/* ---- bands: the mean over replications on the union of their row times ---- */

/* Three replications with different row times, worked by hand.  A starts at 0, B has a row at 0.5 and one with no
 * time (skipped), C starts at 1 and reads NaN at 1.5.  Union: 0, 0.5, 1, 1.5, 2; held values (A, B, C):
 *   t = 0    10, 12, -    mean 11,    s = sqrt(2),  n = 2: half = t(.975, 1) * s / sqrt(2) = 12.7062047
 *   t = 0.5  10, 16, -    mean 13,    s = sqrt(18), n = 2: half = 12.7062047 * 3 = 38.1186142
 *   t = 1    20, 16, 14   mean 50/3,  s^2 = (100/9 + 4/9 + 64/9) / 2 = 28/3, n = 3:
 *                         half = t(.975, 2) * sqrt(28/9) = 4.30265273 * 1.76383421 = 7.58916607
 *   t = 1.5  20, 16, NaN  mean 18,    s = sqrt(8),  n = 2: half = 12.7062047 * 2 = 25.4124095
 *   t = 2    30, 28, 26   mean 28,    s = 2,        n = 3: half = 4.30265273 * 2 / sqrt(3) = 4.96827542
 * The second column is the same in every replication where it has a row: a zero-width band. */
static void test_bands_example(void)
{
    static const char *const names[] = {"time_h", "in_service", "flat"};
    static const char *const units[] = {"h", "HNBs", ""};
    static const double a[][3] = {{0, 10, 5}, {1, 20, 5}, {2, 30, 5}};
    static const double b[][3] = {{0, 12, 5}, {0.5, 16, 5}, {NAN, 99, 99}, {2, 28, 5}};
    static const double c[][3] = {{1, 14, 5}, {1.5, NAN, 5}, {2, 26, 5}};
    HnbSeries *reps[3];
    for (guint r = 0; r < 3; r++)
        reps[r] = hnb_series_new(3, names, units);
    for (guint i = 0; i < G_N_ELEMENTS(a); i++)
        hnb_series_add_row(reps[0], a[i]);
    for (guint i = 0; i < G_N_ELEMENTS(b); i++)
        hnb_series_add_row(reps[1], b[i]);
    for (guint i = 0; i < G_N_ELEMENTS(c); i++)
        hnb_series_add_row(reps[2], c[i]);

    g_autoptr(HnbSeries) bands = hnb_bands_compute(reps, 3);
    g_assert_cmpuint(bands->ncols, ==, 5);
    static const char *const want_names[] = {"time_h", "in_service", "in_service_ci95_half", "flat",
                                             "flat_ci95_half"};
    for (guint k = 0; k < 5; k++)
        g_assert_cmpstr(bands->names[k], ==, want_names[k]);
    g_assert_cmpstr(bands->units[2], ==, "HNBs");
    static const double want[][3] = {
        {0, 11, 12.7062047}, {0.5, 13, 38.1186142}, {1, 50.0 / 3, 7.58916607}, {1.5, 18, 25.4124095},
        {2, 28, 4.96827542},
    };
    g_assert_cmpuint(hnb_series_rows(bands), ==, G_N_ELEMENTS(want));
    const double *v = (const double *)(void *)bands->data->data;
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        const double *row = v + (gsize)i * bands->ncols;
        g_assert_cmpfloat(row[0], ==, want[i][0]);
        g_assert_cmpfloat_with_epsilon(row[1], want[i][1], 1e-9);
        g_assert_cmpfloat_with_epsilon(row[2], want[i][2], 1e-6);
        g_assert_cmpfloat(row[3], ==, 5);
        g_assert_cmpfloat(row[4], ==, 0);
    }

    /* one replication: its own rows, no half-width */
    g_autoptr(HnbSeries) one = hnb_bands_compute(reps + 2, 1);
    g_assert_cmpuint(hnb_series_rows(one), ==, 3);
    v = (const double *)(void *)one->data->data;
    g_assert_cmpfloat(v[1 * 5 + 0], ==, 1.5);
    g_assert_true(isnan(v[1 * 5 + 1])); /* its reading was undefined */
    g_assert_cmpfloat(v[2 * 5 + 1], ==, 26);
    g_assert_true(isnan(v[2 * 5 + 2]));
    for (guint r = 0; r < 3; r++)
        hnb_series_free(reps[r]);
}

/* ---- figures ---- */

static const HnbFigure figures[] = {
    {.name = "load", .title = "Offered load, it's \"busy\"", .ylabel = "sessions/s", .columns = "sessions_per_s"},
    {.name = "wait", .title = "Waiting", .ylabel = "s", .columns = "  wait_mean_s   empty "},
    {.name = "nothing", .title = "Always empty", .ylabel = "", .columns = "empty"},
};

/* A complete run directory at dir with series and figures; returns *rendered. */
static gboolean make_figures(const char *dir, GError **error)
{
    HnbRunDir *rd = hnb_rundir_begin(dir, FALSE, error);
    g_assert_nonnull(rd);
    HnbSeries *reps[] = {example_series(0), example_series(1), example_series(2)};
    gboolean ok = hnb_results_write_series(rd, reps, 3, error);
    g_assert_true(ok);
    gboolean rendered = TRUE;
    ok = hnb_results_write_figures(rd, &stamp, reps, 3, figures, G_N_ELEMENTS(figures), &rendered, error);
    for (guint r = 0; r < 3; r++)
        hnb_series_free(reps[r]);
    if (!ok) {
        hnb_rundir_abort(rd);
        return FALSE;
    }
    g_assert_true(hnb_rundir_commit(rd, error));
    return rendered;
}

static void test_figures_render(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    if (gnuplot == NULL) {
        g_test_skip("gnuplot not found");
        return;
    }
    GError *error = NULL;
    g_assert_true(make_figures(f->dir, &error));
    g_assert_no_error(error);
    g_autofree char *second = g_build_filename(f->root, "again", NULL);
    g_assert_true(make_figures(second, &error));
    g_assert_no_error(error);

    for (guint i = 0; i < G_N_ELEMENTS(figures); i++) {
        static const char *const ext[] = {"gp", "png", "svg"};
        for (guint e = 0; e < G_N_ELEMENTS(ext); e++) {
            g_autofree char *rel = g_strdup_printf("figures/%s.%s", figures[i].name, ext[e]);
            gsize n1 = 0, n2 = 0;
            g_autofree char *a = slurp(f->dir, rel, &n1);
            g_autofree char *b = slurp(second, rel, &n2);
            g_assert_cmpuint(n1, >, 0);
            g_assert_cmpmem(a, n1, b, n2); /* same inputs, same bytes */
            if (e == 1)
                g_assert_cmpmem(a, 8, "\x89PNG\r\n\x1a\n", 8);
            if (e == 2)
                g_assert_true(g_str_has_prefix(a, "<?xml"));
        }
    }

    g_autofree char *gp = slurp(f->dir, "figures/load.gp", NULL);
    g_assert_nonnull(strstr(gp, "set xlabel 'time (h)'"));
    /* the title, then the caption under it (no scenario caption here: what the lines show) */
    g_assert_nonnull(strstr(gp, "TITLE = \"Offered load, it's \\\"busy\\\"\\nLines: mean of 3 replications, band: 95% "
                                "CI (values held from each replication's last sample)\"\n"));
    g_assert_nonnull(strstr(gp, "\n# Caption: Offered load, it's \"busy\". Lines: mean of 3 replications, band: 95% CI "
                                "(values held from each replication's last sample).\n"));
    /* three replications: the band file beside the script, a band under each mean line */
    g_assert_nonnull(strstr(gp, "'load.csv' using (column('time_h')):(column('sessions_per_s') - "
                                "column('sessions_per_s_ci95_half'))"));
    g_assert_nonnull(strstr(gp, "with filledcurves"));
    g_autofree char *band = slurp(f->dir, "figures/load.csv", NULL);
    g_assert_true(g_str_has_prefix(band, "time_h,sessions_per_s,sessions_per_s_ci95_half\n0,11,"));
    g_assert_nonnull(strstr(gp, "scenario unit-test · seed 42 · hnbsim 0.0-test"));
    g_autofree char *none = slurp(f->dir, "figures/nothing.gp", NULL);
    g_assert_nonnull(strstr(none, "no data"));
}

static void test_figures_no_gnuplot(void)
{
    if (g_test_subprocess()) {
        GError *error = NULL;
        g_autofree char *root = g_dir_make_tmp("hnb-results-XXXXXX", &error);
        g_assert_no_error(error);
        g_autofree char *empty = g_build_filename(root, "empty-path", NULL);
        g_assert_cmpint(g_mkdir(empty, 0777), ==, 0);
        g_setenv("PATH", empty, TRUE);
        g_autofree char *dir = g_build_filename(root, "run", NULL);

        g_assert_false(make_figures(dir, &error)); /* not rendered, but no error */
        g_assert_no_error(error);
        g_autofree char *gp = g_build_filename(dir, "figures", "load.gp", NULL);
        g_autofree char *png = g_build_filename(dir, "figures", "load.png", NULL);
        g_assert_true(exists(gp));
        g_assert_false(exists(png));
        rm_rf(root);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

static void test_figures_gnuplot_fails(void)
{
    if (g_test_subprocess()) {
        GError *error = NULL;
        g_autofree char *root = g_dir_make_tmp("hnb-results-XXXXXX", &error);
        g_assert_no_error(error);
        /* a "gnuplot" that complains and fails */
        g_autofree char *bin = g_build_filename(root, "bin", NULL);
        put(bin, "gnuplot", "#!/bin/sh\necho 'line 1: something broke' >&2\nexit 3\n");
        g_autofree char *fake = g_build_filename(bin, "gnuplot", NULL);
        g_assert_cmpint(g_chmod(fake, 0755), ==, 0);
        g_setenv("PATH", bin, TRUE);
        g_autofree char *dir = g_build_filename(root, "run", NULL);

        g_assert_false(make_figures(dir, &error));
        g_assert_error(error, HNB_ERROR, HNB_ERROR_RUN);
        g_assert_nonnull(strstr(error->message, "figures/load.gp"));
        g_assert_nonnull(strstr(error->message, "status 3"));
        g_assert_nonnull(strstr(error->message, "something broke"));
        g_clear_error(&error);
        g_assert_false(exists(dir));
        rm_rf(root);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

static void test_figures_bad_column(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    gboolean rendered = TRUE;
    g_autoptr(HnbSeries) s = example_series(0);
    HnbSeries *reps[] = {s};
    g_assert_true(hnb_results_write_series(rd, reps, 1, &error));
    const HnbFigure bad = {.name = "x", .title = "x", .ylabel = "", .columns = "sessions_per_s nope"};
    g_assert_false(hnb_results_write_figures(rd, &stamp, reps, 1, &bad, 1, &rendered, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_RUN);
    g_assert_nonnull(strstr(error->message, "\"nope\""));
    g_clear_error(&error);
    hnb_rundir_abort(rd);
}

/* An optional figure naming a column the series lacks (a part this run does not have) is skipped: no script, no
 * rendering, not in report.html; the same figure over a series that has the column is drawn. */
static void test_figures_optional(Fixture *f, gconstpointer data)
{
    (void)data;
    const HnbFigure figs[] = {
        {.name = "load", .title = "Load", .ylabel = "sessions/s", .columns = "sessions_per_s"},
        {.name = "part", .title = "A part's", .ylabel = "", .columns = "sessions_per_s nope", .optional = TRUE},
        {.name = "here", .title = "Present", .ylabel = "s", .columns = "wait_mean_s", .optional = TRUE},
    };
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    gboolean rendered = FALSE;
    g_autoptr(HnbSeries) s = example_series(0);
    HnbSeries *reps[] = {s};
    g_assert_true(hnb_results_write_series(rd, reps, 1, &error));
    g_assert_true(hnb_results_write_figures(rd, &stamp, reps, 1, figs, G_N_ELEMENTS(figs), &rendered, &error));
    g_assert_no_error(error);
    g_assert_true(hnb_results_write_report(rd, &stamp, NULL, NULL, 0, &error));
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_autofree char *fig = g_build_filename(f->dir, "figures", NULL);
    for (guint k = 0; k < G_N_ELEMENTS(figs); k++)
        for (int svg = 0; svg < 2; svg++) {
            g_autofree char *name = g_strdup_printf("%s.%s", figs[k].name, svg ? "svg" : "gp");
            g_autofree char *path = g_build_filename(fig, name, NULL);
            gboolean want = k != 1 && (!svg || rendered);
            g_assert_cmpint(g_file_test(path, G_FILE_TEST_EXISTS), ==, want);
        }
    g_autofree char *report_path = g_build_filename(f->dir, "report.html", NULL), *html = NULL;
    g_assert_true(g_file_get_contents(report_path, &html, NULL, NULL));
    g_assert_null(strstr(html, "alt=\"part\""));
    if (rendered)
        g_assert_nonnull(strstr(html, "alt=\"here\""));
}

/* A comparison's optional SERIES figure is skipped when a variant's series lacks its column (a part only some
 * variants have) and drawn when every variant has it; a plain one over a common column is drawn either way. */
static void test_compare_optional(Fixture *f, gconstpointer data)
{
    (void)data;
    static const char *const with_names[] = {"time_h", "sessions_per_s", "extra"};
    const HnbCompareFigure figs[] = {
        {"load", "Load", "time (h)", "sessions/s", HNB_COMPARE_SERIES, "sessions_per_s", FALSE, NULL, FALSE},
        {"extra", "A part's", "time (h)", "HNBs", HNB_COMPARE_SERIES, "extra", TRUE, NULL, FALSE},
    };
    for (int both = 0; both < 2; both++) {
        HnbSeries *s[2];
        for (int k = 0; k < 2; k++) {
            guint ncols = k == 0 || both ? 3 : 2;
            s[k] = hnb_series_new(ncols, with_names, NULL);
            for (int i = 0; i < 3; i++)
                hnb_series_add_row(s[k], (double[]){i, 10 + i, 5});
        }
        g_autoptr(HnbMetrics) m0 = hnb_metrics_new();
        g_autoptr(HnbMetrics) m1 = hnb_metrics_new();
        hnb_metrics_add(m0, "x", "", 1, "");
        hnb_metrics_add(m1, "x", "", 2, "");
        /* a metric only one variant reports (the signing model's s<S>_* of another curve): empty cells, not lost */
        hnb_metrics_add(m0, "only_a", "h", 3, "");
        hnb_metrics_add(m1, "only_b", "h", 4, "");
        HnbMetrics *r0[] = {m0}, *r1[] = {m1};
        const HnbVariant v[] = {{.name = "a", .reps = r0, .nreps = 1, .series = &s[0]},
                                {.name = "b", .reps = r1, .nreps = 1, .series = &s[1]}};
        GError *error = NULL;
        g_autofree char *dir = g_strdup_printf("%s-%d", f->dir, both);
        HnbRunDir *rd = hnb_rundir_begin(dir, FALSE, &error);
        g_assert_no_error(error);
        for (int k = 0; k < 2; k++) { /* the unbanded scripts read each variant's own timeseries.csv */
            HnbRunDir *sub = hnb_rundir_sub(rd, v[k].name);
            g_assert_true(hnb_results_write_series(sub, &s[k], 1, &error));
            hnb_rundir_sub_free(sub);
        }
        gboolean rendered = FALSE;
        gboolean ok = hnb_results_write_compare(rd, &stamp, v, 2, figs, G_N_ELEMENTS(figs), &rendered, &error);
        g_assert_no_error(error);
        g_assert_true(ok);
        g_assert_true(hnb_rundir_commit(rd, &error));
        g_autofree char *csv_path = g_build_filename(dir, "compare.csv", NULL), *csv = NULL;
        g_assert_true(g_file_get_contents(csv_path, &csv, NULL, NULL));
        g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
        g_assert_cmpstr(lines[0], ==, "metric,unit,a mean,a ci95_half,b mean,b ci95_half");
        g_assert_true(g_str_has_prefix(lines[1], "x,,1,"));
        g_assert_true(g_str_has_prefix(lines[2], "only_a,h,3,") && g_str_has_suffix(lines[2], ",,"));
        g_assert_true(g_str_has_prefix(lines[3], "only_b,h,,,4,"));
        g_autofree char *load = g_build_filename(dir, "figures", "load.gp", NULL);
        g_autofree char *extra = g_build_filename(dir, "figures", "extra.gp", NULL);
        g_assert_true(g_file_test(load, G_FILE_TEST_EXISTS));
        g_assert_cmpint(g_file_test(extra, G_FILE_TEST_EXISTS), ==, both);
        rm_rf(dir);
        hnb_series_free(s[0]);
        hnb_series_free(s[1]);
    }
}

/* A TABLE figure draws each variant's own table file (the signing model's curve.csv: latency against P over the
 * server count), one line and one set of labels per variant in one colour, a logarithmic x leaving out x <= 0; with
 * gnuplot it renders. */
static void test_compare_table(Fixture *f, gconstpointer data)
{
    (void)data;
    const HnbCompareFigure figs[] = {
        {"frontier", "Latency against P", "P", "h", HNB_COMPARE_TABLE, "p:lat", FALSE, "curve.csv", TRUE},
    };
    g_autoptr(HnbMetrics) m0 = hnb_metrics_new();
    g_autoptr(HnbMetrics) m1 = hnb_metrics_new();
    hnb_metrics_add(m0, "x", "", 1, "");
    hnb_metrics_add(m1, "x", "", 2, "");
    HnbMetrics *r0[] = {m0}, *r1[] = {m1};
    const HnbVariant v[] = {{.name = "a", .reps = r0, .nreps = 1}, {.name = "b", .reps = r1, .nreps = 1}};
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    for (int k = 0; k < 2; k++) { /* what the model's table hook writes in each variant's directory */
        HnbRunDir *sub = hnb_rundir_sub(rd, v[k].name);
        g_assert_true(hnb_rundir_write(sub, "curve.csv", k ? "servers,p,lat\n2,0.0015,25\n3,0.0045,22\n"
                                                           : "servers,p,lat\n1,0,23\n2,0.077,19\n",
                                       -1, &error));
        hnb_rundir_sub_free(sub);
    }
    gboolean rendered = FALSE;
    g_assert_true(hnb_results_write_compare(rd, &stamp, v, 2, figs, G_N_ELEMENTS(figs), &rendered, &error));
    g_assert_no_error(error);
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_autofree char *gp = slurp(f->dir, "figures/frontier.gp", NULL);
    g_assert_nonnull(strstr(gp, "set logscale x"));
    g_assert_nonnull(strstr(gp, "'../a/curve.csv' using (column('p') > 0 ? column('p') : NaN):(column('lat')) with "
                                "linespoints linetype 1"));
    g_assert_nonnull(strstr(gp, "'../b/curve.csv' using"));
    g_assert_nonnull(strstr(gp, "with labels offset char 0.8, char 0.6 textcolor lt 2 notitle"));
    g_autofree char *svg = g_build_filename(f->dir, "figures", "frontier.svg", NULL);
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    if (gnuplot) /* the script must run: a gnuplot error fails the write */
        g_assert_true(rendered);
    g_assert_cmpint(g_file_test(svg, G_FILE_TEST_EXISTS), ==, rendered);
}

/* report.html's compliance table: a model's own section under its heading row, and the heading of the page's
 * section saying so; without one, the [tls] group's heading as before. */
static void test_report_compliance_sections(Fixture *f, gconstpointer data)
{
    (void)data;
    static const char tls_only[] = "TS 33.320 8.3.4 TR-069 profile, [tls] profile = strict: versions\n"
                                   "PASS  SSL 3.0 shall not be used.\ncompliant\n";
    static const char paths[] = "TS 33.320 per path (clauses 6.1, 7, 8.3.4):\n"
                                "PASS  HNB (release image) -> SeGW: IKEv2\nFAIL  golden module -> SeGW: none\n";
    for (int with = 0; with < 2; with++) {
        GError *error = NULL;
        g_autofree char *dir = g_strdup_printf("%s-%d", f->dir, with);
        HnbRunDir *rd = hnb_rundir_begin(dir, FALSE, &error);
        g_assert_no_error(error);
        g_autofree char *lines = g_strconcat(tls_only, with ? paths : "", NULL);
        g_assert_true(hnb_results_write_report(rd, &stamp, lines, NULL, 0, &error));
        g_assert_true(hnb_rundir_commit(rd, &error));
        g_autofree char *path = g_build_filename(dir, "report.html", NULL), *html = NULL;
        g_assert_true(g_file_get_contents(path, &html, NULL, NULL));
        g_assert_nonnull(strstr(html, "<td class=\"PASS\">PASS</td><td>SSL 3.0 shall not be used.</td>"));
        g_assert_null(strstr(html, "TR-069 profile, [tls]")); /* the profile's summary lines stay out */
        if (with) {
            g_assert_nonnull(strstr(html, "<h2>TS 33.320 compliance: the [tls] group (clause 8.3.4) and each path"));
            g_assert_nonnull(strstr(html, "<tr><th colspan=\"2\">TS 33.320 per path (clauses 6.1, 7, 8.3.4):</th>"));
            g_assert_nonnull(strstr(html, "<td class=\"FAIL\">FAIL</td><td>golden module -&gt; SeGW: none</td>"));
        } else {
            g_assert_nonnull(strstr(html, "<h2>TS 33.320 clause 8.3.4 compliance of the [tls] group</h2>"));
            g_assert_null(strstr(html, "<th colspan"));
        }
        rm_rf(dir);
    }
}

/* A table over a parameter: its CSV, a figure with error bars and a second axis, a column with no finite value left
 * out of the plot (gnuplot would stop on it), and a missing column refused. */
static void test_table_figures(Fixture *f, gconstpointer data)
{
    (void)data;
    static const char *const cols[] = {"servers", "latency_h", "p", "p_ci", "never"};
    static const char *const units[] = {"", "h", "", "", "h"};
    g_autoptr(HnbSeries) t = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    for (int s = 1; s <= 3; s++)
        hnb_series_add_row(t, (double[]){s, 10.0 / s, 0.04 * s, 0.01, NAN});
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    g_assert_true(hnb_results_write_table(rd, "curve.csv", t, &error));
    g_assert_no_error(error);
    const HnbTableFigure fig = {"tradeoff", "Latency vs exposure", "servers", "servers S", "latency_h never", "h",
                                "p:p_ci", "P"};
    gboolean rendered = FALSE;
    g_assert_true(hnb_results_write_table_figures(rd, &stamp, "curve.csv", t, &fig, 1, &rendered, &error));
    g_assert_no_error(error);
    const HnbTableFigure bad = {"bad", "x", "servers", NULL, "latency_h nope", "h", NULL, NULL};
    g_assert_false(hnb_results_write_table_figures(rd, &stamp, "curve.csv", t, &bad, 1, &rendered, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_RUN);
    g_assert_nonnull(strstr(error->message, "\"nope\""));
    g_clear_error(&error);
    g_assert_true(hnb_rundir_commit(rd, &error));
    g_autofree char *csv = slurp(f->dir, "curve.csv", NULL);
    g_assert_cmpstr(csv, ==, "servers,latency_h,p,p_ci,never\n1,10,0.04,0.01,nan\n2,5,0.08,0.01,nan\n"
                             "3,3.333333333,0.12,0.01,nan\n");
    g_autofree char *gp = slurp(f->dir, "figures/tradeoff.gp", NULL);
    g_assert_nonnull(strstr(gp, "'../curve.csv' using (column('servers')):(column('latency_h'))"));
    g_assert_nonnull(strstr(gp, "(column('p')):(column('p_ci')) with yerrorlines axes x1y2"));
    g_assert_null(strstr(gp, "column('never')")); /* no finite value: not drawn */
    g_assert_nonnull(strstr(gp, "set y2label 'P'"));
    g_autofree char *svg = g_build_filename(f->dir, "figures", "tradeoff.svg", NULL);
    g_assert_true(!rendered || exists(svg));
}

/* A zoom: the time-series figures draw the whole run and, below it, the zoomed interval, both on each terminal (a
 * multiplot cannot be replotted), and say where and why in the caption; a figure with no data gets no zoom.  The
 * episode's marks are dashed lines with their labels in both panels. */
static void test_figures_zoom(Fixture *f, gconstpointer data)
{
    (void)data;
    GError *error = NULL;
    HnbZoom zoom = {.from = 0.5, .to = 1.5, .unit = "h", .panel = TRUE, .nmarks = 1};
    g_strlcpy(zoom.why, "around the test's episode", sizeof zoom.why);
    zoom.marks[0].at = 0.75;
    g_strlcpy(zoom.marks[0].label, "fix built", sizeof zoom.marks[0].label);
    HnbStamp zoomed = stamp;
    zoomed.caption = "7 HNBs, 3 replications";
    zoomed.zoom = &zoom;
    HnbRunDir *rd = hnb_rundir_begin(f->dir, FALSE, &error);
    g_assert_no_error(error);
    HnbSeries *reps[] = {example_series(0), example_series(1), example_series(2)};
    g_assert_true(hnb_results_write_series(rd, reps, 3, &error));
    gboolean rendered = FALSE;
    g_assert_true(hnb_results_write_figures(rd, &zoomed, reps, 3, figures, G_N_ELEMENTS(figures), &rendered, &error));
    g_assert_no_error(error);
    for (guint r = 0; r < 3; r++)
        hnb_series_free(reps[r]);
    g_assert_true(hnb_rundir_commit(rd, &error));

    g_autofree char *gp = slurp(f->dir, "figures/load.gp", NULL);
    g_assert_nonnull(strstr(gp, "\n# Caption: Offered load, it's \"busy\". Lines: mean of 3 replications, band: 95% CI "
                                "(values held from each replication's last sample); lower panel: zoom on 0.5 to 1.5 h, "
                                "around the test's episode; 7 HNBs, 3 replications.\n"));
    const char *first = strstr(gp, "set multiplot layout 2,1");
    g_assert_nonnull(first);
    /* the bands in both panels, under the marks set before them */
    const char *band = strstr(first, "with filledcurves");
    g_assert_nonnull(band);
    const char *zoomed_band = strstr(strstr(first, "set xrange [0.5:1.5]"), "with filledcurves");
    g_assert_nonnull(zoomed_band);
    g_assert_true(zoomed_band < strstr(first, "unset multiplot"));
    g_assert_nonnull(strstr(first + 1, "set multiplot layout 2,1")); /* png, then svg */
    g_assert_nonnull(strstr(gp, "set xrange [0.5:1.5]"));
    g_assert_nonnull(strstr(gp, "set object 1 rectangle from first 0.5, graph 0 to first 1.5, graph 1"));
    g_assert_nonnull(strstr(gp, "set arrow 100 from first 0.75, graph 0 to first 0.75, graph 1 nohead"));
    g_assert_nonnull(strstr(gp, "set label 100 'fix built' at first 0.75"));
    g_assert_true(strstr(gp, "set arrow 100") < first); /* set before the panels: drawn in both */
    g_autofree char *none = slurp(f->dir, "figures/nothing.gp", NULL);
    g_assert_null(strstr(none, "multiplot"));
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    g_assert_true(rendered == (gnuplot != NULL));
    if (rendered) {
        g_autofree char *svg = slurp(f->dir, "figures/load.svg", NULL);
        g_assert_nonnull(strstr(svg, "Zoom on 0.5 to 1.5 h"));
    }
}

/* The PDG rounding rule (results/format.h) on a table of cases: each branch of the three-digit rule, its edges,
 * grouping, signs, no interval, and the values that are not numbers. */
static void test_format_mean_ci(void)
{
    static const struct {
        double mean, half;
        const char *want;
    } cases[] = {
        {3046.5, 387.5392445, "3,000 \u00b1 400"},  /* 387: one significant digit */
        {3046.5, 123.4, "3,050 \u00b1 120"},        /* 123: two */
        {0.38, 0.04, "0.38 \u00b1 0.04"},           /* 400: one */
        {1022, 2007, "1,000 \u00b1 2,000"},         /* 200: two, the mean to the hundreds */
        {0.0123, 0.00354, "0.0123 \u00b1 0.0035"},  /* 354: the last of two digits */
        {0.0123, 0.00355, "0.012 \u00b1 0.004"},    /* 355: the first of one */
        {0.0123, 0.00949, "0.012 \u00b1 0.009"},    /* 949: the last of one */
        {5.6, 0.0097, "5.600 \u00b1 0.010"},        /* 970: up to 1000, two digits */
        {5.6, 0.0999, "5.60 \u00b1 0.10"},
        {0.3812, 0.0212, "0.381 \u00b1 0.021"},
        {1234567.8, 1500, "1,234,600 \u00b1 1,500"},
        {-3046.5, 387.54, "-3,000 \u00b1 400"},     /* negative numbers round alike */
        {-0.3, 40, "0 \u00b1 40"},                  /* no "-0" */
        {-0.0123, 0.00354, "-0.0123 \u00b1 0.0035"},
        {0.5, 0.5, "0.5 \u00b1 0.5"},
        {3046.5, NAN, "3,047"},                      /* one replication: four significant digits */
        {0.381234, NAN, "0.3812"},
        {0.38, NAN, "0.38"},                         /* no zeros the data do not have */
        {1234567, NAN, "1,235,000"},
        {-1234.5, NAN, "-1,235"},
        {200, 0, "200 \u00b1 0"},                   /* every replication agreed */
        {0, 0, "0 \u00b1 0"},
        {0.1130795633, 7.371818626e-17, "0.1131 \u00b1 0"}, /* identical replications summed: noise, not "0 ± 7e-17" */
        {0.6666666667, 1.862354179e-16, "0.6667 \u00b1 0"},
        {INFINITY, NAN, "beyond horizon"},            /* a quantile past the end of the run */
        {INFINITY, 3, "beyond horizon"},
        {-INFINITY, NAN, "-inf"},
        {NAN, NAN, "\u2013"},
        {NAN, 2, "\u2013"},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
        g_autofree char *got = hnb_format_mean_ci(cases[k].mean, cases[k].half);
        if (strcmp(got, cases[k].want) != 0)
            g_error("%g \u00b1 %g: got \"%s\", want \"%s\"", cases[k].mean, cases[k].half, got, cases[k].want);
    }
    double r;
    g_assert_cmpint(hnb_format_ci_place(387.54, &r), ==, 2);
    g_assert_cmpfloat(r, ==, 400);
    g_assert_cmpint(hnb_format_ci_place(0.0212, &r), ==, -3);
    g_assert_cmpfloat_with_epsilon(r, 0.021, 1e-15);
    g_assert_cmpint(hnb_format_ci_place(1000, &r), ==, 2); /* exactly a power of ten: 100 -> two digits */
    g_assert_cmpfloat(r, ==, 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/results/rundir/commit", test_rundir_commit);
    ADD("/results/rundir/refuse-existing", test_rundir_refuse_existing);
    ADD("/results/rundir/force-replaces", test_rundir_force_replaces);
    ADD("/results/rundir/abort", test_rundir_abort);
    ADD("/results/rundir/stale-tmp", test_rundir_stale_tmp);
    ADD("/results/rundir/commit-raced", test_rundir_commit_raced);
    g_test_add_func("/results/fmt", test_fmt);
    g_test_add_func("/results/format/mean-ci", test_format_mean_ci);
    ADD("/results/figures/zoom", test_figures_zoom);
    g_test_add_func("/results/csv/read", test_csv_read);
    ADD("/results/summary/example", test_summary_example);
    ADD("/results/summary/single", test_summary_single);
    ADD("/results/summary/empty", test_summary_empty);
    ADD("/results/summary/mismatch", test_summary_mismatch);
    ADD("/results/summary/csv-escaping", test_summary_csv_escaping);
    ADD("/results/series", test_series);
    ADD("/results/manifest", test_manifest);
    g_test_add_func("/results/bands/example", test_bands_example);
    ADD("/results/figures/render", test_figures_render);
    ADD("/results/figures/bad-column", test_figures_bad_column);
    ADD("/results/figures/optional", test_figures_optional);
    ADD("/results/compare/optional", test_compare_optional);
    ADD("/results/compare/table", test_compare_table);
    ADD("/results/report/compliance-sections", test_report_compliance_sections);
    ADD("/results/figures/table", test_table_figures);
    g_test_add_func("/results/figures/no-gnuplot", test_figures_no_gnuplot);
    g_test_add_func("/results/figures/gnuplot-fails", test_figures_gnuplot_fails);
#undef ADD
    return g_test_run();
}
