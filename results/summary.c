/* results/summary.c — metrics and series containers, and the files built from them.
 *
 * summary.json, summary.csv and timeseries.csv must be byte-identical for the same (scenario, seed): numbers go
 * through hnb_results_fmt (fixed "%.10g", C locale), keys and rows come in the order the model reported them, and
 * nothing time- or host-dependent is written.  manifest.json is where such facts go.
 *
 * Summaries are over replications: for each metric, the mean of its R values, the Student-t 95% half-width (null
 * when R < 2), min and max.  A value that is NaN in any replication (a mean over an empty set, say) makes the mean,
 * half-width, min and max undefined too; the per-replication values show where it came from.
 */
#include "results/results.h"

#include <sys/resource.h>
#include "sim/time.h"
#include "sim/stats.h"

#include <math.h>
#include <string.h>

/* ---- metrics ---- */

static void metric_clear(gpointer p)
{
    HnbMetric *m = p;
    g_free(m->name);
    g_free(m->unit);
    g_free(m->doc);
}

HnbMetrics *hnb_metrics_new(void)
{
    HnbMetrics *m = g_new0(HnbMetrics, 1);
    m->items = g_array_new(FALSE, FALSE, sizeof(HnbMetric));
    g_array_set_clear_func(m->items, metric_clear);
    return m;
}

void hnb_metrics_free(HnbMetrics *m)
{
    if (m == NULL)
        return;
    g_array_unref(m->items);
    g_free(m);
}

void hnb_metrics_add(HnbMetrics *m, const char *name, const char *unit, double value, const char *doc)
{
    g_return_if_fail(m != NULL);
    g_return_if_fail(name != NULL && name[0] != '\0');
    HnbMetric item = {
        .name = g_strdup(name),
        .unit = g_strdup(unit != NULL ? unit : ""),
        .doc = g_strdup(doc != NULL ? doc : ""),
        .value = value,
    };
    g_array_append_val(m->items, item);
}

double hnb_metrics_value(const HnbMetrics *m, const char *name)
{
    g_return_val_if_fail(m != NULL && name != NULL, NAN);
    for (guint k = 0; k < m->items->len; k++)
        if (strcmp(g_array_index(m->items, HnbMetric, k).name, name) == 0)
            return g_array_index(m->items, HnbMetric, k).value;
    return NAN;
}

/* ---- series ---- */

/* Column names go into the CSV header unquoted and into gnuplot's column("name"), so keep them plain. */
static gboolean plain_name(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return FALSE;
    for (const char *p = s; *p != '\0'; p++)
        if (*p == ',' || *p == '"' || *p == '\'' || *p == '\\' || g_ascii_isspace(*p) || g_ascii_iscntrl(*p))
            return FALSE;
    return TRUE;
}

HnbSeries *hnb_series_new(guint ncols, const char *const *names, const char *const *units)
{
    g_return_val_if_fail(ncols >= 1, NULL);
    g_return_val_if_fail(names != NULL, NULL);
    for (guint i = 0; i < ncols; i++)
        g_return_val_if_fail(plain_name(names[i]), NULL);

    HnbSeries *s = g_new0(HnbSeries, 1);
    s->ncols = ncols;
    s->names = g_new0(char *, ncols + 1); /* NULL-terminated, so g_strfreev frees it */
    s->units = g_new0(char *, ncols + 1);
    for (guint i = 0; i < ncols; i++) {
        s->names[i] = g_strdup(names[i]);
        s->units[i] = g_strdup(units != NULL && units[i] != NULL ? units[i] : "");
    }
    s->data = g_array_new(FALSE, FALSE, sizeof(double));
    return s;
}

void hnb_series_free(HnbSeries *s)
{
    if (s == NULL)
        return;
    g_strfreev(s->names);
    g_strfreev(s->units);
    g_array_unref(s->data);
    g_free(s);
}

void hnb_series_add_row(HnbSeries *s, const double *row)
{
    g_return_if_fail(s != NULL && row != NULL);
    g_array_append_vals(s->data, row, s->ncols);
}

/* ---- number and string text ---- */

char *hnb_results_fmt(double v, char *buf)
{
    if (isnan(v))
        strcpy(buf, "nan");
    else if (isinf(v))
        strcpy(buf, v > 0 ? "inf" : "-inf");
    else
        g_ascii_formatd(buf, 32, "%.10g", v == 0 ? 0.0 : v); /* no "-0": a sign on zero is noise here */
    return buf;
}

gboolean hnb_results_fmt_finite(double v)
{
    char buf[32];
    return isfinite(g_ascii_strtod(hnb_results_fmt(v, buf), NULL));
}

static void json_number(GString *out, double v)
{
    char buf[32];
    if (!isfinite(v))
        g_string_append(out, "null");
    else
        g_string_append(out, hnb_results_fmt(v, buf));
}

