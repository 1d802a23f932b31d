/* tools/bench/ike.c — `hnbsim bench ike`: IKEv2 tunnel set-ups per wall-clock second through the job the SeGW model
 * will use (crypto/ike_job.h: the set-up's public-key work and certificate checks, both ends in this process), and
 * full TLS handshakes (`bench handshake`'s measurement) in the same process right after, for the ratio.
 *
 * PKI: the defaults (RSA-2048 SeGW certificate under the RSA-2048 operator root, EC P-256 device keys under the
 * RSA-2048 manufacturer CA, CRL checked), from the user's cache so a rerun generates no keys.  The set-ups cycle
 * through DEVICES HNBs, each with a new attempt number (new nonces and SPIs).  Threads and the sliding window: as
 * in handshake.c.  Every set-up must succeed; one that does not makes the run fail (exit 1).
 */
#include "tools/bench/bench.h"
#include "crypto/ike_job.h"
#include "sim/pool.h"

#include <stdio.h>

#define DEVICES 64
#define WINDOW 32 /* jobs in flight per thread */

static void job_start(HnbIkeEngine *e, HnbIkeJob *j, uint64_t n)
{
    /* an hour into the run on both clocks: every certificate is valid */
    hnb_ike_job_init(j, e, (uint32_t)(n % DEVICES), (uint32_t)(n / DEVICES), HNB_HOUR, HNB_HOUR);
}

static gboolean check(const HnbIkeJob *j, uint64_t n)
{
    if (j->reason == HNB_TLS_OK && !j->error)
        return TRUE;
    fprintf(stderr, "hnbsim bench ike: set-up %" G_GUINT64_FORMAT " (HNB %u) failed: %s (side %s): %s\n", n, j->hnb,
            hnb_tls_reason_name(j->reason), hnb_ike_side_name(j->side), j->detail);
    return FALSE;
}

/* One run's jobs, for hnb_bench_window. */
typedef struct {
    HnbIkeEngine *e;
    HnbIkeJob *jobs;
    uint64_t cpu_ns, segw_ns;
} Window;

static void *window_start(void *user, size_t slot, uint64_t n)
{
    Window *w = user;
    job_start(w->e, &w->jobs[slot], n);
    return &w->jobs[slot];
}

static gboolean window_done(void *user, size_t slot, uint64_t n)
{
    Window *w = user;
    HnbIkeJob *j = &w->jobs[slot];
    gboolean ok = check(j, n);
    w->cpu_ns += j->cpu_ns;
    w->segw_ns += j->segw_cpu_ns;
    hnb_ike_job_clear(j);
    return ok;
}

/* `count` set-ups through the pool; *secs the wall time, *cpu_ns and *segw_ns the summed job and SeGW CPU time. */
static gboolean run(HnbIkeEngine *e, HnbPool *pool, unsigned threads, uint64_t count, double *secs, uint64_t *cpu_ns,
                    uint64_t *segw_ns)
{
    size_t n = (size_t)WINDOW * threads;
    Window w = {e, g_new0(HnbIkeJob, n), 0, 0};
    gboolean ok = hnb_bench_window(pool, hnb_ike_job_run, n, count, window_start, window_done, &w, secs);
    *cpu_ns = w.cpu_ns;
    *segw_ns = w.segw_ns;
    g_free(w.jobs);
    return ok;
}

int hnb_bench_ike(unsigned threads, uint64_t count, int dh_group)
{
    g_autoptr(GError) error = NULL;
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    g_autoptr(HnbPki) pki = hnb_pki_new(&pp, &error);
    hnb_pki_params_clear(&pp);
    g_autoptr(HnbIkeEngine) engine = pki ? hnb_ike_engine_new(pki, dh_group, NULL, &error) : NULL;
    if (!engine) {
        fprintf(stderr, "hnbsim bench ike: %s\n", error->message);
        return error->code == HNB_ERROR_INPUT ? 2 : 1;
    }
    /* one set-up per device first: devices come out of the cache (or are made) outside the timed part */
    gboolean ok = TRUE;
    for (uint32_t i = 0; i < DEVICES && ok; i++) {
        HnbIkeJob j;
        job_start(engine, &j, i);
        hnb_ike_job_run_once(&j);
        ok = check(&j, i);
        hnb_ike_job_clear(&j);
    }
    double secs = 0;
    uint64_t cpu_ns = 0, segw_ns = 0;
    if (ok) {
        HnbPool *pool = hnb_pool_new(threads - 1, 8, hnb_ike_thread_init, hnb_ike_thread_free, engine);
        uint64_t warm = MIN(count, (uint64_t)DEVICES * threads);
        ok = run(engine, pool, threads, warm, &secs, &cpu_ns, &segw_ns) &&
             run(engine, pool, threads, count, &secs, &cpu_ns, &segw_ns);
        hnb_pool_free(pool);
    }
    double hs_secs = 0;
    uint64_t hs_cpu = 0;
    if (!ok || !hnb_bench_handshake_measure(threads, count, FALSE, &hs_secs, &hs_cpu))
        return 1;
    double rate = (double)count / secs, hs_rate = (double)count / hs_secs;
    printf("setups=%" G_GUINT64_FORMAT " seconds=%.3f cpu_per_setup_us=%.1f segw_cpu_per_setup_us=%.1f (group %d, "
           "%s)\n",
           count, secs, (double)cpu_ns / (double)count / 1e3, (double)segw_ns / (double)count / 1e3, dh_group,
           hnb_ike_dh_group_name(dh_group));
    printf("handshakes=%" G_GUINT64_FORMAT " seconds=%.3f cpu_per_handshake_us=%.1f (both ends, full)\n", count,
           hs_secs, (double)hs_cpu / (double)count / 1e3);
    printf("ike_setups_per_s=%.0f threads=%u full_hs_per_s=%.0f ratio=%.3f\n", rate, threads, hs_rate,
           rate / hs_rate);
    return 0;
}
