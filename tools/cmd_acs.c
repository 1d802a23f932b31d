/* tools/cmd_acs.c — `hnbsim acs`: the embedded ACS's TLS endpoint on a real TCP socket, so real clients (openssl
 * s_client, a real HNB, `hnbsim probe`) can talk to it.
 *
 * One libev loop, one thread.  Each connection is a small state machine over a non-blocking socket:
 *
 *   HANDSHAKE ─SSL_accept done─► READ ─request complete─► WRITE ─sent─► READ (keep-alive) ... ─► SHUTDOWN ─► closed
 *
 * Every state calls its OpenSSL function until it would block; SSL_ERROR_WANT_READ / WANT_WRITE re-arm the one ev_io
 * watcher for the direction OpenSSL is waiting on (a TLS read can need a write and vice versa, so the watcher follows
 * what OpenSSL says, not what the state suggests).  An idle timer closes connections that stall.
 *
 * The TLS profile is not defined here: the server context comes from the core (crypto/tls.h), the same one the
 * simulation's in-process handshakes use, so `acs` and `run` cannot drift apart.
 *
 * HTTP: HTTP/1.1 POSTs with Content-Length (a TR-069 CWMP endpoint).  An Inform gets an InformResponse, an empty POST
 * gets 204 and ends the session (TR-069 §3.7), anything else a 4xx and the connection closes.  The HNB is
 * authenticated by the identity in its certificate; an Inform whose DeviceId does not map to that identity gets a
 * CWMP fault 8001 with 403 (reason identity_mismatch).
 *
 * Log: one line per connection on stderr — peer, TLS version, cipher, client identity, outcome and reason.
 */
#include "tools/cli.h"
#include "crypto/pki.h"
#include "crypto/tls.h"

#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Limits that keep one bad client from holding memory or a slot forever. */
enum {
    MAX_HEADER = 16 * 1024,  /* request line + headers */
    MAX_BODY = 1024 * 1024,  /* a CWMP envelope is a few KiB */
    IDLE_TIMEOUT_S = 30,     /* no progress for this long closes the connection */
};

typedef enum { ST_HANDSHAKE, ST_READ, ST_WRITE, ST_SHUTDOWN } ConnState;

typedef struct Server Server;
typedef struct Conn Conn;

struct Conn {
    ev_io io;        /* the socket; events follow what OpenSSL waits for */
    ev_timer idle;   /* restarted on every bit of progress */
    Server *srv;
    Conn *prev, *next; /* all live connections, for shutdown */
    int fd;
    SSL *ssl;
    ConnState st;
    char peer[INET6_ADDRSTRLEN + 8];
    char *identity;  /* the HNB identity from its certificate, after the handshake */
    const char *version, *cipher; /* negotiated, after the handshake (static strings) */
    GString *in;     /* bytes read, not yet consumed by a request */
    GString *out;    /* the response being written */
    size_t out_off;
    gboolean close_after; /* shut down once `out` is sent */
    unsigned requests;
    const char *outcome;  /* ok, refused, rejected, closed, timeout, error */
    char *reason;         /* reason code or detail, NULL if none */
};

struct Server {
    struct ev_loop *loop;
    ev_io listen_io;
    ev_signal sigterm, sigint;
    int listen_fd;
    HnbPki *pki; /* the exported PKI (--pki DIR) */
    SSL_CTX *ctx;
    Conn *conns;
    gint64 max_sessions; /* stop after this many connections (0: never) */
    gint64 served;
};

static void conn_step(Conn *c);

/* ---- the profile and the PKI directory ------------------------------------------------------------------------ */

/* The server context for the H(e)MS whose credentials `hnbsim pki --out DIR` exported: the directory opened as a PKI
 * (hnb_pki_open_export: its H(e)MS certificate and key, manufacturer CA and CRL) and the core's server context built
 * on it, the same builder the simulation's handshakes use. */
static SSL_CTX *server_ctx_for(HnbPki *pki, gboolean tls11, GError **error)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    if (tls11)
        cfg.min_version = TLS1_1_VERSION;
    /* the core's session-ID cache lives in the simulation's job handles (HnbTlsSession), which a real socket does not
     * have: every connection here is a full handshake */
    cfg.resumption = HNB_TLS_RESUME_NONE;
    SSL_CTX *ctx = hnb_tls_server_ctx_new(&cfg, pki, NULL, error);
    hnb_tls_config_clear(&cfg);
    return ctx;
}

