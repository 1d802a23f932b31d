/* results/figures.c — gnuplot scripts and their renderings.
 *
 * Each figure is a self-contained script figures/NAME.gp, run from the figures directory, that draws the listed
 * columns against the time column.  With one replication it reads ../timeseries.csv and keeps the rows of
 * replication 0; with several it reads figures/NAME.csv, the mean over the replications and its 95% CI per time point
 * (results/bands.h), and draws each column as its mean line over a shaded band.  The script renders NAME.png
 * (pngcairo) and NAME.svg itself, so a reader can edit and re-run it alone.
 *
 * Determinism.  Checked with gnuplot 5.4.4 (Debian gnuplot-nox): two runs of the same script give byte-identical
 * files.  The svg terminal writes no date, path or random id (its ids are fixed names such as "gpPt3"; the
 * <desc> names only the gnuplot version), and without the "mouse" option it references no external script.
 * pngcairo writes IHDR, bKGD, IDAT and IEND chunks only: no tIME, no text chunks.  What can still vary is outside
 * the script: gnuplot reads ~/.gnuplot and the system gnuplotrc at start-up, so it is run with --default-settings;
 * and the PNG rasterises whatever font fontconfig picks for the default face, so PNGs match byte for byte only
 * between machines with the same fonts (and the same cairo, pixman and zlib).  The SVG names its font and is
 * stable across such differences.  The band files are computed from the replications in replication order, whatever
 * thread ran each.
 *
 * A figure whose columns have no finite point (a mean over an empty set in every interval, say) would make gnuplot
 * stop with "all points undefined"; it gets an empty frame saying "no data" instead, so one empty curve never fails a
 * run.  That is decided on what the script reads (replication 0's series, or the band means) in memory, value by
 * value as the CSV prints it (hnb_results_fmt_finite), so the script is the same as if the file had been read back.
 */
#include "results/bands.h"
#include "results/gnuplot.h"
#include "results/results.h"
#include "sim/time.h"

#include <string.h>

/* The series a figure reads (replication 0's as timeseries.csv holds it, or the bands: a mean column keeps its
 * column's name), and per column whether it has a finite point there. */
typedef struct {
    const HnbSeries *series; /* names[0] is the time column */
    gboolean *defined;       /* [ncols]; defined[c]: some row has a finite time and a finite column c */
} SeriesInfo;

static void series_info_init(SeriesInfo *info, const HnbSeries *series)
{
    info->series = series;
    info->defined = g_new0(gboolean, series->ncols);
    const double *v = (const double *)(void *)series->data->data;
    for (guint i = 0; i < hnb_series_rows(series); i++) {
        const double *row = v + (gsize)i * series->ncols;
        if (hnb_results_fmt_finite(row[0]))
            for (guint c = 1; c < series->ncols; c++)
                info->defined[c] = info->defined[c] || hnb_results_fmt_finite(row[c]);
    }
}

static int column_index(const SeriesInfo *info, const char *name)
{
    for (guint c = 1; c < info->series->ncols; c++)
        if (strcmp(info->series->names[c], name) == 0)
            return (int)c;
    return -1;
}

/* A gnuplot single-quoted string: no escapes are interpreted except '' for a quote.  Line breaks would end the
 * command, so they become spaces. */
/* The time column's name carries its unit after the last underscore: "time_h" reads "time (h)". */
static char *axis_label(const char *name)
{
    char *label = g_strdup(name);
    char *us = strrchr(label, '_');
    if (us != NULL && us != label && us[1] != '\0') {
        *us = '\0';
        g_strdelimit(label, "_", ' ');
        char *with_unit = g_strdup_printf("%s (%s)", label, us + 1);
        g_free(label);
        return with_unit;
    }
    return g_strdelimit(label, "_", ' ');
}

/* The plot: lines of replication 0, x = the time column.  Rows of other replications get x = NaN, which gnuplot
 * treats as undefined: they draw nothing and take no part in autoscaling. */
