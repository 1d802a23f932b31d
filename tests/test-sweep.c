/* tests/test-sweep.c — `hnbsim sweep`, `merge` and `size` on the real binary with the informs model (milliseconds a
 * run): grids as written, results that do not depend on threads or shards, a point that equals a plain run, bad
 * input that names its origin and leaves nothing behind. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "tests/cli-common.h"

static const char *small =
    "[scenario]\nname = small\nmodel = informs\nduration = 2h\nseed = 7\nreplications = 3\n"
    "[fleet]\nsize = 300\n[inform]\ninterval = 10m\n[acs]\nworkers = 2\nservice = lognormal(1s,0.5)\n"
    "[sweep]\nvary = acs.workers=1..3; inform.interval=5m,10m\nmetrics = wait_p95\n";

/* The rows of a CSV file without quoted fields, each split at commas; rows[0] is the header. */
static GPtrArray *csv_rows(const char *dir, const char *file)
{
    char *text = slurp(dir, file);
    g_assert_nonnull(text);
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            g_ptr_array_add(rows, g_strsplit(*l, ",", -1));
    g_strfreev(lines);
    g_free(text);
    return rows;
}

static int column(GPtrArray *rows, const char *name)
{
    char **head = rows->pdata[0];
    for (int c = 0; head[c]; c++)
        if (strcmp(head[c], name) == 0)
            return c;
    g_error("no column %s", name);
}

static void test_grid_and_determinism(void)
{
    char *path = write_scenario("small.ini", small);
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "--threads", "1", "-o", "sw1", path, NULL}, NULL, NULL),
                    ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "--threads", "2", "-o", "sw2", path, NULL}, NULL, NULL),
                    ==, 0);
    static const char *const files[] = {"points.csv", "aggregate.csv", "sweep.ini", "scenario.resolved.ini",
                                        "figures/wait_p95.csv", "figures/wait_p95.gp", "figures/wait_p95.svg",
                                        "report.html"};
    assert_same_files("sw1", "sw2", files, G_N_ELEMENTS(files));

    /* 3 x 2 points x 3 replications, first axis slowest, values as written */
    g_autoptr(GPtrArray) pts = csv_rows("sw1", "points.csv");
    g_assert_cmpuint(pts->len, ==, 1 + 6 * 3);
    int cw = column(pts, "acs.workers"), ci = column(pts, "inform.interval"), cr = column(pts, "replication");
    static const char *const workers[] = {"1", "1", "2", "2", "3", "3"}, *const interval[] = {"5m", "10m"};
    for (guint i = 1; i < pts->len; i++) {
        char **row = pts->pdata[i];
        g_assert_cmpstr(row[cw], ==, workers[(i - 1) / 3]);
        g_assert_cmpstr(row[ci], ==, interval[((i - 1) / 3) % 2]);
        g_assert_cmpint(atoi(row[cr]), ==, (int)((i - 1) % 3));
    }
    /* aggregate.csv: the mean of each point's rows, computed here independently */
    g_autoptr(GPtrArray) agg = csv_rows("sw1", "aggregate.csv");
    g_assert_cmpuint(agg->len, ==, 1 + 6);
    int pm = column(pts, "wait_p95"), am = column(agg, "wait_p95_mean"), ah = column(agg, "wait_p95_ci95_half");
    for (guint p = 0; p < 6; p++) {
        double sum = 0, sq = 0;
        for (guint r = 0; r < 3; r++) {
            double v = g_ascii_strtod(((char **)pts->pdata[1 + p * 3 + r])[pm], NULL);
            sum += v;
            sq += v * v;
        }
        double mean = sum / 3, sd = sqrt(MAX(0, (sq - 3 * mean * mean) / 2));
        char **row = agg->pdata[1 + p];
        g_assert_cmpfloat_with_epsilon(g_ascii_strtod(row[am], NULL), mean, 1e-6 * (1 + fabs(mean)));
        /* t(0.975, 2) = 4.303 */
        g_assert_cmpfloat_with_epsilon(g_ascii_strtod(row[ah], NULL), 4.302653 * sd / sqrt(3), 1e-4 * (1 + sd));
        g_assert_cmpstr(row[column(agg, "n")], ==, "3");
    }
    /* one worker is far slower than three: the sweep must see the difference it exists to show */
    g_assert_cmpfloat(g_ascii_strtod(((char **)agg->pdata[1])[am], NULL), >,
                      10 * g_ascii_strtod(((char **)agg->pdata[5])[am], NULL));
    g_assert_true(exists("sw1/figures/wait_p95.png"));
    char *gp = slurp("sw1", "figures/wait_p95.gp");
    g_assert_nonnull(strstr(gp, "yerrorlines"));
    g_assert_nonnull(strstr(gp, "inform.interval=10m"));
    g_free(gp);
    g_assert_false(exists("sw1.tmp"));
    g_free(path);
}