/* "reason detail..." for a failed handshake, with the core's reason codes. */
static char *handshake_reason(SSL *ssl)
{
    char detail[160] = "";
    HnbTlsReason r = hnb_tls_reason_from_ssl(ssl, detail, sizeof detail);
    return detail[0] ? g_strdup_printf("%s (%s)", hnb_tls_reason_name(r), detail) : g_strdup(hnb_tls_reason_name(r));
}

/* ---- logging ---------------------------------------------------------------------------------------------------- */

static void conn_log(const Conn *c)
{
    const char *version = c->version ? c->version : "-", *cipher = c->cipher ? c->cipher : "-";
    fprintf(stderr, "acs: peer=%s tls=%s cipher=%s identity=%s requests=%u outcome=%s%s%s\n", c->peer, version,
            cipher, c->identity ? c->identity : "-", c->requests, c->outcome, c->reason ? " reason=" : "",
            c->reason ? c->reason : "");
    fflush(stderr);
}

static void conn_set_outcome(Conn *c, const char *outcome, const char *reason)
{
    c->outcome = outcome;
    g_free(c->reason);
    c->reason = g_strdup(reason);
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
    SSL_free(c->ssl);
    close(c->fd);
    g_string_free(c->in, TRUE);
    g_string_free(c->out, TRUE);
    g_free(c->identity);
    g_free(c->reason);
    g_free(c);
}

/* Log, free, and stop the server when --max-sessions is reached. */
static void conn_close(Conn *c)
{
    Server *s = c->srv;
    conn_log(c);
    conn_free(c);
    s->served++;
    if (s->max_sessions > 0 && s->served >= s->max_sessions)
        ev_break(s->loop, EVBREAK_ALL);
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
    ev_timer_again(c->srv->loop, &c->idle);
    conn_step(c);
}

static void on_conn_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Conn *c = (Conn *)((char *)w - offsetof(Conn, idle));
    if (c->st == ST_HANDSHAKE)
        conn_set_outcome(c, "refused", "handshake_timeout");
    else if (g_strcmp0(c->outcome, "ok") != 0)
        conn_set_outcome(c, "timeout", NULL);
    conn_close(c);
}

/* ---- HTTP + CWMP ------------------------------------------------------------------------------------------------ */

static const char *status_text(int code)
{
    switch (code) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
    }
}

/* Queue a response; `extra` holds further header lines (each ending in CRLF) or is NULL. */
static void respond(Conn *c, int code, const char *content_type, const char *body, const char *extra)
{
    size_t len = body ? strlen(body) : 0;
    g_string_truncate(c->out, 0);
    c->out_off = 0;
    g_string_append_printf(c->out, "HTTP/1.1 %d %s\r\nServer: hnbsim/%s\r\n", code, status_text(code), HNB_VERSION);
    if (code != 204) {
        if (content_type)
            g_string_append_printf(c->out, "Content-Type: %s\r\n", content_type);
        g_string_append_printf(c->out, "Content-Length: %zu\r\n", len);
    }
    if (extra)
        g_string_append(c->out, extra);
    if (c->close_after)
        g_string_append(c->out, "Connection: close\r\n");
    g_string_append(c->out, "\r\n");
    if (body && code != 204)
        g_string_append_len(c->out, body, (gssize)len);
}

static void respond_error(Conn *c, int code, const char *why)
{
    c->close_after = TRUE;
    g_autofree char *text = g_strdup_printf("%d %s: %s\n", code, status_text(code), why);
    respond(c, code, "text/plain; charset=utf-8", text, code == 405 ? "Allow: POST\r\n" : NULL);
    g_autofree char *reason = g_strdup_printf("http_%d", code);
    conn_set_outcome(c, "error", reason);
}

/* The content of the first element whose local name is `name` (any namespace prefix), within [p, end).  Returns the
 * start of the content and sets *len, or NULL.  Good enough for CWMP envelopes: no CDATA, no comments with tags. */
