/* results/sweep.c — a sweep's cells and the files made of them (see sweep.h for the layout and why aggregates come
 * from the text of points.csv).
 *
 * Cells are kept per (variant, point) in replication order as they arrive, whatever thread or shard ran them;
 * writing walks variants, points and replications in order, so the files never depend on the order of arrival.
 */
#include "results/sweep.h"
#include "results/csv.h"
#include "results/gnuplot.h"
#include "sim/time.h"
#include "sim/stats.h"

#include <math.h>
#include <string.h>

static void cell_free(gpointer p)
{
    HnbSweepCell *c = p;
    if (!c) /* a cell handed to another sweep (merge) */
        return;
    g_strfreev(c->texts);
    g_free(c);
}

HnbSweep *hnb_sweep_new(void)
{
    HnbSweep *sw = g_new0(HnbSweep, 1);
    sw->variants = g_ptr_array_new_with_free_func(g_free);
    sw->grid = hnb_grid_new();
    sw->ci_target = g_strdup("");
    sw->plot = g_strdup("");
    sw->caption = g_strdup("");
    sw->version = g_strdup("");
    sw->hash = g_strdup("");
    sw->scenario = g_strdup("");
    sw->metric_names = g_ptr_array_new_with_free_func(g_free);
    sw->metric_units = g_ptr_array_new_with_free_func(g_free);
    sw->cells = g_ptr_array_new_with_free_func(cell_free);
    sw->ci_metric = -1;
    return sw;
}

void hnb_sweep_free(HnbSweep *sw)
{
    if (!sw)
        return;
    g_free(sw->scenario);
    g_free(sw->caption);
    g_free(sw->version);
    g_free(sw->hash);
    g_ptr_array_unref(sw->variants);
    hnb_grid_free(sw->grid);
    g_free(sw->ci_target);
    g_free(sw->plot);
    g_ptr_array_unref(sw->metric_names);
    g_ptr_array_unref(sw->metric_units);
    g_ptr_array_unref(sw->cells);
    g_free(sw);
}

guint hnb_sweep_nvariants(const HnbSweep *sw)
{
    return sw->variants->len ? sw->variants->len : 1;
}

static gint cell_order(gconstpointer a, gconstpointer b)
{
    const HnbSweepCell *x = *(HnbSweepCell *const *)a, *y = *(HnbSweepCell *const *)b;
    if (x->variant != y->variant)
        return x->variant < y->variant ? -1 : 1;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return x->rep < y->rep ? -1 : x->rep > y->rep;
}

static double value_of(const char *text)
{
    return g_ascii_strtod(text, NULL); /* "nan", "inf", "-inf" read back as such */
}

gboolean hnb_sweep_add(HnbSweep *sw, guint variant, guint point, guint rep, const HnbMetrics *m, GError **error)
{
    GArray *items = m->items;
    if (sw->metric_names->len == 0) {
        for (guint i = 0; i < items->len; i++) {
            g_ptr_array_add(sw->metric_names, g_strdup(g_array_index(items, HnbMetric, i).name));
            g_ptr_array_add(sw->metric_units, g_strdup(g_array_index(items, HnbMetric, i).unit));
        }
    }
    gboolean same = items->len == sw->metric_names->len;
    for (guint i = 0; same && i < items->len; i++)
        same = strcmp(g_array_index(items, HnbMetric, i).name, sw->metric_names->pdata[i]) == 0;
    if (!same) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN,
                    "point %u replication %u reports other metrics than the first run (different models?)", point, rep);
        return FALSE;
    }
    HnbSweepCell *c = g_new0(HnbSweepCell, 1);
    *c = (HnbSweepCell){variant, point, rep, g_new0(char *, items->len + 1)};
    for (guint i = 0; i < items->len; i++) {
        char buf[32];
        c->texts[i] = g_strdup(hnb_results_fmt(g_array_index(items, HnbMetric, i).value, buf));
    }
    g_ptr_array_add(sw->cells, c);
    return TRUE;
}

int hnb_sweep_metric(const HnbSweep *sw, const char *name)
{
    for (guint i = 0; i < sw->metric_names->len; i++)
        if (strcmp(sw->metric_names->pdata[i], name) == 0)
            return (int)i;
    return -1;
}

