/* tools/acs/acs_park.c — sessions across connections for `hnbsim acs` (TR-069 §3.4.1; see acs_loop.h,
 * --session-linger): the server-wide table of the CWMP sessions whose connection the CPE cut, keyed by cookie, with
 * the certificate identity each belongs to.  A connection parks its session as it closes (conn_park), a new one takes
 * it up by its first POST's cookie (conn_resume), the first worker's timer ends the ones whose linger is over
 * (on_sweep).  Apart from the loop because it is shared by every worker (under Shared.lock) and outlives connections.
 */
#include "tools/acs/acs_loop_private.h"

#include <stdio.h>
#include <string.h>

/* ---- sessions across connections (TR-069 §3.4.1) ---------------------------------------------------------------- */

/* A CWMP session whose connection the CPE cut before the session ended, kept for the next connection that brings its
 * cookie (TR-069 §3.4.1: a session may span TCP connections).  It keeps its sessions_open slot (acs_loop.h). */
typedef struct {
    char *identity;         /* the certificate identity of the connection that owned it: only that one takes it up */
    HnbAcsCwmpSession cwmp; /* moved out of the connection; user_data NULL while no connection holds it */
    gint64 expires;         /* monotonic µs */
} Parked;

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
void parked_sweep(Shared *sh, gint64 now, const char *why, gboolean expired)
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

void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    Server *s = (Server *)((char *)w - offsetof(Server, sweep));
    parked_sweep(s->sh, g_get_monotonic_time(), "session_linger", TRUE);
}

/* Is the connection's session one to park?  An accepted Inform, not ended by an answer, and the peer went away (not
 * an ACS refusal, a deadline or a stop: those end the session). */
gboolean conn_parkable(const Conn *c)
{
    const Server *s = c->srv;
    return s->sh->parked && c->in_session && c->cwmp.informed && !c->cwmp.ended && c->cwmp.cookie_set &&
           c->identity && !s->stopping && !g_atomic_int_get(&s->sh->stopping) &&
           g_strcmp0(c->outcome, "closed") == 0;
}

/* Move the connection's session into the table, the first one parked giving way at the cap (bounded memory).  The
 * connection no longer holds a session: its end counts nothing, the session's will. */
void conn_park(Conn *c)
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

/* A new connection's first POST: does its cookie name a parked session?  Of the same certificate identity: the
 * connection takes it (its sessions_open slot too).  Of another: RESUME_FOREIGN, the session stays parked for its
 * owner.  Unknown or past its linger: RESUME_NONE, the POST opens a new session as any first POST does. */
Resume conn_resume(Conn *c, const char *cookie_header)
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
