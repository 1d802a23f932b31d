/* tools/acs/acs_loop.h — the socket and TLS layer of `hnbsim acs`: libev loops serving TLS connections.
 *
 * Workers (--workers N, default 1): N threads, each its own libev loop and its own listening socket bound to the same
 * address with SO_REUSEPORT (the first binds the address asked for, port 0 picking one; the others bind the port it
 * got), so the kernel spreads new connections over them; a connection stays on its worker.  One SSL_CTX serves all
 * (SSL_new on a context no longer changed is thread-safe; its session cache and ticket keys, shared by the workers,
 * OpenSSL locks itself).  Server-wide, under one mutex: the counters (the metrics
 * page, served by the first worker, and the summary line are the sums), the --max-sessions check and count, the
 * --max-connections count (room is made among the worker's own connections), --exit-after.  SIGTERM/SIGINT are
 * watched by the first worker's loop (the others block them) and passed on to every loop with an ev_async; the
 * first loop ends last.  With more than one worker each log line carries worker=N; with one, none.
 *
 * Each connection is a small state machine over a non-blocking socket:
 *
 *   HANDSHAKE ─SSL_accept done─► READ ─request complete─► WRITE ─sent─► READ (keep-alive) ... ─► SHUTDOWN ─► closed
 *
 * The bytes read go to the connection's HTTP parser (acs_http.h); each complete POST to its CWMP session
 * (acs_cwmp.h), whose answer is written back.  The TLS profile is the core's (crypto/tls.h), the one the simulation's
 * in-process handshakes use; the CWMP session's identity check is the core's hnb_tls_authorize.
 *
 * Log: one line per connection on stderr — peer, TLS version, cipher, client identity, the CPE's RPCs, requests,
 * outcome and reason:
 *   acs: peer=127.0.0.1:5678 tls=TLSv1.2 cipher=AES128-SHA identity=... rpcs=Inform,empty requests=2 outcome=ok
 * then, when there is something to say: cookie=echoed|missing, download=sent|status:N|fault:N|gave_up|
 * awaiting_transfer_complete (the ACS's Download and the CPE's answer), runs=golden|other|published|unknown
 * attempt=1/3 delay=10 (the campaign's word, with one: what the device runs, the Download's attempt and DelaySeconds;
 * attempts=N with gave_up), transfer=ok|fault:N (TransferComplete), images=STATUS:FIRST-LAST,... and bytes=N (image GETs);
 * tls_resumed=1 (the TLS handshake resumed a session: --resumption), cwmp_resumed=1 / parked=1 (a CWMP session
 * taken up by its cookie / left for it: --session-linger);
 * worker=N; cpu_us (the CPU time the worker thread spent on this connection: its callbacks, from the accept's setup
 * to the close, measured with CLOCK_THREAD_CPUTIME_ID) and hs_cpu_us (its TLS handshake's share, the certificate
 * checks included); last, durations on the server's clock: handshake_ms (accept to the handshake's end, when there
 * was one) and duration_ms (accept to close).
 * Outcomes: ok (the session ended with the empty POST), informed (no empty POST yet), refused (TLS handshake or
 * certificate, or reason=overload), rejected (a CWMP refusal), error (an HTTP refusal), closed (the peer went away, or
 * reason=server_stopped), timeout, served (image requests only, all answered).
 *
 * Sessions: a connection's first POST opens a CWMP session, which ends with the connection.  With max_sessions open,
 * a new connection's first POST gets CWMP fault 8005 with HTTP 503 and Retry-After (acs_cwmp.h) and the connection
 * closes.  The counters (acs_metrics.h) are fed here and served on the optional loopback metrics listener.
 *
 * Sessions across connections (TR-069 §3.4.1; session_linger > 0).  A connection whose informed, not ended session
 * the peer cut (outcome closed, not a refusal, a deadline or a stop) parks the session for session_linger seconds in
 * one table of the server, keyed by its hnbsim-session cookie, with the certificate identity it belonged to (under the
 * shared lock: the next connection may come to another worker).  A new connection's first POST with that cookie and
 * a certificate of the same identity takes it up and is answered as the session's next request; of another identity
 * it gets 8001 (outcome=rejected reason=foreign_cookie) and the session stays parked; an unknown or expired cookie
 * opens a new session as any first POST does (§3.7.1: it must start with an Inform).  A parked session keeps its
 * sessions_open slot (--max-sessions) until taken up or ended, and taking one up is not checked against it.  Log: one
 * line per connection, parked=1 on the cut one, cwmp_resumed=1 on the one that took the session up (rpcs= is then the
 * session's whole list, requests= the connection's); the session counts once in sessions_total, at the end of the
 * connection that ends it, or as closed when it ends parked (line `acs: session_ended identity=... rpcs=...
 * outcome=closed reason=session_linger|evicted|server_stopped`).  Bounded: the first worker sweeps the expired ones
 * (every min(1 s, linger)); at max_connections parked, the one parked first is evicted.
 *
 * Stopping: the first SIGTERM/SIGINT closes the listener and the connections that are not sessions, gives the open
 * sessions `grace` seconds, closes the rest, logs `acs: stopped by=SIGTERM connections=N sessions=N
 * refused_overload=N sessions_cut=N`; a second signal cuts the grace period short.
 *
 * Bad peers.  Four clocks bound what a connection can hold: the idle timer (no progress for --idle-timeout, 30 s),
 * the handshake deadline (the TLS handshake as a whole within --handshake-timeout, 10 s, however steadily its bytes
 * come: outcome=refused reason=handshake_timeout) and the header deadline (a request's header block complete within
 * --header-timeout, 10 s, of its first byte: outcome=timeout reason=slow_header; a client sending a byte a second
 * restarts the idle timer forever, slowloris), then its body within --body-timeout, 60 s, of the header's end
 * (reason=slow_body).  At most --max-connections (4096) are open: the next one closes the
 * oldest that holds nothing (in its handshake, or between requests outside a session), or, if every one is a
 * session or busy, is itself refused (reason=max_connections either way).
 *
 * Queue (--queue-limit N, the model's [acs] queue_limit).  In the model a session waits in a FIFO for a CPU worker
 * when all are busy, at most queue_limit of them, and more are refused.  Here a worker's loop is busy while it runs a
 * handshake or an answer; the connections that arrive meanwhile wait in the kernel's accept queue of its socket,
 * which --queue-limit sizes (N split over the workers' sockets, Linux holding backlog + 1 each).  When it is full
 * the kernel drops the SYN: the model's overload = drop_syn (the client's TCP retransmits after 1, 2, 4 ... s).  Not
 * the same: once accepted, a connection no longer waits for the whole of a worker (the loop interleaves its
 * connections), and the refusal cannot be the model's reject_after_handshake (the queue is the kernel's; the server
 * never sees what it drops, so nothing is logged or counted).
 *
 * Downloads.  --bandwidth BPS ([download] bandwidth, bit/s): one token bucket for the image bytes of all workers (a
 * burst of 50 ms of the rate, at least 16 KiB); a connection that finds it empty waits on an ev_timer, not on the
 * socket.  --max-downloads N ([download] max_concurrent): a GET whose answer has a body takes a slot until the body is
 * sent or the connection ends; beyond N it gets 503 with Retry-After (--retry-after) and the connection closes
 * (images=503, reason=http_503 (max_downloads ...)).  HEAD, 404 and 416 take no slot.
 *
 * GET or HEAD of /images/NAME is answered from the image (acs_image.h): the header block, then the file's bytes read
 * 16 KiB at a time with pread into the connection's buffer and written as SSL_write takes them (partial writes on);
 * a client that goes away mid-body costs the buffer until the write fails (closed, reason mid_download).
 */
