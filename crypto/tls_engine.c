/* crypto/tls_engine.c — the handshake engine: both ends of every TLS session of a fleet in one process, run as
 * worker-pool jobs.  A job takes its thread's client/server SSL pair (kept from the thread's last successful
 * handshake, or new), sets the HNB's certificate and clock and the ACS's time, offers the HNB's kept session, drives
 * the handshake (tls_drive.c), applies the ACS's identity rule (TS 33.320 clause 8.3.4) and keeps the new session.
 *
 * Context modes (shared or per-thread SSL_CTX pairs): measured, see the comment above hnb_tls_thread_init().
 */
#include "crypto/libctx.h"
#include "crypto/tls_private.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/rand.h>

struct HnbTlsEngine {
    HnbPki *pki;
    HnbTlsConfig acs, hnb;
    HnbTlsCtxMode mode;
    SSL_CTX *server, *client; /* shared pair (also the configuration check) */
    X509_STORE *recovery_store; /* the shared pair's recovery trust (tls_recovery_store) */
    unsigned char ticket_keys[80]; /* name(16) + HMAC(32) + AES(32): the same in every per-thread context */
};

typedef struct {
    HnbTlsEngine *engine;
    OSSL_LIB_CTX *libctx; /* the thread's own library context (NULL: the default one, shared) */
    SSL_CTX *server, *client;
    X509_STORE *recovery_store; /* the ACS's trust in recovery sessions, set on the server SSL of recovery jobs */
    /* The client/server pair of the thread's last successful handshake, joined by their BIO pair and reset with
     * SSL_clear for the next job (NULL: none kept; the next job makes a new pair).  See pair_get(). */
    SSL *kept_client, *kept_server;
} ThreadCtx;

static gboolean thread_ctx_build(ThreadCtx *tc, HnbTlsEngine *e, OSSL_LIB_CTX *libctx, GError **error)
{
    tc->engine = e;
    if (!(tc->server = hnb_tls_server_ctx_new(&e->acs, e->pki, libctx, error)) ||
        !(tc->client = hnb_tls_client_ctx_new(&e->hnb, e->pki, libctx, error)) ||
        !(tc->recovery_store = tls_recovery_store(e->pki, error)))
        return FALSE;
    if (e->acs.resumption == HNB_TLS_RESUME_TICKETS &&
        SSL_CTX_set_tlsext_ticket_keys(tc->server, e->ticket_keys, sizeof e->ticket_keys) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "ticket keys");
        return FALSE;
    }
    return TRUE;
}

HnbTlsEngine *hnb_tls_engine_new(HnbPki *pki, const HnbTlsConfig *acs, const HnbTlsConfig *hnb, GError **error)
{
    HnbTlsEngine *e = g_new0(HnbTlsEngine, 1);
    e->pki = pki;
    e->mode = HNB_TLS_CTX_PER_THREAD;
    hnb_tls_config_copy(&e->acs, acs);
    hnb_tls_config_copy(&e->hnb, hnb ? hnb : acs);
    if (RAND_bytes(e->ticket_keys, sizeof e->ticket_keys) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "RAND_bytes");
        hnb_tls_engine_free(e);
        return NULL;
    }
    ThreadCtx tc = {0};
    if (!thread_ctx_build(&tc, e, NULL, error)) {
        SSL_CTX_free(tc.server);
        SSL_CTX_free(tc.client);
        X509_STORE_free(tc.recovery_store);
        g_prefix_error(error, "TLS engine: ");
        hnb_tls_engine_free(e);
        return NULL;
    }
    e->server = tc.server;
    e->client = tc.client;
    e->recovery_store = tc.recovery_store;
    return e;
}

void hnb_tls_engine_free(HnbTlsEngine *e)
{
    if (!e)
        return;
    SSL_CTX_free(e->server);
    SSL_CTX_free(e->client);
    X509_STORE_free(e->recovery_store);
    hnb_tls_config_clear(&e->acs);
    hnb_tls_config_clear(&e->hnb);
    OPENSSL_cleanse(e->ticket_keys, sizeof e->ticket_keys);
    g_free(e);
}

