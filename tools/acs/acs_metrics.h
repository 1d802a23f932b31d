/* tools/acs/acs_metrics.h — the counters of `hnbsim acs` and their page for `GET /metrics` (Prometheus text
 * exposition format 0.0.4: HELP and TYPE lines, then one sample a line).
 *
 * The loop (acs_loop.c) feeds them; nothing here knows about sockets.  Label values come from fixed tables, never
 * from the peer: an RPC name outside the table counts as rpc="other", a log outcome or handshake reason outside them
 * as "other", so a client cannot grow the page.
 *
 *   hnbsim_acs_connections_total          TCP connections accepted
 *   hnbsim_acs_connections_open           TCP connections open now (gauge; at most --max-connections)
 *   hnbsim_acs_handshakes_total{outcome}  TLS handshakes: "ok" or the log's reason code (no_client_cert, expired, ...)
 *   hnbsim_acs_handshakes_resumed_total   of the "ok" ones, those that resumed a session (session ID or ticket)
 *   hnbsim_acs_sessions_total{outcome}    CWMP sessions ended (connections that carried a POST), by the log's outcome
 *   hnbsim_acs_sessions_open              CWMP sessions open now (gauge)
 *   hnbsim_acs_rpcs_total{rpc}            the CPE's requests answered in sessions: Inform, empty, ... (as the log)
 *   hnbsim_acs_refused_total{reason}      connections refused or closed by a limit: overload (--max-sessions),
 *                                         max_connections (--max-connections: the new one refused or an idle one
 *                                         closed for it), max_downloads (--max-downloads: 503), foreign_cookie
 *                                         (a parked session's cookie from another certificate identity: 8001)
 *   hnbsim_acs_downloads_open             image GETs sending now, holding a --max-downloads slot (gauge)
 *   hnbsim_acs_timeouts_total{reason}     connections closed by a deadline: idle (no progress), slow_header (a
 *                                         request header not complete in time), handshake (not done in time)
 *   hnbsim_acs_downloads_total            Download RPCs sent
 *   hnbsim_acs_image_bytes_total          image bytes sent (GET /images/...)
 *   hnbsim_acs_sessions_parked            sessions whose connection the CPE cut, waiting for their cookie (gauge;
 *                                         also in sessions_open)
 *   hnbsim_acs_sessions_resumed_total     parked sessions a new connection took up by its cookie (TR-069 §3.4.1)
 *   hnbsim_acs_sessions_expired_total     parked sessions ended unresumed (--session-linger, or evicted at the cap)
 *   hnbsim_acs_cpu_seconds_total{phase}   the worker threads' CPU time spent on connections (CLOCK_THREAD_CPUTIME_ID
 *                                         around each connection's callbacks): "handshake" (SSL_accept and the
 *                                         certificate checks, failed handshakes included), "request" (the rest:
 *                                         reads, requests, answers, writes, the shutdown); the sums of the log's
 *                                         hs_cpu_us= and cpu_us= - hs_cpu_us=, counted at each connection's close
 *   hnbsim_acs_cpu_per_connection_seconds{kind}  histogram (_bucket{le}, _sum, _count) of one connection's CPU, for
 *                                         `hnbsim calibrate` to fit service times: kind="handshake_full" and
 *                                         "handshake_resumed", the handshake CPU of a connection whose handshake
 *                                         succeeded (new or resumed TLS session); kind="session", the whole CPU of a
 *                                         connection that carried a POST (as sessions_total counts them).  Buckets
 *                                         0.25, 0.5, 1, 2, 4, 8, 16, 32 ms and +Inf, fixed: a full handshake on this
 *                                         VM is ~1.6 ms, a resumed one ~0.3 ms, an Inform session's requests
 *                                         ~0.35 ms more
 */
#ifndef HNB_ACS_METRICS_H
#define HNB_ACS_METRICS_H

#include "tools/acs/acs_campaign.h"

#include <glib.h>

/* The label tables, NULL-terminated; the last entry of each before NULL is "other". */
extern const char *const hnb_acs_metrics_outcomes[];
extern const char *const hnb_acs_metrics_handshakes[];
extern const char *const hnb_acs_metrics_rpcs[];

