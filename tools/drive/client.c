/* tools/drive/client.c — one HNB's connections to a real H(e)MS (client.h): the state machine acs-load grew
 * (non-blocking connect → TLS handshake → write → read with http-parser), shared by the CWMP session and the image
 * fetch through a small table of callbacks (ConnOps).
 *
 * A Conn is one TCP+TLS connection and its current request/response.  It knows nothing of CWMP: when the handshake is
 * done, a whole response has arrived, or it failed, it calls its owner (a session or an image fetch), which decides
 * the next request, a new connection, or the end.  Every way out of a Conn ends in one of the owners' finish
 * functions, which close it, call the user's callback once, and free everything.
 */
#include "tools/drive/client.h"
#include "crypto/image.h"
#include "crypto/pki.h"
#include "sim/scenario.h"
#include "tools/acs/acs_soap.h"

#include <errno.h>
#include <stdarg.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define HEADER_KEEP 4096        /* of a Set-Cookie or Retry-After value */
#define BUCKET_BYTES 16384.0    /* the token bucket's depth: the largest burst a capped fetch reads at once */
#define SOAP_DEPTH_MAX 32
#define UNKNOWN_TIME "0001-01-01T00:00:00Z" /* TR-069's unknown time (A.2.1) */

typedef enum { ST_PENDING, ST_CONNECT, ST_HANDSHAKE, ST_WRITE, ST_READ, ST_CLOSING, ST_DELAY } State;

/* Why a connection failed, before its owner names the outcome. */
typedef enum {
    F_LOCAL,     /* socket(), SSL_new, the credential: ours */
    F_CONNECT,   /* the TCP connect failed (errno) */
    F_TIMEOUT,   /* the owner's timer ran out */
    F_CLOSED,    /* EOF or reset (errno when a reset) */
    F_HANDSHAKE, /* TLS refused (reason) */
    F_HTTP,      /* not HTTP, or a body over the limit */
} FailKind;

typedef struct {
    FailKind kind;
    int err;
    HnbTlsReason reason;
    char detail[200];
} Fail;

typedef struct Conn Conn;

typedef struct {
    gboolean (*handshake_done)(Conn *c);               /* TRUE: a request is set (conn_send); FALSE: ended */
    void (*response)(Conn *c);                         /* a whole response: the next request, or end */
    void (*failed)(Conn *c, const Fail *f);            /* the connection failed: end */
    void (*body)(Conn *c, const char *at, size_t len); /* NULL: keep the body (up to HNB_DRIVE_BODY_MAX) */
} ConnOps;

struct Conn {
    HnbDriveClient *client;
    const ConnOps *ops;
    void *owner;
    GList link; /* in client->live */
    State state;
    HnbDrivePhase closing_phase;
    int fd;
    SSL *ssl;
    ev_io io;
    ev_timer timer; /* the deadline (sessions: the whole life; fetches: the longest quiet spell), or a pending fail */
    ev_timer wait;  /* the token bucket's refill, or an emulated WAN's wait (ST_DELAY) */
    void (*delay_done)(Conn *c); /* ST_DELAY: called when the wait ends */
    gboolean idle_timeout;
    Fail pending;
    GString *req;
    size_t req_off;
    http_parser parser;
    gboolean msg_done, over, in_value;
    GString *body, *field, *cookie;
    int retry_after;
    double cap, tokens; /* bytes/s (0: none); tokens now */
    int64_t t_tokens;
    int64_t t_start, t_connected, t_handshake;
};

struct HnbDriveClient {
    struct ev_loop *loop;
    HnbPki *pki;
    SSL_CTX *ctx;
    char *dir, *host, *manufacturer, *product_class;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    double timeout;
    int syn_retries;
    guint cache_max;
    HnbPkiCredReader *reader; /* the export's credentials, with its key decoders kept */
    GHashTable *cache; /* key (device << 1 | recovery) -> CacheEntry */
    GQueue lru;        /* CacheEntry, most recent first */
    GQueue live;       /* Conn links */
    http_parser_settings http;
    HnbAcsSoapLimits soap;
    guint64 ids;
};

typedef struct {
    guint64 key;
    HnbPkiCred *cred;
    GList link;
} CacheEntry;

int64_t hnb_drive_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- credentials: a bounded LRU cache over the export's files -------------------------------------------------- */

static void cache_entry_free(gpointer p)
{
    CacheEntry *e = p;
    hnb_pki_cred_free(e->cred);
    g_free(e);
}

static const HnbPkiCred *cred_get(HnbDriveClient *cl, uint32_t dev, gboolean recovery, GError **error)
{
    guint64 key = (guint64)dev << 1 | (recovery ? 1 : 0);
    CacheEntry *e = g_hash_table_lookup(cl->cache, &key);
    if (e) {
        g_queue_unlink(&cl->lru, &e->link);
        g_queue_push_head_link(&cl->lru, &e->link);
        return e->cred;
    }
    g_autofree char *name = g_strdup_printf("%s%u", recovery ? "rec-dev" : "dev", dev);
    HnbPkiCred *cred = hnb_pki_cred_reader_read(cl->reader, name, error);
    if (!cred)
        return NULL;
    e = g_new0(CacheEntry, 1);
    e->key = key;
    e->cred = cred;
    e->link.data = e;
    g_hash_table_insert(cl->cache, &e->key, e);
    g_queue_push_head_link(&cl->lru, &e->link);
    while (cl->lru.length > cl->cache_max) {
        CacheEntry *old = g_queue_peek_tail(&cl->lru);
        g_queue_unlink(&cl->lru, &old->link);
        g_hash_table_remove(cl->cache, &old->key); /* frees it */
    }
    return cred;
}

/* ---- HTTP responses ---------------------------------------------------------------------------------------------- */

