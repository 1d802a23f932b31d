/* tools/cmd_size.c — `hnbsim size`: the smallest capacity that meets every target, with confidence.
 *
 * The capacity key's values (a grid axis: FROM..TO[:STEP|xFACTOR] or an ascending list) are assumed to help
 * monotonically: more workers, more bandwidth.  Bisection over them probes O(log n) values; each probe runs R
 * replications (common random numbers: replication r of every probe uses the streams of replication r, so probes
 * differ only by capacity and noise cannot easily reverse their order) and is feasible when every target holds at the
 * bound of the two-sided Student-t interval at --confidence: the upper bound for `<=`, the lower for `>=`.
 * With two keys, the second is bisected for each value of the first: a table of the smallest feasible second value.
 * Probes are cached, so the ends and the bisection never run one point twice.
 */
#include "tools/cli.h"
#include "results/gnuplot.h"
#include "tools/jobs.h"
#include "tools/plan.h"
#include "sim/stats.h"
#include "results/sweep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *metric;
    gboolean at_most; /* <= (else >=) */
    char *text;       /* the value as given */
    double value;     /* in the metric's unit, once known */
    int index;        /* in the metrics, once known */
} Target;

typedef struct {
    guint point;       /* in the grid of the one or two keys */
    double *mean, *bound, *half; /* per target */
    gboolean feasible;
    guint order;       /* the probe's number, in the order run */
} Probe;

typedef struct {
    const HnbPlan *plan;
    HnbGrid *grid;
    GArray *targets;   /* Target */
    GHashTable *cache; /* point + 1 -> Probe * */
    GPtrArray *probes; /* Probe *, in the order run */
    GPtrArray *metric_units;
    guint reps;
    double confidence;
    unsigned threads;
    gboolean quiet;
} Sizing;

static void probe_free(gpointer p)
{
    Probe *pr = p;
    g_free(pr->mean);
    g_free(pr->bound);
    g_free(pr->half);
    g_free(pr);
}

/* "recover_p95 <= 4h" */
static gboolean parse_target(const char *text, Target *t, GError **error)
{
    const char *le = strstr(text, "<="), *ge = strstr(text, ">="), *op = le ? le : ge;
    g_autofree char *metric = op ? g_strstrip(g_strndup(text, (gsize)(op - text))) : NULL;
    g_autofree char *value = op ? g_strstrip(g_strdup(op + 2)) : NULL;
    if (!op || (le && ge) || !*metric || !*value || strpbrk(metric, " \t")) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "target \"%s\": expected METRIC <= VALUE or METRIC >= VALUE",
                    text);
        return FALSE;
    }
    *t = (Target){g_steal_pointer(&metric), le != NULL, g_steal_pointer(&value), 0, -1};
    return TRUE;
}

