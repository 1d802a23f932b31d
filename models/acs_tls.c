/* models/acs_tls.c — the ACS's TLS: per replication one PKI, one handshake engine and one worker pool.
 *
 * Every TLS session of the simulation is a real OpenSSL handshake (crypto/tls_engine.h) between HNB i's device certificate
 * and the H(e)MS, with the HNB's local clock and the ACS's simulated time, run in the pool between the ACS's submit
 * and join events.  With [tls] fidelity = sampled:N, the 1st, (N+1)th, ... TLS session is real and the others take
 * the outcome of the latest real one: for fleets of millions where every HNB's certificates are alike.
 *
 * Kept sessions: an HNB that completed a full handshake keeps the session for its next one (resumption per [tls]
 * resumption) and loses it on reboot or power loss.  A job still in flight may read the session it was given, so a
 * forgotten session is not freed at once but parked until no job is in flight.
 *
 * Running ahead.  A handshake takes ~1.5 ms of CPU but a fleet in steady state has one or two in flight, so joins
 * come right after submits and the pool's threads idle.  When an HNB sets its periodic-Inform timer the inputs of
 * its next handshake are known but for the exact times, so hnb_acs_tls_prefetch() submits that handshake at once,
 * with the timer's time for both clocks.  When the session really starts, the job is adopted if its inputs are
 * equivalent: the same kept session offered, and neither the HNB's clock nor the ACS's time crosses a point where an
 * outcome can change between the guessed and the real time — a notBefore/notAfter of a certificate in play, the
 * CRL's thisUpdate/nextUpdate, the offered session's expiry — with 2 s of margin (X.509 times have 1 s resolution).
 * Between such points the engine's checks compare the same way, so the outcome, the reason and `resumed` are those
 * of a handshake run at the real time; a new session is re-dated to the real time.  Otherwise the job is discarded
 * (skipped if nobody started it) and the handshake runs as usual.  Results are byte-identical with and without
 * running ahead (the CLI tests compare --threads 1, which never runs ahead, with --threads 2).
 */
#include "models/acs_tls.h"
#include "crypto/tls_engine.h"
#include "sim/pool.h"

#include <string.h>
#include <time.h>

/* A handshake run ahead for one HNB; from a free list (chunks of SPEC_CHUNK), not one malloc per session. */
typedef struct Spec Spec;
struct Spec {
    HnbTlsJob job;
    uint64_t ticket;
    Spec *next_free;
};
enum { SPEC_CHUNK = 1024 };
#define SPEC_MARGIN (2 * HNB_SEC)
enum { SAMPLED_PARSED_MAX = 1024 }; /* parsed credentials of each kind kept with sampled fidelity (~8.5 KB each) */

struct HnbAcsTls {
    HnbAcsTlsParams p;
    HnbPki *pki;
    HnbTlsConfig cfg;
    HnbTlsEngine *engine;
    HnbIkeEngine *ike; /* with p.ike */
    HnbPool *pool;
    /* HNB i's kept session.  With full fidelity nearly every HNB keeps one: an array.  Sampled, only HNBs whose
     * latest full handshake was a real one do (one in N at most; 31k of 10M in issue 16's benchmark): a map, so the
     * fleet pays no pointer per HNB. */
    HnbTlsSession **kept;
    GHashTable *kept_map;
    GPtrArray *parked;    /* forgotten sessions a job may still read */
    HnbTlsJob *jobs;      /* one per ACS worker: at most `workers` handshakes are in flight */
    uint32_t *free_jobs;
    size_t nfree;
    size_t in_flight;
    uint64_t tls_sessions[2];   /* per kind (device, recovery): sampled apart */
    HnbHsOutcome last_real[2];
    GError *error;
    /* running ahead */
    gboolean ahead;               /* worker threads and full fidelity */
    Spec **spec;                  /* per HNB: its handshake run ahead, or NULL */
    Spec *spec_free;
    GPtrArray *spec_chunks;
    HnbTime bounds[24];           /* where an outcome can change (simulated ns) */
    size_t nbounds;
    uint64_t spec_adopted, spec_discarded, spec_wasted; /* wasted: discarded after it ran */
};

gboolean hnb_acs_tls_resumption(const HnbScenario *sc)
{
    return strcmp(hnb_scenario_string(sc, "tls", "resumption"), "none") != 0;
}