static const char *xml_find(const char *p, const char *end, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (const char *lt = p; lt && lt < end; lt = memchr(lt + 1, '<', (size_t)(end - lt - 1))) {
        if (*lt != '<' || lt + 1 >= end || lt[1] == '/' || lt[1] == '?' || lt[1] == '!')
            continue;
        const char *q = lt + 1, *tag_end = q;
        while (tag_end < end && !g_ascii_isspace(*tag_end) && *tag_end != '>' && *tag_end != '/')
            tag_end++;
        const char *colon = memchr(q, ':', (size_t)(tag_end - q));
        const char *local = colon ? colon + 1 : q;
        if ((size_t)(tag_end - local) != n || memcmp(local, name, n) != 0)
            continue;
        const char *gt = memchr(tag_end, '>', (size_t)(end - tag_end));
        if (!gt)
            return NULL;
        if (gt[-1] == '/') { /* <Name/> */
            *len = 0;
            return gt + 1;
        }
        /* the matching close tag with the same qualified name */
        g_autofree char *close_tag = g_strdup_printf("</%.*s>", (int)(tag_end - q), q);
        const char *content = gt + 1;
        const char *c = g_strstr_len(content, end - content, close_tag);
        if (!c)
            return NULL;
        *len = (size_t)(c - content);
        return content;
    }
    return NULL;
}

