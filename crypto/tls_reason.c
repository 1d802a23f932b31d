/* crypto/tls_reason.c — why a handshake failed, as stable reason codes: from a certificate verification result
 * (X509_V_ERR_*) or from the first SSL-library error on one end's queue (received alerts included).
 */
#include "crypto/tls_private.h"

#include <openssl/err.h>

static const char *const reason_names[HNB_TLS_REASON_COUNT] = {
    "ok",      "expired",          "not_yet_valid", "unknown_ca",    "identity_mismatch", "hostname_mismatch",
    "no_client_cert", "protocol_version", "no_shared_cipher", "revoked", "bad_signature", "other",
};

const char *hnb_tls_reason_name(HnbTlsReason r)
{
    return (unsigned)r < HNB_TLS_REASON_COUNT ? reason_names[r] : "other";
}

const char *hnb_tls_side_name(HnbTlsSide s)
{
    return s == HNB_TLS_SIDE_HNB ? "hnb" : s == HNB_TLS_SIDE_ACS ? "acs" : "-";
}

HnbTlsReason hnb_tls_reason_from_verify(long v)
{
    switch (v) {
    case X509_V_OK:
        return HNB_TLS_OK;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED: /* the CRL the peer's certificate is checked against: past its nextUpdate */
        return HNB_TLS_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_NOT_YET_VALID: /* a clock set back before the CRL's thisUpdate (models/maintenance.c) */
        return HNB_TLS_NOT_YET_VALID;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        return HNB_TLS_UNKNOWN_CA;
    case X509_V_ERR_HOSTNAME_MISMATCH:
        return HNB_TLS_HOSTNAME_MISMATCH;
    case X509_V_ERR_CERT_REVOKED:
        return HNB_TLS_REVOKED;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
        return HNB_TLS_BAD_SIGNATURE;
    default:
        return HNB_TLS_OTHER;
    }
}

/* The reason an SSL-library error code stands for (received alerts included); OTHER if none fits. */
static HnbTlsReason reason_from_err(unsigned long e)
{
    if (ERR_GET_LIB(e) != ERR_LIB_SSL)
        return HNB_TLS_OTHER;
    switch (ERR_GET_REASON(e)) {
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE: /* what a server without a common suite sends */
    case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
        return HNB_TLS_NO_SHARED_CIPHER;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        return HNB_TLS_PROTOCOL_VERSION;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return HNB_TLS_NO_CLIENT_CERT;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        return HNB_TLS_UNKNOWN_CA;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        return HNB_TLS_EXPIRED;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
        return HNB_TLS_REVOKED;
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
        return HNB_TLS_BAD_SIGNATURE;
    default:
        return HNB_TLS_OTHER;
    }
}

/* Classify one end's failure from its verify result and the first error of its queue `e`. */
HnbTlsReason tls_classify(SSL *ssl, unsigned long e, char *detail, size_t n)
{
    long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK) {
        if (detail)
            g_snprintf(detail, n, "certificate verify failed: %s", X509_verify_cert_error_string(v));
        return hnb_tls_reason_from_verify(v);
    }
    if (detail) {
        if (e)
            ERR_error_string_n(e, detail, n);
        else
            g_strlcpy(detail, "handshake failed without an OpenSSL error (connection closed?)", n);
    }
    return reason_from_err(e);
}

HnbTlsReason hnb_tls_reason_from_ssl(SSL *ssl, char *detail, size_t detail_len)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    return tls_classify(ssl, e, detail, detail_len);
}