char *hnb_sweep_known_metrics(const HnbSweep *sw)
{
    GString *s = g_string_new("known metrics:");
    for (guint i = 0; i < sw->metric_names->len; i++)
        g_string_append_printf(s, "%s %s", i ? "," : "", (char *)sw->metric_names->pdata[i]);
    return g_string_free(s, FALSE);
}

gboolean hnb_metric_value_parse(const char *text, const char *unit, double *out, GError **error)
{
    static const struct {
        const char *unit;
        double ns;
    } times[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"min", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);
    if (*text && end != text && *end == '\0' && isfinite(v)) {
        *out = v;
        return TRUE;
    }
    size_t n = strlen(text);
    if (n > 1 && text[n - 1] == '%' && *unit == '\0') {
        g_autofree char *num = g_strndup(text, n - 1);
        v = g_ascii_strtod(num, &end);
        if (end != num && *end == '\0' && isfinite(v)) {
            *out = v / 100;
            return TRUE;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(times); i++) {
        HnbTime t;
        if (strcmp(unit, times[i].unit) == 0 && hnb_time_parse(text, &t, NULL)) {
            *out = (double)t / times[i].ns;
            return TRUE;
        }
    }
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": expected a number in the metric's unit (%s)%s", text,
                *unit ? unit : "none", *unit == '\0' ? " or a percentage" : "");
    return FALSE;
}

gboolean hnb_sweep_prepare(HnbSweep *sw, GError **error)
{
    g_auto(GStrv) plot = g_strsplit_set(sw->plot, " \t,", -1);
    for (char **p = plot; *p; p++)
        if (**p && hnb_sweep_metric(sw, *p) < 0) {
            g_autofree char *known = hnb_sweep_known_metrics(sw);
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "figure metric \"%s\": no such metric (%s)", *p, known);
            return FALSE;
        }
    sw->ci_metric = -1;
    if (!*sw->ci_target)
        return TRUE;
    const char *eq = strchr(sw->ci_target, '=');
    g_autofree char *name = eq ? g_strstrip(g_strndup(sw->ci_target, (gsize)(eq - sw->ci_target))) : NULL;
    g_autofree char *value = eq ? g_strstrip(g_strdup(eq + 1)) : NULL;
    if (!eq || !*name || !*value) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "ci target \"%s\": expected METRIC=HALFWIDTH or METRIC=P%%",
                    sw->ci_target);
        return FALSE;
    }
    int m = hnb_sweep_metric(sw, name);
    if (m < 0) {
        g_autofree char *known = hnb_sweep_known_metrics(sw);
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "ci target \"%s\": no metric \"%s\" (%s)", sw->ci_target, name,
                    known);
        return FALSE;
    }
    size_t n = strlen(value);
    GError *e = NULL;
    sw->ci_relative = value[n - 1] == '%';
    if (sw->ci_relative) {
        value[n - 1] = '\0';
        if (!hnb_metric_value_parse(value, "", &sw->ci_value, &e))
            goto bad;
        sw->ci_value /= 100;
    } else if (!hnb_metric_value_parse(value, sw->metric_units->pdata[m], &sw->ci_value, &e)) {
        goto bad;
    }
    if (!(sw->ci_value > 0)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "ci target \"%s\": the half-width must be above 0",
                    sw->ci_target);
        return FALSE;
    }
    sw->ci_metric = m;
    return TRUE;
bad:
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "ci target \"%s\": %s", sw->ci_target, e->message);
    g_error_free(e);
    return FALSE;
}

/* The cells of (variant, point) in replication order (a new array of borrowed pointers). */
static GPtrArray *cells_of(const HnbSweep *sw, guint variant, guint point)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < sw->cells->len; i++) {
        HnbSweepCell *c = sw->cells->pdata[i];
        if (c->variant == variant && c->point == point)
            g_ptr_array_add(out, c);
    }
    g_ptr_array_sort(out, cell_order);
    return out;
}

static void stat_cells(GPtrArray *cells, guint m, double *mean, double *half)
{
    g_autofree double *x = g_new(double, cells->len ? cells->len : 1);
    for (guint i = 0; i < cells->len; i++)
        x[i] = value_of(((HnbSweepCell *)cells->pdata[i])->texts[m]);
    if (cells->len == 0) {
        *mean = *half = NAN;
        return;
    }
    hnb_ci95(x, cells->len, mean, half);
    if (cells->len < 2)
        *half = NAN;
}

