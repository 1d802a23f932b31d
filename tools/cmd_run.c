/* tools/cmd_run.c — `hnbsim run`: load, run replications on threads, write the result directory.
 *
 * One scenario writes one run directory.  Several — given on the command line, or listed by a scenario's
 * [compare] variants — are variants of one question: they run with the same seed (common random numbers) and write
 * one directory with a subdirectory per variant, compare.csv and figures that put the variants side by side.
 *
 * Every scenario is loaded and the output directory checked before anything runs, so bad input costs nothing and
 * leaves nothing behind.  Replications run as jobs of tools/jobs.c, as a sweep's cells do (one replication per
 * thread at a time); each writes only its own job, and results are written in replication order, so the files do not
 * depend on --threads.
 */
#include "tools/cli.h"
#include "models/model.h"
#include "tools/jobs.h"
#include "tools/plan.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One scenario's replications, in replication order. */
typedef struct {
    const HnbScenario *sc;
    const HnbModel *model;
    guint reps;
    HnbMetrics **metrics;
    HnbSeries **series, **cdf;
} Batch;

/* run's progress line: the share simulated over all replications, replications done, events/s, ETA. */
static void replications_line(const HnbJob *jobs, guint n, const char *name, double wall, gboolean tty,
                              gboolean last)
{
    (void)tty; /* run draws its line on a terminal only */
    HnbTime duration = hnb_scenario_time(jobs[0].sc, "scenario", "duration");
    double sim = 0, events = 0;
    guint done = 0;
    for (guint r = 0; r < n; r++) {
        sim += (double)atomic_load(&jobs[r].progress.sim_ns);
        events += (double)atomic_load(&jobs[r].progress.events);
        done += atomic_load(&jobs[r].done);
    }
    double f = sim / ((double)duration * n);
    double eta = f > 0 ? wall * (1 - f) / f : 0;
    fprintf(stderr, "\r%s: %5.1f%% simulated, replication %u/%u done, %.2fM events/s, ETA %dm%02ds   %s", name,
            100 * f, done, n, wall > 0 ? events / wall / 1e6 : 0, (int)eta / 60, (int)eta % 60, last ? "\n" : "");
    fflush(stderr);
}

static void batch_clear(Batch *b)
{
    for (guint r = 0; b->metrics && r < b->reps; r++) {
        hnb_metrics_free(b->metrics[r]);
        hnb_series_free(b->series[r]);
        hnb_series_free(b->cdf[r]);
    }
    g_free(b->metrics);
    g_free(b->series);
    g_free(b->cdf);
}

gboolean hnb_run_replications(const HnbScenario *sc, unsigned threads, const char *label, guint *reps,
                              HnbMetrics ***metrics, HnbSeries ***series, HnbSeries ***cdf, GError **error)
{
    guint n = (guint)hnb_scenario_int(sc, "scenario", "replications");
    HnbJob *jobs = g_new0(HnbJob, n);
    for (guint r = 0; r < n; r++)
        jobs[r] = (HnbJob){.sc = sc, .rep = r, .group = r, .keep_series = TRUE};
    gboolean ok = hnb_jobs_run(jobs, n, threads, label, replications_line, error);
    if (ok) {
        *reps = n;
        *metrics = g_new0(HnbMetrics *, n);
        *series = g_new0(HnbSeries *, n);
        *cdf = g_new0(HnbSeries *, n);
        for (guint r = 0; r < n; r++) {
            (*metrics)[r] = g_steal_pointer(&jobs[r].metrics);
            (*series)[r] = g_steal_pointer(&jobs[r].series);
            (*cdf)[r] = g_steal_pointer(&jobs[r].cdf);
        }
    }
    hnb_jobs_free(jobs, n);
    return ok;
}

/* Run every replication of b->sc on up to `threads` threads (the progress line on a terminal: tty); FALSE with the
 * first replication's error. */
