/* results/findings.c — the findings paragraph at the top of report.html: per variant, one sentence composed from
 * the model's clauses (HnbFinding, results.h) and the means and half-widths of the results file the report shows.
 *
 * The numbers are read back from summary.csv or compare.csv rather than from memory, so the paragraph and the table
 * below it cannot disagree, and they are rounded by the same rule (format.h).  Nothing here knows what a metric
 * means: a model that adds a metric adds a clause, and a clause whose metric a run lacks is left out.
 */
#include "results/csv.h"
#include "results/format.h"
#include "results/html.h"
#include "results/results.h"

#include <math.h>
#include <string.h>

static double number(const char *s)
{
    char *end = NULL;
    double v = s != NULL && *s ? g_ascii_strtod(s, &end) : NAN;
    return end != NULL && *end == '\0' ? v : NAN;
}

/* The value of one clause: "96 ± 10 HNBs", "0.3 ± 0.1%", "beyond the horizon"; NULL when there is nothing to say. */
static char *value_text(const HnbFinding *f, double mean, double half)
{
    if (isnan(mean))
        return NULL;
    if (isinf(mean))
        return g_strdup(mean > 0 ? "beyond the horizon" : "-inf");
    double scale = f->scale != 0 ? f->scale : 1;
    /* in prose "± 0" (every replication agreed) adds nothing */
    g_autofree char *v = isfinite(half) && half > 0 ? hnb_format_mean_ci(mean * scale, half * scale)
                                                    : hnb_format_sig(mean * scale, 4);
    if (f->unit == NULL || *f->unit == '\0')
        return g_steal_pointer(&v);
    return g_strconcat(v, strcmp(f->unit, "%") == 0 ? "" : " ", f->unit, NULL);
}

/* One variant's sentence from the metric rows (metric name -> CSV row) and its mean column j. */
static void sentence(GString *out, GHashTable *rows, guint j, const HnbFinding *f, guint n)
{
    GString *s = g_string_new(NULL);
    for (guint k = 0; k < n; k++) {
        if (f[k].metric == NULL) /* a note: under the list */
            continue;
        char **row = g_hash_table_lookup(rows, f[k].metric);
        if (row == NULL || g_strv_length(row) <= j + 1)
            continue;
        g_autofree char *v = value_text(&f[k], number(row[j]), number(row[j + 1]));
        if (v == NULL)
            continue;
        const char *text = f[k].text;
        if (s->len == 0) /* the first clause present: no joining punctuation */
            text += strspn(text, ",; ");
        const char *at = strstr(text, "{}");
        if (at == NULL) {
            g_string_append(s, text);
        } else {
            g_string_append_len(s, text, at - text);
            g_string_append(s, v);
            g_string_append(s, at + 2);
        }
    }
    if (s->len > 0) {
        hnb_html_escape(out, s->str);
        g_string_append_c(out, '.');
    }
    g_string_free(s, TRUE);
}

gboolean hnb_html_findings(GString *out, const char *csv, const char *name, const HnbFinding *findings, guint n)
{
    if (n == 0)
        return FALSE;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_autoptr(GHashTable) rows = g_hash_table_new(g_str_hash, g_str_equal);
    HnbCsv reader;
    hnb_csv_init(&reader, csv);
    for (char **row; (row = hnb_csv_next(&reader, NULL)) != NULL;) {
        g_ptr_array_add(all, row);
        if (all->len > 1 && row[0] != NULL && !g_hash_table_contains(rows, row[0]))
            g_hash_table_insert(rows, row[0], row);
    }
    if (all->len < 2)
        return FALSE;
    char **head = all->pdata[0];
    /* the variants: every mean/half-width column pair (summary.csv has one, unnamed: the run itself) */
    GString *items = g_string_new(NULL);
    for (guint j = 0; head[j] != NULL && head[j + 1] != NULL; j++) {
        g_autofree char *variant = hnb_html_mean_pair(head, j);
        if (variant == NULL)
            continue;
        GString *li = g_string_new(NULL);
        sentence(li, rows, j, findings, n);
        if (li->len > 0) {
            g_string_append(items, "<li><b>");
            hnb_html_escape(items, *variant ? variant : name);
            g_string_append(items, "</b>: ");
            g_string_append(items, li->str);
            g_string_append(items, "</li>\n");
        }
        g_string_free(li, TRUE);
        j++;
    }
    gboolean any = items->len > 0;
    if (any) {
        g_string_append_printf(out, "<ul class=\"findings\">\n%s</ul>\n", items->str);
        for (guint k = 0; k < n; k++)
            if (findings[k].metric == NULL) {
                g_string_append(out, "<p>");
                hnb_html_escape(out, findings[k].text);
                g_string_append(out, "</p>\n");
            }
    }
    g_string_free(items, TRUE);
    return any;
}
