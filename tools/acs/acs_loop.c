/* tools/acs/acs_loop.c — libev, sockets and OpenSSL for `hnbsim acs` (see acs_loop.h).
 *
 * One loop, one thread.  Every state calls its OpenSSL function until it would block; SSL_ERROR_WANT_READ /
 * WANT_WRITE re-arm the one ev_io watcher for the direction OpenSSL is waiting on (a TLS read can need a write and
 * vice versa, so the watcher follows what OpenSSL says, not what the state suggests).  An idle timer closes
 * connections that stall.  HTTP and CWMP are not here: bytes go to acs_http.c, bodies to acs_cwmp.c.
 *
 * This file holds the connection's state machine, its requests, accepting and the workers; what they share and the
 * other files of the socket layer (a connection's bookkeeping, the TLS profile, the parked sessions, the metrics
 * listener, the listening sockets) are listed in acs_loop_private.h.
 */
#include "tools/acs/acs_loop_private.h"
#include "crypto/tls.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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
};

static void conn_step(Conn *c);

/* ---- server-wide: the stop, the bandwidth bucket, the download slots -------------------------------------------- */

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

/* ---- closing, I/O and deadlines --------------------------------------------------------------------------------- */

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

/* ---- workers ---------------------------------------------------------------------------------------------------- */

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
