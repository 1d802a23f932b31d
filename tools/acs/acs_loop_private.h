/* tools/acs/acs_loop_private.h — what the files of the socket layer of `hnbsim acs` share and nothing else includes:
 * the connection, the worker and the server-wide state, and the few functions one of them calls in another.
 *
 *   acs_loop.c          the connection's state machine, requests, accepting, the workers, hnb_acs_serve
 *   acs_conn.c          a connection's bookkeeping: its CPU, its log line, its outcome, its end
 *   acs_tls.c           the server's TLS context (the core's profile) and why a handshake failed
 *   acs_park.c          sessions across connections: the parked-session table (TR-069 §3.4.1)
 *   acs_metrics_http.c  the plain-HTTP metrics listener on loopback
 *   acs_listen.c        listening sockets and the descriptor budget
 *
 * Everything here runs on one worker's thread, on the connections of that worker, except what is marked as shared
 * (Shared, under its lock or atomic).  The public contract is acs_loop.h.
 */
#ifndef HNB_ACS_LOOP_PRIVATE_H
#define HNB_ACS_LOOP_PRIVATE_H

#include "tools/acs/acs_loop.h"
#include "tools/acs/acs_cwmp.h"
#include "tools/acs/acs_http.h"
#include "tools/acs/acs_metrics.h"

#include <ev.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>

/* DRAIN: after refusing a request the server did not read to its end (411, 413, 431, 400), it sends its answer and
 * close_notify, shuts down its sending side and discards what the client still sends, for a bounded time and size,
 * before closing: closing with unread bytes makes the kernel answer with a reset, which can destroy the refusal
 * before the client has read it (RFC 7230 §6.6). */
typedef enum { ST_HANDSHAKE, ST_READ, ST_WRITE, ST_SHUTDOWN, ST_DRAIN } ConnState;

typedef struct Server Server;
typedef struct Conn Conn;

struct Conn {
    ev_io io;        /* the socket; events follow what OpenSSL waits for */
    ev_timer idle;   /* restarted on every bit of progress */
    /* A deadline progress does not move: the handshake as a whole, then each request's header block from its first
     * byte (a client trickling a byte at a time restarts `idle` forever: slowloris). */
    ev_timer deadline;
    HnbAcsTimeout deadline_for; /* HNB_ACS_TIMEOUT_HANDSHAKE, _SLOW_HEADER or _SLOW_BODY while `deadline` runs */
    Server *srv;
    Conn *prev, *next; /* all live connections, for shutdown */
    int fd;
    gint64 t_accept, t_handshake; /* monotonic µs: accepted, handshake done (0: not done), for the log */
    SSL *ssl;
    ConnState st;
    char peer[INET6_ADDRSTRLEN + 8];
    char *identity;  /* the HNB identity from its certificate, after the handshake */
    const char *version, *cipher; /* negotiated, after the handshake (static strings) */
    gboolean tls_resumed; /* the handshake resumed a TLS session (log: tls_resumed=1) */
    /* the worker thread's CPU spent on this connection, ns: in the TLS handshake (ST_HANDSHAKE), and after it */
    gint64 cpu_hs_ns, cpu_req_ns;
    GString *in;     /* bytes read, not yet taken by the HTTP parser */
    GString *out;    /* the response being written */
    size_t out_off;
    gboolean close_after; /* shut down once `out` is sent */
    gboolean drain_after; /* ... then drain (ST_DRAIN) */
    size_t drained;
    ev_tstamp drain_until;
    unsigned requests;
    /* the image's bytes to send after `out`: [body_off, body_off + body_left) of the file, via `fbuf` */
    guint64 body_off, body_left, body_sent;
    char *fbuf;
    size_t fbuf_len, fbuf_off;
    size_t granted;          /* --bandwidth: bytes of the bucket taken for the write under way (0: none) */
    ev_timer pace;           /* --bandwidth: waiting for the bucket */
    gboolean download_slot;  /* holds one of --max-downloads */
    GString *images; /* image answers for the log: "206:0-99,200" */
    HnbAcsHttp *http;
    HnbAcsCwmpSession cwmp;
    gboolean in_session;  /* a POST made this connection a CWMP session, counted in sessions_open */
    gboolean counted;     /* counted in sessions_total at its end (a session, or one refused for overload) */
    gboolean parked;      /* its session was parked at its end (the log says parked=1) */
    gboolean cwmp_resumed; /* its CWMP session is a parked one it took up by the cookie (cwmp_resumed=1) */
    const char *outcome;  /* see acs_loop.h */
    char *reason;         /* reason code or detail, NULL if none */
};

