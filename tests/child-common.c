/* tests/child-common.c — see child-common.h. */
#include "tests/child-common.h"

#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

char *child_read_until(int fd, const char *want, int timeout_ms)
{
    GString *got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * (gint64)1000;
    const char *at;
    while (!(at = strstr(got->str, want)) || !strchr(at, '\n')) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            break;
        char buf[512];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        g_string_append_len(got, buf, n);
    }
    return g_string_free(got, FALSE);
}

int child_wait(GPid pid, int timeout_ms)
{
    int status = 0, rc = -1;
    gint64 deadline = g_get_monotonic_time() + timeout_ms * (gint64)1000;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && g_get_monotonic_time() < deadline)
        g_usleep(10000);
    if (r == pid && WIFEXITED(status))
        rc = WEXITSTATUS(status);
    else if (r != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    g_spawn_close_pid(pid);
    return rc;
}

/* In the child before exec: SIGTERM when this test process dies, so that a failed assertion (an abort, no teardown)
 * does not leave servers running. */
static void die_with_parent(gpointer data)
{
    (void)data;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

void child_server_start(ChildServer *s, const char *cwd, const char *const *argv, const char *ready, const char *log)
{
    GPtrArray *a = g_ptr_array_new();
    g_ptr_array_add(a, "/bin/sh");
    g_ptr_array_add(a, "-c");
    g_ptr_array_add(a, "f=$1; shift; exec \"$@\" 2> \"$f\" < /dev/null");
    g_ptr_array_add(a, "sh");
    g_ptr_array_add(a, (gpointer)log);
    for (const char *const *p = argv; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    GError *error = NULL;
    memset(s, 0, sizeof *s);
    s->log = g_strdup(log);
    g_assert_true(g_spawn_async_with_pipes(cwd, (char **)a->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                                           NULL, &s->pid, NULL, &s->out_fd, NULL, &error));
    g_assert_no_error(error);
    g_ptr_array_free(a, TRUE);
    s->banner = child_read_until(s->out_fd, ready, CHILD_WAIT_MS);
    g_test_message("%s started: %s", argv[0], s->banner);
    g_assert_nonnull(strstr(s->banner, ready));
}

void child_acs_start(ChildServer *s, const char *cwd, const char *pki, const char *const *opts, const char *log)
{
    static const char ready[] = "listening on 127.0.0.1:";
    GPtrArray *a = g_ptr_array_new();
    const char *base[] = {g_getenv("HNBSIM"), "acs", "--listen", "127.0.0.1:0", "--pki", pki, NULL};
    for (const char *const *p = base; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    for (const char *const *p = opts; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    child_server_start(s, cwd, (const char *const *)a->pdata, ready, log);
    g_ptr_array_free(a, TRUE);
    const char *p = strstr(s->banner, ready) + strlen(ready);
    s->port = g_strndup(p, strspn(p, "0123456789"));
    g_assert_cmpuint(strlen(s->port), >, 0);
}

int child_server_reap(ChildServer *s, int timeout_ms)
{
    int rc = child_wait(s->pid, timeout_ms);
    close(s->out_fd);
    g_free(s->log);
    g_free(s->banner);
    g_free(s->port);
    memset(s, 0, sizeof *s);
    return rc;
}

int child_server_stop(ChildServer *s)
{
    if (!s->pid)
        return -1;
    kill(s->pid, SIGTERM);
    return child_server_reap(s, 5000);
}

char **child_log_lines(const ChildServer *s, guint n)
{
    gint64 deadline = g_get_monotonic_time() + CHILD_WAIT_MS * (gint64)1000;
    for (;;) {
        char *text = NULL;
        g_file_get_contents(s->log, &text, NULL, NULL);
        char **lines = g_strsplit(text ? text : "", "\n", -1);
        g_free(text);
        guint have = g_strv_length(lines);
        if (have > 0 && lines[have - 1][0] == '\0')
            have--; /* the text after the last newline */
        if (have >= n || g_get_monotonic_time() > deadline)
            return lines;
        g_strfreev(lines);
        g_usleep(20000);
    }
}

char *child_acs_metrics_url(const ChildServer *s)
{
    static const char tag[] = "metrics on ";
    const char *m = strstr(s->banner, tag);
    g_assert_nonnull(m);
    return g_strndup(m + strlen(tag), strcspn(m + strlen(tag), "\n"));
}

char *child_acs_log_line(const ChildServer *s, guint n)
{
    char **lines = child_log_lines(s, n);
    guint k = 0;
    char *found = NULL;
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "acs: peer=") && ++k == n)
            found = g_strdup(*l);
    g_strfreev(lines);
    g_assert_nonnull(found);
    return found;
}

void child_held_send(ChildHeld *h, const char *text)
{
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(h->in_fd, text + off, len - off);
        g_assert_cmpint(n, >, 0);
        off += (size_t)n;
    }
}

void child_held_start(ChildHeld *h, const char *cwd, const char *port, const char *root, const char *cert,
                      const char *key, const char *first)
{
    static int n;
    g_autofree char *connect = g_strdup_printf("127.0.0.1:%s", port);
    h->out_path = g_strdup_printf("%s/held-%d.out", cwd, ++n);
    const char *argv[] = {"/bin/sh", "-c", "f=$1; shift; exec timeout -k 5 30 \"$@\" > \"$f\" 2>&1", "sh",
                          h->out_path, "openssl", "s_client", "-connect", connect, "-CAfile", root, "-cert", cert,
                          "-key", key, "-ign_eof", NULL};
    GError *error = NULL;
    g_assert_true(g_spawn_async_with_pipes(cwd, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
                                           &h->pid, &h->in_fd, NULL, NULL, &error));
    g_assert_no_error(error);
    child_held_send(h, first);
}

char *child_file_wait(const char *path, const char *want)
{
    gint64 deadline = g_get_monotonic_time() + CHILD_WAIT_MS * (gint64)1000;
    for (;;) {
        char *text = NULL;
        g_file_get_contents(path, &text, NULL, NULL);
        if ((text && strstr(text, want)) || g_get_monotonic_time() > deadline) {
            g_assert_nonnull(text);
            g_assert_nonnull(strstr(text, want));
            return text;
        }
        g_free(text);
        g_usleep(20000);
    }
}

char *child_held_wait(ChildHeld *h, const char *want)
{
    return child_file_wait(h->out_path, want);
}

int child_held_end(ChildHeld *h)
{
    close(h->in_fd);
    g_free(h->out_path);
    return child_wait(h->pid, CHILD_WAIT_MS);
}
