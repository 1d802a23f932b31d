/* tools/bench/acs_load.c — acs-load: many concurrent HNBs' TLS connections against a real H(e)MS (`hnbsim acs`, or
 * nginx in tools/bench/run-acs-bench.sh), for issue 14's benchmark and soak test.
 *
 * One process, one libev loop, `--concurrency N` clients over TCP to HOST:PORT.  Each connection is a different
 * device of the PKI directory (`hnbsim pki --out DIR`: dev<i>.pem/.key, cycling), verifies the server against the
 * operator root and the H(e)MS name, and runs one of three modes:
 *   full     a full handshake on a new connection, then close_notify and close;
 *   resumed  the same, but offering the session its device got on its previous connection (the first connection of
 *            each device is a full handshake); a server that does not resume still completes, counted as not resumed;
 *            done when the server has closed too: an abbreviated handshake ends with the client's Finished, which
 *            the server may not have read yet, and clients that did not wait would run ahead of it;
 *   session  a whole CWMP session: POST an Inform whose DeviceId (OUI + SerialNumber) maps to the certificate's
 *            identity, read the InformResponse (200), POST empty with its session cookie, read 204, close.
 * The TLS side is the core's (crypto/tls.h: the §8.3.4 profile's client context, the device credential and the name
 * check), so what is measured is the profile the simulation and `hnbsim acs` use.  The responses are parsed by
 * http-parser, as the server parses the requests.
 *
 * Usage: acs-load --target HOST:PORT --pki DIR [--mode full|resumed|session] [--concurrency N]
 *                 (--duration S | --count N) [--devices N] [--timeout S] [--ramp S] [--host NAME]
 * With --duration no connection starts after S seconds and those in flight finish (so a server's own count of
 * sessions equals the completed count), except those still waiting for their TCP connect then, which are closed and
 * counted as cancelled; with --count exactly N connections are made.
 *
 * Last stdout line, key=value:
 *   mode=M concurrency=N completed=C failed=F failed_by=REASON:n,...|- resumed=R cancelled=X elapsed_s=E rate_per_s=C/E
 *   hs_p50_ms= hs_p95_ms= hs_p99_ms= done_p50_ms= done_p95_ms= done_p99_ms= cpu_s=
 * hs_*: from connect() to the end of the handshake; done_*: to the close (in session mode the whole session); both
 * over the completed connections.  cpu_s: this process's user + system CPU time for the load.  Failure reasons:
 * connect, socket, connect_timeout (no answer to the SYN), handshake_timeout, timeout (during the HTTP exchange),
 * closed (the server went away mid-exchange), the core's handshake reasons (crypto/tls.h:
 * unknown_ca, ...), closed_during_handshake, http_<status> (an unexpected status, e.g. http_503 for an overload
 * refusal), bad_response (not HTTP, or no InformResponse).
 *
 * Exit: 0 when every connection completed, 1 when any failed (the line is printed either way), 2 on bad arguments,
 * files, or a file-descriptor limit too low for N connections (the soft limit is raised to the hard one first).
 */
#include "crypto/pki.h"
#include "crypto/tls.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <glib.h>
#include <http_parser.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum { MODE_FULL, MODE_RESUMED, MODE_SESSION } Mode;
typedef enum { ST_IDLE, ST_CONNECT, ST_HANDSHAKE, ST_WRITE, ST_READ, ST_CLOSING } State;

#define READ_CHUNK 16384
#define BODY_KEEP 4096      /* enough of a response body to find "InformResponse" in */
#define FD_SPARE 64         /* descriptors besides the connections: stdio, the loop, the PKI files */
#define RETRY_AFTER_FAIL 0.01 /* a slot waits this long after a failure, so a refusing server is not spun on */

#define EMPTY_POST "POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\n\r\n"

typedef struct Load Load;