/* A point of a sweep is the scenario with the point's keys set: its replications equal `hnbsim run --set`. */
static void test_point_equals_run(void)
{
    char *path = write_scenario("small.ini", small);
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "pe", "--vary", "acs.workers=1,2", path, NULL}, NULL,
                           NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"run", "-q", "-o", "pe-run", "--set", "acs.workers=2", path, NULL}, NULL,
                           NULL), ==, 0);
    g_autoptr(GPtrArray) pts = csv_rows("pe", "points.csv");
    g_autoptr(GPtrArray) sum = csv_rows("pe-run", "summary.csv");
    g_assert_cmpuint(pts->len, ==, 1 + 2 * 3);
    int mean = column(sum, "mean");
    for (guint i = 1; i < sum->len; i++) {
        char **srow = sum->pdata[i];
        int c = column(pts, srow[0]);
        double m = 0;
        for (guint r = 0; r < 3; r++)
            m += g_ascii_strtod(((char **)pts->pdata[4 + r])[c], NULL) / 3;
        g_test_message("%s: sweep %g, run %s", srow[0], m, srow[mean]);
        g_assert_cmpfloat_with_epsilon(m, g_ascii_strtod(srow[mean], NULL), 1e-6 * (1 + fabs(m)));
    }
    g_free(path);
}

/* Ranges in the key's own units, geometric ranges, lists of distributions (commas inside parentheses). */
static void test_ranges_and_units(void)
{
    char *path = write_scenario("small.ini", small);
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "units", "--replications", "1", "--vary",
                                            "inform.interval=90s..6m:1m30s", "--vary", "acs.workers=1..8x2", "--vary",
                                            "acs.service=exp(1s),uniform(0.5s,1.5s)", path, NULL}, NULL, NULL), ==, 0);
    char *pts = slurp("units", "points.csv");
    g_assert_true(g_str_has_prefix(pts, "point,replication,inform.interval,acs.workers,acs.service,"));
    g_assert_nonnull(strstr(pts, "\n0,0,1m30s,1,exp(1s),"));
    g_assert_nonnull(strstr(pts, "\n1,0,1m30s,1,\"uniform(0.5s,1.5s)\","));
    g_assert_nonnull(strstr(pts, "\n31,0,6m,8,\"uniform(0.5s,1.5s)\","));
    g_assert_null(strstr(pts, "\n32,"));
    g_free(pts);
    char *ini = slurp("units", "sweep.ini");
    g_assert_nonnull(strstr(ini, "values=1m30s;3m;4m30s;6m;"));
    g_assert_nonnull(strstr(ini, "values=1;2;4;8;"));
    g_free(ini);
    g_free(path);
}

