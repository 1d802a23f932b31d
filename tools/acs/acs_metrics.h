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

/* The page, appended to `out`. */
void hnb_acs_metrics_render(const HnbAcsMetrics *m, GString *out);
/* The download campaign's families (served after the page when an image is published): devices seen, devices on the
 * published version after a Download, devices given up on, and TransferCompletes by result. */
void hnb_acs_metrics_render_campaign(const HnbAcsCampaignStats *st, GString *out);

#define HNB_ACS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