typedef struct {
    Load *load;
    State state;
    int fd;
    SSL *ssl;
    ev_io io;
    ev_timer timer; /* the connection's deadline, or (ST_IDLE) when to start the next one */
    guint dev;
    gint64 t0, t_hs; /* monotonic µs: connect() started, handshake done */
    int step;        /* session mode: 0 the Inform, 1 the empty POST */
    const char *req;
    size_t req_len, req_off;
    http_parser parser;
    gboolean msg_done;
    GString *body;
    GString *field, *cookie; /* the response header being read; the Set-Cookie value the empty POST echoes */
    gboolean in_value;
    char *empty_post;
} Client;

struct Load {
    struct ev_loop *loop;
    SSL_CTX *ctx;
    HnbPki *pki;
    Mode mode;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    guint ndev, next_dev;
    const HnbPkiCred **creds;
    char **informs;         /* per device: the Inform POST */
    SSL_SESSION **sessions; /* resumed mode, per device: the session to offer */
    const char *host; /* the H(e)MS name checked in its certificate and sent as SNI */
    double timeout;
    gint64 count, started, completed, failed, resumed, cancelled;
    gint64 deadline; /* monotonic µs; 0 with --count */
    guint active;
    GHashTable *fails; /* reason -> count (GINT_TO_POINTER) */
    Client *clients;
    guint nclients;
    ev_timer end; /* --duration: the deadline */
    GArray *lat_hs, *lat_done; /* double ms */
    http_parser_settings http;
};

static void client_step(Client *c);
static void client_start(Client *c);

/* ---- bookkeeping ------------------------------------------------------------------------------------------------ */

static gboolean more_work(const Load *l)
{
    if (l->deadline)
        return g_get_monotonic_time() < l->deadline;
    return l->started < l->count;
}

