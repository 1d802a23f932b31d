/* results/gnuplot.c — the parts every figure script shares.  See figures.c for why the output is deterministic
 * (gnuplot runs with --default-settings; the svg and pngcairo terminals write no dates or random ids). */
#include "results/gnuplot.h"
#include "results/format.h"
#include "sim/time.h"

#include <string.h>
#include <sys/wait.h>

/* Large enough to read where report.html shows a figure (the page's full width, about 1100 pixels) and in a
 * document it is pasted into: 14-point text on 1280 x 800. */
#define HNB_GP_SIZE "1280,800"
#define HNB_GP_FONT "',14'"
/* a zoomed figure: two panels, each about as tall as a plain figure's plot area */
#define HNB_GP_SIZE_ZOOM "1280,1300"

void hnb_gp_quote(GString *out, const char *s)
{
    g_string_append_c(out, '\'');
    for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) {
        if (*p == '\'')
            g_string_append(out, "''");
        else if (*p == '\n' || *p == '\r')
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '\'');
}

/* A gnuplot double-quoted string of several lines: backslash and quote escaped, lines joined by \n. */
static void quote_lines(GString *out, GPtrArray *lines)
{
    g_string_append_c(out, '"');
    for (guint k = 0; k < lines->len; k++) {
        if (k > 0)
            g_string_append(out, "\\n");
        for (const char *p = lines->pdata[k]; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                g_string_append_c(out, '\\');
            g_string_append_c(out, *p == '\n' || *p == '\r' ? ' ' : *p);
        }
    }
    g_string_append_c(out, '"');
}

/* text cut into lines of at most `width` characters (UTF-8 counted as characters) at ", " or " " boundaries */
static void wrap(GPtrArray *lines, const char *text, glong width)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    GString *line = g_string_new(NULL);
    for (char **w = words; *w != NULL; w++) {
        if (line->len > 0 && g_utf8_strlen(line->str, -1) + 1 + g_utf8_strlen(*w, -1) > width) {
            g_ptr_array_add(lines, g_string_free(line, FALSE));
            line = g_string_new(NULL);
        }
        if (line->len > 0)
            g_string_append_c(line, ' ');
        g_string_append(line, *w);
    }
    g_ptr_array_add(lines, g_string_free(line, FALSE));
}

char *hnb_gp_caption(const HnbStamp *stamp, const char *shows)
{
    GString *c = g_string_new(shows != NULL ? shows : "");
    if (stamp->caption != NULL && *stamp->caption != '\0')
        g_string_append_printf(c, "%s%s", c->len > 0 ? "; " : "", stamp->caption);
    else if (c->len == 0)
        g_string_append_printf(c, "%u replications", stamp->replications);
    return g_string_free(c, FALSE);
}

void hnb_gp_head(GString *gp, const HnbStamp *stamp, const char *name, const char *data, const char *title,
                 const char *shows, const char *xlabel, const char *ylabel)
{
    g_autofree char *caption = hnb_gp_caption(stamp, shows);
    g_autofree char *footer = g_strdup_printf("scenario %s · seed %" G_GUINT64_FORMAT " · hnbsim %s",
                                              stamp->scenario != NULL ? stamp->scenario : "", stamp->seed,
                                              stamp->version != NULL ? stamp->version : "");
    g_string_append_printf(gp, "# %s.gp — written by hnbsim; run from this directory: gnuplot %s.gp\n", name, name);
    g_string_append_printf(gp, "# Draws %s; renders %s.png and %s.svg.\n", data, name, name);
    /* one line report.html reads back as the figure's caption (results/report.c) */
    g_autofree char *one_line = g_strdup_printf("%s. %s.", title, caption);
    g_strdelimit(one_line, "\r\n", ' ');
    g_string_append_printf(gp, "# Caption: %s\n\n", one_line);
    /* the caption under the title, in the picture itself: a figure cut out of the report still says what it
     * shows; 100 characters fit the 1280-pixel width at the terminal's font beside the key */
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(lines, g_strdup(title));
    wrap(lines, caption, 100);
    g_string_append(gp, "set encoding utf8\n"
                        "set datafile separator comma\n"
                        "set datafile columnheaders\n"
                        "TITLE = ");
    quote_lines(gp, lines);
    g_string_append(gp, "\nset title TITLE");
    g_string_append(gp, "\nset xlabel ");
    hnb_gp_quote(gp, xlabel);
    g_string_append(gp, "\nset ylabel ");
    hnb_gp_quote(gp, ylabel);
    g_string_append(gp, "\nset grid\n"
                        "set key outside right top\n"
                        "set autoscale xfix\n"
                        "set bmargin 5\n"
                        "set label 1 ");
    hnb_gp_quote(gp, footer);
    g_string_append(gp, " at screen 0.01, screen 0.02 left\n");
}

void hnb_gp_begin_png(GString *gp, const char *name)
{
    g_string_append_printf(gp, "\nset terminal pngcairo size " HNB_GP_SIZE " noenhanced font " HNB_GP_FONT "\n"
                               "set output '%s.png'\n", name);
}

void hnb_gp_end_svg(GString *gp, const char *name)
{
    g_string_append_printf(gp, "\nset terminal svg size " HNB_GP_SIZE " noenhanced font " HNB_GP_FONT "\n"
                               "set output '%s.svg'\n"
                               "replot\n"
                               "set output\n", name);
}

char *hnb_gp_zoom_text(const HnbZoom *zoom)
{
    g_autofree char *from = hnb_format_sig(zoom->from, 3), *to = hnb_format_sig(zoom->to, 3);
    return g_strdup_printf("lower panel: zoom on %s to %s %s, %s", from, to, zoom->unit ? zoom->unit : "", zoom->why);
}

