/* crypto/tls_tool.c — a session between an HNB and a local maintenance tool acting as its H(e)MS: the clause
 * 8.3.4 checks of an H(e)MS session plus the tool CA's CRL on the HNB's side, on contexts made per call.
 */
#include "crypto/tls_private.h"

#include <openssl/err.h>

/* The H(e)MS-side context with the tool's certificate instead of the H(e)MS's, no resumption (a tool session is a
 * one-off), and the HNB-side context that also checks the tool CA's CRL.  Built per handshake: the callers cache
 * outcomes, so handshakes are few, and per-call contexts keep the fleet's shared ones untouched. */
static gboolean tool_ctxs(const HnbTlsToolJob *job, SSL_CTX **sctx, SSL_CTX **cctx, GError **error)
{
    *sctx = hnb_tls_server_ctx_new(job->cfg, job->pki, NULL, error);
    *cctx = *sctx ? hnb_tls_client_ctx_new(job->cfg, job->pki, NULL, error) : NULL;
    if (!*cctx)
        return FALSE;
    SSL_CTX_set_session_cache_mode(*sctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(*sctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_options(*cctx, SSL_OP_NO_TICKET);
    const HnbPkiCred *t = job->tool;
    if (SSL_CTX_use_certificate(*sctx, t->cert) != 1 || SSL_CTX_use_PrivateKey(*sctx, t->key) != 1 ||
        SSL_CTX_check_private_key(*sctx) != 1 || (sk_X509_num(t->chain) > 0 && SSL_CTX_set1_chain(*sctx, t->chain) != 1)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "tool certificate");
        return FALSE;
    }
    if (job->crl && (X509_STORE_add_crl(SSL_CTX_get_cert_store(*cctx), job->crl) != 1 ||
                     X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(*cctx), X509_V_FLAG_CRL_CHECK) != 1)) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "HNB tool CRL");
        return FALSE;
    }
    return TRUE;
}

void hnb_tls_tool_job_run(HnbTlsToolJob *job)
{
    SSL_CTX *sctx = NULL, *cctx = NULL;
    SSL *client = NULL, *server = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(HnbPkiCred) dev = NULL; /* a reference for this session (pki.h, hnb_pki_device_ref) */
    job->reason = HNB_TLS_OTHER;
    job->side = HNB_TLS_SIDE_NONE;
    job->detail[0] = '\0';
    if (!tool_ctxs(job, &sctx, &cctx, &error) || !(dev = hnb_pki_device_ref(job->pki, job->hnb, FALSE, &error)) ||
        !tls_pair_new(cctx, sctx, &client, &server)) {
        if (!error)
            hnb_set_openssl_error(&error, HNB_ERROR_RUN, "SSL_new");
        g_strlcpy(job->detail, error->message, sizeof job->detail);
        goto out;
    }
    if (!hnb_tls_client_setup(client, dev, job->host, &error)) {
        g_strlcpy(job->detail, error->message, sizeof job->detail);
        goto out;
    }
    hnb_tls_set_time(client, job->pki, job->hnb_clock);
    hnb_tls_set_time(server, job->pki, job->tool_time);
    ERR_clear_error();
    if (!tls_drive(client, server, &job->reason, &job->side, job->detail, sizeof job->detail, NULL))
        goto out;
    /* the tool, like the H(e)MS, authenticates the HNB by the identity in its certificate */
    char oui[7], serial[11];
    hnb_pki_device_id(job->pki, job->hnb, oui, serial);
    job->reason = hnb_tls_authorize(SSL_get0_peer_certificate(server), job->pki, oui, serial, NULL);
    job->side = job->reason == HNB_TLS_OK ? HNB_TLS_SIDE_NONE : HNB_TLS_SIDE_ACS;
out:
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}
