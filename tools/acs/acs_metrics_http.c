/* tools/acs/acs_metrics_http.c — the metrics listener of `hnbsim acs` (--metrics, loopback only; see
 * acs_loop_private.h): plain HTTP, one request a connection, GET or HEAD /metrics answered with the page of
 * acs_metrics.c, anything else 404, then closed.  On the first worker's loop, without TLS: apart from the TLS
 * connections' state machine because it shares nothing with it but the counters and the HTTP parser.
 */
#include "tools/acs/acs_loop_private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the metrics listener (plain HTTP on loopback) -------------------------------------------------------------- */

enum { METRICS_TIMEOUT_S = 5 }; /* a metrics request not read and answered by then is dropped */
static const HnbAcsHttpLimits metrics_http_limits = {.max_header = 8 * 1024, .max_headers = 32, .max_body = 4096};

/* A plain-HTTP connection to the metrics listener: one request, one answer, closed. */
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

void metrics_conn_free(MetricsConn *m)
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
        hnb_acs_metrics_render_limits(m->srv->sh->nworkers, m->srv->max_sessions, m->srv->max_connections, page);
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

void on_metrics_accept(struct ev_loop *loop, ev_io *w, int revents)
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