static int on_body(http_parser *p, const char *at, size_t len)
{
    Conn *c = p->data;
    if (c->ops->body) {
        c->ops->body(c, at, len);
        return 0;
    }
    if (c->body->len + len > HNB_DRIVE_BODY_MAX) {
        c->over = TRUE;
        return 1;
    }
    g_string_append_len(c->body, at, len);
    return 0;
}

static gboolean is_field(const Conn *c, const char *name)
{
    return g_ascii_strcasecmp(c->field->str, name) == 0;
}

/* Header names and values may come in pieces; Set-Cookie's value is kept (a CPE returns the session cookie, TR-069
 * §3.4.1) and Retry-After's (an overload refusal's). */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    Conn *c = p->data;
    if (c->in_value)
        g_string_truncate(c->field, 0);
    c->in_value = FALSE;
    if (c->field->len < HEADER_KEEP)
        g_string_append_len(c->field, at, MIN(len, HEADER_KEEP - c->field->len));
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    Conn *c = p->data;
    gboolean first = !c->in_value;
    c->in_value = TRUE;
    if (is_field(c, "Set-Cookie")) {
        if (first)
            g_string_truncate(c->cookie, 0);
        if (c->cookie->len < HEADER_KEEP)
            g_string_append_len(c->cookie, at, MIN(len, HEADER_KEEP - c->cookie->len));
    } else if (is_field(c, "Retry-After")) {
        g_autofree char *v = g_strndup(at, len);
        guint64 s = 0;
        c->retry_after = g_ascii_string_to_unsigned(g_strstrip(v), 10, 0, G_MAXINT, &s, NULL) ? (int)s : -1;
    }
    return 0;
}

static int on_message_complete(http_parser *p)
{
    Conn *c = p->data;
    c->msg_done = TRUE;
    http_parser_pause(p, 1); /* one response at a time: what follows is the next request's answer */
    return 0;
}

/* ---- the connection ---------------------------------------------------------------------------------------------- */

static void conn_step(Conn *c);

static void conn_watch(Conn *c, int events)
{
    struct ev_loop *loop = c->client->loop;
    if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) == events)
        return;
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(loop, &c->io);
}

