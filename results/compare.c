/* results/compare.c — one directory for several variants of a scenario run with the same seed: compare.csv and
 * figures that put the variants side by side.  Each variant's own results sit in its subdirectory; a joint figure
 * script reads them from there (../NAME/timeseries.csv, ../NAME/cdf.csv) or, for a time series over several
 * replications, from its own figures/NAME.csv of each variant's mean and 95% CI band, so every script stays runnable
 * by hand. */
#include "results/bands.h"
#include "results/gnuplot.h"
#include "results/results.h"
#include "sim/time.h"
#include "sim/stats.h"

#include <math.h>
#include <string.h>

/* A number of a figure's data: gnuplot skips "nan" as missing; infinities would break its autoscaling. */
static void number(GString *out, double v)
{
    char buf[32];
    g_string_append(out, isfinite(v) ? hnb_results_fmt(v, buf) : "nan");
}

/* A number of compare.csv, as summary.csv prints it: "inf" says "beyond what the run can measure" (a quantile past
 * the horizon, sim/survival.h), which "nan" ("undefined") does not. */
static void csv_number(GString *out, double v)
{
    char buf[32];
    g_string_append(out, hnb_results_fmt(v, buf));
}

/* Mean and CI half-width of metric m over a variant's replications (NaN half-width with one replication). */
static void stat_of(const HnbVariant *v, guint m, double *mean, double *half)
{
    double *x = g_new(double, v->nreps);
    for (guint r = 0; r < v->nreps; r++)
        x[r] = g_array_index(v->reps[r]->items, HnbMetric, m).value;
    if (v->nreps >= 2) {
        hnb_ci95(x, v->nreps, mean, half);
    } else {
        *mean = x[0];
        *half = NAN;
    }
    g_free(x);
}

static int metric_index(const HnbVariant *v, const char *name)
{
    GArray *items = v->reps[0]->items;
    for (guint m = 0; m < items->len; m++)
        if (strcmp(g_array_index(items, HnbMetric, m).name, name) == 0)
            return (int)m;
    return -1;
}

static int column_of(const HnbSeries *s, const char *name)
{
    for (guint c = 1; c < s->ncols; c++)
        if (strcmp(s->names[c], name) == 0)
            return (int)c;
    return -1;
}

/* An optional SERIES figure some variant's series lacks the column of (a part that variant does not have): skipped.
 * A variant whose series is not in memory counts as having it (its file is the script's to read). */
static gboolean skipped(const HnbCompareFigure *fig, const HnbVariant *v, guint nv)
{
    if (!fig->optional || fig->kind != HNB_COMPARE_SERIES)
        return FALSE;
    for (guint k = 0; k < nv; k++)
        if (v[k].series != NULL && v[k].nreps > 0 && column_of(v[k].series[0], fig->column) < 0)
            return TRUE;
    return FALSE;
}

/* The caption's count of replications behind the bands: "3 replications", or each variant's when they differ. */
static char *replications_text(const HnbVariant *v, guint nv)
{
    gboolean same = TRUE;
    for (guint k = 1; k < nv; k++)
        same = same && v[k].nreps == v[0].nreps;
    if (same)
        return g_strdup_printf("%u replications", v[0].nreps);
    GString *t = g_string_new("each variant's replications (");
    for (guint k = 0; k < nv; k++)
        g_string_append_printf(t, "%s%u", k > 0 ? "/" : "", v[k].nreps);
    g_string_append_c(t, ')');
    return g_string_free(t, FALSE);
}

/* figures/NAME.csv of a SERIES figure over bands (bands[k]: variant k's, hnb_bands_compute): one row per variant and
 * time point, "variant,TIME,COLUMN,COLUMN_ci95_half", each variant's rows together on its own grid.  *any: some mean
 * reads back as a finite number.  A variant without the column is HNB_ERROR_RUN. */