static void test_bad_input(void)
{
    static const struct {
        const char *text;   /* scenario text (NULL: small) */
        const char *option; /* an extra option */
        const char *expect[2];
    } cases[] = {
        {NULL, "--vary=acs.workers=0..3", {"--vary acs.workers=0..3", "expected an integer in 1..1000000"}},
        {NULL, "--vary=acs.wrkers=1,2", {"--vary acs.wrkers=1,2", "did you mean \"workers\""}},
        {NULL, "--vary=inform.interval=1m..5m", {"inform.interval", "needs a step"}},
        {NULL, "--vary=inform.interval=1m..5m:2parsecs", {"inform.interval", "parsecs"}},
        {NULL, "--vary=acs.service=exp(1s)..exp(2s)", {"acs.service", "list them"}},
        {NULL, "--shard=0/3", {"--shard 0/3", "1 <= I <= N"}},
        {NULL, "--metric=nosuch", {"nosuch", "known metrics: informs"}},
        {NULL, "--ci-target=wait_p95=soon", {"wait_p95=soon", "expected a number"}},
        {NULL, "--ci-target=wait_p95", {"\"wait_p95\"", "expected METRIC=HALFWIDTH"}},
        {"[scenario]\nname = b\nmodel = informs\n[sweep]\nvary = acs.workers=1,2; acs.queue_limit=-1,2\n", NULL,
         {"bad.ini:5: [sweep] vary", "expected an integer in 0..100000000"}},
        {"[scenario]\nname = b\nmodel = informs\n", NULL, {"bad.ini", "nothing to vary"}},
        /* a grid point is loaded like a file: a point outside TS 33.320 clause 8.3.4 is refused before anything runs */
        {"[scenario]\nname = b\nmodel = fleet\n", "--vary=tls.min_version=tls1.2,tls1.0",
         {"sweep point 1 (tls.min_version=tls1.0): ", "bad.ini: [tls] does not meet TS 33.320 clause 8.3.4"}},
    };
    static const char *const cmds[] = {"sweep", "merge", "size"};
    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        char *out = NULL;
        g_assert_cmpint(hnbsim((const char *[]){cmds[i], "--help", NULL}, &out, NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Usage:"));
        g_free(out);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *path = write_scenario("bad.ini", cases[i].text ? cases[i].text : small), *err = NULL;
        const char *args[] = {"sweep", "-q", "-o", "out-bad", path, cases[i].option, NULL};
        int rc = hnbsim(args, NULL, &err);
        g_test_message("case %zu: %s", i, err);
        g_assert_cmpint(rc, ==, 2);
        for (int k = 0; k < 2; k++)
            g_assert_nonnull(strstr(err, cases[i].expect[k]));
        g_assert_false(exists("out-bad"));
        g_assert_false(exists("out-bad.tmp"));
        g_free(err);
        g_free(path);
    }
}

/* A comparison swept: one row group per variant, one curve per variant. */
static void test_compare_variants(void)
{
    g_free(write_scenario("va.ini", "[scenario]\nname = va\nmodel = informs\nduration = 1h\n[fleet]\nsize = 200\n"
                             "[acs]\nservice = exp(1s)\n"));
    g_free(write_scenario("vb.ini", "[scenario]\nname = vb\nmodel = informs\nduration = 1h\n[fleet]\nsize = 200\n"
                             "[acs]\nservice = exp(2s)\n"));
    char *path = write_scenario("cmp.ini", "[scenario]\nname = cmp\nmodel = informs\nreplications = 2\n"
                                           "[compare]\nvariants = va.ini vb.ini\n"
                                           "[sweep]\nvary = acs.workers=1,2\nmetrics = utilisation\n");
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "cmp", path, NULL}, NULL, NULL), ==, 0);
    g_autoptr(GPtrArray) agg = csv_rows("cmp", "aggregate.csv");
    g_assert_cmpuint(agg->len, ==, 1 + 2 * 2);
    g_assert_cmpstr(((char **)agg->pdata[0])[0], ==, "variant");
    g_assert_cmpstr(((char **)agg->pdata[1])[0], ==, "va");
    g_assert_cmpstr(((char **)agg->pdata[4])[0], ==, "vb");
    /* twice the service time, twice the utilisation (common random numbers: the same sessions) */
    int u = column(agg, "utilisation_mean");
    double ua = g_ascii_strtod(((char **)agg->pdata[1])[u], NULL), ub = g_ascii_strtod(((char **)agg->pdata[3])[u], NULL);
    g_assert_cmpfloat(ub, >, 1.5 * ua);
    char *gp = slurp("cmp", "figures/utilisation.gp");
    g_assert_nonnull(strstr(gp, "title 'va'"));
    g_assert_nonnull(strstr(gp, "title 'vb'"));
    g_free(gp);
    g_free(path);
}

