/* tests/test-report.c — report.html: what it says, and how a real browser shows it.
 *
 * Its words, on a small comparison of the default study: the findings paragraph carries the numbers of compare.csv,
 * rounded as results/format.h says.  In a browser: headless Chromium loads the report of a real run with no console
 * messages, every figure renders (the page marks the body with how many of its images decoded), the compliance table
 * and the stamp are there, and a screenshot is taken and kept beside the binary under test
 * (build/report-screenshot.png) for a human to look at.  The browser test is skipped, saying so, when Chromium is not
 * installed (tools/test-all.sh installs it). */
#include "tests/cli-common.h"
#include "results/csv.h"
#include "results/format.h"

#include <math.h>

#include <string.h>
#include <unistd.h>

static const char *chromium(void)
{
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", NULL};
    for (const char *const *n = names; *n; n++) {
        g_autofree char *p = g_find_program_in_path(*n);
        if (p)
            return *n;
    }
    return NULL;
}

/* Run the browser headless on file:// url with extra args; stdout and stderr returned. */
static gboolean browse(const char *browser, const char *extra, const char *url, char **out, char **err)
{
    const char *argv[] = {browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--window-size=1200,1600", "--enable-logging=stderr", "--v=0", extra, url, NULL};
    int status = 0;
    GError *error = NULL;
    gboolean ok = g_spawn_sync(scratch, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, err, &status,
                               &error);
    g_assert_no_error(error);
    return ok && g_spawn_check_wait_status(status, NULL);
}

/* Console output of the page, if any: Chromium logs it as "CONSOLE(line)" (dbus and GPU noise is not the page's). */
static void assert_no_console(const char *log)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    for (char **l = lines; *l; l++)
        if (strstr(*l, "CONSOLE("))
            g_error("the page wrote to the console: %s", *l);
}

static void check_report(const char *browser, const char *dir, int figures_expected, gboolean compliance)
{
    g_autofree char *html = slurp(dir, "report.html");
    g_assert_nonnull(html);
    /* self-contained: nothing fetched from anywhere (URLs in the text, e.g. the H(e)MS's, are only text) */
    static const char *const fetches[] = {"src=\"http", "href=\"http", "url(http", "src=\"figures/", "<link"};
    for (size_t k = 0; k < G_N_ELEMENTS(fetches); k++)
        g_assert_null(strstr(html, fetches[k]));
    g_assert_nonnull(strstr(html, "SHA-256 of scenario.resolved.ini"));
    g_assert_true(compliance == (strstr(html, "<td class=\"PASS\">PASS</td>") != NULL));

    g_autofree char *path = g_build_filename(scratch, dir, "report.html", NULL);
    g_autofree char *url = g_filename_to_uri(path, NULL, NULL);
    g_autofree char *dom = NULL, *log = NULL;
    g_assert_true(browse(browser, "--dump-dom", url, &dom, &log));
    assert_no_console(log);
    g_autofree char *want = g_strdup_printf("data-figures=\"%d\" data-figures-rendered=\"%d\"", figures_expected,
                                            figures_expected);
    if (!strstr(dom, want))
        g_error("%s: expected <body %s> after load; the browser made: %.200s", dir, want,
                strstr(dom, "<body") ? strstr(dom, "<body") : dom);
}