void hnb_tls_engine_set_ctx_mode(HnbTlsEngine *e, HnbTlsCtxMode mode) { e->mode = mode; }
HnbPki *hnb_tls_engine_pki(HnbTlsEngine *e) { return e->pki; }

/* Per-thread library contexts: crypto/libctx.h (taken here, given back in hnb_tls_thread_free). */

/* Context modes.  Full handshakes per wall second (EC P-256 devices, RSA-2048 H(e)MS, TLS 1.2 AES128-SHA, both ends
 * in-process), `hnbsim calibrate --compare-ctx` on the 2-vCPU EPYC (OpenSSL 3.0.22) while other jobs loaded it
 * (load average ~2.5, so treat the numbers as rough):
 *   1 thread:  shared 995/s, per-thread 968/s (equal within noise)
 *   2 threads: shared 562/s, per-thread 794/s (+41%)
 * A shared pair does not scale (its locks and reference counts bounce between cores); per-thread pairs cost two
 * context builds per thread and are the default.
 *
 * Per-thread pairs also get their own OSSL_LIB_CTX: OpenSSL 3.0 takes a read lock on the library context's name
 * map, method store or provider for nearly every fetch, hundreds per handshake (~10% of a handshake's time in
 * pthread_rwlock_* on one thread, perf); in a shared context every one of them is an atomic on a cache line both
 * cores write.  A private context costs nothing measurable on one thread (14.10 M instructions per full handshake
 * with it, 14.09 M without, callgrind), and keys and certificates of the default context work in it (OpenSSL
 * exports a key to the thread's provider once and caches the export in the key). */
static void use_shared(ThreadCtx *tc, HnbTlsEngine *e)
{
    SSL_CTX_up_ref(e->server);
    SSL_CTX_up_ref(e->client);
    X509_STORE_up_ref(e->recovery_store);
    tc->server = e->server;
    tc->client = e->client;
    tc->recovery_store = e->recovery_store;
}

void *hnb_tls_thread_init(void *engine)
{
    HnbTlsEngine *e = engine;
    ThreadCtx *tc = g_new0(ThreadCtx, 1);
    tc->engine = e;
    if (e->mode == HNB_TLS_CTX_SHARED) {
        use_shared(tc, e);
        return tc;
    }
    g_autoptr(GError) error = NULL;
    tc->libctx = hnb_libctx_take();
    if (!tc->libctx)
        hnb_set_openssl_error(&error, HNB_ERROR_RUN, "OSSL_LIB_CTX_new");
    if (!tc->libctx || !thread_ctx_build(tc, e, tc->libctx, &error)) {
        /* the same configuration built once already in hnb_tls_engine_new: only resources can fail here */
        g_warning("TLS engine: per-thread context failed (%s); using the shared one", error->message);
        SSL_CTX_free(tc->server);
        SSL_CTX_free(tc->client);
        X509_STORE_free(tc->recovery_store);
        tc->recovery_store = NULL;
        hnb_libctx_give_back(g_steal_pointer(&tc->libctx));
        use_shared(tc, e);
    }
    return tc;
}

void hnb_tls_thread_free(void *thread_ctx)
{
    ThreadCtx *tc = thread_ctx;
    if (!tc)
        return;
    SSL_free(tc->kept_client);
    SSL_free(tc->kept_server);
    SSL_CTX_free(tc->server);
    SSL_CTX_free(tc->client);
    X509_STORE_free(tc->recovery_store);
    hnb_libctx_give_back(tc->libctx);
    g_free(tc);
}

void hnb_tls_job_init(HnbTlsJob *job, HnbTlsEngine *engine, uint32_t hnb, HnbTime hnb_clock, HnbTime acs_time,
                      const HnbTlsSession *resume)
{
    memset(job, 0, sizeof *job);
    job->engine = engine;
    job->hnb = hnb;
    job->hnb_clock = hnb_clock;
    job->acs_time = acs_time;
    job->resume = resume;
}

