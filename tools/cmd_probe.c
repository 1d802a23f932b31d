/* tools/cmd_probe.c — `hnbsim probe https://HOST:PORT`: act as an HNB against a real server and print how it measures
 * up to the TR-069 TLS profile of TS 33.320 §8.3.4, one line per rule (PASS / FAIL / WARN and the rule's words).
 *
 * Every question is its own TCP connection and handshake with a client context built for that question alone: one
 * protocol version, or one cipher suite, with or without the device certificate.  The probe's contexts run at
 * security level 0 so that it can *offer* what the profile forbids (TLS 1.0, NULL, anonymous suites) and see whether
 * the server takes it.  "Accepted" means the server chose the offer in its ServerHello — for a PSK suite the
 * handshake then fails on the probe's made-up key, but the server has already shown that it allows shared secrets.
 *
 * The server's certificate is checked apart from the handshakes (which verify nothing, so that a bad certificate
 * does not hide the rest of the table): name against HOST, validity against the local clock now, chain against the
 * operator root CA of the PKI directory (time ignored there, so one fault is reported once).
 *
 * Exit status: 0 compliant (no FAIL), 1 not compliant or the server could not be reached, 2 bad input.
 */
#include "crypto/openssl_error.h"
#include "tools/cli.h"
#include "crypto/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

static void attempt_clear(Attempt *a)
{
    X509_free(a->server_cert);
    sk_X509_pop_free(a->server_chain, X509_free);
    memset(a, 0, sizeof *a);
}

/* ---- the device's credentials ----------------------------------------------------------------------------------- */

/* From a directory written by `hnbsim pki --out` (hnb_pki_export): dev<I>.pem (certificate, then any chain),
 * dev<I>.key, root.pem. */
static gboolean load_pki(Probe *p, const char *dir, int hnb, GError **error)
{
    g_autofree char *root = g_build_filename(dir, "root.pem", NULL);
    g_autofree char *certf = g_strdup_printf("%s/dev%d.pem", dir, hnb);
    g_autofree char *keyf = g_strdup_printf("%s/dev%d.key", dir, hnb);
    FILE *f;
    if (!(f = fopen(certf, "r"))) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", certf, g_strerror(errno));
        return FALSE;
    }
    p->cert = PEM_read_X509(f, NULL, NULL, NULL);
    p->chain = sk_X509_new_null();
    X509 *extra;
    while ((extra = PEM_read_X509(f, NULL, NULL, NULL)))
        sk_X509_push(p->chain, extra);
    ERR_clear_error();
    fclose(f);
    if (!(f = fopen(keyf, "r"))) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", keyf, g_strerror(errno));
        return FALSE;
    }
    p->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    p->roots = X509_STORE_new();
    if (!p->cert || !p->key || X509_STORE_load_file(p->roots, root) != 1) {
        g_autofree char *what = g_strdup_printf("%s: device %d (dev%d.pem, dev%d.key) or the root CA (root.pem)", dir,
                                                hnb, hnb, hnb);
        hnb_set_openssl_error(error, HNB_ERROR_INPUT, what);
        return FALSE;
    }
    X509_OBJECT *o = sk_X509_OBJECT_value(X509_STORE_get0_objects(p->roots), 0);
    char buf[256];
    X509_NAME_oneline(X509_get_subject_name(X509_OBJECT_get0_X509(o)), buf, sizeof buf);
    p->root_name = g_strdup(buf);
    return TRUE;
}

/* ---- one handshake ---------------------------------------------------------------------------------------------- */

typedef struct {
    const Probe *p;
    gboolean with_cert;
    gboolean requested;
} CertCbState;

/* Called when the server asks for a certificate: note it, and present the device's if this attempt carries one. */
static int on_cert_request(SSL *ssl, void *arg)
{
    CertCbState *st = arg;
    if (!SSL_is_server(ssl))
        st->requested = TRUE;
    if (!st->with_cert)
        return 1;
    if (SSL_use_certificate(ssl, st->p->cert) != 1 || SSL_use_PrivateKey(ssl, st->p->key) != 1)
        return 0;
    for (int i = 0; i < sk_X509_num(st->p->chain); i++)
        if (SSL_add1_chain_cert(ssl, sk_X509_value(st->p->chain, i)) != 1)
            return 0;
    return 1;
}

