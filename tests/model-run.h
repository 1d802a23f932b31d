/* tests/model-run.h — running one replication of a model from scenario text, and reading its metrics (shared by the
 * model tests; header-only, each test is its own program). */
#ifndef HNB_TEST_MODEL_RUN_H
#define HNB_TEST_MODEL_RUN_H

#include "models/model.h"

#include <string.h>

typedef struct {
    HnbMetrics *m;
    HnbSeries *series, *cdf;
} Run;

/* Load `text` as hnbsim run would and run replication `rep` of `model`; any error fails the test. */
static inline Run model_run(const HnbModel *model, const char *text, guint rep)
{
    GError *error = NULL;
    HnbScenario *sc = hnb_model_load_data(text, "test.ini", NULL, &error);
    g_assert_no_error(error);
    Run r = {hnb_metrics_new(), NULL, NULL};
    HnbProgress progress = {0};
    g_assert_true(model->run(sc, rep, &progress, r.m, &r.series, &r.cdf, &error));
    g_assert_no_error(error);
    hnb_scenario_free(sc);
    return r;
}

static inline void run_clear(Run *r)
{
    hnb_metrics_free(r->m);
    if (r->series)
        hnb_series_free(r->series);
    if (r->cdf)
        hnb_series_free(r->cdf);
}

static inline double metric(const Run *r, const char *name)
{
    for (guint i = 0; i < r->m->items->len; i++) {
        const HnbMetric *m = &g_array_index(r->m->items, HnbMetric, i);
        if (strcmp(m->name, name) == 0)
            return m->value;
    }
    g_error("no metric %s", name);
}

/* Do two runs have the same metrics and time series, bit for bit? */
static inline gboolean same_run(const Run *a, const Run *b)
{
    if (a->m->items->len != b->m->items->len || a->series->data->len != b->series->data->len ||
        memcmp(a->series->data->data, b->series->data->data, a->series->data->len * sizeof(double)) != 0)
        return FALSE;
    for (guint i = 0; i < a->m->items->len; i++) {
        double x = g_array_index(a->m->items, HnbMetric, i).value, y = g_array_index(b->m->items, HnbMetric, i).value;
        if (memcmp(&x, &y, sizeof x) != 0)
            return FALSE;
    }
    return TRUE;
}

/* Loading `groups` after a [scenario] of `model` (as the file bad.ini) fails with an input error naming the file and
 * `expect` (a key, or words of the message). */
static inline void model_refuses(const char *model, const char *groups, const char *expect)
{
    GError *error = NULL;
    g_autofree char *text = g_strconcat("[scenario]\nname = bad\nmodel = ", model, "\n", groups, NULL);
    g_assert_null(hnb_model_load_data(text, "bad.ini", NULL, &error));
    g_assert_error(error, HNB_ERROR, HNB_ERROR_INPUT);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "bad.ini"));
    g_assert_nonnull(strstr(error->message, expect));
    g_clear_error(&error);
}

#endif
