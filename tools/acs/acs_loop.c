/* tools/acs/acs_loop.c — libev, sockets and OpenSSL for `hnbsim acs` (see acs_loop.h).
 *
 * One loop, one thread.  Every state calls its OpenSSL function until it would block; SSL_ERROR_WANT_READ /
 * WANT_WRITE re-arm the one ev_io watcher for the direction OpenSSL is waiting on (a TLS read can need a write and
 * vice versa, so the watcher follows what OpenSSL says, not what the state suggests).  An idle timer closes
 * connections that stall.  HTTP and CWMP are not here: bytes go to acs_http.c, bodies to acs_cwmp.c.
 */
#include "tools/acs/acs_loop.h"
#include "tools/acs/acs_cwmp.h"
#include "tools/acs/acs_http.h"
#include "tools/acs/acs_metrics.h"
#include "crypto/tls.h"
#include "sim/error.h"

#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Limits that keep one bad client from holding memory or a slot forever. */
static const HnbAcsHttpLimits http_limits = {
    .max_header = 16 * 1024, /* request line + headers; a CPE's are a few hundred bytes */
    .max_headers = 64,
    .max_body = 1024 * 1024, /* a CWMP envelope is a few KiB; a large GetParameterValuesResponse some 100 KiB */
};
static const HnbAcsSoapLimits soap_limits = {
    .max_bytes = 1024 * 1024,
    .max_depth = 32, /* Envelope/Body/RPC/ParameterList/ParameterValueStruct/Value is 6 */
};
enum {
    HNB_ACS_BACKLOG = 128,    /* the accept queue without --queue-limit */
    DRAIN_SECONDS = 2,        /* after a refusal: read and discard what the client still sends for this long ... */
    DRAIN_MAX = 1024 * 1024,  /* ... or this many bytes */
    METRICS_TIMEOUT_S = 5,    /* a metrics request not read and answered by then is dropped */
};
static const HnbAcsHttpLimits metrics_http_limits = {.max_header = 8 * 1024, .max_headers = 32, .max_body = 4096};

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

/* A plain-HTTP connection to the metrics listener: one request, one answer, closed. */
typedef struct MetricsConn MetricsConn;
struct MetricsConn {
    ev_io io;
    ev_timer timer;
    Server *srv;
    MetricsConn *prev, *next;
    int fd;
    HnbAcsHttp *http;
    GString *in, *out;
    size_t out_off;
    gboolean answered;
};

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

/* A CWMP session whose connection the CPE cut before the session ended, kept for the next connection that brings its
 * cookie (TR-069 §3.4.1: a session may span TCP connections).  It keeps its sessions_open slot (acs_loop.h). */
typedef struct {
    char *identity;         /* the certificate identity of the connection that owned it: only that one takes it up */
    HnbAcsCwmpSession cwmp; /* moved out of the connection; user_data NULL while no connection holds it */
    gint64 expires;         /* monotonic µs */
} Parked;

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

static void conn_step(Conn *c);

/* ---- CPU accounting ----------------------------------------------------------------------------------------------
 * A connection's cost is the worker thread's CPU clock (CLOCK_THREAD_CPUTIME_ID: this thread only, not the other
 * workers nor the time the thread waits) from the start of each callback that works for it to its end, or to its
 * close; the share spent while it is in ST_HANDSHAKE is the handshake's.  Per thread and per callback because the
 * loop interleaves its connections: the process's clock, or the wall clock between accept and close, would charge a
 * connection for its neighbours' work and for the network's round trips.  A callback that closes another connection
 * (make_room) charges that work to its own. */

static gint64 thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0; /* Linux has the clock; were it missing, costs would read 0, never garbage */
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A callback starts working for `c`. */
static void cpu_enter(Server *s, Conn *c)
{
    s->cpu_conn = c;
    s->cpu_mark = thread_cpu_ns();
}

/* The CPU since the last charge to the connection being worked for, in the phase it is in now: called before the
 * state leaves ST_HANDSHAKE, so that the phases split exactly there. */
static void cpu_charge(Server *s)
{
    Conn *c = s->cpu_conn;
    if (!c)
        return;
    gint64 now = thread_cpu_ns(), d = MAX(now - s->cpu_mark, 0);
    if (c->st == ST_HANDSHAKE)
        c->cpu_hs_ns += d;
    else
        c->cpu_req_ns += d;
    s->cpu_mark = now;
}

/* The callback is done with its connection (or the connection is closing). */
static void cpu_leave(Server *s)
{
    cpu_charge(s);
    s->cpu_conn = NULL;
}

/* The shared counters, locked for the caller's few updates. */
static HnbAcsMetrics *metrics_lock(Server *s)
{
    pthread_mutex_lock(&s->sh->lock);
    return &s->sh->metrics;
}

static void metrics_unlock(Server *s)
{
    pthread_mutex_unlock(&s->sh->lock);
}

/* Stopping, this worker's loop ends with its last connection; the first worker's (which watches the signals and
 * serves the page) only once the others' have ended too.  TRUE if it ends. */
static gboolean worker_maybe_done(Server *s)
{
    if (!s->stopping || s->conns || (s->id == 0 && g_atomic_int_get(&s->sh->running) > 0))
        return FALSE;
    ev_break(s->loop, EVBREAK_ALL);
    return TRUE;
}

/* --bandwidth: up to `want` bytes from the shared bucket, refilled at the rate since the last call.  0 if fewer than
 * min(want, 1 KiB) are there (no trickle of tiny records), with *wait the seconds until they are. */
static size_t bucket_take(Server *s, size_t want, double *wait)
{
    Shared *sh = s->sh;
    size_t least = MIN(want, (size_t)1024), n = 0;
    pthread_mutex_lock(&sh->lock);
    gint64 now = g_get_monotonic_time();
    sh->tokens = MIN(sh->cap, sh->tokens + sh->rate * (double)(now - sh->last) / 1e6);
    sh->last = now;
    if (sh->tokens >= (double)least) {
        n = MIN(want, (size_t)sh->tokens);
        sh->tokens -= (double)n;
    } else {
        *wait = ((double)least - sh->tokens) / sh->rate;
    }
    pthread_mutex_unlock(&sh->lock);
    return n;
}

/* Bytes taken and not sent (a partial write) go back. */
static void bucket_refund(Server *s, size_t n)
{
    pthread_mutex_lock(&s->sh->lock);
    s->sh->tokens = MIN(s->sh->cap, s->sh->tokens + (double)n);
    pthread_mutex_unlock(&s->sh->lock);
}

/* The image's body is sent (or the connection ends): its --max-downloads slot is free. */
static void download_done(Conn *c)
{
    if (!c->download_slot)
        return;
    c->download_slot = FALSE;
    HnbAcsMetrics *m = metrics_lock(c->srv);
    m->downloads_open = --c->srv->sh->downloads_open;
    metrics_unlock(c->srv);
}

/* Wake every worker's loop to look at sh->stopping and sh->quit. */
static void wake_all(Shared *sh)
{
    for (guint i = 0; i < sh->nworkers; i++)
        ev_async_send(sh->workers[i]->loop, &sh->workers[i]->wake);
}

/* ---- the profile ------------------------------------------------------------------------------------------------ */

/* Sessions the H(e)MS keeps for resumption by session ID.  Each holds the device's certificate (the identity is read
 * from it on a resumed handshake): ~6 KiB a session (17000 full handshakes raised the peak RSS from 20 to 120 MiB),
 * so a full cache stays well under the soak test's 256 MiB bound while it covers a fleet's worth of HNBs reconnecting
 * within a lifetime; past it OpenSSL drops the least recently used one. */
#define ACS_SESSION_CACHE 16384

/* The server context for the H(e)MS of the exported PKI: the core's builder, the one the simulation's handshakes
 * use, with the resumption the [tls] resumption key names.
 *
 * The core's session-ID cache lives in the simulation's job handles (HnbTlsSession), which a real socket does not
 * have: for ids this context swaps it for OpenSSL's internal server cache (RFC 5246 §7.3 and §7.4.1.2: the server
 * looks the ClientHello's session_id up and, when it finds it, answers with the same id and an abbreviated
 * handshake).  One context serves every worker and OpenSSL locks its cache inside, so a session made on one worker
 * resumes on any.  tickets (RFC 5077) need no cache: the core's context already issues them under the keys OpenSSL
 * made for it, the same for every worker.  Either way a session lives `lifetime_s` of real time (SSL_CTX_set_timeout,
 * which is also the ticket's lifetime hint), where the simulation lets its simulated session_lifetime decide. */
