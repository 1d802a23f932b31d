/* results/table.c — tables that are not time series (a curve over a parameter, one row per value) and the figures
 * drawn from them: chosen columns against an x column, optionally with error bars and a second y axis.
 *
 * The CSV has a header line of plain column names and no replication column: a table is already a summary over
 * replications.  As for time-series figures (figures.c), columns with no finite value are left out of the plot, so
 * gnuplot never stops on "all points undefined", and a figure with nothing to draw gets a "no data" frame; what is
 * finite is decided on the table in memory, value by value as the CSV prints it (hnb_results_fmt_finite).
 */
#include "results/gnuplot.h"
#include "results/results.h"
#include "sim/time.h"

#include <math.h>
#include <string.h>

gboolean hnb_results_write_table(HnbRunDir *rd, const char *relpath, const HnbSeries *table, GError **error)
{
    g_return_val_if_fail(rd != NULL && relpath != NULL && table != NULL, FALSE);
    g_autoptr(GString) csv = g_string_new(NULL);
    for (guint c = 0; c < table->ncols; c++) {
        if (c > 0)
            g_string_append_c(csv, ',');
        g_string_append(csv, table->names[c]); /* plain by construction (hnb_series_new) */
    }
    g_string_append_c(csv, '\n');
    const double *v = (const double *)(void *)table->data->data;
    char buf[32];
    for (guint i = 0; i < hnb_series_rows(table); i++) {
        for (guint c = 0; c < table->ncols; c++) {
            double x = v[(gsize)i * table->ncols + c];
            if (c > 0)
                g_string_append_c(csv, ',');
            g_string_append(csv, isfinite(x) ? hnb_results_fmt(x, buf) : "nan");
        }
        g_string_append_c(csv, '\n');
    }
    return hnb_rundir_write(rd, relpath, csv->str, (gssize)csv->len, error);
}

/* A table and, per column, whether some row has a finite x and a finite value there. */
typedef struct {
    const HnbSeries *series;
    gboolean *defined;
} Table;

static int col(const Table *t, const char *name)
{
    for (guint c = 0; c < t->series->ncols; c++)
        if (strcmp(t->series->names[c], name) == 0)
            return (int)c;
    return -1;
}

static gboolean table_init(Table *t, const HnbSeries *table, const char *data, const HnbTableFigure *fig,
                           GError **error)
{
    t->series = table;
    t->defined = g_new0(gboolean, table->ncols);
    int xcol = col(t, fig->x);
    if (xcol < 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figure %s: no column \"%s\" in %s", fig->name, fig->x,
                    data);
        return FALSE;
    }
    const double *v = (const double *)(void *)table->data->data;
    for (guint i = 0; i < hnb_series_rows(table); i++) {
        const double *row = v + (gsize)i * table->ncols;
        if (hnb_results_fmt_finite(row[xcol]))
            for (guint c = 0; c < table->ncols; c++)
                t->defined[c] = t->defined[c] || hnb_results_fmt_finite(row[c]);
    }
    return TRUE;
}

/* Append the plot clauses of one axis's columns ("a" or "a:b"); returns how many were drawn. */
static guint append_columns(GString *gp, const Table *t, const char *data, const HnbTableFigure *fig,
                            const char *list, gboolean y2, guint drawn, GError **error)
{
    g_auto(GStrv) items = g_strsplit_set(list != NULL ? list : "", " \t", -1);
    for (char **it = items; *it != NULL; it++) {
        if (**it == '\0')
            continue;
        g_auto(GStrv) parts = g_strsplit(*it, ":", 2);
        for (guint k = 0; parts[k] != NULL; k++)
            if (col(t, parts[k]) < 0) {
                g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figure %s: no column \"%s\" in %s", fig->name,
                            parts[k], data);
                return G_MAXUINT;
            }
        if (!t->defined[col(t, parts[0])])
            continue;
        g_string_append(gp, drawn == 0 ? "plot " : ", \\\n     ");
        if (drawn == 0) {
            g_autofree char *file = g_strconcat("../", data, NULL);
            hnb_gp_quote(gp, file);
        } else {
            g_string_append(gp, "''");
        }
        g_string_append(gp, " using (column(");
        hnb_gp_quote(gp, fig->x);
        g_string_append(gp, ")):(column(");
        hnb_gp_quote(gp, parts[0]);
        if (parts[1] != NULL && t->defined[col(t, parts[1])]) { /* no error bars where none is known */
            g_string_append(gp, ")):(column(");
            hnb_gp_quote(gp, parts[1]);
            g_string_append(gp, ")) with yerrorlines");
        } else {
            g_string_append(gp, ")) with linespoints");
        }
        /* the right axis's curves dashed, and said so in the key, so no curve is read against the wrong axis */
        g_string_append(gp, y2 ? " axes x1y2 dashtype 2" : "");
        g_string_append(gp, " linewidth 1.5 pointtype 7 title ");
        g_autofree char *title = g_strconcat(parts[0], y2 ? " (right axis)" : "", NULL);
        hnb_gp_quote(gp, title);
        drawn++;
    }
    return drawn;
}