/* Defined in acs_metrics_http.c. */
typedef struct MetricsConn MetricsConn;

/* What the workers share: the counters (the page, --max-sessions and --max-connections are server-wide) and the
 * stop.  `lock` guards `metrics`, `served` and `stopped_by`; `stopping` and `quit` are atomics the workers read. */
typedef struct {
    pthread_mutex_t lock; /* not GMutex: its futex code is invisible to ThreadSanitizer */
    HnbAcsMetrics metrics;
    gint64 served;
    const char *stopped_by;
    gint stopping; /* a signal came: every worker stops accepting and lets its sessions finish */
    gint quit;     /* every worker's loop ends now (--exit-after, a second signal) */
    gint running;  /* workers other than the first whose loops still run */
    /* --bandwidth: one token bucket for every worker's image bytes (under `lock`); rate 0: no cap */
    double rate, cap, tokens; /* bytes/s, bytes */
    gint64 last;              /* monotonic µs of the last refill */
    guint64 downloads_open;   /* image GETs holding a --max-downloads slot (under `lock`) */
    guint nworkers;
    Server **workers;
    /* --session-linger: cookie (the key points into the value) → Parked, under `lock`; NULL when disabled */
    GHashTable *parked;
    gint64 linger_us;
    guint parked_cap; /* --max-connections: at the cap the one parked first goes */
} Shared;

/* One worker: its own thread (the first: the caller's), libev loop, listening socket and connections; the
 * configuration is a copy per worker, read-only once serving. */
struct Server {
    Shared *sh;
    guint id;
    ev_async wake; /* another thread changed sh->stopping or sh->quit */
    struct ev_loop *loop;
    ev_io listen_io;
    ev_signal sigterm, sigint;
    ev_timer grace;
    int listen_fd;
    HnbPki *pki;
    SSL_CTX *ctx;
    Conn *conns, *conns_tail; /* newest first: the tail is the oldest */
    gint64 max_connections;   /* open at once; at the cap an idle one makes room or the new one is refused */
    double idle_s, header_s, body_s, handshake_s;
    gint64 exit_after;   /* stop after this many connections (0: never) */
    gint64 served;
    gint64 max_sessions; /* CWMP sessions open at once (0: no limit) */
    gint64 max_downloads; /* image GETs sending at once (0: no limit) */
    guint retry_after;
    double grace_s;
    gboolean stopping;   /* this worker has stopped accepting: sessions finishing */
    guint cut;           /* sessions still open when the loop ended */
    ev_io metrics_io;    /* the first worker's */
    int metrics_fd;
    MetricsConn *mconns;
    const HnbAcsImage *image;
    HnbAcsCampaign *campaign;
    HnbAcsCwmpImage cwmp_image; /* what the sessions offer, pointing into image */
    char *bound;                /* HOST:PORT, for the image URL when a request has no Host */
    ev_timer sweep;             /* the first worker's: frees the parked sessions whose linger is over */
    /* CPU accounting: the connection a callback is working for (NULL: none) and the thread's CPU clock (ns) when its
     * last share was charged */
    Conn *cpu_conn;
    gint64 cpu_mark;
};

/* The shared counters, locked for the caller's few updates. */
static inline HnbAcsMetrics *metrics_lock(Server *s)
{
    pthread_mutex_lock(&s->sh->lock);
    return &s->sh->metrics;
}

static inline void metrics_unlock(Server *s)
{
    pthread_mutex_unlock(&s->sh->lock);
}