static void json_string(GString *out, const char *s)
{
    g_autofree char *valid = NULL;
    if (!g_utf8_validate(s, -1, NULL)) /* JSON text must be UTF-8; a stray byte becomes U+FFFD */
        s = valid = g_utf8_make_valid(s, -1);
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

/* RFC 4180: quote a field holding a separator, quote or line break, doubling the quotes. */
void hnb_results_csv_field(GString *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        g_string_append(out, s);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

static void csv_number(GString *out, double v)
{
    char buf[32];
    g_string_append(out, hnb_results_fmt(v, buf));
}

/* ---- summary ---- */

typedef struct {
    double mean, half, min, max;
} Summary;

static Summary summarize(const double *x, guint n)
{
    Summary s;
    hnb_ci95(x, n, &s.mean, &s.half);
    s.min = s.max = x[0];
    for (guint i = 0; i < n; i++) {
        if (isnan(x[i])) {
            s.mean = s.half = s.min = s.max = NAN;
            break;
        }
        s.min = MIN(s.min, x[i]);
        s.max = MAX(s.max, x[i]);
    }
    if (n < 2)
        s.half = NAN;
    return s;
}

static gboolean check_same_metrics(HnbMetrics *const *reps, guint nreps, GError **error)
{
    const GArray *first = reps[0]->items;
    for (guint r = 1; r < nreps; r++) {
        const GArray *items = reps[r]->items;
        guint n = MIN(first->len, items->len);
        for (guint i = 0; i < n; i++) {
            const char *a = g_array_index(first, HnbMetric, i).name;
            const char *b = g_array_index(items, HnbMetric, i).name;
            if (strcmp(a, b) != 0) {
                g_set_error(error, HNB_ERROR, HNB_ERROR_RUN,
                            "replication %u reports metric %u as \"%s\" where replication 0 has \"%s\"", r, i, b, a);
                return FALSE;
            }
        }
        if (items->len != first->len) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN,
                        "replication %u reports %u metrics where replication 0 reports %u (first difference: \"%s\")",
                        r, items->len, first->len,
                        items->len > n ? g_array_index(items, HnbMetric, n).name
                                       : g_array_index(first, HnbMetric, n).name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean hnb_results_write_summary(HnbRunDir *rd, const HnbStamp *stamp, HnbMetrics *const *reps, guint nreps,
                                   GError **error)
{
    g_return_val_if_fail(rd != NULL && stamp != NULL, FALSE);
    g_return_val_if_fail(reps != NULL && nreps >= 1, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    if (!check_same_metrics(reps, nreps, error))
        return FALSE;

    const GArray *first = reps[0]->items;
    g_autoptr(GString) json = g_string_new(NULL);
    g_autoptr(GString) csv = g_string_new("metric,unit,mean,ci95_half,min,max,n\n");
    g_autofree double *x = g_new(double, nreps);

    g_string_append(json, "{\n  \"scenario\": ");
    json_string(json, stamp->scenario != NULL ? stamp->scenario : "");
    g_string_append_printf(json, ",\n  \"seed\": %" G_GUINT64_FORMAT ",\n  \"replications\": %u,\n  \"version\": ",
                           stamp->seed, nreps);
    json_string(json, stamp->version != NULL ? stamp->version : "");
    g_string_append(json, ",\n  \"metrics\": [");

    for (guint i = 0; i < first->len; i++) {
        const HnbMetric *m = &g_array_index(first, HnbMetric, i);
        for (guint r = 0; r < nreps; r++)
            x[r] = g_array_index(reps[r]->items, HnbMetric, i).value;
        Summary s = summarize(x, nreps);

        g_string_append(json, i == 0 ? "\n    {\n      \"name\": " : ",\n    {\n      \"name\": ");
        json_string(json, m->name);
        g_string_append(json, ",\n      \"unit\": ");
        json_string(json, m->unit);
        g_string_append(json, ",\n      \"doc\": ");
        json_string(json, m->doc);
        g_string_append(json, ",\n      \"mean\": ");
        json_number(json, s.mean);
        g_string_append(json, ",\n      \"ci95_half\": ");
        json_number(json, s.half);
        g_string_append(json, ",\n      \"min\": ");
        json_number(json, s.min);
        g_string_append(json, ",\n      \"max\": ");
        json_number(json, s.max);
        g_string_append(json, ",\n      \"values\": [");
        for (guint r = 0; r < nreps; r++) {
            if (r > 0)
                g_string_append(json, ", ");
            json_number(json, x[r]);
        }
        g_string_append(json, "]\n    }");

        hnb_results_csv_field(csv, m->name);
        g_string_append_c(csv, ',');
        hnb_results_csv_field(csv, m->unit);
        g_string_append_c(csv, ',');
        csv_number(csv, s.mean);
        g_string_append_c(csv, ',');
        csv_number(csv, s.half);
        g_string_append_c(csv, ',');
        csv_number(csv, s.min);
        g_string_append_c(csv, ',');
        csv_number(csv, s.max);
        g_string_append_printf(csv, ",%u\n", nreps);
    }
    g_string_append(json, first->len > 0 ? "\n  ]\n}\n" : "]\n}\n");

    return hnb_rundir_write(rd, "summary.json", json->str, (gssize)json->len, error) &&
           hnb_rundir_write(rd, "summary.csv", csv->str, (gssize)csv->len, error);
}

/* ---- time series ---- */

gboolean hnb_results_write_series(HnbRunDir *rd, HnbSeries *const *reps, guint nreps, GError **error)
{
    return hnb_results_write_csv(rd, "timeseries.csv", reps, nreps, error);
}

gboolean hnb_results_write_csv(HnbRunDir *rd, const char *relpath, HnbSeries *const *reps, guint nreps,
                               GError **error)
{
    g_return_val_if_fail(rd != NULL, FALSE);
    g_return_val_if_fail(reps != NULL && nreps >= 1, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    const HnbSeries *first = reps[0];
    for (guint r = 1; r < nreps; r++) {
        gboolean same = reps[r]->ncols == first->ncols;
        for (guint c = 0; same && c < first->ncols; c++)
            same = strcmp(reps[r]->names[c], first->names[c]) == 0;
        if (!same) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: replication %u has different columns from "
                        "replication 0", relpath, r);
            return FALSE;
        }
    }

    /* Units are not in the file: a second header line would trip every CSV reader.  The time column's name carries
     * its unit by convention ("time_h"), and figures carry the y unit in their label. */
    g_autoptr(GString) csv = g_string_new("replication");
    for (guint c = 0; c < first->ncols; c++) {
        g_string_append_c(csv, ',');
        g_string_append(csv, first->names[c]); /* plain by construction (hnb_series_new) */
    }
    g_string_append_c(csv, '\n');
    for (guint r = 0; r < nreps; r++) {
        const HnbSeries *s = reps[r];
        const double *v = (const double *)(void *)s->data->data;
        guint rows = hnb_series_rows(s);
        for (guint i = 0; i < rows; i++) {
            g_string_append_printf(csv, "%u", r);
            for (guint c = 0; c < s->ncols; c++) {
                g_string_append_c(csv, ',');
                csv_number(csv, v[(gsize)i * s->ncols + c]);
            }
            g_string_append_c(csv, '\n');
        }
    }
    return hnb_rundir_write(rd, relpath, csv->str, (gssize)csv->len, error);
}

/* ---- manifest ---- */

gboolean hnb_results_write_manifest(HnbRunDir *rd, const HnbStamp *stamp, unsigned threads, double wall_seconds,
                                    GError **error)
{
    g_return_val_if_fail(rd != NULL && stamp != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    /* written at the end of the run, so the start is now minus the wall time */
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) start = g_date_time_add_seconds(now, isfinite(wall_seconds) ? -wall_seconds : 0.0);
    g_autofree char *started = g_date_time_format(start != NULL ? start : now, "%Y-%m-%dT%H:%M:%SZ");

    g_autoptr(GString) json = g_string_new("{\n  \"version\": ");
    json_string(json, stamp->version != NULL ? stamp->version : "");
    g_string_append(json, ",\n  \"scenario\": ");
    json_string(json, stamp->scenario != NULL ? stamp->scenario : "");
    g_string_append_printf(json, ",\n  \"seed\": %" G_GUINT64_FORMAT ",\n  \"replications\": %u,\n  \"threads\": %u",
                           stamp->seed, stamp->replications, threads);
    if (stamp->source) {
        g_string_append(json, ",\n  \"source\": ");
        json_string(json, stamp->source);
    }
    g_string_append(json, ",\n  \"wall_seconds\": ");
    json_number(json, wall_seconds);
    /* the process's peak resident memory so far (getrusage; Linux reports KiB), so that a user can size a bigger run:
     * with the fleet's HNBs, per HNB (fixed costs included, so it falls as fleets grow) */
    struct rusage ru;
    gboolean have_ru = getrusage(RUSAGE_SELF, &ru) == 0;
    if (have_ru) {
        /* CPU seconds of all threads so far, user and system: on a shared machine wall time varies with the load, the
         * work less (tools/bench/README.md compares runs by both) */
        double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                     ru.ru_stime.tv_usec / 1e6;
        g_string_append_printf(json, ",\n  \"cpu_seconds\": %.3f", cpu);
    }
    if (have_ru && ru.ru_maxrss > 0) {
        guint64 peak = (guint64)ru.ru_maxrss * 1024;
        g_string_append_printf(json, ",\n  \"peak_rss_bytes\": %" G_GUINT64_FORMAT, peak);
        if (stamp->hnbs)
            g_string_append_printf(json, ",\n  \"peak_rss_bytes_per_hnb\": %.0f", (double)peak / (double)stamp->hnbs);
    }
    g_string_append(json, ",\n  \"host\": ");
    json_string(json, g_get_host_name());
    g_string_append(json, ",\n  \"started_utc\": ");
    json_string(json, started);
    if (stamp->manifest_extra && *stamp->manifest_extra)
        g_string_append_printf(json, ",\n  %s", stamp->manifest_extra);
    g_string_append_printf(json, ",\n  \"glib\": \"%u.%u.%u\"\n}\n", glib_major_version, glib_minor_version,
                           glib_micro_version);
    return hnb_rundir_write(rd, "manifest.json", json->str, (gssize)json->len, error);
}
