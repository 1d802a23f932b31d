/* models/acs_tls.h — the fleet's link to the TLS engine: one real OpenSSL handshake per TLS session (or one in N with
 * [tls] fidelity = sampled:N), run in the worker pool between the ACS's submit and join events. */
#ifndef HNB_ACS_TLS_H
#define HNB_ACS_TLS_H

#include "models/fleet.h"

typedef struct {
    gboolean real;    /* a real handshake was submitted to the pool */
    gboolean sampled; /* not run: takes the outcome of the latest real handshake of its kind */
    gboolean ahead;   /* the job was run ahead of time (hnb_acs_tls_prefetch) */
    HnbTime acs_time; /* when the ACS runs it */
    uint64_t ticket;
    void *job;
} AcsHandshake;

gboolean hnb_acs_tls_resumption(const HnbScenario *sc); /* does the ACS offer resumption ([tls] resumption) */
gboolean hnb_acs_tls_init(Fleet *f, GError **error);
void hnb_acs_tls_free(Fleet *f);
/* A failure of the engine itself (not a handshake outcome) during the run: FALSE with the error. */
gboolean hnb_acs_tls_error(Fleet *f, GError **error);

/* HNB i starts a handshake: its clock says hnb_clock (validity of the H(e)MS certificate is checked against it), the
 * ACS's says acs_time; resume: the HNB offers its kept session. */
void hnb_acs_tls_submit(Fleet *f, AcsHandshake *hs, uint32_t i, HnbTime hnb_clock, HnbTime acs_time, gboolean resume);
/* HNB i will open a session at `at` (its periodic Inform): start its handshake in the pool now, so that the worker
 * threads have work while the kernel runs events.  The submit of HNB i's next session adopts the job if its inputs
 * are equivalent (see acs_tls.c), else the job is discarded and the handshake runs as usual; results are the same
 * either way.  Does nothing without worker threads or with sampled fidelity. */
void hnb_acs_tls_prefetch(Fleet *f, uint32_t i, HnbTime at);
HnbHsOutcome hnb_acs_tls_join(Fleet *f, AcsHandshake *hs, gboolean *resumed);
void hnb_acs_tls_abandon(Fleet *f, AcsHandshake *hs); /* the run ends with it in flight */

/* Image signature checks (TS 33.320 6.1), real EVP verifications in the same pool: the HNB holds either the genuine
 * signed release image or one the attacker rewrote (`genuine` FALSE: the signed manifest over other content).
 * Submit when the check starts; the returned token (non-zero, fits an event arg payload) is joined when it ends:
 * TRUE if the image verifies against the verification certificate in the TrE. */
uint64_t hnb_acs_image_submit(Fleet *f, gboolean genuine);
gboolean hnb_acs_image_join(Fleet *f, uint64_t token);

#endif