/* Close the socket: `clean` sends our close_notify first (the server's is not waited for). */
static void conn_close(Conn *c, gboolean clean)
{
    struct ev_loop *loop = c->client->loop;
    ev_io_stop(loop, &c->io);
    ev_timer_stop(loop, &c->wait);
    if (c->ssl) {
        if (clean)
            SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    ERR_clear_error();
}

/* The Conn is done for good: off the live list, timers stopped, buffers freed (its owner frees the memory). */
static void conn_release(Conn *c)
{
    conn_close(c, FALSE);
    ev_timer_stop(c->client->loop, &c->timer);
    g_queue_unlink(&c->client->live, &c->link);
    g_string_free(c->req, TRUE);
    g_string_free(c->body, TRUE);
    g_string_free(c->field, TRUE);
    g_string_free(c->cookie, TRUE);
}

static void conn_fail(Conn *c, FailKind kind, int err, const char *detail)
{
    Fail f = {.kind = kind, .err = err, .reason = HNB_TLS_OK};
    g_strlcpy(f.detail, detail ? detail : "", sizeof f.detail);
    conn_close(c, FALSE);
    c->ops->failed(c, &f);
}

/* A failure found inside a start call: reported from the loop (the timer at 0), never from the call itself. */
static void conn_fail_later(Conn *c, FailKind kind, int err, const char *detail)
{
    conn_close(c, FALSE);
    c->state = ST_PENDING;
    c->pending = (Fail){.kind = kind, .err = err, .reason = HNB_TLS_OK};
    g_strlcpy(c->pending.detail, detail ? detail : "", sizeof c->pending.detail);
    ev_timer_stop(c->client->loop, &c->timer);
    ev_timer_set(&c->timer, 0, 0);
    ev_timer_start(c->client->loop, &c->timer);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_step(w->data);
}

static void on_wait(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Conn *c = w->data;
    if (c->state == ST_DELAY) {
        c->delay_done(c);
        return;
    }
    conn_step(c);
}

/* Wait `seconds` (an emulated WAN's flight), then call `done`; the socket is not watched meanwhile. */
static void conn_delay(Conn *c, double seconds, void (*done)(Conn *c))
{
    ev_io_stop(c->client->loop, &c->io);
    c->state = ST_DELAY;
    c->delay_done = done;
    ev_timer_stop(c->client->loop, &c->wait);
    ev_timer_set(&c->wait, seconds, 0);
    ev_timer_start(c->client->loop, &c->wait);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Conn *c = w->data;
    if (c->state == ST_PENDING) {
        Fail f = c->pending;
        c->ops->failed(c, &f);
        return;
    }
    conn_fail(c, F_TIMEOUT, ETIMEDOUT, c->state == ST_CONNECT ? "no answer to the SYN" : "timeout");
}

static void conn_init(Conn *c, HnbDriveClient *cl, const ConnOps *ops, void *owner, gboolean idle_timeout)
{
    c->client = cl;
    c->ops = ops;
    c->owner = owner;
    c->fd = -1;
    c->idle_timeout = idle_timeout;
    c->req = g_string_new(NULL);
    c->body = g_string_new(NULL);
    c->field = g_string_new(NULL);
    c->cookie = g_string_new(NULL);
    c->link.data = c;
    g_queue_push_tail_link(&cl->live, &c->link);
    ev_init(&c->io, on_io);
    c->io.data = c;
    ev_init(&c->timer, on_timer);
    c->timer.data = c;
    ev_init(&c->wait, on_wait);
    c->wait.data = c;
}

/* A new connection for device `dev`: socket, TLS client (credential, name, resumption, clock), non-blocking connect. */
static void conn_open(Conn *c, uint32_t dev, gboolean recovery, SSL_SESSION *session, time_t verify_time)
{
    HnbDriveClient *cl = c->client;
    c->t_start = hnb_drive_mono_ns();
    c->t_connected = c->t_handshake = 0;
    c->state = ST_CONNECT;
    GError *error = NULL;
    const HnbPkiCred *cred = cred_get(cl, dev, recovery, &error);
    if (!cred) {
        conn_fail_later(c, F_LOCAL, 0, error->message);
        g_error_free(error);
        return;
    }
    c->fd = socket(cl->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int e = errno;
        g_autofree char *words = g_strdup_printf("socket(): %s", g_strerror(e));
        conn_fail_later(c, F_LOCAL, e, words);
        return;
    }
    if (cl->syn_retries > 0)
        setsockopt(c->fd, IPPROTO_TCP, TCP_SYNCNT, &cl->syn_retries, sizeof cl->syn_retries);
    /* every request goes out whole in one SSL_write: without Nagle a request right after our Finished (a resumed
     * handshake ends with the client's flight) is not held back for the server's delayed ACK (40 ms on Linux) */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->ssl = SSL_new(cl->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || !hnb_tls_client_setup(c->ssl, cred, cl->host, &error)) {
        conn_fail_later(c, F_LOCAL, 0, error ? error->message : "SSL_new");
        g_clear_error(&error);
        return;
    }
    if (session)
        SSL_set_session(c->ssl, session);
    if (verify_time)
        X509_VERIFY_PARAM_set_time(SSL_get0_param(c->ssl), verify_time);
    c->t_start = hnb_drive_mono_ns();
    /* sessions: one deadline from connect() for the whole life; fetches: the timer is pushed back at every byte
     * (ev_timer_again).  libev counts a delay from its cached loop time, which may be well behind (credentials read,
     * other sessions' handshakes in this loop turn): update it first */
    ev_now_update(cl->loop);
    ev_timer_stop(cl->loop, &c->timer);
    ev_timer_set(&c->timer, cl->timeout, c->idle_timeout ? cl->timeout : 0);
    ev_timer_start(cl->loop, &c->timer);
    if (connect(c->fd, (const struct sockaddr *)&cl->addr, cl->addr_len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        g_autofree char *words = g_strdup_printf("connect(): %s", g_strerror(e));
        conn_fail_later(c, F_CONNECT, e, words);
        return;
    }
    conn_watch(c, EV_WRITE); /* writable: connected (or failed: SO_ERROR says) */
}

/* Send c->req (set by the caller), then read its response. */
static void conn_send(Conn *c)
{
    c->req_off = 0;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->msg_done = c->over = c->in_value = FALSE;
    c->retry_after = -1;
    g_string_truncate(c->field, 0);
    g_string_truncate(c->body, 0);
    g_string_truncate(c->cookie, 0);
    c->state = ST_WRITE;
}

/* An SSL call returned r <= 0: TRUE when it only waits for the socket; otherwise the connection has failed. */
static gboolean conn_ssl_wait(Conn *c, int r)
{
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        conn_watch(c, err == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
        return TRUE;
    }
    int sys = err == SSL_ERROR_SYSCALL ? errno : 0;
    unsigned long e = ERR_peek_error();
    gboolean eof = err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && e == 0) ||
                   (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
    if (c->state == ST_HANDSHAKE && !(eof && SSL_get_verify_result(c->ssl) == X509_V_OK)) {
        Fail f = {.kind = F_HANDSHAKE};
        f.reason = hnb_tls_reason_from_ssl(c->ssl, f.detail, sizeof f.detail);
        conn_close(c, FALSE);
        c->ops->failed(c, &f);
        return FALSE;
    }
    char words[160] = "";
    if (e && !eof)
        ERR_error_string_n(e, words, sizeof words);
    conn_fail(c, F_CLOSED, sys, words[0] ? words : sys ? g_strerror(sys) : "closed by the server");
    return FALSE;
}

/* The token bucket: how many bytes a read may take now; 0 after arming the refill timer. */
static int conn_budget(Conn *c)
{
    if (c->cap <= 0)
        return READ_CHUNK;
    int64_t now = hnb_drive_mono_ns();
    c->tokens = MIN(BUCKET_BYTES, c->tokens + (double)(now - c->t_tokens) * 1e-9 * c->cap);
    c->t_tokens = now;
    if (c->tokens >= 1)
        return (int)MIN(c->tokens, (double)READ_CHUNK);
    ev_io_stop(c->client->loop, &c->io);
    if (ev_is_active(&c->wait))
        return 0;
    double want = MIN(1024.0, MAX(1.0, c->cap / 20)); /* wait for a useful read, at most 50 ms */
    ev_timer_set(&c->wait, MAX(1e-3, (want - c->tokens) / c->cap), 0);
    ev_timer_start(c->client->loop, &c->wait);
    return 0;
}

/* Feed `len` bytes to the parser.  TRUE: more of the response is needed.  FALSE: the caller must not touch c again —
 * a whole response went to the owner (which ended, opened a new connection, or sent the next request and stepped the
 * machine itself), or the connection failed. */
static gboolean conn_parse(Conn *c, const char *buf, size_t len)
{
    size_t used = http_parser_execute(&c->parser, &c->client->http, buf, len);
    enum http_errno he = HTTP_PARSER_ERRNO(&c->parser);
    if (c->msg_done) {
        c->ops->response(c);
        return FALSE;
    }
    if (he != HPE_OK || used != len) {
        conn_fail(c, F_HTTP, 0, c->over ? "a response body over " G_STRINGIFY(HNB_DRIVE_BODY_MAX) " bytes"
                                        : http_errno_description(he));
        return FALSE;
    }
    return TRUE;
}

/* A read returned r <= 0: when that is the server's close and it completes a response that had no Content-Length,
 * the response is handled (TRUE).  Anything else is conn_ssl_wait's. */
static gboolean conn_eof(Conn *c, int r)
{
    int err = SSL_get_error(c->ssl, r);
    unsigned long e = ERR_peek_error();
    if (!(err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && e == 0 && errno == 0) ||
          (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)))
        return FALSE;
    http_parser_execute(&c->parser, &c->client->http, NULL, 0);
    if (!c->msg_done)
        return FALSE;
    ERR_clear_error();
    c->ops->response(c);
    return TRUE;
}

/* Run the state machine as far as the socket allows. */
static void conn_step(Conn *c)
{
    for (;;) {
        switch (c->state) {
        case ST_PENDING:
        case ST_DELAY:
            return;
        case ST_CONNECT: {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                soerr = errno;
            if (soerr) {
                g_autofree char *words = g_strdup_printf("connect(): %s", g_strerror(soerr));
                conn_fail(c, F_CONNECT, soerr, words);
                return;
            }
            c->t_connected = hnb_drive_mono_ns();
            c->state = ST_HANDSHAKE;
            break;
        }
        case ST_HANDSHAKE: {
            int r = SSL_connect(c->ssl);
            if (r != 1) {
                conn_ssl_wait(c, r);
                return;
            }
            c->t_handshake = hnb_drive_mono_ns();
            if (!c->ops->handshake_done(c))
                return; /* ended */
            break;
        }
        case ST_WRITE: {
            int r = SSL_write(c->ssl, c->req->str + c->req_off, (int)(c->req->len - c->req_off));
            if (r <= 0) {
                conn_ssl_wait(c, r);
                return;
            }
            c->req_off += (size_t)r;
            if (c->req_off == c->req->len)
                c->state = ST_READ;
            break;
        }
        case ST_READ: {
            char buf[READ_CHUNK];
            int want = conn_budget(c);
            if (want == 0)
                return;
            int r = SSL_read(c->ssl, buf, want);
            if (r <= 0) {
                if (!conn_eof(c, r))
                    conn_ssl_wait(c, r);
                return;
            }
            if (c->cap > 0)
                c->tokens -= r;
            if (c->idle_timeout)
                ev_timer_again(c->client->loop, &c->timer);
            if (!conn_parse(c, buf, (size_t)r))
                return;
            break;
        }
        case ST_CLOSING: {
            /* nothing more is expected but the server's close_notify or EOF; either (or an error) ends it */
            char buf[256];
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0)
                break;
            int err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                conn_watch(c, err == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
                return;
            }
            c->ops->response(c);
            return;
        }
        }
    }
}

