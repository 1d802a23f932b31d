/* tools/probe_client.h — the client side of `hnbsim probe`: an HNB's credentials from a `hnbsim pki --out`
 * directory, and one TLS handshake with a real server offering exactly one question (a protocol version range, a
 * cipher list, with or without the device certificate).  What the answers mean for TS 33.320 clause 8.3.4 is
 * tools/cmd_probe.c's business (the rules of crypto/profile.h); this file only asks and records.
 */
#ifndef HNB_TOOLS_PROBE_CLIENT_H
#define HNB_TOOLS_PROBE_CLIENT_H

#include <glib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef struct {
    char *host, *port;   /* from the URL */
    char *connect_host;  /* where to connect (default: host) */
    int timeout_ms;
    X509 *cert;          /* the device certificate, its key and the chain up to (not including) its CA */
    EVP_PKEY *key;
    STACK_OF(X509) *chain;
    X509_STORE *roots;   /* the operator root CA: what the HNB trusts */
    char *root_name;
} Probe;

/* What one handshake showed. */
typedef struct {
    gboolean completed;      /* SSL_connect returned 1 */
    gboolean chosen;         /* the server answered the offer with a ServerHello */
    gboolean cert_requested; /* the server sent a CertificateRequest */
    char version[16];
    char cipher[64];
    char why[160];           /* the failure, from OpenSSL's error queue */
    X509 *server_cert;       /* owned */
    STACK_OF(X509) *server_chain; /* owned, with server_cert first */
} Attempt;

/* The device credential of HNB `hnb` and the operator root CA from DIR (dev<I>.pem, dev<I>.key, root.pem):
 * HNB_ERROR_INPUT naming the file when one is missing or does not parse. */
gboolean probe_load_pki(Probe *p, const char *dir, int hnb, GError **error);

/* One handshake offering exactly [min_version, max_version] and `ciphers` (TLS <= 1.2 suites; TLS 1.3 keeps its
 * defaults), over a new TCP connection (bounded by p->timeout_ms).  FALSE only when the probe itself cannot run it
 * (error set; connection failures included); a suite or version this OpenSSL lacks sets *unavailable (may be NULL)
 * and returns TRUE with nothing attempted.  *a is filled either way; release it with probe_attempt_clear. */
gboolean probe_attempt(const Probe *p, int min_version, int max_version, const char *ciphers, gboolean with_cert,
                       Attempt *a, gboolean *unavailable, GError **error);
void probe_attempt_clear(Attempt *a);

/* Is `host` an IPv4 or IPv6 literal (checked as an IP address, sent without SNI), rather than a name? */
gboolean probe_is_ip_literal(const char *host);

#endif