static GString *band_data(const HnbCompareFigure *fig, const HnbVariant *v, guint nv, HnbSeries *const *bands,
                          gboolean *any, GError **error)
{
    g_autofree char *half_name = hnb_bands_half_name(fig->column);
    GString *data = g_string_new("variant,");
    g_string_append_printf(data, "%s,%s,%s\n", bands[0]->names[0], fig->column, half_name);
    *any = FALSE;
    for (guint k = 0; k < nv; k++) {
        int m = column_of(bands[k], fig->column), h = column_of(bands[k], half_name);
        if (m < 0 || h < 0) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figure %s: no column \"%s\" in %s/timeseries.csv",
                        fig->name, fig->column, v[k].name);
            g_string_free(data, TRUE);
            return NULL;
        }
        const double *x = (const double *)(void *)bands[k]->data->data;
        for (guint r = 0; r < hnb_series_rows(bands[k]); r++) {
            const double *row = x + (gsize)r * bands[k]->ncols;
            *any = *any || hnb_results_fmt_finite(row[m]);
            hnb_results_csv_field(data, v[k].name);
            g_string_append_c(data, ',');
            csv_number(data, row[0]);
            g_string_append_c(data, ',');
            csv_number(data, row[m]);
            g_string_append_c(data, ',');
            csv_number(data, row[h]);
            g_string_append_c(data, '\n');
        }
    }
    return data;
}

/* The plot of a SERIES figure's bands: every variant's band, then every variant's mean line, in the variant's colour.
 * The data file holds all variants; a variant's elements read the other variants' rows as x = NaN (nothing drawn). */
static void append_band_plot(GString *plot, const HnbCompareFigure *fig, const HnbVariant *v, guint nv,
                             const char *time)
{
    g_autofree char *file = g_strdup_printf("%s.csv", fig->name);
    g_autofree char *half = hnb_bands_half_name(fig->column);
    g_string_append(plot, "plot ");
    for (int pass = 0; pass < 2; pass++)
        for (guint k = 0; k < nv; k++) {
            if (pass > 0 || k > 0)
                g_string_append(plot, ", \\\n     ");
            g_autoptr(GString) x = g_string_new("strcol('variant') eq ");
            hnb_gp_quote(x, v[k].name);
            g_string_append(x, " ? column(");
            hnb_gp_quote(x, time);
            g_string_append(x, ") : NaN");
            if (pass == 0)
                hnb_gp_band_fill(plot, file, x->str, fig->column, half, k + 1);
            else
                hnb_gp_band_line(plot, file, x->str, fig->column, k + 1, v[k].name);
        }
    g_string_append_c(plot, '\n');
}

/* The script of a SERIES or CDF figure.  bands (one per variant) for a SERIES figure over several replications, whose
 * data file says whether anything is to be drawn (any); NULL: replication 0's lines, or the distributions. */
