/* tools/cmd_run.c — `hnbsim run`: load, run replications on threads, write the result directory.
 *
 * One scenario writes one run directory.  Several — given on the command line, or listed by a scenario's
 * [compare] variants — are variants of one question: they run with the same seed (common random numbers) and write
 * one directory with a subdirectory per variant, compare.csv and figures that put the variants side by side.
 *
 * Every scenario is loaded and the output directory checked before anything runs, so bad input costs nothing and
 * leaves nothing behind.  Replications run on worker threads (one replication per thread at a time); each writes only
 * its own slot, and results are written in replication order, so the files do not depend on --threads.
 */
#include "tools/cli.h"
#include "models/model.h"
#include "tools/plan.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const HnbScenario *sc;
    const HnbModel *model;
    const char *path;
    guint reps;
    HnbMetrics **metrics;
    HnbSeries **series, **cdf;
    GError **errors;
    HnbProgress *progress;
    atomic_uint next, done;
} Batch;

static gpointer worker(gpointer data)
{
    Batch *b = data;
    for (;;) {
        guint r = atomic_fetch_add(&b->next, 1);
        if (r >= b->reps)
            break;
        b->metrics[r] = hnb_metrics_new();
        if (!b->model->run(b->sc, r, &b->progress[r], b->metrics[r], &b->series[r], &b->cdf[r], &b->errors[r]) &&
            !b->errors[r])
            g_set_error(&b->errors[r], HNB_ERROR, HNB_ERROR_RUN, "replication %u failed", r);
        atomic_fetch_add(&b->done, 1);
    }
    return NULL;
}

static void show_progress(Batch *b, const char *name, gint64 t0, gboolean last)
{
    HnbTime duration = hnb_scenario_time(b->sc, "scenario", "duration");
    double sim = 0, events = 0;
    for (guint r = 0; r < b->reps; r++) {
        sim += (double)atomic_load(&b->progress[r].sim_ns);
        events += (double)atomic_load(&b->progress[r].events);
    }
    double f = sim / ((double)duration * b->reps), wall = (double)(g_get_monotonic_time() - t0) / 1e6;
    double eta = f > 0 ? wall * (1 - f) / f : 0;
    fprintf(stderr, "\r%s: %5.1f%% simulated, replication %u/%u done, %.2fM events/s, ETA %dm%02ds   %s", name,
            100 * f, atomic_load(&b->done), b->reps, wall > 0 ? events / wall / 1e6 : 0, (int)eta / 60,
            (int)eta % 60, last ? "\n" : "");
    fflush(stderr);
}

static void batch_clear(Batch *b)
{
    for (guint r = 0; r < b->reps; r++) {
        if (b->metrics[r])
            hnb_metrics_free(b->metrics[r]);
        if (b->series[r])
            hnb_series_free(b->series[r]);
        if (b->cdf[r])
            hnb_series_free(b->cdf[r]);
        g_clear_error(&b->errors[r]);
    }
    g_free(b->metrics);
    g_free(b->series);
    g_free(b->cdf);
    g_free(b->errors);
    g_free(b->progress);
}

/* Run every replication of b->sc on up to `threads` threads; FALSE with the first replication's error. */
static gboolean run_batch(Batch *b, unsigned threads, gboolean tty, GError **error)
{
    const char *name = hnb_scenario_string(b->sc, "scenario", "name");
    b->model = hnb_model_find(hnb_scenario_string(b->sc, "scenario", "model"));
    b->reps = (guint)hnb_scenario_int(b->sc, "scenario", "replications");
    b->metrics = g_new0(HnbMetrics *, b->reps);
    b->series = g_new0(HnbSeries *, b->reps);
    b->cdf = g_new0(HnbSeries *, b->reps);
    b->errors = g_new0(GError *, b->reps);
    b->progress = g_new0(HnbProgress, b->reps);
    guint nthreads = threads < b->reps ? threads : b->reps;
    /* threads left over by the replications go to each replication's worker pool (handshakes); the replication's
     * own thread works too, as it joins jobs */
    for (guint r = 0; r < b->reps; r++)
        b->progress[r].pool_threads = threads / nthreads > 1 ? threads / nthreads - 1 : 0;
    GThread **th = g_new0(GThread *, nthreads);
    gint64 t0 = g_get_monotonic_time();
    for (guint t = 0; t < nthreads; t++)
        th[t] = g_thread_new("replication", worker, b);
    while (atomic_load(&b->done) < b->reps) {
        g_usleep(200000);
        if (tty)
            show_progress(b, name, t0, FALSE);
    }
    for (guint t = 0; t < nthreads; t++)
        g_thread_join(th[t]);
    g_free(th);
    if (tty)
        show_progress(b, name, t0, TRUE);
    for (guint r = 0; r < b->reps; r++)
        if (b->errors[r]) {
            g_propagate_prefixed_error(error, g_steal_pointer(&b->errors[r]), "%s: replication %u: ", b->path, r);
            return FALSE;
        }
    return TRUE;
}