static unsigned int on_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_identity, unsigned char *psk,
                           unsigned int max_psk)
{
    (void)ssl;
    (void)hint;
    g_strlcpy(identity, "hnbsim-probe", max_identity);
    unsigned int n = MIN(16u, max_psk);
    memset(psk, 0x5a, n);
    return n;
}

/* A TCP connection to the server within the timeout; -1 with error set.  Blocking afterwards, with the timeout on
 * every read and write, so no attempt can hang. */
static int tcp_connect(const Probe *p, GError **error)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    int gai = getaddrinfo(p->connect_host, p->port, &hints, &res);
    if (gai != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "%s: %s", p->connect_host, gai_strerror(gai));
        return -1;
    }
    int fd = -1, saved = ECONNREFUSED;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int fl = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int rc = connect(fd, a->ai_addr, a->ai_addrlen), err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            socklen_t sl = sizeof err;
            err = ETIMEDOUT;
            if (poll(&pf, 1, p->timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
                err = errno;
        }
        if (err != 0) {
            saved = err;
            close(fd);
            fd = -1;
            continue;
        }
        fcntl(fd, F_SETFL, fl);
        struct timeval tv = {.tv_sec = p->timeout_ms / 1000, .tv_usec = (p->timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    freeaddrinfo(res);
    if (fd < 0)
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "cannot connect to %s port %s: %s", p->connect_host, p->port,
                    g_strerror(saved));
    return fd;
}

static gboolean is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* One handshake offering exactly [min_version, max_version] and `ciphers` (TLS <= 1.2 suites; TLS 1.3 keeps its
 * defaults).  FALSE only when the probe itself cannot run it: error set (connection failures included).  A suite
 * this OpenSSL lacks is reported by *unavailable. */
static gboolean attempt(const Probe *p, int min_version, int max_version, const char *ciphers, gboolean with_cert,
                        Attempt *a, gboolean *unavailable, GError **error)
{
    memset(a, 0, sizeof *a);
    if (unavailable)
        *unavailable = FALSE;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_RUN, "SSL_CTX_new failed");
        return FALSE;
    }
    SSL_CTX_set_security_level(ctx, 0); /* offer what the profile forbids, to see if the server takes it */
    /* if this OpenSSL cannot even set the range (e.g. SSL 3.0), the question is not testable */
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 || SSL_CTX_set_max_proto_version(ctx, max_version) != 1 ||
        SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
        ERR_clear_error();
        SSL_CTX_free(ctx);
        if (unavailable)
            *unavailable = TRUE;
        return TRUE;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_psk_client_callback(ctx, on_psk);
    CertCbState st = {.p = p, .with_cert = with_cert};
    SSL_CTX_set_cert_cb(ctx, on_cert_request, &st);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);

    int fd = tcp_connect(p, error);
    if (fd < 0) {
        SSL_CTX_free(ctx);
        return FALSE;
    }
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (!is_ip_literal(p->host))
        SSL_set_tlsext_host_name(ssl, p->host);
    ERR_clear_error();
    a->completed = SSL_connect(ssl) == 1;
    a->chosen = a->completed || SSL_get_pending_cipher(ssl) != NULL;
    a->cert_requested = st.requested;
    if (a->chosen) {
        const SSL_CIPHER *c = SSL_get_pending_cipher(ssl);
        if (!c)
            c = SSL_get_current_cipher(ssl);
        g_strlcpy(a->version, SSL_get_version(ssl), sizeof a->version);
        g_strlcpy(a->cipher, c ? SSL_CIPHER_get_name(c) : "?", sizeof a->cipher);
    }
    if (!a->completed) {
        char detail[160] = "";
        HnbTlsReason r = hnb_tls_reason_from_ssl(ssl, detail, sizeof detail);
        g_snprintf(a->why, sizeof a->why, "%s%s%s%s", hnb_tls_reason_name(r), detail[0] ? ": " : "", detail,
                   detail[0] ? "" : ": connection closed by the server");
    }
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert) {
        a->server_cert = cert;
        a->server_chain = sk_X509_new_null();
        STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl); /* client side: includes the leaf */
        for (int i = 0; chain && i < sk_X509_num(chain); i++) {
            X509 *x = sk_X509_value(chain, i);
            X509_up_ref(x);
            sk_X509_push(a->server_chain, x);
        }
    }
    if (a->completed)
        SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return TRUE;
}