/* ---- the client -------------------------------------------------------------------------------------------------- */

HnbDriveClient *hnb_drive_client_new(struct ev_loop *loop, const HnbDriveClientConfig *cfg, GError **error)
{
    if (!cfg->pki_dir || cfg->addr_len == 0 || cfg->addr_len > sizeof cfg->addr || !(cfg->timeout > 0) ||
        cfg->syn_retries < 0 || cfg->syn_retries > 255) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "drive client: a PKI directory, an address, a timeout > 0 and syn_retries in 0..255 are needed");
        return NULL;
    }
    HnbPki *pki = hnb_pki_open_export(cfg->pki_dir, error);
    if (!pki)
        return NULL;
    HnbTlsConfig tc;
    hnb_tls_config_init(&tc);
    tc.resumption = cfg->resumption;
    SSL_CTX *ctx = hnb_tls_client_ctx_new(&tc, pki, NULL, error);
    hnb_tls_config_clear(&tc);
    if (!ctx) {
        hnb_pki_free(pki);
        return NULL;
    }
    hnb_acs_soap_init();
    HnbDriveClient *cl = g_new0(HnbDriveClient, 1);
    cl->loop = loop;
    cl->pki = pki;
    cl->ctx = ctx;
    cl->dir = g_strdup(cfg->pki_dir);
    cl->reader = hnb_pki_cred_reader_new(cfg->pki_dir);
    /* hnb_tls_client_setup checks no name when given none: name the PKI's H(e)MS unless told otherwise */
    cl->host = g_strdup(cfg->host ? cfg->host : hnb_pki_params(pki)->hems_fqdn);
    cl->manufacturer = g_markup_escape_text(cfg->manufacturer ? cfg->manufacturer : "hnbsim", -1);
    cl->product_class = g_markup_escape_text(cfg->product_class ? cfg->product_class : "HNB", -1);
    memcpy(&cl->addr, &cfg->addr, cfg->addr_len);
    cl->addr_len = cfg->addr_len;
    cl->timeout = cfg->timeout;
    cl->syn_retries = cfg->syn_retries;
    cl->cache_max = cfg->cred_cache ? cfg->cred_cache : 64;
    cl->cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, cache_entry_free);
    g_queue_init(&cl->lru);
    g_queue_init(&cl->live);
    cl->http.on_header_field = on_header_field;
    cl->http.on_header_value = on_header_value;
    cl->http.on_body = on_body;
    cl->http.on_message_complete = on_message_complete;
    cl->soap = (HnbAcsSoapLimits){.max_bytes = HNB_DRIVE_BODY_MAX, .max_depth = SOAP_DEPTH_MAX};
    return cl;
}

static void session_free(HnbDriveSession *s);
static void image_free(HnbDriveImage *im);
static const ConnOps session_ops, image_ops;

void hnb_drive_client_free(HnbDriveClient *cl)
{
    if (!cl)
        return;
    while (cl->live.head) {
        Conn *c = cl->live.head->data;
        if (c->ops == &session_ops)
            session_free(c->owner);
        else
            image_free(c->owner);
    }
    g_hash_table_destroy(cl->cache);
    hnb_pki_cred_reader_free(cl->reader);
    SSL_CTX_free(cl->ctx);
    hnb_pki_free(cl->pki);
    g_free(cl->dir);
    g_free(cl->host);
    g_free(cl->manufacturer);
    g_free(cl->product_class);
    g_free(cl);
}

/* ---- the CWMP session -------------------------------------------------------------------------------------------- */