gboolean hnb_tls_fidelity_parse(const char *text, HnbTlsFidelity *out)
{
    if (strcmp(text, "full") == 0) {
        *out = (HnbTlsFidelity){HNB_FIDELITY_FULL, 1};
        return TRUE;
    }
    if (g_str_has_prefix(text, "sampled:")) {
        char *end;
        guint64 n = g_ascii_strtoull(text + 8, &end, 10);
        if (*end == '\0' && end != text + 8 && n >= 1 && n <= 1000000000) {
            *out = (HnbTlsFidelity){HNB_FIDELITY_SAMPLED, (unsigned)n};
            return TRUE;
        }
    }
    return FALSE;
}

/* Simulated time of an X.509 time (seconds resolution), or FALSE if it cannot be read. */
static gboolean asn1_to_sim(const ASN1_TIME *a, gint64 epoch, HnbTime *out)
{
    struct tm tm;
    if (!a || ASN1_TIME_to_tm(a, &tm) != 1)
        return FALSE;
    *out = ((HnbTime)timegm(&tm) - epoch) * HNB_SEC;
    return TRUE;
}

static HnbTlsSession *kept_get(const HnbAcsTls *t, uint32_t i)
{
    return t->kept ? t->kept[i] : g_hash_table_lookup(t->kept_map, GUINT_TO_POINTER(i));
}

static void add_bound(HnbAcsTls *t, HnbTime b)
{
    g_assert(t->nbounds < G_N_ELEMENTS(t->bounds));
    t->bounds[t->nbounds++] = b;
}

/* Every point in simulated time where a handshake's outcome can change, for either clock: the validity of each
 * certificate a handshake checks (read from the certificates themselves), the device certificates' window (all
 * alike, from the parameters) and the CRL's. */
static void collect_bounds(HnbAcsTls *t)
{
    const HnbPkiParams *p = hnb_pki_params(t->pki);
    const HnbPkiCred *creds[] = {hnb_pki_root(t->pki), hnb_pki_mfr(t->pki), hnb_pki_hems(t->pki),
                                 hnb_pki_hems_renewed(t->pki)};
    HnbTime b;
    if (p->hems_renewal_at > 0)
        add_bound(t, p->hems_renewal_at); /* the H(e)MS changes certificates */
    for (size_t k = 0; k < G_N_ELEMENTS(creds); k++) {
        if (!creds[k])
            continue;
        if (asn1_to_sim(X509_get0_notBefore(creds[k]->cert), p->epoch, &b))
            add_bound(t, b);
        if (asn1_to_sim(X509_get0_notAfter(creds[k]->cert), p->epoch, &b))
            add_bound(t, b);
    }
    add_bound(t, -p->device_issued_before);
    add_bound(t, -p->device_issued_before + p->device_lifetime);
    X509_CRL *crl = hnb_pki_crl(t->pki);
    if (crl && asn1_to_sim(X509_CRL_get0_lastUpdate(crl), p->epoch, &b))
        add_bound(t, b);
    if (crl && asn1_to_sim(X509_CRL_get0_nextUpdate(crl), p->epoch, &b))
        add_bound(t, b);
}

/* No point where an outcome can change lies between times a and b (with the margin). */
static gboolean same_window(const HnbAcsTls *t, HnbTime a, HnbTime b, const HnbTlsSession *resume)
{
    HnbTime lo = MIN(a, b) - SPEC_MARGIN, hi = MAX(a, b) + SPEC_MARGIN;
    for (size_t k = 0; k < t->nbounds; k++)
        if (t->bounds[k] >= lo && t->bounds[k] <= hi)
            return FALSE;
    if (resume) {
        HnbTime expiry = hnb_tls_session_created(resume) + t->cfg.session_lifetime;
        if (expiry >= lo && expiry <= hi)
            return FALSE;
    }
    return TRUE;
}

/* Would the job run ahead give the outcome of a handshake with these inputs? */
static gboolean spec_fits(const HnbAcsTls *t, const Spec *sp, const HnbTlsSession *offer, HnbTime hnb_clock,
                          HnbTime acs_time, uint32_t flags)
{
    return sp->job.resume == offer && sp->job.flags == flags && same_window(t, sp->job.hnb_clock, hnb_clock, offer) &&
           same_window(t, sp->job.acs_time, acs_time, offer);
}