/* Run (or recall) the probe of `point`.  Returns NULL with *rc set on failure. */
static Probe *probe(Sizing *sz, guint point, int *rc, GError **error)
{
    Probe *pr = g_hash_table_lookup(sz->cache, GUINT_TO_POINTER(point + 1));
    if (pr)
        return pr;
    g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func(g_free);
    for (guint s = 0; s + 1 < sz->plan->sets->len; s++)
        g_ptr_array_add(sets, g_strdup(sz->plan->sets->pdata[s]));
    hnb_grid_sets(sz->grid, point, sets);
    g_ptr_array_add(sets, NULL);
    g_autofree char *desc = hnb_grid_describe(sz->grid, point);
    g_autoptr(HnbScenario) sc = hnb_cli_load(sz->plan->paths->pdata[0], (char **)sets->pdata, error);
    if (!sc) {
        g_prefix_error(error, "probe %s: ", desc);
        *rc = HNB_EXIT_INPUT;
        return NULL;
    }
    HnbJob *jobs = g_new0(HnbJob, sz->reps);
    for (guint r = 0; r < sz->reps; r++)
        jobs[r] = (HnbJob){.sc = sc, .rep = r};
    g_autofree char *label = g_strdup_printf("size: probe %s", desc);
    if (!hnb_jobs_run(jobs, sz->reps, sz->threads, sz->quiet ? NULL : label, NULL, error)) {
        hnb_jobs_free(jobs, sz->reps);
        *rc = HNB_EXIT_RUN;
        return NULL;
    }
    /* the sweep table turns each run's metrics into the printed numbers the results are made of */
    g_autoptr(HnbSweep) tab = hnb_sweep_new();
    gboolean ok = TRUE;
    for (guint r = 0; ok && r < sz->reps; r++)
        ok = hnb_sweep_add(tab, 0, 0, r, jobs[r].metrics, error);
    hnb_jobs_free(jobs, sz->reps);
    if (!ok) {
        *rc = HNB_EXIT_RUN;
        return NULL;
    }
    guint nt = sz->targets->len;
    if (!sz->metric_units) { /* the first probe: the metrics are known now */
        sz->metric_units = g_ptr_array_new_with_free_func(g_free);
        for (guint i = 0; i < nt; i++) {
            Target *t = &g_array_index(sz->targets, Target, i);
            t->index = hnb_sweep_metric(tab, t->metric);
            GError *e = NULL;
            if (t->index < 0) {
                g_autofree char *known = hnb_sweep_known_metrics(tab);
                g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "target \"%s\": no such metric (%s)", t->metric, known);
            } else if (!hnb_metric_value_parse(t->text, tab->metric_units->pdata[t->index], &t->value, &e)) {
                g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "target \"%s %s %s\": %s", t->metric,
                            t->at_most ? "<=" : ">=", t->text, e->message);
                g_error_free(e);
            }
            g_ptr_array_add(sz->metric_units, g_strdup(t->index >= 0 ? tab->metric_units->pdata[t->index] : ""));
            if (error && *error) {
                *rc = HNB_EXIT_INPUT;
                return NULL;
            }
        }
    }
    pr = g_new0(Probe, 1);
    pr->point = point;
    pr->mean = g_new(double, nt);
    pr->half = g_new(double, nt);
    pr->bound = g_new(double, nt);
    pr->feasible = TRUE;
    pr->order = sz->probes->len;
    double tq = hnb_student_t_quantile(1 - sz->confidence, sz->reps - 1);
    for (guint i = 0; i < nt; i++) {
        const Target *t = &g_array_index(sz->targets, Target, i);
        double mean, half95;
        guint n;
        hnb_sweep_stat(tab, 0, 0, (guint)t->index, &mean, &half95, &n);
        /* the 95% half-width scaled to the asked confidence: same sample deviation, another t quantile */
        double half = half95 / hnb_student_t_quantile(0.05, n - 1) * tq;
        pr->mean[i] = mean;
        pr->half[i] = half;
        pr->bound[i] = t->at_most ? mean + half : mean - half;
        pr->feasible &= isfinite(pr->bound[i]) && (t->at_most ? pr->bound[i] <= t->value : pr->bound[i] >= t->value);
    }
    g_hash_table_insert(sz->cache, GUINT_TO_POINTER(point + 1), pr);
    g_ptr_array_add(sz->probes, pr);
    return pr;
}

/* Bisect the last axis with the other axis fixed at value index `outer` (0 with one key).  *answer: the value index
 * of the smallest feasible capacity, -1 if even the largest fails. */
static int bisect(Sizing *sz, guint outer, int *answer, GError **error)
{
    guint last = sz->grid->axes->len - 1;
    guint n = ((HnbGridAxis *)sz->grid->axes->pdata[last])->values->len;
    guint base = last ? outer * n : 0; /* point = outer * n + index */
    int rc = HNB_EXIT_OK;
    Probe *hi = probe(sz, base + n - 1, &rc, error);
    if (!hi)
        return rc;
    if (!hi->feasible) {
        *answer = -1;
        return HNB_EXIT_OK;
    }
    guint lo_i = 0, hi_i = n - 1;
    Probe *lo = probe(sz, base, &rc, error);
    if (!lo)
        return rc;
    if (lo->feasible) {
        *answer = 0;
        return HNB_EXIT_OK;
    }
    while (hi_i - lo_i > 1) { /* lo_i infeasible, hi_i feasible */
        guint mid = lo_i + (hi_i - lo_i) / 2;
        Probe *m = probe(sz, base + mid, &rc, error);
        if (!m)
            return rc;
        if (m->feasible)
            hi_i = mid;
        else
            lo_i = mid;
    }
    *answer = (int)hi_i;
    return HNB_EXIT_OK;
}

