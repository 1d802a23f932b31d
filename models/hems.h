/* models/hems.h — the H(e)MS as the HNBs see it: the one seam between the HNB population (models/hnb.c) and whatever
 * answers its sessions and serves its image.
 *
 * Two implementations: the model's (models/hems_model.c: the ACS of models/acs.c with its TLS part, and the image
 * server of models/image_server.c, all on the kernel) and, for `hnbsim drive` (issue 15), real sessions over real
 * sockets against a real H(e)MS.  The HNB side — boots, secure boot, periodic Informs, TR-069 §3.2.1.1 retries, the
 * attack, power — is the same code either way: an implementation reports back only through the call-back tables the
 * model's parts already use, HnbAcsClient (models/acs.h: peer, sample, clock, tls_failed, tls_kept, session_end) and
 * HnbImageServerClient (models/image_server.h: granted, done, failed).
 *
 * Contract of every implementation, as models/acs.h and models/image_server.h state it for the model's:
 *   - connect(hnb): the HNB opens a CWMP session now; exactly one session_end follows, later, never inside connect —
 *     unless the HNB is `lost` first (a session of an older power generation ends silently).
 *   - image_request / image_start / image_cancel / image_restart: hnb_image_server_request/_start/_cancel/_restart's
 *     contracts; a started download ends in `done`, in `failed` (the implementation gave up: a cut transfer, a refusal,
 *     a manifest that does not verify; the model's server never calls it), or is cancelled by the HNB.
 *   - tls_forget / tls_runs_ahead / tls_prefetch: the HNB lost its TLS session cache; whether handshakes may be run
 *     ahead of their session (NULL: never); a hint that HNB hnb connects at `at` (models/acs_tls.h).
 *   - lost(hnb): the HNB rebooted or lost power now: whatever it had in flight is gone (the model needs nothing — its
 *     parts compare power generations — and leaves it NULL; real connections must be closed).
 *   - the stats functions read, never change, what the results need; `bytes_delivered(now)` integrates the transfer
 *     rates up to `now` and is called only where the results are sampled, so that both implementations are asked at
 *     the same instants.
 *   - row_latency(now, out, lag_ms), called only with [series] latency = true, at each time-series row: adds to `out`
 *     (empty tallies) the latencies of the sessions counted in acs_stats()->lat that ended since the previous call,
 *     and sets *lag_ms to how late, in real ms, the row's check runs against its scenario time (the drive's pacer;
 *     0 in the model, which has no real time).
 * Nothing is scheduled when an implementation is built, so building one or the other changes no event's order.
 */
#ifndef HNB_HEMS_H
#define HNB_HEMS_H

#include "models/acs.h"
#include "models/image_server.h"

#include <math.h>

typedef struct {
    void (*connect)(void *impl, uint32_t hnb);
    void (*lost)(void *impl, uint32_t hnb); /* NULL: nothing to do */
    gboolean (*image_request)(void *impl, uint32_t hnb);
    void (*image_start)(void *impl, uint32_t hnb, double cap_bps);
    void (*image_cancel)(void *impl, uint32_t hnb);
    gboolean (*image_restart)(void *impl, uint32_t hnb);
    void (*tls_forget)(void *impl, uint32_t hnb);
    gboolean (*tls_runs_ahead)(void *impl); /* NULL: never */
    void (*tls_prefetch)(void *impl, uint32_t hnb, HnbTime at, HnbTime hnb_clock, gboolean has_session,
                         gboolean recovery);
    const HnbAcsStats *(*acs_stats)(void *impl);
    const HnbImageServerStats *(*image_stats)(void *impl);
    size_t (*images_active)(void *impl); /* downloads running now */
    double (*bytes_delivered)(void *impl, HnbTime now);
    void (*row_latency)(void *impl, HnbTime now, HnbAcsRowLatency *out, double *lag_ms); /* NULL: nan columns */
    void (*free)(void *impl);
} HnbHemsOps;

/* A value: copied into the population's parts; `impl` is freed by hnb_hems_free, once, by whoever built it. */
typedef struct {
    const HnbHemsOps *ops;
    void *impl;
} HnbHems;

static inline void hnb_hems_connect(const HnbHems *h, uint32_t hnb) { h->ops->connect(h->impl, hnb); }
static inline void hnb_hems_lost(const HnbHems *h, uint32_t hnb)
{
    if (h->ops->lost)
        h->ops->lost(h->impl, hnb);
}
static inline gboolean hnb_hems_image_request(const HnbHems *h, uint32_t hnb)
{
    return h->ops->image_request(h->impl, hnb);
}
static inline void hnb_hems_image_start(const HnbHems *h, uint32_t hnb, double cap_bps)
{
    h->ops->image_start(h->impl, hnb, cap_bps);
}
static inline void hnb_hems_image_cancel(const HnbHems *h, uint32_t hnb) { h->ops->image_cancel(h->impl, hnb); }
static inline gboolean hnb_hems_image_restart(const HnbHems *h, uint32_t hnb)
{
    return h->ops->image_restart(h->impl, hnb);
}
static inline void hnb_hems_tls_forget(const HnbHems *h, uint32_t hnb) { h->ops->tls_forget(h->impl, hnb); }
static inline gboolean hnb_hems_tls_runs_ahead(const HnbHems *h)
{
    return h->ops->tls_runs_ahead && h->ops->tls_runs_ahead(h->impl);
}
static inline void hnb_hems_tls_prefetch(const HnbHems *h, uint32_t hnb, HnbTime at, HnbTime hnb_clock,
                                         gboolean has_session, gboolean recovery)
{
    h->ops->tls_prefetch(h->impl, hnb, at, hnb_clock, has_session, recovery);
}
static inline const HnbAcsStats *hnb_hems_acs_stats(const HnbHems *h) { return h->ops->acs_stats(h->impl); }
static inline const HnbImageServerStats *hnb_hems_image_stats(const HnbHems *h)
{
    return h->ops->image_stats(h->impl);
}
static inline size_t hnb_hems_images_active(const HnbHems *h) { return h->ops->images_active(h->impl); }
static inline double hnb_hems_bytes_delivered(const HnbHems *h, HnbTime now)
{
    return h->ops->bytes_delivered(h->impl, now);
}
/* An implementation without row_latency (a test's fake) leaves the tallies empty and the lag unknown: nan columns. */
static inline void hnb_hems_row_latency(const HnbHems *h, HnbTime now, HnbAcsRowLatency *out, double *lag_ms)
{
    *lag_ms = NAN;
    if (h->ops->row_latency)
        h->ops->row_latency(h->impl, now, out, lag_ms);
}
/* Frees the implementation (not the parts it borrows) and clears *h; a cleared HnbHems is ignored. */
static inline void hnb_hems_free(HnbHems *h)
{
    if (h->ops && h->ops->free)
        h->ops->free(h->impl);
    *h = (HnbHems){0};
}

/* The model's H(e)MS (models/hems_model.c): forwards to the ACS, its TLS part and the image server, which it borrows
 * (they are built, observed and freed by the fleet as before). */
HnbHems hnb_hems_model_new(HnbAcs *acs, HnbAcsTls *tls, HnbImageServer *images);

#endif
