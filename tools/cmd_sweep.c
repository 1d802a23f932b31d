/* tools/cmd_sweep.c — `hnbsim sweep`: a scenario (or a comparison) over a grid of parameter values.
 *
 * Every point of the grid is the scenario with the point's keys set on top (as --set would), loaded and checked
 * before anything runs.  A cell — (variant, point, replication) — is one run: replication r of every point draws
 * from the streams of (seed, r), so points are compared on common random numbers and a cell's result is a function
 * of the scenario alone, whichever thread, shard or machine runs it.
 *
 * With a ci target the replications of each point come in rounds: all points run [scenario] replications; then each
 * point whose half-width is still above the target gets more, as many as the half-width's 1/sqrt(n) law says it
 * needs (at least one, at most doubling, at most max_replications), until every point meets the target or its cap.
 * The rounds depend only on the points' own results, so the replications each point ends with do not depend on
 * --threads or on sharding (a shard runs whole points then).
 */
#include "tools/cli.h"
#include "tools/jobs.h"
#include "tools/mpi_jobs.h"
#include "tools/plan.h"
#include "results/sweep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "I/N" with 1 <= I <= N. */
static gboolean parse_shard(const char *text, guint *index, guint *count)
{
    guint64 i, n;
    g_auto(GStrv) parts = g_strsplit(text, "/", -1);
    if (g_strv_length(parts) != 2 || !g_ascii_string_to_unsigned(parts[0], 10, 1, 1000000, &i, NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 1000000, &n, NULL) || i > n)
        return FALSE;
    *index = (guint)i;
    *count = (guint)n;
    return TRUE;
}

/* The grid from --vary (each entry named as given) or from the head's [sweep] vary (named by file and line). */
static gboolean build_grid(HnbGrid *grid, const HnbScenario *head, const HnbScenario *schema_of, char **vary,
                           GError **error)
{
    if (vary && *vary) {
        for (char **v = vary; *v; v++) {
            g_autofree char *origin = g_strdup_printf("--vary %s", *v);
            if (!hnb_grid_add(grid, schema_of, *v, origin, error))
                return FALSE;
        }
        return TRUE;
    }
    const char *text = hnb_scenario_string(head, "sweep", "vary");
    int line = hnb_scenario_line(head, "sweep", "vary");
    g_autofree char *origin = line ? g_strdup_printf("%s:%d: [sweep] vary", hnb_scenario_source(head), line)
                                   : g_strdup_printf("--set sweep.vary=%s", text);
    g_auto(GStrv) entries = hnb_grid_split(text);
    for (char **e = entries; *e; e++)
        if (!hnb_grid_add(grid, schema_of, *e, origin, error))
            return FALSE;
    return TRUE;
}

/* SHA-256 over the resolved head and every variant's resolved text: two shard directories merge only if they ran
 * the same scenario. */
static char *scenario_hash(const HnbPlan *plan)
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    if (plan->head) {
        g_autofree char *t = hnb_scenario_to_data(plan->head);
        g_checksum_update(ck, (const guchar *)t, -1);
    }
    for (guint k = 0; k < plan->variants->len; k++) {
        g_autofree char *t = hnb_scenario_to_data(plan->variants->pdata[k]);
        g_checksum_update(ck, (const guchar *)"\n# variant\n", -1);
        g_checksum_update(ck, (const guchar *)t, -1);
    }
    return g_strdup(g_checksum_get_string(ck));
}

typedef struct {
    HnbSweep *sw;
    HnbScenario **points; /* [variant * P + point] */
    guint nv, np;
    unsigned threads;
    gboolean quiet;
    gboolean prepared; /* metrics known and checked */
    const char *name;
} Study;

