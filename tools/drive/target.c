/* tools/drive/target.c — the drive's target checks and its /metrics scrape (target.h). */
#include "tools/drive/target.h"
#include "sim/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define SCRAPE_MAX (4 << 20)
#define SCRAPE_TIMEOUT_S 5

gboolean hnb_drive_addr_local(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127 || (a >> 16) == 0xA9FE; /* 127.0.0.0/8, 169.254.0.0/16 */
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_LINKLOCAL(a))
            return TRUE;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127; /* ::ffff:127.0.0.0/104 */
    }
    return FALSE;
}

static gboolean bad(GError **error, const char *option, const char *url, const char *problem)
{
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s %s: %s", option, url, problem);
    return FALSE;
}

static char *addr_text(const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
        port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
        return g_strdup_printf("%s:%d", host, port);
    }
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
    port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return g_strdup_printf("[%s]:%d", host, port);
}

gboolean hnb_drive_target_parse(HnbDriveTarget *t, const char *option, const char *url, gboolean owned,
                                GError **error)
{
    memset(t, 0, sizeof *t);
    g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (!u)
        return bad(error, option, url, "not a URL (https://HOST:PORT)");
    if (g_strcmp0(g_uri_get_scheme(u), "https") != 0)
        return bad(error, option, url, "only https:// targets: the HNBs speak TLS per TS 33.320 clause 8.3.4");
    const char *host = g_uri_get_host(u), *path = g_uri_get_path(u);
    if (!host || !*host)
        return bad(error, option, url, "no host");
    if (g_uri_get_port(u) <= 0)
        return bad(error, option, url, "no port (https://HOST:PORT)");
    if (path && *path && strcmp(path, "/") != 0)
        return bad(error, option, url, "a path is not allowed: the CWMP endpoint is the server's root");
    char port[16];
    g_snprintf(port, sizeof port, "%d", g_uri_get_port(u));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return bad(error, option, url, gai_strerror(rc));
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        g_autofree char *text = addr_text(a->ai_addr);
        gboolean any = (a->ai_family == AF_INET &&
                        ((struct sockaddr_in *)a->ai_addr)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
                       (a->ai_family == AF_INET6 &&
                        IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr));
        if (any) {
            freeaddrinfo(res);
            return bad(error, option, url, "the unspecified address (0.0.0.0, ::) is not a target");
        }
        if (!owned && !hnb_drive_addr_local(a->ai_addr)) {
            g_autofree char *msg = g_strdup_printf(
                "resolves to %s, which is neither loopback nor link-local: a drive is a load test; give "
                "--i-own-this-target only for a server you are allowed to load", text);
            freeaddrinfo(res);
            return bad(error, option, url, msg);
        }
    }
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addr_len = res->ai_addrlen;
    t->addr_text = addr_text(res->ai_addr);
    t->host = g_strdup(host);
    t->port = g_uri_get_port(u);
    freeaddrinfo(res);
    return TRUE;
}

void hnb_drive_target_clear(HnbDriveTarget *t)
{
    g_free(t->host);
    g_free(t->addr_text);
    memset(t, 0, sizeof *t);
}

/* ---- the /metrics scrape ----------------------------------------------------------------------------------------- */

static GHashTable *parse_page(const char *body)
{
    GHashTable *page = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l == '#' || **l == '\0')
            continue;
        char *sp = strrchr(*l, ' ');
        if (!sp)
            continue;
        char *end;
        double v = g_ascii_strtod(sp + 1, &end);
        if (end == sp + 1)
            continue;
        double *pv = g_new(double, 1);
        *pv = v;
        g_hash_table_replace(page, g_strndup(*l, (gsize)(sp - *l)), pv);
    }
    return page;
}

GHashTable *hnb_drive_scrape(const char *url, GError **error)
{
    HnbDriveTarget t;
    g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (!u || g_strcmp0(g_uri_get_scheme(u), "http") != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--metrics %s: not an http://HOST:PORT/PATH URL", url);
        return NULL;
    }
    g_autofree char *as_https = g_strdup_printf("https://%s:%d", g_uri_get_host(u), g_uri_get_port(u));
    if (!hnb_drive_target_parse(&t, "--metrics", as_https, FALSE, error))
        return NULL;
    int fd = socket(t.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = SCRAPE_TIMEOUT_S};
    gboolean ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
                  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 &&
                  connect(fd, (struct sockaddr *)&t.addr, t.addr_len) == 0;
    const char *path = g_uri_get_path(u) && *g_uri_get_path(u) ? g_uri_get_path(u) : "/metrics";
    g_autofree char *req = g_strdup_printf("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, t.host);
    ok = ok && write(fd, req, strlen(req)) == (ssize_t)strlen(req);
    GString *resp = g_string_new(NULL);
    char buf[16384];
    ssize_t n;
    while (ok && (n = read(fd, buf, sizeof buf)) > 0 && resp->len < SCRAPE_MAX)
        g_string_append_len(resp, buf, n);
    int e = errno;
    if (fd >= 0)
        close(fd);
    hnb_drive_target_clear(&t);
    const char *body = strstr(resp->str, "\r\n\r\n");
    if (!ok || !g_str_has_prefix(resp->str, "HTTP/1.") || !strstr(resp->str, " 200 ") || !body) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "--metrics %s: no metrics page (%s)", url,
                    ok ? "not an HTTP 200 response" : g_strerror(e));
        g_string_free(resp, TRUE);
        return NULL;
    }
    GHashTable *page = parse_page(body + 4);
    g_string_free(resp, TRUE);
    return page;
}

double hnb_drive_sample(GHashTable *page, const char *name)
{
    const double *v = page ? g_hash_table_lookup(page, name) : NULL;
    return v ? *v : 0;
}