static void job_fail(HnbTlsJob *job, HnbTlsReason r, HnbTlsSide side, const char *detail)
{
    job->reason = r;
    job->side = side;
    if (detail)
        g_strlcpy(job->detail, detail, sizeof job->detail);
}

/* Reusing the SSL pair.  SSL_new copies the context's certificate set, verify parameters and cipher lists and
 * allocates the record buffers; SSL_free undoes all of it, and a BIO pair is two more 17 KiB buffers.  SSL_clear
 * instead resets one connection's state and keeps the rest, which SSL_clear(3) says is sound for a new connection
 * with a peer of the same settings — here the same two contexts every time.  Only the pair of a SUCCESSFUL handshake
 * is kept (a failure may leave state we would have to reason about), and what SSL_clear keeps that could leak into
 * the next job is reset explicitly (pair_put): the sessions, the client's certificate, the verify results.  The
 * outcome of a job therefore does not depend on what the thread ran before (tests/test-tls.c compares pooled runs
 * with fresh SSL objects per job). */
static gboolean pair_get(ThreadCtx *tc, SSL **client, SSL **server, GError **error)
{
    if (tc->kept_client) {
        *client = g_steal_pointer(&tc->kept_client);
        *server = g_steal_pointer(&tc->kept_server);
        return TRUE;
    }
    HnbTlsEngine *e = tc->engine;
    BIO *cb = NULL, *sb = NULL;
    SSL *c = SSL_new(tc->client), *s = SSL_new(tc->server);
    if (!c || !s || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "SSL_new");
        SSL_free(c);
        SSL_free(s);
        return FALSE;
    }
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    /* the H(e)MS name the HNB checks is the engine's, the same for every job: set once per pair */
    if (!hnb_tls_client_setup(c, NULL, e->hnb.hems_host ? e->hnb.hems_host : hnb_pki_params(e->pki)->hems_fqdn,
                              error)) {
        SSL_free(c);
        SSL_free(s);
        return FALSE;
    }
    *client = c;
    *server = s;
    return TRUE;
}

/* Keep the pair of a successful handshake (both ends marked shut down) for the thread's next job, or free it. */
static void pair_put(ThreadCtx *tc, SSL *client, SSL *server)
{
    gboolean ok = !tc->kept_client && BIO_ctrl_pending(SSL_get_rbio(client)) == 0 &&
                  BIO_ctrl_pending(SSL_get_rbio(server)) == 0;
    /* drop the sessions first (SSL_clear would keep them, and the client would offer its own next time) */
    ok = ok && SSL_set_session(client, NULL) == 1 && SSL_set_session(server, NULL) == 1;
    ok = ok && SSL_clear(client) == 1 && SSL_clear(server) == 1;
    if (!ok) {
        ERR_clear_error();
        SSL_free(client);
        SSL_free(server);
        return;
    }
    SSL_certs_clear(client); /* the next job sets its HNB's certificate, or none */
    SSL_set_cert_cb(client, NULL, NULL); /* nor may it call back into this job (pair_setup sets its own) */
    /* SSL_clear keeps the last verify result; a new SSL starts from X509_V_OK, and so does a reused one */
    SSL_set_verify_result(client, X509_V_OK);
    SSL_set_verify_result(server, X509_V_OK);
    SSL_set_ex_data(server, tls_job_index, NULL);
    tc->kept_client = client;
    tc->kept_server = server;
}

/* The HNB's certificate for this job into *cred (NULL: it sends none): its device credential, its recovery
 * credential in a recovery session, the other of the two with HNB_TLS_JOB_CROSS_CERT, the foreign CA's with
 * HNB_TLS_JOB_FOREIGN_CERT.  FALSE (job failed) if the PKI cannot make it. */
