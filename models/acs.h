/* models/acs.h — the H(e)MS/ACS part of the fleet: admission, CPU workers, TLS handshakes, CWMP sessions.
 *
 * The ACS knows HNBs only by index and through the HnbAcsClient table it is given: it asks what a connecting HNB
 * offers (peer), draws its service times on the HNB's own counter (sample), reads the HNB's clock for the handshake,
 * and reports back: tls_failed / tls_kept when a handshake of a live session ends, session_end exactly once per
 * session whose HNB is still in the same power generation (a session of an HNB that rebooted meanwhile frees its
 * worker and slot silently).  A refusal, a session the HNB gave up on ([cwmp] session_timeout) and a TLS failure all
 * end with session_end(FALSE): the HNB backs off per TR-069 3.2.1.1 whatever the cause.
 */
#ifndef HNB_ACS_H
#define HNB_ACS_H

#include "models/acs_tls.h"
#include "models/cwmp.h"
#include "models/fleet.h"
#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/stats.h"
#include "sim/window.h"

/* [acs] overload: what a session beyond max_sessions or queue_limit costs, and when its HNB learns of it. */
typedef enum {
    /* the connection is accepted, a worker does the TLS handshake (queued FIFO like any session), then answers HTTP
     * 503 (RFC 7231 6.6.4): the refusal costs a handshake of worker CPU and ends when the 503 is sent */
    HNB_ACS_REJECT_AFTER_HANDSHAKE,
    /* the accept backlog is full and the SYN is dropped: no ACS cost; the HNB's TCP retransmits it after 1, 2, 4 ... s
     * (RFC 6298 2.1, 5.5) and, if every one is dropped, its connect fails 2^(syn_retries+1) - 1 s after the first */
    HNB_ACS_DROP_SYN,
} HnbAcsOverload;

HnbAcsOverload hnb_acs_overload_parse(const char *text); /* "reject_after_handshake" | "drop_syn" */

/* [acs] max_sessions_at: where max_sessions counts a session.  The spec leaves it to the ACS: TR-069 Am.6 3.7.1 starts
 * a CWMP session with the CPE's Inform, while a front end in front of the ACS limits connections. */
typedef enum {
    /* a connection slot from admission (the SYN accepted) to the session's end: beyond max_sessions a session is
     * refused at connect as `overload` says (the model before the key existed) */
    HNB_ACS_LIMIT_AT_CONNECT,
    /* a session slot from its Inform's arrival to its last response sent (hnbsim acs, as most ACSs count): the
     * connection and its handshake are always admitted (queue_limit still applies at connect), and an Inform beyond
     * max_sessions is answered with CWMP fault 8005 / HTTP 503 (refused after the handshake, whatever `overload`) */
    HNB_ACS_LIMIT_AT_INFORM,
} HnbAcsLimitAt;

HnbAcsLimitAt hnb_acs_limit_at_parse(const char *text); /* "connect" | "inform" */

/* [acs] request_cpu: when a session's CWMP requests get their CPU.  The spec says nothing; servers differ. */
typedef enum {
    /* right after the handshake, on the worker that did it, for every round trip at once (the model before the key) */
    HNB_ACS_REQUESTS_WITH_HANDSHAKE,
    /* each request when it arrives (after the previous response's and its own flight), queued FIFO for a worker
     * behind whatever waits — handshakes included — as an event-loop server answers (hnbsim acs) */
    HNB_ACS_REQUESTS_QUEUED,
} HnbAcsRequestCpu;

HnbAcsRequestCpu hnb_acs_request_cpu_parse(const char *text); /* "with_handshake" | "queued" */

typedef struct {
    int64_t workers;      /* [acs] workers: CPU workers, FIFO */
    int64_t max_sessions; /* session slots, counted where limit_at says; more sessions are refused */
    HnbAcsLimitAt limit_at;   /* [acs] max_sessions_at */
    HnbAcsRequestCpu request_cpu; /* [acs] request_cpu */
    int64_t queue_limit;  /* sessions waiting for a worker; more are refused (0: no limit) */
    HnbAcsOverload overload;  /* [acs] overload: how a session is refused */
    unsigned syn_retries;     /* [hnb] syn_retries: SYN retransmissions before the HNB's connect fails (drop_syn) */
    HnbTime session_timeout;  /* [cwmp] session_timeout: the HNB gives up on a session no worker took by then (0:
                                 never) */
    const HnbDist *hs_full, *hs_resumed; /* worker CPU time of a full / resumed handshake */
    const HnbDist *cwmp_cpu;             /* worker CPU time per CWMP round trip (of every session kind below left
                                            NULL) */
    /* Per session kind ([acs] transfer_cwmp_time, download_cwmp_time; `hnbsim calibrate --target` measures them):
     * worker CPU per round trip of a session carrying a TransferComplete (TR-069 A.3.3.2), and of one in which the
     * ACS sends a Download (A.3.2.8; wins when a session is both).  NULL: cwmp_cpu, drawn the same way, so a
     * scenario without them keeps its numbers. */
    const HnbDist *cwmp_cpu_transfer, *cwmp_cpu_download;
    const HnbDist *rtt;                  /* network time per round trip (holds the slot, not a worker) */
    gboolean resumption;                 /* [tls] resumption offered */
    HnbTime syn_rto;      /* [hnb] syn_rto: the HNB's initial SYN retransmission timeout, doubled per SYN */
    HnbTime handshake_rtt; /* [acs] handshake_rtt: network time of the handshake (holds the slot, not a worker) */
    HnbTime horizon;      /* the run's end: a session completing after it is in no latency tally (nor completed) */
    gboolean row_latency; /* [series] latency: keep each tallied session's latencies until it ends, for
                             hnb_acs_row_latency (off: nothing kept, nothing changes) */
} HnbAcsParams;

