/* results/report.c — report.html: one self-contained page per run, comparison or sweep, for a delegate to attach to
 * a contribution or an operator to file.
 *
 * Built from what the result directory already holds, so it shows exactly the files next to it: the reproducibility
 * stamp (version, scenario, seed, replications, SHA-256 of scenario.resolved.ini), the results table (summary.csv,
 * compare.csv or aggregate.csv, whichever the run wrote), the TS 33.320 clause 8.3.4 compliance lines the caller
 * passes, every SVG in figures/ inline as a data: URI (no network, no file beside it needed, and the figures' own ids
 * cannot clash), and every parameter of the resolved scenario.  Deterministic like the other files: no wall time, no
 * host (those stay in manifest.json).  A few lines of script mark the body with how many figures rendered, which the
 * browser test reads.
 */
#include "results/html.h"
#include "results/results.h"

#include <string.h>

/* One row per "PASS"/"FAIL"/"WARN" line; a line ending in ':' heads the rows after it (a model's own section, such as
 * the fleet's paths: hnb_model_compliance); other lines (the profile's summary) are left out. */
static void compliance_table(GString *out, const char *lines)
{
    g_auto(GStrv) v = g_strsplit(lines, "\n", -1);
    g_string_append(out, "<table class=\"compliance\">\n");
    for (char **l = v; *l; l++) {
        const char *verdict = NULL;
        for (const char *const *w = (const char *const[]){"PASS", "FAIL", "WARN", NULL}; *w; w++)
            if (g_str_has_prefix(*l, *w))
                verdict = *w;
        if (!verdict && g_str_has_suffix(*l, ":")) {
            g_string_append(out, "<tr><th colspan=\"2\">");
            hnb_html_escape(out, *l);
            g_string_append(out, "</th></tr>\n");
        }
        if (!verdict)
            continue;
        g_string_append_printf(out, "<tr><td class=\"%s\">%s</td><td>", verdict, verdict);
        hnb_html_escape(out, g_strstrip(*l + strlen(verdict)));
        g_string_append(out, "</td></tr>\n");
    }
    g_string_append(out, "</table>\n");
}

static void params_table(GString *out, const char *ini)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, ini, (gsize)-1, G_KEY_FILE_NONE, NULL))
        return;
    g_string_append(out, "<table class=\"params\">\n<tr><th>group</th><th>key</th><th>value</th></tr>\n");
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            g_autofree char *v = g_key_file_get_value(kf, *g, *k, NULL);
            g_string_append(out, "<tr><td>");
            hnb_html_escape(out, *g);
            g_string_append(out, "</td><td>");
            hnb_html_escape(out, *k);
            g_string_append(out, "</td><td>");
            hnb_html_escape(out, v);
            g_string_append(out, "</td></tr>\n");
        }
    }
    g_string_append(out, "</table>\n");
}

static int by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The caption the figure's script carries ("# Caption: ..." from hnb_gp_head), or NULL. */
static char *caption_of(const char *figdir, const char *stem)
{
    g_autofree char *gp_name = g_strconcat(stem, ".gp", NULL);
    g_autofree char *path = g_build_filename(figdir, gp_name, NULL);
    g_autofree char *script = NULL;
    if (!g_file_get_contents(path, &script, NULL, NULL))
        return NULL;
    static const char tag[] = "\n# Caption: ";
    const char *at = strstr(script, tag);
    if (at == NULL)
        return NULL;
    at += strlen(tag);
    return g_strndup(at, strcspn(at, "\n"));
}

/* the SVGs in figures/, in name order (directory order is the file system's, not ours) */
static guint figures(GString *out, const char *dir)
{
    g_autofree char *fig = g_build_filename(dir, "figures", NULL);
    g_autoptr(GDir) d = g_dir_open(fig, 0, NULL);
    if (!d)
        return 0;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d)) != NULL;)
        if (g_str_has_suffix(n, ".svg"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, by_name);
    guint shown = 0;
    for (guint k = 0; k < names->len; k++) {
        g_autofree char *path = g_build_filename(fig, names->pdata[k], NULL);
        g_autofree char *svg = NULL;
        gsize len;
        if (!g_file_get_contents(path, &svg, &len, NULL))
            continue;
        g_autofree char *b64 = g_base64_encode((const guchar *)svg, len);
        g_autofree char *stem = g_strndup(names->pdata[k], strlen(names->pdata[k]) - 4);
        g_autofree char *caption = caption_of(fig, stem);
        g_string_append(out, "<figure><img alt=\"");
        hnb_html_escape(out, stem);
        g_string_append_printf(out, "\" src=\"data:image/svg+xml;base64,%s\"><figcaption><b>", b64);
        hnb_html_escape(out, stem);
        g_string_append(out, "</b>");
        if (caption != NULL) {
            g_string_append(out, ": ");
            hnb_html_escape(out, caption);
        }
        g_string_append(out, "</figcaption></figure>\n");
        shown++;
    }
    return shown;
}