static void number(GString *out, double v)
{
    char buf[32];
    g_string_append(out, hnb_results_fmt(v, buf));
}

static char *sizing_csv(const Sizing *sz)
{
    GString *csv = g_string_new("probe");
    for (guint a = 0; a < sz->grid->axes->len; a++)
        g_string_append_printf(csv, ",%s", ((HnbGridAxis *)sz->grid->axes->pdata[a])->name);
    g_string_append(csv, ",replications");
    for (guint i = 0; i < sz->targets->len; i++) {
        const char *m = g_array_index(sz->targets, Target, i).metric;
        g_string_append_printf(csv, ",%s_mean,%s_half,%s_bound,%s_target", m, m, m, m);
    }
    g_string_append(csv, ",feasible\n");
    for (guint k = 0; k < sz->probes->len; k++) {
        const Probe *p = sz->probes->pdata[k];
        g_string_append_printf(csv, "%u", k);
        for (guint a = 0; a < sz->grid->axes->len; a++) {
            g_string_append_c(csv, ',');
            hnb_results_csv_field(csv, hnb_grid_value(sz->grid, p->point, a));
        }
        g_string_append_printf(csv, ",%u", sz->reps);
        for (guint i = 0; i < sz->targets->len; i++) {
            double v[4] = {p->mean[i], p->half[i], p->bound[i], g_array_index(sz->targets, Target, i).value};
            for (int j = 0; j < 4; j++) {
                g_string_append_c(csv, ',');
                number(csv, v[j]);
            }
        }
        g_string_append_printf(csv, ",%d\n", p->feasible);
    }
    return g_string_free(csv, FALSE);
}

static gint by_point(gconstpointer a, gconstpointer b)
{
    guint x = (*(Probe *const *)a)->point, y = (*(Probe *const *)b)->point;
    return x < y ? -1 : x > y;
}

/* figures/size_METRIC: the target metric against the capacity key at every probe (a curve per value of the first
 * key when there are two), the interval at --confidence as error bars, the chosen points ringed, the target line. */
