/* results/html_table.c — the report's results tables, rounded for reading (html.h).  The CSV next to the report
 * keeps every digit; this is only what a reader sees.
 *
 * Three passes over the parsed CSV: pair the mean and half-width columns into display columns, transpose a table
 * that is far wider than long, then cut the value columns into balanced chunks, each drawn as its own table with
 * the label columns repeated.
 */
#include "results/csv.h"
#include "results/format.h"
#include "results/html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* value columns per table: with a metric and a unit column, six "3,000 ± 400" cells still fit a 1100 px page */
#define MAX_VALUE_COLUMNS 6

void hnb_html_escape(GString *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        default: g_string_append_c(out, *s);
        }
    }
}

/* A cell as read, or NAN with *ok FALSE when it is not a number ("inf" and "nan" are numbers). */
static double number(const char *s, gboolean *ok)
{
    char *end = NULL;
    double v = *s ? g_ascii_strtod(s, &end) : NAN;
    *ok = *s != '\0' && end != NULL && *end == '\0';
    return *ok ? v : NAN;
}

/* The prefix of a "mean" column ("single mean" -> "single", "wait_mean" -> "wait", "mean" -> ""), or NULL. */
static char *mean_prefix(const char *name)
{
    if (strcmp(name, "mean") == 0)
        return g_strdup("");
    if (g_str_has_suffix(name, " mean") || g_str_has_suffix(name, "_mean"))
        return g_strndup(name, strlen(name) - 5);
    return NULL;
}

char *hnb_html_mean_pair(char **head, guint j)
{
    g_autofree char *prefix = mean_prefix(head[j]);
    const char *half = head[j + 1];
    if (prefix == NULL || half == NULL)
        return NULL;
    if (*prefix == '\0')
        return strcmp(half, "ci95_half") == 0 ? g_steal_pointer(&prefix) : NULL;
    size_t n = strlen(prefix);
    gboolean ok = strncmp(half, prefix, n) == 0 && (half[n] == ' ' || half[n] == '_') &&
                  strcmp(half + n + 1, "ci95_half") == 0;
    return ok ? g_steal_pointer(&prefix) : NULL;
}

/* One display column: its heading and, per data row, its text. */
typedef struct {
    char *head;
    GPtrArray *cells; /* of char *, one per data row */
    gboolean value;   /* holds numbers (right-aligned, chunked); FALSE: a label column */
} Column;

static void column_free(gpointer p)
{
    Column *c = p;
    g_free(c->head);
    g_ptr_array_unref(c->cells);
    g_free(c);
}

static Column *column_new(const char *head, gboolean value)
{
    Column *c = g_new0(Column, 1);
    c->head = g_strdup(head);
    c->cells = g_ptr_array_new_with_free_func(g_free);
    c->value = value;
    return c;
}

static const char *cell(char **row, guint j)
{
    for (guint k = 0; k < j; k++)
        if (row[k] == NULL)
            return "";
    return row[j] != NULL ? row[j] : "";
}

/* Pass 1: the CSV's columns as display columns, mean/half pairs joined. */
static GPtrArray *display_columns(GPtrArray *rows)
{
    GPtrArray *cols = g_ptr_array_new_with_free_func(column_free);
    char **head = rows->pdata[0];
    guint n = g_strv_length(head);
    for (guint j = 0; j < n; j++) {
        g_autofree char *prefix = j + 1 < n ? hnb_html_mean_pair(head, j) : NULL;
        if (prefix != NULL) {
            Column *c = column_new(*prefix ? prefix : "mean \u00b1 95% CI", TRUE);
            for (guint r = 1; r < rows->len; r++) {
                gboolean ok1, ok2;
                double m = number(cell(rows->pdata[r], j), &ok1), h = number(cell(rows->pdata[r], j + 1), &ok2);
                g_ptr_array_add(c->cells, ok1 ? hnb_format_mean_ci(m, ok2 ? h : NAN) : g_strdup(HNB_FORMAT_UNDEFINED));
            }
            g_ptr_array_add(cols, c);
            j++;
            continue;
        }
        /* a column is numeric when every non-empty cell is; then each gets four significant digits */
        gboolean numeric = TRUE;
        for (guint r = 1; r < rows->len && numeric; r++) {
            const char *s = cell(rows->pdata[r], j);
            gboolean ok;
            number(s, &ok);
            numeric = *s == '\0' || ok;
        }
        Column *c = column_new(head[j], numeric && j > 0);
        for (guint r = 1; r < rows->len; r++) {
            const char *s = cell(rows->pdata[r], j);
            gboolean ok;
            double v = number(s, &ok);
            g_ptr_array_add(c->cells, ok && numeric ? hnb_format_sig(v, 4) : g_strdup(s));
        }
        g_ptr_array_add(cols, c);
    }
    return cols;
}

