/* tests/child-common.h — the servers the tests start as child processes: reading their ready banner from a pipe and
 * waiting for them to end, each with a deadline so that a broken build fails a test instead of hanging it. */
#ifndef HNB_TEST_CHILD_COMMON_H
#define HNB_TEST_CHILD_COMMON_H

#include <glib.h>

/* Read fd until `want` and the end of its line have arrived (so a port number after it is whole), EOF, or
 * timeout_ms; everything read (newly allocated). */
char *child_read_until(int fd, const char *want, int timeout_ms);

/* Wait up to timeout_ms for child `pid` to exit by itself; its exit status (-1: killed by a signal, or by SIGKILL
 * here when the time ran out).  The pid is reaped and closed either way. */
int child_wait(GPid pid, int timeout_ms);

#endif