static void client_watch(Client *c, int events)
{
    ev_io_stop(c->load->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(c->load->loop, &c->io);
}

/* Close the connection and count it nowhere else: one still waiting for its TCP connect at the deadline. */
static void client_cancel(Client *c)
{
    Load *l = c->load;
    ev_io_stop(l->loop, &c->io);
    ev_timer_stop(l->loop, &c->timer);
    SSL_free(c->ssl);
    c->ssl = NULL;
    close(c->fd);
    c->fd = -1;
    c->state = ST_IDLE;
    l->cancelled++;
    if (--l->active == 0)
        ev_break(l->loop, EVBREAK_ALL);
}

/* The deadline of --duration: slots that are idle retire; a connection whose TCP connect has not completed has not
 * started as far as the server knows (its SYN sits in the kernel's retry back-off after a full accept queue), so it is
 * cancelled rather than waited for up to a minute; connections under way finish. */
static void on_end(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Load *l = w->data;
    for (guint i = 0; i < l->nclients; i++) {
        Client *c = &l->clients[i];
        if (c->state == ST_CONNECT)
            client_cancel(c);
    }
}

/* End the connection: `reason` NULL for a completed one.  The slot starts the next connection from the loop (never
 * from here, so a server refusing at once cannot recurse), or retires when there is no more work. */
static void client_finish(Client *c, const char *reason)
{
    Load *l = c->load;
    ev_io_stop(l->loop, &c->io);
    ev_timer_stop(l->loop, &c->timer);
    if (c->ssl) {
        if (!reason)
            SSL_shutdown(c->ssl); /* our close_notify; the server's is not waited for */
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    ERR_clear_error();
    if (reason) {
        l->failed++;
        gpointer n = g_hash_table_lookup(l->fails, reason);
        g_hash_table_replace(l->fails, g_strdup(reason), GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
    } else {
        l->completed++;
        double hs = (double)(c->t_hs - c->t0) / 1000, done = (double)(g_get_monotonic_time() - c->t0) / 1000;
        g_array_append_val(l->lat_hs, hs);
        g_array_append_val(l->lat_done, done);
    }
    c->state = ST_IDLE;
    if (more_work(l)) {
        ev_timer_set(&c->timer, reason ? RETRY_AFTER_FAIL : 0, 0);
        ev_timer_start(l->loop, &c->timer);
    } else if (--l->active == 0)
        ev_break(l->loop, EVBREAK_ALL);
}

/* ---- HTTP responses --------------------------------------------------------------------------------------------- */

static int on_body(http_parser *p, const char *at, size_t len)
{
    Client *c = p->data;
    if (c->body->len < BODY_KEEP)
        g_string_append_len(c->body, at, MIN(len, BODY_KEEP - c->body->len));
    return 0;
}

/* Header names and values may come in pieces; only Set-Cookie's value is kept (up to its attributes), since a CPE
 * echoes the session cookie in the requests that follow (TR-069 §3.4.1) and the server logs whether it did. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    Client *c = p->data;
    if (c->in_value)
        g_string_truncate(c->field, 0);
    c->in_value = FALSE;
    g_string_append_len(c->field, at, len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    Client *c = p->data;
    if (!c->in_value && g_ascii_strcasecmp(c->field->str, "Set-Cookie") == 0)
        g_string_truncate(c->cookie, 0);
    c->in_value = TRUE;
    if (g_ascii_strcasecmp(c->field->str, "Set-Cookie") == 0 && c->cookie->len < BODY_KEEP)
        g_string_append_len(c->cookie, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    Client *c = p->data;
    c->msg_done = TRUE;
    return 0;
}

/* Send request `step` of the session: the Inform, then the empty POST with the cookie the InformResponse set. */
static void session_send(Client *c)
{
    g_clear_pointer(&c->empty_post, g_free);
    if (c->step == 0) {
        c->req = c->load->informs[c->dev];
        g_string_truncate(c->cookie, 0);
    } else if (c->cookie->len) {
        size_t n = strcspn(c->cookie->str, ";");
        c->req = c->empty_post = g_strdup_printf("POST /cwmp HTTP/1.1\r\nHost: acs\r\nCookie: %.*s\r\n"
                                                 "Content-Length: 0\r\n\r\n", (int)n, c->cookie->str);
    } else
        c->req = EMPTY_POST;
    c->req_len = strlen(c->req);
    c->req_off = 0;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->msg_done = FALSE;
    c->in_value = FALSE;
    g_string_truncate(c->field, 0);
    g_string_truncate(c->body, 0);
    c->state = ST_WRITE;
}

/* A whole response has arrived: check it, then the next request or the end.  FALSE when the client finished. */
static gboolean session_answered(Client *c)
{
    unsigned want = c->step == 0 ? 200 : 204;
    if (c->parser.status_code != want) {
        char why[32];
        snprintf(why, sizeof why, "http_%u", c->parser.status_code);
        client_finish(c, why);
        return FALSE;
    }
    if (c->step == 0 && !strstr(c->body->str, "InformResponse")) {
        client_finish(c, "bad_response");
        return FALSE;
    }
    if (++c->step == 2) {
        client_finish(c, NULL);
        return FALSE;
    }
    session_send(c);
    return TRUE;
}

/* ---- the connection ---------------------------------------------------------------------------------------------- */

/* An SSL call returned r <= 0: wait for the socket (TRUE) or finish the client with the failure (FALSE). */
static gboolean ssl_wait(Client *c, int r, const char *fallback)
{
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        client_watch(c, err == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
        return TRUE;
    }
    if (c->state == ST_HANDSHAKE) {
        unsigned long e = ERR_peek_error();
        if (SSL_get_verify_result(c->ssl) == X509_V_OK &&
            (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && e == 0) ||
             (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING))) {
            client_finish(c, "closed_during_handshake");
            return FALSE;
        }
        char detail[160] = "";
        client_finish(c, hnb_tls_reason_name(hnb_tls_reason_from_ssl(c->ssl, detail, sizeof detail)));
        return FALSE;
    }
    client_finish(c, fallback);
    return FALSE;
}

static void handshake_done(Client *c)
{
    Load *l = c->load;
    c->t_hs = g_get_monotonic_time();
    if (SSL_session_reused(c->ssl))
        l->resumed++;
    if (l->mode == MODE_RESUMED) {
        /* the latest session of this device is the one its next connection offers */
        SSL_SESSION_free(l->sessions[c->dev]);
        l->sessions[c->dev] = SSL_get1_session(c->ssl);
    }
    if (l->mode == MODE_SESSION) {
        c->step = 0;
        session_send(c);
    } else if (l->mode == MODE_RESUMED) {
        SSL_shutdown(c->ssl); /* our close_notify; then wait for the server's close (ST_CLOSING) */
        c->state = ST_CLOSING;
    } else
        client_finish(c, NULL);
}

/* Run the state machine as far as the socket allows. */
static void client_step(Client *c)
{
    for (;;) {
        switch (c->state) {
        case ST_IDLE:
            return;
        case ST_CONNECT: {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
                client_finish(c, "connect");
                return;
            }
            c->state = ST_HANDSHAKE;
            break;
        }
        case ST_HANDSHAKE: {
            int r = SSL_connect(c->ssl);
            if (r == 1) {
                handshake_done(c);
                break;
            }
            ssl_wait(c, r, "handshake");
            return;
        }
        case ST_WRITE: {
            int r = SSL_write(c->ssl, c->req + c->req_off, (int)(c->req_len - c->req_off));
            if (r <= 0) {
                ssl_wait(c, r, "closed");
                return;
            }
            c->req_off += (size_t)r;
            if (c->req_off == c->req_len)
                c->state = ST_READ;
            break;
        }
        case ST_READ: {
            char buf[READ_CHUNK];
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r <= 0) {
                ssl_wait(c, r, "closed");
                return;
            }
            size_t used = http_parser_execute(&c->parser, &c->load->http, buf, (size_t)r);
            if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || used != (size_t)r) {
                client_finish(c, "bad_response");
                return;
            }
            if (c->msg_done && !session_answered(c))
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
                client_watch(c, err == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
                return;
            }
            client_finish(c, NULL);
            return;
        }
        }
    }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    client_step(w->data);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Client *c = w->data;
    /* the phase says who was slow: connect_timeout is a SYN never answered (a full accept queue drops SYNs; the
     * kernel retries them after 1, 3, 7, 15, 31 s), handshake_timeout a server that never finished its side */
    if (c->state == ST_IDLE)
        client_start(c);
    else
        client_finish(c, c->state == ST_CONNECT     ? "connect_timeout"
                         : c->state == ST_HANDSHAKE ? "handshake_timeout"
                                                    : "timeout");
}