/* ---- the table -------------------------------------------------------------------------------------------------- */

typedef struct {
    unsigned fails, warns;
} Tally;

static void line(Tally *t, const char *verdict, const char *rule, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void line(Tally *t, const char *verdict, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *finding = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (strcmp(verdict, "FAIL") == 0)
        t->fails++;
    else if (strcmp(verdict, "WARN") == 0)
        t->warns++;
    printf("%-4s  %s\n      -> %s\n", verdict, rule, finding);
}

static const struct {
    const char *name;
    int version;
} versions[] = {
    {"TLS 1.0", TLS1_VERSION},
    {"TLS 1.1", TLS1_1_VERSION},
    {"TLS 1.2", TLS1_2_VERSION},
    {"TLS 1.3", TLS1_3_VERSION},
};

/* Suites outside RFC 5246 Appendix A.5, tried one at a time at TLS 1.2 (those this OpenSSL lacks are skipped). */
static const char *const non_a5[] = {
    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "AES128-GCM-SHA256", "AES256-GCM-SHA384",
    "DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
    "CAMELLIA128-SHA", "AES128-CCM", "DES-CBC3-SHA", "ECDHE-RSA-DES-CBC3-SHA",
};
/* In A.5, but never acceptable: no encryption, or no authentication of the server. */
static const char *const never[] = {"NULL-SHA", "NULL-SHA256", "NULL-MD5", "ADH-AES128-SHA", "ADH-AES256-SHA256"};
/* Shared-secret authentication (RFC 4279 PSK, RFC 5054 SRP). */
static const char *const shared_secret[] = {"PSK-AES128-CBC-SHA", "RSA-PSK-AES128-CBC-SHA", "DHE-PSK-AES128-CBC-SHA",
                                            "SRP-AES-128-CBC-SHA"};
static const char *const rc4[] = {"RC4-SHA", "RC4-MD5"};

/* Try each suite of `list` at `version`; names of those the server chose go to `accepted`, of those tried to
 * `tried`.  FALSE on a probe failure (error set). */
static gboolean try_suites(const Probe *p, int version, const char *const *list, size_t n, GString *accepted,
                           GString *tried, GError **error)
{
    for (size_t i = 0; i < n; i++) {
        Attempt a;
        gboolean unavailable;
        if (!attempt(p, version, version, list[i], TRUE, &a, &unavailable, error))
            return FALSE;
        if (!unavailable) {
            g_string_append_printf(tried, "%s%s", tried->len ? " " : "", list[i]);
            if (a.chosen)
                g_string_append_printf(accepted, "%s%s", accepted->len ? " " : "", list[i]);
        }
        attempt_clear(&a);
    }
    return TRUE;
}

static char *name_of(const X509_NAME *n)
{
    char buf[256];
    X509_NAME_oneline(n, buf, sizeof buf);
    return g_strdup(buf);
}

static char *time_of(const ASN1_TIME *t)
{
    BIO *b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, t);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = g_strndup(data, (gsize)n);
    BIO_free(b);
    return s;
}

/* The server certificate: name, validity now, chain to the operator root CA. */
static void check_certificate(const Probe *p, Tally *t, const Attempt *a)
{
    static const char rule_name[] = "The H(e)MS URI shall be specified as an HTTPS URL; the HNB checks the H(e)MS "
                                    "certificate name against the URL host (TR-069 §3.3)";
    static const char rule_time[] = "[The H(e)NB] shall not ignore components of the H(e)MS certificate related to "
                                    "absolute time, e.g. not-valid-before and not-valid-after";
    static const char rule_ca[] = "Only certificate-based authentication shall be allowed: the H(e)MS certificate "
                                  "chains to the operator root CA";
    if (!a->server_cert) {
        line(t, "FAIL", rule_name, "no server certificate was seen (no handshake got that far)");
        return;
    }
    X509 *cert = a->server_cert;
    int ok = is_ip_literal(p->host) ? X509_check_ip_asc(cert, p->host, 0) : X509_check_host(cert, p->host, 0, 0, NULL);
    g_autofree char *subject = name_of(X509_get_subject_name(cert));
    if (ok == 1)
        line(t, "PASS", rule_name, "certificate %s matches \"%s\"", subject, p->host);
    else
        line(t, "FAIL", rule_name, "certificate %s does not name \"%s\" (neither in subjectAltName nor CN)", subject,
             p->host);

    g_autofree char *nb = time_of(X509_get0_notBefore(cert)), *na = time_of(X509_get0_notAfter(cert));
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
        line(t, "FAIL", rule_time, "not yet valid: notBefore %s is in the future", nb);
    else if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        line(t, "FAIL", rule_time, "expired: notAfter %s has passed", na);
    else
        line(t, "PASS", rule_time, "valid now (%s to %s)", nb, na);

    X509_STORE_CTX *vc = X509_STORE_CTX_new();
    X509_STORE_CTX_init(vc, p->roots, cert, a->server_chain);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(vc), X509_V_FLAG_NO_CHECK_TIME);
    if (X509_verify_cert(vc) == 1) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(vc);
        g_autofree char *top = name_of(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)));
        line(t, "PASS", rule_ca, "chains to %s", top);
    } else {
        g_autofree char *issuer = name_of(X509_get_issuer_name(cert));
        line(t, "FAIL", rule_ca, "does not chain to %s: %s (issuer %s)", p->root_name,
             X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)), issuer);
    }
    X509_STORE_CTX_free(vc);
}