/* Run the cells (variant*P + point, reps from..to) listed in want, add them to the sweep. */
static int run_round(Study *st, const GArray *want, const char *label, GError **error)
{
    guint n = 0;
    for (guint i = 0; i < want->len; i += 3)
        n += g_array_index(want, guint, i + 2) - g_array_index(want, guint, i + 1);
    HnbJob *jobs = g_new0(HnbJob, n ? n : 1);
    guint j = 0;
    for (guint i = 0; i < want->len; i += 3) {
        guint vp = g_array_index(want, guint, i);
        for (guint r = g_array_index(want, guint, i + 1); r < g_array_index(want, guint, i + 2); r++)
            jobs[j++] = (HnbJob){.sc = st->points[vp], .rep = r, .group = vp};
    }
    gboolean ok = hnb_mpi_jobs_run(jobs, n, st->threads, st->quiet ? NULL : label, error);
    for (guint i = 0; ok && i < n; i++)
        ok = hnb_sweep_add(st->sw, jobs[i].group / st->np, jobs[i].group % st->np, jobs[i].rep, jobs[i].metrics,
                           error);
    hnb_jobs_free(jobs, n);
    if (!ok)
        return HNB_EXIT_RUN;
    if (!st->prepared && st->sw->metric_names->len) {
        /* the metrics are known only now: a figure or ci metric the model does not report is bad input */
        if (!hnb_sweep_prepare(st->sw, error))
            return HNB_EXIT_INPUT;
        st->prepared = TRUE;
    }
    return HNB_EXIT_OK;
}

static void want_add(GArray *want, guint vp, guint from, guint to)
{
    guint t[3] = {vp, from, to};
    g_array_append_vals(want, t, 3);
}

/* How many replications a point whose half-width is `half` with n replications should have next. */
static guint next_n(const HnbSweep *sw, guint n, double mean, double half)
{
    double target = sw->ci_relative ? sw->ci_value * fabs(mean) : sw->ci_value;
    double need = isfinite(half) && target > 0 ? ceil(n * (half / target) * (half / target)) : 2.0 * n;
    guint next = need > 2.0 * n ? 2 * n : MAX(n + 1, (guint)need);
    return MIN(next, sw->max_replications);
}

static int run_all(Study *st, guint shard, guint nshards, GError **error)
{
    HnbSweep *sw = st->sw;
    g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autofree char *label = g_strdup_printf("sweep %s", st->name);
    if (!*sw->ci_target) {
        for (guint vp = 0; vp < st->nv * st->np; vp++)
            for (guint r = 0; r < sw->replications; r++)
                if (!nshards || hnb_sweep_shard_of(sw, vp / st->np, vp % st->np, r, nshards) == shard)
                    want_add(want, vp, r, r + 1);
        return run_round(st, want, label, error);
    }
    g_autofree guint *n = g_new0(guint, st->nv * st->np);
    for (guint vp = 0; vp < st->nv * st->np; vp++)
        if (!nshards || hnb_sweep_shard_of(sw, vp / st->np, vp % st->np, 0, nshards) == shard) {
            want_add(want, vp, 0, sw->replications);
            n[vp] = sw->replications;
        }
    for (guint round = 1; want->len; round++) {
        g_autofree char *lr = g_strdup_printf("%s (round %u)", label, round);
        int rc = run_round(st, want, lr, error);
        if (rc != HNB_EXIT_OK)
            return rc;
        g_array_set_size(want, 0);
        for (guint vp = 0; vp < st->nv * st->np; vp++) {
            if (n[vp] == 0 || n[vp] >= sw->max_replications || hnb_sweep_target_met(sw, vp / st->np, vp % st->np))
                continue;
            double mean, half;
            guint have;
            hnb_sweep_stat(sw, vp / st->np, vp % st->np, (guint)sw->ci_metric, &mean, &half, &have);
            guint next = next_n(sw, n[vp], mean, half);
            want_add(want, vp, n[vp], next);
            n[vp] = next;
        }
    }
    /* say which points stopped at the cap, not at the target */
    for (guint vp = 0; vp < st->nv * st->np; vp++)
        if (n[vp] && !hnb_sweep_target_met(sw, vp / st->np, vp % st->np)) {
            g_autofree char *desc = hnb_grid_describe(sw->grid, vp % st->np);
            fprintf(stderr, "hnbsim sweep: %s%spoint %u (%s): CI target %s not met after %u replications (the cap)\n",
                    sw->variants->len ? (char *)sw->variants->pdata[vp / st->np] : "", sw->variants->len ? ": " : "",
                    vp % st->np, desc, sw->ci_target, n[vp]);
        }
    return HNB_EXIT_OK;
}

/* What every figure of the sweep states: the swept scenario(s)' assumptions (the model's caption clauses; a key the
 * grid varies reads its base value there, so the caption then says which keys the points vary), or "". */