/* What an HNB brings to a session, read when the ACS needs it (connect, worker start, handshake end). */
typedef struct {
    uint8_t gen;          /* its power generation: a session of an older one is stale */
    gboolean plain_http;  /* no TLS (the golden module with [golden] tls = false) */
    gboolean recovery;    /* it authenticates with its recovery certificate (golden, [golden] credential = recovery) */
    gboolean has_session; /* it keeps a TLS session it may offer for resumption */
    gboolean needs_image; /* the ACS must push the release image (a Download) */
    uint8_t events;       /* its pending Inform event codes (cwmp.h) */
} HnbAcsPeer;

/* The ACS's view of the HNBs; every function gets `ctx` first. */
typedef struct {
    HnbAcsPeer (*peer)(void *ctx, uint32_t hnb);
    /* a draw of d on `stream` counted on the HNB's own draw counter (one HNB's sessions never shift another's) */
    HnbTime (*sample)(void *ctx, uint32_t hnb, const HnbDist *d, HnbStream stream);
    HnbTime (*clock)(void *ctx, uint32_t hnb, HnbTime t); /* the HNB's local clock at true time t */
    /* a handshake of a live session: failed with `reason` (the session ends failed next) / ok, session kept */
    void (*tls_failed)(void *ctx, uint32_t hnb, HnbHsOutcome reason);
    void (*tls_kept)(void *ctx, uint32_t hnb);
    /* the session ends: ok with what the ACS asked, or failed (refused at admission, TLS failure) */
    void (*session_end)(void *ctx, uint32_t hnb, gboolean ok, HnbCwmpAcsAction action);
} HnbAcsClient;

typedef struct HnbAcs HnbAcs;

/* Every session opened is, outside a handler, exactly one of: completed, refused, failed (TLS), abandoned, open
 * (holding a slot: queued, on a worker or in its network time) or refusing (its SYNs being retransmitted, or waiting
 * for / doing the handshake before its 503). */
/* Latencies of the sessions completed within the run (n = completed), seconds from the HNB's connect() — its first
 * SYN — to: the ACS admitting it (connect: SYN retransmissions, 0 s when the first SYN gets in); its TLS handshake
 * done (handshake: + the wait for a worker, the handshake's CPU and handshake_rtt); the InformResponse (first_response:
 * + the first round trip's CPU and network time); its end (session).  The model does a session's CPU before its
 * network time (file comment of acs.c), so first_response is the time the first exchange would take alone. */
typedef struct {
    HnbTally connect, handshake, first_response, session;
} HnbAcsLatency;

/* [series] latency: the latencies of the sessions that ended within one time-series row's interval, beside the
 * whole-run HnbAcsLatency (the same sessions: completed, ended by the horizon), for the row's columns. */
typedef struct {
    HnbTally session, handshake;
} HnbAcsRowLatency;

typedef struct {
    uint64_t sessions, completed, refused, failed;
    uint64_t refused_hs;  /* refused with a 503 after the TLS handshake (reject_after_handshake) */
    uint64_t refused_syn; /* refused by a connect timeout: every SYN dropped (drop_syn) */
    uint64_t refused_rst, refused_closed; /* measured only (hnbsim drive): connect refused by a RST; the connection
                                             closed before any answer.  0 in the model. */
    uint64_t syn_dropped; /* SYNs dropped, retransmissions included (a session may get in on a later one) */
    uint64_t abandoned;   /* the HNB went away before a worker took its session: session_timeout, or a reboot */
    int64_t refusing;
    HnbTime refusal_cpu;  /* worker time spent on refused sessions (their handshakes) */
    uint64_t handshakes, resumed, real_handshakes;
    uint64_t hs[HNB_HS_COUNT]; /* handshakes by outcome */
    int64_t open, busy, open_max; /* connections admitted and not ended (with max_sessions_at = connect: the slots) */
    int64_t in_session, in_session_max; /* max_sessions_at = inform: sessions past their Inform, before their last
                                         * response (the slots); 0 otherwise */
    HnbGauge busy_gauge, open_gauge;
    HnbAcsLatency lat;
} HnbAcsStats;

/* Registers its event kinds.  tls may be NULL if every peer is plain_http.  The params, client and tls are borrowed
 * for the part's life. */
HnbAcs *hnb_acs_new(HnbSim *sim, const HnbAcsParams *p, HnbAcsTls *tls, HnbStream stream,
                    const HnbAcsClient *client, void *ctx);
void hnb_acs_free(HnbAcs *acs); /* after the run; abandons handshakes in flight (before hnb_acs_tls_free) */

/* HNB `hnb` opens a CWMP session now.  Whatever happens, session_end comes later (never before this returns). */
void hnb_acs_connect(HnbAcs *acs, uint32_t hnb);

const HnbAcsStats *hnb_acs_stats(const HnbAcs *acs);

/* With p->row_latency: adds to `out` the latencies of the sessions tallied in HnbAcsStats.lat whose end fell after
 * the previous call and at or before `now`, and forgets them.  A session's latencies are known when its last CPU is
 * done, before its network time ends, so they are kept until then: a row counts the sessions that ENDED in it. */
void hnb_acs_row_latency(HnbAcs *acs, HnbTime now, HnbAcsRowLatency *out);

/* Optional: every session opened is added to `w` as (1, 0) and every refusal as (0, 1), each at the time it is
 * counted in the stats (sessions, refused), for the exact sliding-window peaks (sim/window.h).  Borrowed. */
void hnb_acs_observe(HnbAcs *acs, HnbWindow *w);

#endif