static HnbStamp stamp_of(const HnbScenario *sc, guint reps)
{
    return (HnbStamp){hnb_scenario_string(sc, "scenario", "name"), (guint64)hnb_scenario_int(sc, "scenario", "seed"),
                      reps, HNB_VERSION, hnb_scenario_source(sc)};
}

/* The model's table over all replications and its figures, if it has one. */
static gboolean write_table(HnbRunDir *rd, Batch *b, const HnbStamp *stamp, gboolean *rendered, GError **error)
{
    *rendered = TRUE;
    if (b->model->table == NULL)
        return TRUE;
    g_autoptr(HnbSeries) table = b->model->table(b->sc, b->metrics, b->reps);
    return hnb_results_write_table(rd, b->model->table_file, table, error) &&
           hnb_results_write_table_figures(rd, stamp, b->model->table_file, b->model->table_figures,
                                           b->model->ntable_figures, rendered, error);
}

/* One scenario's files into rd (a run directory or a variant's subdirectory). */
static gboolean write_one(HnbRunDir *rd, Batch *b, gboolean *rendered, GError **error)
{
    HnbStamp stamp = stamp_of(b->sc, b->reps);
    g_autofree char *resolved = hnb_scenario_to_data(b->sc);
    gboolean table_rendered = TRUE;
    if (!hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, error) ||
        !hnb_results_write_summary(rd, &stamp, b->metrics, b->reps, error) ||
        !hnb_results_write_series(rd, b->series, b->reps, error) ||
        (b->cdf[0] && !hnb_results_write_csv(rd, "cdf.csv", b->cdf, b->reps, error)) ||
        !hnb_results_write_figures(rd, &stamp, b->model->figures, b->model->nfigures, rendered, error) ||
        !write_table(rd, b, &stamp, &table_rendered, error))
        return FALSE;
    *rendered &= table_rendered;
    return TRUE;
}