static SSL_CTX *server_ctx_for(HnbPki *pki, gboolean tls11, HnbTlsResumption resumption, long lifetime_s,
                               GError **error)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    if (tls11)
        cfg.min_version = TLS1_1_VERSION;
    cfg.resumption = resumption;
    SSL_CTX *ctx = hnb_tls_server_ctx_new(&cfg, pki, NULL, error);
    hnb_tls_config_clear(&cfg);
    if (!ctx)
        return NULL;
    if (resumption == HNB_TLS_RESUME_IDS) {
        SSL_CTX_sess_set_new_cb(ctx, NULL);
        SSL_CTX_sess_set_get_cb(ctx, NULL);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, ACS_SESSION_CACHE);
    }
    SSL_CTX_set_timeout(ctx, lifetime_s);
    return ctx;
}

/* Why a handshake failed, "reason (detail)" with the core's reason codes.  A peer that goes away first is named
 * apart: before sending a byte (a port check, a client giving up) or in the middle of the handshake. */
static char *handshake_reason(SSL *ssl, int err)
{
    unsigned long e = ERR_peek_last_error();
    gboolean eof = err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && (e == 0 || errno == 0)) ||
                   (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
    if (eof) {
        BIO *rbio = SSL_get_rbio(ssl);
        return g_strdup(rbio && BIO_number_read(rbio) == 0 ? "closed_before_handshake" : "closed_during_handshake");
    }
    char detail[160] = "";
    HnbTlsReason r = hnb_tls_reason_from_ssl(ssl, detail, sizeof detail);
    return detail[0] ? g_strdup_printf("%s (%s)", hnb_tls_reason_name(r), detail) : g_strdup(hnb_tls_reason_name(r));
}

/* ---- logging ---------------------------------------------------------------------------------------------------- */

static void conn_log(const Conn *c)
{
    const char *version = c->version ? c->version : "-", *cipher = c->cipher ? c->cipher : "-";
    const char *rpcs = c->cwmp.rpcs && c->cwmp.rpcs->len ? c->cwmp.rpcs->str : "-";
    g_autoptr(GString) more = g_string_new(NULL);
    if (c->cwmp.cookie_log)
        g_string_append_printf(more, " cookie=%s", c->cwmp.cookie_log);
    if (c->cwmp.download)
        g_string_append_printf(more, " download=%s", c->cwmp.download);
    if (c->cwmp.transfer)
        g_string_append_printf(more, " transfer=%s", c->cwmp.transfer);
    if (c->cwmp.campaign_log)
        g_string_append_printf(more, " %s", c->cwmp.campaign_log);
    if (c->images->len)
        g_string_append_printf(more, " images=%s bytes=%" G_GUINT64_FORMAT, c->images->str, c->body_sent);
    if (c->tls_resumed)
        g_string_append(more, " tls_resumed=1");
    if (c->cwmp_resumed)
        g_string_append(more, " cwmp_resumed=1");
    if (c->parked)
        g_string_append(more, " parked=1");
    if (c->srv->sh->nworkers > 1)
        g_string_append_printf(more, " worker=%u", c->srv->id);
    /* durations on the server's clock: the TLS handshake from the accept, the whole connection from the accept to
     * this line (its close) */
    gint64 now = g_get_monotonic_time();
    /* the CPU the worker spent on it (cpu_us, the whole; hs_cpu_us, the handshake's share): service time, where the
     * durations are also the network's and the neighbours' */
    g_string_append_printf(more, " cpu_us=%" G_GINT64_FORMAT " hs_cpu_us=%" G_GINT64_FORMAT,
                           (c->cpu_hs_ns + c->cpu_req_ns) / 1000, c->cpu_hs_ns / 1000);
    if (c->t_handshake)
        g_string_append_printf(more, " handshake_ms=%.1f", (c->t_handshake - c->t_accept) / 1e3);
    g_string_append_printf(more, " duration_ms=%.1f", (now - c->t_accept) / 1e3);
    fprintf(stderr, "acs: peer=%s tls=%s cipher=%s identity=%s rpcs=%s requests=%u outcome=%s%s%s%s\n", c->peer,
            version, cipher, c->identity ? c->identity : "-", rpcs, c->requests, c->outcome,
            c->reason ? " reason=" : "", c->reason ? c->reason : "", more->str);
    fflush(stderr);
}

/* The reason may quote the peer (a DeviceId, a parser's message): one line of valid UTF-8 in the log, whatever it
 * sent. */
static void conn_set_outcome(Conn *c, const char *outcome, const char *reason)
{
    c->outcome = outcome;
    g_free(c->reason);
    c->reason = reason ? g_utf8_make_valid(reason, -1) : NULL;
    for (char *p = c->reason; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* ---- connection lifetime ---------------------------------------------------------------------------------------- */

static void conn_free(Conn *c)
{
    Server *s = c->srv;
    ev_io_stop(s->loop, &c->io);
    ev_timer_stop(s->loop, &c->idle);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->conns_tail = c->prev;
    ev_timer_stop(s->loop, &c->deadline);
    ev_timer_stop(s->loop, &c->pace);
    HnbAcsMetrics *m = metrics_lock(s);
    m->connections_open--;
    if (c->download_slot)
        s->sh->downloads_open--;
    m->downloads_open = s->sh->downloads_open;
    metrics_unlock(s);
    /* SSL_free drops the session from the cache unless our close_notify went out: a peer that went away or a deadline
     * after a good handshake must not cost the HNB its session (RFC 5246 §7.2.1: an improper close no longer requires
     * that a session not be resumed).  A fatal alert has already dropped it; a refused identity drops it itself. */
    if (c->version)
        SSL_set_shutdown(c->ssl, SSL_get_shutdown(c->ssl) | SSL_SENT_SHUTDOWN);
    SSL_free(c->ssl);
    close(c->fd);
    g_string_free(c->in, TRUE);
    g_string_free(c->out, TRUE);
    g_string_free(c->images, TRUE);
    g_free(c->fbuf);
    hnb_acs_http_free(c->http);
    hnb_acs_cwmp_session_clear(&c->cwmp);
    g_free(c->identity);
    g_free(c->reason);
    g_free(c);
}

/* The metrics of a connection's end. */
static void conn_count_end(Conn *c)
{
    /* in µs as the log line has them, so that the page's sums are the log's */
    guint64 hs_us = (guint64)(c->cpu_hs_ns / 1000), all_us = (guint64)((c->cpu_hs_ns + c->cpu_req_ns) / 1000);
    HnbAcsMetrics *m = metrics_lock(c->srv);
    if (c->in_session)
        m->sessions_open--;
    if (c->counted)
        hnb_acs_metrics_session_end(m, c->outcome);
    hnb_acs_metrics_cpu(m, hs_us, all_us - hs_us);
    if (c->version) /* the handshake succeeded (a refused identity included: its cost was paid) */
        hnb_acs_metrics_cpu_observe(m, c->tls_resumed ? HNB_ACS_CPU_HANDSHAKE_RESUMED : HNB_ACS_CPU_HANDSHAKE_FULL,
                                    hs_us);
    if (c->counted)
        hnb_acs_metrics_cpu_observe(m, HNB_ACS_CPU_SESSION, all_us);
    metrics_unlock(c->srv);
    c->in_session = c->counted = FALSE;
}

/* ---- sessions across connections (TR-069 §3.4.1) ---------------------------------------------------------------- */

/* A parked session ends unresumed (under the lock, already out of the table): it ends as its last connection did,
 * closed, and gives back its sessions_open slot. */
static void parked_end(Shared *sh, Parked *p, const char *why, gboolean expired)
{
    HnbAcsMetrics *m = &sh->metrics;
    m->sessions_parked--;
    m->sessions_open--;
    if (expired)
        m->sessions_expired++;
    hnb_acs_metrics_session_end(m, "closed");
    fprintf(stderr, "acs: session_ended identity=%s rpcs=%s outcome=closed reason=%s\n", p->identity,
            p->cwmp.rpcs && p->cwmp.rpcs->len ? p->cwmp.rpcs->str : "-", why);
    fflush(stderr);
    hnb_acs_cwmp_session_clear(&p->cwmp);
    g_free(p->identity);
    g_free(p);
}

/* End the parked sessions whose linger is over at `now` (G_MAXINT64: all, the server stopping). */
static void parked_sweep(Shared *sh, gint64 now, const char *why, gboolean expired)
{
    pthread_mutex_lock(&sh->lock);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, sh->parked);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Parked *p = value;
        if (p->expires <= now) {
            g_hash_table_iter_remove(&it);
            parked_end(sh, p, why, expired);
        }
    }
    pthread_mutex_unlock(&sh->lock);
}