/* A sweep's figures state the swept scenario's assumptions and which keys its points vary (kept in sweep.ini, so a
 * merge draws the same). */
static void test_caption(void)
{
    char *path = write_scenario("fl.ini", "[scenario]\nname = fl\nduration = 3h\nreplications = 2\n"
                                          "[fleet]\nsize = 100\n[tls]\nfidelity = sampled:10\n"
                                          "[sweep]\nvary = acs.workers=1,2\nmetrics = recovered\n");
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "fl", path, NULL}, NULL, NULL), ==, 0);
    char *gp = slurp("fl", "figures/recovered.gp"), *plan = slurp("fl", "sweep.ini");
    g_assert_nonnull(strstr(gp, "# Caption: "));
    g_assert_nonnull(strstr(gp, "100 HNBs"));
    g_assert_nonnull(strstr(gp, "each point varies acs.workers (the values above are the base scenario's)"));
    g_assert_nonnull(strstr(plan, "\ncaption=100 HNBs"));
    g_free(plan);
    g_free(gp);
    g_free(path);
}

/* Sequential stopping: each point gets replications until its half-width meets the target or the cap; the count
 * per point does not depend on --threads, and every point reported as met really is (recomputed here). */
static void test_ci_target(void)
{
    char *path = write_scenario("small.ini", small), *err = NULL;
    const char *base[] = {"sweep", "-q", "--replications", "2", "--ci-target", "wait_mean=10%", "--max-replications",
                          "9", path, "-o", NULL, "--threads", NULL, NULL};
    base[10] = "ci1", base[12] = "1";
    g_assert_cmpint(hnbsim(base, NULL, &err), ==, 0);
    base[10] = "ci2", base[12] = "2";
    g_assert_cmpint(hnbsim(base, NULL, NULL), ==, 0);
    static const char *const files[] = {"points.csv", "aggregate.csv"};
    assert_same_files("ci1", "ci2", files, G_N_ELEMENTS(files));

    g_autoptr(GPtrArray) pts = csv_rows("ci1", "points.csv");
    g_autoptr(GPtrArray) agg = csv_rows("ci1", "aggregate.csv");
    int cp = column(pts, "point"), cw = column(pts, "wait_mean"), an = column(agg, "n");
    int am = column(agg, "ci_target_met"), ah = column(agg, "wait_mean_ci95_half"), amean = column(agg, "wait_mean_mean");
    guint met = 0, capped = 0;
    for (guint p = 1; p < agg->len; p++) {
        char **row = agg->pdata[p];
        int n = atoi(row[an]), rows = 0;
        for (guint i = 1; i < pts->len; i++)
            rows += atoi(((char **)pts->pdata[i])[cp]) == (int)p - 1 && ((char **)pts->pdata[i])[cw][0];
        g_assert_cmpint(rows, ==, n);
        g_assert_cmpint(n, >=, 2);
        g_assert_cmpint(n, <=, 9);
        double half = g_ascii_strtod(row[ah], NULL), mean = g_ascii_strtod(row[amean], NULL);
        gboolean ok = half <= 0.1 * fabs(mean);
        g_assert_cmpint(atoi(row[am]), ==, ok);
        if (ok)
            met++;
        else {
            g_assert_cmpint(n, ==, 9); /* an unmet point ran to the cap... */
            g_autofree char *say = g_strdup_printf("point %u (", p - 1);
            g_assert_nonnull(strstr(err, say)); /* ...and is named */
            capped++;
        }
    }
    /* the scenario mixes an overloaded ACS (wide spread) with idle ones: both outcomes must occur */
    g_test_message("met %u, capped %u", met, capped);
    g_assert_cmpuint(met, >, 0);
    g_assert_cmpuint(capped, >, 0);
    g_free(err);
    g_free(path);
}

