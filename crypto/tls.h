/* crypto/tls.h — the TS 33.320 §8.3.4 TR-069 TLS profile as OpenSSL contexts: outcomes, the [tls] configuration,
 * the contexts of both ends and the compliance checker.  The in-memory handshake engine that runs sessions on them is
 * in crypto/tls_engine.h; the rules themselves in crypto/profile.h.
 *
 * API FROZEN */
/*
 * Profile (strict): TLS 1.2 (TLS 1.1 as the floor only with min_version = tls1.1, which needs OpenSSL security
 * level 0, set only then); no SSL 3.0 / TLS 1.0 / TLS 1.3; ciphers from RFC 5246 Appendix A.5 only, AES128-SHA
 * always; no RC4/3DES/NULL/anon/export; certificate-only mutual authentication (no PSK/SRP; the server demands a
 * client certificate).  profile = custom takes min/max_version and ciphers as given, to study non-compliant peers.
 *
 * Verification: the HNB checks the H(e)MS certificate chain to the operator root, its name against the URL host
 * (SSL_set1_host) and its validity against the HNB's LOCAL clock (which may be wrong after power loss, §8.3.4 / §6.3.1);
 * the H(e)MS checks the device chain to the manufacturer CA, the CRL (X509_V_FLAG_CRL_CHECK) and validity against
 * simulated time.  After the handshake the H(e)MS maps the claimed CWMP DeviceId to an identity and rejects a session
 * whose identity differs from the certificate's (identity_mismatch).
 *
 * Determinism: a job's outcome (reason, side, resumed) is a function of its inputs only.  Session-ID resumption keeps
 * the server's copy of the session inside the HNB's HnbTlsSession handle (no shared cache, so no thread timing);
 * tickets use keys shared by every per-thread context.  Real-time session timeouts are disabled; the simulated
 * session lifetime ([tls] session_lifetime) decides whether a kept session is offered.
 */
#ifndef HNB_TLS_H
#define HNB_TLS_H

#include <glib.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "crypto/pki.h"
#include "sim/scenario.h"
#include "sim/time.h"

/* ---- outcomes ----------------------------------------------------------------------------------------------- */

/* Stable codes; hnb_tls_reason_name() gives the stable strings ("ok", "expired", ...). */
typedef enum {
    HNB_TLS_OK,
    HNB_TLS_EXPIRED,           /* a certificate's notAfter is before the checker's clock */
    HNB_TLS_NOT_YET_VALID,     /* ... notBefore after it */
    HNB_TLS_UNKNOWN_CA,        /* chain does not reach a trusted CA */
    HNB_TLS_IDENTITY_MISMATCH, /* CWMP DeviceId does not map to the certificate's identity (ACS) */
    HNB_TLS_HOSTNAME_MISMATCH, /* H(e)MS certificate name is not the URL host (HNB) */
    HNB_TLS_NO_CLIENT_CERT,    /* the HNB sent no certificate to an ACS that demands one */
    HNB_TLS_PROTOCOL_VERSION,  /* no common protocol version */
    HNB_TLS_NO_SHARED_CIPHER,  /* no common cipher suite */
    HNB_TLS_REVOKED,           /* device certificate on the CRL */
    HNB_TLS_BAD_SIGNATURE,     /* a certificate/CRL signature does not verify */
    HNB_TLS_OTHER,             /* anything else (detail says what) */
    HNB_TLS_REASON_COUNT
} HnbTlsReason;

typedef enum {
    HNB_TLS_SIDE_NONE, /* ok */
    HNB_TLS_SIDE_HNB,  /* the client detected it */
    HNB_TLS_SIDE_ACS,  /* the server detected it */
} HnbTlsSide;

const char *hnb_tls_reason_name(HnbTlsReason r); /* "ok" "expired" "not_yet_valid" "unknown_ca" "identity_mismatch"
                                                    "hostname_mismatch" "no_client_cert" "protocol_version"
                                                    "no_shared_cipher" "revoked" "bad_signature" "other" */
const char *hnb_tls_side_name(HnbTlsSide s);     /* "-" "hnb" "acs" */

/* Map a certificate verification result (SSL_get_verify_result) to a reason; X509_V_OK -> HNB_TLS_OK. */
HnbTlsReason hnb_tls_reason_from_verify(long verify_result);
/* Classify a failed handshake on one end: its verify result first, then the first error on OpenSSL's queue (which
 * it consumes), e.g. SSL_R_NO_SHARED_CIPHER, SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE,
 * received alerts.  For real-socket callers (hnbsim acs / probe).  `detail` (may be NULL) gets OpenSSL's words. */
HnbTlsReason hnb_tls_reason_from_ssl(SSL *ssl, char *detail, size_t detail_len);

/* ---- configuration ([tls] group) ------------------------------------------------------------------------------ */