typedef enum { STEP_INFORM, STEP_TRANSFER, STEP_EMPTY, STEP_DOWNLOAD_RESPONSE } Step;

struct HnbDriveSession {
    Conn conn;
    HnbDriveSessionDone done;
    void *user_data;
    uint32_t device;
    HnbDriveMode mode;
    char *inform;        /* the Inform envelope */
    char *transfer;      /* the TransferComplete envelope, NULL when not sent */
    char *cookie;        /* the Cookie header's value, from the InformResponse */
    char *download_id;   /* the Download's cwmp:ID, echoed in the DownloadResponse */
    Step step;
    unsigned trip;       /* round trips sent so far */
    double wan[HNB_DRIVE_MAX_TRIPS]; /* the spec's wan_rtt */
    HnbDriveOutcome ending; /* the outcome waiting for the last response's flight */
    HnbDriveResult res;
};

const char *hnb_drive_outcome_name(HnbDriveOutcome o)
{
    static const char *const names[] = {"ok",        "refused_overload", "refused_syn", "refused_rst",
                                        "refused_closed", "hs_failed",  "timeout",     "cut",
                                        "bad_response", "error"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == HNB_DRIVE_OUTCOME_COUNT);
    return (unsigned)o < HNB_DRIVE_OUTCOME_COUNT ? names[o] : "?";
}

static HnbDrivePhase phase_of(const Conn *c)
{
    switch (c->state) {
    case ST_PENDING:
    case ST_CONNECT:
        return HNB_DRIVE_PHASE_CONNECT;
    case ST_HANDSHAKE:
        return HNB_DRIVE_PHASE_HANDSHAKE;
    case ST_CLOSING:
        return HNB_DRIVE_PHASE_CLOSING;
    default:
        return HNB_DRIVE_PHASE_EXCHANGE;
    }
}

static void session_free(HnbDriveSession *s)
{
    conn_release(&s->conn);
    SSL_SESSION_free(s->res.session);
    g_free(s->res.download.url);
    g_free(s->res.download.command_key);
    g_free(s->inform);
    g_free(s->transfer);
    g_free(s->cookie);
    g_free(s->download_id);
    g_free(s);
}

/* The end: the result to the callback, then everything freed. */
static void session_finish(HnbDriveSession *s, HnbDriveOutcome outcome, const char *detail)
{
    Conn *c = &s->conn;
    s->res.outcome = outcome;
    s->res.phase = c->closing_phase;
    if (detail && !s->res.detail[0])
        g_strlcpy(s->res.detail, detail, sizeof s->res.detail);
    conn_close(c, outcome == HNB_DRIVE_OK);
    s->res.t_start = c->t_start;
    s->res.t_connected = c->t_connected;
    s->res.t_handshake = c->t_handshake;
    s->res.t_end = hnb_drive_mono_ns();
    ev_timer_stop(c->client->loop, &c->timer);
    s->done(s, &s->res, s->user_data);
    session_free(s);
}

static void session_failed(Conn *c, const Fail *f)
{
    HnbDriveSession *s = c->owner;
    c->closing_phase = phase_of(c);
    s->res.sys_errno = f->err;
    HnbDriveOutcome o = HNB_DRIVE_ERROR;
    switch (f->kind) {
    case F_LOCAL:
        o = HNB_DRIVE_ERROR;
        break;
    case F_CONNECT:
        o = f->err == ETIMEDOUT ? HNB_DRIVE_REFUSED_SYN : f->err == ECONNREFUSED ? HNB_DRIVE_REFUSED_RST
                                                                                  : HNB_DRIVE_ERROR;
        break;
    case F_TIMEOUT:
        o = HNB_DRIVE_TIMEOUT;
        s->res.sys_errno = 0;
        break;
    case F_CLOSED:
        o = s->res.responses == 0 ? HNB_DRIVE_REFUSED_CLOSED : HNB_DRIVE_CUT;
        break;
    case F_HANDSHAKE:
        o = HNB_DRIVE_HS_FAILED;
        s->res.hs_reason = f->reason;
        break;
    case F_HTTP:
        o = HNB_DRIVE_BAD_RESPONSE;
        break;
    }
    session_finish(s, o, f->detail);
}

static void session_sent_after_wait(Conn *c)
{
    c->state = ST_WRITE;
    conn_step(c);
}

static void session_finish(HnbDriveSession *s, HnbDriveOutcome outcome, const char *detail);

static void session_end_after_wait(Conn *c)
{
    HnbDriveSession *s = c->owner;
    session_finish(s, s->ending, NULL);
}

/* Half of round trip k's emulated WAN time (one flight), 0 before the first; trips past the spec's last use the last. */
static double half_trip(const HnbDriveSession *s, int k)
{
    return k < 0 ? 0 : s->wan[MIN(k, HNB_DRIVE_MAX_TRIPS - 1)] / 2;
}

/* The session's last response is in (its end, or a refusal): with an emulated WAN the HNB has it half a round trip
 * later; the connection is closed now, as the server closes it after that response. */
static void session_last_response(HnbDriveSession *s, HnbDriveOutcome outcome)
{
    double wait = half_trip(s, (int)s->trip - 1);
    if (wait <= 0) {
        session_finish(s, outcome, NULL);
        return;
    }
    Conn *c = &s->conn;
    c->closing_phase = HNB_DRIVE_PHASE_EXCHANGE;
    conn_close(c, outcome == HNB_DRIVE_OK);
    s->ending = outcome;
    conn_delay(c, wait, session_end_after_wait);
}

