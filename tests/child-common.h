/* tests/child-common.h — the servers the tests start as child processes: reading their ready banner from a pipe and
 * waiting for them to end, each with a deadline so that a broken build fails a test instead of hanging it; `hnbsim
 * acs` and an s_client holding a session open, shared by tests/test-tls-peers.c and tests/test-drive-client.c. */
#ifndef HNB_TEST_CHILD_COMMON_H
#define HNB_TEST_CHILD_COMMON_H

#include <glib.h>

/* Read fd until `want` and the end of its line have arrived (so a port number after it is whole), EOF, or
 * timeout_ms; everything read (newly allocated). */
char *child_read_until(int fd, const char *want, int timeout_ms);

/* Wait up to timeout_ms for child `pid` to exit by itself; its exit status (-1: killed by a signal, or by SIGKILL
 * here when the time ran out).  The pid is reaped and closed either way. */
int child_wait(GPid pid, int timeout_ms);

#define CHILD_WAIT_MS 10000 /* for a server to come up, a log line or an output to appear */

/* A server started in the background: its stdout read up to its ready line, its stderr to a log file. */
typedef struct {
    GPid pid;
    int out_fd;        /* its stdout, for the "ready" line */
    char *log;         /* its stderr goes to this file */
    char *banner;      /* what it printed on stdout up to its ready line */
    char *port;
    guint connections; /* connections made to it so far (hnbsim acs logs one line each) */
} ChildServer;

/* Start argv in `cwd` in the background, stderr to `log`; wait (CHILD_WAIT_MS) for `ready` on its stdout.  It gets
 * SIGTERM if this process dies first (PR_SET_PDEATHSIG): a failed assertion aborts without teardown, and must not
 * leave servers behind.  Likewise child_held_start's s_client. */
void child_server_start(ChildServer *s, const char *cwd, const char *const *argv, const char *ready, const char *log);
/* `$HNBSIM acs --listen 127.0.0.1:0 --pki PKI OPTS...` in `cwd`, stderr to `log`; s->port from its first line. */
void child_acs_start(ChildServer *s, const char *cwd, const char *pki, const char *const *opts, const char *log);
/* Wait up to timeout_ms for the server to exit by itself; its exit status (-1: it had to be killed).  *s cleared. */
int child_server_reap(ChildServer *s, int timeout_ms);
/* SIGTERM, wait (bounded), SIGKILL if it lingers; its exit status or -1 if it had to be killed (or never ran). */
int child_server_stop(ChildServer *s);
/* Lines of the server's log (g_strfreev them); waits until it has at least n lines, or CHILD_WAIT_MS. */
char **child_log_lines(const ChildServer *s, guint n);
/* The URL of an `hnbsim acs --metrics` page, from its banner's "metrics on URL" line (asserts it is there). */
char *child_acs_metrics_url(const ChildServer *s);
/* The log line of connection number n (from 1) to an `hnbsim acs` (waits for it; asserts it came). */
char *child_acs_log_line(const ChildServer *s, guint n);

/* An `openssl s_client` whose stdin is a pipe: what it sends is written when the test says, so its session stays
 * open meanwhile.  Its output goes to a file. */
typedef struct {
    GPid pid;
    int in_fd;
    char *out_path;
} ChildHeld;

/* s_client (under `timeout`) in `cwd` to 127.0.0.1:port with the root and device certificate, sending `first`. */
void child_held_start(ChildHeld *h, const char *cwd, const char *port, const char *root, const char *cert,
                      const char *key, const char *first);
void child_held_send(ChildHeld *h, const char *text);
/* The text of file `path` once it contains `want` (bounded wait; asserts it came). */
char *child_file_wait(const char *path, const char *want);
/* Its output once it shows `want` (bounded wait). */
char *child_held_wait(ChildHeld *h, const char *want);
/* Close its stdin and wait for it to end (the server closes the connection); its exit status, -1 if killed. */
int child_held_end(ChildHeld *h);

#endif