static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Server *s = (Server *)((char *)w - offsetof(Server, sweep));
    parked_sweep(s->sh, g_get_monotonic_time(), "session_linger", TRUE);
}

/* Is the connection's session one to park?  An accepted Inform, not ended by an answer, and the peer went away (not
 * an ACS refusal, a deadline or a stop: those end the session). */
static gboolean conn_parkable(const Conn *c)
{
    const Server *s = c->srv;
    return s->sh->parked && c->in_session && c->cwmp.informed && !c->cwmp.ended && c->cwmp.cookie_set &&
           c->identity && !s->stopping && !g_atomic_int_get(&s->sh->stopping) &&
           g_strcmp0(c->outcome, "closed") == 0;
}

/* Move the connection's session into the table, the first one parked giving way at the cap (bounded memory).  The
 * connection no longer holds a session: its end counts nothing, the session's will. */
static void conn_park(Conn *c)
{
    Shared *sh = c->srv->sh;
    Parked *p = g_new0(Parked, 1);
    p->identity = g_strdup(c->identity);
    p->cwmp = c->cwmp;
    p->cwmp.user_data = NULL;
    memset(&c->cwmp, 0, sizeof c->cwmp);
    p->expires = g_get_monotonic_time() + sh->linger_us;
    pthread_mutex_lock(&sh->lock);
    Parked *same = g_hash_table_lookup(sh->parked, p->cwmp.cookie); /* 128 random bits: never, but not a leak */
    if (same) {
        g_hash_table_remove(sh->parked, p->cwmp.cookie);
        parked_end(sh, same, "replaced", TRUE);
    }
    if (g_hash_table_size(sh->parked) >= sh->parked_cap) {
        GHashTableIter it;
        gpointer value;
        Parked *oldest = NULL;
        g_hash_table_iter_init(&it, sh->parked);
        while (g_hash_table_iter_next(&it, NULL, &value))
            if (!oldest || ((Parked *)value)->expires < oldest->expires)
                oldest = value;
        g_hash_table_remove(sh->parked, oldest->cwmp.cookie);
        parked_end(sh, oldest, "evicted", TRUE);
    }
    g_hash_table_insert(sh->parked, p->cwmp.cookie, p);
    sh->metrics.sessions_parked++;
    pthread_mutex_unlock(&sh->lock);
    c->in_session = c->counted = FALSE;
}

typedef enum { RESUME_NONE, RESUME_TAKEN, RESUME_FOREIGN } Resume;

/* A new connection's first POST: does its cookie name a parked session?  Of the same certificate identity: the
 * connection takes it (its sessions_open slot too).  Of another: RESUME_FOREIGN, the session stays parked for its
 * owner.  Unknown or past its linger: RESUME_NONE, the POST opens a new session as any first POST does. */
static Resume conn_resume(Conn *c, const char *cookie_header)
{
    Shared *sh = c->srv->sh;
    if (!sh->parked || !c->identity)
        return RESUME_NONE;
    g_autofree char *cookie = hnb_acs_cwmp_cookie_value(cookie_header);
    if (!cookie)
        return RESUME_NONE;
    Resume res = RESUME_NONE;
    Parked *taken = NULL;
    pthread_mutex_lock(&sh->lock);
    Parked *p = g_hash_table_lookup(sh->parked, cookie);
    if (p && p->expires <= g_get_monotonic_time()) { /* the sweep has not come yet: as if it had */
        g_hash_table_remove(sh->parked, cookie);
        parked_end(sh, p, "session_linger", TRUE);
        p = NULL;
    }
    if (p && strcmp(p->identity, c->identity) != 0) {
        sh->metrics.refused_foreign_cookie++;
        res = RESUME_FOREIGN;
    } else if (p) {
        g_hash_table_remove(sh->parked, cookie);
        sh->metrics.sessions_parked--;
        sh->metrics.sessions_resumed++;
        taken = p;
        res = RESUME_TAKEN;
    }
    pthread_mutex_unlock(&sh->lock);
    if (taken) {
        hnb_acs_cwmp_session_clear(&c->cwmp);
        c->cwmp = taken->cwmp;
        c->cwmp.user_data = c;
        if (c->cwmp.image) /* the parking worker's copy (the same image): this worker's, as for its own sessions */
            c->cwmp.image = &c->srv->cwmp_image;
        g_free(taken->identity);
        g_free(taken);
        c->cwmp_resumed = TRUE;
        conn_set_outcome(c, "informed", NULL);
    }
    return res;
}

/* Log, count, free, and stop the server when --exit-after is reached or, once stopping, the last one is gone. */
static void conn_close(Conn *c)
{
    Server *s = c->srv;
    if (s->cpu_conn == c) /* its cost up to its line; the freeing is not counted */
        cpu_leave(s);
    c->parked = conn_parkable(c);
    conn_log(c);
    if (c->parked)
        conn_park(c);
    conn_count_end(c);
    conn_free(c);
    pthread_mutex_lock(&s->sh->lock);
    gboolean done = s->exit_after > 0 && ++s->sh->served >= s->exit_after;
    if (done && !s->sh->stopped_by)
        s->sh->stopped_by = "exit_after";
    pthread_mutex_unlock(&s->sh->lock);
    if (done) {
        g_atomic_int_set(&s->sh->quit, 1);
        wake_all(s->sh);
        ev_break(s->loop, EVBREAK_ALL);
    }
    worker_maybe_done(s);
}

static void conn_want(Conn *c, int events)
{
    if ((c->io.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&c->io))
        return;
    ev_io_stop(c->srv->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(c->srv->loop, &c->io);
}

/* A non-blocking SSL call returned `err`: if it waits for the socket, watch for that and say so (TRUE). */
static gboolean conn_want_io(Conn *c, int err)
{
    if (err == SSL_ERROR_WANT_READ)
        conn_want(c, EV_READ);
    else if (err == SSL_ERROR_WANT_WRITE)
        conn_want(c, EV_WRITE);
    else
        return FALSE;
    return TRUE;
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    Conn *c = (Conn *)((char *)w - offsetof(Conn, io));
    Server *s = c->srv;
    cpu_enter(s, c);
    ev_timer_again(s->loop, &c->idle);
    conn_step(c);
    cpu_leave(s); /* nothing if conn_step closed it: conn_close charged it then */
}

static void on_conn_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Conn *c = (Conn *)((char *)w - offsetof(Conn, idle));
    cpu_enter(c->srv, c); /* closing it (its line, its counts) is its work too */
    if (c->st == ST_DRAIN) {
        conn_close(c); /* the refusal was sent and logged as such */
        return;
    }
    HnbAcsMetrics *m = metrics_lock(c->srv);
    m->timeouts[HNB_ACS_TIMEOUT_IDLE]++;
    if (c->st == ST_HANDSHAKE) {
        conn_set_outcome(c, "refused", "handshake_timeout (idle)");
        hnb_acs_metrics_handshake(m, c->reason);
    }
    metrics_unlock(c->srv);
    if (c->st != ST_HANDSHAKE && g_strcmp0(c->outcome, "ok") != 0)
        conn_set_outcome(c, "timeout", hnb_acs_http_in_request(c->http) ? "partial_request" : NULL);
    conn_close(c);
}

/* --bandwidth: the bucket has the bytes now; waiting for it is progress (the idle timer restarts). */
static void on_conn_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    Conn *c = (Conn *)((char *)w - offsetof(Conn, pace));
    Server *s = c->srv;
    cpu_enter(s, c);
    ev_timer_again(loop, &c->idle);
    conn_step(c);
    cpu_leave(s);
}