/* Build a POST of `body` ("" for the empty POST) with the session's cookie. */
static void session_post(HnbDriveSession *s, const char *body)
{
    Conn *c = &s->conn;
    size_t len = strlen(body);
    g_string_printf(c->req, "POST /cwmp HTTP/1.1\r\nHost: %s\r\n", c->client->host);
    if (s->cookie)
        g_string_append_printf(c->req, "Cookie: %s\r\n", s->cookie);
    if (len)
        g_string_append(c->req, "Content-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"\"\r\n");
    g_string_append_printf(c->req, "Content-Length: %zu\r\n\r\n%s", len, body);
    conn_send(c);
    /* the emulated WAN: the previous response's flight and this request's (client.h, wan_rtt) */
    double wait = half_trip(s, (int)s->trip - 1) + half_trip(s, (int)s->trip);
    s->trip++;
    if (wait > 0)
        conn_delay(c, wait, session_sent_after_wait);
}

static gboolean session_handshake_done(Conn *c)
{
    HnbDriveSession *s = c->owner;
    s->res.resumed = SSL_session_reused(c->ssl) == 1;
    s->res.session = SSL_get1_session(c->ssl);
    s->res.t_handshake = c->t_handshake;
    switch (s->mode) {
    case HNB_DRIVE_HANDSHAKE:
        c->closing_phase = HNB_DRIVE_PHASE_HANDSHAKE;
        session_finish(s, HNB_DRIVE_OK, NULL);
        return FALSE;
    case HNB_DRIVE_HANDSHAKE_WAIT:
        SSL_shutdown(c->ssl); /* our close_notify; then the server's close (ST_CLOSING) */
        c->state = ST_CLOSING;
        return TRUE;
    case HNB_DRIVE_CWMP:
        break;
    }
    s->step = STEP_INFORM;
    session_post(s, s->inform);
    return TRUE;
}