static void append_plot(GString *gp, const SeriesInfo *info, char **cols)
{
    g_string_append(gp, "plot ");
    for (guint i = 0; cols[i] != NULL; i++) {
        if (i > 0)
            g_string_append(gp, ", \\\n     ");
        g_string_append(gp, i == 0 ? "'../timeseries.csv'" : "''");
        g_string_append(gp, " using (column(1) == 0 ? column(");
        hnb_gp_quote(gp, info->series->names[0]);
        g_string_append(gp, ") : NaN):(column(");
        hnb_gp_quote(gp, cols[i]);
        g_string_append(gp, ")) with lines linewidth 2 title ");
        hnb_gp_quote(gp, cols[i]);
    }
    g_string_append_c(gp, '\n');
}

/* The plot of the bands in NAME.csv: every column's band, then every column's mean line (a band never veils a line),
 * each column in the colour of its own linetype. */
static void append_band_plot(GString *gp, const char *file, const SeriesInfo *info, char **cols)
{
    g_autoptr(GString) x = g_string_new("column(");
    hnb_gp_quote(x, info->series->names[0]);
    g_string_append_c(x, ')');
    g_string_append(gp, "plot ");
    for (guint i = 0; cols[i] != NULL; i++) {
        g_autofree char *half = hnb_bands_half_name(cols[i]);
        hnb_gp_band_fill(gp, file, x->str, cols[i], half, i + 1);
        g_string_append(gp, ", \\\n     ");
    }
    for (guint i = 0; cols[i] != NULL; i++) {
        if (i > 0)
            g_string_append(gp, ", \\\n     ");
        hnb_gp_band_line(gp, file, x->str, cols[i], i + 1, cols[i]);
    }
    g_string_append_c(gp, '\n');
}

/* The script of one figure; `nbands` replications averaged in its NAME.csv, or 0: replication 0's lines. */
static char *build_script(const HnbStamp *stamp, const HnbFigure *fig, const SeriesInfo *info, char **cols,
                          gboolean any_data, guint nbands)
{
    g_autoptr(GString) gp = g_string_new(NULL);
    g_autofree char *xlabel = axis_label(info->series->names[0]);
    const HnbZoom *zoom = any_data ? stamp->zoom : NULL;
    g_autofree char *zoom_text = zoom != NULL && zoom->panel ? hnb_gp_zoom_text(zoom) : NULL;
    g_autofree char *count = g_strdup_printf("%u replications", nbands);
    g_autofree char *band = nbands > 0 ? hnb_gp_band_text(count) : NULL;
    g_autofree char *lines = nbands > 0 ? g_strdup_printf("Lines: %s", band) :
                                          g_strdup_printf("Lines: replication 0 of %u", stamp->replications);
    g_autofree char *shows = g_strdup_printf("%s%s%s", lines, zoom != NULL ? "; " : "",
                                             zoom != NULL ? zoom_text : "");
    g_autofree char *file = g_strdup_printf("%s.csv", fig->name);
    g_autofree char *data = nbands > 0 ? g_strdup_printf("%s (the mean and 95%% CI of ../timeseries.csv over %u "
                                                         "replications)", file, nbands) :
                                         g_strdup("replication 0 of ../timeseries.csv");
    hnb_gp_head(gp, stamp, fig->name, data, fig->title, shows, xlabel, fig->ylabel);
    if (!any_data) {
        g_string_append_printf(gp, "set xrange [0:1]\n"
                                   "set yrange [0:1]\n"
                                   "unset xtics\n"
                                   "unset ytics\n"
                                   "unset grid\n"
                                   "set label 2 'no data in %s' at graph 0.5, graph 0.5 center\n",
                               nbands > 0 ? "any replication" : "replication 0");
    }

    g_autoptr(GString) plot = g_string_new(NULL);
    if (!any_data)
        g_string_append(plot, "plot NaN notitle\n");
    else if (nbands > 0)
        append_band_plot(plot, file, info, cols);
    else
        append_plot(plot, info, cols);
    hnb_gp_draw(gp, fig->name, plot->str, zoom);
    return g_string_free(g_steal_pointer(&gp), FALSE);
}