static int run_probe(const Probe *p, const char *url)
{
    Tally t = {0};
    GError *error = NULL;
    /* before the first goto: the cleanup at probe_failed frees them */
    g_autoptr(GString) accepted = g_string_new(NULL);
    g_autoptr(GString) tried = g_string_new(NULL);
    Attempt by_version[G_N_ELEMENTS(versions)];
    const char *all = "ALL:COMPLEMENTOFALL";
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++) {
        if (!attempt(p, versions[i].version, versions[i].version, all, TRUE, &by_version[i], NULL, &error)) {
            for (size_t k = 0; k < i; k++)
                attempt_clear(&by_version[k]);
            fprintf(stderr, "hnbsim probe: %s\n", error->message);
            g_error_free(error);
            return HNB_EXIT_RUN;
        }
    }
    gboolean acc[G_N_ELEMENTS(versions)];
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++)
        acc[i] = by_version[i].chosen;

    printf("hnbsim probe %s — TS 33.320 §8.3.4 TR-069 TLS profile\n", url);
    printf("versions: SSL 3.0 not testable, TLS 1.0 %s, TLS 1.1 %s, TLS 1.2 %s, TLS 1.3 %s\n\n",
           acc[0] ? "accepted" : "refused", acc[1] ? "accepted" : "refused", acc[2] ? "accepted" : "refused",
           acc[3] ? "accepted" : "refused");

    line(&t, "WARN", "SSL 3.0 shall not be used as it is outdated.",
         "not testable: OpenSSL %s cannot offer SSL 3.0 (built without it)", OpenSSL_version(OPENSSL_VERSION_STRING));
    if (acc[0])
        line(&t, "FAIL", "SSL 3.0 shall not be used ... (profile: TLS 1.1 is the floor, TLS 1.0 is refused)",
             "accepts TLS 1.0 (%s)", by_version[0].cipher);
    else
        line(&t, "PASS", "SSL 3.0 shall not be used ... (profile: TLS 1.1 is the floor, TLS 1.0 is refused)",
             "refuses TLS 1.0 (%s)", by_version[0].why);
    if (acc[1] || acc[2])
        line(&t, "PASS", "At least TLS 1.1 [16] shall be supported.", "accepts%s%s", acc[1] ? " TLS 1.1" : "",
             acc[2] ? " TLS 1.2" : "");
    else
        line(&t, "FAIL", "At least TLS 1.1 [16] shall be supported.", "refuses TLS 1.1 (%s) and TLS 1.2 (%s)",
             by_version[1].why, by_version[2].why);
    if (acc[2])
        line(&t, "PASS", "TLS 1.2 [17] should be supported.", "accepts TLS 1.2 (%s)", by_version[2].cipher);
    else
        line(&t, "WARN", "TLS 1.2 [17] should be supported.", "refuses TLS 1.2 (%s)", by_version[2].why);

    /* the suite questions use the best version the server takes, at most TLS 1.2 */
    int best = acc[2] ? TLS1_2_VERSION : acc[1] ? TLS1_1_VERSION : acc[0] ? TLS1_VERSION : TLS1_2_VERSION;
    Attempt a;
    if (!attempt(p, best, best, "AES128-SHA", TRUE, &a, NULL, &error))
        goto probe_failed;
    if (a.chosen)
        line(&t, "PASS", "The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory.",
             "accepts AES128-SHA with %s", a.version);
    else
        line(&t, "FAIL", "The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory.",
             "refuses AES128-SHA (%s)", a.why);
    attempt_clear(&a);

    static const char rule_only[] = "Only TLS cipher suites listed in TLS 1.2 [17] shall be used.";
    if (!try_suites(p, TLS1_2_VERSION, non_a5, G_N_ELEMENTS(non_a5), accepted, tried, &error))
        goto probe_failed;
    if (accepted->len)
        line(&t, "FAIL", rule_only, "accepts suites outside RFC 5246 A.5: %s", accepted->str);
    else
        line(&t, "PASS", rule_only, "refuses every non-A.5 suite tried: %s", tried->str);
    if (acc[3])
        line(&t, "FAIL", rule_only, "accepts TLS 1.3 (%s), whose suites are not RFC 5246 suites",
             by_version[3].cipher);
    else
        line(&t, "PASS", rule_only, "refuses TLS 1.3 (its suites are not RFC 5246 suites)");
    g_string_truncate(accepted, 0);
    g_string_truncate(tried, 0);
    if (!try_suites(p, TLS1_2_VERSION, never, G_N_ELEMENTS(never), accepted, tried, &error))
        goto probe_failed;
    if (accepted->len)
        line(&t, "FAIL", rule_only, "accepts A.5 suites without encryption or server authentication: %s",
             accepted->str);
    else
        line(&t, "PASS", rule_only, "refuses NULL and anonymous suites: %s", tried->str);

    g_string_truncate(accepted, 0);
    g_string_truncate(tried, 0);
    if (!try_suites(p, TLS1_2_VERSION, rc4, G_N_ELEMENTS(rc4), accepted, tried, &error))
        goto probe_failed;
    if (accepted->len)
        line(&t, "FAIL", "Ciphersuites with RC4 shall not be used.", "accepts %s", accepted->str);
    else if (tried->len)
        line(&t, "PASS", "Ciphersuites with RC4 shall not be used.", "refuses %s", tried->str);
    else
        line(&t, "WARN", "Ciphersuites with RC4 shall not be used.", "not testable: this OpenSSL has no RC4 suites");

    static const char rule_secret[] = "Shared-secret-based authentication between H(e)NB acting as CPE and H(e)MS "
                                      "acting as ACS shall not be allowed.";
    g_string_truncate(accepted, 0);
    g_string_truncate(tried, 0);
    if (!try_suites(p, TLS1_2_VERSION, shared_secret, G_N_ELEMENTS(shared_secret), accepted, tried, &error))
        goto probe_failed;
    if (accepted->len)
        line(&t, "FAIL", rule_secret, "accepts %s", accepted->str);
    else
        line(&t, "PASS", rule_secret, "refuses PSK/SRP suites: %s", tried->str);

    static const char rule_client[] = "The support for H(e)NB authentication using client-side (CPE side) "
                                      "certificates shall be mandatory.";
    if (!attempt(p, best, best, "AES128-SHA:ALL", FALSE, &a, NULL, &error))
        goto probe_failed;
    if (a.completed)
        line(&t, "FAIL", rule_client, "completes a handshake without a client certificate (%s)",
             a.cert_requested ? "asked for one but did not demand it" : "never asked for one");
    else if (!a.cert_requested)
        line(&t, "WARN", rule_client, "refused a handshake without a client certificate but never asked for one (%s)",
             a.why);
    else
        line(&t, "PASS", rule_client, "demands a client certificate (without one: %s)", a.why);
    attempt_clear(&a);

    /* the certificate as the HNB sees it in an ordinary handshake */
    check_certificate(p, &t, &by_version[acc[2] ? 2 : acc[1] ? 1 : acc[0] ? 0 : 3]);

    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++)
        attempt_clear(&by_version[i]);
    printf("\n%s: %u FAIL, %u WARN\n", t.fails ? "NOT COMPLIANT" : "COMPLIANT", t.fails, t.warns);
    return t.fails ? HNB_EXIT_RUN : HNB_EXIT_OK;