/* The marks as numbered arrows (100 + k, clear of anything a figure sets) with a label at their top. */
static void marks(GString *gp, const HnbZoom *zoom)
{
    for (guint k = 0; zoom != NULL && k < zoom->nmarks; k++) {
        char at[32];
        hnb_results_fmt(zoom->marks[k].at, at);
        g_string_append_printf(gp, "set arrow %u from first %s, graph 0 to first %s, graph 1 nohead dt 2 lw 1.5 "
                                   "lc rgb '#707070' front\nset label %u ",
                               100 + k, at, at, 100 + k);
        hnb_gp_quote(gp, zoom->marks[k].label);
        g_string_append_printf(gp, " at first %s, graph 0.98 rotate by 90 right offset -0.6,0 font ',11' "
                                   "tc rgb '#505050' front\n",
                               at);
    }
}

void hnb_gp_draw(GString *gp, const char *name, const char *plot, const HnbZoom *zoom)
{
    static const char *const term[] = {"pngcairo", "svg"}, *const ext[] = {"png", "svg"};
    char from[32], to[32];
    marks(gp, zoom);
    if (zoom != NULL && !zoom->panel)
        zoom = NULL; /* the marks alone */
    if (zoom != NULL) {
        /* the panel's heading says where it is; why it is there is the caption's business (it is long) */
        g_autofree char *a = hnb_format_sig(zoom->from, 3), *b = hnb_format_sig(zoom->to, 3);
        g_autofree char *text = g_strdup_printf("Zoom on %s to %s %s (shaded above)", a, b, zoom->unit ? zoom->unit : "");
        g_string_append(gp, "\nZOOM = ");
        hnb_gp_quote(gp, text);
        g_string_append_c(gp, '\n');
        hnb_results_fmt(zoom->from, from);
        hnb_results_fmt(zoom->to, to);
    }
    for (int t = 0; t < 2; t++) {
        g_string_append_printf(gp, "\nset terminal %s size %s noenhanced font %s\nset output '%s.%s'\n", term[t],
                               zoom != NULL ? HNB_GP_SIZE_ZOOM : HNB_GP_SIZE, HNB_GP_FONT, name, ext[t]);
        if (zoom == NULL) {
            g_string_append(gp, plot);
            continue;
        }
        /* the title and caption head the whole picture; the lower panel is headed by what it zooms on */
        g_string_append(gp, "set multiplot layout 2,1 title TITLE\nunset title\n");
        g_string_append_printf(gp, "set object 1 rectangle from first %s, graph 0 to first %s, graph 1 behind "
                                   "fillcolor rgb '#e4e4e4' fillstyle solid noborder\n", from, to);
        g_string_append(gp, plot);
        g_string_append_printf(gp, "unset object 1\nset xrange [%s:%s]\nset title ZOOM\n", from, to);
        g_string_append(gp, plot);
        g_string_append(gp, "unset multiplot\nset title TITLE\nset autoscale xfix\n");
    }
    g_string_append(gp, "set output\n");
}

void hnb_gp_band_fill(GString *plot, const char *file, const char *x, const char *mean, const char *half, guint lc)
{
    hnb_gp_quote(plot, file);
    g_string_append_printf(plot, " using (%s):(column(", x);
    hnb_gp_quote(plot, mean);
    g_string_append(plot, ") - column(");
    hnb_gp_quote(plot, half);
    g_string_append(plot, ")):(column(");
    hnb_gp_quote(plot, mean);
    g_string_append(plot, ") + column(");
    hnb_gp_quote(plot, half);
    /* light enough that a crossing line of another colour still reads through it */
    g_string_append_printf(plot, ")) with filledcurves fillstyle transparent solid 0.2 noborder linecolor %u notitle",
                           lc);
}

void hnb_gp_band_line(GString *plot, const char *file, const char *x, const char *mean, guint lc, const char *title)
{
    hnb_gp_quote(plot, file);
    g_string_append_printf(plot, " using (%s):(column(", x);
    hnb_gp_quote(plot, mean);
    g_string_append_printf(plot, ")) with lines linewidth 2 linecolor %u title ", lc);
    hnb_gp_quote(plot, title);
}

char *hnb_gp_band_text(const char *replications)
{
    return g_strdup_printf("mean of %s, band: 95%% CI (values held from each replication's last sample)",
                           replications);
}

static gboolean render(const char *gnuplot, const char *figdir, const char *name, GError **error)
{
    g_autofree char *script = g_strconcat(name, ".gp", NULL);
    const char *argv[] = {gnuplot, "--default-settings", script, NULL};
    g_autofree char *err_text = NULL;
    int status = 0;
    GError *local = NULL;

    if (!g_spawn_sync(figdir, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_text, &status,
                      &local)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figures/%s: cannot run %s: %s", script, gnuplot,
                    local->message);
        g_error_free(local);
        return FALSE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_strstrip(err_text);
        if (WIFEXITED(status))
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figures/%s: gnuplot exited with status %d: %s", script,
                        WEXITSTATUS(status), err_text);
        else
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "figures/%s: gnuplot killed by signal %d: %s", script,
                        WIFSIGNALED(status) ? WTERMSIG(status) : 0, err_text);
        return FALSE;
    }
    return TRUE;
}

gboolean hnb_gp_render(HnbRunDir *rd, const char *const *names, guint n, gboolean *rendered, GError **error)
{
    *rendered = FALSE;
    if (n == 0)
        return TRUE;
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    if (gnuplot == NULL)
        return TRUE; /* scripts written; *rendered stays FALSE */
    g_autofree char *figdir = g_build_filename(hnb_rundir_tmp_path(rd), "figures", NULL);
    for (guint i = 0; i < n; i++)
        if (!render(gnuplot, figdir, names[i], error))
            return FALSE;
    *rendered = TRUE;
    return TRUE;
}
