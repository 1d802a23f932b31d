/* models/signer.h — the signing servers as a part: images submitted for signature wait for an approver, then for the
 * server's HSM, which makes a real signature.  Used by the signing study (signing.c: release campaigns, the curve
 * over the server count) and by the fleet (fix.c: the fixed image after a mass rewrite), so both run the same queues.
 *
 * Flow of one image (a request, known by the id its user gives it).  It goes to the server with the fewest requests
 * outstanding (ties: the lowest index), waits there for one of the server's `approvers` (people with signing rights;
 * each approves one image at a time, taking approval_delay of WORKING time — workhours.h — or, for an emergency with
 * `oncall`, oncall_delay of calendar time), then for the server's HSM, which signs one image at a time in `service`.
 * Emergency requests (release == HNB_SIGN_EMERGENCY) go ahead of release requests in both queues when
 * emergency_first is set, else the older head goes first (not pre-emptive either way).
 *
 * Real signatures.  Every image the HSM signs is a real signature over its manifest with the PKI's software-signing
 * key, verified against the verification certificate (crypto/sign_job.h), run in the worker pool between the HSM's
 * start and end events.  Simulated time is the modelled service time, never the machine's.
 *
 * Draws: request id's approval delay is draw 0 of (approval, id), its on-call delay (oncall, id), its HSM time
 * (service, id), so users that give the same work the same ids see the same times whatever the server count.
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

typedef struct {
    unsigned servers;            /* [signing] servers, >= 1 */
    uint32_t approvers;          /* per server ([approval] approvers) */
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
    uint64_t signed_images, verified, rejected;
    double hsm_busy_s;               /* HSM time booked, up to the end of the run */
    HnbGauge approval_queue, hsm_queue; /* images waiting, over all servers */
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
double hnb_signer_queued(const HnbSigner *s, gboolean hsm); /* images waiting for an HSM (TRUE) or an approver */
unsigned hnb_signer_busy(const HnbSigner *s);               /* HSMs signing now */
/* The first error a signature job reported (OpenSSL), or NULL; the caller owns it. */
GError *hnb_signer_take_error(HnbSigner *s);

/* [signing] servers, variants, service, emergency_first and [approval] *: the keys of both users. */
extern const HnbKeySpec hnb_signer_schema[];
/* Read them into p (image_bytes is the caller's; duration is [scenario] duration); FALSE with "FILE: [approval]
 * hours = ..." if the hours do not parse. */
gboolean hnb_signer_params_from_scenario(HnbSignerParams *p, const HnbScenario *sc, GError **error);

#endif