static gboolean write_figure(HnbRunDir *rd, const Sizing *sz, guint ti, const int *answers, guint nouter,
                             const HnbStamp *stamp, GError **error)
{
    const Target *t = &g_array_index(sz->targets, Target, ti);
    guint last = sz->grid->axes->len - 1, n = ((HnbGridAxis *)sz->grid->axes->pdata[last])->values->len;
    const HnbGridAxis *cap = sz->grid->axes->pdata[last];
    g_autoptr(GPtrArray) sorted = g_ptr_array_copy(sz->probes, NULL, NULL);
    g_ptr_array_sort(sorted, by_point);
    g_autoptr(GString) data = g_string_new(NULL);
    g_autoptr(GString) plot = g_string_new("plot ");
    g_autofree char *stem = g_strdup_printf("size_%s", t->metric);
    g_autofree char *file = g_strdup_printf("%s.dat", stem);
    guint block = 0;
    for (guint o = 0; o < nouter; o++) {
        gboolean any = FALSE;
        for (guint k = 0; k < sorted->len; k++) {
            const Probe *p = sorted->pdata[k];
            if (p->point / n != o)
                continue;
            any = TRUE;
            number(data, g_array_index(cap->x, double, p->point % n));
            g_string_append_c(data, ' ');
            number(data, p->mean[ti]);
            g_string_append_c(data, ' ');
            number(data, isfinite(p->half[ti]) ? p->half[ti] : 0);
            g_string_append_c(data, '\n');
        }
        if (!any)
            continue;
        g_string_append(data, "\n\n");
        g_autofree char *title = last ? g_strdup_printf("%s=%s", ((HnbGridAxis *)sz->grid->axes->pdata[0])->name,
                                                        (char *)((HnbGridAxis *)sz->grid->axes->pdata[0])->values->pdata[o])
                                      : g_strdup(t->metric);
        g_string_append_printf(plot, "%s'%s' index %u using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title ",
                               block ? ", \\\n     " : "", file, block);
        hnb_gp_quote(plot, title);
        block++;
    }
    /* the chosen points: one block */
    gboolean chosen = FALSE;
    for (guint o = 0; o < nouter; o++)
        if (answers[o] >= 0) {
            const Probe *p = g_hash_table_lookup(sz->cache, GUINT_TO_POINTER(o * n + (guint)answers[o] + 1));
            number(data, g_array_index(cap->x, double, (guint)answers[o]));
            g_string_append_c(data, ' ');
            number(data, p->mean[ti]);
            g_string_append_c(data, '\n');
            chosen = TRUE;
        }
    if (chosen)
        g_string_append_printf(plot, ", \\\n     '%s' index %u using 1:2 with points pointtype 6 pointsize 3 linewidth 2 "
                                     "linecolor 'black' title 'chosen'", file, block);
    char buf[32];
    g_string_append_printf(plot, ", \\\n     %s with lines dashtype 2 linewidth 2 linecolor 'red' title ",
                           hnb_results_fmt(t->value, buf));
    g_autofree char *tl = g_strdup_printf("target %s %s", t->at_most ? "<=" : ">=", t->text);
    hnb_gp_quote(plot, tl);
    g_string_append_c(plot, '\n');
    g_autofree char *rel = g_strdup_printf("figures/%s", file);
    if (!hnb_rundir_write(rd, rel, data->str, (gssize)data->len, error))
        return FALSE;

    g_autoptr(GString) gp = g_string_new(NULL);
    g_autofree char *title = g_strdup_printf("%s against %s (mean, %g%% interval)", t->metric, cap->name,
                                             100 * sz->confidence);
    g_autofree char *xl = *cap->unit ? g_strdup_printf("%s (%s)", cap->name, cap->unit) : g_strdup(cap->name);
    const char *unit = sz->metric_units->pdata[ti];
    g_autofree char *yl = *unit ? g_strdup_printf("%s (%s)", t->metric, unit) : g_strdup(t->metric);
    hnb_gp_head(gp, stamp, stem, "every probe of ../sizing.csv", title, NULL, xl, yl);
    g_string_append(gp, "set datafile separator whitespace\nset datafile nocolumnheaders\n"
                        "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n");
    if (cap->geometric)
        g_string_append(gp, "set logscale x\n");
    hnb_gp_begin_png(gp, stem);
    g_string_append(gp, plot->str);
    hnb_gp_end_svg(gp, stem);
    g_autofree char *relgp = g_strdup_printf("figures/%s.gp", stem);
    return hnb_rundir_write(rd, relgp, gp->str, (gssize)gp->len, error);
}

/* The targets: from --target, else from [size] target.  The exit status. */
static int read_targets(Sizing *sz, const HnbScenario *sc, char **targets)
{
    GError *error = NULL;
    g_auto(GStrv) tfile = hnb_grid_split(hnb_scenario_string(sc, "size", "target"));
    for (char **t = targets && *targets ? targets : tfile; *t; t++) {
        Target tg;
        if (!parse_target(*t, &tg, &error)) {
            if (!(targets && *targets) && hnb_scenario_line(sc, "size", "target"))
                g_prefix_error(&error, "%s:%d: [size] target: ", hnb_scenario_source(sc),
                               hnb_scenario_line(sc, "size", "target"));
            return hnb_cli_fail(error);
        }
        g_array_append_val(sz->targets, tg);
    }
    if (sz->targets->len == 0) {
        fprintf(stderr, "hnbsim size: %s: no target: give --target 'METRIC <= VALUE' or [size] target\n",
                hnb_scenario_source(sc));
        return HNB_EXIT_INPUT;
    }
    return HNB_EXIT_OK;
}

