/* crypto/tls_drive.c — one in-memory handshake: a client SSL and a server SSL joined by a BIO pair, both state
 * machines stepped alternately until both finish or one fails.  The first end that fails is the detecting side; its
 * own verify result and error queue give the reason (the other end only sees an alert).
 */
#include "crypto/tls_private.h"

#include <time.h>
#include <openssl/err.h>

uint64_t tls_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One end's step: TRUE while it is fine (done or waiting); FALSE on a fatal failure, with its first error in *err. */
static gboolean step(SSL *ssl, gboolean *done, unsigned long *err)
{
    if (*done)
        return TRUE;
    int r = SSL_do_handshake(ssl);
    if (r == 1) {
        *done = TRUE;
        return TRUE;
    }
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return TRUE;
    *err = ERR_get_error();
    ERR_clear_error();
    return FALSE;
}

/* A TLS 1.2 full handshake takes 4 flights; a handful of rounds more is a stuck handshake (a bug). */
#define MAX_ROUNDS 32

/* A client and a server SSL joined by a BIO pair, in connect and accept state.  FALSE (nothing to free) on failure. */
gboolean tls_pair_new(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client, SSL **server)
{
    BIO *cb = NULL, *sb = NULL;
    *client = SSL_new(cctx);
    *server = SSL_new(sctx);
    if (!*client || !*server || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
        SSL_free(*client);
        SSL_free(*server);
        *client = *server = NULL;
        return FALSE;
    }
    SSL_set_bio(*client, cb, cb);
    SSL_set_bio(*server, sb, sb);
    SSL_set_connect_state(*client);
    SSL_set_accept_state(*server);
    return TRUE;
}

/* Step both ends alternately until both finish or one fails; the first end that fails is the detecting side, and its
 * own verify result and error queue give the reason.  acs_cpu_ns: NULL, or where to add the server's CPU time. */
gboolean tls_drive(SSL *client, SSL *server, HnbTlsReason *reason, HnbTlsSide *side, char *detail, size_t n,
                   uint64_t *acs_cpu_ns)
{
    gboolean cdone = FALSE, sdone = FALSE;
    unsigned long cerr = 0, serr = 0;
    for (int round = 0; round < MAX_ROUNDS && !(cdone && sdone); round++) {
        if (!step(client, &cdone, &cerr)) {
            *reason = tls_classify(client, cerr, detail, n);
            *side = HNB_TLS_SIDE_HNB;
            return FALSE;
        }
        uint64_t t0 = sdone || !acs_cpu_ns ? 0 : tls_thread_cpu_ns();
        gboolean fine = step(server, &sdone, &serr);
        if (t0)
            *acs_cpu_ns += tls_thread_cpu_ns() - t0;
        if (!fine) {
            *reason = tls_classify(server, serr, detail, n);
            *side = HNB_TLS_SIDE_ACS;
            return FALSE;
        }
    }
    if (!(cdone && sdone)) {
        *reason = HNB_TLS_OTHER;
        *side = HNB_TLS_SIDE_NONE;
        g_strlcpy(detail, "handshake did not complete", n);
        return FALSE;
    }
    return TRUE;
}