/* The findings paragraph, from the results table the report shows below it. */
static void findings_section(GString *h, const HnbStamp *stamp, const char *table, const char *csv, const HnbFinding *f,
                     guint n)
{
    GString *list = g_string_new(NULL);
    if (csv != NULL && hnb_html_findings(list, csv, stamp->scenario, f, n)) {
        g_string_append(h, "<h2>Findings</h2>\n<div id=\"findings\">\n");
        if (stamp->caption != NULL) {
            g_string_append(h, "<p>Assumptions: ");
            hnb_html_escape(h, stamp->caption);
            g_string_append(h, ".</p>\n");
        }
        g_string_append(h, list->str);
        g_string_append_printf(h, "<p class=\"note\">Written by hnbsim from %s (the results table below): means over "
                                  "replications with their 95%% confidence half-widths, rounded as the table is.</p>"
                                  "\n</div>\n", table);
    }
    g_string_free(list, TRUE);
}

gboolean hnb_results_write_report(HnbRunDir *rd, const HnbStamp *stamp, const char *compliance,
                                  const HnbFinding *findings, guint nfindings, GError **error)
{
    const char *dir = hnb_rundir_tmp_path(rd);
    g_autofree char *resolved_path = g_build_filename(dir, "scenario.resolved.ini", NULL);
    g_autofree char *resolved = NULL;
    g_file_get_contents(resolved_path, &resolved, NULL, NULL); /* absent: no parameters and no hash to show */
    g_autofree char *hash = resolved ? g_compute_checksum_for_string(G_CHECKSUM_SHA256, resolved, -1) : NULL;

    GString *h = g_string_new("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>hnbsim: ");
    hnb_html_escape(h, stamp->scenario);
    g_string_append(h, "</title>\n<style>\n"
                       "body{font-family:sans-serif;margin:2em;max-width:1100px}\n"
                       "table{border-collapse:collapse;margin:1em 0;font-size:90%;max-width:100%}\n"
                       "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}\n"
                       "table.results td.num{text-align:right;white-space:nowrap}\n"
                       "table.params td{overflow-wrap:anywhere}\n"
                       "p.note{font-size:90%;color:#444}\n"
                       "th{background:#eee}\n"
                       "td.PASS{color:#060}td.FAIL{color:#a00;font-weight:bold}td.WARN{color:#a60}\n"
                       "figure{display:block;margin:1.5em 0}figure img{width:100%;height:auto}\n"
                       "figcaption{font-size:90%;color:#333;margin-top:0.3em}\n"
                       "dt{font-weight:bold}\n"
                       "#findings li{margin:0.3em 0}\n"
                       "</style></head>\n<body>\n<h1>");
    hnb_html_escape(h, stamp->scenario);
    g_string_append(h, "</h1>\n");
    /* the results table: the first of these the run wrote */
    static const char *const tables[] = {"summary.csv", "compare.csv", "aggregate.csv"};
    const char *table = NULL;
    g_autofree char *csv = NULL;
    for (size_t k = 0; k < G_N_ELEMENTS(tables) && csv == NULL; k++) {
        g_autofree char *path = g_build_filename(dir, tables[k], NULL);
        if (g_file_get_contents(path, &csv, NULL, NULL))
            table = tables[k];
    }
    findings_section(h, stamp, table, csv, findings, nfindings);
    g_string_append(h, "<h2>Reproducibility</h2>\n<dl>\n<dt>hnbsim</dt><dd>");
    hnb_html_escape(h, stamp->version);
    g_string_append_printf(h, "</dd>\n<dt>seed</dt><dd>%" G_GUINT64_FORMAT "</dd>\n<dt>replications</dt><dd>%u</dd>\n",
                           stamp->seed, stamp->replications);
    if (hash)
        g_string_append_printf(h, "<dt>SHA-256 of scenario.resolved.ini</dt><dd><code>%s</code></dd>\n", hash);
    g_string_append(h, "</dl>\n<p>Rerun: <code>hnbsim run scenario.resolved.ini</code> in this directory.</p>\n");

    g_string_append(h, "<h2>Figures</h2>\n<div id=\"figures\">\n");
    if (figures(h, dir) == 0)
        g_string_append(h, "<p>No figures (gnuplot was not installed when this ran).</p>\n");
    g_string_append(h, "</div>\n");
    if (csv != NULL) {
        g_string_append_printf(h, "<h2>Results (%s)</h2>\n<p class=\"note\">Means over replications with their 95%% "
                                  "confidence half-widths, rounded to what the interval supports (the Particle Data "
                                  "Group's rule: results/README.md); one replication: four significant digits. %s "
                                  "keeps every digit.</p>\n", table, table);
        hnb_html_results_table(h, csv);
    }
    if (compliance && *compliance) {
        /* a model's own lines come under a heading line (hnb_model_compliance), the [tls] group's under none */
        g_string_append(h, strstr(compliance, ":\n") ? "<h2>TS 33.320 compliance: the [tls] group (clause 8.3.4) and "
                                                      "each path</h2>\n"
                                                    : "<h2>TS 33.320 clause 8.3.4 compliance of the [tls] group</h2>\n");
        compliance_table(h, compliance);
    }
    if (resolved) {
        g_string_append(h, "<h2>Parameters (scenario.resolved.ini)</h2>\n");
        params_table(h, resolved);
    }
    g_string_append(
        h,
        "<script>\n"
        "window.addEventListener('load', function () {\n"
        "  var ok = 0, imgs = document.querySelectorAll('#figures img');\n"
        "  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
        "  document.body.setAttribute('data-figures', imgs.length);\n"
        "  document.body.setAttribute('data-figures-rendered', ok);\n"
        "});\n"
        "</script>\n</body></html>\n");
    gboolean ok = hnb_rundir_write(rd, "report.html", h->str, (gssize)h->len, error);
    g_string_free(h, TRUE);
    return ok;
}