/* Shards merged give the bytes of the unsharded sweep; bad merges are refused with what is wrong and write nothing. */
static void test_shards_and_merge(void)
{
    char *path = write_scenario("small.ini", small), *err = NULL;
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "whole", path, NULL}, NULL, NULL), ==, 0);
    static const char *const shards[] = {"1/3", "2/3", "3/3"}, *const dirs[] = {"sh1", "sh2", "sh3"};
    for (int i = 0; i < 3; i++)
        g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "--threads", i == 1 ? "2" : "1", "--shard", shards[i],
                                                "-o", dirs[i], path, NULL}, NULL, NULL), ==, 0);
    /* each shard holds only its share: together they hold every row once */
    guint rows = 0;
    for (int i = 0; i < 3; i++) {
        g_autoptr(GPtrArray) p = csv_rows(dirs[i], "points.csv");
        g_assert_cmpuint(p->len - 1, <, 18);
        rows += p->len - 1;
        g_assert_false(exists(i == 0 ? "sh1/aggregate.csv" : "sh2/aggregate.csv"));
    }
    g_assert_cmpuint(rows, ==, 18);
    g_assert_cmpint(hnbsim((const char *[]){"merge", "sh3", "sh1", "sh2", "-o", "merged", NULL}, NULL, NULL), ==, 0);
    static const char *const files[] = {"points.csv", "aggregate.csv", "sweep.ini", "scenario.resolved.ini",
                                        "figures/wait_p95.csv", "figures/wait_p95.gp", "figures/wait_p95.svg",
                                        "report.html"};
    assert_same_files("whole", "merged", files, G_N_ELEMENTS(files));

    /* sequential stopping shards whole points: still the same bytes */
    const char *ci[] = {"sweep", "-q", "--replications", "2", "--ci-target", "wait_mean=10%", "--max-replications", "6",
                        path, "-o", "ci-whole", NULL, NULL, NULL};
    g_assert_cmpint(hnbsim(ci, NULL, NULL), ==, 0);
    ci[10] = "ci-s1", ci[11] = "--shard", ci[12] = "1/2";
    g_assert_cmpint(hnbsim(ci, NULL, NULL), ==, 0);
    ci[10] = "ci-s2", ci[12] = "2/2";
    g_assert_cmpint(hnbsim(ci, NULL, NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"merge", "ci-s1", "ci-s2", "-o", "ci-merged", NULL}, NULL, NULL), ==, 0);
    assert_same_files("ci-whole", "ci-merged", files, 3);

    /* a different scenario (seed), a missing shard, a shard twice, a directory that is not a sweep */
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "--seed", "8", "--shard", "3/3", "-o", "sh3-seed8", path,
                                            NULL}, NULL, NULL), ==, 0);
    static const struct {
        const char *dirs[3];
        const char *expect;
    } bad[] = {
        {{"sh1", "sh2", "sh3-seed8"}, "different scenarios"},
        {{"sh1", "sh2", NULL}, "shard 3/3"},
        {{"sh1", "sh2", "sh2"}, "both shard 2/3"},
        {{"sh1", "whole", NULL}, "is in both sh1 and whole"},
        {{"sh1", "sh2", "nothing-here"}, "not a sweep result directory"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *args[] = {"merge", "-o", "bad-merge", bad[i].dirs[0], bad[i].dirs[1], bad[i].dirs[2], NULL};
        g_assert_cmpint(hnbsim(args, NULL, &err), ==, 2);
        g_test_message("case %zu: %s", i, err);
        g_assert_nonnull(strstr(err, bad[i].expect));
        g_assert_false(exists("bad-merge"));
        g_assert_false(exists("bad-merge.tmp"));
        g_free(err);
    }
    g_free(path);
}