/* The one or two capacity keys (ascending numbers): from --vary, else from [size] vary.  The exit status. */
static int read_axes(Sizing *sz, const HnbScenario *sc, char **vary)
{
    GError *error = NULL;
    g_auto(GStrv) vfile = hnb_grid_split(hnb_scenario_string(sc, "size", "vary"));
    int vline = hnb_scenario_line(sc, "size", "vary");
    for (char **v = vary && *vary ? vary : vfile; *v; v++) {
        g_autofree char *origin = vary && *vary ? g_strdup_printf("--vary %s", *v)
                                  : vline ? g_strdup_printf("%s:%d: [size] vary", hnb_scenario_source(sc), vline)
                                          : g_strdup("--set size.vary");
        if (!hnb_grid_add(sz->grid, sc, *v, origin, &error))
            return hnb_cli_fail(error);
        const HnbGridAxis *ax = g_ptr_array_index(sz->grid->axes, sz->grid->axes->len - 1);
        for (guint j = 0; j < ax->x->len; j++)
            if (!isfinite(g_array_index(ax->x, double, j)) ||
                (j && g_array_index(ax->x, double, j) <= g_array_index(ax->x, double, j - 1))) {
                fprintf(stderr, "hnbsim size: %s: a capacity key needs ascending numbers (an integer or number key)\n",
                        origin);
                return HNB_EXIT_INPUT;
            }
    }
    if (sz->grid->axes->len < 1 || sz->grid->axes->len > 2) {
        fprintf(stderr, "hnbsim size: %s: give one capacity key (or two) with --vary GROUP.KEY=FROM..TO or [size] "
                        "vary\n", hnb_scenario_source(sc));
        return HNB_EXIT_INPUT;
    }
    return HNB_EXIT_OK;
}

/* answer.csv: the smallest feasible capacity ("none"), per value of the outer key if there are two. */
static char *answer_csv(const Sizing *sz, const int *answers, guint nouter)
{
    const HnbGridAxis *outer = sz->grid->axes->pdata[0], *cap = sz->grid->axes->pdata[sz->grid->axes->len - 1];
    GString *table = g_string_new(NULL);
    if (nouter > 1)
        g_string_append_printf(table, "%s,%s\n", outer->name, cap->name);
    else
        g_string_append_printf(table, "%s\n", cap->name);
    for (guint o = 0; o < nouter; o++) {
        const char *v = answers[o] >= 0 ? (char *)cap->values->pdata[answers[o]] : "none";
        if (nouter > 1)
            g_string_append_printf(table, "%s,%s\n", (char *)outer->values->pdata[o], v);
        else
            g_string_append_printf(table, "%s\n", v);
    }
    return g_string_free(table, FALSE);
}

/* The result directory (it appears only when complete): the resolved scenario, sizing.csv, answer.csv, a figure per
 * target, manifest.json.  The exit status. */
static int write_sizing(const Sizing *sz, const HnbScenario *sc, const HnbStamp *stamp, const char *dir,
                        gboolean force, const int *answers, guint nouter, double wall)
{
    GError *error = NULL;
    g_autofree char *answers_text = answer_csv(sz, answers, nouter);
    g_autofree char *probes_csv = sizing_csv(sz);
    HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
    g_autofree char *resolved = hnb_scenario_to_data(sc);
    gboolean ok = rd && hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, &error) &&
                  hnb_rundir_write(rd, "sizing.csv", probes_csv, -1, &error) &&
                  hnb_rundir_write(rd, "answer.csv", answers_text, -1, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; ok && i < sz->targets->len; i++) {
        ok = write_figure(rd, sz, i, answers, nouter, stamp, &error);
        g_ptr_array_add(names, g_strdup_printf("size_%s", g_array_index(sz->targets, Target, i).metric));
    }
    gboolean rendered = TRUE;
    ok = ok && hnb_gp_render(rd, (const char *const *)names->pdata, names->len, &rendered, &error) &&
         hnb_results_write_manifest(rd, stamp, sz->threads, wall, &error);
    int rc = hnb_cli_finish(rd, ok, error);
    if (rc == HNB_EXIT_OK && !rendered)
        fprintf(stderr, "hnbsim: gnuplot is not installed: wrote the figure scripts but no PNG/SVG figures\n");
    return rc;
}

