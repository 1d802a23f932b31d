/* tools/bench/plain_handshake.c — the plain reference for `hnbsim bench handshake`: the loop any OpenSSL user writes.
 *
 * One thread, one SSL_CTX per side built once from the PEM files `hnbsim pki --out DIR --hnb 1` exports, then per
 * handshake: two SSL_new, a BIO pair, SSL_do_handshake on both ends in turn until both finish, SSL_free.  Nothing is
 * reused between handshakes, nothing is tuned.  The profile and the checks are the engine's, so the comparison is
 * about how the work is organised, not about work left out: TLS 1.2 only, AES128-SHA only, the server demands and
 * verifies the client certificate against the manufacturer CA with the CRL checked, the client verifies the H(e)MS
 * chain to the operator root and its name.  Certificates are checked against the current time (the export's are
 * valid for years around its epoch).
 *
 * Usage: plain-handshake --pki DIR [--count N] [--host NAME]
 * Last stdout line: plain_full_hs_per_s=<n>.  Exit 1 if any handshake fails, 2 on bad arguments or files.
 *
 * Only OpenSSL and libc on purpose: nothing of hnbsim's may speed this loop up or slow it down.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *dir;

static void die(int code, const char *what)
{
    fprintf(stderr, "plain-handshake: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(code);
}

static char *path(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static SSL_CTX *ctx_new(const SSL_METHOD *m)
{
    SSL_CTX *ctx = SSL_CTX_new(m);
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, "AES128-SHA") != 1)
        die(2, "SSL_CTX setup");
    return ctx;
}

static SSL_CTX *server_ctx(void)
{
    SSL_CTX *ctx = ctx_new(TLS_server_method());
    if (SSL_CTX_use_certificate_file(ctx, path("hems.pem"), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, path("hems.key"), SSL_FILETYPE_PEM) != 1)
        die(2, "hems.pem / hems.key");
    if (SSL_CTX_load_verify_locations(ctx, path("mfr.pem"), NULL) != 1)
        die(2, "mfr.pem");
    FILE *f = fopen(path("crl.pem"), "r");
    X509_CRL *crl = f ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!crl || X509_STORE_add_crl(SSL_CTX_get_cert_store(ctx), crl) != 1)
        die(2, "crl.pem");
    X509_CRL_free(crl);
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return ctx;
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = ctx_new(TLS_client_method());
    if (SSL_CTX_load_verify_locations(ctx, path("root.pem"), NULL) != 1)
        die(2, "root.pem");
    if (SSL_CTX_use_certificate_file(ctx, path("dev0.pem"), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, path("dev0.key"), SSL_FILETYPE_PEM) != 1)
        die(2, "dev0.pem / dev0.key (export with `hnbsim pki --out DIR --hnb 1`)");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

/* One end's step: 1 done, 0 waiting for the other end, -1 failed. */
static int step(SSL *ssl)
{
    int r = SSL_do_handshake(ssl);
    if (r == 1)
        return 1;
    int e = SSL_get_error(ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static void handshake(SSL_CTX *sctx, SSL_CTX *cctx, const char *host, long n)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb, *sb;
    if (!c || !s || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
        die(1, "SSL_new");
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    if (SSL_set1_host(c, host) != 1 || SSL_set_tlsext_host_name(c, host) != 1)
        die(1, "host name");
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    int cd = 0, sd = 0;
    for (int round = 0; round < 32 && !(cd == 1 && sd == 1); round++) {
        if (cd != 1 && (cd = step(c)) < 0)
            break;
        if (sd != 1 && (sd = step(s)) < 0)
            break;
    }
    if (cd != 1 || sd != 1 || SSL_get_verify_result(c) != X509_V_OK || SSL_get_verify_result(s) != X509_V_OK ||
        SSL_version(c) != TLS1_2_VERSION || strcmp(SSL_CIPHER_get_name(SSL_get_current_cipher(c)), "AES128-SHA") != 0) {
        fprintf(stderr, "plain-handshake: handshake %ld failed (client verify: %s, server verify: %s)\n", n,
                X509_verify_cert_error_string(SSL_get_verify_result(c)),
                X509_verify_cert_error_string(SSL_get_verify_result(s)));
        die(1, "handshake");
    }
    SSL_free(c);
    SSL_free(s);
}

int main(int argc, char **argv)
{
    long count = 2000;
    const char *host = "hems.operator.example";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pki") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else {
            fprintf(stderr, "usage: plain-handshake --pki DIR [--count N] [--host NAME]\n");
            return 2;
        }
    }
    if (!dir || count < 1) {
        fprintf(stderr, "plain-handshake: --pki DIR is required and --count must be >= 1\n");
        return 2;
    }
    SSL_CTX *sctx = server_ctx(), *cctx = client_ctx();
    /* warm-up, untimed: the library's lazily built tables */
    for (long n = 0; n < 20; n++)
        handshake(sctx, cctx, host, -1 - n);
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    for (long n = 0; n < count; n++)
        handshake(sctx, cctx, host, n);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* CPU time per handshake says the same as the rate on a quiet machine and stays meaningful on a busy one */
    printf("handshakes=%ld seconds=%.3f cpu_per_handshake_us=%.1f (both ends, full)\n", count, secs,
           cpu / (double)count * 1e6);
    printf("plain_full_hs_per_s=%.0f\n", (double)count / secs);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    return 0;
}
