/* crypto/tls_engine.h — the in-memory handshake engine: both ends of a TLS session in one process (memory BIOs), run
 * as worker-pool jobs on the §8.3.4 contexts of crypto/tls.h; the sessions an HNB keeps between CWMP sessions; and
 * sessions with local maintenance tools.  Determinism and verification: see crypto/tls.h.
 *
 * API FROZEN (moved from crypto/tls.h unchanged) */
#ifndef HNB_TLS_ENGINE_H
#define HNB_TLS_ENGINE_H

#include "crypto/tls.h"

/* ---- the handshake engine ------------------------------------------------------------------------------------- */

typedef struct HnbTlsEngine HnbTlsEngine;

/* How worker threads get their contexts (for measurement; the default is the measured best). */
typedef enum {
    HNB_TLS_CTX_SHARED,     /* one SSL_CTX per side for all threads */
    HNB_TLS_CTX_PER_THREAD, /* each thread builds its own pair (default) */
} HnbTlsCtxMode;

/* acs: the H(e)MS's profile; hnb: the HNBs' (NULL: the same as acs).  The engine borrows pki (must outlive it). */
HnbTlsEngine *hnb_tls_engine_new(HnbPki *pki, const HnbTlsConfig *acs, const HnbTlsConfig *hnb, GError **error);
void hnb_tls_engine_free(HnbTlsEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbTlsEngine, hnb_tls_engine_free)
void hnb_tls_engine_set_ctx_mode(HnbTlsEngine *engine, HnbTlsCtxMode mode); /* before any thread_init */
HnbPki *hnb_tls_engine_pki(HnbTlsEngine *engine);

/* Pool hooks: hnb_pool_new(threads, batch, hnb_tls_thread_init, hnb_tls_thread_free, engine), then submit
 * hnb_tls_job_run with an HnbTlsJob. */
void *hnb_tls_thread_init(void *engine);
void hnb_tls_thread_free(void *thread_ctx);
void hnb_tls_job_run(void *job, void *thread_ctx);

/* What an HNB keeps between sessions (its TLS session and, for session IDs, the ACS's copy).  Owned by the caller;
 * free it when the HNB reboots or loses power.  NULL is "no session". */
typedef struct HnbTlsSession HnbTlsSession;
void hnb_tls_session_free(HnbTlsSession *s);
HnbTime hnb_tls_session_created(const HnbTlsSession *s); /* ACS time of the full handshake that made it */
/* A copy of session s without the peer's certificate (crypto/tls_session.c: what a kept session needs, which keeps it
 * encoded: a few hundred bytes with session IDs instead of ~7 KB decoded with the certificate), or NULL on failure.
 * s is not changed. */
SSL_SESSION *hnb_tls_session_strip_peer(SSL_SESSION *s);
/* For a job run ahead of time (models/acs_tls.c): the session dates from when the handshake is deemed to happen. */
void hnb_tls_session_set_created(HnbTlsSession *s, HnbTime t);

/* Test knobs (job flags). */
enum {
    HNB_TLS_JOB_FOREIGN_CERT = 1 << 0, /* the HNB presents a certificate from the foreign CA */
    HNB_TLS_JOB_NO_CERT = 1 << 1,      /* the HNB presents no certificate */
    HNB_TLS_JOB_MEASURE_ACS = 1 << 2,  /* fill acs_cpu_ns (two clock syscalls per server step: ~5% of a handshake) */
    /* A recovery session (the golden module's, crypto/pki.h "Recovery"): the HNB's client certificate is its recovery
     * credential (hnb_pki_recovery_device), and the ACS verifies it against the recovery CA and the recovery CRL
     * (X509_V_FLAG_CRL_CHECK) instead of the manufacturer CA and its CRL, then applies the same identity rule
     * (hnb_tls_authorize against the claimed DeviceId).  Jobs without the flag trust the manufacturer CA only, so each
     * credential is accepted only for its kind of session (the other fails as unknown_ca at the ACS).  Resumption
     * never crosses kinds: a recovery session has a session id context of its own at the ACS, so a kept session of
     * the other kind, if offered, gets a full handshake (resumed FALSE) with the certificate check of this job's
     * kind. */
    HNB_TLS_JOB_RECOVERY_CERT = 1 << 3,
    /* Test knob: the HNB presents its credential of the other kind (its recovery credential in a normal session, its
     * device credential in a recovery one).  FOREIGN_CERT and NO_CERT win over it. */
    HNB_TLS_JOB_CROSS_CERT = 1 << 4,
};

