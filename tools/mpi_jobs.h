/* tools/mpi_jobs.h — a sweep's runs across MPI ranks (`mpirun -n K hnbsim sweep ...`); see mpi_jobs.c. */
#ifndef HNB_MPI_JOBS_H
#define HNB_MPI_JOBS_H

#include "tools/jobs.h"

/* Started by an MPI launcher but built without MPI: exec hnbsim-mpi from the same directory with the same argv, if
 * it was built (the MPI build leaves out `hnbsim acs`: libev's libevent-compatible symbols would shadow the libevent
 * Open MPI runs on).  Returns if there is nothing to exec. */
void hnb_mpi_exec(char **argv);
/* MPI_Init when started by an MPI launcher (its environment says so); else nothing.  FALSE if MPI_Init failed. */
gboolean hnb_mpi_init(int *argc, char ***argv);
void hnb_mpi_finish(void);
int hnb_mpi_rank(void); /* 0 without MPI */
int hnb_mpi_size(void); /* 1 without MPI */

/* hnb_jobs_run across the ranks: rank 0 hands the jobs out and collects them; on return every rank holds every
 * job's metrics (identical text).  One rank or no MPI: hnb_jobs_run. */
gboolean hnb_mpi_jobs_run(HnbJob *jobs, guint n, unsigned threads, const char *label, GError **error);

#endif