static char *script(const HnbStamp *stamp, const char *data, const HnbSeries *table, const HnbTableFigure *fig,
                    GError **error)
{
    Table t = {0};
    if (!table_init(&t, table, data, fig, error)) {
        g_free(t.defined);
        return NULL;
    }
    g_autoptr(GString) gp = g_string_new(NULL);
    g_autoptr(GString) plot = g_string_new(NULL);
    guint n1 = append_columns(plot, &t, data, fig, fig->columns, FALSE, 0, error);
    guint n2 = n1 == G_MAXUINT ? n1 : append_columns(plot, &t, data, fig, fig->y2columns, TRUE, n1, error);
    g_free(t.defined);
    if (n2 == G_MAXUINT)
        return NULL;
    g_autofree char *what = g_strconcat("../", data, NULL);
    g_autofree char *shows = g_strdup_printf("Over %u replications", stamp->replications);
    hnb_gp_head(gp, stamp, fig->name, what, fig->title, shows, fig->xlabel != NULL ? fig->xlabel : fig->x,
                fig->ylabel);
    /* discrete parameter values: a little room so the end points are not drawn on the frame */
    g_string_append(gp, "set offsets graph 0.03, graph 0.03, 0, 0\nset yrange [0:*]\n");
    if (n2 > n1)
        g_string_append(gp, "set ytics nomirror\nset y2tics\nset y2range [0:*]\n");
    if (fig->y2columns != NULL && n2 > n1) {
        g_string_append(gp, "set y2label ");
        hnb_gp_quote(gp, fig->y2label);
        g_string_append_c(gp, '\n');
    }
    if (n2 == 0)
        g_string_append(gp, "set xrange [0:1]\nset yrange [0:1]\nunset xtics\nunset ytics\nunset grid\n"
                            "set label 2 'no data' at graph 0.5, graph 0.5 center\n");
    hnb_gp_begin_png(gp, fig->name);
    g_string_append(gp, n2 == 0 ? "plot NaN notitle" : plot->str);
    g_string_append_c(gp, '\n');
    hnb_gp_end_svg(gp, fig->name);
    return g_string_free(g_steal_pointer(&gp), FALSE);
}

gboolean hnb_results_write_table_figures(HnbRunDir *rd, const HnbStamp *stamp, const char *data,
                                         const HnbSeries *table, const HnbTableFigure *figs, guint nfigs,
                                         gboolean *rendered, GError **error)
{
    g_return_val_if_fail(rd != NULL && stamp != NULL && data != NULL && table != NULL && rendered != NULL, FALSE);
    *rendered = FALSE;
    const char **names = g_new(const char *, nfigs > 0 ? nfigs : 1);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < nfigs; i++) {
        names[i] = figs[i].name;
        g_autofree char *text = script(stamp, data, table, &figs[i], error);
        g_autofree char *rel = g_strdup_printf("figures/%s.gp", figs[i].name);
        ok = text != NULL && hnb_rundir_write(rd, rel, text, -1, error);
    }
    ok = ok && hnb_gp_render(rd, names, nfigs, rendered, error);
    g_free(names);
    return ok;
}
