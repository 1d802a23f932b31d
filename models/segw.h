/* models/segw.h — the Security Gateway (SeGW) part of the fleet (TS 33.320 §7: after every boot the HNB builds an
 * IKEv2 tunnel to the SeGW with its device certificate; its traffic to the operator's core, and to an H(e)MS behind
 * the SeGW, goes through it).  A capacity model like the ACS's: what a boot storm costs the SeGW, and how long the
 * HNBs wait for their tunnels.
 *
 * One tunnel set-up is IKE_SA_INIT then IKE_AUTH (RFC 7296 §1.2): two round trips of the network and the SeGW's
 * public-key work — its (EC)DH, its AUTH signature, the verification of the HNB's AUTH and certificate chain — on one
 * of `workers` CPU workers, FIFO (crypto/ike_job.h does that work for real; `setup_cpu` is its modelled time, which
 * `hnbsim bench ike` measures).  Admission: a set-up holds one of `max_tunnels` SA slots from its IKE_SA_INIT until
 * its tunnel ends; one arriving with every slot taken, or with the worker queue at `queue_limit`, is dropped (a
 * responder under load may drop IKE_SA_INIT, RFC 7296 §2.6): the HNB's IKE client retransmits and gives up after
 * `ike_timeout`, when the part reports the failure (the HNB then backs off as its retry policy says).
 *
 * A tunnel up is rekeyed every `lifetime` (CREATE_CHILD_SA with a fresh (EC)DH, RFC 7296 §1.3.2: `rekey_cpu` on a
 * worker, queued like a set-up; the tunnel stays up meanwhile).  An HNB that reboots or loses power leaves its tunnel
 * behind (hnb_segw_lost): the SeGW learns it is dead by dead-peer detection (RFC 7296 §2.4) `dpd_timeout` later, and
 * the slot is held until then — unless the HNB's next IKE_AUTH carries INITIAL_CONTACT (`initial_contact`, RFC 7296
 * §3.16), which deletes its old SAs as the new tunnel comes up.
 *
 * The SeGW knows HNBs by index and reaches them only through its HnbSegwClient table (as the ACS does).
 */
#ifndef HNB_SEGW_H
#define HNB_SEGW_H

#include <glib.h>
#include <stdint.h>
#include "crypto/tls.h"
#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/stats.h"

typedef struct {
    int64_t workers;          /* CPU workers doing IKE work, FIFO */
    int64_t max_tunnels;      /* IKE SAs at once: set-ups in progress, tunnels up and stale ones not yet found dead */
    int64_t queue_limit;      /* set-ups waiting for a worker beyond which a new one is dropped (0: no limit) */
    const HnbDist *setup_cpu; /* worker CPU time of one set-up (IKE_SA_INIT + IKE_AUTH) */
    const HnbDist *rekey_cpu; /* worker CPU time of one rekey */
    const HnbDist *rtt;       /* network time of one IKE exchange (request and response) */
    HnbTime ike_timeout;      /* a dropped set-up fails at the HNB this long after it began */
    HnbTime lifetime;         /* a tunnel is rekeyed every lifetime (0: never) */
    HnbTime dpd_timeout;      /* a lost HNB's tunnel is found dead and freed this long after it was lost */
    gboolean initial_contact; /* a new tunnel of the same HNB deletes its stale one (INITIAL_CONTACT) */
} HnbSegwParams;

typedef enum {
    HNB_SEGW_DROPPED, /* no slot or no room in the queue: the HNB's retransmissions went unanswered */
    HNB_SEGW_REFUSED, /* the set-up's checks failed (HnbSegwCrypto): AUTHENTICATION_FAILED, RFC 7296 2.21.2 */
} HnbSegwFailure;

/* The SeGW's view of the HNBs; every function gets `ctx` first. */
typedef struct {
    uint8_t (*gen)(void *ctx, uint32_t hnb); /* its power generation: a set-up of an older one is stale */
    /* a draw of d on `stream` counted on the HNB's own draw counter */
    HnbTime (*sample)(void *ctx, uint32_t hnb, const HnbDist *d, HnbStream stream);
    void (*tunnel_up)(void *ctx, uint32_t hnb); /* its set-up succeeded: the tunnel is up */
    /* its set-up failed: dropped (reason HNB_TLS_OK), or refused with the reason of the check that failed */
    void (*tunnel_failed)(void *ctx, uint32_t hnb, HnbSegwFailure why, HnbTlsReason reason);
    HnbTime (*clock)(void *ctx, uint32_t hnb, HnbTime t); /* the HNB's local clock at true time t (NULL: true time) */
    /* it authenticates with its recovery certificate (a golden module, [golden] credential = recovery), which the
     * SeGW accepts for a recovery tunnel only (NULL: never) */
    gboolean (*recovery)(void *ctx, uint32_t hnb);
} HnbSegwClient;

