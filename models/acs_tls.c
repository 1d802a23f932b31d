/* models/acs_tls.c — the fleet's TLS: per replication one PKI, one handshake engine and one worker pool.
 *
 * Every TLS session of the simulation is a real OpenSSL handshake (models/tls.h) between HNB i's device certificate
 * and the H(e)MS, with the HNB's local clock and the ACS's simulated time, run in the pool between the ACS's submit
 * and join events.  With [tls] fidelity = sampled:N, the 1st, (N+1)th, ... TLS session is real and the others take
 * the outcome of the latest real one: for fleets of millions where every HNB's certificates are alike.
 *
 * Kept sessions: an HNB that completed a full handshake keeps the session for its next one (resumption per [tls]
 * resumption) and loses it on reboot or power loss.  A job still in flight may read the session it was given, so a
 * forgotten session is not freed at once but parked until no job is in flight.
 */
#include "acs_tls.h"
#include "image.h"
#include "pool.h"
#include "tls.h"

#include <string.h>

typedef struct {
    HnbPki *pki;
    HnbTlsConfig cfg;
    HnbTlsEngine *engine;
    HnbPool *pool;
    HnbTlsSession **kept; /* per HNB */
    GPtrArray *parked;    /* forgotten sessions a job may still read */
    HnbTlsJob *jobs;      /* one per ACS worker: at most `workers` handshakes are in flight */
    uint32_t *free_jobs;
    size_t nfree;
    size_t in_flight;
    uint64_t tls_sessions;
    HnbHsOutcome last_real;
    GError *error;
    /* secure boot and download checks */
    HnbSignedImage release;       /* the genuine release image, signed with the software-signing key */
    uint8_t genuine[32], rewritten[32]; /* content digests of the genuine image and of the attacker's */
    GHashTable *image_jobs;       /* in flight (freed at the end if their join never came) */
} FleetTls;

typedef struct {
    HnbImageJob job;
    uint64_t ticket;
} ImageCheck;

static FleetTls *ft(Fleet *f) { return f->tls_engine; }

gboolean hnb_acs_tls_resumption(const HnbScenario *sc)
{
    return strcmp(hnb_scenario_string(sc, "tls", "resumption"), "none") != 0;
}

gboolean hnb_acs_tls_init(Fleet *f, GError **error)
{
    FleetTls *t = g_new0(FleetTls, 1);
    f->tls_engine = t;
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_pki_params_from_scenario(&pp, f->sc, error);
    if (ok)
        ok = (t->pki = hnb_pki_new(&pp, error)) != NULL;
    hnb_pki_params_clear(&pp);
    hnb_tls_config_init(&t->cfg);
    if (ok)
        ok = hnb_tls_config_from_scenario(&t->cfg, f->sc, error);
    if (ok)
        ok = (t->engine = hnb_tls_engine_new(t->pki, &t->cfg, NULL, error)) != NULL;
    if (!ok)
        return FALSE;
    unsigned threads = f->progress ? f->progress->pool_threads : 0;
    t->pool = hnb_pool_new(threads, 8, hnb_tls_thread_init, hnb_tls_thread_free, t->engine);
    HnbImageManifest m;
    hnb_image_manifest_init(&m, "hnb-release", "1.0", (uint64_t)f->image_bytes, "release");
    if (!hnb_image_sign(&t->release, &m, hnb_pki_signing(t->pki)->key, error))
        return FALSE;
    hnb_image_content_digest("release", t->genuine);
    hnb_image_content_digest("rewritten by the attacker", t->rewritten);
    t->image_jobs = g_hash_table_new(NULL, NULL);
    t->kept = g_new0(HnbTlsSession *, f->n);
    t->parked = g_ptr_array_new_with_free_func((GDestroyNotify)hnb_tls_session_free);
    t->jobs = g_new0(HnbTlsJob, f->workers);
    t->free_jobs = g_new(uint32_t, f->workers);
    for (int64_t k = f->workers; k-- > 0;)
        t->free_jobs[t->nfree++] = (uint32_t)k;
    return TRUE;
}

void hnb_acs_tls_free(Fleet *f)
{
    FleetTls *t = ft(f);
    if (!t)
        return;
    if (t->pool)
        hnb_pool_free(t->pool); /* runs and waits for anything still queued */
    if (t->image_jobs) {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, t->image_jobs);
        while (g_hash_table_iter_next(&it, &key, NULL))
            g_free(key);
        g_hash_table_destroy(t->image_jobs);
    }
    hnb_image_signed_clear(&t->release);
    if (t->kept)
        for (uint32_t i = 0; i < f->n; i++)
            hnb_tls_session_free(t->kept[i]);
    g_free(t->kept);
    if (t->parked)
        g_ptr_array_free(t->parked, TRUE);
    if (t->jobs)
        for (int64_t k = 0; k < f->workers; k++)
            hnb_tls_session_free(t->jobs[k].session);
    g_free(t->jobs);
    g_free(t->free_jobs);
    hnb_tls_engine_free(t->engine);
    hnb_tls_config_clear(&t->cfg);
    hnb_pki_free(t->pki);
    g_clear_error(&t->error);
    g_free(t);
    f->tls_engine = NULL;
}

