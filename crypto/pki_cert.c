/* crypto/pki_cert.c — making keys and X.509 v3 certificates: every credential of the simulated PKI (CAs, the H(e)MS,
 * devices, signing, tools) comes from pki_make_cert with one of four roles (CA, TLS server, TLS client, code signing),
 * which decide basicConstraints, keyUsage and extendedKeyUsage; validity is placed relative to the [pki] epoch.
 */
#include "crypto/pki_private.h"

void pki_cred_free(HnbPkiCred *c)
{
    if (!c)
        return;
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    sk_X509_pop_free(c->chain, X509_free);
    g_free(c);
}

HnbPkiCred *pki_cred_new(X509 *cert, EVP_PKEY *key)
{
    HnbPkiCred *c = g_new0(HnbPkiCred, 1);
    c->cert = cert;
    c->key = key;
    c->chain = sk_X509_new_null();
    g_assert(c->chain);
    return c;
}

EVP_PKEY *pki_keygen(HnbPkiKeyType t)
{
    if (t == HNB_PKI_KEY_EC_P256)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)(t == HNB_PKI_KEY_RSA_4096 ? 4096 : 2048));
}

/* Unix seconds of simulated time t (ns since the epoch), rounded down. */
time_t pki_abs_time(const HnbPkiParams *p, HnbTime t)
{
    HnbTime s = t / HNB_SEC - (t % HNB_SEC < 0);
    return (time_t)(p->epoch + s);
}

static gboolean add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return FALSE;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

/* A certificate for `key` named cn (and SAN dns if given), issued by `issuer` (NULL: self-signed). */
X509 *pki_make_cert(const HnbPkiParams *p, EVP_PKEY *key, const char *org, const char *cn, const char *dns,
                    uint64_t serial, HnbTime issued_before, HnbTime lifetime, PkiRole role, const HnbPkiCred *issuer,
                    GError **error)
{
    X509 *x = X509_new();
    ASN1_INTEGER *sn = NULL;
    if (!x)
        SSL_FAIL("X509_new");
    if (X509_set_version(x, 2) != 1)
        SSL_FAIL("X509_set_version");
    sn = ASN1_INTEGER_new();
    if (!sn || ASN1_INTEGER_set_uint64(sn, serial) != 1 || X509_set_serialNumber(x, sn) != 1)
        SSL_FAIL("certificate serial");
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1)
        SSL_FAIL("certificate subject");
    if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name) != 1)
        SSL_FAIL("certificate issuer");
    if (!ASN1_TIME_set(X509_getm_notBefore(x), pki_abs_time(p, -issued_before)) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), pki_abs_time(p, lifetime - issued_before)))
        SSL_FAIL("certificate validity");
    if (X509_set_pubkey(x, key) != 1)
        SSL_FAIL("X509_set_pubkey");
    X509 *icert = issuer ? issuer->cert : x;
    gboolean ok = add_ext(x, icert, NID_subject_key_identifier, "hash") &&
                  add_ext(x, icert, NID_authority_key_identifier, "keyid:always");
    switch (role) {
    case PKI_ROLE_CA:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(x, icert, NID_key_usage, "critical,keyCertSign,cRLSign");
        break;
    case PKI_ROLE_SERVER:
        /* keyEncipherment only for RSA (the TLS RSA key exchange); an EC SeGW key only signs */
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, icert, NID_key_usage,
                     EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature") &&
             add_ext(x, icert, NID_ext_key_usage, "serverAuth");
        break;
    case PKI_ROLE_CLIENT:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, icert, NID_key_usage,
                     EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature") &&
             add_ext(x, icert, NID_ext_key_usage, "clientAuth");
        break;
    case PKI_ROLE_SIGNING:
        ok = ok && add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, icert, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, icert, NID_ext_key_usage, "codeSigning");
        break;
    }
    if (ok && dns) {
        g_autofree char *san = g_strdup_printf("DNS:%s", dns);
        ok = add_ext(x, icert, NID_subject_alt_name, san);
    }
    if (!ok)
        SSL_FAIL("certificate extensions");
    if (X509_sign(x, issuer ? issuer->key : key, EVP_sha256()) <= 0)
        SSL_FAIL("X509_sign");
    ASN1_INTEGER_free(sn);
    return x;
fail:
    ASN1_INTEGER_free(sn);
    X509_free(x);
    return NULL;
}

HnbPkiCred *pki_make_cred(const HnbPkiParams *p, HnbPkiKeyType kt, const char *org, const char *cn,
                          const char *dns, uint64_t serial, HnbTime issued_before, HnbTime lifetime, PkiRole role,
                          const HnbPkiCred *issuer, GError **error)
{
    EVP_PKEY *key = pki_keygen(kt);
    if (!key) {
        hnb_set_openssl_error(error, HNB_ERROR_RUN, "key generation");
        return NULL;
    }
    X509 *x = pki_make_cert(p, key, org, cn, dns, serial, issued_before, lifetime, role, issuer, error);
    if (!x) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return pki_cred_new(x, key);
}

gboolean pki_signed_by(X509 *x, const HnbPkiCred *issuer)
{
    int r = X509_verify(x, issuer->key);
    ERR_clear_error();
    return r == 1;
}