/* The handshake or a request header took too long, however steadily its bytes came. */
static void on_conn_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Conn *c = (Conn *)((char *)w - offsetof(Conn, deadline));
    Server *s = c->srv;
    cpu_enter(s, c);
    HnbAcsMetrics *m = metrics_lock(s);
    m->timeouts[c->deadline_for]++;
    if (c->deadline_for == HNB_ACS_TIMEOUT_HANDSHAKE) {
        g_autofree char *why = g_strdup_printf("handshake_timeout (not done within %g s)", s->handshake_s);
        conn_set_outcome(c, "refused", why);
        hnb_acs_metrics_handshake(m, c->reason);
    }
    metrics_unlock(s);
    if (c->deadline_for == HNB_ACS_TIMEOUT_SLOW_HEADER) {
        g_autofree char *why = g_strdup_printf("slow_header (request header not complete within %g s of its first "
                                               "byte)", s->header_s);
        conn_set_outcome(c, "timeout", why);
    } else if (c->deadline_for == HNB_ACS_TIMEOUT_SLOW_BODY) {
        g_autofree char *why = g_strdup_printf("slow_body (request body not complete within %g s of its header)",
                                               s->body_s);
        conn_set_outcome(c, "timeout", why);
    }
    conn_close(c);
}

/* In READ: the header deadline starts with a request's first byte (bytes between requests count: a client could
 * trickle blank lines) and ends with its header; the body then has its own deadline, so that a client trickling a
 * body up to the size limit cannot hold its connection for max_body × idle_timeout. */
static void conn_header_deadline(Conn *c, gboolean bytes_came)
{
    Server *s = c->srv;
    if (hnb_acs_http_in_body(c->http)) {
        if (c->deadline_for != HNB_ACS_TIMEOUT_SLOW_BODY || !ev_is_active(&c->deadline)) {
            ev_timer_stop(s->loop, &c->deadline);
            c->deadline_for = HNB_ACS_TIMEOUT_SLOW_BODY;
            ev_timer_set(&c->deadline, s->body_s, 0.);
            ev_timer_start(s->loop, &c->deadline);
        }
    } else if (bytes_came && !ev_is_active(&c->deadline)) {
        c->deadline_for = HNB_ACS_TIMEOUT_SLOW_HEADER;
        ev_timer_set(&c->deadline, s->header_s, 0.);
        ev_timer_start(s->loop, &c->deadline);
    }
}

/* ---- requests --------------------------------------------------------------------------------------------------- */

/* The session's identity rule: the core's (TS 33.320 §8.3.4), the certificate against the DeviceId's claim. */
static gboolean authorize(const char *oui, const char *serial, void *user_data, char **why)
{
    Conn *c = user_data;
    if (hnb_tls_authorize(SSL_get0_peer_certificate(c->ssl), c->srv->pki, oui, serial, NULL) == HNB_TLS_OK)
        return TRUE;
    *why = g_strdup_printf("does not match the certificate identity %s", c->identity ? c->identity : "-");
    return FALSE;
}

/* A refusal at the HTTP level: plain text, then close. */
static void respond_error(Conn *c, int status, const char *why, const char *extra)
{
    c->close_after = TRUE;
    c->drain_after = TRUE;
    g_autofree char *text = g_strdup_printf("%d %s: %s\n", status, hnb_acs_http_status_text(status), why);
    hnb_acs_http_respond(c->out, status, "text/plain; charset=utf-8", text, strlen(text), extra, TRUE);
    g_autofree char *reason = g_strdup_printf("http_%d (%s)", status, why);
    conn_set_outcome(c, "error", reason);
}