gboolean hnb_acs_tls_error(Fleet *f, GError **error)
{
    FleetTls *t = ft(f);
    if (t->error) {
        g_propagate_error(error, g_steal_pointer(&t->error));
        return FALSE;
    }
    return TRUE;
}

void hnb_acs_tls_forget(Fleet *f, uint32_t i)
{
    FleetTls *t = ft(f);
    if (t->kept[i]) {
        g_ptr_array_add(t->parked, t->kept[i]);
        t->kept[i] = NULL;
    }
    f->hnb[i].tls_session = 0;
}

void hnb_acs_tls_submit(Fleet *f, AcsHandshake *hs, uint32_t i, HnbTime hnb_clock, HnbTime acs_time, gboolean resume)
{
    FleetTls *t = ft(f);
    if (t->tls_sessions++ % f->fidelity != 0) {
        hs->sampled = TRUE;
        return;
    }
    g_assert(t->nfree > 0); /* one job per busy worker */
    uint32_t k = t->free_jobs[--t->nfree];
    HnbTlsJob *job = &t->jobs[k];
    hnb_tls_job_init(job, t->engine, i, hnb_clock, acs_time, resume ? t->kept[i] : NULL);
    hs->real = TRUE;
    hs->job = job;
    hs->ticket = hnb_pool_submit(t->pool, hnb_tls_job_run, job);
    t->in_flight++;
    f->acs.real_handshakes++;
}

static void finish_job(FleetTls *t, HnbTlsJob *job)
{
    t->free_jobs[t->nfree++] = (uint32_t)(job - t->jobs);
    if (--t->in_flight == 0 && t->parked->len > 0)
        g_ptr_array_set_size(t->parked, 0); /* nothing can read them any more */
}

HnbHsOutcome hnb_acs_tls_join(Fleet *f, AcsHandshake *hs, gboolean *resumed)
{
    FleetTls *t = ft(f);
    if (hs->sampled) {
        *resumed = FALSE;
        return t->last_real;
    }
    HnbTlsJob *job = hs->job;
    hnb_pool_join(t->pool, hs->ticket);
    uint32_t i = job->hnb;
    HnbHsOutcome out = job->reason;
    *resumed = job->resumed;
    t->last_real = out;
    if (job->session) {
        /* the HNB keeps the new session, unless it has rebooted since (its kept slot was cleared meanwhile) */
        hnb_tls_session_free(t->kept[i]);
        t->kept[i] = job->session;
        job->session = NULL;
    }
    finish_job(t, job);
    return out;
}

void hnb_acs_tls_abandon(Fleet *f, AcsHandshake *hs)
{
    FleetTls *t = ft(f);
    if (!hs->real)
        return;
    HnbTlsJob *job = hs->job;
    hnb_pool_join(t->pool, hs->ticket);
    hnb_tls_session_free(job->session);
    job->session = NULL;
    finish_job(t, job);
}

uint64_t hnb_acs_image_submit(Fleet *f, gboolean genuine)
{
    FleetTls *t = ft(f);
    /* one per booting or installing HNB: allocated here, freed at the join (not per idle HNB) */
    ImageCheck *c = g_new0(ImageCheck, 1);
    c->job.image = &t->release;
    c->job.cert = hnb_pki_signing(t->pki)->cert;
    c->job.content = genuine ? t->genuine : t->rewritten;
    c->ticket = hnb_pool_submit(t->pool, hnb_image_job_run, &c->job);
    g_hash_table_add(t->image_jobs, c);
    f->image_checks++;
    G_STATIC_ASSERT(sizeof(uintptr_t) <= sizeof(uint64_t));
    g_assert(((uint64_t)(uintptr_t)c >> 56) == 0); /* fits the payload of an event arg (user-space pointers do) */
    return (uint64_t)(uintptr_t)c;
}

gboolean hnb_acs_image_join(Fleet *f, uint64_t token)
{
    FleetTls *t = ft(f);
    ImageCheck *c = (ImageCheck *)(uintptr_t)token;
    hnb_pool_join(t->pool, c->ticket);
    gboolean ok = c->job.reason == HNB_IMAGE_OK;
    if (!ok)
        f->image_rejected++;
    g_hash_table_remove(t->image_jobs, c);
    g_free(c);
    return ok;
}
