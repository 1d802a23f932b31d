/* tests/child-common.c — see child-common.h. */
#include "tests/child-common.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
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
