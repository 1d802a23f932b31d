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
 * The connections are `hnbsim drive`'s (tools/drive/client.h), whose TLS side is the core's (crypto/tls.h: the
 * §8.3.4 profile's client context, the device credential and the name check), so what is measured is the profile the
 * simulation and `hnbsim acs` use, and the state machine the drive runs.  The responses are parsed by http-parser, as
 * the server parses the requests, and their SOAP by the server's own reader.
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
#include "tools/drive/client.h"

#include <errno.h>
#include <ev.h>
#include <glib.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum { MODE_FULL, MODE_RESUMED, MODE_SESSION } Mode;

#define FD_SPARE 64         /* descriptors besides the connections: stdio, the loop, the PKI files */
#define RETRY_AFTER_FAIL 0.01 /* a slot waits this long after a failure, so a refusing server is not spun on */

typedef struct Load Load;

/* A slot: one connection at a time, the next started from its timer. */
typedef struct {
    Load *load;
    HnbDriveSession *session; /* the connection under way; NULL when idle */
    ev_timer timer;           /* when to start the next one */
    guint dev;                /* the device of the connection under way */
} Client;

struct Load {
    struct ev_loop *loop;
    HnbDriveClient *client;   /* tools/drive/client.h: connect, handshake, the CWMP session */
    Mode mode;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    guint ndev, next_dev;
    SSL_SESSION **sessions; /* resumed mode, per device: the session to offer */
    gint64 count, started, completed, failed, resumed, cancelled;
    gint64 deadline; /* monotonic µs; 0 with --count */
    guint active;
    GHashTable *fails; /* reason -> count (GINT_TO_POINTER) */
    Client *clients;
    guint nclients;
    ev_timer end; /* --duration: the deadline */
    GArray *lat_hs, *lat_done; /* double ms */
};

static void client_start(Client *c);

/* ---- bookkeeping ------------------------------------------------------------------------------------------------ */

static gboolean more_work(const Load *l)
{
    if (l->deadline)
        return g_get_monotonic_time() < l->deadline;
    return l->started < l->count;
}

static void retire(Load *l)
{
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
        if (c->session && hnb_drive_session_phase(c->session) == HNB_DRIVE_PHASE_CONNECT) {
            hnb_drive_session_cancel(c->session);
            c->session = NULL;
            l->cancelled++;
            retire(l);
        }
    }
}

/* The failure reason this tool has always printed for a result (see the header comment); NULL when it completed. */
static const char *fail_reason(const HnbDriveResult *r, char *buf, size_t len)
{
    switch (r->outcome) {
    case HNB_DRIVE_OK:
        return NULL;
    case HNB_DRIVE_REFUSED_SYN:
    case HNB_DRIVE_REFUSED_RST:
        return "connect";
    case HNB_DRIVE_ERROR:
        if (r->sys_errno == 0) { /* a credential OpenSSL will not take, out of memory: the same for every connection */
            fprintf(stderr, "acs-load: TLS client: %s\n", r->detail);
            exit(2);
        }
        return g_str_has_prefix(r->detail, "socket") ? "socket" : "connect";
    case HNB_DRIVE_TIMEOUT:
        /* the phase says who was slow: connect_timeout is a SYN never answered (a full accept queue drops SYNs; the
         * kernel retries them after 1, 3, 7, 15, 31 s), handshake_timeout a server that never finished its side */
        return r->phase == HNB_DRIVE_PHASE_CONNECT     ? "connect_timeout"
               : r->phase == HNB_DRIVE_PHASE_HANDSHAKE ? "handshake_timeout"
                                                       : "timeout";
    case HNB_DRIVE_REFUSED_CLOSED:
        return r->phase == HNB_DRIVE_PHASE_HANDSHAKE ? "closed_during_handshake" : "closed";
    case HNB_DRIVE_CUT:
        return "closed";
    case HNB_DRIVE_HS_FAILED:
        return hnb_tls_reason_name(r->hs_reason);
    case HNB_DRIVE_REFUSED_OVERLOAD:
    case HNB_DRIVE_BAD_RESPONSE:
        if (r->http_status && r->http_status != 200 && r->http_status != 204) {
            snprintf(buf, len, "http_%u", r->http_status);
            return buf;
        }
        return "bad_response";
    case HNB_DRIVE_OUTCOME_COUNT:
        break;
    }
    return "bad_response";
}

/* A connection ended.  The slot starts the next one from the loop (never from here, so a server refusing at once
 * cannot recurse), or retires when there is no more work. */
