/* results/csv.h — reading the CSV files hnbsim writes (points.csv of a shard, the results table of report.html).
 *
 * One reader for every file, consistent with the writer (hnb_results_csv_field): RFC 4180 records, a field quoted
 * when it holds a comma, quote or line break, a quote inside a quoted field doubled.  Lenient where RFC 4180 leaves
 * room: CR before LF is dropped, text after a closing quote is kept, a quote that does not open a field is an
 * ordinary character, and a quoted field left open runs to the end of the text. */
#ifndef HNB_CSV_H
#define HNB_CSV_H

#include <glib.h>

/* A cursor over CSV text; the text must outlive it. */
typedef struct {
    const char *p; /* the next record's first character */
    guint line;    /* the line it starts on (1-based) */
} HnbCsv;

void hnb_csv_init(HnbCsv *csv, const char *text);
/* The next record's fields (NULL-terminated; free with g_strfreev), *line (may be NULL) the line it started on; NULL
 * at the end of the text.  An empty line is a record of one empty field. */
char **hnb_csv_next(HnbCsv *csv, guint *line);

#endif