static char *sweep_caption(const HnbPlan *plan, const HnbScenario *head, const HnbGrid *grid)
{
    const HnbModel *model = hnb_model_find(hnb_scenario_string(head, "scenario", "model"));
    if (!model || !model->caption)
        return g_strdup("");
    g_autofree char *base =
        hnb_results_caption((const HnbScenario *const *)plan->variants->pdata, plan->variants->len, model->caption);
    GString *out = g_string_new(base);
    g_string_append(out, "; each point varies");
    for (guint a = 0; a < grid->axes->len; a++)
        g_string_append_printf(out, "%s %s", a ? "," : "", ((const HnbGridAxis *)grid->axes->pdata[a])->name);
    g_string_append(out, " (the values above are the base scenario's)");
    return g_string_free(out, FALSE);
}

/* The sweep's plan from the head scenario (a comparison's variants as its variants); the exit status. */
static int describe_sweep(HnbSweep *sw, const HnbPlan *plan, const Study *st, const HnbScenario *head, guint shard,
                          guint nshards)
{
    g_free(sw->scenario);
    sw->scenario = g_strdup(st->name);
    sw->seed = (guint64)hnb_scenario_int(head, "scenario", "seed");
    g_free(sw->version);
    sw->version = g_strdup(HNB_VERSION);
    g_free(sw->hash);
    sw->hash = scenario_hash(plan);
    g_free(sw->ci_target);
    sw->ci_target = g_strdup(hnb_scenario_string(head, "sweep", "ci_target"));
    g_free(sw->plot);
    sw->plot = g_strdup(hnb_scenario_string(head, "sweep", "metrics"));
    g_free(sw->caption);
    sw->caption = sweep_caption(plan, head, sw->grid);
    sw->replications = (guint)hnb_scenario_int(head, "scenario", "replications");
    sw->max_replications = (guint)hnb_scenario_int(head, "sweep", "max_replications");
    sw->shard = shard;
    sw->nshards = nshards;
    if (*sw->ci_target && !strchr(sw->ci_target, '=')) { /* the metric and unit are checked after the first runs */
        fprintf(stderr, "hnbsim sweep: ci target \"%s\": expected METRIC=HALFWIDTH or METRIC=P%%\n", sw->ci_target);
        return HNB_EXIT_INPUT;
    }
    if (*sw->ci_target) {
        sw->replications = MAX(sw->replications, 2); /* a half-width needs two */
        if (sw->max_replications < sw->replications) {
            fprintf(stderr, "hnbsim sweep: max_replications %u is below the %u replications each point starts with\n",
                    sw->max_replications, sw->replications);
            return HNB_EXIT_INPUT;
        }
    }
    if (plan->compare)
        for (guint k = 0; k < plan->variants->len; k++)
            g_ptr_array_add(sw->variants,
                            hnb_plan_dir_name(hnb_scenario_string(plan->variants->pdata[k], "scenario", "name")));
    return HNB_EXIT_OK;
}

/* The result directory (it appears only when complete) from rank 0's results; prints where it is.  The exit
 * status. */
