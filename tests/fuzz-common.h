/* tests/fuzz-common.h — what every fuzz target (tests/fuzz-*.c) does once before its first input. */
#ifndef HNB_TESTS_FUZZ_COMMON_H
#define HNB_TESTS_FUZZ_COMMON_H

#include <glib.h>
#include <stdlib.h>

static GLogWriterOutput hnb_fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer user_data)
{
    GLogWriterOutput r = g_log_writer_standard_streams(level, fields, n, user_data);
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        abort(); /* a g_return_if_fail or a GLib warning tripping on fuzz input is a bug too */
    return r;
}

/* GLib criticals and warnings abort, so the fuzzer reports them like a crash. */
static inline void hnb_fuzz_abort_on_warnings(void)
{
    g_log_set_writer_func(hnb_fuzz_log_writer, NULL, NULL);
}

#endif
