/* results/gnuplot.c — the parts every figure script shares.  See figures.c for why the output is deterministic
 * (gnuplot runs with --default-settings; the svg and pngcairo terminals write no dates or random ids). */
#include "results/gnuplot.h"
#include "sim/time.h"

#include <string.h>
#include <sys/wait.h>

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

void hnb_gp_head(GString *gp, const HnbStamp *stamp, const char *name, const char *data, const char *title,
                 const char *xlabel, const char *ylabel)
{
    g_autofree char *footer = g_strdup_printf("scenario %s · seed %" G_GUINT64_FORMAT " · hnbsim %s",
                                              stamp->scenario != NULL ? stamp->scenario : "", stamp->seed,
                                              stamp->version != NULL ? stamp->version : "");
    g_string_append_printf(gp, "# %s.gp — written by hnbsim; run from this directory: gnuplot %s.gp\n", name, name);
    g_string_append_printf(gp, "# Draws %s; renders %s.png and %s.svg.\n\n", data, name, name);
    g_string_append(gp, "set encoding utf8\n"
                        "set datafile separator comma\n"
                        "set datafile columnheaders\n"
                        "set title ");
    hnb_gp_quote(gp, title);
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
    g_string_append_printf(gp, "\nset terminal pngcairo size 1200,700 noenhanced font ',11'\n"
                               "set output '%s.png'\n", name);
}

void hnb_gp_end_svg(GString *gp, const char *name)
{
    g_string_append_printf(gp, "\nset terminal svg size 1200,700 noenhanced font ',11'\n"
                               "set output '%s.svg'\n"
                               "replot\n"
                               "set output\n", name);
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
