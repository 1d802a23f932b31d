/* models/signer.h — the signing servers as a part: images submitted for signature wait for an approver, then for the
 * server's HSM, which makes a real signature.  Used by the signing study (signing.c: release campaigns, the curve
 * over the server count) and by the fleet (fix.c: the fixed image after a mass rewrite), so both run the same queues.
 *
 * Flow of one image (a request, known by the id its user gives it).  It needs `threshold` signature shares (1 unless
 * [signing] keys = threshold:K), each from a different server: share s goes to the server with the fewest shares
 * outstanding among those the image does not use yet (ties: the lowest index).  There the share waits for `quorum` of
 * the server's `approvers` at once (people with signing rights; M-of-N approval: each approves one image at a time,
 * all M review it in parallel, each taking approval_delay of WORKING time — workhours.h — or, for an emergency with
 * `oncall`, oncall_delay of calendar time; the share is approved when the last of the M is done), then for the
 * server's HSM, which signs one share at a time in `service`.  The image is signed when its last share is.  Emergency
 * requests (release == HNB_SIGN_EMERGENCY) go ahead of release requests in both queues when emergency_first is set,
 * else the older head goes first (not pre-emptive either way).  With threshold 1 and quorum 1 this is one approver and
 * one HSM pass per image, with the same draws as before those keys existed.
 *
 * Real signatures.  Every share the HSM signs is a real signature over the image's manifest, run in the worker pool
 * between the HSM's start and end events (crypto/sign_job.h): with the PKI's software-signing key, verified against
 * the verification certificate, or, when the caller gives per-server keys (`server_keys`), with server j's own key,
 * verified against it.  Simulated time is the modelled service time, never the machine's.
 *
 * Draws: share s of request id: approver k's delay is the first draw of (approval, id, s·quorum + k), an on-call
 * delay (oncall, id, s·quorum + k), its HSM time (service, id, s) — so users that give the same work the same ids see
 * the same times whatever the server count, and threshold 1 with quorum 1 uses exactly (·, id, 0).
 */
#ifndef HNB_SIGNER_H
#define HNB_SIGNER_H

#include <glib.h>
#include <stdint.h>
#include "crypto/pki.h"
#include "crypto/sign_job.h"
#include "models/workhours.h"
#include "sim/dist.h"
#include "sim/pool.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "sim/stats.h"

/* [signing] keys: what the HNBs' TrE accepts (signing.c's exposure; the queues only see `threshold`). */
typedef enum {
    HNB_SIGNING_KEYS_SHARED,     /* one signing key on every server */
    HNB_SIGNING_KEYS_PER_SERVER, /* a key per server, each trusted by the HNBs and revocable alone */
    HNB_SIGNING_KEYS_THRESHOLD,  /* a key per server; an image needs shares of `threshold` distinct servers */
} HnbSigningKeys;

typedef struct {
    unsigned servers;            /* [signing] servers, >= 1 */
    uint32_t approvers;          /* per server ([approval] approvers) */
    uint32_t quorum;             /* approvers per share ([approval] quorum, M of `approvers`), >= 1 */
    HnbSigningKeys keys;
    uint32_t threshold;          /* shares per image: K of threshold:K, else 1; <= servers */
    EVP_PKEY *const *server_keys; /* NULL, or `servers` keys (borrowed): server j signs with its own key */
    gboolean approval_required;  /* FALSE: straight to the HSM */
    gboolean oncall;             /* emergency approvals take oncall_delay of calendar time */
    gboolean emergency_first;    /* emergency requests ahead of release requests */
    const HnbDist *service;      /* HSM time per image */
    const HnbDist *approval_delay, *oncall_delay;
    HnbWorkHours hours;          /* approvers' working hours */
    uint64_t image_bytes;        /* what a signature covers */
    HnbTime duration;            /* HSM time is booked up to the end of the run */
} HnbSignerParams;

typedef struct {
    HnbStream approval, oncall, service;
} HnbSignerStreams;

/* One request as its user sees it once signed. */
typedef struct {
    uint32_t release;  /* or HNB_SIGN_EMERGENCY */
    uint32_t variant;
    uint32_t server;
    HnbTime submitted, approved, started, signed_at;
    gboolean verified; /* the signature verified against the verification certificate */
} HnbSignRequest;

typedef struct {
    uint64_t signed_images, verified, rejected; /* images: every share signed; verified: every share verified */
    uint64_t shares;                 /* signature shares made (images x threshold once all are done) */
    double hsm_busy_s;               /* HSM time booked, up to the end of the run */
    HnbGauge approval_queue, hsm_queue; /* shares waiting (images unless threshold), all servers */
    uint32_t approving;              /* approvals in progress now */
} HnbSignerStats;

typedef struct HnbSigner HnbSigner;

/* Request `id` was signed now (called from the HSM's end event, before the HSM takes its next image). */
typedef void (*HnbSignerSigned)(void *ctx, uint32_t id);

/* Registers its event kinds ("signing.approved", "signing.signed").  Ids are < max_requests.  params are copied (the
 * distributions are borrowed); pool and pki are borrowed and must outlive the part. */
HnbSigner *hnb_signer_new(HnbSim *sim, const HnbSignerParams *p, HnbSignerStreams streams, HnbPool *pool,
                          const HnbPki *pki, uint32_t max_requests, HnbSignerSigned done, void *ctx);
/* Joins the signatures still at an HSM (the run ended), then frees. */
void hnb_signer_free(HnbSigner *s);

/* Submit request `id` (not submitted before) now. */
void hnb_signer_submit(HnbSigner *s, uint32_t id, uint32_t release, uint32_t variant);

const HnbSignRequest *hnb_signer_request(const HnbSigner *s, uint32_t id);
const HnbSignerStats *hnb_signer_stats(const HnbSigner *s);
/* shares (images unless threshold) waiting for an HSM (TRUE) or for approvers */
double hnb_signer_queued(const HnbSigner *s, gboolean hsm);
unsigned hnb_signer_busy(const HnbSigner *s);               /* HSMs signing now */
/* The first error a signature job reported (OpenSSL), or NULL; the caller owns it. */
GError *hnb_signer_take_error(HnbSigner *s);

/* [signing] servers, variants, service, emergency_first, keys and [approval] *: the keys of both users. */
extern const HnbKeySpec hnb_signer_schema[];
/* Read them into p (image_bytes and server_keys are the caller's; duration is [scenario] duration); FALSE with
 * "FILE: [group] key = ...: why" if the hours or keys do not parse, the quorum exceeds the approvers or the
 * threshold the servers. */
gboolean hnb_signer_params_from_scenario(HnbSignerParams *p, const HnbScenario *sc, GError **error);
/* "shared", "per_server", "threshold:K" (2 <= K <= 1000) -> keys and K (1 unless threshold); FALSE with a message. */
gboolean hnb_signing_keys_parse(const char *text, HnbSigningKeys *keys, uint32_t *threshold, GError **error);

#endif