static void test_run_and_comparison(void)
{
    const char *browser = chromium();
    if (!browser) {
        g_test_skip("Chromium is not installed (apt-get install chromium); tools/test-all.sh installs it");
        return;
    }
    /* a plain M/G/c run: three figures, no [tls] group */
    g_assert_cmpint(hnbsim((const char *const[]){"run", "-q", "-o", "informs", "--set", "scenario.duration=1h",
                                                 HNB_SOURCE_DIR "/scenarios/informs/steady.ini", NULL},
                           NULL, NULL),
                    ==, 0);
    check_report(browser, "informs", 3, FALSE);
    /* a comparison of fleet variants with real TLS: the joint figures and the clause 8.3.4 table */
    g_assert_cmpint(hnbsim((const char *const[]){"run", "-q", "-o", "compare", "--set", "fleet.size=200", "--set",
                                                 "scenario.duration=3h", "--set", "scenario.replications=1",
                                                 HNB_SOURCE_DIR "/scenarios/default.ini", NULL},
                           NULL, NULL),
                    ==, 0);
    g_autofree char *figdir = g_build_filename(scratch, "compare", "figures", NULL);
    int svgs = 0;
    g_autoptr(GDir) d = g_dir_open(figdir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d)) != NULL;)
        svgs += g_str_has_suffix(n, ".svg");
    g_assert_cmpint(svgs, >, 3);
    check_report(browser, "compare", svgs, TRUE);

    /* the screenshot: a real PNG of the page */
    g_autofree char *bindir = g_path_get_dirname(g_getenv("HNBSIM"));
    g_autofree char *shot = g_build_filename(bindir, "report-screenshot.png", NULL);
    g_autofree char *arg = g_strdup_printf("--screenshot=%s", shot);
    g_autofree char *path = g_build_filename(scratch, "compare", "report.html", NULL);
    g_autofree char *url = g_filename_to_uri(path, NULL, NULL);
    g_autofree char *out = NULL, *log = NULL;
    unlink(shot);
    g_assert_true(browse(browser, arg, url, &out, &log));
    g_autofree char *png = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(shot, &png, &len, NULL));
    g_assert_cmpuint(len, >, 20000);
    g_assert_cmpmem(png, 8, "\x89PNG\r\n\x1a\n", 8);
    g_test_message("screenshot: %s (%zu bytes)", shot, (size_t)len);
}

/* A small comparison of the default study with two replications (so every mean has a half-width), run once for the
 * tests that read its report. */
static const char *small_comparison(void)
{
    static gboolean ran;
    if (!ran) {
        g_assert_cmpint(hnbsim((const char *const[]){"run", "-q", "-o", "small", "--set", "fleet.size=200", "--set",
                                                     "scenario.duration=3h", "--set", "scenario.replications=2",
                                                     "--set", "tls.fidelity=sampled:10",
                                                     HNB_SOURCE_DIR "/scenarios/default.ini", NULL},
                               NULL, NULL),
                        ==, 0);
        ran = TRUE;
    }
    return "small";
}

/* One scenario (golden-tls, 150 HNBs) with three replications, run once for the tests that read it. */
static const char *one_scenario(void)
{
    static gboolean ran;
    if (!ran) {
        g_assert_cmpint(hnbsim((const char *const[]){"run", "-q", "-o", "one", "--set", "fleet.size=150", "--set",
                                                     "scenario.duration=2h", "--set", "scenario.replications=3",
                                                     "--set", "tls.fidelity=sampled:10",
                                                     HNB_SOURCE_DIR "/scenarios/mass-rewrite/golden-tls.ini", NULL},
                               NULL, NULL),
                        ==, 0);
        ran = TRUE;
    }
    return "one";
}

/* compare.csv's mean and half-width of metric for variant (by their column names). */
static void compare_value(const char *csv, const char *variant, const char *metric, double *mean, double *half)
{
    g_autofree char *mcol = g_strdup_printf("%s mean", variant), *hcol = g_strdup_printf("%s ci95_half", variant);
    HnbCsv reader;
    hnb_csv_init(&reader, csv);
    g_auto(GStrv) head = hnb_csv_next(&reader, NULL);
    int jm = -1, jh = -1;
    for (int j = 0; head[j] != NULL; j++) {
        jm = strcmp(head[j], mcol) == 0 ? j : jm;
        jh = strcmp(head[j], hcol) == 0 ? j : jh;
    }
    g_assert_cmpint(jm, >=, 0);
    g_assert_cmpint(jh, >=, 0);
    for (char **row; (row = hnb_csv_next(&reader, NULL)) != NULL; g_strfreev(row))
        if (row[0] != NULL && strcmp(row[0], metric) == 0) {
            *mean = g_ascii_strtod(row[jm], NULL);
            *half = g_ascii_strtod(row[jh], NULL);
            g_strfreev(row);
            return;
        }
    g_error("compare.csv has no metric %s", metric);
}

