/* results/html.h — the pieces of report.html built outside report.c: HTML escaping, the results tables and the
 * findings paragraph.  Private to results/. */
#ifndef HNB_HTML_H
#define HNB_HTML_H

#include <glib.h>

/* Append s with &, <, > and " escaped (NULL appends nothing). */
void hnb_html_escape(GString *out, const char *s);

/* A results file (summary.csv, compare.csv, aggregate.csv) as HTML tables for reading: each "X mean"/"X ci95_half"
 * (or "X_mean"/"X_ci95_half", or "mean"/"ci95_half") pair of columns becomes one column "X" of "mean ± half"
 * rounded as results/format.h says, other numbers get four significant digits, text stays as it is.  A table with
 * many more columns than rows (a sweep's aggregate: one column pair per metric) is shown transposed, and one with
 * more than six value columns is split into several tables that repeat the leading (label) columns, so every table
 * fits the page. */
void hnb_html_results_table(GString *out, const char *csv);

#endif