void hnb_sweep_stat(const HnbSweep *sw, guint variant, guint point, guint m, double *mean, double *half, guint *n)
{
    g_autoptr(GPtrArray) cells = cells_of(sw, variant, point);
    stat_cells(cells, m, mean, half);
    *n = cells->len;
}

static gboolean met(const HnbSweep *sw, double mean, double half)
{
    double target = sw->ci_relative ? sw->ci_value * fabs(mean) : sw->ci_value;
    return isfinite(half) && half <= target;
}

gboolean hnb_sweep_target_met(const HnbSweep *sw, guint variant, guint point)
{
    g_return_val_if_fail(sw->ci_metric >= 0, TRUE);
    double mean, half;
    guint n;
    hnb_sweep_stat(sw, variant, point, (guint)sw->ci_metric, &mean, &half, &n);
    return met(sw, mean, half);
}

guint hnb_sweep_shard_of(const HnbSweep *sw, guint variant, guint point, guint rep, guint nshards)
{
    guint64 p = (guint64)variant * hnb_grid_points(sw->grid) + point;
    guint64 unit = *sw->ci_target ? p : p * sw->replications + rep;
    return (guint)(unit % nshards) + 1;
}

/* ---- writing ---- */

static char *plan_text(const HnbSweep *sw)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_string(kf, "sweep", "scenario", sw->scenario);
    g_autofree char *seed = g_strdup_printf("%" G_GUINT64_FORMAT, sw->seed);
    g_key_file_set_string(kf, "sweep", "seed", seed);
    g_key_file_set_string(kf, "sweep", "version", sw->version);
    g_key_file_set_string(kf, "sweep", "scenario_sha256", sw->hash);
    g_key_file_set_string_list(kf, "sweep", "variants", (const char *const *)sw->variants->pdata, sw->variants->len);
    g_key_file_set_integer(kf, "sweep", "replications", (gint)sw->replications);
    g_key_file_set_string(kf, "sweep", "ci_target", sw->ci_target);
    g_key_file_set_integer(kf, "sweep", "max_replications", (gint)sw->max_replications);
    g_key_file_set_string(kf, "sweep", "plot", sw->plot);
    if (*sw->caption) /* a plan without one (older, or a model without captions) reads back as "" */
        g_key_file_set_string(kf, "sweep", "caption", sw->caption);
    g_key_file_set_string_list(kf, "sweep", "metrics", (const char *const *)sw->metric_names->pdata,
                               sw->metric_names->len);
    g_key_file_set_string_list(kf, "sweep", "units", (const char *const *)sw->metric_units->pdata,
                               sw->metric_units->len);
    hnb_grid_save(sw->grid, kf);
    if (sw->nshards) {
        g_key_file_set_integer(kf, "shard", "index", (gint)sw->shard);
        g_key_file_set_integer(kf, "shard", "count", (gint)sw->nshards);
    }
    g_autofree char *body = g_key_file_to_data(kf, NULL, NULL);
    return g_strconcat("# The plan of an hnbsim sweep (hnbsim merge reads it).\n", body, NULL);
}

static void number(GString *out, double v)
{
    char buf[32];
    g_string_append(out, hnb_results_fmt(v, buf));
}

/* [variant,]point,<axes> of a row */
static void row_head(GString *out, const HnbSweep *sw, guint variant, guint point)
{
    if (sw->variants->len) {
        hnb_results_csv_field(out, sw->variants->pdata[variant]);
        g_string_append_c(out, ',');
    }
    g_string_append_printf(out, "%u", point);
    for (guint a = 0; a < sw->grid->axes->len; a++) {
        g_string_append_c(out, ',');
        hnb_results_csv_field(out, hnb_grid_value(sw->grid, point, a));
    }
}

static void header_head(GString *out, const HnbSweep *sw, gboolean rep)
{
    g_string_append(out, sw->variants->len ? "variant,point" : "point");
    if (rep)
        g_string_append(out, ",replication");
    for (guint a = 0; a < sw->grid->axes->len; a++) {
        g_string_append_c(out, ',');
        hnb_results_csv_field(out, ((HnbGridAxis *)sw->grid->axes->pdata[a])->name);
    }
}