/* figures/NAME.csv: the time column and the mean and half-width columns of the figure's own columns. */
static gboolean write_band_file(HnbRunDir *rd, const HnbFigure *fig, const HnbSeries *bands, char **cols,
                                GError **error)
{
    guint n = g_strv_length(cols);
    guint *idx = g_new(guint, 1 + 2 * n);
    const char **names = g_new(const char *, 1 + 2 * n);
    idx[0] = 0;
    for (guint i = 0; i < n; i++) {
        g_autofree char *half = hnb_bands_half_name(cols[i]);
        for (guint c = 1; c < bands->ncols; c++) {
            if (strcmp(bands->names[c], cols[i]) == 0)
                idx[1 + 2 * i] = c;
            else if (strcmp(bands->names[c], half) == 0)
                idx[2 + 2 * i] = c;
        }
    }
    for (guint k = 0; k < 1 + 2 * n; k++)
        names[k] = bands->names[idx[k]];
    HnbSeries *t = hnb_series_new(1 + 2 * n, names, NULL);
    const double *v = (const double *)(void *)bands->data->data;
    double *row = g_new(double, 1 + 2 * n);
    for (guint r = 0; r < hnb_series_rows(bands); r++) {
        for (guint k = 0; k < 1 + 2 * n; k++)
            row[k] = v[(gsize)r * bands->ncols + idx[k]];
        hnb_series_add_row(t, row);
    }
    g_autofree char *rel = g_strdup_printf("figures/%s.csv", fig->name);
    gboolean ok = hnb_results_write_table(rd, rel, t, error);
    g_free(row);
    hnb_series_free(t);
    g_free(names);
    g_free(idx);
    return ok;
}

/* A file stem that stays in figures/ and needs no quoting in the script. */
static gboolean stem_ok(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '.')
        return FALSE;
    for (const char *p = name; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return FALSE;
    return TRUE;
}

gboolean hnb_results_write_figures(HnbRunDir *rd, const HnbStamp *stamp, HnbSeries *const *reps, guint nreps,
                                   const HnbFigure *figs, guint nfigs, gboolean *rendered, GError **error)
{
    g_return_val_if_fail(rd != NULL && stamp != NULL && reps != NULL && nreps >= 1 && reps[0]->ncols >= 1 &&
                         rendered != NULL, FALSE);
    g_return_val_if_fail(figs != NULL || nfigs == 0, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    for (guint i = 0; i < nfigs; i++)
        g_return_val_if_fail(stem_ok(figs[i].name) && figs[i].columns != NULL, FALSE);

    *rendered = FALSE;
    if (nfigs == 0)
        return TRUE;

    /* with several replications every figure reads the bands, computed once for all columns */
    g_autoptr(HnbSeries) bands = nreps >= 2 ? hnb_bands_compute(reps, nreps) : NULL;
    guint nbands = bands != NULL ? nreps : 0;
    SeriesInfo info;
    series_info_init(&info, bands != NULL ? bands : reps[0]);

    gboolean ok = TRUE;
    const char **names = g_new(const char *, nfigs); /* the figures written, to render */
    guint nnames = 0;
    for (guint i = 0; ok && i < nfigs; i++) {
        const HnbFigure *fig = &figs[i];
        g_auto(GStrv) cols = g_strsplit_set(fig->columns, " \t", -1);
        /* drop the empty strings that runs of blanks leave */
        guint n = 0;
        for (guint j = 0; cols[j] != NULL; j++) {
            if (cols[j][0] == '\0')
                g_free(cols[j]);
            else
                cols[n++] = cols[j];
        }
        cols[n] = NULL;
        if (n == 0) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figure %s: no columns to plot", fig->name);
            ok = FALSE;
            break;
        }
        gboolean any_data = FALSE, missing = FALSE;
        for (guint j = 0; j < n; j++) {
            int c = column_index(&info, cols[j]);
            if (c < 0 && !fig->optional) {
                g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figure %s: no column \"%s\" in timeseries.csv",
                            fig->name, cols[j]);
                ok = FALSE;
                break;
            }
            missing = missing || c < 0;
            any_data = any_data || (c >= 0 && info.defined[c]);
        }
        if (!ok)
            break;
        if (missing) /* an optional figure of a part this run lacks: nothing written, nothing listed */
            continue;
        names[nnames++] = fig->name;
        if (nbands > 0 && any_data && !write_band_file(rd, fig, bands, cols, error)) {
            ok = FALSE;
            break;
        }
        g_autofree char *script = build_script(stamp, fig, &info, cols, any_data, nbands);
        g_autofree char *rel = g_strdup_printf("figures/%s.gp", fig->name);
        ok = hnb_rundir_write(rd, rel, script, -1, error);
    }
    g_free(info.defined);
    ok = ok && hnb_gp_render(rd, names, nnames, rendered, error);
    g_free(names);
    return ok;
}
