/* tools/jobs.h — many independent runs (scenario, replication) on a few threads, for studies that keep only each
 * run's metrics (sweeps, sizing).  `hnbsim run` keeps series and distributions too and has its own batch. */
#ifndef HNB_JOBS_H
#define HNB_JOBS_H

#include "models/model.h"

typedef struct {
    const HnbScenario *sc; /* shared read-only between jobs */
    guint rep;
    guint group;           /* jobs of one group (a sweep point) count as one in the progress line */
    HnbMetrics *metrics;   /* the result */
    GError *error;
    HnbProgress progress;
    atomic_bool done;
} HnbJob;

/* Run jobs[0..n) on up to `threads` threads, one run per thread at a time; threads left over go to each run's
 * worker pool.  `label` (NULL: silent) heads a progress line on stderr: runs and groups done, ETA.  FALSE with the
 * first failed job's error (prefixed with its replication). */
gboolean hnb_jobs_run(HnbJob *jobs, guint n, unsigned threads, const char *label, GError **error);
void hnb_jobs_free(HnbJob *jobs, guint n);

#endif