static char *points_csv(const HnbSweep *sw)
{
    GString *csv = g_string_new(NULL);
    header_head(csv, sw, TRUE);
    for (guint m = 0; m < sw->metric_names->len; m++)
        g_string_append_printf(csv, ",%s", (char *)sw->metric_names->pdata[m]);
    g_string_append_c(csv, '\n');
    for (guint i = 0; i < sw->cells->len; i++) {
        const HnbSweepCell *c = sw->cells->pdata[i];
        if (sw->variants->len) {
            hnb_results_csv_field(csv, sw->variants->pdata[c->variant]);
            g_string_append_c(csv, ',');
        }
        g_string_append_printf(csv, "%u,%u", c->point, c->rep);
        for (guint a = 0; a < sw->grid->axes->len; a++) {
            g_string_append_c(csv, ',');
            hnb_results_csv_field(csv, hnb_grid_value(sw->grid, c->point, a));
        }
        for (char **t = c->texts; *t; t++)
            g_string_append_printf(csv, ",%s", *t);
        g_string_append_c(csv, '\n');
    }
    return g_string_free(csv, FALSE);
}

/* Means and half-widths per (variant, point, metric), from the sorted cells: stats[(v*P+p)*M + m]. */
typedef struct {
    double mean, half;
} Stat;

static Stat *all_stats(const HnbSweep *sw, guint **counts)
{
    guint nv = hnb_sweep_nvariants(sw), np = hnb_grid_points(sw->grid), nm = sw->metric_names->len;
    Stat *st = g_new(Stat, (gsize)nv * np * (nm ? nm : 1));
    *counts = g_new0(guint, (gsize)nv * np);
    g_autoptr(GPtrArray) group = g_ptr_array_new();
    guint i = 0;
    for (guint vp = 0; vp < nv * np; vp++) {
        g_ptr_array_set_size(group, 0);
        for (; i < sw->cells->len; i++) {
            HnbSweepCell *c = sw->cells->pdata[i];
            if (c->variant * np + c->point != vp)
                break;
            g_ptr_array_add(group, c);
        }
        (*counts)[vp] = group->len;
        for (guint m = 0; m < nm; m++)
            stat_cells(group, m, &st[(gsize)vp * nm + m].mean, &st[(gsize)vp * nm + m].half);
    }
    return st;
}

static char *aggregate_csv(const HnbSweep *sw, const Stat *st, const guint *counts)
{
    guint nv = hnb_sweep_nvariants(sw), np = hnb_grid_points(sw->grid), nm = sw->metric_names->len;
    GString *csv = g_string_new(NULL);
    header_head(csv, sw, FALSE);
    g_string_append(csv, ",n");
    if (sw->ci_metric >= 0)
        g_string_append(csv, ",ci_target_met");
    for (guint m = 0; m < nm; m++)
        g_string_append_printf(csv, ",%s_mean,%s_ci95_half", (char *)sw->metric_names->pdata[m],
                               (char *)sw->metric_names->pdata[m]);
    g_string_append_c(csv, '\n');
    for (guint v = 0; v < nv; v++)
        for (guint p = 0; p < np; p++) {
            const Stat *s = &st[((gsize)v * np + p) * nm];
            row_head(csv, sw, v, p);
            g_string_append_printf(csv, ",%u", counts[v * np + p]);
            if (sw->ci_metric >= 0)
                g_string_append_printf(csv, ",%d", met(sw, s[sw->ci_metric].mean, s[sw->ci_metric].half));
            for (guint m = 0; m < nm; m++) {
                g_string_append_c(csv, ',');
                number(csv, s[m].mean);
                g_string_append_c(csv, ',');
                number(csv, s[m].half);
            }
            g_string_append_c(csv, '\n');
        }
    return g_string_free(csv, FALSE);
}

/* "name (unit)" or "name" */
static char *label(const char *name, const char *unit)
{
    return *unit ? g_strdup_printf("%s (%s)", name, unit) : g_strdup(name);
}

/* One figure: metric m against the first axis, a curve per variant and combination of the other axes.  Its data
 * (figures/METRIC.csv) is a table with a row per value of the first axis and two columns (mean, half-width) per
 * curve, so the script plots each curve with `using 1:MEAN:HALF with yerrorlines`. */