/* The slot's next connection: the next device, a non-blocking connect, the TLS client for the device. */
static void client_start(Client *c)
{
    Load *l = c->load;
    if (!more_work(l)) {
        if (--l->active == 0)
            ev_break(l->loop, EVBREAK_ALL);
        return;
    }
    l->started++;
    c->dev = l->next_dev;
    l->next_dev = (l->next_dev + 1) % l->ndev;
    c->t0 = g_get_monotonic_time();
    c->state = ST_CONNECT;
    ev_timer_set(&c->timer, l->timeout, 0);
    ev_timer_start(l->loop, &c->timer);
    c->fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        client_finish(c, "socket");
        return;
    }
    GError *error = NULL;
    c->ssl = SSL_new(l->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || !hnb_tls_client_setup(c->ssl, l->creds[c->dev], l->host, &error)) {
        /* out of memory or a credential OpenSSL will not take: the same for every connection */
        fprintf(stderr, "acs-load: TLS client for device %u: %s\n", c->dev, error ? error->message : "SSL_new");
        exit(2);
    }
    if (l->mode == MODE_RESUMED && l->sessions[c->dev])
        SSL_set_session(c->ssl, l->sessions[c->dev]);
    if (connect(c->fd, (struct sockaddr *)&l->addr, l->addr_len) < 0 && errno != EINPROGRESS) {
        client_finish(c, "connect");
        return;
    }
    client_watch(c, EV_WRITE); /* writable: connected (or failed, SO_ERROR says) */
}

