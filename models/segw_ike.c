/* models/segw_ike.c — one real IKE job per SeGW set-up (see segw_ike.h).
 *
 * One job slot per SeGW worker: the part submits a set-up only when a worker takes it, so worker k's set-up is
 * jobs[k] until its join.  With sampled:N the 1st, (N+1)th, ... set-up is real and the others take the outcome of the
 * latest real one (joined before them: set-ups are joined in the order their CPU ends, and a sampled one's outcome is
 * read at its join).  Set-ups with the recovery certificate (a golden module, [golden] credential = recovery) are
 * sampled apart from those with the device certificate: the first of each kind is real, and each takes its own
 * kind's latest outcome.  The attempt number given to the job (its nonces and SPIs) is the count of set-ups so far,
 * which never decides an outcome.
 */
#include "models/segw_ike.h"

struct HnbSegwIke {
    HnbSegwIkeParams p;
    HnbPool *pool;
    HnbJobFn run;
    HnbIkeEngine *engine;
    HnbIkeJob *jobs;   /* per worker */
    uint64_t *ticket;  /* per worker: its job's ticket, 0 if its set-up is sampled */
    uint8_t *kind;     /* per worker: its set-up's kind, 0 device, 1 recovery certificate (sampled apart) */
    uint64_t count[2]; /* set-ups per kind */
    HnbTlsReason last_real[2];
    HnbSegwIkeStats st;
    GError *error;
};

static void submit(void *ctx, uint32_t k, uint32_t hnb, HnbTime hnb_clock, HnbTime segw_time, gboolean recovery)
{
    HnbSegwIke *g = ctx;
    g_assert(k < g->p.workers);
    uint64_t n = g->st.setups++;
    g->ticket[k] = 0;
    g->kind[k] = recovery != 0;
    if (g->count[g->kind[k]]++ % g->p.fidelity.one_in != 0)
        return;
    hnb_ike_job_init(&g->jobs[k], g->engine, hnb, (uint32_t)n, hnb_clock, segw_time);
    if (recovery)
        g->jobs[k].flags |= HNB_IKE_JOB_RECOVERY_CERT;
    g->ticket[k] = hnb_pool_submit(g->pool, g->run, &g->jobs[k]);
    g->st.real++;
}

static HnbTlsReason join(void *ctx, uint32_t k)
{
    HnbSegwIke *g = ctx;
    if (g->ticket[k] == 0)
        return g->last_real[g->kind[k]];
    HnbIkeJob *job = &g->jobs[k];
    hnb_pool_join(g->pool, g->ticket[k]);
    g->ticket[k] = 0;
    if (job->error && !g->error)
        g->error = g_steal_pointer(&job->error);
    g->last_real[g->kind[k]] = job->reason;
    if (job->reason != HNB_TLS_OK)
        g->st.side[job->side]++;
    g->st.job_cpu_ns += job->cpu_ns;
    g->st.segw_cpu_ns += job->segw_cpu_ns;
    hnb_ike_job_clear(job);
    return g->last_real[g->kind[k]];
}

static void abandon(void *ctx, uint32_t k)
{
    HnbSegwIke *g = ctx;
    if (g->ticket[k] == 0)
        return;
    hnb_pool_join(g->pool, g->ticket[k]);
    g->ticket[k] = 0;
    hnb_ike_job_clear(&g->jobs[k]);
}

const HnbSegwCrypto hnb_segw_ike_crypto = {.submit = submit, .join = join, .abandon = abandon};

HnbSegwIke *hnb_segw_ike_new(const HnbSegwIkeParams *p, HnbPool *pool, HnbJobFn run, HnbIkeEngine *engine)
{
    g_return_val_if_fail(p && p->workers > 0 && p->fidelity.one_in >= 1 && pool && run && engine, NULL);
    HnbSegwIke *g = g_new0(HnbSegwIke, 1);
    *g = (HnbSegwIke){.p = *p, .pool = pool, .run = run, .engine = engine};
    g->jobs = g_new0(HnbIkeJob, p->workers);
    g->ticket = g_new0(uint64_t, p->workers);
    g->kind = g_new0(uint8_t, p->workers);
    return g;
}

void hnb_segw_ike_free(HnbSegwIke *g)
{
    if (!g)
        return;
    for (int64_t k = 0; k < g->p.workers; k++)
        abandon(g, (uint32_t)k); /* nothing, if the SeGW part was freed first */
    g_free(g->jobs);
    g_free(g->ticket);
    g_free(g->kind);
    g_clear_error(&g->error);
    g_free(g);
}

gboolean hnb_segw_ike_error(HnbSegwIke *g, GError **error)
{
    if (g && g->error) {
        g_propagate_error(error, g_steal_pointer(&g->error));
        return FALSE;
    }
    return TRUE;
}

const HnbSegwIkeStats *hnb_segw_ike_stats(const HnbSegwIke *g)
{
    return &g->st;
}