static gboolean write_figure(HnbRunDir *rd, const HnbSweep *sw, const HnbStamp *stamp, guint m, const Stat *st,
                             GError **error)
{
    const char *metric = sw->metric_names->pdata[m];
    const HnbGridAxis *x = sw->grid->axes->pdata[0];
    guint nv = hnb_sweep_nvariants(sw), np = hnb_grid_points(sw->grid), nm = sw->metric_names->len;
    guint nx = x->values->len, per = np / nx; /* combinations of the other axes */
    gboolean categorical = FALSE, any = FALSE;
    for (guint i = 0; i < nx; i++)
        categorical |= !isfinite(g_array_index(x->x, double, i));

    g_autoptr(GString) data = g_string_new("x,label");
    g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func(g_free);
    for (guint v = 0; v < nv; v++)
        for (guint c = 0; c < per; c++) {
            guint k = titles->len;
            g_string_append_printf(data, ",c%u_mean,c%u_half", k, k);
            GString *t = g_string_new(sw->variants->len ? (char *)sw->variants->pdata[v] : "");
            for (guint a = 1; a < sw->grid->axes->len; a++)
                g_string_append_printf(t, "%s%s=%s", t->len ? ", " : "",
                                       ((HnbGridAxis *)sw->grid->axes->pdata[a])->name, hnb_grid_value(sw->grid, c, a));
            if (t->len == 0)
                g_string_append(t, metric);
            g_ptr_array_add(titles, g_string_free(t, FALSE));
        }
    g_string_append_c(data, '\n');
    for (guint i = 0; i < nx; i++) {
        number(data, categorical ? (double)i : g_array_index(x->x, double, i));
        g_autofree char *lab = g_strdup(x->values->pdata[i]);
        g_strdelimit(lab, ",\"", ' '); /* a plain field: gnuplot's CSV reading does not undo quoting */
        g_string_append_printf(data, ",%s", lab);
        for (guint v = 0; v < nv; v++)
            for (guint c = 0; c < per; c++) {
                const Stat *s = &st[((gsize)v * np + i * per + c) * nm + m];
                any |= isfinite(s->mean);
                g_string_append_c(data, ',');
                number(data, s->mean);
                g_string_append_c(data, ',');
                number(data, isfinite(s->half) ? s->half : 0); /* one replication: a point without a bar */
            }
        g_string_append_c(data, '\n');
    }
    g_autofree char *rel_data = g_strdup_printf("figures/%s.csv", metric);
    if (!hnb_rundir_write(rd, rel_data, data->str, (gssize)data->len, error))
        return FALSE;

    g_autoptr(GString) gp = g_string_new(NULL);
    g_autofree char *file = g_strdup_printf("%s.csv", metric);
    g_autofree char *title = g_strdup_printf("%s against %s (mean, 95%% CI)", metric, x->name);
    g_autofree char *xl = label(x->name, x->unit), *yl = label(metric, sw->metric_units->pdata[m]);
    g_autofree char *shows = g_strdup_printf("Mean and 95%% CI over %u replications per point", stamp->replications);
    hnb_gp_head(gp, stamp, metric, "METRIC.csv (per point of ../aggregate.csv)", title, shows, xl, yl);
    g_string_append(gp, "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n");
    if (x->geometric && !categorical)
        g_string_append(gp, "set logscale x\n");
    if (!any)
        g_string_append(gp, "set xrange [0:1]\nset yrange [0:1]\nset label 2 'no finite value at any point' at graph "
                            "0.5, graph 0.5 center\n");
    hnb_gp_begin_png(gp, metric);
    if (!any) {
        g_string_append(gp, "plot NaN notitle\n");
    } else {
        g_string_append(gp, "plot ");
        for (guint k = 0; k < titles->len; k++) {
            if (k)
                g_string_append(gp, ", \\\n     ");
            if (k == 0)
                hnb_gp_quote(gp, file);
            else
                g_string_append(gp, "''");
            g_string_append_printf(gp, " using 1:%u:%u%s with yerrorlines linewidth 1.5 pointtype 7 title ", 3 + 2 * k,
                                   4 + 2 * k, categorical ? ":xtic(2)" : "");
            hnb_gp_quote(gp, titles->pdata[k]);
        }
        g_string_append_c(gp, '\n');
    }
    hnb_gp_end_svg(gp, metric);
    g_autofree char *rel = g_strdup_printf("figures/%s.gp", metric);
    return hnb_rundir_write(rd, rel, gp->str, (gssize)gp->len, error);
}

