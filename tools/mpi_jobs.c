/* tools/mpi_jobs.c — `mpirun -n K hnbsim sweep ...`: the runs of a sweep handed out across MPI ranks.
 *
 * Every rank parses the same command line and builds the same plan, so all of them hold the same list of jobs at
 * each round of a sweep.  Rank 0 hands the jobs out one at a time to whichever worker rank asks next (dynamic: a
 * slow point does not hold a fast rank back) and collects each result; then it sends every result of the round to
 * every worker, so that all ranks add the same cells in the same order and agree on the next round (sequential
 * stopping decides from the results).  Only rank 0 writes the result directory.  A result travels as text —
 * name, unit, value as the shortest decimal that reads back to the same double, doc — so the sweep is byte-identical
 * to the one a single process writes (the test compares them).  Runs are pure functions of (scenario,
 * replication): which rank ran which job changes nothing.
 *
 * With one rank, or a build without MPI (meson feature `mpi`), hnb_mpi_jobs_run is the thread pool of jobs.c.
 */
#include "tools/mpi_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static gboolean under_launcher(void)
{
    return g_getenv("OMPI_COMM_WORLD_SIZE") || g_getenv("PMI_SIZE") || g_getenv("PMIX_RANK");
}

void hnb_mpi_exec(char **argv)
{
#ifndef HNB_HAVE_MPI
    if (!under_launcher())
        return;
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    if (!self)
        return;
    g_autofree char *dir = g_path_get_dirname(self);
    g_autofree char *mpi = g_build_filename(dir, "hnbsim-mpi", NULL);
    if (!g_file_test(mpi, G_FILE_TEST_IS_EXECUTABLE))
        return; /* then each rank runs the whole sweep alone; say so */
    execv(mpi, argv);
    fprintf(stderr, "hnbsim: cannot run %s; running without MPI\n", mpi);
#else
    (void)argv;
#endif
}

#ifdef HNB_HAVE_MPI
#include <mpi.h>

enum { TAG_JOB = 1, TAG_RESULT };
#define NO_MORE_JOBS UINT32_MAX

static int rank = 0, size = 1;
static gboolean active;

gboolean hnb_mpi_init(int *argc, char ***argv)
{
    /* only under a launcher: a plain `hnbsim sweep` never touches MPI */
    if (!under_launcher())
        return TRUE;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return FALSE;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    active = TRUE;
    return TRUE;
}

void hnb_mpi_finish(void)
{
    if (active)
        MPI_Finalize();
    active = FALSE;
}

int hnb_mpi_rank(void) { return rank; }
int hnb_mpi_size(void) { return size; }

/* metrics <-> text: one line per metric, fields separated by tabs (names, units and docs hold none) */
static char *metrics_text(const HnbMetrics *m)
{
    GString *s = g_string_new(NULL);
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    for (guint k = 0; k < m->items->len; k++) {
        const HnbMetric *x = &g_array_index(m->items, HnbMetric, k);
        g_string_append_printf(s, "%s\t%s\t%s\t%s\n", x->name, x->unit ? x->unit : "",
                               g_ascii_dtostr(num, sizeof num, x->value), x->doc ? x->doc : "");
    }
    return g_string_free(s, FALSE);
}

static HnbMetrics *metrics_parse(const char *text)
{
    HnbMetrics *m = hnb_metrics_new();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l && **l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, "\t", 4);
        if (g_strv_length(f) == 4)
            hnb_metrics_add(m, f[0], f[1], g_ascii_strtod(f[2], NULL), f[3]);
    }
    return m;
}

