/* results/html.h — the pieces of report.html built outside report.c: HTML escaping, the results tables and the
 * findings paragraph.  Private to results/. */
#ifndef HNB_HTML_H
#define HNB_HTML_H

#include "results/results.h"

/* Append s with &, <, > and " escaped (NULL appends nothing). */
void hnb_html_escape(GString *out, const char *s);

/* A results file (summary.csv, compare.csv, aggregate.csv) as HTML tables for reading: each "X mean"/"X ci95_half"
 * (or "X_mean"/"X_ci95_half", or "mean"/"ci95_half") pair of columns becomes one column "X" of "mean ± half"
 * rounded as results/format.h says, other numbers get four significant digits, text stays as it is.  A table with
 * many more columns than rows (a sweep's aggregate: one column pair per metric) is shown transposed, and one with
 * more than six value columns is split into several tables that repeat the leading (label) columns, so every table
 * fits the page. */
void hnb_html_results_table(GString *out, const char *csv);

/* The name of the variant whose mean column is head[j], when head[j] and head[j + 1] are a mean and its half-width
 * ("single mean", "single ci95_half" -> "single"; "x_mean", "x_ci95_half" -> "x"; "mean", "ci95_half" -> ""); NULL
 * when they are not.  Returns a new string. */
char *hnb_html_mean_pair(char **head, guint j);

/* The findings as a list, one item per variant (each mean/half-width column pair of csv, summary.csv or compare.csv;
 * `name` names summary.csv's single pair): its sentence composed from the clauses (HnbFinding, results.h), then the
 * notes (clauses without a metric).  FALSE, nothing appended, when no clause's metric is there. */
gboolean hnb_html_findings(GString *out, const char *csv, const char *name, const HnbFinding *findings, guint n);

#endif