/* The value as a findings sentence writes it: rounded by the PDG rule, "± 0" left out, inf "beyond the horizon". */
static char *finding_value(double mean, double half, const char *unit)
{
    if (isinf(mean))
        return g_strdup("beyond the horizon");
    g_autofree char *v = half > 0 ? hnb_format_mean_ci(mean, half) : hnb_format_sig(mean, 4);
    return unit ? g_strconcat(v, " ", unit, NULL) : g_steal_pointer(&v);
}

/* The findings paragraph says, per layout, what compare.csv says: affected, back by the end, median time to recover
 * (Kaplan-Meier, beyond the horizon for the layouts the field must rescue) and cost, each rounded. */
static void test_findings(void)
{
    const char *dir = small_comparison();
    g_autofree char *html = slurp(dir, "report.html");
    g_autofree char *csv = slurp(dir, "compare.csv");
    g_assert_nonnull(html);
    g_assert_nonnull(csv);
    const char *at = strstr(html, "<h2>Findings</h2>");
    g_assert_nonnull(at);
    /* at the top: before the figures and the tables */
    g_assert_true(at < strstr(html, "<h2>Figures</h2>"));
    g_assert_nonnull(strstr(at, "Assumptions: 200 HNBs"));
    g_assert_nonnull(strstr(at, "2 replications"));
    static const char *const variants[] = {"single", "golden-release", "ab-golden"};
    static const struct {
        const char *metric, *before, *unit, *after;
    } clauses[] = {
        {"affected_hnbs", ": ", "HNBs", " lost service"},
        {"recovered", "; ", NULL, " losses of service ended by the end"},
        {"recover_km_p50", "median ", "h", NULL},
        {"total_cost", "; cost ", NULL, NULL},
    };
    gboolean some_beyond = FALSE, some_finite = FALSE;
    for (size_t v = 0; v < G_N_ELEMENTS(variants); v++) {
        g_autofree char *open = g_strdup_printf("<li><b>%s</b>", variants[v]);
        const char *li = strstr(at, open);
        g_assert_nonnull(li);
        g_autofree char *item = g_strndup(li, (gsize)(strstr(li, "</li>") - li));
        for (size_t c = 0; c < G_N_ELEMENTS(clauses); c++) {
            double mean, half;
            compare_value(csv, variants[v], clauses[c].metric, &mean, &half);
            g_autofree char *value = finding_value(mean, half, isinf(mean) ? NULL : clauses[c].unit);
            g_autofree char *want = g_strconcat(clauses[c].before, value, clauses[c].after, NULL);
            if (!strstr(item, want))
                g_error("%s: findings lack \"%s\" (compare.csv: %s = %.10g \u00b1 %.10g): %s", variants[v], want,
                        clauses[c].metric, mean, half, item);
            if (strcmp(clauses[c].metric, "recover_km_p50") == 0) {
                some_beyond |= isinf(mean);
                some_finite |= isfinite(mean);
            }
        }
    }
    /* the study's point: the field-bound layout's median lies beyond a 3 h run, that of a golden module reinstalling
     * the release within it (the others wait days for the fix) */
    g_assert_true(some_beyond);
    g_assert_true(some_finite);
}

/* Every figure of a report, in the page and in the picture, says what it assumes: at least the fleet size and the
 * replications. */
static void assert_captions(const char *dir, const char *fleet, const char *reps)
{
    g_autofree char *html = slurp(dir, "report.html");
    g_assert_nonnull(html);
    guint figures = 0;
    for (const char *p = html; (p = strstr(p, "<figure>")) != NULL; p++, figures++) {
        const char *end = strstr(p, "</figure>");
        g_assert_nonnull(end);
        g_autofree char *fig = g_strndup(p, (gsize)(end - p));
        const char *cap = strstr(fig, "<figcaption>");
        g_assert_nonnull(cap);
        if (!strstr(cap, fleet) || !strstr(cap, reps))
            g_error("%s: a caption without \"%s\" or \"%s\": %s", dir, fleet, reps, cap);
    }
    g_assert_cmpuint(figures, >, 3);
    /* the picture itself: gnuplot's SVG text holds the caption under the title */
    g_autofree char *figdir = g_build_filename(dir, "figures", NULL);
    g_autofree char *path = g_build_filename(scratch, figdir, NULL);
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    g_assert_nonnull(d);
    for (const char *n; (n = g_dir_read_name(d)) != NULL;) {
        if (!g_str_has_suffix(n, ".svg"))
            continue;
        g_autofree char *svg = slurp(figdir, n);
        if (!strstr(svg, fleet))
            g_error("%s/%s: no \"%s\" in the picture", figdir, n, fleet);
    }
}