static char *series_script(const HnbStamp *stamp, const HnbCompareFigure *fig, const HnbVariant *v, guint nv,
                           HnbSeries *const *bands, gboolean band_any)
{
    g_autoptr(GString) gp = g_string_new(NULL);
    gboolean cdf = fig->kind == HNB_COMPARE_CDF;
    gboolean any = bands != NULL ? band_any : !cdf;
    for (guint k = 0; cdf && k < nv; k++)
        any |= v[k].has_cdf;
    /* a zoom is on the time axis: not for a distribution */
    const HnbZoom *zoom = any && !cdf ? stamp->zoom : NULL;
    g_autofree char *zoom_text = zoom != NULL && zoom->panel ? hnb_gp_zoom_text(zoom) : NULL;
    g_autofree char *count = bands != NULL ? replications_text(v, nv) : NULL;
    g_autofree char *lines = bands != NULL ? hnb_gp_band_text(count) :
                                             g_strdup_printf("replication 0 of %u", stamp->replications);
    g_autofree char *shows = g_strdup_printf("One line per variant: %s%s%s", lines, zoom != NULL ? "; " : "",
                                             zoom != NULL ? zoom_text : "");
    g_autofree char *data = bands != NULL ? g_strdup_printf("%s.csv (each variant's mean and 95%% CI over its "
                                                            "replications of ../VARIANT/timeseries.csv)", fig->name) :
                            g_strdup(cdf ? "each variant's ../VARIANT/cdf.csv" :
                                           "each variant's ../VARIANT/timeseries.csv");
    hnb_gp_head(gp, stamp, fig->name, data, fig->title, shows, fig->xlabel, fig->ylabel);
    if (cdf) /* recoveries span minutes (a golden module) to days (the field): a log time axis shows both */
        g_string_append(gp, "set yrange [0:1]\nset key inside right bottom\nset logscale x\nset autoscale x\n");
    if (!any)
        g_string_append_printf(gp, "set xrange [0:1]\nset label 2 '%s' at graph 0.5, graph 0.5 center\n",
                               cdf ? "no HNB recovered in any variant" : "no data in any variant");
    g_autoptr(GString) plot = g_string_new(NULL);
    if (!any) {
        g_string_append(plot, "plot NaN notitle\n");
    } else if (bands != NULL) {
        append_band_plot(plot, fig, v, nv, bands[0]->names[0]);
    } else {
        g_string_append(plot, "plot ");
        gboolean first = TRUE;
        for (guint k = 0; k < nv; k++) {
            if (cdf && !v[k].has_cdf)
                continue;
            if (!first)
                g_string_append(plot, ", \\\n     ");
            first = FALSE;
            g_autofree char *file = g_strdup_printf("../%s/%s", v[k].name, cdf ? "cdf.csv" : "timeseries.csv");
            hnb_gp_quote(plot, file);
            /* column 1 is the replication: rows of other replications get x = NaN and draw nothing */
            g_string_append(plot, " using (column(1) == 0 ? column(2) : NaN):(column(");
            if (cdf)
                g_string_append(plot, "3");
            else
                hnb_gp_quote(plot, fig->column);
            g_string_append(plot, cdf ? ")) with steps linewidth 2 title " : ")) with lines linewidth 2 title ");
            hnb_gp_quote(plot, v[k].name);
        }
        g_string_append_c(plot, '\n');
    }
    hnb_gp_draw(gp, fig->name, plot->str, zoom);
    return g_string_free(g_steal_pointer(&gp), FALSE);
}

static char *bar_script(const HnbStamp *stamp, const HnbCompareFigure *fig)
{
    g_autoptr(GString) gp = g_string_new(NULL);
    g_autofree char *data = g_strdup_printf("%s.csv", fig->name);
    g_autofree char *shows = g_strdup_printf("Bars: mean over %u replications, 95%% CI", stamp->replications);
    hnb_gp_head(gp, stamp, fig->name, data, fig->title, shows, "", fig->ylabel);
    g_string_append(gp, "set style fill solid 0.6 border -1\n"
                        "set boxwidth 0.6\n"
                        "set yrange [0:*]\n"
                        "set autoscale xfix\n"
                        "set offsets 0.5, 0.5, 0, 0\n"
                        "unset key\n");
    hnb_gp_begin_png(gp, fig->name);
    g_string_append(gp, "plot ");
    hnb_gp_quote(gp, data);
    g_string_append(gp, " using 0:2:xtic(1) with boxes, '' using 0:2:3 with yerrorbars pointtype 0 linecolor "
                        "'black'\n");
    hnb_gp_end_svg(gp, fig->name);
    return g_string_free(g_steal_pointer(&gp), FALSE);
}

/* TABLE: one line of points per variant through its own table file, each point labelled by the table's first column
 * (e.g. the server count of the signing model's curve.csv). */