/* The answer on stdout: the targets, then the smallest capacity per value of the outer key. */
static void print_answer(const Sizing *sz, const char *scenario, const int *answers, guint nouter, const char *dir)
{
    const HnbGridAxis *outer = sz->grid->axes->pdata[0], *cap = sz->grid->axes->pdata[sz->grid->axes->len - 1];
    g_autoptr(GString) goal = g_string_new(NULL);
    for (guint i = 0; i < sz->targets->len; i++) {
        const Target *t = &g_array_index(sz->targets, Target, i);
        g_string_append_printf(goal, "%s%s %s %s", i ? ", " : "", t->metric, t->at_most ? "<=" : ">=", t->text);
    }
    printf("%s: smallest %s meeting %s at %g%% confidence (%u replications per probe, %u probes):\n", scenario,
           cap->name, goal->str, 100 * sz->confidence, sz->reps, sz->probes->len);
    for (guint o = 0; o < nouter; o++) {
        if (nouter > 1)
            printf("  %s = %s: ", outer->name, (char *)outer->values->pdata[o]);
        else
            printf("  ");
        if (answers[o] >= 0)
            printf("%s = %s\n", cap->name, (char *)cap->values->pdata[answers[o]]);
        else
            printf("none up to %s = %s\n", cap->name, (char *)cap->values->pdata[cap->values->len - 1]);
    }
    printf("probes in %s/sizing.csv, figures in %s/figures/\n", dir, dir);
}

/* Sizing of a loaded plan: targets and capacity keys, the bisection(s), the result directory, the answer. */
static int size_plan(Sizing *sz, char **targets, char **vary, const char *out, gboolean force)
{
    const HnbScenario *sc = sz->plan->variants->pdata[0];
    int rc = read_targets(sz, sc, targets);
    if (rc == HNB_EXIT_OK)
        rc = read_axes(sz, sc, vary);
    if (rc != HNB_EXIT_OK)
        return rc;
    g_autofree char *stem = hnb_plan_dir_name(hnb_scenario_string(sc, "scenario", "name"));
    g_autofree char *dir = out ? g_strdup(out) : g_strdup_printf("runs/%s-size", stem);
    if (!force && g_file_test(dir, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "hnbsim size: %s: exists; use --force to replace it\n", dir);
        return HNB_EXIT_INPUT;
    }

    gint64 t0 = g_get_monotonic_time();
    guint nouter = sz->grid->axes->len == 2 ? ((HnbGridAxis *)sz->grid->axes->pdata[0])->values->len : 1;
    g_autofree int *answers = g_new(int, nouter);
    for (guint o = 0; o < nouter; o++) {
        GError *error = NULL;
        rc = bisect(sz, o, &answers[o], &error);
        if (rc != HNB_EXIT_OK) {
            hnb_cli_fail(error);
            return rc;
        }
    }
    HnbStamp stamp = {.scenario = hnb_scenario_string(sc, "scenario", "name"),
                      .seed = (guint64)hnb_scenario_int(sc, "scenario", "seed"), .replications = sz->reps,
                      .version = HNB_VERSION, .source = hnb_scenario_source(sc)};
    rc = write_sizing(sz, sc, &stamp, dir, force, answers, nouter, (double)(g_get_monotonic_time() - t0) / 1e6);
    if (rc == HNB_EXIT_OK)
        print_answer(sz, stamp.scenario, answers, nouter, dir);
    return rc;
}