static gboolean device_cred(HnbTlsJob *job, const HnbTlsEngine *e, HnbPkiCred **cred)
{
    g_autoptr(GError) error = NULL;
    *cred = NULL;
    if ((job->flags & HNB_TLS_JOB_NO_CERT) || e->hnb.client_cert == HNB_TLS_CLIENT_CERT_NONE)
        return TRUE;
    gboolean recovery = ((job->flags & HNB_TLS_JOB_RECOVERY_CERT) != 0) != ((job->flags & HNB_TLS_JOB_CROSS_CERT) != 0);
    /* a reference for this job: the PKI keeps a bounded set of them parsed (pki.h, hnb_pki_device_ref) */
    *cred = job->flags & HNB_TLS_JOB_FOREIGN_CERT ? hnb_pki_cred_ref(hnb_pki_foreign_device(e->pki, job->hnb, &error))
                                                  : hnb_pki_device_ref(e->pki, job->hnb, recovery, &error);
    if (!*cred)
        job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_HNB, error->message);
    return *cred != NULL;
}

/* The HNB's side of a job, for its certificate callback. */
typedef struct {
    HnbTlsJob *job;
    const HnbTlsEngine *e;
    HnbPkiCred *cred; /* read when the H(e)MS asked for it; freed at the job's end */
    gboolean failed;  /* the credential could not be read or used: the job's outcome below, kept over tls_drive's */
    HnbTlsReason reason;
    HnbTlsSide side;
    char detail[sizeof ((HnbTlsJob *)0)->detail];
} HnbSide;

/* The HNB's certificate, read only when the H(e)MS asks for one: its CertificateRequest comes in a full handshake
 * (RFC 5246 §7.4.4), and an abbreviated one carries no certificates (§7.3), so a resumed session never reads its
 * HNB's credential — most of a fleet's sessions, whose credentials the PKI need not keep parsed (pki.h,
 * hnb_pki_device_ref).  Which credential, and what a failure gives, is device_cred's, as before it was deferred. */
static int hnb_cert_cb(SSL *ssl, void *arg)
{
    HnbSide *h = arg;
    if (h->cred || h->failed) /* once a handshake; nothing new if asked again */
        return !h->failed;
    if (device_cred(h->job, h->e, &h->cred)) {
        g_autoptr(GError) error = NULL;
        if (!h->cred || hnb_tls_client_setup(ssl, h->cred, NULL, &error))
            return 1; /* its certificate, or none */
        job_fail(h->job, HNB_TLS_OTHER, HNB_TLS_SIDE_HNB, error->message);
    }
    h->failed = TRUE;
    h->reason = h->job->reason;
    h->side = h->job->side;
    g_strlcpy(h->detail, h->job->detail, sizeof h->detail);
    return 0;
}

/* Set up the pair for this job: the HNB's certificate and the H(e)MS name it checks, the job data the server's
 * session callbacks see, the kind of session at the ACS (a recovery job's trust, CA list and session id context, or
 * the context's: set on every job, since the pair is reused across jobs of both kinds), each end's clock (the HNB's
 * local clock: §8.3.4 / §6.3.1), and after a renewal the H(e)MS certificate in use at the ACS's time (set on every
 * job for the same reason).  FALSE (job failed) on an OpenSSL failure. */
static gboolean pair_setup(HnbTlsJob *job, const ThreadCtx *tc, SSL *client, SSL *server, HnbSide *hnb, Run *run)
{
    g_autoptr(GError) error = NULL;
    const HnbTlsEngine *e = tc->engine;
    const char *host = e->hnb.hems_host ? e->hnb.hems_host : hnb_pki_params(e->pki)->hems_fqdn;
    X509_STORE *kind = job->flags & HNB_TLS_JOB_RECOVERY_CERT ? tc->recovery_store : NULL;
    SSL_set_cert_cb(client, hnb_cert_cb, hnb); /* its certificate when the H(e)MS asks (hnb_cert_cb) */
    if (!hnb_tls_client_setup(client, NULL, host, &error) || !SSL_set_ex_data(server, tls_job_index, run) ||
        !tls_server_session_kind(server, e->pki, kind)) {
        if (!error)
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "H(e)MS session set-up");
        job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_NONE, error->message);
        return FALSE;
    }
    hnb_tls_set_time(client, e->pki, job->hnb_clock);
    hnb_tls_set_time(server, e->pki, job->acs_time);
    if (hnb_pki_hems_renewed(e->pki)) {
        const HnbPkiCred *hems = hnb_pki_hems_at(e->pki, job->acs_time);
        if (SSL_use_cert_and_key(server, hems->cert, hems->key, hems->chain, 1) != 1) {
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_use_cert_and_key");
            job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_ACS, error->message);
            return FALSE;
        }
    }
    return TRUE;
}