static char *table_script(const HnbStamp *stamp, const HnbCompareFigure *fig, const HnbVariant *v, guint nv)
{
    g_autoptr(GString) gp = g_string_new(NULL);
    g_auto(GStrv) xy = g_strsplit(fig->column, ":", 2);
    g_autofree char *data = g_strdup_printf("each variant's ../VARIANT/%s", fig->table);
    g_autofree char *shows = g_strdup_printf("One line per variant through its %s (%s against %s), each point "
                                             "labelled by the table's first column", fig->table, xy[1], xy[0]);
    hnb_gp_head(gp, stamp, fig->name, data, fig->title, shows, fig->xlabel, fig->ylabel);
    g_string_append(gp, fig->logx ? "set logscale x\nset autoscale x\n" : "set autoscale x\n");
    g_autoptr(GString) plot = g_string_new("plot ");
    for (guint k = 0; k < nv; k++) {
        g_autofree char *file = g_strdup_printf("../%s/%s", v[k].name, fig->table);
        for (int labels = 0; labels < 2; labels++) {
            if (k > 0 || labels)
                g_string_append(plot, ", \\\n     ");
            hnb_gp_quote(plot, file);
            g_string_append(plot, " using (");
            if (fig->logx) {
                g_string_append(plot, "column(");
                hnb_gp_quote(plot, xy[0]);
                g_string_append(plot, ") > 0 ? ");
            }
            g_string_append(plot, "column(");
            hnb_gp_quote(plot, xy[0]);
            g_string_append(plot, fig->logx ? ") : NaN):(column(" : ")):(column(");
            hnb_gp_quote(plot, xy[1]);
            if (labels) {
                g_string_append(plot, ")):(sprintf('%g', column(1))) with labels offset char 0.8, char 0.6 "
                                      "textcolor lt ");
                g_string_append_printf(plot, "%u notitle", k + 1);
            } else {
                /* the line and its labels in one colour: linetype k + 1 for both (plot elements would count the
                 * label sets too) */
                g_string_append_printf(plot, ")) with linespoints linetype %u linewidth 2 pointtype 7 title ", k + 1);
                hnb_gp_quote(plot, v[k].name);
            }
        }
    }
    g_string_append_c(plot, '\n');
    hnb_gp_draw(gp, fig->name, plot->str, NULL);
    return g_string_free(g_steal_pointer(&gp), FALSE);
}