/* size: the bisection's answer is the smallest value whose 95% upper bound meets the target, the same answer a full
 * sweep over every value gives (same replications, same streams); two keys give a table. */
static void test_size(void)
{
    char *path = write_scenario("small.ini", small), *out = NULL;
    const char *set = "inform.interval=2m", *target = "wait_p95 <= 5s";
    g_assert_cmpint(hnbsim((const char *[]){"size", "-q", "--set", set, "--target", target, "--vary",
                                            "acs.workers=1..12", "--replications", "3", "-o", "size1", path, NULL},
                           &out, NULL), ==, 0);
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "--set", set, "--vary", "acs.workers=1..12",
                                            "--replications", "3", "-o", "size-sweep", path, NULL}, NULL, NULL), ==, 0);
    g_autoptr(GPtrArray) agg = csv_rows("size-sweep", "aggregate.csv");
    int cm = column(agg, "wait_p95_mean"), ch = column(agg, "wait_p95_ci95_half");
    const char *smallest = NULL;
    for (guint p = 1; p < agg->len && !smallest; p++) {
        char **row = agg->pdata[p];
        if (g_ascii_strtod(row[cm], NULL) + g_ascii_strtod(row[ch], NULL) <= 5)
            smallest = row[column(agg, "acs.workers")];
    }
    g_assert_nonnull(smallest);
    g_test_message("sweep says %s; size says %s", smallest, out);
    char *answer = slurp("size1", "answer.csv");
    g_autofree char *want = g_strdup_printf("acs.workers\n%s\n", smallest);
    g_assert_cmpstr(answer, ==, want);
    g_autofree char *said = g_strdup_printf("acs.workers = %s\n", smallest);
    g_assert_nonnull(strstr(out, said));
    /* fewer probes than values: it bisected */
    g_autoptr(GPtrArray) probes = csv_rows("size1", "sizing.csv");
    g_assert_cmpuint(probes->len - 1, <, 8);
    g_assert_true(exists("size1/figures/size_wait_p95.svg"));
    char *gp = slurp("size1", "figures/size_wait_p95.gp");
    g_assert_nonnull(strstr(gp, "title 'chosen'"));
    g_assert_nonnull(strstr(gp, "5 with lines"));
    g_free(gp);
    g_free(answer);
    g_free(out);

    /* two keys: the smallest worker count per fleet size, growing with the fleet */
    g_assert_cmpint(hnbsim((const char *[]){"size", "-q", "--set", set, "--target", target, "--vary",
                                            "fleet.size=100,600", "--vary", "acs.workers=1..16", "--replications", "2",
                                            "-o", "size2", path, NULL}, NULL, NULL), ==, 0);
    g_autoptr(GPtrArray) table = csv_rows("size2", "answer.csv");
    g_assert_cmpuint(table->len, ==, 3);
    g_assert_cmpstr(((char **)table->pdata[0])[0], ==, "fleet.size");
    g_assert_cmpint(atoi(((char **)table->pdata[1])[1]), <, atoi(((char **)table->pdata[2])[1]));

    static const struct {
        const char *option, *value, *expect;
    } bad[] = {
        {"--target", "wait_p95 < 5s", "expected METRIC <= VALUE"},
        {"--target", "nosuch <= 5", "known metrics"},
        {"--target", "wait_p95 <= soon", "expected a number"},
        {"--vary", "acs.service=exp(1s),exp(2s)", "ascending numbers"},
        {"--replications", "1", "at least 2 replications"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *err = NULL;
        const char *args[] = {"size", "-q", "-o", "bad-size", "--target", target, "--vary", "acs.workers=1..4",
                              bad[i].option, bad[i].value, path, NULL};
        g_assert_cmpint(hnbsim(args, NULL, &err), ==, 2);
        g_test_message("case %zu: %s", i, err);
        g_assert_nonnull(strstr(err, bad[i].expect));
        g_assert_false(exists("bad-size"));
        g_assert_false(exists("bad-size.tmp"));
        g_free(err);
    }
    g_free(path);
}