/* GET or HEAD of /images/...: the header block now, the file's bytes from ST_WRITE. */
static void handle_image(Conn *c, const HnbAcsHttpRequest *req)
{
    gboolean head = strcmp(req->method, "HEAD") == 0;
    guint64 off = 0, len = 0;
    size_t mark = c->out->len;
    int status = hnb_acs_image_answer(c->srv->image, head, req->url, req->range, req->if_range, c->close_after,
                                      c->out, &off, &len);
    if (len > 0) { /* a body to send: a --max-downloads slot (the model's [download] max_concurrent) */
        Server *s = c->srv;
        HnbAcsMetrics *m = metrics_lock(s);
        gboolean full = s->max_downloads > 0 && s->sh->downloads_open >= (guint64)s->max_downloads;
        if (full)
            m->refused_max_downloads++;
        else
            m->downloads_open = ++s->sh->downloads_open;
        metrics_unlock(s);
        if (full) { /* 503 with Retry-After (RFC 7231 §6.6.4, §7.1.3): the client's resume comes back later */
            g_string_truncate(c->out, mark);
            g_autofree char *retry = g_strdup_printf("Retry-After: %u\r\n", s->retry_after);
            g_autofree char *why = g_strdup_printf("max_downloads: %" G_GINT64_FORMAT " images are being sent",
                                                   s->max_downloads);
            respond_error(c, 503, why, retry);
            if (c->images->len)
                g_string_append_c(c->images, ',');
            if (c->images->len < 200)
                g_string_append(c->images, "503");
            return;
        }
        c->download_slot = TRUE;
    }
    c->body_off = off;
    c->body_left = len;
    c->fbuf_len = c->fbuf_off = 0;
    if (c->images->len)
        g_string_append_c(c->images, ',');
    if (c->images->len < 200) {
        g_string_append_printf(c->images, "%s%d", head ? "HEAD:" : "", status);
        if (status == 206)
            g_string_append_printf(c->images, ":%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, off, off + len - 1);
    }
    if (!c->cwmp.informed && (g_strcmp0(c->outcome, "handshake") == 0 || g_strcmp0(c->outcome, "served") == 0))
        conn_set_outcome(c, "served", NULL);
}

static void handle_request(Conn *c, const HnbAcsHttpRequest *req)
{
    c->requests++;
    if (!req->keep_alive)
        c->close_after = TRUE;
    if ((strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) && hnb_acs_image_url(req->url)) {
        handle_image(c, req);
        return;
    }
    if (strcmp(req->method, "POST") != 0) {
        respond_error(c, 405, "the CWMP endpoint accepts POST only (and GET or HEAD of " HNB_ACS_IMAGE_PREFIX "NAME)",
                      "Allow: POST\r\n");
        return;
    }
    HnbAcsCwmpReply r;
    Server *s = c->srv;
    if (!c->in_session) {
        /* the connection's first POST resumes a parked session by its cookie, or opens a session unless
         * --max-sessions are open (overload) */
        c->counted = TRUE;
        Resume res = conn_resume(c, req->cookie);
        gboolean overload = FALSE;
        if (res == RESUME_NONE) {
            /* the check and the count under one lock: --max-sessions holds across the workers */
            HnbAcsMetrics *m = metrics_lock(s);
            overload = s->max_sessions > 0 && m->sessions_open >= s->max_sessions;
            if (overload)
                m->refused_overload++;
            else
                m->sessions_open++;
            metrics_unlock(s);
        }
        if (overload || res == RESUME_FOREIGN) {
            if (overload)
                hnb_acs_cwmp_answer_overload(req->body, req->body_len, &soap_limits, s->retry_after, &r);
            else
                hnb_acs_cwmp_answer_foreign_cookie(req->body, req->body_len, &soap_limits, &r);
            c->close_after = TRUE;
            c->drain_after = TRUE; /* what the client pipelined after it must not turn the close into a reset */
            hnb_acs_http_respond(c->out, r.status, "text/xml; charset=\"utf-8\"", r.body->str, r.body->len,
                                 r.headers, TRUE);
            conn_set_outcome(c, r.outcome, r.reason);
            hnb_acs_cwmp_reply_clear(&r);
            return;
        }
        c->in_session = TRUE;
    }
    HnbAcsCwmpRequestInfo info = {.host = req->host, .cookie = req->cookie};
    hnb_acs_cwmp_answer_request(&c->cwmp, req->body, req->body_len, &info, &r);
    HnbAcsMetrics *m = metrics_lock(s);
    if (r.rpc[0])
        hnb_acs_metrics_rpc(m, r.rpc);
    if (r.download_sent)
        m->downloads++;
    metrics_unlock(s);
    if (r.end)
        c->close_after = TRUE;
    hnb_acs_http_respond(c->out, r.status, "text/xml; charset=\"utf-8\"", r.body->len ? r.body->str : NULL,
                         r.body->len, r.headers, c->close_after);
    if (r.outcome)
        conn_set_outcome(c, r.outcome, r.reason);
    else if (r.reason && g_strcmp0(c->outcome, "ok") != 0)
        conn_set_outcome(c, c->outcome, r.reason);
    hnb_acs_cwmp_reply_clear(&r);
}

/* Take what the HTTP parser makes of c->in.  TRUE when something was queued in c->out. */
static gboolean take_request(Conn *c)
{
    size_t used = 0;
    HnbAcsHttpEvent ev = hnb_acs_http_feed(c->http, c->in->str, c->in->len, &used);
    g_string_erase(c->in, 0, (gssize)used);
    g_string_truncate(c->out, 0);
    c->out_off = 0;
    switch (ev) {
    case HNB_ACS_HTTP_MORE:
        return FALSE;
    case HNB_ACS_HTTP_CONTINUE:
        g_string_append(c->out, HNB_ACS_HTTP_100);
        return TRUE;
    case HNB_ACS_HTTP_REQUEST:
        handle_request(c, hnb_acs_http_request(c->http));
        return TRUE;
    case HNB_ACS_HTTP_BAD: {
        const char *why = NULL;
        int status = hnb_acs_http_error(c->http, &why);
        respond_error(c, status, why, NULL);
        return TRUE;
    }
    }
    return FALSE;
}

/* ---- the TLS state machine -------------------------------------------------------------------------------------- */

/* After the handshake: who is the HNB? */
static gboolean handshake_done(Conn *c)
{
    c->version = SSL_get_version(c->ssl);
    c->cipher = SSL_get_cipher_name(c->ssl);
    c->tls_resumed = SSL_session_reused(c->ssl);
    /* resumed: the certificate the session was made with, verified then */
    X509 *cert = SSL_get0_peer_certificate(c->ssl);
    if (!cert) { /* cannot happen while the profile demands a certificate; a custom one might not */
        conn_set_outcome(c, "refused", hnb_tls_reason_name(HNB_TLS_NO_CLIENT_CERT));
    } else if (!(c->identity = hnb_pki_cert_identity(cert))) {
        conn_set_outcome(c, "refused", "bad_identity (the certificate carries no <EUI-64>.<realm> identity)");
    } else {
        conn_set_outcome(c, "handshake", NULL);
        return TRUE;
    }
    /* a refused session is not kept for resumption (a ticket cannot be taken back, but resuming it meets this check
     * again) */
    SSL_CTX_remove_session(SSL_get_SSL_CTX(c->ssl), SSL_get0_session(c->ssl));
    return FALSE;
}

/* The peer ended the connection (close_notify, EOF or an error) while reading. */
static void read_ended(Conn *c, int err)
{
    if (g_strcmp0(c->outcome, "ok") == 0)
        return;
    if (g_strcmp0(c->outcome, "served") == 0 && !hnb_acs_http_in_request(c->http) && !c->in->len)
        return;
    if (hnb_acs_http_in_request(c->http) || c->in->len) {
        conn_set_outcome(c, "closed", "partial_request");
    } else if (err == SSL_ERROR_ZERO_RETURN) {
        conn_set_outcome(c, "closed", "no_empty_post");
    } else {
        unsigned long e = ERR_peek_last_error();
        conn_set_outcome(c, "closed", err == SSL_ERROR_SYSCALL && !e ? "eof"
                                      : e ? ERR_reason_error_string(e) : "tls_error");
    }
}

static void conn_step(Conn *c)
{
    for (;;) {
        int r, err;
        switch (c->st) {
        case ST_HANDSHAKE:
            ERR_clear_error();
            errno = 0;
            r = SSL_accept(c->ssl);
            if (r == 1) {
                ev_timer_stop(c->srv->loop, &c->deadline);
                c->t_handshake = g_get_monotonic_time();
                gboolean ok = handshake_done(c);
                HnbAcsMetrics *m = metrics_lock(c->srv);
                hnb_acs_metrics_handshake(m, ok ? NULL : c->reason);
                m->handshakes_resumed += ok && c->tls_resumed;
                metrics_unlock(c->srv);
                cpu_charge(c->srv); /* the certificate checks included: the handshake's share ends here */
                c->st = ok ? ST_READ : ST_SHUTDOWN;
                continue;
            }
            err = SSL_get_error(c->ssl, r);
            if (conn_want_io(c, err))
                return;
            {
                g_autofree char *reason = handshake_reason(c->ssl, err);
                conn_set_outcome(c, g_str_has_prefix(reason, "closed_") ? "closed" : "refused", reason);
                hnb_acs_metrics_handshake(metrics_lock(c->srv), reason);
                metrics_unlock(c->srv);
            }
            conn_close(c); /* OpenSSL has sent its alert; no close_notify after a failed handshake */
            return;

        case ST_READ: {
            if (take_request(c)) {
                ev_timer_stop(c->srv->loop, &c->deadline);
                c->st = ST_WRITE;
                continue;
            }
            /* pipelined bytes already read, or bytes the parser took without finishing a header */
            conn_header_deadline(c, c->in->len > 0 || hnb_acs_http_in_request(c->http));
            char buf[16384];
            ERR_clear_error();
            r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0) {
                g_string_append_len(c->in, buf, r);
                conn_header_deadline(c, TRUE);
                continue;
            }
            err = SSL_get_error(c->ssl, r);
            if (conn_want_io(c, err))
                return;
            read_ended(c, err);
            if (err == SSL_ERROR_ZERO_RETURN) { /* close_notify from the peer: answer with ours */
                c->st = ST_SHUTDOWN;
                continue;
            }
            conn_close(c);
            return;
        }

        case ST_WRITE:
            if (c->out_off == c->out->len && c->body_left > 0) {
                if (c->fbuf_off == c->fbuf_len) { /* the buffer is sent: the next piece of the file */
                    enum { FBUF = 16384 };
                    if (!c->fbuf)
                        c->fbuf = g_malloc(FBUF);
                    size_t want = c->body_left < FBUF ? (size_t)c->body_left : FBUF;
                    ssize_t n = pread(c->srv->image->fd, c->fbuf, want, (off_t)c->body_off);
                    if (n <= 0) {
                        conn_set_outcome(c, "error", n < 0 ? "image_read_failed" : "image_read_failed (file shrank)");
                        conn_close(c);
                        return;
                    }
                    c->fbuf_len = (size_t)n;
                    c->fbuf_off = 0;
                }
                /* a retry after WANT_WRITE passes the same bytes: the buffer only moves on once they are taken, and
                 * the bucket is asked only before a first attempt */
                size_t len = c->fbuf_len - c->fbuf_off;
                if (c->srv->sh->rate > 0) {
                    if (!c->granted) {
                        double wait = 0;
                        c->granted = bucket_take(c->srv, len, &wait);
                        if (!c->granted) {
                            ev_io_stop(c->srv->loop, &c->io);
                            ev_timer_set(&c->pace, wait, 0.);
                            ev_timer_start(c->srv->loop, &c->pace);
                            return;
                        }
                    }
                    len = c->granted;
                }
                ERR_clear_error();
                r = SSL_write(c->ssl, c->fbuf + c->fbuf_off, (int)len);
                if (r > 0) {
                    if (c->granted && (size_t)r < c->granted)
                        bucket_refund(c->srv, c->granted - (size_t)r);
                    c->granted = 0;
                    c->fbuf_off += (size_t)r;
                    c->body_off += (guint64)r;
                    c->body_left -= (guint64)r;
                    c->body_sent += (guint64)r;
                    metrics_lock(c->srv)->image_bytes += (guint64)r;
                    metrics_unlock(c->srv);
                    if (c->body_left == 0) {
                        g_clear_pointer(&c->fbuf, g_free);
                        download_done(c);
                    }
                    continue;
                }
                err = SSL_get_error(c->ssl, r);
                if (conn_want_io(c, err))
                    return;
                conn_set_outcome(c, "closed", "mid_download");
                conn_close(c);
                return;
            }
            if (c->out_off == c->out->len) {
                /* once stopping, a connection that is not a session ends after its answer */
                c->st = c->close_after || (c->srv->stopping && !c->in_session) ? ST_SHUTDOWN : ST_READ;
                continue;
            }
            ERR_clear_error();
            r = SSL_write(c->ssl, c->out->str + c->out_off, (int)(c->out->len - c->out_off));
            if (r > 0) {
                c->out_off += (size_t)r;
                continue;
            }
            err = SSL_get_error(c->ssl, r);
            if (conn_want_io(c, err))
                return;
            conn_set_outcome(c, "closed", "write_failed");
            conn_close(c);
            return;

        case ST_SHUTDOWN:
            /* send our close_notify; not waiting for the peer's is allowed (RFC 5246 §7.2.1) and keeps slow peers
             * from holding the connection */
            ERR_clear_error();
            r = SSL_shutdown(c->ssl);
            if (r < 0) {
                err = SSL_get_error(c->ssl, r);
                if (conn_want_io(c, err))
                    return;
            }
            if (r >= 0 && c->drain_after) {
                shutdown(c->fd, SHUT_WR);
                c->st = ST_DRAIN;
                c->drain_until = ev_now(c->srv->loop) + DRAIN_SECONDS;
                c->idle.repeat = DRAIN_SECONDS;
                ev_timer_stop(c->srv->loop, &c->deadline);
                ev_timer_again(c->srv->loop, &c->idle);
                conn_want(c, EV_READ);
                return;
            }
            conn_close(c);
            return;

        case ST_DRAIN: {
            /* raw bytes: the TLS records after our close_notify need no decrypting to be thrown away */
            char buf[16384];
            ssize_t n = -1;
            errno = EAGAIN;
            while (c->drained < DRAIN_MAX && (n = read(c->fd, buf, sizeof buf)) > 0)
                c->drained += (size_t)n;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && c->drained < DRAIN_MAX &&
                ev_now(c->srv->loop) < c->drain_until)
                return;
            conn_close(c);
            return;
        }
        }
    }
}

