/* tools/acs/acs_listen.c — the listening sockets of `hnbsim acs` (see acs_loop_private.h): HOST:PORT parsed and
 * bound (--listen, SO_REUSEPORT for the workers; --metrics, loopback only), and the descriptor budget that caps
 * --max-connections.  Socket setup done once before the loops run, apart from what they do.
 */
#include "tools/acs/acs_loop_private.h"
#include "sim/error.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- listening sockets ------------------------------------------------------------------------------------------ */

/* Is the address in 127.0.0.0/8 or ::1? */
static gboolean is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return FALSE;
}

/* Bind HOST:PORT ([v6]:PORT too); port 0 picks a free one.  Returns the listening fd or -1 with error set.
 * `option` names the option in messages; loopback_only refuses any address that is not 127.0.0.0/8 or ::1. */
int listen_on(const char *option, const char *spec, gboolean loopback_only, gboolean reuseport, int backlog,
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
gint64 connections_that_fit(gint64 want)
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