gboolean hnb_sweep_write(HnbRunDir *rd, HnbSweep *sw, gboolean *rendered, GError **error)
{
    g_return_val_if_fail(rd && sw && rendered, FALSE);
    *rendered = TRUE;
    g_ptr_array_sort(sw->cells, cell_order);
    g_autofree char *plan = plan_text(sw);
    g_autofree char *points = points_csv(sw);
    if (!hnb_rundir_write(rd, "sweep.ini", plan, -1, error) || !hnb_rundir_write(rd, "points.csv", points, -1, error))
        return FALSE;
    if (sw->nshards)
        return TRUE;

    g_autofree guint *counts = NULL;
    g_autofree Stat *st = all_stats(sw, &counts);
    g_autofree char *aggregate = aggregate_csv(sw, st, counts);
    if (!hnb_rundir_write(rd, "aggregate.csv", aggregate, -1, error))
        return FALSE;
    HnbStamp stamp = {.scenario = sw->scenario, .seed = sw->seed, .replications = sw->replications, .version = sw->version,
                      .caption = *sw->caption ? sw->caption : NULL};
    g_auto(GStrv) plot = g_strsplit_set(sw->plot, " \t,", -1);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (char **p = plot; *p; p++) {
        int m = **p ? hnb_sweep_metric(sw, *p) : -1;
        gboolean dup = FALSE;
        for (guint k = 0; k < names->len; k++)
            dup |= strcmp(names->pdata[k], *p) == 0;
        if (m < 0 || dup || sw->grid->axes->len == 0)
            continue;
        if (!write_figure(rd, sw, &stamp, (guint)m, st, error))
            return FALSE;
        g_ptr_array_add(names, *p);
    }
    if (!hnb_gp_render(rd, (const char *const *)names->pdata, names->len, rendered, error))
        return FALSE;
    if (names->len == 0)
        *rendered = TRUE; /* nothing to render is not a missing gnuplot */
    return TRUE;
}

/* ---- reading back ---- */

static gboolean read_uint(const char *text, guint limit, guint *out)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(text, 10, 0, limit ? limit - 1 : 0, &v, NULL))
        return FALSE;
    *out = (guint)v;
    return TRUE;
}

static gboolean read_plan(HnbSweep *sw, GKeyFile *kf, const char *path, GError **error)
{
    GError *e = NULL;
#define STR(field, key)                                                                                               \
    if (!e) {                                                                                                         \
        g_free(sw->field);                                                                                            \
        sw->field = g_key_file_get_string(kf, "sweep", key, &e);                                                      \
    }
    STR(scenario, "scenario")
    STR(version, "version")
    STR(hash, "scenario_sha256")
    STR(ci_target, "ci_target")
    STR(plot, "plot")
#undef STR
    if (!e && g_key_file_has_key(kf, "sweep", "caption", NULL)) {
        g_free(sw->caption);
        sw->caption = g_key_file_get_string(kf, "sweep", "caption", &e);
    }
    g_autofree char *seed = e ? NULL : g_key_file_get_string(kf, "sweep", "seed", &e);
    gint reps = e ? 0 : g_key_file_get_integer(kf, "sweep", "replications", &e);
    gint maxr = e ? 0 : g_key_file_get_integer(kf, "sweep", "max_replications", &e);
    g_auto(GStrv) variants = e ? NULL : g_key_file_get_string_list(kf, "sweep", "variants", NULL, &e);
    gsize nm = 0, nu = 0;
    g_auto(GStrv) metrics = e ? NULL : g_key_file_get_string_list(kf, "sweep", "metrics", &nm, &e);
    g_auto(GStrv) units = e ? NULL : g_key_file_get_string_list(kf, "sweep", "units", &nu, &e);
    if (!e && (reps < 1 || maxr < 1 || nm != nu || !g_ascii_string_to_unsigned(seed, 10, 0, G_MAXUINT64, &sw->seed, NULL)))
        g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "inconsistent values");
    if (!e && g_key_file_has_group(kf, "shard")) {
        gint i = g_key_file_get_integer(kf, "shard", "index", &e);
        gint n = e ? 0 : g_key_file_get_integer(kf, "shard", "count", &e);
        if (!e && (n < 1 || i < 1 || i > n))
            g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "[shard] index %d of %d", i, n);
        sw->shard = (guint)i;
        sw->nshards = (guint)n;
    }
    if (e) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", path, e->message);
        g_error_free(e);
        return FALSE;
    }
    sw->replications = (guint)reps;
    sw->max_replications = (guint)maxr;
    for (char **v = variants; *v; v++)
        g_ptr_array_add(sw->variants, g_strdup(*v));
    for (gsize m = 0; m < nm; m++) {
        g_ptr_array_add(sw->metric_names, g_strdup(metrics[m]));
        g_ptr_array_add(sw->metric_units, g_strdup(units[m]));
    }
    hnb_grid_free(sw->grid);
    sw->grid = hnb_grid_load(kf, path, error);
    return sw->grid != NULL;
}

