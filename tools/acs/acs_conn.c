/* tools/acs/acs_conn.c — a connection's bookkeeping for `hnbsim acs` (see acs_loop_private.h): the CPU it costs,
 * its one log line and outcome, and its end (what it held given back, its counts).  Apart from the state machine
 * (acs_loop.c) because every part of the loop charges, logs and ends connections, and none of it moves a byte.
 */
#include "tools/acs/acs_loop_private.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* ---- CPU accounting ----------------------------------------------------------------------------------------------
 * A connection's cost is the worker thread's CPU clock (CLOCK_THREAD_CPUTIME_ID: this thread only, not the other
 * workers nor the time the thread waits) from the start of each callback that works for it to its end, or to its
 * close; the share spent while it is in ST_HANDSHAKE is the handshake's.  Per thread and per callback because the
 * loop interleaves its connections: the process's clock, or the wall clock between accept and close, would charge a
 * connection for its neighbours' work and for the network's round trips.  A callback that closes another connection
 * (make_room) charges that work to its own. */

gint64 thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0; /* Linux has the clock; were it missing, costs would read 0, never garbage */
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A callback starts working for `c`. */
void cpu_enter(Server *s, Conn *c)
{
    s->cpu_conn = c;
    s->cpu_mark = thread_cpu_ns();
}

/* The CPU since the last charge to the connection being worked for, in the phase it is in now: called before the
 * state leaves ST_HANDSHAKE, so that the phases split exactly there. */
void cpu_charge(Server *s)
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
void cpu_leave(Server *s)
{
    cpu_charge(s);
    s->cpu_conn = NULL;
}

/* ---- logging ---------------------------------------------------------------------------------------------------- */

void conn_log(const Conn *c)
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
void conn_set_outcome(Conn *c, const char *outcome, const char *reason)
{
    c->outcome = outcome;
    g_free(c->reason);
    c->reason = reason ? g_utf8_make_valid(reason, -1) : NULL;
    for (char *p = c->reason; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* ---- connection lifetime ---------------------------------------------------------------------------------------- */

void conn_free(Conn *c)
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
void conn_count_end(Conn *c)
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