static Spec *spec_alloc(HnbAcsTls *t)
{
    if (!t->spec_free) {
        Spec *chunk = g_new0(Spec, SPEC_CHUNK);
        g_ptr_array_add(t->spec_chunks, chunk);
        for (size_t k = SPEC_CHUNK; k-- > 0;) {
            chunk[k].next_free = t->spec_free;
            t->spec_free = &chunk[k];
        }
    }
    Spec *s = t->spec_free;
    t->spec_free = s->next_free;
    return s;
}

static void spec_release(HnbAcsTls *t, Spec *s)
{
    hnb_tls_session_free(s->job.session);
    s->job.session = NULL;
    s->next_free = t->spec_free;
    t->spec_free = s;
}

/* Give up HNB i's job run ahead (it may still read its kept session until this returns). */
static void spec_discard(HnbAcsTls *t, uint32_t i)
{
    Spec *s = t->spec[i];
    if (!s)
        return;
    t->spec[i] = NULL;
    t->spec_wasted += hnb_pool_discard(t->pool, s->ticket);
    t->spec_discarded++;
    spec_release(t, s);
}

/* The PKI, the configuration and the engine; FALSE with the error. */
static gboolean engine_new(HnbAcsTls *t, const HnbScenario *sc, GError **error)
{
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_pki_params_from_scenario(&pp, sc, error);
    if (ok)
        ok = (t->pki = hnb_pki_new(&pp, error)) != NULL;
    hnb_pki_params_clear(&pp);
    /* Sampled, the HNB of a real full handshake seldom has another before the run ends (its next ones are mostly
     * sampled, or resumed, which reads no credential), so a parsed credential kept for it is memory for nothing:
     * 16,384 of them, ~140 MB, where 10M HNBs have ~27k real full handshakes.  One needed again is read back. */
    if (ok && t->p.fidelity.one_in > 1 && !g_getenv("HNBSIM_PKI_PARSED_MAX")) /* the tests' knob wins */
        hnb_pki_set_parsed_max(t->pki, SAMPLED_PARSED_MAX);
    hnb_tls_config_init(&t->cfg);
    if (ok)
        ok = hnb_tls_config_from_scenario(&t->cfg, sc, error);
    if (ok)
        ok = (t->engine = hnb_tls_engine_new(t->pki, &t->cfg, NULL, error)) != NULL;
    return ok;
}

/* A pool thread's contexts: the TLS engine's, and the IKE engine's when there is one. */
typedef struct {
    void *tls, *ike;
} ThreadCtx;

static void *thread_init(void *ud)
{
    HnbAcsTls *t = ud;
    ThreadCtx *c = g_new0(ThreadCtx, 1);
    c->tls = hnb_tls_thread_init(t->engine);
    if (t->ike)
        c->ike = hnb_ike_thread_init(t->ike);
    return c;
}

static void thread_free(void *thread_ctx)
{
    ThreadCtx *c = thread_ctx;
    hnb_tls_thread_free(c->tls);
    if (c->ike)
        hnb_ike_thread_free(c->ike);
    g_free(c);
}

static void tls_job_run(void *job, void *thread_ctx)
{
    hnb_tls_job_run(job, ((ThreadCtx *)thread_ctx)->tls);
}

void hnb_acs_tls_ike_run(void *ike_job, void *thread_ctx)
{
    hnb_ike_job_run(ike_job, ((ThreadCtx *)thread_ctx)->ike);
}

HnbAcsTls *hnb_acs_tls_new(const HnbScenario *sc, const HnbAcsTlsParams *p, GError **error)
{
    HnbAcsTls *t = g_new0(HnbAcsTls, 1);
    t->p = *p;
    if (!engine_new(t, sc, error) ||
        (p->ike && !(t->ike = hnb_ike_engine_new(t->pki, p->dh_group ? p->dh_group : HNB_IKE_DH_DEFAULT, NULL,
                                                 error)))) {
        hnb_acs_tls_free(t);
        return NULL;
    }
    t->pool = hnb_pool_new(p->threads, 8, thread_init, thread_free, t);
    if (p->fidelity.one_in == 1)
        t->kept = g_new0(HnbTlsSession *, p->hnbs);
    else
        t->kept_map = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                            (GDestroyNotify)hnb_tls_session_free);
    t->parked = g_ptr_array_new_with_free_func((GDestroyNotify)hnb_tls_session_free);
    t->ahead = p->threads > 0 && p->fidelity.one_in == 1;
    if (t->ahead) {
        t->spec = g_new0(Spec *, p->hnbs);
        t->spec_chunks = g_ptr_array_new_with_free_func(g_free);
        collect_bounds(t);
    }
    t->jobs = g_new0(HnbTlsJob, p->workers);
    t->free_jobs = g_new(uint32_t, p->workers);
    for (int64_t k = p->workers; k-- > 0;)
        t->free_jobs[t->nfree++] = (uint32_t)k;
    return t;
}

