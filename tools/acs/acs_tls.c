/* tools/acs/acs_tls.c — the TLS profile of `hnbsim acs` (see acs_loop_private.h): the server context the workers
 * share, built by the core (crypto/tls.h) with a session cache of its own, and the reason code of a failed handshake
 * for the log and the metrics.  Apart from the loop because it is the one place the server's TLS differs from the
 * simulation's: what the core does in memory, this file adapts to real sockets.
 */
#include "tools/acs/acs_loop_private.h"
#include "crypto/tls.h"

#include <errno.h>
#include <openssl/err.h>

/* ---- the profile ------------------------------------------------------------------------------------------------ */

/* Sessions the H(e)MS keeps for resumption by session ID.  Each holds the device's certificate (the identity is read
 * from it on a resumed handshake): ~6 KiB a session (17000 full handshakes raised the peak RSS from 20 to 120 MiB),
 * so a full cache stays well under the soak test's 256 MiB bound while it covers a fleet's worth of HNBs reconnecting
 * within a lifetime; past it OpenSSL drops the least recently used one. */
#define ACS_SESSION_CACHE 16384

/* The server context for the H(e)MS of the exported PKI: the core's builder, the one the simulation's handshakes
 * use, with the resumption the [tls] resumption key names.
 *
 * The core's session-ID cache lives in the simulation's job handles (HnbTlsSession), which a real socket does not
 * have: for ids this context swaps it for OpenSSL's internal server cache (RFC 5246 §7.3 and §7.4.1.2: the server
 * looks the ClientHello's session_id up and, when it finds it, answers with the same id and an abbreviated
 * handshake).  One context serves every worker and OpenSSL locks its cache inside, so a session made on one worker
 * resumes on any.  tickets (RFC 5077) need no cache: the core's context already issues them under the keys OpenSSL
 * made for it, the same for every worker.  Either way a session lives `lifetime_s` of real time (SSL_CTX_set_timeout,
 * which is also the ticket's lifetime hint), where the simulation lets its simulated session_lifetime decide. */
SSL_CTX *server_ctx_for(HnbPki *pki, gboolean tls11, HnbTlsResumption resumption, long lifetime_s,
                        GError **error)
{
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    if (tls11)
        cfg.min_version = TLS1_1_VERSION;
    cfg.resumption = resumption;
    SSL_CTX *ctx = hnb_tls_server_ctx_new(&cfg, pki, NULL, error);
    hnb_tls_config_clear(&cfg);
    if (!ctx)
        return NULL;
    if (resumption == HNB_TLS_RESUME_IDS) {
        SSL_CTX_sess_set_new_cb(ctx, NULL);
        SSL_CTX_sess_set_get_cb(ctx, NULL);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, ACS_SESSION_CACHE);
    }
    SSL_CTX_set_timeout(ctx, lifetime_s);
    return ctx;
}

/* Why a handshake failed, "reason (detail)" with the core's reason codes.  A peer that goes away first is named
 * apart: before sending a byte (a port check, a client giving up) or in the middle of the handshake. */
char *handshake_reason(SSL *ssl, int err)
{
    unsigned long e = ERR_peek_last_error();
    gboolean eof = err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && (e == 0 || errno == 0)) ||
                   (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
    if (eof) {
        BIO *rbio = SSL_get_rbio(ssl);
        return g_strdup(rbio && BIO_number_read(rbio) == 0 ? "closed_before_handshake" : "closed_during_handshake");
    }
    char detail[160] = "";
    HnbTlsReason r = hnb_tls_reason_from_ssl(ssl, detail, sizeof detail);
    return detail[0] ? g_strdup_printf("%s (%s)", hnb_tls_reason_name(r), detail) : g_strdup(hnb_tls_reason_name(r));
}