/* The kept session the HNB offers: none if either end has resumption off, if it is as old as the HNB's simulated
 * session_lifetime, or if it holds no client session. */
static const HnbTlsSession *session_to_offer(const HnbTlsJob *job, const HnbTlsEngine *e)
{
    const HnbTlsSession *offer = job->resume;
    if (offer && (e->acs.resumption == HNB_TLS_RESUME_NONE || e->hnb.resumption == HNB_TLS_RESUME_NONE ||
                  job->acs_time - offer->created >= e->hnb.session_lifetime || !offer->client))
        return NULL;
    return offer;
}

/* Offer `offer` on the client (a copy: the handle may be shared by jobs in flight).  FALSE (job failed) on failure. */
static gboolean offer_session(HnbTlsJob *job, SSL *client, const HnbTlsSession *offer)
{
    SSL_SESSION *copy = tls_der_session(offer->client);
    int ok = copy && SSL_set_session(client, copy) == 1;
    SSL_SESSION_free(copy);
    if (!ok) {
        g_autoptr(GError) error = NULL;
        hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_set_session");
        job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_HNB, error->message);
    }
    return ok;
}

/* The ACS authenticates the HNB by the identity in its certificate (§8.3.4); a session resumed from the ACS's copy
 * (kept without the certificate) by the identity that copy was authenticated with.  *identity gets the identity the
 * ACS authenticated (caller frees).  FALSE (job failed, side ACS) if it does not match the claimed DeviceId. */
static gboolean authorize_hnb(HnbTlsJob *job, const HnbTlsEngine *e, SSL *server, const HnbTlsSession *offer,
                              char **identity)
{
    char oui[7], serial[11];
    hnb_pki_device_id(e->pki, job->hnb, oui, serial);
    const char *claim_oui = job->oui ? job->oui : oui, *claim_serial = job->serial ? job->serial : serial;
    X509 *peer = SSL_get0_peer_certificate(server);
    HnbTlsReason r;
    if (!peer && SSL_session_reused(server) && offer && offer->identity) {
        g_autofree char *claim = hnb_pki_claimed_identity(claim_oui, claim_serial, hnb_pki_params(e->pki)->realm);
        r = claim && g_ascii_strcasecmp(offer->identity, claim) == 0 ? HNB_TLS_OK : HNB_TLS_IDENTITY_MISMATCH;
        *identity = g_strdup(offer->identity);
    } else {
        r = hnb_tls_authorize(peer, e->pki, claim_oui, claim_serial, identity);
    }
    if (r != HNB_TLS_OK)
        job_fail(job, r, HNB_TLS_SIDE_ACS,
                 r == HNB_TLS_NO_CLIENT_CERT ? "no client certificate"
                                             : "the CWMP DeviceId does not match the certificate identity");
    return r == HNB_TLS_OK;
}

/* What the HNB keeps after a successful handshake with resumption on: its session and, for session IDs, the ACS's
 * new copy (or, after a resumption, the copy it resumed), both without the peer's certificate, dated from the full
 * handshake that made them.  Takes *identity.  NULL if nothing can be kept (out of memory, or an encoding OpenSSL
 * rejects). */