/* Pass 2: rows become columns; the first column of the result names what each row was. */
static GPtrArray *transpose(GPtrArray *cols)
{
    GPtrArray *t = g_ptr_array_new_with_free_func(column_free);
    Column *label = column_new("", FALSE);
    Column *first = cols->pdata[0];
    for (guint j = 1; j < cols->len; j++)
        g_ptr_array_add(label->cells, g_strdup(((Column *)cols->pdata[j])->head));
    g_ptr_array_add(t, label);
    for (guint r = 0; r < first->cells->len; r++) {
        Column *c = column_new(first->cells->pdata[r], TRUE);
        for (guint j = 1; j < cols->len; j++)
            g_ptr_array_add(c->cells, g_strdup(((Column *)cols->pdata[j])->cells->pdata[r]));
        g_ptr_array_add(t, c);
    }
    return t;
}

static void table(GString *out, GPtrArray *cols, guint nlabels, guint from, guint to)
{
    Column *c0 = cols->pdata[0];
    g_string_append(out, "<table class=\"results\">\n<tr>");
    for (guint j = 0; j < cols->len; j++) {
        if (j >= nlabels && (j < from || j >= to))
            continue;
        g_string_append(out, "<th>");
        hnb_html_escape(out, ((Column *)cols->pdata[j])->head);
        g_string_append(out, "</th>");
    }
    g_string_append(out, "</tr>\n");
    for (guint r = 0; r < c0->cells->len; r++) {
        g_string_append(out, "<tr>");
        for (guint j = 0; j < cols->len; j++) {
            if (j >= nlabels && (j < from || j >= to))
                continue;
            Column *c = cols->pdata[j];
            g_string_append(out, c->value ? "<td class=\"num\">" : "<td>");
            hnb_html_escape(out, c->cells->pdata[r]);
            g_string_append(out, "</td>");
        }
        g_string_append(out, "</tr>\n");
    }
    g_string_append(out, "</table>\n");
}

void hnb_html_results_table(GString *out, const char *csv)
{
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    HnbCsv reader;
    hnb_csv_init(&reader, csv);
    for (char **row; (row = hnb_csv_next(&reader, NULL)) != NULL;)
        if (!(row[0] != NULL && row[0][0] == '\0' && row[1] == NULL)) /* the empty record after the last line */
            g_ptr_array_add(rows, row);
        else
            g_strfreev(row);
    if (rows->len == 0)
        return;
    g_autoptr(GPtrArray) cols = display_columns(rows);
    if (cols->len > 2 * MAX_VALUE_COLUMNS && cols->len > 2 * rows->len) {
        GPtrArray *t = transpose(cols);
        g_ptr_array_unref(cols);
        cols = t;
    }
    /* the label columns: those before the first value column */
    guint nlabels = 0;
    while (nlabels < cols->len && !((Column *)cols->pdata[nlabels])->value)
        nlabels++;
    guint nvalues = cols->len - nlabels;
    guint chunks = (nvalues + MAX_VALUE_COLUMNS - 1) / MAX_VALUE_COLUMNS;
    guint per = chunks > 0 ? (nvalues + chunks - 1) / chunks : 0;
    if (chunks == 0)
        table(out, cols, nlabels, nlabels, nlabels);
    for (guint k = 0; k < chunks; k++)
        table(out, cols, nlabels, nlabels + k * per, MIN(cols->len, nlabels + (k + 1) * per));
}