/* ---- accepting -------------------------------------------------------------------------------------------------- */

/* The oldest connection other than `except` that holds nothing: still in its handshake, or between requests outside a
 * session (an image client's keep-alive).  NULL if every other open connection is a session or busy answering. */
static Conn *oldest_idle(Server *s, const Conn *except)
{
    for (Conn *c = s->conns_tail; c; c = c->prev)
        if (c != except && !c->in_session && (c->st == ST_HANDSHAKE ||
                               (c->st == ST_READ && !hnb_acs_http_in_request(c->http) && !c->in->len)))
            return c;
    return NULL;
}

/* --max-connections reached and a new connection `c` came: close the oldest idle one for it, or refuse `c` (TRUE:
 * `c` is closed).  Each idle connection costs a descriptor and some memory for as long as its deadlines allow, so a
 * crowd of them must not keep out a client that means to talk: the oldest makes room. */
static gboolean make_room(Server *s, Conn *c)
{
    metrics_lock(s)->refused_max_connections++;
    metrics_unlock(s);
    Conn *victim = oldest_idle(s, c);
    if (victim) {
        conn_set_outcome(victim, victim->st == ST_HANDSHAKE ? "refused" : "closed",
                         "max_connections (the oldest idle connection, closed for a new one)");
        conn_close(victim);
        return FALSE;
    }
    conn_set_outcome(c, "refused", "max_connections (every open connection is a session or busy)");
    conn_close(c);
    return TRUE;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    Server *s = w->data;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, "acs: accept: %s\n", g_strerror(errno));
            return;
        }
        gint64 cpu0 = thread_cpu_ns(); /* the connection's setup (SSL_new, its buffers) is its cost, the accept not */
        SSL *ssl = SSL_new(s->ctx);
        if (!ssl || !SSL_set_fd(ssl, fd)) {
            fprintf(stderr, "acs: SSL_new: %s\n", ERR_reason_error_string(ERR_get_error()));
            SSL_free(ssl);
            close(fd);
            continue;
        }
        HnbAcsMetrics *m = metrics_lock(s);
        m->connections++;
        /* server-wide: the cap counts every worker's connections (the room is made among this worker's own) */
        gboolean full = s->max_connections > 0 && ++m->connections_open > s->max_connections;
        metrics_unlock(s);
        Conn *c = g_new0(Conn, 1);
        c->srv = s;
        c->fd = fd;
        c->t_accept = g_get_monotonic_time();
        c->ssl = ssl;
        c->in = g_string_new(NULL);
        c->out = g_string_new(NULL);
        c->http = hnb_acs_http_new(&http_limits);
        c->images = g_string_new(NULL);
        hnb_acs_cwmp_session_init(&c->cwmp, &soap_limits, authorize, c);
        if (s->image)
            hnb_acs_cwmp_session_set_image(&c->cwmp, &s->cwmp_image);
        hnb_acs_cwmp_session_set_campaign(&c->cwmp, s->campaign);
        unsigned char rnd[16];
        if (RAND_bytes(rnd, sizeof rnd) == 1) {
            char hex[33];
            for (size_t i = 0; i < sizeof rnd; i++)
                g_snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
            hnb_acs_cwmp_session_set_cookie(&c->cwmp, hex);
        }
        c->outcome = "handshake";
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0)
            g_snprintf(c->peer, sizeof c->peer, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
        else
            g_strlcpy(c->peer, "?", sizeof c->peer);
        SSL_set_accept_state(c->ssl);
        SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        ev_io_init(&c->io, on_conn_io, fd, EV_READ);
        ev_init(&c->idle, on_conn_idle);
        c->idle.repeat = s->idle_s;
        ev_timer_init(&c->deadline, on_conn_deadline, s->handshake_s, 0.);
        ev_init(&c->pace, on_conn_pace);
        c->deadline_for = HNB_ACS_TIMEOUT_HANDSHAKE;
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        else
            s->conns_tail = c;
        s->conns = c;
        cpu_enter(s, c);
        s->cpu_mark = cpu0;
        if (full && make_room(s, c))
            goto next;
        ev_timer_again(loop, &c->idle);
        ev_timer_start(loop, &c->deadline);
        conn_step(c);
    next:
        cpu_leave(s); /* nothing if it was closed: conn_close charged it */
        if (g_atomic_int_get(&s->sh->quit) || s->stopping)
            return;
    }
}

static void on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* One worker stops: no more accepting, the connections that are not sessions and not sending an answer closed, the
 * sessions given --grace seconds (the rest are closed after ev_run). */
static void worker_stop(Server *s)
{
    struct ev_loop *loop = s->loop;
    s->stopping = TRUE;
    ev_io_stop(loop, &s->listen_io);
    close(s->listen_fd);
    s->listen_fd = -1;
    for (Conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->in_session || c->st == ST_WRITE)
            continue;
        if (c->st != ST_DRAIN && g_strcmp0(c->outcome, "served") != 0)
            conn_set_outcome(c, "closed", "server_stopped");
        conn_close(c);
    }
    if (worker_maybe_done(s))
        return;
    ev_timer_set(&s->grace, s->grace_s, 0.);
    ev_timer_start(loop, &s->grace);
}

/* In every worker's thread: what another thread asked for. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)revents;
    Server *s = w->data;
    if (g_atomic_int_get(&s->sh->quit))
        ev_break(loop, EVBREAK_ALL);
    else if (g_atomic_int_get(&s->sh->stopping) && !s->stopping)
        worker_stop(s);
    else
        worker_maybe_done(s); /* the first worker: another one has finished */
}

/* SIGTERM/SIGINT, on the first worker's loop (the default one, the only one libev lets watch signals): every worker
 * stops accepting and lets its sessions finish.  A second signal stops them all at once. */
static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    Server *s = w->data;
    Shared *sh = s->sh;
    if (g_atomic_int_get(&sh->stopping))
        g_atomic_int_set(&sh->quit, 1);
    else {
        pthread_mutex_lock(&sh->lock);
        if (!sh->stopped_by)
            sh->stopped_by = w->signum == SIGINT ? "SIGINT" : "SIGTERM";
        pthread_mutex_unlock(&sh->lock);
        g_atomic_int_set(&sh->stopping, 1);
    }
    wake_all(sh);
}

/* ---- the metrics listener (plain HTTP on loopback) -------------------------------------------------------------- */

static void metrics_conn_free(MetricsConn *m)
{
    Server *s = m->srv;
    ev_io_stop(s->loop, &m->io);
    ev_timer_stop(s->loop, &m->timer);
    if (m->prev)
        m->prev->next = m->next;
    else
        s->mconns = m->next;
    if (m->next)
        m->next->prev = m->prev;
    close(m->fd);
    hnb_acs_http_free(m->http);
    g_string_free(m->in, TRUE);
    g_string_free(m->out, TRUE);
    g_free(m);
}