int hnb_cmd_size(int argc, char **argv)
{
    g_auto(GStrv) sets = NULL, vary = NULL, targets = NULL;
    g_autofree char *out = NULL, *confidence = NULL;
    gint64 seed = G_MININT64, reps = G_MININT64;
    gint threads = 0;
    gboolean force = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING_ARRAY, &targets, "A target (repeatable; replaces [size] target)",
         "'METRIC <= VALUE'"},
        {"vary", 0, 0, G_OPTION_ARG_STRING_ARRAY, &vary,
         "The capacity key, ascending (a second --vary: bisected for each value of the first)", "GROUP.KEY=FROM..TO"},
        {"replications", 0, 0, G_OPTION_ARG_INT64, &reps, "Replications per probe (at least 2)", "R"},
        {"confidence", 0, 0, G_OPTION_ARG_STRING, &confidence, "Confidence of the bound (default 0.95)", "C"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Result directory (default runs/NAME-size)", "DIR"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Override [scenario] seed", "N"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override any key (repeatable)", "GROUP.KEY=VALUE"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all processors)", "N"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace an existing result directory", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress line", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO — the smallest capacity that meets every target");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Bisection over the capacity key's values (assumed to help monotonically): each probe runs R "
             "replications and passes when every target holds at the bound of the two-sided Student-t interval at "
             "--confidence (the upper bound for <=, the lower for >=).  Targets take the metric's unit, or a "
             "duration for a metric in h or s: --target 'recover_p95 <= 4h'.  Writes sizing.csv (every probe), "
             "answer.csv, figures/size_METRIC.* (the metric against the capacity, the chosen point and the target "
             "line), scenario.resolved.ini, manifest.json.\nExit status: 0 ok (also when no value meets the "
             "targets: answer none), 1 run failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (hnb_cli_threads("hnbsim size", &threads) != HNB_EXIT_OK)
        return HNB_EXIT_INPUT;
    if (argc != 2) {
        fprintf(stderr, "hnbsim size: expected one SCENARIO; see --help\n");
        return HNB_EXIT_INPUT;
    }
    g_autoptr(GPtrArray) user_sets = hnb_cli_sets(sets, seed, reps);
    if (confidence)
        g_ptr_array_add(user_sets, g_strdup_printf("size.confidence=%s", confidence));
    g_ptr_array_add(user_sets, NULL);
    HnbPlan plan;
    int rc = hnb_plan_load(&plan, argv + 1, (char **)user_sets->pdata, "hnbsim size");
    if (rc == HNB_EXIT_OK && plan.compare) {
        fprintf(stderr, "hnbsim size: %s: a comparison; size one scenario at a time\n", argv[1]);
        rc = HNB_EXIT_INPUT;
    }
    if (rc == HNB_EXIT_OK && hnb_scenario_int(plan.variants->pdata[0], "scenario", "replications") < 2) {
        fprintf(stderr, "hnbsim size: a confidence bound needs at least 2 replications per probe (--replications)\n");
        rc = HNB_EXIT_INPUT;
    }
    if (rc == HNB_EXIT_OK) {
        const HnbScenario *sc = plan.variants->pdata[0];
        Sizing sz = {&plan, hnb_grid_new(), g_array_new(FALSE, FALSE, sizeof(Target)),
                     g_hash_table_new_full(NULL, NULL, NULL, probe_free), g_ptr_array_new(), NULL,
                     (guint)hnb_scenario_int(sc, "scenario", "replications"),
                     hnb_scenario_number(sc, "size", "confidence"), (unsigned)threads, quiet};
        rc = size_plan(&sz, targets, vary, out, force);
        for (guint i = 0; i < sz.targets->len; i++) {
            g_free(g_array_index(sz.targets, Target, i).metric);
            g_free(g_array_index(sz.targets, Target, i).text);
        }
        g_array_unref(sz.targets);
        g_hash_table_unref(sz.cache);
        g_ptr_array_unref(sz.probes);
        if (sz.metric_units)
            g_ptr_array_unref(sz.metric_units);
        hnb_grid_free(sz.grid);
    }
    hnb_plan_clear(&plan);
    return rc;
}