probe_failed:
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++)
        attempt_clear(&by_version[i]);
    fflush(stdout);
    fprintf(stderr, "hnbsim probe: %s\n", error->message);
    g_error_free(error);
    return HNB_EXIT_RUN;
}

/* https://HOST[:PORT][/path]; HOST may be [v6]. */
static gboolean parse_url(const char *url, Probe *p, GError **error)
{
    if (!g_str_has_prefix(url, "https://")) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "\"%s\" is not an HTTPS URL (§8.3.4: the H(e)MS URI shall be specified as an HTTPS URL)", url);
        return FALSE;
    }
    const char *h = url + strlen("https://");
    const char *end = h + strcspn(h, "/?#");
    const char *hend, *port = NULL;
    if (*h == '[') {
        hend = memchr(h, ']', (size_t)(end - h));
        if (!hend)
            goto bad;
        p->host = g_strndup(h + 1, (gsize)(hend - h - 1));
        if (hend + 1 < end && hend[1] == ':')
            port = hend + 2;
        else if (hend + 1 != end)
            goto bad;
    } else {
        hend = memchr(h, ':', (size_t)(end - h));
        if (hend)
            port = hend + 1;
        else
            hend = end;
        p->host = g_strndup(h, (gsize)(hend - h));
    }
    p->port = port ? g_strndup(port, (gsize)(end - port)) : g_strdup("443");
    char *e;
    guint64 n = g_ascii_strtoull(p->port, &e, 10);
    if (!p->host[0] || !p->port[0] || *e || n == 0 || n > 65535)
        goto bad;
    return TRUE;