enum { HNB_ACS_METRICS_MAX_LABELS = 24 };

/* The kinds of the per-connection CPU histogram, in the page's order. */
typedef enum {
    HNB_ACS_CPU_HANDSHAKE_FULL,
    HNB_ACS_CPU_HANDSHAKE_RESUMED,
    HNB_ACS_CPU_SESSION,
    HNB_ACS_CPU_KINDS
} HnbAcsCpuKind;

/* The histogram's upper bounds in µs (le, inclusive as Prometheus's); one more bucket, +Inf, follows. */
enum { HNB_ACS_CPU_BOUNDS = 8 };
extern const guint64 hnb_acs_metrics_cpu_bounds_us[HNB_ACS_CPU_BOUNDS];

typedef struct {
    guint64 connections;
    gint64 connections_open;
    guint64 handshakes[HNB_ACS_METRICS_MAX_LABELS];
    guint64 handshakes_resumed;
    guint64 sessions[HNB_ACS_METRICS_MAX_LABELS];
    gint64 sessions_open;
    guint64 rpcs[HNB_ACS_METRICS_MAX_LABELS];
    guint64 refused_overload;
    guint64 refused_max_connections;
    guint64 refused_max_downloads;
    guint64 downloads_open;
    guint64 timeouts[4]; /* HnbAcsTimeout */
    guint64 downloads;
    guint64 image_bytes;
    gint64 sessions_parked;
    guint64 sessions_resumed, sessions_expired, refused_foreign_cookie;
    guint64 cpu_handshake_us, cpu_request_us; /* µs, rendered as seconds */
    /* per kind: observations per bucket, not cumulative (the page sums them), the last one +Inf; and their sum */
    guint64 cpu_hist[HNB_ACS_CPU_KINDS][HNB_ACS_CPU_BOUNDS + 1];
    guint64 cpu_hist_sum_us[HNB_ACS_CPU_KINDS];
} HnbAcsMetrics;

/* The deadlines of acs_loop.c, in the order of the page's labels. */
typedef enum {
    HNB_ACS_TIMEOUT_IDLE,
    HNB_ACS_TIMEOUT_SLOW_HEADER,
    HNB_ACS_TIMEOUT_HANDSHAKE,
    HNB_ACS_TIMEOUT_SLOW_BODY,
} HnbAcsTimeout;

/* A handshake ended: NULL reason for success, else the log's reason ("expired (detail)": the code before the space
 * is used). */
void hnb_acs_metrics_handshake(HnbAcsMetrics *m, const char *reason);
/* A session ended with the log's outcome. */
void hnb_acs_metrics_session_end(HnbAcsMetrics *m, const char *outcome);
/* The CPE sent this RPC (the log's name: "Inform", "empty", ...). */
void hnb_acs_metrics_rpc(HnbAcsMetrics *m, const char *rpc);

/* A connection closed having cost hs_us µs of CPU in its handshake and req_us after it: the counters only. */
void hnb_acs_metrics_cpu(HnbAcsMetrics *m, guint64 hs_us, guint64 req_us);
/* One observation `us` of the histogram of `kind`. */
void hnb_acs_metrics_cpu_observe(HnbAcsMetrics *m, HnbAcsCpuKind kind, guint64 us);

/* The page, appended to `out`. */
void hnb_acs_metrics_render(const HnbAcsMetrics *m, GString *out);
/* The download campaign's families (served after the page when an image is published): devices seen, devices on the
 * published version after a Download, devices given up on, and TransferCompletes by result. */
void hnb_acs_metrics_render_campaign(const HnbAcsCampaignStats *st, GString *out);
/* The configured limits, one gauge family hnbsim_acs_limit{name}: "workers" (threads), "max_connections", and
 * "max_sessions" when there is one (0: none, no sample) — what `hnbsim calibrate --target` reads instead of probing. */
void hnb_acs_metrics_render_limits(guint workers, gint64 max_sessions, gint64 max_connections, GString *out);

#define HNB_ACS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