static void send_text(const char *text, int to, int tag)
{
    MPI_Send(text, (int)strlen(text) + 1, MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

static char *recv_text(int from, int tag, int *source)
{
    MPI_Status st;
    int len;
    MPI_Probe(from, tag, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_CHAR, &len);
    char *buf = g_malloc((gsize)len + 1);
    MPI_Recv(buf, len, MPI_CHAR, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    buf[len] = '\0';
    if (source)
        *source = st.MPI_SOURCE;
    return buf;
}

/* A result message: "<job index>\n<0|1 ok>\n<metrics text or error message>" */
static gboolean coordinate(HnbJob *jobs, char **texts, guint n, const char *label, GError **error)
{
    guint next = 0, done = 0, stopped = 0;
    gint64 t0 = g_get_monotonic_time();
    GError *first = NULL;
    while (stopped < (guint)(size - 1)) {
        int src;
        g_autofree char *msg = recv_text(MPI_ANY_SOURCE, TAG_RESULT, &src);
        if (*msg) { /* a result (an empty message is a worker's first request) */
            char *p = msg, *nl1 = strchr(p, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
            guint i = (guint)strtoul(p, NULL, 10);
            if (nl2 && i < n) {
                if (nl1[1] == '1') {
                    jobs[i].metrics = metrics_parse(nl2 + 1);
                    texts[i] = g_strdup(nl2 + 1); /* broadcast as received */
                }
                else if (!first)
                    g_set_error(&first, HNB_ERROR, HNB_ERROR_RUN, "replication %u (rank %d): %s", jobs[i].rep, src,
                                nl2 + 1);
                done++;
            }
            if (label && isatty(2)) {
                double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
                fprintf(stderr, "\r%s: %u/%u runs on %d ranks, %.0f s", label, done, n, size - 1, secs);
            }
        }
        guint32 give = next < n && !first ? next++ : NO_MORE_JOBS;
        MPI_Send(&give, 1, MPI_UINT32_T, src, TAG_JOB, MPI_COMM_WORLD);
        if (give == NO_MORE_JOBS)
            stopped++;
    }
    if (label && isatty(2))
        fprintf(stderr, "\n");
    g_debug("mpi: %u runs handed to %d worker ranks", done, size - 1);
    if (first) {
        g_propagate_error(error, first);
        return FALSE;
    }
    return done == n;
}

static void work(HnbJob *jobs, guint n)
{
    send_text("", 0, TAG_RESULT); /* ready */
    for (;;) {
        guint32 i;
        MPI_Recv(&i, 1, MPI_UINT32_T, 0, TAG_JOB, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (i == NO_MORE_JOBS || i >= n)
            return;
        GError *error = NULL;
        gboolean ok = hnb_jobs_run(&jobs[i], 1, 1, NULL, NULL, &error);
        g_debug("mpi rank %d: ran job %u", rank, i);
        g_autofree char *body = ok ? metrics_text(jobs[i].metrics) : g_strdup(error ? error->message : "failed");
        g_clear_error(&error);
        g_autofree char *msg = g_strdup_printf("%u\n%d\n%s", i, ok ? 1 : 0, body);
        send_text(msg, 0, TAG_RESULT);
    }
}

gboolean hnb_mpi_jobs_run(HnbJob *jobs, guint n, unsigned threads, const char *label, GError **error)
{
    if (!active || size < 2)
        return hnb_jobs_run(jobs, n, threads, label, NULL, error);
    gboolean ok = TRUE;
    g_auto(GStrv) texts = g_new0(char *, n + 1);
    if (rank == 0)
        ok = coordinate(jobs, texts, n, label, error);
    else
        work(jobs, n);
    /* every rank ends the round with every result: rank 0 sends them all, in job order */
    int flag = ok;
    MPI_Bcast(&flag, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!flag) {
        if (rank != 0)
            g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "a run failed (rank 0 has the message)");
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        int len = rank == 0 ? (int)strlen(texts[i]) + 1 : 0;
        MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (rank != 0)
            texts[i] = g_malloc((gsize)len);
        MPI_Bcast(texts[i], len, MPI_CHAR, 0, MPI_COMM_WORLD);
        if (rank != 0) {
            if (jobs[i].metrics)
                hnb_metrics_free(jobs[i].metrics);
            jobs[i].metrics = metrics_parse(texts[i]);
        }
    }
    return TRUE;
}

#else

gboolean hnb_mpi_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (under_launcher())
        fprintf(stderr, "hnbsim: started by an MPI launcher, but this build has no MPI (meson feature mpi): every "
                        "rank runs the whole sweep\n");
    return TRUE;
}
void hnb_mpi_finish(void) {}
int hnb_mpi_rank(void) { return 0; }
int hnb_mpi_size(void) { return 1; }

gboolean hnb_mpi_jobs_run(HnbJob *jobs, guint n, unsigned threads, const char *label, GError **error)
{
    return hnb_jobs_run(jobs, n, threads, label, NULL, error);
}

#endif
