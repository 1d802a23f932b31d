/* tools/drive/target.h — where `hnbsim drive` may connect, and what a real H(e)MS's /metrics page says.
 *
 * Safety (docs/DESIGN.md, issue 15 part 7): a drive is a load test, so by default it only goes to the machine it runs
 * on or to a directly attached lab network: every address the target's name resolves to must be loopback
 * (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) or link-local (169.254.0.0/16, fe80::/10), unless the operator says
 * --i-own-this-target.  The address connected to is the one checked (no second resolution: DNS rebinding).
 */
#ifndef HNB_DRIVE_TARGET_H
#define HNB_DRIVE_TARGET_H

#include <glib.h>
#include <sys/socket.h>

typedef struct {
    char *host;                   /* as given in the URL (brackets of an IPv6 literal removed) */
    int port;
    struct sockaddr_storage addr; /* the first resolved address: what is connected to */
    socklen_t addr_len;
    char *addr_text;              /* that address as text, "127.0.0.1:7547" / "[::1]:7547" */
} HnbDriveTarget;

/* TRUE for a loopback or link-local address (the list above); 0.0.0.0 and :: are neither. */
gboolean hnb_drive_addr_local(const struct sockaddr *sa);

/* Parse `url` (https://HOST:PORT, a path of "/" or none), resolve HOST, check every address unless `owned`.
 * FALSE with an HNB_ERROR_INPUT error naming the option and the problem. */
gboolean hnb_drive_target_parse(HnbDriveTarget *t, const char *option, const char *url, gboolean owned,
                                GError **error);
void hnb_drive_target_clear(HnbDriveTarget *t);

/* GET http://127.0.0.1:P/metrics (a loopback URL, plain HTTP, at most 4 MiB, 5 s): the page's samples as a table of
 * "name{labels}" → value (gdouble*).  NULL with an error otherwise. */
GHashTable *hnb_drive_scrape(const char *url, GError **error);
/* A sample of a scrape (0 when absent). */
double hnb_drive_sample(GHashTable *page, const char *name);

#endif