static int write_sweep(const Study *st, const HnbScenario *head, const char *dir, gboolean force, guint shard,
                       guint nshards, gint64 t0)
{
    HnbSweep *sw = st->sw;
    GError *error = NULL;
    HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
    gboolean ok = rd != NULL, rendered = TRUE;
    g_autofree char *resolved = hnb_scenario_to_data(head);
    HnbStamp stamp = {.scenario = st->name, .seed = sw->seed, .replications = sw->replications, .version = HNB_VERSION,
                      .source = hnb_scenario_source(head)};
    ok = ok && hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, &error) &&
         hnb_sweep_write(rd, sw, &rendered, &error) &&
         hnb_results_write_manifest(rd, &stamp, st->threads, (double)(g_get_monotonic_time() - t0) / 1e6,
                                    &error);
    g_autofree char *compliance = hnb_plan_compliance(head, NULL, NULL, 0);
    ok = ok && hnb_results_write_report(rd, &stamp, compliance, NULL, 0, &error);
    if (ok && !rendered)
        fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts (figures/*.gp) and the CSV "
                        "results, but no PNG/SVG figures\n");
    int rc = hnb_cli_finish(rd, ok, error);
    if (rc != HNB_EXIT_OK)
        return rc;
    if (nshards)
        printf("%s: shard %u/%u (%u runs) in %s/; join the shards with hnbsim merge\n", st->name, shard, nshards,
               sw->cells->len, dir);
    else
        printf("%s: %u points x %u variant(s), %u runs: results in %s/ (points.csv, aggregate.csv)%s\n", st->name,
               st->np, st->nv, sw->cells->len, dir, *sw->plot ? ", figures in figures/" : "");
    return HNB_EXIT_OK;
}

/* The sweep of a loaded plan: the grid, every point loaded, the runs, the result directory. */
static int sweep(HnbPlan *plan, Study *st, char **vary, const char *out, gboolean force, guint shard, guint nshards)
{
    HnbSweep *sw = st->sw;
    GError *error = NULL;
    int rc = HNB_EXIT_OK;
    gint64 t0 = g_get_monotonic_time();
    const HnbScenario *head = plan->head ? plan->head : plan->variants->pdata[0];

    if (!build_grid(sw->grid, head, plan->variants->pdata[0], vary, &error)) {
        return hnb_cli_fail(error);
    }
    if (sw->grid->axes->len == 0) {
        fprintf(stderr, "hnbsim sweep: %s: nothing to vary: give --vary GROUP.KEY=VALUES or a [sweep] vary line\n",
                hnb_scenario_source(head));
        return HNB_EXIT_INPUT;
    }
    rc = describe_sweep(sw, plan, st, head, shard, nshards);
    if (rc != HNB_EXIT_OK)
        return rc;
    /* every point of every variant, loaded and checked before anything runs */
    st->np = hnb_grid_points(sw->grid);
    st->points = g_new0(HnbScenario *, st->nv * st->np);
    for (guint vp = 0; vp < st->nv * st->np && rc == HNB_EXIT_OK; vp++) {
        g_autoptr(GPtrArray) psets = g_ptr_array_new_with_free_func(g_free);
        for (guint s = 0; s + 1 < plan->sets->len; s++)
            g_ptr_array_add(psets, g_strdup(plan->sets->pdata[s]));
        hnb_grid_sets(sw->grid, vp % st->np, psets);
        g_ptr_array_add(psets, NULL);
        st->points[vp] = hnb_cli_load(plan->paths->pdata[vp / st->np], (char **)psets->pdata, &error);
        if (!st->points[vp]) {
            g_autofree char *desc = hnb_grid_describe(sw->grid, vp % st->np);
            g_prefix_error(&error, "sweep point %u (%s): ", vp % st->np, desc);
            rc = hnb_cli_fail(error);
        }
    }
    if (rc != HNB_EXIT_OK)
        return rc;
    g_autofree char *stem = hnb_plan_dir_name(st->name);
    g_autofree char *dir = out ? g_strdup(out)
                         : nshards ? g_strdup_printf("runs/%s-sweep-shard-%u-of-%u", stem, shard, nshards)
                                   : g_strdup_printf("runs/%s-sweep", stem);
    if (!force && g_file_test(dir, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "hnbsim sweep: %s: exists; use --force to replace it\n", dir);
        return HNB_EXIT_INPUT;
    }

    rc = run_all(st, shard, nshards, &error);
    if (rc == HNB_EXIT_OK && !st->prepared) { /* a shard without cells: nothing to check the metrics against */
        st->prepared = TRUE;
    }
    if (rc != HNB_EXIT_OK) {
        if (hnb_mpi_rank() == 0)
            hnb_cli_fail(error);
        else
            g_clear_error(&error);
        return rc;
    }
    if (hnb_mpi_rank() != 0)
        return HNB_EXIT_OK; /* rank 0 holds every result and writes the directory */
    return write_sweep(st, head, dir, force, shard, nshards, t0);
}

int hnb_cmd_sweep(int argc, char **argv)
{
    g_auto(GStrv) sets = NULL, vary = NULL, metrics = NULL;
    g_autofree char *out = NULL, *ci_target = NULL, *shard_text = NULL;
    gint64 seed = G_MININT64, reps = G_MININT64, max_reps = G_MININT64;
    gint threads = 0;
    gboolean force = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        {"vary", 0, 0, G_OPTION_ARG_STRING_ARRAY, &vary,
         "A grid axis (repeatable; replaces [sweep] vary): LIST or FROM..TO[:STEP|xFACTOR]", "GROUP.KEY=VALUES"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Result directory (default runs/NAME-sweep)", "DIR"},
        {"metric", 0, 0, G_OPTION_ARG_STRING_ARRAY, &metrics,
         "Draw this metric against the first varied key (repeatable; replaces [sweep] metrics)", "METRIC"},
        {"replications", 0, 0, G_OPTION_ARG_INT64, &reps, "Replications per point (override [scenario])", "R"},
        {"ci-target", 0, 0, G_OPTION_ARG_STRING, &ci_target,
         "Add replications per point until the metric's 95% CI half-width is at most this", "METRIC=HALFWIDTH[%]"},
        {"max-replications", 0, 0, G_OPTION_ARG_INT64, &max_reps, "With --ci-target: the cap per point", "N"},
        {"shard", 0, 0, G_OPTION_ARG_STRING, &shard_text, "Run only share I of N of the cells (merge them later)",
         "I/N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Override [scenario] seed", "N"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override any key (repeatable)", "GROUP.KEY=VALUE"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all processors)", "N"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace an existing result directory", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress line", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO — run a scenario over a grid of parameter values");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "The grid is the cross product of the --vary axes (or [sweep] vary).  Every point runs R replications "
             "(replication r of every point uses the streams of replication r: common random numbers), in parallel "
             "on --threads.  A [compare] file sweeps each of its variants.  Writes points.csv (a row per point and "
             "replication), aggregate.csv (mean and 95% CI per point), figures/METRIC.* for each --metric, "
             "scenario.resolved.ini, sweep.ini (the plan) and manifest.json; byte-identical at any --threads.  With "
             "--shard I/N only a share of the runs is done; `hnbsim merge` joins the shards into the same result.\n"
             "Exit status: 0 ok, 1 run failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (hnb_cli_threads("hnbsim sweep", &threads) != HNB_EXIT_OK)
        return HNB_EXIT_INPUT;
    if (argc != 2) {
        fprintf(stderr, "hnbsim sweep: expected one SCENARIO (a [compare] file sweeps its variants); see --help\n");
        return HNB_EXIT_INPUT;
    }
    guint shard = 0, nshards = 0;
    if (shard_text && !parse_shard(shard_text, &shard, &nshards)) {
        fprintf(stderr, "hnbsim sweep: --shard %s: expected I/N with 1 <= I <= N, e.g. --shard 2/8\n", shard_text);
        return HNB_EXIT_INPUT;
    }

    /* every option that is a scenario key goes in as a --set, so it is validated and lands in the resolved file */
    g_autoptr(GPtrArray) user_sets = hnb_cli_sets(sets, seed, reps);
    if (max_reps != G_MININT64)
        g_ptr_array_add(user_sets, g_strdup_printf("sweep.max_replications=%" G_GINT64_FORMAT, max_reps));
    if (vary && *vary) {
        g_autofree char *joined = g_strjoinv("; ", vary);
        g_ptr_array_add(user_sets, g_strdup_printf("sweep.vary=%s", joined));
    }
    if (metrics && *metrics) {
        g_autofree char *joined = g_strjoinv(" ", metrics);
        g_ptr_array_add(user_sets, g_strdup_printf("sweep.metrics=%s", joined));
    }
    if (ci_target)
        g_ptr_array_add(user_sets, g_strdup_printf("sweep.ci_target=%s", ci_target));
    g_ptr_array_add(user_sets, NULL);

    HnbPlan plan;
    int rc = hnb_plan_load(&plan, argv + 1, (char **)user_sets->pdata, "hnbsim sweep");
    if (rc != HNB_EXIT_OK) {
        hnb_plan_clear(&plan);
        return rc;
    }
    g_autoptr(HnbSweep) sw = hnb_sweep_new();
    Study st = {sw, NULL, plan.variants->len, 0, (unsigned)threads, quiet, FALSE, hnb_plan_name(&plan)};
    rc = sweep(&plan, &st, vary, out, force, shard, nshards);
    for (guint vp = 0; st.points && vp < st.nv * st.np; vp++)
        hnb_scenario_free(st.points[vp]);
    g_free(st.points);
    hnb_plan_clear(&plan);
    return rc;
}