gboolean hnb_results_write_compare(HnbRunDir *rd, const HnbStamp *stamp, const HnbVariant *v, guint nv,
                                   const HnbCompareFigure *figs, guint nfigs, gboolean *rendered, GError **error)
{
    g_return_val_if_fail(rd && stamp && v && nv >= 1 && rendered, FALSE);
    /* The rows: every metric some variant reports, the first variant's in its order, then the others' new ones in
     * theirs.  Variants of one model may differ (the signing model's s<S>_* metrics follow each variant's
     * servers_curve); a variant without a metric leaves its two cells empty, so nothing is lost. */
    GPtrArray *rows = g_ptr_array_new(); /* const HnbMetric * of the first variant that reports it */
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint k = 0; k < nv; k++) {
        GArray *items = v[k].reps[0]->items;
        for (guint m = 0; m < items->len; m++) {
            const HnbMetric *mt = &g_array_index(items, HnbMetric, m);
            if (g_hash_table_add(seen, (gpointer)mt->name))
                g_ptr_array_add(rows, (gpointer)mt);
        }
    }
    g_hash_table_unref(seen);

    g_autoptr(GString) csv = g_string_new("metric,unit");
    for (guint k = 0; k < nv; k++) {
        g_string_append_c(csv, ',');
        g_autofree char *a = g_strdup_printf("%s mean", v[k].name), *b = g_strdup_printf("%s ci95_half", v[k].name);
        hnb_results_csv_field(csv, a);
        g_string_append_c(csv, ',');
        hnb_results_csv_field(csv, b);
    }
    g_string_append_c(csv, '\n');
    for (guint i = 0; i < rows->len; i++) {
        const HnbMetric *mt = g_ptr_array_index(rows, i);
        hnb_results_csv_field(csv, mt->name);
        g_string_append_c(csv, ',');
        hnb_results_csv_field(csv, mt->unit);
        for (guint k = 0; k < nv; k++) {
            int m = metric_index(&v[k], mt->name);
            if (m < 0) {
                g_string_append(csv, ",,");
                continue;
            }
            double mean, half;
            stat_of(&v[k], (guint)m, &mean, &half);
            g_string_append_c(csv, ',');
            csv_number(csv, mean);
            g_string_append_c(csv, ',');
            csv_number(csv, half);
        }
        g_string_append_c(csv, '\n');
    }
    g_ptr_array_unref(rows);
    if (!hnb_rundir_write(rd, "compare.csv", csv->str, (gssize)csv->len, error))
        return FALSE;

    /* the bands of every variant, once for all SERIES figures, when every variant has replications to average */
    gboolean banded = TRUE;
    for (guint k = 0; k < nv; k++)
        banded = banded && v[k].nreps >= 2 && v[k].series != NULL;
    HnbSeries **bands = NULL;
    if (banded) {
        bands = g_new0(HnbSeries *, nv);
        for (guint k = 0; k < nv; k++)
            bands[k] = hnb_bands_compute(v[k].series, v[k].nreps);
    }

    const char **names = g_new(const char *, nfigs); /* the figures written, to render */
    guint nnames = 0;
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < nfigs; i++) {
        const HnbCompareFigure *fig = &figs[i];
        if (skipped(fig, v, nv))
            continue;
        names[nnames++] = fig->name;
        g_autofree char *script = NULL;
        if (fig->kind == HNB_COMPARE_BAR) {
            g_autoptr(GString) data = g_string_new("variant,mean,ci95_half\n");
            for (guint k = 0; ok && k < nv; k++) {
                int m = metric_index(&v[k], fig->column);
                if (m < 0) {
                    g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figure %s: variant %s reports no metric \"%s\"",
                                fig->name, v[k].name, fig->column);
                    ok = FALSE;
                    break;
                }
                double mean, half;
                stat_of(&v[k], (guint)m, &mean, &half);
                hnb_results_csv_field(data, v[k].name);
                g_string_append_c(data, ',');
                number(data, isfinite(mean) ? mean : 0);
                g_string_append_c(data, ',');
                number(data, isfinite(half) ? half : 0);
                g_string_append_c(data, '\n');
            }
            if (!ok)
                break;
            g_autofree char *rel = g_strdup_printf("figures/%s.csv", fig->name);
            ok = hnb_rundir_write(rd, rel, data->str, (gssize)data->len, error);
            script = bar_script(stamp, fig);
        } else if (fig->kind == HNB_COMPARE_TABLE) {
            script = table_script(stamp, fig, v, nv);
        } else if (fig->kind == HNB_COMPARE_SERIES && bands != NULL) {
            gboolean any = FALSE;
            GString *data = band_data(fig, v, nv, bands, &any, error);
            if (data == NULL) {
                ok = FALSE;
                break;
            }
            g_autofree char *rel = g_strdup_printf("figures/%s.csv", fig->name);
            ok = hnb_rundir_write(rd, rel, data->str, (gssize)data->len, error);
            g_string_free(data, TRUE);
            script = series_script(stamp, fig, v, nv, bands, any);
        } else {
            script = series_script(stamp, fig, v, nv, NULL, FALSE);
        }
        g_autofree char *rel = g_strdup_printf("figures/%s.gp", fig->name);
        ok = ok && hnb_rundir_write(rd, rel, script, -1, error);
    }
    ok = ok && hnb_gp_render(rd, names, nnames, rendered, error);
    g_free(names);
    for (guint k = 0; bands != NULL && k < nv; k++)
        hnb_series_free(bands[k]);
    g_free(bands);
    return ok;
}