static void set_detail(HnbDriveSession *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_detail(HnbDriveSession *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(s->res.detail, sizeof s->res.detail, fmt, ap);
    va_end(ap);
}

static const char *const step_names[] = {"Inform", "TransferComplete", "empty POST", "DownloadResponse"};

/* A whole response to the current step's POST. */
static void session_response(Conn *c)
{
    HnbDriveSession *s = c->owner;
    if (c->state == ST_CLOSING) { /* handshake-only: the server closed too */
        c->closing_phase = HNB_DRIVE_PHASE_CLOSING;
        session_finish(s, HNB_DRIVE_OK, NULL);
        return;
    }
    c->closing_phase = HNB_DRIVE_PHASE_EXCHANGE;
    unsigned status = c->parser.status_code;
    s->res.http_status = status;
    s->res.responses++;
    HnbAcsSoap soap = {0};
    HnbAcsSoapFault fault = {0};
    gboolean parsed = c->body->len > 0 && hnb_acs_soap_parse(c->body->str, c->body->len, &c->client->soap, &soap,
                                                             &fault);
    hnb_acs_soap_fault_clear(&fault);
    if (parsed && soap.is_soap_fault)
        s->res.cwmp_fault = soap.fault_code;
    const char *method = parsed && soap.method_is_cwmp ? soap.method : NULL;
    if (status == 503 || (parsed && soap.is_soap_fault && soap.fault_code == 8005)) {
        s->res.retry_after = c->retry_after;
        set_detail(s, "HTTP %u to the %s, CWMP fault %d", status, step_names[s->step], s->res.cwmp_fault);
        hnb_acs_soap_clear(&soap);
        session_last_response(s, HNB_DRIVE_REFUSED_OVERLOAD);
        return;
    }
    if (status == 204 && (s->step == STEP_EMPTY || s->step == STEP_DOWNLOAD_RESPONSE)) {
        hnb_acs_soap_clear(&soap);
        session_last_response(s, HNB_DRIVE_OK); /* the session's end (the ACS has nothing more to ask) */
        return;
    }
    gboolean ok = FALSE;
    switch (s->step) {
    case STEP_INFORM:
        ok = status == 200 && method && strcmp(method, "InformResponse") == 0;
        if (ok) {
            s->res.t_first_response = hnb_drive_mono_ns();
            if (c->cookie->len) {
                s->cookie = g_strndup(c->cookie->str, strcspn(c->cookie->str, ";"));
                s->res.cookie = TRUE;
            }
            s->step = s->transfer ? STEP_TRANSFER : STEP_EMPTY;
        }
        break;
    case STEP_TRANSFER:
        ok = status == 200 && method && strcmp(method, "TransferCompleteResponse") == 0;
        if (ok)
            s->step = STEP_EMPTY;
        break;
    case STEP_EMPTY:
        ok = status == 200 && method && strcmp(method, "Download") == 0;
        if (ok) {
            HnbDriveDownload *d = &s->res.download;
            d->present = TRUE;
            d->url = g_steal_pointer(&soap.url);
            d->command_key = g_steal_pointer(&soap.command_key);
            d->file_size = soap.file_size;
            d->delay_seconds = soap.delay_seconds;
            s->download_id = g_steal_pointer(&soap.id);
            s->step = STEP_DOWNLOAD_RESPONSE;
        }
        break;
    case STEP_DOWNLOAD_RESPONSE:
        break;
    }
    if (!ok) {
        set_detail(s, "HTTP %u to the %s%s%s%s", status, step_names[s->step], method ? ": " : "",
                   method ? method : "", parsed ? "" : c->body->len ? " (not a CWMP envelope)" : "");
        hnb_acs_soap_clear(&soap);
        session_finish(s, HNB_DRIVE_BAD_RESPONSE, NULL);
        return;
    }
    hnb_acs_soap_clear(&soap);
    if (s->step == STEP_TRANSFER)
        session_post(s, s->transfer);
    else if (s->step == STEP_EMPTY)
        session_post(s, "");
    else {
        g_autofree char *id = g_markup_escape_text(s->download_id ? s->download_id : "", -1);
        g_autofree char *body = g_strdup_printf(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">%s</cwmp:ID>"
            "</soap:Header><soap:Body><cwmp:DownloadResponse><Status>1</Status><StartTime>" UNKNOWN_TIME
            "</StartTime><CompleteTime>" UNKNOWN_TIME "</CompleteTime></cwmp:DownloadResponse></soap:Body>"
            "</soap:Envelope>",
            id);
        session_post(s, body);
    }
    conn_step(c);
}

static const ConnOps session_ops = {session_handshake_done, session_response, session_failed, NULL};

#define ENVELOPE_OPEN                                                                                                \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "                                       \
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">hnb-%" G_GUINT64_FORMAT \
    "</cwmp:ID></soap:Header><soap:Body>"
#define ENVELOPE_CLOSE "</soap:Body></soap:Envelope>"

/* The Inform (A.3.3.1) and, when "7 TRANSFER COMPLETE" is among its events, the TransferComplete (A.3.3.2). */
static void session_build(HnbDriveSession *s, const HnbDriveSessionSpec *spec)
{
    HnbDriveClient *cl = s->conn.client;
    static const char *const periodic[] = {"2 PERIODIC", NULL};
    const char *const *events = spec->events ? spec->events : periodic;
    const HnbDriveTransfer none = {.command_key = "", .fault_code = 0};
    const HnbDriveTransfer *tr = spec->transfer ? spec->transfer : &none;
    g_autofree char *key = g_markup_escape_text(tr->command_key ? tr->command_key : "", -1);
    char oui[7], serial[11];
    hnb_pki_device_id(cl->pki, spec->device, oui, serial);
    GString *b = g_string_new(NULL);
    g_string_append_printf(b, ENVELOPE_OPEN "<cwmp:Inform><DeviceId><Manufacturer>%s</Manufacturer><OUI>%s</OUI>"
                              "<ProductClass>%s</ProductClass><SerialNumber>%s</SerialNumber></DeviceId><Event>",
                           ++cl->ids, cl->manufacturer, oui, cl->product_class, serial);
    gboolean transfer = FALSE;
    for (guint i = 0; events[i] && i < HNB_DRIVE_MAX_EVENTS; i++) {
        g_autofree char *code = g_markup_escape_text(events[i], -1);
        gboolean m_download = strcmp(events[i], "M Download") == 0;
        transfer = transfer || strcmp(events[i], "7 TRANSFER COMPLETE") == 0;
        g_string_append_printf(b, "<EventStruct><EventCode>%s</EventCode><CommandKey>%s</CommandKey></EventStruct>",
                               code, m_download ? key : "");
    }
    g_string_append(b, "</Event><MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>");
    if (spec->software_version) {
        g_autofree char *v = g_markup_escape_text(spec->software_version, -1);
        g_string_append_printf(b, "<ParameterList><ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name>"
                                  "<Value>%s</Value></ParameterValueStruct></ParameterList>", v);
    }
    g_string_append(b, "</cwmp:Inform>" ENVELOPE_CLOSE);
    s->inform = g_string_free(b, FALSE);
    if (!transfer)
        return;
    const char *words = tr->fault_code == 0      ? ""
                        : tr->fault_code == 9017 ? "File corrupted"
                                                 : "Download failure";
    s->transfer = g_strdup_printf(ENVELOPE_OPEN "<cwmp:TransferComplete><CommandKey>%s</CommandKey><FaultStruct>"
                                                "<FaultCode>%d</FaultCode><FaultString>%s</FaultString></FaultStruct>"
                                                "<StartTime>" UNKNOWN_TIME "</StartTime><CompleteTime>" UNKNOWN_TIME
                                                "</CompleteTime></cwmp:TransferComplete>" ENVELOPE_CLOSE,
                                  ++cl->ids, key, tr->fault_code, words);
}

HnbDriveSession *hnb_drive_session_start(HnbDriveClient *cl, const HnbDriveSessionSpec *spec,
                                         HnbDriveSessionDone done, void *user_data)
{
    HnbDriveSession *s = g_new0(HnbDriveSession, 1);
    s->done = done;
    s->user_data = user_data;
    s->device = spec->device;
    s->mode = spec->mode;
    s->res.retry_after = -1;
    s->res.download.file_size = -1;
    s->res.download.delay_seconds = -1;
    memcpy(s->wan, spec->wan_rtt, sizeof s->wan);
    conn_init(&s->conn, cl, &session_ops, s, FALSE);
    if (spec->mode == HNB_DRIVE_CWMP)
        session_build(s, spec);
    conn_open(&s->conn, spec->device, spec->recovery, spec->session, spec->verify_time);
    return s;
}

void hnb_drive_session_cancel(HnbDriveSession *s)
{
    session_free(s);
}

HnbDrivePhase hnb_drive_session_phase(const HnbDriveSession *s)
{
    return phase_of(&s->conn);
}

/* ---- the image fetch --------------------------------------------------------------------------------------------- */

struct HnbDriveImage {
    Conn conn;
    HnbDriveImageDone done;
    void *user_data;
    uint32_t device;
    gboolean recovery;
    char *path;           /* the image's, from the URL */
    gboolean manifest;    /* the second GET */
    GChecksum *sum;       /* SHA-256 of the image bytes received */
    SSL_SESSION *session; /* the first connection's, offered by the second */
    HnbDriveImageResult res;
};

const char *hnb_drive_image_outcome_name(HnbDriveImageOutcome o)
{
    static const char *const names[] = {"ok", "cut", "refused", "bad_manifest", "hs_failed", "bad_response", "error"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == HNB_DRIVE_IMAGE_OUTCOME_COUNT);
    return (unsigned)o < HNB_DRIVE_IMAGE_OUTCOME_COUNT ? names[o] : "?";
}

static void image_free(HnbDriveImage *im)
{
    conn_release(&im->conn);
    g_checksum_free(im->sum);
    SSL_SESSION_free(im->session);
    g_free(im->path);
    g_free(im);
}

static void image_finish(HnbDriveImage *im, HnbDriveImageOutcome outcome, const char *detail)
{
    im->res.outcome = outcome;
    if (detail && !im->res.detail[0])
        g_strlcpy(im->res.detail, detail, sizeof im->res.detail);
    conn_close(&im->conn, outcome == HNB_DRIVE_IMAGE_OK);
    im->res.t_end = hnb_drive_mono_ns();
    ev_timer_stop(im->conn.client->loop, &im->conn.timer);
    im->done(im, &im->res, im->user_data);
    image_free(im);
}

static void image_failed(Conn *c, const Fail *f)
{
    HnbDriveImage *im = c->owner;
    HnbDriveImageOutcome o = HNB_DRIVE_IMAGE_CUT; /* lost, refused, quiet: the transfer did not complete */
    if (f->kind == F_LOCAL)
        o = HNB_DRIVE_IMAGE_ERROR;
    else if (f->kind == F_HANDSHAKE) {
        o = HNB_DRIVE_IMAGE_HS_FAILED;
        im->res.hs_reason = f->reason;
    } else if (f->kind == F_HTTP)
        o = HNB_DRIVE_IMAGE_BAD_RESPONSE;
    image_finish(im, o, f->detail);
}

static gboolean image_handshake_done(Conn *c)
{
    HnbDriveImage *im = c->owner;
    if (!im->session)
        im->session = SSL_get1_session(c->ssl);
    g_string_printf(c->req, "GET %s%s HTTP/1.1\r\nHost: %s\r\n\r\n", im->path, im->manifest ? ".manifest" : "",
                    c->client->host);
    conn_send(c);
    return TRUE;
}

static void image_body(Conn *c, const char *at, size_t len)
{
    HnbDriveImage *im = c->owner;
    if (im->manifest || c->parser.status_code != 200) {
        if (c->body->len + len <= HNB_IMAGE_MANIFEST_MAX)
            g_string_append_len(c->body, at, len);
        return;
    }
    if (!im->res.t_first_byte)
        im->res.t_first_byte = hnb_drive_mono_ns();
    g_checksum_update(im->sum, (const guchar *)at, (gssize)len);
    im->res.bytes += len;
}

static void image_response(Conn *c)
{
    HnbDriveImage *im = c->owner;
    unsigned status = c->parser.status_code;
    im->res.http_status = status;
    if (status == 503) {
        im->res.retry_after = c->retry_after;
        image_finish(im, HNB_DRIVE_IMAGE_REFUSED, "HTTP 503");
        return;
    }
    if (!im->manifest) {
        if (status != 200) {
            g_snprintf(im->res.detail, sizeof im->res.detail, "HTTP %u to the image's GET", status);
            image_finish(im, HNB_DRIVE_IMAGE_BAD_RESPONSE, NULL);
            return;
        }
        im->res.t_image_done = hnb_drive_mono_ns();
        conn_close(c, TRUE);
        im->manifest = TRUE;
        c->cap = 0;
        conn_open(c, im->device, im->recovery, im->session, 0);
        return;
    }
    if (status != 200) {
        g_snprintf(im->res.detail, sizeof im->res.detail, "HTTP %u to the manifest's GET", status);
        image_finish(im, HNB_DRIVE_IMAGE_BAD_MANIFEST, NULL);
        return;
    }
    uint8_t digest[32];
    gsize dlen = sizeof digest;
    g_checksum_get_digest(im->sum, digest, &dlen);
    HnbSignedImage signed_image;
    if (!hnb_image_signed_from_text(&signed_image, c->body->str, c->body->len)) {
        image_finish(im, HNB_DRIVE_IMAGE_BAD_MANIFEST, "the manifest does not parse");
        return;
    }
    HnbImageReason why = hnb_image_verify(&signed_image, hnb_pki_signing(c->client->pki)->cert, digest, NULL);
    hnb_image_signed_clear(&signed_image);
    image_finish(im, why == HNB_IMAGE_OK ? HNB_DRIVE_IMAGE_OK : HNB_DRIVE_IMAGE_BAD_MANIFEST,
                 why == HNB_IMAGE_OK ? NULL : hnb_image_reason_name(why));
}

static const ConnOps image_ops = {image_handshake_done, image_response, image_failed, image_body};

/* The path of https://AUTHORITY/PATH, or NULL. */
static char *url_path(const char *url)
{
    static const char scheme[] = "https://";
    if (!url || g_ascii_strncasecmp(url, scheme, strlen(scheme)) != 0)
        return NULL;
    const char *slash = strchr(url + strlen(scheme), '/');
    if (!slash || slash == url + strlen(scheme) || strpbrk(slash, " \r\n"))
        return NULL;
    return g_strdup(slash);
}

HnbDriveImage *hnb_drive_image_start(HnbDriveClient *cl, uint32_t device, gboolean recovery, const char *url,
                                     int64_t expected_size, double cap_bytes_per_s, HnbDriveImageDone done,
                                     void *user_data)
{
    HnbDriveImage *im = g_new0(HnbDriveImage, 1);
    im->done = done;
    im->user_data = user_data;
    im->device = device;
    im->recovery = recovery;
    im->sum = g_checksum_new(G_CHECKSUM_SHA256);
    im->res.retry_after = -1;
    im->res.expected_size = expected_size;
    im->res.t_start = hnb_drive_mono_ns();
    conn_init(&im->conn, cl, &image_ops, im, TRUE);
    im->conn.cap = cap_bytes_per_s > 0 ? cap_bytes_per_s : 0;
    im->conn.tokens = MIN(BUCKET_BYTES, im->conn.cap);
    im->conn.t_tokens = hnb_drive_mono_ns();
    im->path = url_path(url);
    if (!im->path) {
        conn_fail_later(&im->conn, F_HTTP, 0, "the URL is not https://HOST/PATH");
        return im;
    }
    conn_open(&im->conn, device, recovery, NULL, 0);
    return im;
}

void hnb_drive_image_cancel(HnbDriveImage *im)
{
    image_free(im);
}