static void test_captions(void)
{
    assert_captions(small_comparison(), "200 HNBs", "2 replications");
    /* the joint time series zoom on the attack's episode and say how the window was chosen */
    g_autofree char *html = slurp(small_comparison(), "report.html");
    const char *in_service = strstr(html, "<b>in-service</b>");
    g_assert_nonnull(in_service);
    const char *end = strstr(in_service, "</figcaption>");
    g_assert_nonnull(end);
    g_autofree char *cap = g_strndup(in_service, (gsize)(end - in_service));
    g_assert_nonnull(strstr(cap, "lower panel: zoom on "));
    g_assert_nonnull(strstr(cap, "[attack] start = 1h"));
    assert_captions(one_scenario(), "150 HNBs", "3 replications");
}

/* Time-series figures over several replications draw the mean over a 95% CI band, from a band file beside the
 * script, and say so; over one replication they draw its lines alone.  The distributions and bars are unchanged. */
static void test_bands(void)
{
    g_autofree char *fleet = slurp(one_scenario(), "figures/fleet.gp");
    g_assert_nonnull(fleet);
    g_assert_nonnull(strstr(fleet, "with filledcurves"));
    g_assert_nonnull(strstr(fleet, "# Caption: Fleet state after the mass rewrite. Lines: mean of 3 replications, "
                                   "band: 95% CI (values held from each replication's last sample)"));
    g_assert_nonnull(strstr(fleet, "plot 'fleet.csv' using"));
    g_autofree char *band = slurp(one_scenario(), "figures/fleet.csv");
    g_assert_nonnull(band);
    g_assert_true(g_str_has_prefix(band, "time_h,in_service,in_service_ci95_half,"));

    /* a comparison of 2 replications: one band per variant */
    g_autofree char *joint = slurp(small_comparison(), "figures/in-service.gp");
    g_assert_nonnull(strstr(joint, "One line per variant: mean of 2 replications, band: 95% CI"));
    g_assert_nonnull(strstr(joint, "strcol('variant') eq 'golden-tls' ? column('time_h') : NaN"));
    g_assert_nonnull(strstr(joint, "with filledcurves"));
    g_autofree char *joint_band = slurp(small_comparison(), "figures/in-service.csv");
    g_assert_true(g_str_has_prefix(joint_band, "variant,time_h,in_service,in_service_ci95_half\nsingle,"));
    g_autofree char *cdf = slurp(small_comparison(), "figures/recovery-cdf.gp");
    g_assert_null(strstr(cdf, "filledcurves"));
    g_assert_nonnull(strstr(cdf, "replication 0 of 2"));

    /* one replication: its lines, no band */
    g_assert_cmpint(hnbsim((const char *const[]){"run", "-q", "-o", "single-rep", "--set", "fleet.size=150", "--set",
                                                 "scenario.duration=2h", "--set", "scenario.replications=1", "--set",
                                                 "tls.fidelity=sampled:10",
                                                 HNB_SOURCE_DIR "/scenarios/mass-rewrite/golden-tls.ini", NULL},
                           NULL, NULL),
                    ==, 0);
    g_autofree char *lone = slurp("single-rep", "figures/fleet.gp");
    g_assert_null(strstr(lone, "filledcurves"));
    g_assert_nonnull(strstr(lone, "Lines: replication 0 of 1"));
    g_assert_null(slurp("single-rep", "figures/fleet.csv"));
}

int main(int argc, char **argv)
{
    cli_init(&argc, &argv);
    g_test_add_func("/report/findings", test_findings);
    g_test_add_func("/report/captions", test_captions);
    g_test_add_func("/report/bands", test_bands);
    g_test_add_func("/report/run-and-comparison-in-chromium", test_run_and_comparison);
    return cli_done();
}
