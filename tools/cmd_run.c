/* tools/cmd_run.c — `hnbsim run`: load, run replications on threads, write the result directory.
 *
 * Every scenario is loaded and every output directory checked before anything runs, so bad input costs nothing and
 * leaves nothing behind.  Replications run on worker threads (one replication per thread at a time); each writes only
 * its own slot, and results are written in replication order, so the files do not depend on --threads.
 */
#include "cli.h"
#include "model.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const HnbScenario *sc;
    const HnbModel *model;
    guint reps;
    HnbMetrics **metrics;
    HnbSeries **series;
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
        if (!b->model->run(b->sc, r, &b->progress[r], b->metrics[r], &b->series[r], &b->errors[r]) &&
            !b->errors[r])
            g_set_error(&b->errors[r], HNB_ERROR, HNB_ERROR_RUN, "replication %u failed", r);
        atomic_fetch_add(&b->done, 1);
    }
    return NULL;
}

static void show_progress(Batch *b, const char *name, HnbTime duration, gint64 t0, gboolean last)
{
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

static char *dir_name(const char *name)
{
    char *d = g_strdup(name);
    for (char *p = d; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    return d;
}

/* Write everything into a new run directory; on any failure nothing is left at `dir`. */
static gboolean write_results(const char *dir, gboolean force, Batch *b, unsigned threads, double wall,
                              gboolean *warned_gnuplot, GError **error)
{
    const HnbScenario *sc = b->sc;
    HnbStamp stamp = {hnb_scenario_string(sc, "scenario", "name"), (guint64)hnb_scenario_int(sc, "scenario", "seed"),
                      b->reps, HNB_VERSION, hnb_scenario_source(sc)};
    HnbRunDir *rd = hnb_rundir_begin(dir, force, error);
    if (!rd)
        return FALSE;
    g_autofree char *resolved = hnb_scenario_to_data(sc);
    gboolean rendered = TRUE;
    if (!hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, error) ||
        !hnb_results_write_summary(rd, &stamp, b->metrics, b->reps, error) ||
        !hnb_results_write_series(rd, b->series, b->reps, error) ||
        !hnb_results_write_figures(rd, &stamp, b->model->figures, b->model->nfigures, &rendered, error) ||
        !hnb_results_write_manifest(rd, &stamp, threads, wall, error)) {
        hnb_rundir_abort(rd);
        return FALSE;
    }
    if (!rendered && !*warned_gnuplot) {
        fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts (figures/*.gp) and the CSV/JSON "
                        "results, but no PNG/SVG figures\n");
        *warned_gnuplot = TRUE;
    }
    return hnb_rundir_commit(rd, error);
}

int hnb_cmd_run(int argc, char **argv)
{
    g_auto(GStrv) sets = NULL;
    g_autofree char *out = NULL;
    gint64 seed = G_MININT64, reps = G_MININT64; /* MININT64: not given (any given value is validated) */
    gint threads = 0;
    gboolean force = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "Result directory (several scenarios: the parent of one directory each; default runs/NAME)", "DIR"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Override [scenario] seed", "N"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override any key (repeatable)", "GROUP.KEY=VALUE"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all processors)", "N"},
        {"replications", 0, 0, G_OPTION_ARG_INT64, &reps, "Override [scenario] replications", "R"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace existing result directories", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress line", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[SCENARIO...] — run scenarios");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "With no SCENARIO, runs scenarios/default.ini.  Each scenario writes a result directory: "
             "scenario.resolved.ini, summary.json/csv, timeseries.csv, figures/*.{gp,png,svg}, manifest.json.  "
             "The directory appears only when complete.  Same scenario and seed give byte-identical files (all but "
             "manifest.json) at any --threads.\nExit status: 0 ok, 1 run failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (threads < 0 || threads > 4096) {
        fprintf(stderr, "hnbsim run: --threads %d: expected 1..4096 (0 or absent: all processors)\n", threads);
        return HNB_EXIT_INPUT;
    }
    if (threads == 0)
        threads = (gint)g_get_num_processors();

    /* --seed and --replications are --set overrides, validated the same way */
    GPtrArray *all_sets = g_ptr_array_new_with_free_func(g_free);
    for (char **s = sets; s && *s; s++)
        g_ptr_array_add(all_sets, g_strdup(*s));
    if (seed != G_MININT64)
        g_ptr_array_add(all_sets, g_strdup_printf("scenario.seed=%" G_GINT64_FORMAT, seed));
    if (reps != G_MININT64)
        g_ptr_array_add(all_sets, g_strdup_printf("scenario.replications=%" G_GINT64_FORMAT, reps));
    g_ptr_array_add(all_sets, NULL);

    g_autofree char *def = NULL;
    char *one[2] = {NULL, NULL};
    char **paths = argv + 1;
    if (argc < 2) {
        one[0] = def = hnb_cli_default_scenario();
        paths = one;
    }
    guint n = g_strv_length(paths);
    HnbScenario **scs = g_new0(HnbScenario *, n);
    char **dirs = g_new0(char *, n + 1);
    int rc = HNB_EXIT_OK;
    for (guint i = 0; i < n && rc == HNB_EXIT_OK; i++) {
        scs[i] = hnb_cli_load(paths[i], (char **)all_sets->pdata, &error);
        if (!scs[i]) {
            rc = hnb_cli_fail(error);
            break;
        }
        g_autofree char *stem = dir_name(hnb_scenario_string(scs[i], "scenario", "name"));
        if (n == 1 && out)
            dirs[i] = g_strdup(out);
        else
            dirs[i] = g_build_filename(out ? out : "runs", stem, NULL);
        for (guint j = 0; j < i; j++)
            if (strcmp(dirs[i], dirs[j]) == 0) {
                fprintf(stderr, "hnbsim run: %s and %s would both write %s (give them different [scenario] names)\n",
                        paths[j], paths[i], dirs[i]);
                rc = HNB_EXIT_INPUT;
            }
        if (rc == HNB_EXIT_OK && !force && g_file_test(dirs[i], G_FILE_TEST_EXISTS)) {
            fprintf(stderr, "hnbsim run: %s: exists; use --force to replace it\n", dirs[i]);
            rc = HNB_EXIT_INPUT;
        }
    }

    gboolean tty = !quiet && isatty(STDERR_FILENO), warned_gnuplot = FALSE;
    for (guint i = 0; i < n && rc == HNB_EXIT_OK; i++) {
        const char *name = hnb_scenario_string(scs[i], "scenario", "name");
        Batch b = {.sc = scs[i], .model = hnb_model_find(hnb_scenario_string(scs[i], "scenario", "model"))};
        b.reps = (guint)hnb_scenario_int(scs[i], "scenario", "replications");
        b.metrics = g_new0(HnbMetrics *, b.reps);
        b.series = g_new0(HnbSeries *, b.reps);
        b.errors = g_new0(GError *, b.reps);
        b.progress = g_new0(HnbProgress, b.reps);
        guint nthreads = (guint)threads < b.reps ? (guint)threads : b.reps;
        GThread **th = g_new0(GThread *, nthreads);
        gint64 t0 = g_get_monotonic_time();
        for (guint t = 0; t < nthreads; t++)
            th[t] = g_thread_new("replication", worker, &b);
        while (atomic_load(&b.done) < b.reps) {
            g_usleep(200000);
            if (tty)
                show_progress(&b, name, hnb_scenario_time(scs[i], "scenario", "duration"), t0, FALSE);
        }
        for (guint t = 0; t < nthreads; t++)
            g_thread_join(th[t]);
        double wall = (double)(g_get_monotonic_time() - t0) / 1e6;
        if (tty)
            show_progress(&b, name, hnb_scenario_time(scs[i], "scenario", "duration"), t0, TRUE);
        for (guint r = 0; r < b.reps && rc == HNB_EXIT_OK; r++)
            if (b.errors[r]) {
                g_prefix_error(&b.errors[r], "%s: replication %u: ", paths[i], r);
                rc = hnb_cli_fail(g_steal_pointer(&b.errors[r]));
            }
        if (rc == HNB_EXIT_OK) {
            if (write_results(dirs[i], force, &b, (unsigned)threads, wall, &warned_gnuplot, &error)) {
                printf("%s: results in %s/ (summary.csv, timeseries.csv), figures in %s/figures/\n", name, dirs[i],
                       dirs[i]);
            } else {
                rc = hnb_cli_fail(error);
            }
        }
        for (guint r = 0; r < b.reps; r++) {
            if (b.metrics[r])
                hnb_metrics_free(b.metrics[r]);
            if (b.series[r])
                hnb_series_free(b.series[r]);
            g_clear_error(&b.errors[r]);
        }
        g_free(b.metrics);
        g_free(b.series);
        g_free(b.errors);
        g_free(b.progress);
        g_free(th);
    }
    for (guint i = 0; i < n; i++)
        if (scs[i])
            hnb_scenario_free(scs[i]);
    g_free(scs);
    g_strfreev(dirs);
    g_ptr_array_free(all_sets, TRUE);
    return rc;
}
