/* models/acs_tls.h — the ACS's link to the TLS engine: one real OpenSSL handshake per TLS session (or one in N with
 * [tls] fidelity = sampled:N), run in the worker pool between the ACS's submit and join events; the HNBs' kept
 * sessions; handshakes run ahead of time.  It also owns the run's PKI and worker pool, which secure boot borrows, and
 * (with `ike`) the IKEv2 engine whose jobs the SeGW's set-ups run in that pool (models/segw_ike.h).
 *
 * Lifetime: new before the other parts, free after the ACS (which abandons the handshakes still in flight) and before
 * secure boot (freeing the pool runs the image checks still queued, which read secure boot's image).
 */
#ifndef HNB_ACS_TLS_H
#define HNB_ACS_TLS_H

#include "crypto/ike_job.h"
#include "crypto/pki.h"
#include "models/fleet.h"
#include "sim/pool.h"
#include "sim/scenario.h"

/* [tls] fidelity */
typedef enum {
    HNB_FIDELITY_FULL,    /* every TLS session is a real handshake */
    HNB_FIDELITY_SAMPLED, /* one in `one_in` is; the others take the outcome of the latest real one */
} HnbFidelityKind;

typedef struct {
    HnbFidelityKind kind;
    unsigned one_in; /* 1 with full */
} HnbTlsFidelity;

/* "full" or "sampled:N" (1 <= N <= 1e9); FALSE when malformed. */
gboolean hnb_tls_fidelity_parse(const char *text, HnbTlsFidelity *out);

typedef struct {
    uint32_t hnbs;          /* [fleet] size: HNB ids are 0..hnbs-1 */
    int64_t workers;        /* [acs] workers: at most this many handshakes in flight */
    HnbTlsFidelity fidelity;
    gboolean resumption;    /* [tls] resumption is not none */
    unsigned threads;       /* pool threads (0: jobs run in the kernel's thread at the join) */
    HnbTime duration;       /* nothing is run ahead for sessions after the end of the run */
    gboolean ike;           /* [hems] reach = segw: an IKEv2 engine too, and IKE thread contexts in the pool */
    int dh_group;           /* its (EC)DH group ([segw] dh_group, crypto/ike_job.h; 0: HNB_IKE_DH_DEFAULT) */
} HnbAcsTlsParams;

typedef struct HnbAcsTls HnbAcsTls;

/* What the ACS keeps of one handshake between submit and join (embedded in its worker). */
typedef struct {
    gboolean real;    /* a real handshake was submitted to the pool */
    gboolean sampled; /* not run: takes the outcome of the latest real handshake of its kind */
    gboolean ahead;   /* the job was run ahead of time (hnb_acs_tls_prefetch) */
    gboolean recovery; /* its kind: the HNB presents its recovery certificate (a golden module, [golden] credential
                          = recovery); sampled ones take the latest real outcome of the same kind */
    HnbTime acs_time; /* when the ACS runs it */
    uint64_t ticket;
    void *job;        /* an HnbTlsJob of the part's, or its run-ahead wrapper when `ahead` */
} HnbAcsHandshake;

gboolean hnb_acs_tls_resumption(const HnbScenario *sc); /* does the ACS offer resumption ([tls] resumption) */

/* The PKI and the TLS configuration from the scenario's [pki] and [tls] groups, an engine and a pool.  NULL with the
 * error (PKI generation, a bad configuration). */
HnbAcsTls *hnb_acs_tls_new(const HnbScenario *sc, const HnbAcsTlsParams *p, GError **error);
void hnb_acs_tls_free(HnbAcsTls *t);
/* A failure of the engine itself (not a handshake outcome) during the run: FALSE with the error. */
gboolean hnb_acs_tls_error(HnbAcsTls *t, GError **error);

HnbPool *hnb_acs_tls_pool(HnbAcsTls *t);
/* The IKEv2 engine (NULL without params.ike), and the function that runs an HnbIkeJob of it in this pool (the pool's
 * threads carry a TLS and an IKE context each). */
HnbIkeEngine *hnb_acs_tls_ike(HnbAcsTls *t);
void hnb_acs_tls_ike_run(void *ike_job, void *thread_ctx);
const HnbPki *hnb_acs_tls_pki(const HnbAcsTls *t);

/* HNB i loses its kept TLS session (reboot, power loss). */
void hnb_acs_tls_forget(HnbAcsTls *t, uint32_t i);

/* HNB i starts a handshake: its clock says hnb_clock (validity of the H(e)MS certificate is checked against it), the
 * ACS's says acs_time; resume: the HNB offers its kept session; recovery: it authenticates with its recovery
 * certificate, not its device certificate (crypto/tls_engine.h HNB_TLS_JOB_RECOVERY_CERT).  Sets hs->real or
 * hs->sampled.  With sampled:N each kind is sampled apart: the first of each kind is real. */
void hnb_acs_tls_submit(HnbAcsTls *t, HnbAcsHandshake *hs, uint32_t i, HnbTime hnb_clock, HnbTime acs_time,
                        gboolean resume, gboolean recovery);
/* Does prefetch do anything (worker threads and full fidelity)?  Callers skip computing its inputs when not. */
gboolean hnb_acs_tls_runs_ahead(const HnbAcsTls *t);
/* HNB i will open a TLS session at `at` (its clock then reading hnb_clock; has_session: it may resume): start its
 * handshake in the pool now, so that the worker threads have work while the kernel runs events.  The submit of HNB
 * i's next session adopts the job if its inputs are equivalent (see acs_tls.c), else the job is discarded and the
 * handshake runs as usual; results are the same either way.  Does nothing unless hnb_acs_tls_runs_ahead. */
void hnb_acs_tls_prefetch(HnbAcsTls *t, uint32_t i, HnbTime at, HnbTime hnb_clock, gboolean has_session,
                          gboolean recovery);
HnbHsOutcome hnb_acs_tls_join(HnbAcsTls *t, HnbAcsHandshake *hs, gboolean *resumed);
void hnb_acs_tls_abandon(HnbAcsTls *t, HnbAcsHandshake *hs); /* the run ends with it in flight */

#endif