/* GET (or HEAD) /metrics: the page; anything else 404; a bad request 400.  Always closed after. */
static void metrics_answer(MetricsConn *m, HnbAcsHttpEvent ev)
{
    m->answered = TRUE;
    if (ev == HNB_ACS_HTTP_BAD) {
        const char *why = NULL;
        int status = hnb_acs_http_error(m->http, &why);
        why = why ? why : "bad request";
        hnb_acs_http_respond(m->out, status, "text/plain; charset=utf-8", why, strlen(why), NULL, TRUE);
        return;
    }
    const HnbAcsHttpRequest *req = hnb_acs_http_request(m->http);
    gboolean get = strcmp(req->method, "GET") == 0, head = strcmp(req->method, "HEAD") == 0;
    size_t path_len = strcspn(req->url, "?");
    if ((get || head) && path_len == strlen("/metrics") && strncmp(req->url, "/metrics", path_len) == 0) {
        g_autoptr(GString) page = g_string_new(NULL);
        hnb_acs_metrics_render(metrics_lock(m->srv), page);
        metrics_unlock(m->srv);
        if (m->srv->campaign) { /* under the campaign's own lock */
            HnbAcsCampaignStats st;
            hnb_acs_campaign_stats(m->srv->campaign, &st);
            hnb_acs_metrics_render_campaign(&st, page);
        }
        hnb_acs_http_respond(m->out, 200, HNB_ACS_METRICS_CONTENT_TYPE, page->str, page->len, NULL, TRUE);
        if (head) /* the same header block, no body */
            g_string_truncate(m->out, m->out->len - page->len);
        return;
    }
    static const char text[] = "404 Not Found: this port serves GET /metrics only\n";
    hnb_acs_http_respond(m->out, 404, "text/plain; charset=utf-8", text, strlen(text), NULL, TRUE);
}

static void on_metrics_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    MetricsConn *m = (MetricsConn *)((char *)w - offsetof(MetricsConn, io));
    while (!m->answered) {
        size_t used = 0;
        HnbAcsHttpEvent ev = hnb_acs_http_feed(m->http, m->in->str, m->in->len, &used);
        g_string_erase(m->in, 0, (gssize)used);
        if (ev == HNB_ACS_HTTP_REQUEST || ev == HNB_ACS_HTTP_BAD) {
            metrics_answer(m, ev);
            ev_io_stop(loop, &m->io);
            ev_io_set(&m->io, m->fd, EV_WRITE);
            ev_io_start(loop, &m->io);
            break;
        }
        if (ev == HNB_ACS_HTTP_CONTINUE) /* no body is wanted: a GET with Expect gets 100, then its answer */
            continue;
        char buf[4096];
        ssize_t n = recv(m->fd, buf, sizeof buf, 0);
        if (n > 0) {
            g_string_append_len(m->in, buf, n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        metrics_conn_free(m);
        return;
    }
    while (m->out_off < m->out->len) {
        ssize_t n = send(m->fd, m->out->str + m->out_off, m->out->len - m->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            m->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        break;
    }
    metrics_conn_free(m);
}

static void on_metrics_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    metrics_conn_free((MetricsConn *)((char *)w - offsetof(MetricsConn, timer)));
}

static void on_metrics_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    Server *s = w->data;
    for (;;) {
        int fd = accept4(s->metrics_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        MetricsConn *m = g_new0(MetricsConn, 1);
        m->srv = s;
        m->fd = fd;
        m->http = hnb_acs_http_new(&metrics_http_limits);
        m->in = g_string_new(NULL);
        m->out = g_string_new(NULL);
        m->next = s->mconns;
        if (s->mconns)
            s->mconns->prev = m;
        s->mconns = m;
        ev_io_init(&m->io, on_metrics_io, fd, EV_READ);
        ev_io_start(loop, &m->io);
        ev_timer_init(&m->timer, on_metrics_timeout, METRICS_TIMEOUT_S, 0.);
        ev_timer_start(loop, &m->timer);
    }
}

/* Bind HOST:PORT ([v6]:PORT too); port 0 picks a free one.  Returns the listening fd or -1 with error set. */
static gboolean is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return FALSE;
}

/* `option` names the option in messages; loopback_only refuses any address that is not 127.0.0.0/8 or ::1. */
static int listen_on(const char *option, const char *spec, gboolean loopback_only, gboolean reuseport, int backlog,
                     char **bound, GError **error)
{
    g_autofree char *host = NULL;
    const char *port;
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: expected HOST:PORT, got \"%s\"", option, spec);
        return -1;
    }
    port = colon + 1;
    if (spec[0] == '[' && colon[-1] == ']')
        host = g_strndup(spec + 1, (gsize)(colon - spec - 2));
    else
        host = g_strndup(spec, (gsize)(colon - spec));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s %s: %s", option, spec, gai_strerror(gai));
        return -1;
    }
    for (struct addrinfo *a = res; loopback_only && a; a = a->ai_next)
        if (!is_loopback(a->ai_addr)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s %s: not a loopback address (127.0.0.0/8 or [::1])",
                        option, spec);
            freeaddrinfo(res);
            return -1;
        }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
            continue;
        }
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s %s: %s", option, spec, g_strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[NI_MAXHOST], p[NI_MAXSERV];
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    *bound = g_strdup_printf(ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, p);
    return fd;
}

/* Descriptors for `want` connections: the soft RLIMIT_NOFILE raised toward the hard one if it is lower; what fits
 * under it (each connection is one descriptor; HNB_ACS_SPARE_FDS stay for the listeners, the image, the PKI, the
 * log). */
enum { HNB_ACS_SPARE_FDS = 64 };
static gint64 connections_that_fit(gint64 want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return want;
    rlim_t need = (rlim_t)want + HNB_ACS_SPARE_FDS;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        struct rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return want;
    return rl.rlim_cur > 2 * HNB_ACS_SPARE_FDS ? (gint64)(rl.rlim_cur - HNB_ACS_SPARE_FDS) : HNB_ACS_SPARE_FDS;
}

/* After a worker's loop: what is still open (after the grace period, at --exit-after, on a second signal) is
 * closed now; the watchers stopped.  The loop itself is destroyed by hnb_acs_serve once every thread is joined, so a
 * late ev_async_send never meets a freed loop. */
