/* tools/cmd_merge.c — `hnbsim merge`: join the shard directories of a sweep into the result one machine writes.
 *
 * Each shard directory holds the plan (sweep.ini) and its own rows of points.csv.  Merging checks that every
 * directory ran the same scenario (the SHA-256 of the resolved scenario texts in sweep.ini) with the same hnbsim,
 * that no cell is there twice and none is missing, then writes the whole result with the same writer `sweep` uses:
 * points.csv and aggregate.csv come out byte-identical to an unsharded run (aggregates are computed from the printed
 * numbers, which is all a shard keeps).
 */
#include "tools/cli.h"
#include "models/model.h"
#include "tools/plan.h"
#include "results/sweep.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *dir;
    HnbSweepCell *cell;
} Seen;

/* "point 3 (acs.workers=4) replication 1" with the variant when there are several. */
static char *cell_name(const HnbSweep *sw, guint v, guint p, guint r)
{
    g_autofree char *desc = hnb_grid_describe(sw->grid, p);
    return g_strdup_printf("%s%spoint %u (%s) replication %u", sw->variants->len ? (char *)sw->variants->pdata[v] : "",
                           sw->variants->len ? ": " : "", p, desc, r);
}

static int check_plans(HnbSweep **parts, char **dirs, guint n)
{
    guint nshards = 0;
    for (guint i = 0; i < n; i++) {
        if (strcmp(parts[i]->hash, parts[0]->hash) != 0) {
            fprintf(stderr, "hnbsim merge: %s and %s are results of different scenarios (resolved scenario SHA-256 "
                            "%.12s… and %.12s…): only shards of one sweep merge\n",
                    dirs[0], dirs[i], parts[0]->hash, parts[i]->hash);
            return HNB_EXIT_INPUT;
        }
        if (strcmp(parts[i]->version, parts[0]->version) != 0) {
            fprintf(stderr, "hnbsim merge: %s was written by hnbsim %s, %s by %s: run every shard with one version\n",
                    dirs[0], parts[0]->version, dirs[i], parts[i]->version);
            return HNB_EXIT_INPUT;
        }
        if (parts[i]->nshards) {
            if (nshards && parts[i]->nshards != nshards) {
                fprintf(stderr, "hnbsim merge: %s is shard %u/%u but others are shares of %u\n", dirs[i],
                        parts[i]->shard, parts[i]->nshards, nshards);
                return HNB_EXIT_INPUT;
            }
            nshards = parts[i]->nshards;
        }
        for (guint j = 0; j < i; j++)
            if (parts[i]->nshards && parts[j]->nshards && parts[i]->shard == parts[j]->shard) {
                fprintf(stderr, "hnbsim merge: %s and %s are both shard %u/%u\n", dirs[j], dirs[i], parts[i]->shard,
                        nshards);
                return HNB_EXIT_INPUT;
            }
    }
    return HNB_EXIT_OK;
}

/* Move every part's cells into `into`, refusing a cell seen twice; then check none is missing. */
static int join_cells(HnbSweep *into, HnbSweep **parts, char **dirs, guint n)
{
    guint nv = hnb_sweep_nvariants(into), np = hnb_grid_points(into->grid);
    gboolean ci = *into->ci_target != '\0';
    guint cap = ci ? into->max_replications : into->replications;
    g_autofree Seen *seen = g_new0(Seen, (gsize)nv * np * cap);
    for (guint i = 0; i < n; i++) {
        /* a shard that ran no cell does not know the metrics; any other does, and they agree (same scenario) */
        for (guint m = 0; into->metric_names->len == 0 && m < parts[i]->metric_names->len; m++)
            if (m + 1 == parts[i]->metric_names->len)
                for (guint k = 0; k <= m; k++) {
                    g_ptr_array_add(into->metric_names, g_strdup(parts[i]->metric_names->pdata[k]));
                    g_ptr_array_add(into->metric_units, g_strdup(parts[i]->metric_units->pdata[k]));
                }
        for (guint k = 0; k < parts[i]->cells->len; k++) {
            HnbSweepCell *c = parts[i]->cells->pdata[k];
            g_autofree char *name = cell_name(into, c->variant, c->point, c->rep);
            if (c->rep >= cap) {
                fprintf(stderr, "hnbsim merge: %s: %s is beyond the plan's %u replications\n", dirs[i], name, cap);
                return HNB_EXIT_INPUT;
            }
            Seen *s = &seen[((gsize)c->variant * np + c->point) * cap + c->rep];
            if (s->cell) {
                fprintf(stderr, "hnbsim merge: %s is in both %s and %s\n", name, s->dir, dirs[i]);
                return HNB_EXIT_INPUT;
            }
            *s = (Seen){dirs[i], c};
        }
    }
    /* complete: every replication below R (fixed), or a gap-free run of at least R (ci target) per point */
    guint missing = 0;
    g_autoptr(GString) list = g_string_new(NULL);
    for (guint vp = 0; vp < nv * np; vp++) {
        guint have = 0;
        while (have < cap && seen[(gsize)vp * cap + have].cell)
            have++;
        for (guint r = 0; r < cap; r++) {
            gboolean present = seen[(gsize)vp * cap + r].cell != NULL;
            gboolean want = ci ? r < MAX(have, into->replications) : TRUE;
            if (present || !want)
                continue;
            if (missing++ < 5) {
                g_autofree char *name = cell_name(into, vp / np, vp % np, r);
                guint owner = hnb_sweep_shard_of(into, vp / np, vp % np, r, parts[0]->nshards ? parts[0]->nshards : 1);
                g_string_append_printf(list, "\n  %s", name);
                if (parts[0]->nshards)
                    g_string_append_printf(list, " (shard %u/%u)", owner, parts[0]->nshards);
            }
        }
        for (guint r = have; ci && r < cap; r++)
            if (seen[(gsize)vp * cap + r].cell) {
                g_autofree char *name = cell_name(into, vp / np, vp % np, r);
                fprintf(stderr, "hnbsim merge: %s: %s follows a missing replication\n", seen[(gsize)vp * cap + r].dir,
                        name);
                return HNB_EXIT_INPUT;
            }
    }
    if (missing) {
        fprintf(stderr, "hnbsim merge: %u cell(s) missing, e.g.:%s\n(were all shards given?)\n", missing, list->str);
        return HNB_EXIT_INPUT;
    }
    for (guint i = 0; i < n; i++) /* the cells change hands */
        for (guint k = 0; k < parts[i]->cells->len; k++) {
            g_ptr_array_add(into->cells, parts[i]->cells->pdata[k]);
            parts[i]->cells->pdata[k] = NULL;
        }
    return HNB_EXIT_OK;
}

