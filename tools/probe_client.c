/* tools/probe_client.c — one handshake of `hnbsim probe` against a real server (tools/probe_client.h). */
#include "tools/probe_client.h"

#include "crypto/openssl_error.h"
#include "crypto/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void probe_attempt_clear(Attempt *a)
{
    X509_free(a->server_cert);
    sk_X509_pop_free(a->server_chain, X509_free);
    memset(a, 0, sizeof *a);
}

/* ---- the device's credentials ----------------------------------------------------------------------------------- */

/* From a directory written by `hnbsim pki --out` (hnb_pki_export): dev<I>.pem (certificate, then any chain),
 * dev<I>.key, root.pem. */
gboolean probe_load_pki(Probe *p, const char *dir, int hnb, GError **error)
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

gboolean probe_is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* One handshake offering exactly [min_version, max_version] and `ciphers` (TLS <= 1.2 suites; TLS 1.3 keeps its
 * defaults).  FALSE only when the probe itself cannot run it: error set (connection failures included).  A suite
 * this OpenSSL lacks is reported by *unavailable. */
gboolean probe_attempt(const Probe *p, int min_version, int max_version, const char *ciphers, gboolean with_cert,
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
    if (!probe_is_ip_literal(p->host))
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