#ifndef HNB_ACS_LOOP_H
#define HNB_ACS_LOOP_H

#include "crypto/pki.h"
#include "crypto/tls.h"
#include "tools/acs/acs_campaign.h"
#include "tools/acs/acs_image.h"

#include <glib.h>

typedef struct {
    const char *listen;  /* HOST:PORT or [V6]:PORT; port 0 picks a free one */
    HnbPki *pki;         /* the exported PKI (hnb_pki_open_export): H(e)MS credential, client CA, CRL */
    gboolean tls11;      /* also accept TLS 1.1 (the profile's floor) */
    gint64 exit_after;   /* stop after this many connections have ended; 0: only on SIGTERM/SIGINT */
    gint64 max_sessions; /* CWMP sessions open at once (the simulation's [acs] max_sessions); 0: no limit */
    guint retry_after;   /* the Retry-After of an overload refusal, seconds (0: 30) */
    const char *metrics; /* HOST:PORT of the plain-HTTP metrics listener (loopback only), or NULL */
    double grace;        /* after SIGTERM/SIGINT: seconds the open sessions get to finish */
    const HnbAcsImage *image; /* the published image (served at /images/NAME, offered by Download), or NULL */
    HnbAcsCampaign *campaign; /* its download campaign, shared by every session (acs_campaign.h), or NULL */
    /* Bad peers: deadlines (seconds; 0: the default) and the cap on open connections (0: the default, lowered to
     * what RLIMIT_NOFILE allows once raised toward its hard limit) */
    double idle_timeout;      /* no progress at all */
    double header_timeout;    /* a request's header block, from its first byte */
    double body_timeout;      /* a request's body, from the end of its header */
    double handshake_timeout; /* the TLS handshake, from the accept */
    gint64 max_connections;
    guint workers;            /* threads, each its own loop and SO_REUSEPORT listener (0: 1) */
    gint64 queue_limit;       /* connections waiting for their worker: the accept queue (0: a backlog of 128) */
    double bandwidth;         /* image bytes of the whole server, bit/s ([download] bandwidth; 0: no cap) */
    gint64 max_downloads;     /* image GETs sending at once ([download] max_concurrent; 0: no cap) */
    double session_linger;    /* seconds a cut session waits for its cookie (0: sessions end with their connection) */
    /* TLS session resumption ([tls] resumption): none; ids, OpenSSL's server cache shared by the workers; tickets,
     * under the context's keys.  A resumed handshake's log line carries tls_resumed=1. */
    HnbTlsResumption resumption;
    long session_lifetime;    /* real seconds a session may be resumed ([tls] session_lifetime; 0: a day) */
} HnbAcsServeOptions;

#define HNB_ACS_IDLE_TIMEOUT 30.0
#define HNB_ACS_HEADER_TIMEOUT 10.0
#define HNB_ACS_BODY_TIMEOUT 60.0
#define HNB_ACS_HANDSHAKE_TIMEOUT 10.0
#define HNB_ACS_MAX_CONNECTIONS 4096
#define HNB_ACS_SESSION_LIFETIME 86400L /* the [tls] session_lifetime default, 1d */

/* Serve until SIGTERM, SIGINT (then the grace period) or exit_after.  Prints `metrics on http://HOST:PORT/metrics`
 * (with --metrics), then `listening on HOST:PORT` on stdout once ready.  FALSE with *error (HNB_ERROR_INPUT for a bad
 * address or a --metrics address that is not loopback, HNB_ERROR_RUN if it cannot listen or build the TLS context)
 * if it could not start; TRUE once stopped. */
gboolean hnb_acs_serve(const HnbAcsServeOptions *opts, GError **error);

#endif