int hnb_cmd_run(int argc, char **argv)
{
    g_auto(GStrv) sets = NULL;
    g_autofree char *out = NULL;
    gint64 seed = G_MININT64, reps = G_MININT64; /* MININT64: not given (any given value is validated) */
    gint threads = 0;
    gboolean force = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Result directory (default runs/NAME)", "DIR"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Override [scenario] seed", "N"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override any key (repeatable)", "GROUP.KEY=VALUE"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all processors)", "N"},
        {"replications", 0, 0, G_OPTION_ARG_INT64, &reps, "Override [scenario] replications", "R"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace an existing result directory", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress line", NULL},
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
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (hnb_cli_threads("hnbsim run", &threads) != HNB_EXIT_OK)
        return HNB_EXIT_INPUT;

    /* --seed and --replications are --set overrides, validated the same way */
    g_autoptr(GPtrArray) user_sets = hnb_cli_sets(sets, seed, reps);
    g_ptr_array_add(user_sets, NULL);

    g_autofree char *def = NULL;
    char *one[2] = {NULL, NULL};
    char **paths = argv + 1;
    if (argc < 2) {
        one[0] = def = hnb_cli_default_scenario();
        paths = one;
    }

    HnbPlan plan;
    int rc = hnb_plan_load(&plan, paths, (char **)user_sets->pdata, "hnbsim run");
    if (rc != HNB_EXIT_OK) {
        hnb_plan_clear(&plan);
        return rc;
    }
    GPtrArray *variants = plan.variants, *variant_paths = plan.paths;
    HnbScenario *head = plan.head; /* the comparison file */
    gboolean compare = plan.compare;
    const char *name = hnb_plan_name(&plan);
    g_autofree char *stem = hnb_plan_dir_name(name);
    g_autofree char *dir = out ? g_strdup(out) : g_build_filename("runs", stem, NULL);
    if (rc == HNB_EXIT_OK && !force && g_file_test(dir, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "hnbsim run: %s: exists; use --force to replace it\n", dir);
        rc = HNB_EXIT_INPUT;
    }

    gboolean tty = !quiet && isatty(STDERR_FILENO), warned_gnuplot = FALSE;
    Batch *batches = g_new0(Batch, variants->len);
    guint ran = 0;
    gint64 t0 = g_get_monotonic_time();
    for (guint k = 0; k < variants->len && rc == HNB_EXIT_OK; k++, ran++) {
        batches[k].sc = variants->pdata[k];
        batches[k].path = variant_paths->pdata[k];
        if (!run_batch(&batches[k], (unsigned)threads, tty, &error))
            rc = hnb_cli_fail(error);
    }
    if (rc == HNB_EXIT_OK) {
        double wall = (double)(g_get_monotonic_time() - t0) / 1e6;
        HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
        gboolean ok = rd != NULL, rendered = TRUE, r1 = TRUE;
        if (ok && !compare) {
            ok = write_one(rd, &batches[0], &rendered, &error);
            HnbStamp st = stamp_of(batches[0].sc, batches[0].reps);
            g_autofree char *compliance = hnb_plan_compliance(batches[0].sc);
            ok = ok && hnb_results_write_manifest(rd, &st, (unsigned)threads, wall, &error) &&
                 hnb_results_write_report(rd, &st, compliance, &error);
        } else if (ok) {
            HnbVariant *vs = g_new0(HnbVariant, variants->len);
            for (guint k = 0; ok && k < variants->len; k++) {
                g_autofree char *sub_name = hnb_plan_dir_name(hnb_scenario_string(batches[k].sc, "scenario", "name"));
                HnbRunDir *sub = hnb_rundir_sub(rd, sub_name);
                ok = write_one(sub, &batches[k], &r1, &error);
                rendered &= r1;
                hnb_rundir_sub_free(sub);
                vs[k] = (HnbVariant){hnb_scenario_string(batches[k].sc, "scenario", "name"),
                                     batches[k].metrics, batches[k].reps,
                                     batches[k].cdf[0] && hnb_series_rows(batches[k].cdf[0]) > 0};
                /* the variant's figures and the joint ones find it under its sanitised name */
                vs[k].name = g_strdup(sub_name);
            }
            const HnbModel *model = batches[0].model;
            HnbStamp st = head ? stamp_of(head, batches[0].reps) : stamp_of(batches[0].sc, batches[0].reps);
            if (!head)
                st.scenario = name;
            if (ok && head) {
                g_autofree char *resolved = hnb_scenario_to_data(head);
                ok = hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, &error);
            }
            ok = ok && hnb_results_write_compare(rd, &st, vs, variants->len, model->compare_figures,
                                                 model->ncompare_figures, &r1, &error);
            rendered &= r1;
            g_autofree char *compliance = hnb_plan_compliance(head ? head : batches[0].sc);
            ok = ok && hnb_results_write_manifest(rd, &st, (unsigned)threads, wall, &error) &&
                 hnb_results_write_report(rd, &st, compliance, &error);
            for (guint k = 0; k < variants->len; k++)
                g_free((char *)vs[k].name);
            g_free(vs);
        }
        if (ok && !rendered && !warned_gnuplot) {
            fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts (figures/*.gp) and the "
                            "CSV/JSON results, but no PNG/SVG figures\n");
            warned_gnuplot = TRUE;
        }
        if (ok) {
            ok = hnb_rundir_commit(rd, &error);
        } else if (rd) {
            hnb_rundir_abort(rd);
        }
        if (ok)
            printf("%s: results in %s/ (%s), figures in %s/figures/\n", name, dir,
                   compare ? "compare.csv, one subdirectory per variant" : "summary.csv, timeseries.csv", dir);
        else
            rc = hnb_cli_fail(error);
    }
    for (guint k = 0; k < ran; k++)
        batch_clear(&batches[k]);
    g_free(batches);
    hnb_plan_clear(&plan);
    return rc;
}