static HnbTlsSession *session_to_keep(const HnbTlsJob *job, const HnbTlsEngine *e, SSL *client,
                                      const HnbTlsSession *offer, const Run *run, char **identity)
{
    HnbTlsSession *s = g_new0(HnbTlsSession, 1);
    SSL_SESSION *got = SSL_get1_session(client);
    /* encoded without the certificate (after a resumption it is a copy of the offer, which has none) */
    s->client = got ? tls_der_of(got) : NULL;
    SSL_SESSION_free(got);
    s->created = job->resumed ? offer->created : job->acs_time;
    s->identity = g_steal_pointer(identity);
    if (e->acs.resumption == HNB_TLS_RESUME_IDS) {
        if (run->new_server)
            s->server = tls_der_of(run->new_server);
        else if (job->resumed && offer->server)
            s->server = tls_der_ref(offer->server);
    }
    if (!s->client || (e->acs.resumption == HNB_TLS_RESUME_IDS && run->new_server && !s->server)) {
        hnb_tls_session_free(s);
        return NULL;
    }
    return s;
}

static void run_handshake(HnbTlsJob *job, ThreadCtx *tc)
{
    HnbTlsEngine *e = tc->engine;
    Run run = {NULL, NULL};
    SSL *client = NULL, *server = NULL;
    HnbSide hnb = {.job = job, .e = e}; /* its credential, read when asked for (freed at out) */
    char *identity = NULL; /* the ACS authenticated (freed at out: every path reaches it) */
    g_autoptr(GError) error = NULL;

    if (!pair_get(tc, &client, &server, &error)) {
        job_fail(job, HNB_TLS_OTHER, HNB_TLS_SIDE_NONE, error->message);
        goto out;
    }
    if (!pair_setup(job, tc, client, server, &hnb, &run))
        goto out;
    const HnbTlsSession *offer = session_to_offer(job, e);
    if (offer) {
        run.resume = offer;
        if (!offer_session(job, client, offer))
            goto out;
    }
    ERR_clear_error();
    if (!tls_drive(client, server, &job->reason, &job->side, job->detail, sizeof job->detail,
                   job->flags & HNB_TLS_JOB_MEASURE_ACS ? &job->acs_cpu_ns : NULL)) {
        if (hnb.failed) /* the HNB had no credential to send: that, not the alert it caused, is the outcome */
            job_fail(job, hnb.reason, hnb.side, hnb.detail);
        goto out;
    }
    if (e->acs.client_cert != HNB_TLS_CLIENT_CERT_NONE && !authorize_hnb(job, e, server, offer, &identity))
        goto out;
    job->reason = HNB_TLS_OK;
    job->side = HNB_TLS_SIDE_NONE;
    job->resumed = SSL_session_reused(client) && SSL_session_reused(server);
    job->version = SSL_version(client);
    job->cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(client));
    if (e->acs.resumption != HNB_TLS_RESUME_NONE && e->hnb.resumption != HNB_TLS_RESUME_NONE)
        job->session = session_to_keep(job, e, client, offer, &run, &identity);
    /* the resumption trap: an SSL freed without being marked shut down takes its session out of the cache and
     * marks it not resumable */
    SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    pair_put(tc, g_steal_pointer(&client), g_steal_pointer(&server));
out:
    SSL_SESSION_free(run.new_server);
    SSL_free(client); /* a failed handshake's pair is not reused */
    SSL_free(server);
    g_free(identity);
    hnb_pki_cred_free(hnb.cred);
    ERR_clear_error();
}

void hnb_tls_job_run(void *vjob, void *thread_ctx)
{
    HnbTlsJob *job = vjob;
    uint64_t t0 = tls_thread_cpu_ns();
    job->reason = HNB_TLS_OTHER;
    job->side = HNB_TLS_SIDE_NONE;
    job->resumed = FALSE;
    job->session = NULL;
    job->version = 0;
    job->cipher = NULL;
    job->detail[0] = '\0';
    job->acs_cpu_ns = 0;
    run_handshake(job, thread_ctx);
    job->cpu_ns = tls_thread_cpu_ns() - t0;
}

void hnb_tls_job_run_once(HnbTlsJob *job)
{
    void *tc = hnb_tls_thread_init(job->engine);
    hnb_tls_job_run(job, tc);
    hnb_tls_thread_free(tc);
}