bad:
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "bad URL \"%s\": expected https://HOST[:PORT][/PATH]", url);
    return FALSE;
}

static void probe_clear(Probe *p)
{
    g_free(p->host);
    g_free(p->port);
    g_free(p->connect_host);
    g_free(p->root_name);
    X509_free(p->cert);
    EVP_PKEY_free(p->key);
    sk_X509_pop_free(p->chain, X509_free);
    X509_STORE_free(p->roots);
}

int hnb_cmd_probe(int argc, char **argv)
{
    g_autofree char *pki_dir = NULL, *connect_to = NULL;
    gint64 hnb = 0, timeout = 5;
    GOptionEntry entries[] = {
        {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_dir, "PKI directory written by `hnbsim pki --out`", "DIR"},
        {"hnb", 0, 0, G_OPTION_ARG_INT64, &hnb, "Act as HNB I: use device certificate I of the PKI (default 0)", "I"},
        {"connect", 0, 0, G_OPTION_ARG_STRING, &connect_to,
         "Connect to ADDR instead of resolving HOST (the name check still uses HOST)", "ADDR"},
        {"timeout", 0, 0, G_OPTION_ARG_INT64, &timeout, "Seconds allowed for each connection (default 5)", "S"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("https://HOST[:PORT] — a server's §8.3.4 compliance");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Acts as an HNB (device certificate I of the PKI directory) against a real server and prints one line per "
             "rule of the TS 33.320 §8.3.4 TR-069 TLS profile: protocol versions accepted, AES128-SHA, suites outside "
             "RFC 5246 A.5, shared-secret suites, client-certificate demand, and the server certificate's name, "
             "validity and CA.\nExit status: 0 compliant, 1 not compliant (or unreachable), 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (argc != 2) {
        fprintf(stderr, "hnbsim probe: give one URL, https://HOST:PORT\n");
        return HNB_EXIT_INPUT;
    }
    if (!pki_dir) {
        fprintf(stderr, "hnbsim probe: --pki DIR is required (the HNB's certificate and the operator root CA)\n");
        return HNB_EXIT_INPUT;
    }
    if (hnb < 0 || hnb > G_MAXINT || timeout < 1 || timeout > 3600) {
        fprintf(stderr, "hnbsim probe: --hnb must be >= 0 and --timeout within 1..3600 s\n");
        return HNB_EXIT_INPUT;
    }
    Probe p = {.timeout_ms = (int)timeout * 1000};
    int rc;
    if (!parse_url(argv[1], &p, &error) || !load_pki(&p, pki_dir, (int)hnb, &error)) {
        rc = hnb_cli_fail(error);
    } else {
        p.connect_host = g_strdup(connect_to ? connect_to : p.host);
        signal(SIGPIPE, SIG_IGN);
        rc = run_probe(&p, argv[1]);
    }
    probe_clear(&p);
    return rc;
}
