/* results/bands.c — the mean over replications of a time series and its 95% CI, on the union of their row times.
 *
 * Why the union and why hold: the rows of a replication are readings of its state at the moments it sampled.  The
 * gauges (HNBs in service, sessions open) keep their value between two readings as far as the series can tell, so a
 * replication's value at any t is its last reading at or before t.  The rates in a row (sessions_per_s) are averages
 * over the time since the previous row, so they are not readings at an instant; holding one forward until the next
 * row says "this was the average rate over the latest interval the replication reported", which is what the series
 * knows and no more (interpolating between rows would invent a shape inside the interval).  Reading every replication
 * at every row time of any of them keeps each replication's fine rows where they are instead of averaging a
 * replication's burst with its neighbours' coarse rows of another time.
 *
 * Cost: O(U·R·C) for U union times, R replications and C columns, one cursor per replication moving forward only.
 */
#include "results/bands.h"
#include "sim/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HALF_SUFFIX "_ci95_half"

char *hnb_bands_half_name(const char *name)
{
    return g_strconcat(name, HALF_SUFFIX, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every replication's finite row times, sorted, each once. */
static GArray *union_times(HnbSeries *const *reps, guint nreps)
{
    GArray *t = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint r = 0; r < nreps; r++) {
        const double *v = (const double *)(void *)reps[r]->data->data;
        for (guint i = 0; i < hnb_series_rows(reps[r]); i++)
            if (isfinite(v[(gsize)i * reps[r]->ncols]))
                g_array_append_val(t, v[(gsize)i * reps[r]->ncols]);
    }
    qsort(t->data, t->len, sizeof(double), cmp_double);
    guint n = 0;
    for (guint i = 0; i < t->len; i++)
        if (n == 0 || g_array_index(t, double, i) != g_array_index(t, double, n - 1))
            g_array_index(t, double, n++) = g_array_index(t, double, i);
    g_array_set_size(t, n);
    return t;
}

HnbSeries *hnb_bands_compute(HnbSeries *const *reps, guint nreps)
{
    g_return_val_if_fail(reps != NULL && nreps >= 1, NULL);
    const HnbSeries *first = reps[0];
    guint nc = first->ncols;
    for (guint r = 1; r < nreps; r++) {
        g_return_val_if_fail(reps[r]->ncols == nc, NULL);
        for (guint c = 0; c < nc; c++)
            g_return_val_if_fail(strcmp(reps[r]->names[c], first->names[c]) == 0, NULL);
    }

    /* column 0 the time, then mean and half-width of each other column */
    guint out_nc = 1 + 2 * (nc - 1);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(names, g_strdup(first->names[0]));
    g_ptr_array_add(units, g_strdup(first->units[0]));
    for (guint c = 1; c < nc; c++) {
        g_ptr_array_add(names, g_strdup(first->names[c]));
        g_ptr_array_add(units, g_strdup(first->units[c]));
        g_ptr_array_add(names, hnb_bands_half_name(first->names[c]));
        g_ptr_array_add(units, g_strdup(first->units[c]));
    }
    HnbSeries *out = hnb_series_new(out_nc, (const char *const *)names->pdata, (const char *const *)units->pdata);

    g_autoptr(GArray) times = union_times(reps, nreps);
    /* held[r]: the row of replication r read at the current time (-1: none yet); next[r]: the row after it to look
     * at.  Times ascend, so both only move forward. */
    gint64 *held = g_new(gint64, nreps);
    guint *next = g_new0(guint, nreps);
    for (guint r = 0; r < nreps; r++)
        held[r] = -1;
    double *x = g_new(double, nreps);
    double *row = g_new(double, out_nc);
    for (guint i = 0; i < times->len; i++) {
        double t = g_array_index(times, double, i);
        for (guint r = 0; r < nreps; r++) {
            const double *v = (const double *)(void *)reps[r]->data->data;
            guint rows = hnb_series_rows(reps[r]);
            /* a row with no finite time reads nothing: skipped, the previous reading holds */
            for (; next[r] < rows && !(v[(gsize)next[r] * nc] > t); next[r]++)
                if (isfinite(v[(gsize)next[r] * nc]))
                    held[r] = next[r];
        }
        row[0] = t;
        for (guint c = 1; c < nc; c++) {
            /* a replication whose reading is undefined (a mean over nothing in its interval) is left out of the
             * mean here rather than making it undefined for all */
            guint n = 0;
            for (guint r = 0; r < nreps; r++) {
                if (held[r] < 0)
                    continue;
                double y = ((const double *)(void *)reps[r]->data->data)[(gsize)held[r] * nc + c];
                if (isfinite(y))
                    x[n++] = y;
            }
            hnb_ci95(x, n, &row[2 * c - 1], &row[2 * c]);
        }
        hnb_series_add_row(out, row);
    }
    g_free(row);
    g_free(x);
    g_free(next);
    g_free(held);
    return out;
}
