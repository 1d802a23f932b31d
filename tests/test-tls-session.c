/* tests/test-tls-session.c — kept sessions without the peer certificate (crypto/tls_session.c): a session from a real
 * §8.3.4 handshake, stripped, keeps everything resumption needs (id, master secret, cipher, version, verify result),
 * loses the certificate, is much smaller, and resumes a real handshake with the HNB's side holding only it. */
#include "crypto/tls_engine.h"
#include "crypto/tls_private.h" /* TlsDer: what a fleet keeps */
#include "tests/pki-common.h"

#include <string.h>
#include <openssl/ssl.h>

/* Drive a client/server pair joined by a BIO pair to the end of the handshake. */
static void handshake(SSL *client, SSL *server)
{
    BIO *cb = NULL, *sb = NULL;
    g_assert_cmpint(BIO_new_bio_pair(&cb, 0, &sb, 0), ==, 1);
    SSL_set_bio(client, cb, cb);
    SSL_set_bio(server, sb, sb);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    gboolean cdone = FALSE, sdone = FALSE;
    for (int round = 0; round < 20 && !(cdone && sdone); round++) {
        int rc = SSL_do_handshake(client);
        cdone = rc == 1;
        if (rc != 1)
            g_assert_cmpint(SSL_get_error(client, rc), ==, SSL_ERROR_WANT_READ);
        rc = SSL_do_handshake(server);
        sdone = rc == 1;
        if (rc != 1)
            g_assert_cmpint(SSL_get_error(server, rc), ==, SSL_ERROR_WANT_READ);
    }
    g_assert_true(cdone && sdone);
}

static int der_size(SSL_SESSION *s)
{
    return i2d_SSL_SESSION(s, NULL);
}

static void test_strip_and_resume(void)
{
    HnbPki *pki = test_pki_default();
    HnbTlsConfig cfg;
    hnb_tls_config_init(&cfg);
    cfg.resumption = HNB_TLS_RESUME_TICKETS; /* the server needs no cache of its own for this test */
    g_autoptr(GError) error = NULL;
    SSL_CTX *sctx = hnb_tls_server_ctx_new(&cfg, pki, NULL, &error);
    g_assert_no_error(error);
    SSL_CTX *cctx = hnb_tls_client_ctx_new(&cfg, pki, NULL, &error);
    g_assert_no_error(error);
    const HnbPkiCred *dev = hnb_pki_device(pki, 3, &error);
    g_assert_no_error(error);

    /* a full handshake, validity checked at the PKI's epoch */
    SSL *client = SSL_new(cctx), *server = SSL_new(sctx);
    g_assert_true(hnb_tls_client_setup(client, dev, NULL, &error));
    hnb_tls_set_time(client, pki, 0);
    hnb_tls_set_time(server, pki, 0);
    handshake(client, server);
    g_assert_false(SSL_session_reused(client));
    SSL_SESSION *full = SSL_get1_session(client);
    g_assert_nonnull(SSL_SESSION_get0_peer(full)); /* the H(e)MS certificate */

    SSL_SESSION *kept = hnb_tls_session_strip_peer(full);
    g_assert_nonnull(kept);
    g_assert_null(SSL_SESSION_get0_peer(kept));
    unsigned int la, lb;
    const unsigned char *ida = SSL_SESSION_get_id(full, &la), *idb = SSL_SESSION_get_id(kept, &lb);
    g_assert_cmpmem(ida, la, idb, lb);
    unsigned char ma[64], mb[64];
    size_t na = SSL_SESSION_get_master_key(full, ma, sizeof ma), nb = SSL_SESSION_get_master_key(kept, mb, sizeof mb);
    g_assert_cmpmem(ma, na, mb, nb);
    g_assert_true(SSL_SESSION_get0_cipher(full) == SSL_SESSION_get0_cipher(kept));
    g_assert_cmpint(SSL_SESSION_get_protocol_version(full), ==, SSL_SESSION_get_protocol_version(kept));
    g_assert_true(SSL_SESSION_has_ticket(kept));
    g_assert_cmpint(der_size(kept), <, der_size(full) - 500); /* the certificate is most of it */
    g_test_message("session DER: %d bytes with the certificate, %d without", der_size(full), der_size(kept));
    /* what a fleet keeps is that encoding itself, shared by reference, and decodes to the same session */
    TlsDer *der = tls_der_of(full);
    g_assert_nonnull(der);
    g_assert_cmpint((int)der->len, ==, der_size(kept));
    g_assert_cmpint((int)der->len, <, der_size(full)); /* most of the rest is the ticket (this profile's) */
    SSL_SESSION *back = tls_der_session(tls_der_ref(der));
    tls_der_unref(der);
    g_assert_nonnull(back);
    const unsigned char *idc = SSL_SESSION_get_id(back, &lb);
    g_assert_cmpmem(ida, la, idc, lb);
    size_t nc = SSL_SESSION_get_master_key(back, mb, sizeof mb);
    g_assert_cmpmem(ma, na, mb, nc);
    g_assert_null(SSL_SESSION_get0_peer(back));
    SSL_SESSION_free(back);
    tls_der_unref(der);
    /* the original is untouched */
    g_assert_nonnull(SSL_SESSION_get0_peer(full));
    SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(client);
    SSL_free(server);

    /* the stripped session resumes a real handshake on fresh objects, and the HNB still sees a verified peer */
    client = SSL_new(cctx);
    server = SSL_new(sctx);
    g_assert_true(hnb_tls_client_setup(client, dev, NULL, &error));
    hnb_tls_set_time(client, pki, HNB_HOUR);
    hnb_tls_set_time(server, pki, HNB_HOUR);
    g_assert_cmpint(SSL_set_session(client, kept), ==, 1);
    handshake(client, server);
    g_assert_true(SSL_session_reused(client));
    g_assert_true(SSL_session_reused(server));
    g_assert_cmpint(SSL_get_verify_result(client), ==, X509_V_OK);
    SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(client);
    SSL_free(server);

    SSL_SESSION_free(kept);
    SSL_SESSION_free(full);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    hnb_tls_config_clear(&cfg);
    hnb_pki_free(pki);
}

static void test_strip_rejects_garbage(void)
{
    g_assert_null(hnb_tls_session_strip_peer(NULL));
    SSL_SESSION *empty = SSL_SESSION_new(); /* no cipher: OpenSSL will not encode it */
    g_assert_null(hnb_tls_session_strip_peer(empty));
    g_assert_null(tls_der_of(empty));
    tls_der_unref(NULL);
    SSL_SESSION_free(empty);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tls-session/strip-and-resume", test_strip_and_resume);
    g_test_add_func("/tls-session/strip-rejects-garbage", test_strip_rejects_garbage);
    return g_test_run();
}