/* ---- set-up ------------------------------------------------------------------------------------------------------ */

static gboolean parse_target(Load *l, const char *target, GError **error)
{
    const char *colon = strrchr(target, ':');
    if (!colon || colon == target || !colon[1]) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--target must be HOST:PORT or [V6]:PORT, got '%s'", target);
        return FALSE;
    }
    g_autofree char *host = g_strndup(target, (gsize)(colon - target));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--target %s: %s", target, gai_strerror(rc));
        return FALSE;
    }
    memcpy(&l->addr, res->ai_addr, res->ai_addrlen);
    l->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return TRUE;
}

/* The devices: the first `ndev` of the directory (0: as many dev<i>.pem as there are from dev0), each with the
 * Inform its DeviceId makes. */
static gboolean load_devices(Load *l, const char *dir, guint ndev, GError **error)
{
    if (ndev == 0) {
        for (;; ndev++) {
            g_autofree char *name = g_strdup_printf("%s/dev%u.pem", dir, ndev);
            if (!g_file_test(name, G_FILE_TEST_EXISTS))
                break;
        }
        if (ndev == 0) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s has no dev0.pem (hnbsim pki --out DIR --hnb N)", dir);
            return FALSE;
        }
    }
    l->ndev = ndev;
    l->creds = g_new0(const HnbPkiCred *, ndev);
    l->informs = g_new0(char *, ndev);
    l->sessions = g_new0(SSL_SESSION *, ndev);
    for (guint i = 0; i < ndev; i++) {
        if (!(l->creds[i] = hnb_pki_device(l->pki, i, error)))
            return FALSE;
        char oui[7], serial[11];
        hnb_pki_device_id(l->pki, i, oui, serial);
        g_autofree char *body = g_strdup_printf(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">acs-load-%u"
            "</cwmp:ID></soap:Header><soap:Body><cwmp:Inform><DeviceId><Manufacturer>hnbsim</Manufacturer>"
            "<OUI>%s</OUI><ProductClass>HNB</ProductClass><SerialNumber>%s</SerialNumber></DeviceId>"
            "<Event><EventStruct><EventCode>2 PERIODIC</EventCode><CommandKey></CommandKey></EventStruct></Event>"
            "<MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount></cwmp:Inform></soap:Body></soap:Envelope>",
            i, oui, serial);
        l->informs[i] = g_strdup_printf("POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
                                        "SOAPAction: \"\"\r\nContent-Length: %zu\r\n\r\n%s",
                                        strlen(body), body);
    }
    return TRUE;
}