/* The element's text, whitespace-trimmed and unescaped of the five predefined entities; NULL if absent. */
static char *xml_text(const char *p, const char *end, const char *name)
{
    size_t len;
    const char *s = xml_find(p, end, name, &len);
    if (!s)
        return NULL;
    GString *out = g_string_sized_new(len);
    for (size_t i = 0; i < len; i++) {
        static const struct { const char *ent; char ch; } ents[] = {
            {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
        gboolean done = FALSE;
        if (s[i] == '&')
            for (size_t k = 0; k < G_N_ELEMENTS(ents) && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if (i + el <= len && memcmp(s + i, ents[k].ent, el) == 0) {
                    g_string_append_c(out, ents[k].ch);
                    i += el - 1;
                    done = TRUE;
                }
            }
        if (!done)
            g_string_append_c(out, s[i]);
    }
    return g_strstrip(g_string_free(out, FALSE));
}

/* The CWMP namespace the client used (urn:dslforum-org:cwmp-1-N), so the answer speaks the same version. */
static char *cwmp_ns(const char *body, size_t len)
{
    static const char prefix[] = "urn:dslforum-org:cwmp-1-";
    const char *p = g_strstr_len(body, (gssize)len, prefix);
    if (p && p + sizeof prefix - 1 < body + len && g_ascii_isdigit(p[sizeof prefix - 1]))
        return g_strdup_printf("%s%c", prefix, p[sizeof prefix - 1]);
    return g_strdup("urn:dslforum-org:cwmp-1-0");
}

static char *soap_envelope(const char *ns, const char *id, const char *body)
{
    g_autofree char *id_esc = id ? g_markup_escape_text(id, -1) : NULL;
    return g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:cwmp=\"%s\">\n"
        "<soap-env:Header>%s%s%s</soap-env:Header>\n"
        "<soap-env:Body>%s</soap-env:Body>\n"
        "</soap-env:Envelope>\n",
        ns, id ? "<cwmp:ID soap-env:mustUnderstand=\"1\">" : "", id ? id_esc : "", id ? "</cwmp:ID>" : "", body);
}

static void handle_inform(Conn *c, const char *body, size_t len, const char *ns, const char *id)
{
    const char *end = body + len;
    size_t dlen;
    const char *dev = xml_find(body, end, "DeviceId", &dlen);
    if (dev) {
        g_autofree char *oui = xml_text(dev, dev + dlen, "OUI");
        g_autofree char *serial = xml_text(dev, dev + dlen, "SerialNumber");
        /* the core's identity rule (TS 33.320 8.3.4): the certificate's identity is the one the DeviceId claims, in
         * the PKI's realm */
        if (hnb_tls_authorize(SSL_get0_peer_certificate(c->ssl), c->srv->pki, oui, serial, NULL) != HNB_TLS_OK) {
            g_autofree char *msg = g_markup_printf_escaped(
                "DeviceId OUI=%s SerialNumber=%s does not match the certificate identity %s", oui ? oui : "",
                serial ? serial : "", c->identity);
            g_autofree char *fault = g_strdup_printf(
                "<soap-env:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail>"
                "<cwmp:Fault><FaultCode>8001</FaultCode><FaultString>Request denied: %s</FaultString></cwmp:Fault>"
                "</detail></soap-env:Fault>",
                msg);
            g_autofree char *env = soap_envelope(ns, id, fault);
            c->close_after = TRUE;
            respond(c, 403, "text/xml; charset=\"utf-8\"", env, NULL);
            g_autofree char *why = g_strdup_printf("%s (DeviceId OUI=%s SerialNumber=%s)",
                                                   hnb_tls_reason_name(HNB_TLS_IDENTITY_MISMATCH), oui ? oui : "-",
                                                   serial ? serial : "-");
            conn_set_outcome(c, "rejected", why);
            return;
        }
    }
    g_autofree char *env =
        soap_envelope(ns, id, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>");
    respond(c, 200, "text/xml; charset=\"utf-8\"", env, NULL);
    conn_set_outcome(c, "informed", NULL);
}

/* One complete request: method, body.  Queues the response in c->out. */
static void handle_request(Conn *c, const char *method, const char *body, size_t len)
{
    c->requests++;
    if (strcmp(method, "POST") != 0) {
        respond_error(c, 405, "the CWMP endpoint accepts POST only");
        return;
    }
    /* an empty POST (whitespace only) ends the session: the ACS has nothing to ask */
    size_t i = 0;
    while (i < len && g_ascii_isspace(body[i]))
        i++;
    if (i == len) {
        c->close_after = TRUE;
        respond(c, 204, NULL, NULL, NULL);
        conn_set_outcome(c, "ok", NULL);
        return;
    }
    const char *end = body + len;
    size_t blen;
    const char *soap_body = xml_find(body, end, "Body", &blen);
    if (!xml_find(body, end, "Envelope", &(size_t){0}) || !soap_body) {
        respond_error(c, 400, "expected a SOAP envelope");
        return;
    }
    g_autofree char *ns = cwmp_ns(body, len);
    g_autofree char *id = xml_text(body, soap_body, "ID");
    size_t ilen;
    if (xml_find(soap_body, soap_body + blen, "Inform", &ilen)) {
        handle_inform(c, body, len, ns, id);
        return;
    }
    if (xml_find(soap_body, soap_body + blen, "TransferComplete", &ilen)) {
        g_autofree char *env = soap_envelope(ns, id, "<cwmp:TransferCompleteResponse/>");
        respond(c, 200, "text/xml; charset=\"utf-8\"", env, NULL);
        return;
    }
    respond_error(c, 400, "unsupported CWMP request (this ACS answers Inform, TransferComplete and the empty POST)");
}

/* Try to take one request off c->in.  Returns TRUE when a response was queued. */
static gboolean parse_request(Conn *c)
{
    const char *buf = c->in->str;
    const char *hdr_end = g_strstr_len(buf, (gssize)c->in->len, "\r\n\r\n");
    if (!hdr_end) {
        if (c->in->len > MAX_HEADER) {
            respond_error(c, 431, "request header too large");
            return TRUE;
        }
        return FALSE;
    }
    size_t hdr_len = (size_t)(hdr_end - buf) + 4;
    g_autofree char *head = g_strndup(buf, hdr_len - 4);
    g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
    g_auto(GStrv) req = g_strsplit(lines[0], " ", 3);
    if (g_strv_length(req) != 3 || !g_str_has_prefix(req[2], "HTTP/1.")) {
        respond_error(c, 400, "malformed request line");
        return TRUE;
    }
    gint64 content_length = 0;
    for (char **l = lines + 1; *l; l++) {
        char *colon = strchr(*l, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = g_strstrip(colon + 1);
        if (g_ascii_strcasecmp(*l, "Content-Length") == 0) {
            char *e;
            content_length = g_ascii_strtoll(value, &e, 10);
            if (*e || e == value || content_length < 0) {
                respond_error(c, 400, "bad Content-Length");
                return TRUE;
            }
        } else if (g_ascii_strcasecmp(*l, "Transfer-Encoding") == 0) {
            respond_error(c, 411, "send the body with a Content-Length");
            return TRUE;
        } else if (g_ascii_strcasecmp(*l, "Connection") == 0 && g_ascii_strcasecmp(value, "close") == 0) {
            c->close_after = TRUE;
        }
    }
    if (content_length > MAX_BODY) {
        respond_error(c, 413, "body too large");
        return TRUE;
    }
    if (c->in->len < hdr_len + (size_t)content_length)
        return FALSE;
    handle_request(c, req[0], buf + hdr_len, (size_t)content_length);
    g_string_erase(c->in, 0, (gssize)(hdr_len + (size_t)content_length));
    return TRUE;
}


/* ---- the TLS state machine -------------------------------------------------------------------------------------- */

/* After the handshake: who is the HNB? */
static gboolean handshake_done(Conn *c)
{
    c->version = SSL_get_version(c->ssl);
    c->cipher = SSL_get_cipher_name(c->ssl);
    X509 *cert = SSL_get0_peer_certificate(c->ssl);
    if (!cert) { /* cannot happen while the profile demands a certificate; a custom one might not */
        conn_set_outcome(c, "refused", hnb_tls_reason_name(HNB_TLS_NO_CLIENT_CERT));
        return FALSE;
    }
    c->identity = hnb_pki_cert_identity(cert);
    if (!c->identity) {
        conn_set_outcome(c, "refused", "bad_identity (the certificate carries no <EUI-64>.<realm> identity)");
        return FALSE;
    }
    conn_set_outcome(c, "handshake", NULL);
    return TRUE;
}

static void conn_step(Conn *c)
{
    for (;;) {
        int r, err;
        switch (c->st) {
        case ST_HANDSHAKE:
            ERR_clear_error();
            r = SSL_accept(c->ssl);
            if (r == 1) {
                if (!handshake_done(c)) {
                    c->st = ST_SHUTDOWN;
                    continue;
                }
                c->st = ST_READ;
                continue;
            }
            err = SSL_get_error(c->ssl, r);
            if (conn_want_io(c, err))
                return;
            {
                g_autofree char *reason = handshake_reason(c->ssl);
                conn_set_outcome(c, "refused", reason);
            }
            conn_close(c); /* OpenSSL has sent its alert; no close_notify after a failed handshake */
            return;

        case ST_READ: {
            if (parse_request(c)) {
                c->st = ST_WRITE;
                continue;
            }
            char buf[16384];
            ERR_clear_error();
            r = SSL_read(c->ssl, buf, sizeof buf);
            if (r > 0) {
                g_string_append_len(c->in, buf, r);
                continue;
            }
            err = SSL_get_error(c->ssl, r);
            if (conn_want_io(c, err))
                return;
            if (err == SSL_ERROR_ZERO_RETURN) { /* close_notify from the peer */
                if (g_strcmp0(c->outcome, "ok") != 0)
                    conn_set_outcome(c, "closed", c->in->len ? "partial_request" : "no_empty_post");
                c->st = ST_SHUTDOWN;
                continue;
            }
            if (g_strcmp0(c->outcome, "ok") != 0) {
                unsigned long e = ERR_peek_last_error();
                conn_set_outcome(c, "closed", err == SSL_ERROR_SYSCALL && !e ? "eof"
                                              : e ? ERR_reason_error_string(e) : "tls_error");
            }
            conn_close(c);
            return;
        }

        case ST_WRITE:
            if (c->out_off == c->out->len) {
                c->st = c->close_after ? ST_SHUTDOWN : ST_READ;
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
            conn_close(c);
            return;
        }
    }
}

/* ---- accepting -------------------------------------------------------------------------------------------------- */

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
        Conn *c = g_new0(Conn, 1);
        c->srv = s;
        c->fd = fd;
        c->in = g_string_new(NULL);
        c->out = g_string_new(NULL);
        c->outcome = "handshake";
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0)
            g_snprintf(c->peer, sizeof c->peer, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
        else
            g_strlcpy(c->peer, "?", sizeof c->peer);
        c->ssl = SSL_new(s->ctx);
        if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
            fprintf(stderr, "acs: SSL_new: %s\n", ERR_reason_error_string(ERR_get_error()));
            if (c->ssl)
                SSL_free(c->ssl);
            close(fd);
            g_string_free(c->in, TRUE);
            g_string_free(c->out, TRUE);
            g_free(c);
            continue;
        }
        SSL_set_accept_state(c->ssl);
        SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        ev_io_init(&c->io, on_conn_io, fd, EV_READ);
        ev_init(&c->idle, on_conn_idle);
        c->idle.repeat = IDLE_TIMEOUT_S;
        ev_timer_again(loop, &c->idle);
        conn_step(c);
        if (s->max_sessions > 0 && s->served >= s->max_sessions)
            return;
    }
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* Bind HOST:PORT ([v6]:PORT too); port 0 picks a free one.  Returns the listening fd or -1 with error set. */
static int listen_on(const char *spec, char **bound, GError **error)
{
    g_autofree char *host = NULL;
    const char *port;
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--listen: expected HOST:PORT, got \"%s\"", spec);
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
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--listen %s: %s", spec, gai_strerror(gai));
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
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 128) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "--listen %s: %s", spec, g_strerror(saved));
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

