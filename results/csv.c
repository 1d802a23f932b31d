/* results/csv.c — the one CSV reader (see csv.h).  A record ends at an unquoted line break or the end of the text;
 * the cursor counts every line break it passes, quoted ones too, so callers can name a record's line. */
#include "results/csv.h"

void hnb_csv_init(HnbCsv *csv, const char *text)
{
    g_return_if_fail(csv != NULL && text != NULL);
    csv->p = text;
    csv->line = 1;
}

/* One field from s (its first character): append it to fields and return the character that ended it (',', '\n'
 * or '\0', left unconsumed); *s moves to that character. */
static char field(HnbCsv *csv, const char **s, GPtrArray *fields)
{
    GString *f = g_string_new(NULL);
    const char *p = *s;
    if (*p == '"') {
        for (p++; *p != '\0'; p++) {
            if (*p == '"' && p[1] == '"')
                g_string_append_c(f, *p++);
            else if (*p == '"')
                break;
            else {
                csv->line += *p == '\n';
                g_string_append_c(f, *p);
            }
        }
        if (*p == '"')
            p++;
    }
    for (; *p != '\0' && *p != ',' && *p != '\n'; p++)
        if (*p != '\r' || (p[1] != '\n' && p[1] != '\0'))
            g_string_append_c(f, *p);
    g_ptr_array_add(fields, g_string_free(f, FALSE));
    *s = p;
    return *p;
}

char **hnb_csv_next(HnbCsv *csv, guint *line)
{
    g_return_val_if_fail(csv != NULL, NULL);
    if (*csv->p == '\0')
        return NULL;
    if (line != NULL)
        *line = csv->line;
    GPtrArray *fields = g_ptr_array_new();
    const char *s = csv->p;
    char end;
    while ((end = field(csv, &s, fields)) == ',')
        s++;
    if (end == '\n') {
        s++;
        csv->line++;
    }
    csv->p = s;
    g_ptr_array_add(fields, NULL);
    return (char **)g_ptr_array_free(fields, FALSE);
}