static gboolean read_points(HnbSweep *sw, const char *path, GError **error)
{
    g_autofree char *text = NULL;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, NULL, &e)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s", e->message);
        g_error_free(e);
        return FALSE;
    }
    g_autoptr(GString) want = g_string_new(NULL);
    header_head(want, sw, TRUE);
    for (guint m = 0; m < sw->metric_names->len; m++)
        g_string_append_printf(want, ",%s", (char *)sw->metric_names->pdata[m]);
    /* the header is compared as text: sweep.ini names every column, so nothing else is right */
    gsize head_len = strcspn(text, "\n");
    if (head_len != want->len || strncmp(text, want->str, head_len) != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s:1: the header does not match sweep.ini (expected %s)", path,
                    want->str);
        return FALSE;
    }
    guint nv = hnb_sweep_nvariants(sw), np = hnb_grid_points(sw->grid), na = sw->grid->axes->len;
    guint nm = sw->metric_names->len, lead = (sw->variants->len ? 3 : 2) + na;
    HnbCsv reader;
    hnb_csv_init(&reader, text);
    g_strfreev(hnb_csv_next(&reader, NULL));
    char **record;
    for (guint l = 0; (record = hnb_csv_next(&reader, &l)) != NULL;) {
        g_auto(GStrv) f = record;
        if (f[0][0] == '\0' && f[1] == NULL)
            continue; /* an empty line */
        HnbSweepCell c = {0};
        const char *bad = NULL;
        guint k = 0;
        if (g_strv_length(f) != lead + nm)
            bad = "wrong number of fields";
        if (!bad && sw->variants->len) {
            for (c.variant = 0; c.variant < nv && strcmp(sw->variants->pdata[c.variant], f[0]) != 0; c.variant++)
                ;
            bad = c.variant == nv ? "unknown variant" : NULL;
            k = 1;
        }
        if (!bad && (!read_uint(f[k], np, &c.point) || !read_uint(f[k + 1], G_MAXUINT, &c.rep)))
            bad = "bad point or replication";
        for (guint a = 0; !bad && a < na; a++)
            if (strcmp(f[k + 2 + a], hnb_grid_value(sw->grid, c.point, a)) != 0)
                bad = "a varied key's value differs from the grid in sweep.ini";
        if (bad) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s:%u: %s", path, l, bad);
            return FALSE;
        }
        HnbSweepCell *cell = g_new(HnbSweepCell, 1);
        *cell = c;
        cell->texts = g_new0(char *, nm + 1);
        for (guint m = 0; m < nm; m++)
            cell->texts[m] = g_strdup(f[lead + m]);
        g_ptr_array_add(sw->cells, cell);
    }
    return TRUE;
}

HnbSweep *hnb_sweep_read(const char *dir, GError **error)
{
    g_autofree char *ini = g_build_filename(dir, "sweep.ini", NULL);
    g_autofree char *points = g_build_filename(dir, "points.csv", NULL);
    if (!g_file_test(ini, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: not a sweep result directory (no sweep.ini)", dir);
        return NULL;
    }
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *e = NULL;
    if (!g_key_file_load_from_file(kf, ini, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", ini, e->message);
        g_error_free(e);
        return NULL;
    }
    g_autoptr(HnbSweep) sw = hnb_sweep_new();
    if (!read_plan(sw, kf, ini, error) || !read_points(sw, points, error))
        return NULL;
    return g_steal_pointer(&sw);
}