int hnb_cmd_acs(int argc, char **argv)
{
    g_autofree char *listen_spec = NULL, *pki_dir = NULL;
    gboolean tls11 = FALSE;
    gint64 max_sessions = 0;
    GOptionEntry entries[] = {
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen_spec, "Address to serve on (port 0: pick a free port)",
         "HOST:PORT"},
        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_dir, "PKI directory written by `hnbsim pki --out`", "DIR"},
        {"tls11", 0, 0, G_OPTION_ARG_NONE, &tls11, "Also accept TLS 1.1 (the profile's floor; default TLS 1.2 only)",
         NULL},
        {"max-sessions", 0, 0, G_OPTION_ARG_INT64, &max_sessions,
         "Exit after this many connections have ended (default 0: until SIGTERM/SIGINT)", "N"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("— serve the ACS's TLS endpoint (TS 33.320 §8.3.4) on TCP");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "A TR-069 CWMP endpoint over TLS with mutual certificate authentication, using the same profile as the "
             "simulation: an Inform gets an InformResponse, an empty POST gets 204 and ends the session.  The HNB is "
             "identified by its certificate; an Inform whose DeviceId does not match it is refused (403, CWMP fault "
             "8001).\nPrints `listening on HOST:PORT` on stdout once ready; logs one line per connection on stderr.  "
             "SIGTERM or SIGINT stops it (exit 0).");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (argc > 1) {
        fprintf(stderr, "hnbsim acs: unexpected argument \"%s\"\n", argv[1]);
        return HNB_EXIT_INPUT;
    }
    if (!listen_spec || !pki_dir) {
        fprintf(stderr, "hnbsim acs: --listen HOST:PORT and --pki DIR are required\n");
        return HNB_EXIT_INPUT;
    }
    if (max_sessions < 0) {
        fprintf(stderr, "hnbsim acs: --max-sessions must be >= 0\n");
        return HNB_EXIT_INPUT;
    }

    Server s = {.max_sessions = max_sessions, .listen_fd = -1};
    g_autoptr(HnbPki) pki = hnb_pki_open_export(pki_dir, &error);
    if (!pki)
        return hnb_cli_fail(error);
    s.pki = pki;
    s.ctx = server_ctx_for(pki, tls11, &error);
    if (!s.ctx) {
        g_prefix_error(&error, "--pki %s: ", pki_dir);
        return hnb_cli_fail(error);
    }
    g_autofree char *bound = NULL;
    s.listen_fd = listen_on(listen_spec, &bound, &error);
    if (s.listen_fd < 0) {
        SSL_CTX_free(s.ctx);
        return hnb_cli_fail(error);
    }
    /* a peer that resets the connection must not kill the server with SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    s.loop = ev_default_loop(EVFLAG_AUTO);
    ev_io_init(&s.listen_io, on_accept, s.listen_fd, EV_READ);
    s.listen_io.data = &s;
    ev_io_start(s.loop, &s.listen_io);
    ev_signal_init(&s.sigterm, on_signal, SIGTERM);
    ev_signal_start(s.loop, &s.sigterm);
    ev_signal_init(&s.sigint, on_signal, SIGINT);
    ev_signal_start(s.loop, &s.sigint);
    printf("listening on %s\n", bound);
    fflush(stdout);

    ev_run(s.loop, 0);

    while (s.conns) {
        conn_set_outcome(s.conns, "closed", "server_stopped");
        conn_log(s.conns);
        conn_free(s.conns);
    }
    ev_io_stop(s.loop, &s.listen_io);
    ev_signal_stop(s.loop, &s.sigterm);
    ev_signal_stop(s.loop, &s.sigint);
    close(s.listen_fd);
    SSL_CTX_free(s.ctx);
    ev_loop_destroy(s.loop);
    return HNB_EXIT_OK;
}