/* size targets can name the fleet's exact peaks and recovery-window averages: a golden fleet of 600 whose attacked
 * half reboots at once, sized by its connection slots so that no busy minute refuses more than 5% (the whole-run
 * refused_fraction would pass with far fewer).  The answer lies inside the range, is feasible, and one slot less is
 * not (whenever the bisection probed it). */
static void test_size_peaks(void)
{
    char *path = write_scenario(
        "peaks.ini", "[scenario]\nname = peaks\nduration = 3h\nseed = 2\n[fleet]\nsize = 600\n[hnb]\nlayout = golden\n"
                     "[cwmp]\nperiodic_interval = 30d\n[tls]\nfidelity = sampled:50\n"
                     "[attack]\nstart = 1h\nfraction = 0.5\nreboot_delay = 0s\n[acs]\nworkers = 2\n");
    g_assert_cmpint(hnbsim((const char *[]){"size", "-q", "--target", "peak_refused_fraction <= 0.05", "--target",
                                            "peak_sessions_per_s >= 0.5", "--target", "recovery_refused_fraction <= 0.05",
                                            "--target", "peak_open_sessions <= 64", "--vary", "acs.max_sessions=1..64",
                                            "--replications", "2", "-o", "size-peaks", path, NULL}, NULL, NULL), ==, 0);
    g_autoptr(GPtrArray) answer = csv_rows("size-peaks", "answer.csv");
    int chosen = atoi(((char **)answer->pdata[1])[0]);
    g_test_message("smallest acs.max_sessions with peak_refused_fraction <= 5%%: %d", chosen);
    g_assert_cmpint(chosen, >, 1);
    g_assert_cmpint(chosen, <, 64);
    g_autoptr(GPtrArray) probes = csv_rows("size-peaks", "sizing.csv");
    int cv = column(probes, "acs.max_sessions"), cb = column(probes, "peak_refused_fraction_bound");
    int cf = column(probes, "feasible");
    for (guint i = 1; i < probes->len; i++) {
        char **row = probes->pdata[i];
        int v = atoi(row[cv]);
        if (v == chosen) {
            g_assert_cmpfloat(g_ascii_strtod(row[cb], NULL), <=, 0.05);
            g_assert_cmpstr(row[cf], ==, "1");
        }
        if (v == chosen - 1)
            g_assert_cmpstr(row[cf], ==, "0");
    }
    g_free(path);
}

/* The operator's example is too big for CI, but it must be a valid scenario with a valid sizing question. */
static void test_operator_example_checks(void)
{
    char *file = g_build_filename(g_getenv("HNB_SOURCE_DIR"), "scenarios", "sizing", "operator-250k.ini", NULL), *out;
    g_assert_cmpint(hnbsim((const char *[]){"check", file, NULL}, &out, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "OK"));
    g_free(out);
    g_free(file);
}

int main(int argc, char **argv)
{
    cli_init(&argc, &argv);
    g_test_add_func("/sweep/grid-and-determinism", test_grid_and_determinism);
    g_test_add_func("/sweep/point-equals-run", test_point_equals_run);
    g_test_add_func("/sweep/ranges-and-units", test_ranges_and_units);
    g_test_add_func("/sweep/bad-input", test_bad_input);
    g_test_add_func("/sweep/compare-variants", test_compare_variants);
    g_test_add_func("/sweep/caption", test_caption);
    g_test_add_func("/sweep/ci-target", test_ci_target);
    g_test_add_func("/sweep/shards-and-merge", test_shards_and_merge);
    g_test_add_func("/sweep/size", test_size);
    g_test_add_func("/sweep/size-peaks", test_size_peaks);
    g_test_add_func("/sweep/operator-example-checks", test_operator_example_checks);
    return cli_done();
}