typedef enum { HNB_TLS_CLIENT_CERT_REQUIRED, HNB_TLS_CLIENT_CERT_OPTIONAL, HNB_TLS_CLIENT_CERT_NONE } HnbTlsClientCert;
typedef enum { HNB_TLS_RESUME_NONE, HNB_TLS_RESUME_IDS, HNB_TLS_RESUME_TICKETS } HnbTlsResumption;

typedef struct {
    gboolean custom;          /* profile = custom */
    int min_version;          /* OpenSSL: SSL3_VERSION, TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION */
    int max_version;
    char *ciphers;            /* OpenSSL cipher list for TLS <= 1.2 */
    HnbTlsClientCert client_cert; /* server side: demand / ask / don't ask; client side: none = send no cert */
    HnbTlsResumption resumption;
    HnbTime session_lifetime; /* simulated; a kept session older than this is not offered */
    char *hems_host;          /* client side: the URL host checked against the H(e)MS certificate; NULL: pki's */
} HnbTlsConfig;

/* The RFC 5246 Appendix A.5 suites this profile may use, AES128-SHA first (the default [tls] ciphers). */
#define HNB_TLS_A5_CIPHERS                                                                                           \
    "AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:"                     \
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256"

/* The [tls] group: profile, min_version, max_version, ciphers, client_cert, resumption, session_lifetime. */
extern const HnbKeySpec hnb_tls_schema[];

void hnb_tls_config_init(HnbTlsConfig *cfg); /* the strict defaults */
void hnb_tls_config_clear(HnbTlsConfig *cfg);
void hnb_tls_config_copy(HnbTlsConfig *dst, const HnbTlsConfig *src);
gboolean hnb_tls_config_from_scenario(HnbTlsConfig *cfg, const HnbScenario *sc, GError **error);
/* "tls1.2" -> TLS1_2_VERSION etc. (ssl3, tls1.0, tls1.1, tls1.2, tls1.3); 0 if unknown.  And back. */
int hnb_tls_version_parse(const char *text);
const char *hnb_tls_version_name(int version);

/* ---- contexts ------------------------------------------------------------------------------------------------- */

/* The H(e)MS side: H(e)MS certificate and key, trust = manufacturer CA + CRL with X509_V_FLAG_CRL_CHECK, verify mode
 * per client_cert (required: SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT), versions/ciphers per the profile,
 * session cache/tickets per resumption (no real-time timeouts).  Certificate validity is checked against the
 * current real time unless the caller sets a time per SSL (hnb_tls_set_time).  libctx NULL: the default. */
SSL_CTX *hnb_tls_server_ctx_new(const HnbTlsConfig *cfg, HnbPki *pki, OSSL_LIB_CTX *libctx, GError **error);
/* The HNB side: trust = operator root, versions/ciphers per the profile.  No own certificate: set one per SSL with
 * hnb_tls_client_setup(). */
SSL_CTX *hnb_tls_client_ctx_new(const HnbTlsConfig *cfg, HnbPki *pki, OSSL_LIB_CTX *libctx, GError **error);
/* Per connection on the HNB side: use `cred` (NULL: no certificate), check the server's name against `host` and send
 * it as SNI.  host NULL checks no name at all: a caller that talks to the H(e)MS must name it (the engine passes
 * [tls] hems_host or the PKI's hems_fqdn, acs-load the PKI's hems_fqdn or --host); only the maintenance tool's
 * session (tls_tool.c), whose tool has no name to check, and unit tests pass NULL. */
gboolean hnb_tls_client_setup(SSL *ssl, const HnbPkiCred *cred, const char *host, GError **error);
/* Check certificate validity against simulated time t (ns since the PKI epoch; may be negative). */
void hnb_tls_set_time(SSL *ssl, const HnbPki *pki, HnbTime t);

/* The ACS's identity rule: the verified peer certificate's identity (hnb_pki_cert_identity) must equal the identity
 * the CWMP DeviceId claims (hnb_pki_claimed_identity with the PKI's realm).  HNB_TLS_OK, HNB_TLS_NO_CLIENT_CERT
 * (peer NULL) or HNB_TLS_IDENTITY_MISMATCH.  *identity (may be NULL) gets the certificate's identity or NULL. */
HnbTlsReason hnb_tls_authorize(X509 *peer, const HnbPki *pki, const char *oui, const char *serial, char **identity);

/* ---- compliance checker --------------------------------------------------------------------------------------- */

/* One line per §8.3.4 rule, "PASS|FAIL|WARN  <rule's words>[ (what was found)]", decided by building the server and
 * client contexts from the scenario's [tls] group and inspecting what they enable (SSL_CTX_get_ciphers, protocol
 * bounds, verify mode, security level).  *compliant is FALSE when any line FAILs.  Returns FALSE with an error only
 * if the [tls] values cannot be turned into contexts at all (e.g. a cipher string OpenSSL rejects). */
gboolean hnb_tls_check(const HnbScenario *sc, GString *report, gboolean *compliant, GError **error);
/* The same for a config (used by hnb_tls_check). */
gboolean hnb_tls_check_config(const HnbTlsConfig *cfg, GString *report, gboolean *compliant, GError **error);

#endif