static gboolean run_batch(Batch *b, unsigned threads, gboolean tty, GError **error)
{
    b->model = hnb_model_find(hnb_scenario_string(b->sc, "scenario", "model"));
    b->reps = (guint)hnb_scenario_int(b->sc, "scenario", "replications");
    const char *name = hnb_scenario_string(b->sc, "scenario", "name");
    return hnb_run_replications(b->sc, threads, tty ? name : NULL, &b->reps, &b->metrics, &b->series, &b->cdf, error);
}

static HnbStamp stamp_of(const HnbScenario *sc, guint reps)
{
    return (HnbStamp){.scenario = hnb_scenario_string(sc, "scenario", "name"),
                      .seed = (guint64)hnb_scenario_int(sc, "scenario", "seed"), .replications = reps,
                      .version = HNB_VERSION, .source = hnb_scenario_source(sc),
                      .hnbs = hnb_scenario_spec(sc, "fleet", "size") ? (guint64)hnb_scenario_int(sc, "fleet", "size")
                                                                      : 0};
}

/* The model's table over all replications and its figures, if it has one. */
static gboolean write_table(HnbRunDir *rd, const Batch *b, const HnbStamp *stamp, gboolean *rendered, GError **error)
{
    *rendered = TRUE;
    if (b->model->table == NULL)
        return TRUE;
    g_autoptr(HnbSeries) table = b->model->table(b->sc, b->metrics, b->reps);
    return hnb_results_write_table(rd, b->model->table_file, table, error) &&
           hnb_results_write_table_figures(rd, stamp, b->model->table_file, table, b->model->table_figures,
                                           b->model->ntable_figures, rendered, error);
}

/* The caption of one scenario's figures (a new string). */
static char *caption_of(const Batch *b)
{
    return hnb_results_caption(&b->sc, 1, b->model->caption);
}

/* One scenario's files into rd (a run directory or a variant's subdirectory). */
static gboolean write_one(HnbRunDir *rd, const Batch *b, gboolean *rendered, GError **error)
{
    HnbStamp stamp = stamp_of(b->sc, b->reps);
    g_autofree char *caption = caption_of(b);
    stamp.caption = caption;
    HnbZoom zoom;
    if (b->model->episode != NULL && b->model->episode(b->sc, b->metrics, b->reps, &zoom))
        stamp.zoom = &zoom;
    g_autofree char *resolved = hnb_scenario_to_data(b->sc);
    gboolean table_rendered = TRUE;
    if (!hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, error) ||
        !hnb_results_write_summary(rd, &stamp, b->metrics, b->reps, error) ||
        !hnb_results_write_series(rd, b->series, b->reps, error) ||
        (b->cdf[0] && !hnb_results_write_csv(rd, "cdf.csv", b->cdf, b->reps, error)) ||
        !hnb_results_write_figures(rd, &stamp, b->series, b->reps, b->model->figures, b->model->nfigures, rendered,
                                   error) ||
        !write_table(rd, b, &stamp, &table_rendered, error))
        return FALSE;
    *rendered &= table_rendered;
    return TRUE;
}

/* A single scenario's run directory: its files, manifest.json (with manifest_extra, may be NULL) and report.html. */
static gboolean write_single(HnbRunDir *rd, const Batch *b, unsigned threads, double wall, const char *manifest_extra,
                             gboolean *rendered, GError **error)
{
    HnbStamp st = stamp_of(b->sc, b->reps);
    st.manifest_extra = manifest_extra;
    g_autofree char *caption = caption_of(b);
    st.caption = caption;
    g_autofree char *compliance = hnb_plan_compliance(b->sc, NULL, NULL, 0);
    return write_one(rd, b, rendered, error) && hnb_results_write_manifest(rd, &st, threads, wall, error) &&
           hnb_results_write_report(rd, &st, compliance, b->model->findings, b->model->nfindings, error);
}

