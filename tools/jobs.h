/* tools/jobs.h — many independent runs (scenario, replication) on a few threads: the replications of `hnbsim run`
 * (which keeps each run's series and distributions) and the cells of studies that keep only metrics (sweeps,
 * sizing; across MPI ranks through tools/mpi_jobs.h). */
#ifndef HNB_JOBS_H
#define HNB_JOBS_H

#include "models/model.h"

typedef struct {
    const HnbScenario *sc; /* shared read-only between jobs */
    guint rep;
    guint group;           /* jobs of one group (a sweep point) count as one in the progress line */
    gboolean keep_series;  /* keep the run's series and cdf too (`run`); else they are freed at once */
    HnbMetrics *metrics;   /* the results */
    HnbSeries *series, *cdf;
    GError *error;
    HnbProgress progress;
    atomic_bool done;
} HnbJob;

/* Draws the progress line of jobs[0..n) (some running) headed by label, wall_s seconds after the start; last: the
 * final call on a terminal, once every job is done.  tty: stderr is a terminal (a live line, redrawn with "\r"). */
typedef void (*HnbJobsLine)(const HnbJob *jobs, guint n, const char *label, double wall_s, gboolean tty,
                            gboolean last);

/* Run jobs[0..n) on up to `threads` threads, one run per thread at a time; threads left over go to each run's
 * worker pool.  Each job's results depend only on its scenario and replication, whatever thread ran it.  `label`
 * (NULL: silent) heads a progress line on stderr drawn by `line` (NULL: runs and groups done, ETA): live on a
 * terminal, every 30 s in a log.  FALSE with the first failed job's error (in job order, prefixed with its scenario
 * file and replication). */
gboolean hnb_jobs_run(HnbJob *jobs, guint n, unsigned threads, const char *label, HnbJobsLine line, GError **error);
/* Free jobs and what they still hold (results not taken by the caller). */
void hnb_jobs_free(HnbJob *jobs, guint n);

#endif
