/* tools/jobs.c — a shared counter hands out jobs to threads; each thread writes only its job's slots, so results
 * are the same whatever thread ran which job.  The calling thread draws the progress line meanwhile. */
#include "tools/jobs.h"

#include <stdio.h>
#include <unistd.h>

typedef struct {
    HnbJob *jobs;
    guint n;
    atomic_uint next;
} Queue;

static gpointer worker(gpointer data)
{
    Queue *q = data;
    for (;;) {
        guint i = atomic_fetch_add(&q->next, 1);
        if (i >= q->n)
            return NULL;
        HnbJob *j = &q->jobs[i];
        const HnbModel *model = hnb_model_find(hnb_scenario_string(j->sc, "scenario", "model"));
        j->metrics = hnb_metrics_new();
        if (!model->run(j->sc, j->rep, &j->progress, j->metrics, &j->series, &j->cdf, &j->error) && !j->error)
            g_set_error(&j->error, HNB_ERROR, HNB_ERROR_RUN, "the run failed");
        if (!j->keep_series) { /* studies keep metrics only: free the rest before the next run */
            g_clear_pointer(&j->series, hnb_series_free);
            g_clear_pointer(&j->cdf, hnb_series_free);
        }
        atomic_store(&j->done, TRUE);
    }
}

/* The studies' line: groups (points) and runs done, the fraction simulated, ETA. */
static void groups_line(const HnbJob *jobs, guint n, const char *label, double wall, gboolean tty, gboolean last)
{
    double f = 0;
    guint done = 0, groups = 0, groups_done = 0;
    gboolean all = TRUE; /* every job of the current group so far is done */
    for (guint i = 0; i < n; i++) {
        gboolean d = atomic_load(&jobs[i].done);
        done += d;
        double dur = (double)hnb_scenario_time(jobs[i].sc, "scenario", "duration");
        f += d ? 1 : MIN(1.0, (double)atomic_load(&jobs[i].progress.sim_ns) / dur);
        /* a group is counted at its last job; it is done when all its jobs are (jobs of a group are adjacent) */
        gboolean end = i + 1 == n || jobs[i + 1].group != jobs[i].group;
        all = (i == 0 || jobs[i - 1].group != jobs[i].group) ? d : all && d;
        if (end) {
            groups++;
            groups_done += all;
        }
    }
    f /= n;
    double eta = f > 0 ? wall * (1 - f) / f : 0;
    fprintf(stderr, "%s%s: %u/%u points, %u/%u runs done, %.0f%%, ETA %dm%02ds%s", tty ? "\r" : "", label, groups_done,
            groups, done, n, 100 * f, (int)eta / 60, (int)eta % 60, tty && !last ? "   " : "\n");
    fflush(stderr);
}

gboolean hnb_jobs_run(HnbJob *jobs, guint n, unsigned threads, const char *label, HnbJobsLine line, GError **error)
{
    if (n == 0)
        return TRUE;
    Queue q = {jobs, n, 0};
    guint nthreads = MIN(threads, n);
    for (guint i = 0; i < n; i++)
        jobs[i].progress.pool_threads = threads / nthreads > 1 ? threads / nthreads - 1 : 0;
    HnbJobsLine show = line ? line : groups_line;
    GThread **th = g_new(GThread *, nthreads);
    for (guint t = 0; t < nthreads; t++)
        th[t] = g_thread_new("run", worker, &q);
    gboolean tty = isatty(STDERR_FILENO);
    gint64 t0 = g_get_monotonic_time(), shown = t0;
    for (;;) {
        guint done = 0;
        for (guint i = 0; i < n; i++)
            done += atomic_load(&jobs[i].done);
        if (done == n)
            break;
        g_usleep(200000);
        /* a terminal gets a live line; a log file (a batch job) a line every 30 s */
        gint64 now = g_get_monotonic_time();
        if (label && (tty || now - shown >= 30 * G_USEC_PER_SEC)) {
            show(jobs, n, label, (double)(now - t0) / 1e6, tty, FALSE);
            shown = now;
        }
    }
    for (guint t = 0; t < nthreads; t++)
        g_thread_join(th[t]);
    g_free(th);
    if (label && tty)
        show(jobs, n, label, (double)(g_get_monotonic_time() - t0) / 1e6, tty, TRUE);
    for (guint i = 0; i < n; i++)
        if (jobs[i].error) {
            g_propagate_prefixed_error(error, g_steal_pointer(&jobs[i].error), "%s: replication %u: ",
                                       hnb_scenario_source(jobs[i].sc), jobs[i].rep);
            return FALSE;
        }
    return TRUE;
}

void hnb_jobs_free(HnbJob *jobs, guint n)
{
    for (guint i = 0; i < n; i++) {
        hnb_metrics_free(jobs[i].metrics);
        hnb_series_free(jobs[i].series);
        hnb_series_free(jobs[i].cdf);
        g_clear_error(&jobs[i].error);
    }
    g_free(jobs);
}
