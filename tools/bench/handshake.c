/* tools/bench/handshake.c — `hnbsim bench handshake`: full (or resumed) TLS handshakes per wall-clock second through
 * the engine the simulation uses (crypto/tls_engine.h) in the worker pool, both ends in this process.
 *
 * Profile: the PKI's defaults (RSA-2048 H(e)MS certificate under the RSA-2048 operator root, EC P-256 device keys
 * under the RSA-2048 manufacturer CA, CRL checked) and the strict [tls] defaults pinned to TLS 1.2 + AES128-SHA with
 * mutual authentication and session-ID resumption on, as in a default run.  The handshakes cycle through DEVICES
 * HNBs, so the client certificate changes from one handshake to the next as it does in a fleet.
 *
 * Threads: T threads run handshakes — the calling thread (which, like the kernel's thread in a run, runs the jobs it
 * joins and helps while it waits) and T - 1 pool workers.  Jobs go through the pool in a sliding window of WINDOW
 * per thread, so no thread idles at the end of a batch.
 *
 * Every handshake's outcome is checked (ok, TLS 1.2, AES128-SHA, resumed exactly when asked): one that is not makes
 * the run fail (exit 1).  Last stdout line: `full_hs_per_s=<n> threads=<T>` (or `resumed_hs_per_s=`).
 */
#include "tools/bench/bench.h"
#include "crypto/pki.h"
#include "sim/pool.h"
#include "crypto/tls_engine.h"

#include <stdio.h>
#include <string.h>

#define DEVICES 64
#define WINDOW 32 /* jobs in flight per thread */

typedef struct {
    HnbTlsEngine *engine;
    HnbTlsSession **kept; /* per device: the session a resumed handshake offers (NULL for full handshakes) */
    gboolean resume;
} Bench;

/* What a handshake must have given; FALSE with a message on stderr otherwise. */
static gboolean check(const HnbTlsJob *j, uint64_t n, gboolean resume)
{
    const char *what = j->reason != HNB_TLS_OK                        ? hnb_tls_reason_name(j->reason)
                       : j->version != TLS1_2_VERSION                 ? "not TLS 1.2"
                       : g_strcmp0(j->cipher, "AES128-SHA") != 0      ? "not AES128-SHA"
                       : j->resumed != resume ? (resume ? "not resumed" : "resumed") : NULL;
    if (!what)
        return TRUE;
    fprintf(stderr, "hnbsim bench handshake: handshake %" G_GUINT64_FORMAT " (HNB %u) failed: %s%s%s%s (side %s)\n",
            n, j->hnb, what, j->detail[0] ? " (" : "", j->detail, j->detail[0] ? ")" : "",
            hnb_tls_side_name(j->side));
    return FALSE;
}

static void job_start(Bench *b, HnbTlsJob *j, uint64_t n)
{
    uint32_t i = (uint32_t)(n % DEVICES);
    /* an hour into the run on both clocks: every certificate is valid, every kept session young enough */
    hnb_tls_job_init(j, b->engine, i, HNB_HOUR, HNB_HOUR, b->resume ? b->kept[i] : NULL);
}

/* One run's jobs, for hnb_bench_window. */
typedef struct {
    Bench *b;
    HnbTlsJob *jobs;
    uint64_t cpu_ns;
} Window;

static void *window_start(void *user, size_t slot, uint64_t n)
{
    Window *w = user;
    job_start(w->b, &w->jobs[slot], n);
    return &w->jobs[slot];
}

static gboolean window_done(void *user, size_t slot, uint64_t n)
{
    Window *w = user;
    HnbTlsJob *j = &w->jobs[slot];
    gboolean ok = check(j, n, w->b->resume);
    w->cpu_ns += j->cpu_ns;
    hnb_tls_session_free(j->session);
    j->session = NULL;
    return ok;
}

/* `count` handshakes through the pool; *secs gets the wall time, *cpu_ns the summed job CPU time. */
static gboolean run(Bench *b, HnbPool *pool, unsigned threads, uint64_t count, double *secs, uint64_t *cpu_ns)
{
    size_t n = (size_t)WINDOW * threads;
    Window w = {b, g_new0(HnbTlsJob, n), 0};
    gboolean ok = hnb_bench_window(pool, hnb_tls_job_run, n, count, window_start, window_done, &w, secs);
    *cpu_ns = w.cpu_ns;
    g_free(w.jobs);
    return ok;
}

gboolean hnb_bench_handshake_measure(unsigned threads, uint64_t count, gboolean resume, double *secs,
                                     uint64_t *cpu_ns)
{
    g_autoptr(GError) error = NULL;
    HnbPkiParams pp;
    hnb_pki_params_init(&pp); /* the user's cache ($XDG_CACHE_HOME/hnbsim): a rerun generates no keys */
    g_autoptr(HnbPki) pki = hnb_pki_new(&pp, &error);
    hnb_pki_params_clear(&pp);
    if (!pki) {
        fprintf(stderr, "hnbsim bench handshake: %s\n", error->message);
        return FALSE;
    }
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    g_free(cfg.ciphers);
    cfg.ciphers = g_strdup("AES128-SHA");
    g_autoptr(HnbTlsEngine) engine = hnb_tls_engine_new(pki, &cfg, NULL, &error);
    hnb_tls_config_clear(&cfg);
    if (!engine) {
        fprintf(stderr, "hnbsim bench handshake: %s\n", error->message);
        return FALSE;
    }

    /* one full handshake per device first: devices come out of the cache (or are made) outside the timed part, and
     * --resume gets the sessions to offer */
    HnbTlsSession *kept[DEVICES] = {0};
    Bench b = {engine, kept, FALSE};
    gboolean ok = TRUE;
    for (uint32_t i = 0; i < DEVICES && ok; i++) {
        HnbTlsJob j;
        job_start(&b, &j, i);
        hnb_tls_job_run_once(&j);
        ok = check(&j, i, FALSE);
        kept[i] = j.session;
    }
    b.resume = resume;
    *secs = 0;
    *cpu_ns = 0;
    if (ok) {
        HnbPool *pool = hnb_pool_new(threads - 1, 8, hnb_tls_thread_init, hnb_tls_thread_free, engine);
        /* warm-up: every thread's contexts and caches, the allocator's arenas */
        uint64_t warm = MIN(count, (uint64_t)DEVICES * threads);
        ok = run(&b, pool, threads, warm, secs, cpu_ns) && run(&b, pool, threads, count, secs, cpu_ns);
        hnb_pool_free(pool);
    }
    for (int i = 0; i < DEVICES; i++)
        hnb_tls_session_free(kept[i]);
    return ok;
}

int hnb_bench_handshake(unsigned threads, uint64_t count, gboolean resume)
{
    double secs;
    uint64_t cpu_ns;
    if (!hnb_bench_handshake_measure(threads, count, resume, &secs, &cpu_ns))
        return 1;
    double rate = (double)count / secs;
    printf("handshakes=%" G_GUINT64_FORMAT " seconds=%.3f cpu_per_handshake_us=%.1f (both ends, %s)\n", count, secs,
           (double)cpu_ns / (double)count / 1e3, resume ? "resumed" : "full");
    printf("%s_hs_per_s=%.0f threads=%u\n", resume ? "resumed" : "full", rate, threads);
    return 0;
}