/* The cryptographic work of a set-up (models/segw_ike.h: a real IKE job in the worker pool), optional: without it
 * every set-up that gets a worker succeeds.  submit when a worker takes a set-up (the HNB's clock and the SeGW's, true
 * time), join when its CPU time ends (every submitted set-up is joined once, live or stale: its outcome), abandon for
 * one still on a worker when the part is freed. */
typedef struct {
    void (*submit)(void *ctx, uint32_t worker, uint32_t hnb, HnbTime hnb_clock, HnbTime segw_time, gboolean recovery);
    HnbTlsReason (*join)(void *ctx, uint32_t worker);
    void (*abandon)(void *ctx, uint32_t worker);
} HnbSegwCrypto;

typedef struct {
    uint64_t setups;      /* set-ups begun (IKE_SA_INIT received or dropped) */
    uint64_t up;          /* tunnels that came up */
    uint64_t dropped;     /* set-ups dropped at admission (failed at the HNB after ike_timeout) */
    uint64_t refused;     /* set-ups whose checks failed (HnbSegwCrypto), by reason in failed[] */
    uint64_t failed[HNB_TLS_REASON_COUNT];
    uint64_t stale_setups; /* set-ups whose HNB rebooted before they ended (their slot freed, nothing reported) */
    uint64_t rekeys;      /* rekeys done */
    uint64_t dpd_freed;   /* stale tunnels found dead by DPD */
    uint64_t replaced;    /* stale tunnels deleted by an INITIAL_CONTACT */
    int64_t tunnels;      /* tunnels up now (of live HNBs) */
    int64_t sas;          /* SA slots taken now: set-ups in progress + tunnels up + stale tunnels */
    int64_t sas_max;
    int64_t busy;         /* workers busy now */
    HnbTime cpu;          /* worker time spent (set-ups and rekeys) */
    HnbGauge busy_gauge, sas_gauge;
} HnbSegwStats;

typedef struct HnbSegw HnbSegw;

/* A fleet of `hnbs` HNBs.  Registers its event kinds.  params and client are borrowed for the part's life; its
 * service times are drawn on `stream` ("segw.service"), counted per HNB through the client. */
HnbSegw *hnb_segw_new(HnbSim *sim, const HnbSegwParams *p, uint32_t hnbs, HnbStream stream,
                      const HnbSegwClient *client, void *ctx);
void hnb_segw_free(HnbSegw *s); /* abandons the set-ups on workers (before the pool they run in is freed) */
/* Run every set-up's cryptographic work through `crypto` (borrowed, with its ctx); call before the first connect. */
void hnb_segw_set_crypto(HnbSegw *s, const HnbSegwCrypto *crypto, void *ctx);
/* The steady state at t = 0: HNB `hnb`'s tunnel is up (set up before the run); its first rekey at first_rekey. */
void hnb_segw_established(HnbSegw *s, uint32_t hnb, HnbTime first_rekey);

/* HNB `hnb` (which has no tunnel, or only a stale one) begins a set-up now.  tunnel_up or tunnel_failed comes later,
 * unless the HNB reboots first (then nothing). */
void hnb_segw_connect(HnbSegw *s, uint32_t hnb);
/* HNB `hnb` rebooted or lost power now: a set-up in progress is abandoned (its slot freed), a tunnel up goes stale
 * (its slot held until dead-peer detection or an INITIAL_CONTACT). */
void hnb_segw_lost(HnbSegw *s, uint32_t hnb);
/* Is HNB `hnb`'s tunnel up (not stale)? */
gboolean hnb_segw_has_tunnel(const HnbSegw *s, uint32_t hnb);

const HnbSegwStats *hnb_segw_stats(const HnbSegw *s);

#endif