/* ---- a connection's bookkeeping (acs_conn.c) ---------------------------------------------------------------------
 * CPU accounting: see acs_conn.c.  cpu_enter when a callback starts working for a connection, cpu_leave when it is
 * done with it (or the connection closes: conn_close calls it), cpu_charge before the state leaves ST_HANDSHAKE. */
gint64 thread_cpu_ns(void); /* this thread's CPU clock, ns (0 if it cannot be read) */
void cpu_enter(Server *s, Conn *c);
void cpu_charge(Server *s);
void cpu_leave(Server *s);
/* The connection's one log line (acs_loop.h), on stderr. */
void conn_log(const Conn *c);
/* Set its outcome and reason (copied, made one line of valid UTF-8: it may quote the peer). */
void conn_set_outcome(Conn *c, const char *outcome, const char *reason);
/* Stop its watchers, unlink it from its worker, count it out of connections_open (and its download slot), free it. */
void conn_free(Conn *c);
/* Count its end in the metrics: its session (sessions_open, sessions_total) and its CPU. */
void conn_count_end(Conn *c);

/* ---- the TLS profile (acs_tls.c) -------------------------------------------------------------------------------- */

/* The server context every worker shares: the core's profile with the resumption asked for, sessions living
 * lifetime_s.  NULL with *error if it cannot be built. */
SSL_CTX *server_ctx_for(HnbPki *pki, gboolean tls11, HnbTlsResumption resumption, long lifetime_s, GError **error);
/* Why a handshake failed with SSL error `err`: "reason (detail)" with the core's reason codes, or
 * closed_before_handshake / closed_during_handshake (newly allocated). */
char *handshake_reason(SSL *ssl, int err);

/* ---- sessions across connections (acs_park.c) --------------------------------------------------------------------
 * The table is sh->parked (NULL: --session-linger off), under sh->lock; these functions take the lock themselves. */

/* End the parked sessions whose linger is over at `now` (G_MAXINT64: all, the server stopping), each with its
 * `acs: session_ended` line; `expired` counts them in sessions_expired. */
void parked_sweep(Shared *sh, gint64 now, const char *why, gboolean expired);
/* The first worker's sweep timer (Server.sweep). */
void on_sweep(struct ev_loop *loop, ev_timer *w, int revents);
/* Is the closing connection's session one to park? */
gboolean conn_parkable(const Conn *c);
/* Move the closing connection's session into the table; its end then counts no session. */
void conn_park(Conn *c);

typedef enum { RESUME_NONE, RESUME_TAKEN, RESUME_FOREIGN } Resume;

/* A new connection's first POST with the cookie header `cookie_header`: RESUME_TAKEN, the connection now holds the
 * parked session (outcome informed); RESUME_FOREIGN, it is another identity's (counted as refused_foreign_cookie);
 * RESUME_NONE, no such session. */
Resume conn_resume(Conn *c, const char *cookie_header);

/* ---- the metrics listener (acs_metrics_http.c) ------------------------------------------------------------------ */

/* The first worker's watcher on its metrics socket (Server.metrics_io, data: the Server): accepts, then answers
 * GET /metrics with the page, one request a connection, dropped after METRICS_TIMEOUT_S. */
void on_metrics_accept(struct ev_loop *loop, ev_io *w, int revents);
/* Close and free one metrics connection (Server.mconns). */
void metrics_conn_free(MetricsConn *m);

/* ---- listening sockets (acs_listen.c) --------------------------------------------------------------------------- */

/* Bind and listen on HOST:PORT ([V6]:PORT too; port 0 picks a free one), non-blocking, SO_REUSEADDR, SO_REUSEPORT
 * if asked; `option` names the option in messages; loopback_only refuses any address that is not 127.0.0.0/8 or ::1.
 * Returns the fd with *bound the HOST:PORT it got (newly allocated), or -1 with *error (HNB_ERROR_INPUT for a bad or
 * refused address, HNB_ERROR_RUN if it cannot bind or listen). */
int listen_on(const char *option, const char *spec, gboolean loopback_only, gboolean reuseport, int backlog,
              char **bound, GError **error);
/* How many of `want` connections fit under RLIMIT_NOFILE, once its soft limit is raised toward the hard one. */
gint64 connections_that_fit(gint64 want);

#endif