/* A comparison's directory: a subdirectory per variant (a run directory each), the comparison file resolved if there
 * is one, compare.csv and the joint figures, manifest.json and report.html. */
static gboolean write_comparison(HnbRunDir *rd, const HnbPlan *plan, const Batch *batches, unsigned threads,
                                 double wall, const char *manifest_extra, gboolean *rendered, GError **error)
{
    guint n = plan->variants->len;
    gboolean ok = TRUE, r1 = TRUE;
    HnbVariant *vs = g_new0(HnbVariant, n);
    for (guint k = 0; ok && k < n; k++) {
        g_autofree char *sub_name = hnb_plan_dir_name(hnb_scenario_string(batches[k].sc, "scenario", "name"));
        HnbRunDir *sub = hnb_rundir_sub(rd, sub_name);
        ok = write_one(sub, &batches[k], &r1, error);
        *rendered &= r1;
        hnb_rundir_sub_free(sub);
        /* the variant's figures and the joint ones find it under its sanitised name */
        vs[k] = (HnbVariant){.name = g_strdup(sub_name), .reps = batches[k].metrics, .nreps = batches[k].reps,
                             .has_cdf = batches[k].cdf[0] && hnb_series_rows(batches[k].cdf[0]) > 0,
                             .series = batches[k].series};
    }
    const HnbModel *model = batches[0].model;
    const HnbScenario *head = plan->head;
    HnbStamp st = stamp_of(head ? head : batches[0].sc, batches[0].reps);
    if (!head)
        st.scenario = hnb_plan_name(plan);
    st.manifest_extra = manifest_extra;
    /* the joint figures' caption: what the variants share once, what differs per variant */
    const HnbScenario **scs = g_new(const HnbScenario *, n);
    for (guint k = 0; k < n; k++)
        scs[k] = batches[k].sc;
    g_autofree char *caption = hnb_results_caption(scs, n, model->caption);
    g_free(scs);
    st.caption = caption;
    /* the joint figures zoom on the shortest of the variants' episodes: a layout whose HNBs recover in minutes
     * would be a few pixels wide in the window of one that waits for the field, whose days the upper panel shows */
    HnbZoom zoom, one;
    int shortest = -1;
    for (guint k = 0; model->episode != NULL && k < n; k++)
        if (model->episode(batches[k].sc, batches[k].metrics, batches[k].reps, &one) &&
            (shortest < 0 || one.to - one.from < zoom.to - zoom.from)) {
            zoom = one;
            shortest = (int)k;
        }
    if (shortest >= 0) {
        g_autofree char *why = g_strdup_printf("the shortest of the variants' windows (%s): %s", vs[shortest].name,
                                               zoom.why);
        g_strlcpy(zoom.why, why, sizeof zoom.why);
        st.zoom = &zoom;
    }
    if (ok && head) {
        g_autofree char *resolved = hnb_scenario_to_data(head);
        ok = hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, error);
    }
    ok = ok && hnb_results_write_compare(rd, &st, vs, n, model->compare_figures, model->ncompare_figures, &r1, error);
    *rendered &= r1;
    const HnbScenario **vscs = g_new(const HnbScenario *, n);
    const char **vnames = g_new(const char *, n);
    for (guint k = 0; k < n; k++)
        vscs[k] = batches[k].sc, vnames[k] = vs[k].name;
    g_autofree char *compliance = hnb_plan_compliance(head ? head : batches[0].sc, vscs, vnames, n);
    g_free(vscs);
    g_free(vnames);
    ok = ok && hnb_results_write_manifest(rd, &st, threads, wall, error) &&
         hnb_results_write_report(rd, &st, compliance, model->findings, model->nfindings, error);
    for (guint k = 0; k < n; k++)
        g_free((char *)vs[k].name);
    g_free(vs);
    return ok;
}

/* Write dir (it appears only when complete) from the batches of every variant; prints where the results are.  The
 * exit status. */