static void replace(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
}

int hnb_cmd_merge(int argc, char **argv)
{
    g_autofree char *out = NULL;
    gboolean force = FALSE;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Result directory (default runs/NAME-sweep)", "DIR"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace an existing result directory", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("DIR... — join the shard directories of a sweep");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Each DIR is a result of `hnbsim sweep --shard I/N` (or any sweep directory).  They must come from one "
             "scenario (the resolved scenario's SHA-256 in sweep.ini) and one hnbsim, and hold every cell once.  "
             "Writes the result the unsharded sweep writes: points.csv and aggregate.csv byte-identical to it, the "
             "figures, sweep.ini, scenario.resolved.ini and manifest.json.\nExit status: 0 ok, 1 failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (argc < 2) {
        fprintf(stderr, "hnbsim merge: expected the shard directories; see --help\n");
        return HNB_EXIT_INPUT;
    }
    guint n = (guint)argc - 1;
    char **dirs = argv + 1;
    gint64 t0 = g_get_monotonic_time();
    HnbSweep **parts = g_new0(HnbSweep *, n);
    int rc = HNB_EXIT_OK;
    for (guint i = 0; i < n && rc == HNB_EXIT_OK; i++)
        if (!(parts[i] = hnb_sweep_read(dirs[i], &error)))
            rc = hnb_cli_fail(error);
    if (rc == HNB_EXIT_OK)
        rc = check_plans(parts, dirs, n);

    g_autoptr(HnbSweep) sw = hnb_sweep_new();
    g_autofree char *resolved = NULL;
    if (rc == HNB_EXIT_OK) {
        /* the plan is the first part's (the others agree: same hash), as a whole sweep */
        HnbSweep *p = parts[0];
        g_autofree char *path = g_build_filename(dirs[0], "scenario.resolved.ini", NULL);
        GError *e = NULL;
        if (!g_file_get_contents(path, &resolved, NULL, &e)) {
            fprintf(stderr, "hnbsim merge: %s\n", e->message);
            g_error_free(e);
            rc = HNB_EXIT_INPUT;
        }
        replace(&sw->scenario, p->scenario);
        replace(&sw->version, p->version);
        replace(&sw->hash, p->hash);
        replace(&sw->ci_target, p->ci_target);
        replace(&sw->plot, p->plot);
        sw->seed = p->seed;
        sw->replications = p->replications;
        sw->max_replications = p->max_replications;
        for (guint k = 0; k < p->variants->len; k++)
            g_ptr_array_add(sw->variants, g_strdup(p->variants->pdata[k]));
        hnb_grid_free(sw->grid);
        sw->grid = g_steal_pointer(&p->grid);
        p->grid = hnb_grid_new();
        if (rc == HNB_EXIT_OK) {
            /* cells are located by the merged grid; the parts' own grids are equal (same hash) */
            rc = join_cells(sw, parts, dirs, n);
        }
    }
    if (rc == HNB_EXIT_OK && sw->metric_names->len && !hnb_sweep_prepare(sw, &error))
        rc = hnb_cli_fail(error);
    if (rc == HNB_EXIT_OK) {
        g_autofree char *dir = out ? g_strdup(out) : g_strdup_printf("runs/%s-sweep", sw->scenario);
        HnbRunDir *rd = hnb_rundir_begin(dir, force, &error);
        gboolean ok = rd != NULL, rendered = TRUE;
        HnbStamp stamp = {.scenario = sw->scenario, .seed = sw->seed, .replications = sw->replications, .version = sw->version,
                          .source = dirs[0]};
        ok = ok && hnb_rundir_write(rd, "scenario.resolved.ini", resolved, -1, &error) &&
             hnb_sweep_write(rd, sw, &rendered, &error) &&
             hnb_results_write_manifest(rd, &stamp, 1, (double)(g_get_monotonic_time() - t0) / 1e6, &error);
        /* the report as the unsharded sweep writes it: its compliance lines come from the same resolved scenario */
        HnbScenario *rsc = hnb_model_load_data(resolved, "scenario.resolved.ini", NULL, NULL);
        g_autofree char *compliance = rsc ? hnb_plan_compliance(rsc, NULL, NULL, 0) : NULL;
        hnb_scenario_free(rsc);
        ok = ok && hnb_results_write_report(rd, &stamp, compliance, NULL, 0, &error);
        rc = hnb_cli_finish(rd, ok, error);
        if (rc == HNB_EXIT_OK)
            printf("%s: merged %u director%s, %u runs: results in %s/\n", sw->scenario, n, n == 1 ? "y" : "ies",
                   sw->cells->len, dir);
    }
    for (guint i = 0; i < n; i++)
        hnb_sweep_free(parts[i]);
    g_free(parts);
    return rc;
}