static void on_done(HnbDriveSession *session, HnbDriveResult *r, void *user_data)
{
    (void)session;
    Client *c = user_data;
    Load *l = c->load;
    c->session = NULL;
    if (r->resumed)
        l->resumed++;
    if (l->mode == MODE_RESUMED && r->session) {
        /* the latest session of this device is the one its next connection offers */
        SSL_SESSION_free(l->sessions[c->dev]);
        l->sessions[c->dev] = g_steal_pointer(&r->session);
    }
    char why[32];
    const char *reason = fail_reason(r, why, sizeof why);
    if (reason) {
        l->failed++;
        gpointer n = g_hash_table_lookup(l->fails, reason);
        g_hash_table_replace(l->fails, g_strdup(reason), GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
    } else {
        l->completed++;
        double hs = (double)(r->t_handshake - r->t_start) / 1e6, done = (double)(r->t_end - r->t_start) / 1e6;
        g_array_append_val(l->lat_hs, hs);
        g_array_append_val(l->lat_done, done);
    }
    if (more_work(l)) {
        ev_timer_set(&c->timer, reason ? RETRY_AFTER_FAIL : 0, 0);
        ev_timer_start(l->loop, &c->timer);
    } else
        retire(l);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    client_start(w->data);
}

/* The slot's next connection: the next device, as the mode says. */
static void client_start(Client *c)
{
    Load *l = c->load;
    if (!more_work(l)) {
        retire(l);
        return;
    }
    l->started++;
    HnbDriveSessionSpec spec = {.device = l->next_dev};
    c->dev = l->next_dev;
    l->next_dev = (l->next_dev + 1) % l->ndev;
    spec.mode = l->mode == MODE_SESSION ? HNB_DRIVE_CWMP : l->mode == MODE_RESUMED ? HNB_DRIVE_HANDSHAKE_WAIT
                                                                                    : HNB_DRIVE_HANDSHAKE;
    if (l->mode == MODE_RESUMED)
        spec.session = l->sessions[spec.device];
    c->session = hnb_drive_session_start(l->client, &spec, on_done, c);
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

/* The devices: the first `ndev` of the directory (0: as many dev<i>.pem as there are from dev0), each of which must
 * be there (their files are read when a connection first needs them). */
static gboolean count_devices(Load *l, const char *dir, guint ndev, GError **error)
{
    for (guint i = 0; ndev == 0 || i < ndev; i++) {
        g_autofree char *name = g_strdup_printf("%s/dev%u.pem", dir, i);
        if (g_file_test(name, G_FILE_TEST_EXISTS))
            continue;
        if (ndev == 0 && i > 0) {
            ndev = i;
            break;
        }
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: no such file (hnbsim pki --out DIR --hnb N)", name);
        return FALSE;
    }
    l->ndev = ndev;
    l->sessions = g_new0(SSL_SESSION *, ndev);
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

    Load l = {.count = count, .mode = MODE_FULL};
    if (mode && strcmp(mode, "resumed") == 0)
        l.mode = MODE_RESUMED;
    else if (mode && strcmp(mode, "session") == 0)
        l.mode = MODE_SESSION;
    else if (mode && strcmp(mode, "full") != 0)
        return fail_usage("--mode must be full, resumed or session");
    signal(SIGPIPE, SIG_IGN); /* a server closing first makes write fail with EPIPE, not kill us */

    if (!raise_fd_limit((guint)concurrency, &error) || !parse_target(&l, target, &error) ||
        !count_devices(&l, pki_dir, (guint)devices, &error)) {
        fprintf(stderr, "acs-load: %s\n", error->message);
        return 2;
    }
    l.loop = ev_default_loop(EVFLAG_AUTO);
    /* the H(e)MS name checked is the PKI's hems_fqdn unless --host says otherwise; only resumed mode lets the context
     * take tickets (session IDs are offered by hand, l.sessions); every device's credential stays cached */
    HnbDriveClientConfig cc = {.addr_len = l.addr_len, .host = host, .pki_dir = pki_dir, .timeout = timeout,
                               .resumption = l.mode == MODE_RESUMED ? HNB_TLS_RESUME_IDS : HNB_TLS_RESUME_NONE,
                               .cred_cache = l.ndev};
    memcpy(&cc.addr, &l.addr, l.addr_len);
    if (!(l.client = hnb_drive_client_new(l.loop, &cc, &error))) {
        fprintf(stderr, "acs-load: %s\n", error->message);
        return 2;
    }
    l.fails = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    l.lat_hs = g_array_new(FALSE, FALSE, sizeof(double));
    l.lat_done = g_array_new(FALSE, FALSE, sizeof(double));

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
    for (gint i = 0; i < concurrency; i++)
        ev_timer_stop(l.loop, &clients[i].timer);
    hnb_drive_client_free(l.client); /* cancels what --duration's deadline cut (nothing is left otherwise) */
    g_free(clients);
    for (guint i = 0; i < l.ndev; i++)
        SSL_SESSION_free(l.sessions[i]);
    g_free(l.sessions);
    g_array_free(l.lat_hs, TRUE);
    g_array_free(l.lat_done, TRUE);
    g_hash_table_destroy(l.fails);
    ev_loop_destroy(l.loop);
    g_free(target);
    g_free(pki_dir);
    g_free(mode);
    g_free(host);
    return rc;
}