typedef struct {
    /* inputs */
    HnbTlsEngine *engine;
    uint32_t hnb;                 /* HNB index: its device (or recovery) certificate */
    HnbTime hnb_clock;            /* the HNB's local clock (ns since the epoch) — H(e)MS cert validity */
    HnbTime acs_time;             /* simulated time at the ACS — device cert validity, session age */
    const HnbTlsSession *resume;  /* session to offer, or NULL; read only, may be shared by several jobs in flight */
    const char *oui, *serial;     /* claimed CWMP DeviceId; NULL: the HNB's own */
    uint32_t flags;               /* HNB_TLS_JOB_* */
    /* outputs */
    HnbTlsReason reason;
    HnbTlsSide side;
    gboolean resumed;             /* both ends report SSL_session_reused */
    HnbTlsSession *session;       /* on success with resumption on: the session to keep (caller frees); else NULL */
    int version;                  /* negotiated protocol (0 on failure) */
    const char *cipher;           /* negotiated suite (static string) or NULL */
    uint64_t cpu_ns;              /* CLOCK_THREAD_CPUTIME_ID spent in the job */
    char detail[160];             /* OpenSSL's words on failure ("" if ok) */
    uint64_t acs_cpu_ns;          /* with HNB_TLS_JOB_MEASURE_ACS: the part of cpu_ns spent in the ACS's
                                     SSL_do_handshake calls (the server's cost); else 0 */
} HnbTlsJob;

/* Fill the inputs (outputs zeroed). */
void hnb_tls_job_init(HnbTlsJob *job, HnbTlsEngine *engine, uint32_t hnb, HnbTime hnb_clock, HnbTime acs_time,
                      const HnbTlsSession *resume);
/* Run one job in the calling thread with a private thread ctx (tests, tools). */
void hnb_tls_job_run_once(HnbTlsJob *job);

/* ---- local maintenance tools ---------------------------------------------------------------------------------- */

/* A session between HNB `hnb` (client, its device certificate) and a local maintenance tool acting as its H(e)MS
 * (server: `tool`, from hnb_pki_tool, with the tool CA in its chain).  The HNB checks the tool's chain to the operator
 * root, its name against `host` (hnb_pki_tool_host of the HNB's region: a tool scoped elsewhere fails as
 * hostname_mismatch), its validity against hnb_clock (expired, not_yet_valid) and, unlike an H(e)MS session, the tool
 * CA's CRL it holds (`crl`, X509_V_FLAG_CRL_CHECK: revoked).  The tool checks the device chain, the device CRL and
 * the identity as the H(e)MS does.  Protocol versions and suites per cfg.  Runs in the calling thread with contexts
 * of its own (the fleet's engine is not involved); a pure function of its inputs. */
typedef struct {
    /* inputs */
    HnbPki *pki;
    const HnbTlsConfig *cfg;
    const HnbPkiCred *tool;
    X509_CRL *crl;          /* the tool CA's CRL as the HNB last fetched it (NULL: no CRL check) */
    const char *host;       /* the scope name the HNB expects */
    uint32_t hnb;
    HnbTime hnb_clock;      /* the HNB's clock: the tool certificate's validity */
    HnbTime tool_time;      /* the tool's clock: the device certificate's validity */
    /* outputs */
    HnbTlsReason reason;
    HnbTlsSide side;        /* HNB_TLS_SIDE_HNB: the HNB refused the tool; HNB_TLS_SIDE_ACS: the tool refused */
    char detail[160];
} HnbTlsToolJob;
void hnb_tls_tool_job_run(HnbTlsToolJob *job);

#endif