static void worker_finish(Server *s)
{
    while (s->conns) {
        if (s->conns->in_session)
            s->cut++;
        conn_set_outcome(s->conns, "closed", "server_stopped");
        conn_log(s->conns);
        conn_count_end(s->conns);
        conn_free(s->conns);
    }
    while (s->mconns)
        metrics_conn_free(s->mconns);
    ev_timer_stop(s->loop, &s->grace);
    ev_timer_stop(s->loop, &s->sweep);
    ev_io_stop(s->loop, &s->listen_io);
    ev_async_stop(s->loop, &s->wake);
    if (s->metrics_fd >= 0) {
        ev_io_stop(s->loop, &s->metrics_io);
        close(s->metrics_fd);
        s->metrics_fd = -1;
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
}

/* The other workers' threads; the first worker tells when the last of them is done (its loop waits for them). */
static gpointer worker_thread(gpointer data)
{
    Server *s = data;
    ev_run(s->loop, 0);
    worker_finish(s);
    if (g_atomic_int_dec_and_test(&s->sh->running))
        ev_async_send(s->sh->workers[0]->loop, &s->sh->workers[0]->wake);
    return NULL;
}

gboolean hnb_acs_serve(const HnbAcsServeOptions *opts, GError **error)
{
    Shared sh = {.nworkers = opts->workers > 0 ? opts->workers : 1};
    pthread_mutex_init(&sh.lock, NULL);
    /* the configuration every worker copies */
    if (opts->bandwidth > 0) { /* a burst of at most 50 ms of the rate (or one 16 KiB record) */
        sh.rate = opts->bandwidth / 8;
        sh.cap = sh.tokens = MAX(16384., sh.rate / 20);
        sh.last = g_get_monotonic_time();
    }
    Server base = {.sh = &sh, .exit_after = opts->exit_after, .max_sessions = opts->max_sessions, .listen_fd = -1,
                   .max_downloads = opts->max_downloads,
                   .metrics_fd = -1, .pki = opts->pki, .image = opts->image, .campaign = opts->campaign,
                   .retry_after = opts->retry_after ? opts->retry_after : 30, .grace_s = opts->grace,
                   .idle_s = opts->idle_timeout > 0 ? opts->idle_timeout : HNB_ACS_IDLE_TIMEOUT,
                   .header_s = opts->header_timeout > 0 ? opts->header_timeout : HNB_ACS_HEADER_TIMEOUT,
                   .body_s = opts->body_timeout > 0 ? opts->body_timeout : HNB_ACS_BODY_TIMEOUT,
                   .handshake_s = opts->handshake_timeout > 0 ? opts->handshake_timeout : HNB_ACS_HANDSHAKE_TIMEOUT};
    gint64 want = opts->max_connections > 0 ? opts->max_connections : HNB_ACS_MAX_CONNECTIONS;
    base.max_connections = connections_that_fit(want);
    if (opts->session_linger > 0) {
        sh.parked = g_hash_table_new(g_str_hash, g_str_equal);
        sh.linger_us = (gint64)(opts->session_linger * 1e6);
        sh.parked_cap = (guint)MIN(base.max_connections, (gint64)G_MAXUINT);
    }
    if (base.max_connections < want)
        fprintf(stderr, "acs: max_connections=%" G_GINT64_FORMAT " (RLIMIT_NOFILE allows no more than %" G_GINT64_FORMAT
                " of the %" G_GINT64_FORMAT " asked for)\n", base.max_connections, base.max_connections, want);
    /* one context for all workers: SSL_new on a context that is no longer changed is thread-safe */
    base.ctx = server_ctx_for(opts->pki, opts->tls11, opts->resumption,
                              opts->session_lifetime > 0 ? opts->session_lifetime : HNB_ACS_SESSION_LIFETIME, error);
    if (!base.ctx) {
        pthread_mutex_destroy(&sh.lock);
        return FALSE;
    }
    g_autofree char *bound = NULL, *metrics_bound = NULL;
    int metrics_fd = -1;
    if (opts->metrics && (metrics_fd = listen_on("--metrics", opts->metrics, TRUE, FALSE, 16, &metrics_bound, error)) < 0) {
        SSL_CTX_free(base.ctx);
        pthread_mutex_destroy(&sh.lock);
        return FALSE;
    }
    /* one listening socket a worker, all bound to the same address with SO_REUSEPORT (the kernel spreads the
     * connections): the first picks the port if asked for 0, the others bind the one it got */
    gboolean reuseport = sh.nworkers > 1;
    /* --queue-limit: the kernel's accept queue, the connections waiting while their worker is busy (Linux holds
     * backlog + 1 of them; when it is full, SYNs are dropped), split over the workers' sockets */
    int backlog = HNB_ACS_BACKLOG;
    if (opts->queue_limit > 0) {
        gint64 per = (opts->queue_limit + sh.nworkers - 1) / sh.nworkers;
        backlog = (int)MIN(per - 1, (gint64)G_MAXINT);
    }
    Server **workers = g_new0(Server *, sh.nworkers);
    sh.workers = workers;
    gboolean ok = TRUE;
    for (guint i = 0; i < sh.nworkers && ok; i++) {
        g_autofree char *unused = NULL;
        int fd = listen_on("--listen", i == 0 ? opts->listen : bound, FALSE, reuseport, backlog,
                           i == 0 ? &bound : &unused, error);
        if (fd < 0) {
            ok = FALSE;
            break;
        }
        workers[i] = g_new(Server, 1);
        *workers[i] = base;
        workers[i]->id = i;
        workers[i]->listen_fd = fd;
    }
    if (!ok) {
        for (guint i = 0; i < sh.nworkers && workers[i]; i++) {
            close(workers[i]->listen_fd);
            g_free(workers[i]);
        }
        g_free(workers);
        if (metrics_fd >= 0)
            close(metrics_fd);
        SSL_CTX_free(base.ctx);
        pthread_mutex_destroy(&sh.lock);
        return FALSE;
    }
    g_autofree char *image_host = g_strdup(bound);
    hnb_acs_soap_init();
    /* a peer that resets the connection must not kill the server with SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    for (guint i = 0; i < sh.nworkers; i++) {
        Server *w = workers[i];
        if (w->image) {
            w->bound = image_host;
            w->cwmp_image = (HnbAcsCwmpImage){.name = w->image->name, .version = w->image->version,
                                              .size = w->image->size, .command_key = w->image->command_key,
                                              .default_host = image_host};
        }
        w->loop = i == 0 ? ev_default_loop(EVFLAG_AUTO) : ev_loop_new(EVFLAG_AUTO);
        ev_io_init(&w->listen_io, on_accept, w->listen_fd, EV_READ);
        w->listen_io.data = w;
        ev_io_start(w->loop, &w->listen_io);
        ev_async_init(&w->wake, on_wake);
        w->wake.data = w;
        ev_async_start(w->loop, &w->wake);
        ev_init(&w->grace, on_grace);
        ev_init(&w->sweep, on_sweep);
    }
    if (sh.parked) { /* a sweep a second at most: a parked session outlives its linger by no more than that */
        ev_timer_set(&workers[0]->sweep, MIN(1.0, opts->session_linger), MIN(1.0, opts->session_linger));
        ev_timer_start(workers[0]->loop, &workers[0]->sweep);
    }
    Server *first = workers[0];
    if (metrics_fd >= 0) { /* the page sums every worker's counts: they are one shared set */
        first->metrics_fd = metrics_fd;
        ev_io_init(&first->metrics_io, on_metrics_accept, metrics_fd, EV_READ);
        first->metrics_io.data = first;
        ev_io_start(first->loop, &first->metrics_io);
    }
    ev_signal_init(&first->sigterm, on_signal, SIGTERM);
    first->sigterm.data = first;
    ev_signal_start(first->loop, &first->sigterm);
    ev_signal_init(&first->sigint, on_signal, SIGINT);
    first->sigint.data = first;
    ev_signal_start(first->loop, &first->sigint);
    /* the other threads never take SIGTERM/SIGINT: the first worker's loop handles them (they inherit this mask) */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    GThread **threads = g_new0(GThread *, sh.nworkers);
    g_atomic_int_set(&sh.running, (gint)sh.nworkers - 1);
    for (guint i = 1; i < sh.nworkers; i++) {
        char name[16];
        g_snprintf(name, sizeof name, "acs-worker-%u", i);
        threads[i] = g_thread_new(name, worker_thread, workers[i]);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (metrics_bound) /* first: whoever waits for "listening on" has both lines */
        printf("metrics on http://%s/metrics\n", metrics_bound);
    printf("listening on %s\n", bound);
    fflush(stdout);

    ev_run(first->loop, 0);
    worker_finish(first);
    /* the first worker's loop ended (the others are done, or its grace period, a second signal or --exit-after
     * ended it, which ends theirs too) */
    g_atomic_int_set(&sh.quit, 1);
    wake_all(&sh);
    guint cut = first->cut;
    for (guint i = 1; i < sh.nworkers; i++) {
        g_thread_join(threads[i]);
        cut += workers[i]->cut;
    }
    g_free(threads);
    if (sh.parked) { /* every thread is joined: the lock is for form's sake */
        parked_sweep(&sh, G_MAXINT64, "server_stopped", FALSE);
        g_hash_table_destroy(sh.parked);
    }
    guint64 sessions = 0;
    for (guint i = 0; hnb_acs_metrics_outcomes[i]; i++)
        sessions += sh.metrics.sessions[i];
    fprintf(stderr,
            "acs: stopped by=%s connections=%" G_GUINT64_FORMAT " sessions=%" G_GUINT64_FORMAT
            " refused_overload=%" G_GUINT64_FORMAT " sessions_cut=%u\n",
            sh.stopped_by ? sh.stopped_by : "signal", sh.metrics.connections, sessions, sh.metrics.refused_overload,
            cut);
    fflush(stderr);
    ev_signal_stop(first->loop, &first->sigterm);
    ev_signal_stop(first->loop, &first->sigint);
    for (guint i = 0; i < sh.nworkers; i++) {
        ev_loop_destroy(workers[i]->loop);
        g_free(workers[i]);
    }
    g_free(workers);
    SSL_CTX_free(base.ctx);
    pthread_mutex_destroy(&sh.lock);
    return TRUE;
}