static int write_results(const HnbPlan *plan, const Batch *batches, const char *dir, gboolean force,
                         unsigned threads, double wall)
{
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
    gboolean ok = rd != NULL, rendered = TRUE;
    if (ok && !plan->compare)
        ok = write_single(rd, &batches[0], threads, wall, NULL, &rendered, &error);
    else if (ok)
        ok = write_comparison(rd, plan, batches, threads, wall, NULL, &rendered, &error);
    if (ok && !rendered)
        fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts (figures/*.gp) and the "
                        "CSV/JSON results, but no PNG/SVG figures\n");
    int rc = hnb_cli_finish(rd, ok, error);
    if (rc != HNB_EXIT_OK)
        return rc;
    printf("%s: results in %s/ (%s), figures in %s/figures/\n", hnb_plan_name(plan), dir,
           plan->compare ? "compare.csv, one subdirectory per variant" : "summary.csv, timeseries.csv", dir);
    return HNB_EXIT_OK;
}

int hnb_run_write_dir(const HnbScenario *sc, guint reps, HnbMetrics **metrics, HnbSeries **series, HnbSeries **cdf,
                      const char *dir, gboolean force, unsigned threads, double wall, const char *manifest_extra,
                      const char *const *files)
{
    Batch b = {.sc = sc, .model = hnb_model_find(hnb_scenario_string(sc, "scenario", "model")), .reps = reps,
               .metrics = metrics, .series = series, .cdf = cdf};
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
    gboolean ok = rd != NULL, rendered = TRUE;
    ok = ok && write_single(rd, &b, threads, wall, manifest_extra, &rendered, &error);
    for (const char *const *f = files; ok && f && f[0]; f += 2)
        ok = hnb_rundir_write(rd, f[0], f[1], -1, &error);
    if (ok && !rendered)
        fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts (figures/*.gp) and the "
                        "CSV/JSON results, but no PNG/SVG figures\n");
    return hnb_cli_finish(rd, ok, error);
}

int hnb_run_write_compare_dir(HnbScenario *const *scs, guint n, const guint *reps, HnbMetrics **const *metrics,
                              HnbSeries **const *series, HnbSeries **const *cdf, const char *dir, gboolean force,
                              unsigned threads, double wall, const char *manifest_extra, const char *const *files)
{
    HnbPlan plan = {.variants = g_ptr_array_new(), .compare = TRUE};
    Batch *b = g_new0(Batch, n);
    for (guint k = 0; k < n; k++) {
        g_ptr_array_add(plan.variants, scs[k]);
        b[k] = (Batch){.sc = scs[k], .model = hnb_model_find(hnb_scenario_string(scs[k], "scenario", "model")),
                       .reps = reps[k], .metrics = metrics[k], .series = series[k], .cdf = cdf[k]};
    }
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
    gboolean ok = rd != NULL, rendered = TRUE;
    ok = ok && write_comparison(rd, &plan, b, threads, wall, manifest_extra, &rendered, &error);
    for (const char *const *f = files; ok && f && f[0]; f += 2)
        ok = hnb_rundir_write(rd, f[0], f[1], -1, &error);
    if (ok && !rendered)
        fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts (figures/*.gp) and the "
                        "CSV/JSON results, but no PNG/SVG figures\n");
    g_ptr_array_free(plan.variants, TRUE);
    g_free(b);
    return hnb_cli_finish(rd, ok, error);
}

/* Run every variant of the plan in turn, stopping at the first that fails (printed).  *ran: the batches to clear. */
static int run_variants(const HnbPlan *plan, Batch *batches, unsigned threads, gboolean tty, guint *ran)
{
    for (guint k = 0; k < plan->variants->len; k++) {
        batches[k].sc = plan->variants->pdata[k];
        *ran = k + 1;
        GError *error = NULL;
        if (!run_batch(&batches[k], threads, tty, &error))
            return hnb_cli_fail(error);
    }
    return HNB_EXIT_OK;
}

typedef struct {
    GStrv sets;
    char *out;
    gint64 seed, reps; /* G_MININT64: not given (any given value is validated) */
    gint threads;
    gboolean force, quiet;
} Options;

static void options_clear(Options *o)
{
    g_strfreev(o->sets);
    g_free(o->out);
}

/* Parse the options into o, leaving the scenario paths in argv; the exit status (HNB_EXIT_OK: go on). */
static int parse_options(int *argc, char ***argv, Options *o)
{
    *o = (Options){.seed = G_MININT64, .reps = G_MININT64};
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, "Result directory (default runs/NAME)", "DIR"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "Override [scenario] seed", "N"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->sets, "Override any key (repeatable)", "GROUP.KEY=VALUE"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "Worker threads (default: all processors)", "N"},
        {"replications", 0, 0, G_OPTION_ARG_INT64, &o->reps, "Override [scenario] replications", "R"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &o->force, "Replace an existing result directory", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress line", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[SCENARIO...] — run scenarios");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "With no SCENARIO, runs scenarios/default.ini.  One scenario writes a result directory: "
             "scenario.resolved.ini, summary.json/csv, timeseries.csv, figures/*.{gp,png,svg}, manifest.json.  "
             "Several scenarios — or one whose [compare] variants lists them — are compared: they run with the same "
             "seed and write one directory with a subdirectory per variant, compare.csv and joint figures.  The "
             "directory appears only when complete.  Same scenario and seed give byte-identical files (all but "
             "manifest.json) at any --threads.\nExit status: 0 ok, 1 run failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error))
        return hnb_cli_fail(error);
    if (hnb_cli_threads("hnbsim run", &o->threads) != HNB_EXIT_OK)
        return HNB_EXIT_INPUT;
    return HNB_EXIT_OK;
}

int hnb_cmd_run(int argc, char **argv)
{
    Options o;
    int rc = parse_options(&argc, &argv, &o);
    if (rc != HNB_EXIT_OK) {
        options_clear(&o);
        return rc;
    }
    /* --seed and --replications are --set overrides, validated the same way */
    g_autoptr(GPtrArray) user_sets = hnb_cli_sets(o.sets, o.seed, o.reps);
    g_ptr_array_add(user_sets, NULL);
    g_autofree char *def = NULL;
    char *one[2] = {NULL, NULL};
    char **paths = argv + 1;
    if (argc < 2) {
        one[0] = def = hnb_cli_default_scenario();
        paths = one;
    }

    HnbPlan plan;
    rc = hnb_plan_load(&plan, paths, (char **)user_sets->pdata, "hnbsim run");
    g_autofree char *stem = rc == HNB_EXIT_OK ? hnb_plan_dir_name(hnb_plan_name(&plan)) : NULL;
    g_autofree char *dir = rc != HNB_EXIT_OK ? NULL
                           : o.out   ? g_strdup(o.out)
                                     : g_build_filename("runs", stem, NULL);
    if (rc == HNB_EXIT_OK && !o.force && g_file_test(dir, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "hnbsim run: %s: exists; use --force to replace it\n", dir);
        rc = HNB_EXIT_INPUT;
    }
    Batch *batches = rc == HNB_EXIT_OK ? g_new0(Batch, plan.variants->len) : NULL;
    guint ran = 0;
    gint64 t0 = g_get_monotonic_time();
    if (rc == HNB_EXIT_OK)
        rc = run_variants(&plan, batches, (unsigned)o.threads, !o.quiet && isatty(STDERR_FILENO), &ran);
    if (rc == HNB_EXIT_OK)
        rc = write_results(&plan, batches, dir, o.force, (unsigned)o.threads,
                           (double)(g_get_monotonic_time() - t0) / 1e6);
    for (guint k = 0; k < ran; k++)
        batch_clear(&batches[k]);
    g_free(batches);
    hnb_plan_clear(&plan);
    options_clear(&o);
    return rc;
}