void hnb_acs_tls_free(HnbAcsTls *t)
{
    if (!t)
        return;
    if (t->spec) {
        for (uint32_t i = 0; i < t->p.hnbs; i++)
            spec_discard(t, i); /* before the pool is freed, which would run them */
        g_debug("fleet tls: %" G_GUINT64_FORMAT " handshakes run ahead and adopted, %" G_GUINT64_FORMAT
                " discarded (%" G_GUINT64_FORMAT " of them after they ran)",
                t->spec_adopted, t->spec_discarded, t->spec_wasted);
    }
    if (t->pki) {
        HnbPkiStats st;
        hnb_pki_stats(t->pki, &st);
        g_debug("fleet tls: PKI credentials %u read, %u made, %u parsed ones let go", st.devices_loaded,
                st.devices_generated, st.parsed_dropped);
    }
    if (t->pool)
        hnb_pool_free(t->pool); /* runs and waits for anything still queued */
    if (t->kept)
        for (uint32_t i = 0; i < t->p.hnbs; i++)
            hnb_tls_session_free(t->kept[i]);
    g_free(t->kept);
    if (t->kept_map)
        g_hash_table_destroy(t->kept_map);
    if (t->parked)
        g_ptr_array_free(t->parked, TRUE);
    if (t->jobs)
        for (int64_t k = 0; k < t->p.workers; k++)
            hnb_tls_session_free(t->jobs[k].session);
    g_free(t->jobs);
    g_free(t->free_jobs);
    g_free(t->spec);
    if (t->spec_chunks)
        g_ptr_array_free(t->spec_chunks, TRUE);
    hnb_ike_engine_free(t->ike); /* after the pool: its threads' IKE contexts */
    hnb_tls_engine_free(t->engine);
    hnb_tls_config_clear(&t->cfg);
    hnb_pki_free(t->pki);
    g_clear_error(&t->error);
    g_free(t);
}

gboolean hnb_acs_tls_error(HnbAcsTls *t, GError **error)
{
    if (t->error) {
        g_propagate_error(error, g_steal_pointer(&t->error));
        return FALSE;
    }
    return TRUE;
}

HnbPool *hnb_acs_tls_pool(HnbAcsTls *t)
{
    return t->pool;
}

HnbIkeEngine *hnb_acs_tls_ike(HnbAcsTls *t)
{
    return t->ike;
}

const HnbPki *hnb_acs_tls_pki(const HnbAcsTls *t)
{
    return t->pki;
}

void hnb_acs_tls_forget(HnbAcsTls *t, uint32_t i)
{
    if (t->spec)
        spec_discard(t, i); /* it offered the session being forgotten */
    HnbTlsSession *s = kept_get(t, i);
    if (s) {
        g_ptr_array_add(t->parked, s);
        if (t->kept)
            t->kept[i] = NULL;
        else
            g_hash_table_steal(t->kept_map, GUINT_TO_POINTER(i));
    }
}

static uint32_t job_flags(gboolean recovery)
{
    return recovery ? HNB_TLS_JOB_RECOVERY_CERT : 0;
}