/* N connections need N descriptors and a few more: raise the soft limit to the hard one if needed. */
static gboolean raise_fd_limit(guint concurrency, GError **error)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)concurrency + FD_SPARE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "getrlimit: %s", g_strerror(errno));
        return FALSE;
    }
    if (rl.rlim_cur >= want)
        return TRUE;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "--concurrency %u needs %lu file descriptors, the hard limit is %lu (ulimit -Hn)", concurrency,
                    (unsigned long)want, (unsigned long)rl.rlim_max);
        return FALSE;
    }
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "setrlimit: %s", g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of the sorted array, 0 when empty. */
static double quantile(const GArray *a, double q)
{
    if (a->len == 0)
        return 0;
    guint k = (guint)(q * a->len + 0.999999);
    k = CLAMP(k, 1, a->len);
    return g_array_index(a, double, k - 1);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static int fail_usage(const char *msg)
{
    fprintf(stderr, "acs-load: %s (try --help)\n", msg);
    return 2;
}

int main(int argc, char **argv)
{
    char *target = NULL, *pki_dir = NULL, *mode = NULL, *host = NULL;
    gint concurrency = 1, devices = 0;
    double duration = 0, timeout = 30, ramp = 0;
    gint64 count = 0;
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &target, "the server", "HOST:PORT"},
        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_dir, "a `hnbsim pki --out` directory", "DIR"},
        {"mode", 0, 0, G_OPTION_ARG_STRING, &mode, "full (default), resumed or session", "MODE"},
        {"concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency, "connections at once (default 1)", "N"},
        {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "start connections for S seconds", "S"},
        {"count", 0, 0, G_OPTION_ARG_INT64, &count, "make exactly N connections", "N"},
        {"devices", 0, 0, G_OPTION_ARG_INT, &devices, "cycle through the first N devices (default: all dev<i>.pem)",
         "N"},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "seconds a connection may take (default 30)", "S"},
        {"host", 0, 0, G_OPTION_ARG_STRING, &host, "the H(e)MS name to check (default: the PKI's hems_fqdn)", "NAME"},
        {"ramp", 0, 0, G_OPTION_ARG_DOUBLE, &ramp, "start the N slots evenly over S seconds (default 0: at once)",
         "S"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *oc = g_option_context_new("- concurrent TLS clients (HNBs) against an H(e)MS");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &error)) {
        fprintf(stderr, "acs-load: %s\n", error->message);
        return 2;
    }
    g_option_context_free(oc);
    if (argc > 1)
        return fail_usage("unexpected argument");
    if (!target || !pki_dir)
        return fail_usage("--target and --pki are required");
    if (concurrency < 1 || concurrency > 1000000 || devices < 0)
        return fail_usage("--concurrency must be >= 1 and --devices >= 0");
    if ((duration > 0) == (count > 0))
        return fail_usage("give one of --duration S (> 0) or --count N (> 0)");
    if (!(timeout > 0) || !(ramp >= 0))
        return fail_usage("--timeout must be > 0 and --ramp >= 0");

    Load l = {.timeout = timeout, .count = count, .mode = MODE_FULL};
    if (mode && strcmp(mode, "resumed") == 0)
        l.mode = MODE_RESUMED;
    else if (mode && strcmp(mode, "session") == 0)
        l.mode = MODE_SESSION;
    else if (mode && strcmp(mode, "full") != 0)
        return fail_usage("--mode must be full, resumed or session");
    signal(SIGPIPE, SIG_IGN); /* a server closing first makes write fail with EPIPE, not kill us */

    if (!raise_fd_limit((guint)concurrency, &error) || !parse_target(&l, target, &error) ||
        !(l.pki = hnb_pki_open_export(pki_dir, &error)) || !load_devices(&l, pki_dir, (guint)devices, &error)) {
        fprintf(stderr, "acs-load: %s\n", error->message);
        return 2;
    }
    /* hnb_tls_client_setup checks no name when given none: name the PKI's H(e)MS unless --host says otherwise */
    l.host = host ? host : hnb_pki_params(l.pki)->hems_fqdn;
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    /* only resumed mode lets the context take tickets; session IDs are offered by hand (l.sessions) */
    cfg.resumption = l.mode == MODE_RESUMED ? HNB_TLS_RESUME_IDS : HNB_TLS_RESUME_NONE;
    l.ctx = hnb_tls_client_ctx_new(&cfg, l.pki, NULL, &error);
    hnb_tls_config_clear(&cfg);
    if (!l.ctx) {
        fprintf(stderr, "acs-load: %s\n", error->message);
        return 2;
    }
    l.fails = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    l.lat_hs = g_array_new(FALSE, FALSE, sizeof(double));
    l.lat_done = g_array_new(FALSE, FALSE, sizeof(double));
    l.http.on_header_field = on_header_field;
    l.http.on_header_value = on_header_value;
    l.http.on_body = on_body;
    l.http.on_message_complete = on_message_complete;
    l.loop = ev_default_loop(EVFLAG_AUTO);

    Client *clients = g_new0(Client, (gsize)concurrency);
    l.clients = clients;
    l.nclients = (guint)concurrency;
    double cpu0 = cpu_seconds();
    gint64 t_start = g_get_monotonic_time();
    if (duration > 0) {
        l.deadline = t_start + (gint64)(duration * 1e6);
        ev_timer_init(&l.end, on_end, duration, 0);
        l.end.data = &l;
        ev_timer_start(l.loop, &l.end);
    }
    l.active = (guint)concurrency;
    for (gint i = 0; i < concurrency; i++) {
        Client *c = &clients[i];
        c->load = &l;
        c->fd = -1;
        c->body = g_string_sized_new(BODY_KEEP);
        c->field = g_string_new(NULL);
        c->cookie = g_string_new(NULL);
        ev_init(&c->io, on_io);
        c->io.data = c;
        ev_init(&c->timer, on_timer);
        c->timer.data = c;
        /* every slot starts from the loop; with --ramp spread over its first R seconds, so that a thousand SYNs do
         * not overflow the server's accept queue at once (dropped SYNs come back after 1, 3, 7 ... s) */
        ev_timer_set(&c->timer, ramp * i / concurrency, 0);
        ev_timer_start(l.loop, &c->timer);
    }
    ev_run(l.loop, 0);
    ev_timer_stop(l.loop, &l.end);
    double elapsed = (double)(g_get_monotonic_time() - t_start) / 1e6, cpu = cpu_seconds() - cpu0;

    g_array_sort(l.lat_hs, cmp_double);
    g_array_sort(l.lat_done, cmp_double);
    GString *why = g_string_new(NULL);
    GList *keys = g_list_sort(g_hash_table_get_keys(l.fails), (GCompareFunc)strcmp);
    for (GList *k = keys; k; k = k->next)
        g_string_append_printf(why, "%s%s:%d", why->len ? "," : "", (char *)k->data,
                               GPOINTER_TO_INT(g_hash_table_lookup(l.fails, k->data)));
    g_list_free(keys);
    static const char *const mode_names[] = {"full", "resumed", "session"};
    printf("mode=%s concurrency=%d completed=%" G_GINT64_FORMAT " failed=%" G_GINT64_FORMAT " failed_by=%s"
           " resumed=%" G_GINT64_FORMAT " cancelled=%" G_GINT64_FORMAT " elapsed_s=%.3f rate_per_s=%.1f hs_p50_ms=%.2f hs_p95_ms=%.2f"
           " hs_p99_ms=%.2f done_p50_ms=%.2f done_p95_ms=%.2f done_p99_ms=%.2f cpu_s=%.3f\n",
           mode_names[l.mode], concurrency, l.completed, l.failed, why->len ? why->str : "-", l.resumed, l.cancelled,
           elapsed,
           elapsed > 0 ? (double)l.completed / elapsed : 0.0, quantile(l.lat_hs, 0.50), quantile(l.lat_hs, 0.95),
           quantile(l.lat_hs, 0.99), quantile(l.lat_done, 0.50), quantile(l.lat_done, 0.95),
           quantile(l.lat_done, 0.99), cpu);
    fflush(stdout);
    int rc = l.failed ? 1 : 0;

    g_string_free(why, TRUE);
    for (gint i = 0; i < concurrency; i++) {
        g_string_free(clients[i].body, TRUE);
        g_string_free(clients[i].field, TRUE);
        g_string_free(clients[i].cookie, TRUE);
        g_free(clients[i].empty_post);
    }
    g_free(clients);
    for (guint i = 0; i < l.ndev; i++) {
        g_free(l.informs[i]);
        SSL_SESSION_free(l.sessions[i]);
    }
    g_free(l.informs);
    g_free(l.sessions);
    g_free((gpointer)l.creds);
    g_array_free(l.lat_hs, TRUE);
    g_array_free(l.lat_done, TRUE);
    g_hash_table_destroy(l.fails);
    SSL_CTX_free(l.ctx);
    hnb_pki_free(l.pki);
    ev_loop_destroy(l.loop);
    g_free(target);
    g_free(pki_dir);
    g_free(mode);
    g_free(host);
    return rc;
}