void hnb_acs_tls_submit(HnbAcsTls *t, HnbAcsHandshake *hs, uint32_t i, HnbTime hnb_clock, HnbTime acs_time,
                        gboolean resume, gboolean recovery)
{
    recovery = recovery != 0; /* an index */
    uint32_t flags = job_flags(recovery);
    hs->recovery = recovery;
    if (t->tls_sessions[recovery]++ % t->p.fidelity.one_in != 0) {
        hs->sampled = TRUE;
        return;
    }
    const HnbTlsSession *offer = resume ? kept_get(t, i) : NULL;
    hs->acs_time = acs_time;
    Spec *sp = t->spec ? t->spec[i] : NULL;
    if (sp) {
        if (spec_fits(t, sp, offer, hnb_clock, acs_time, flags)) {
            t->spec[i] = NULL;
            hs->real = TRUE;
            hs->ahead = TRUE;
            hs->job = sp;
            hs->ticket = sp->ticket;
            t->in_flight++;
            t->spec_adopted++;
            return;
        }
        spec_discard(t, i);
    }
    g_assert(t->nfree > 0); /* one job per busy worker */
    uint32_t k = t->free_jobs[--t->nfree];
    HnbTlsJob *job = &t->jobs[k];
    hnb_tls_job_init(job, t->engine, i, hnb_clock, acs_time, offer);
    job->flags = flags;
    hs->real = TRUE;
    hs->ahead = FALSE;
    hs->job = job;
    hs->ticket = hnb_pool_submit(t->pool, tls_job_run, job);
    t->in_flight++;
}

gboolean hnb_acs_tls_runs_ahead(const HnbAcsTls *t)
{
    return t && t->ahead;
}

void hnb_acs_tls_prefetch(HnbAcsTls *t, uint32_t i, HnbTime at, HnbTime hnb_clock, gboolean has_session,
                          gboolean recovery)
{
    uint32_t flags = job_flags(recovery);
    if (!hnb_acs_tls_runs_ahead(t))
        return;
    if (at > t->p.duration)
        return; /* the run ends first: it would be work for nothing */
    const HnbTlsSession *offer = t->p.resumption && has_session ? kept_get(t, i) : NULL;
    Spec *sp = t->spec[i];
    if (sp) {
        if (spec_fits(t, sp, offer, hnb_clock, at, flags))
            return; /* the one already running ahead will do */
        spec_discard(t, i);
    }
    sp = spec_alloc(t);
    hnb_tls_job_init(&sp->job, t->engine, i, hnb_clock, at, offer);
    sp->job.flags = flags;
    sp->ticket = hnb_pool_submit(t->pool, tls_job_run, &sp->job);
    t->spec[i] = sp;
}

static void finish_job(HnbAcsTls *t, HnbAcsHandshake *hs)
{
    /* joined or abandoned once: a worker still busy with the session's CWMP exchange when the run ends must not be
     * abandoned again (its ticket's batch may be recycled, its job slot would be freed twice) */
    hs->real = FALSE;
    if (hs->ahead)
        spec_release(t, hs->job);
    else
        t->free_jobs[t->nfree++] = (uint32_t)((HnbTlsJob *)hs->job - t->jobs);
    if (--t->in_flight == 0 && t->parked->len > 0)
        g_ptr_array_set_size(t->parked, 0); /* nothing can read them any more */
}

HnbHsOutcome hnb_acs_tls_join(HnbAcsTls *t, HnbAcsHandshake *hs, gboolean *resumed)
{
    if (hs->sampled) {
        *resumed = FALSE;
        return t->last_real[hs->recovery];
    }
    HnbTlsJob *job = hs->ahead ? &((Spec *)hs->job)->job : hs->job;
    hnb_pool_join(t->pool, hs->ticket);
    uint32_t i = job->hnb;
    HnbHsOutcome out = job->reason;
    *resumed = job->resumed;
    t->last_real[hs->recovery] = out;
    if (job->session) {
        if (hs->ahead && !job->resumed) /* made by a full handshake: it dates from the real one */
            hnb_tls_session_set_created(job->session, hs->acs_time);
        HnbTlsSession *old = kept_get(t, i);
        if (t->spec && t->spec[i] && old && t->spec[i]->job.resume == old)
            spec_discard(t, i); /* it reads the session about to be freed */
        /* the HNB keeps the new session, unless it has rebooted since (its kept slot was cleared meanwhile) */
        if (t->kept) {
            hnb_tls_session_free(old);
            t->kept[i] = job->session;
        } else {
            g_hash_table_insert(t->kept_map, GUINT_TO_POINTER(i), job->session); /* frees the old one */
        }
        job->session = NULL;
    }
    finish_job(t, hs);
    return out;
}

void hnb_acs_tls_abandon(HnbAcsTls *t, HnbAcsHandshake *hs)
{
    if (!hs->real)
        return;
    HnbTlsJob *job = hs->ahead ? &((Spec *)hs->job)->job : hs->job;
    hnb_pool_join(t->pool, hs->ticket);
    hnb_tls_session_free(job->session);
    job->session = NULL;
    finish_job(t, hs);
}
