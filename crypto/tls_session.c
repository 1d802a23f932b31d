/* crypto/tls_session.c — the TLS sessions HNBs keep between CWMP sessions (the HnbTlsSession handle: the HNB's
 * session, the ACS's copy for session IDs, the identity it was authenticated with), without the peer's certificate.
 *
 * Why.  A fleet keeps one session per HNB for resumption, and after a full handshake OpenSSL's SSL_SESSION holds the
 * peer's certificate parsed: the H(e)MS certificate on the HNB's side, the device certificate in the ACS's copy.  A
 * parsed X509 costs ~6 KB (measured: 20,000 device certificates decoded and their extensions cached), so kept
 * sessions were ~14 KB per HNB, 1.4 GB for 100k HNBs.  Neither end needs the certificate to resume: a TLS 1.2
 * abbreviated handshake carries no certificates, the HNB checked the H(e)MS's when the session was made, and the
 * ACS's identity rule is applied to the identity the session was authenticated with (kept beside it).
 *
 * How.  OpenSSL has no call that drops a session's peer certificate, but the session's own encoding (i2d_SSL_SESSION,
 * ssl/ssl_asn1.c) is a SEQUENCE in which the peer certificate is the optional field [3] EXPLICIT.  We re-encode the
 * sequence without that field and keep that encoding (TlsDer), decoding it once to know it decodes: the same session
 * (id, master secret, cipher, version, verify result, ticket) with no certificate, a few hundred bytes with session
 * IDs where the decoded session is ~1 KB (issue 16: a national fleet keeps one or two per HNB).  It is decoded again
 * each time it is offered or looked up, as the decoded one was duplicated before; none of this parses a certificate.
 */
#include "crypto/tls_private.h"

#include <openssl/asn1.h>
#include <string.h>

#define PEER_TAG 3 /* [3] EXPLICIT Certificate OPTIONAL in OpenSSL's SSL_SESSION_ASN1 */

TlsDer *tls_der_of(SSL_SESSION *s)
{
    unsigned char *der = NULL, *out = NULL;
    TlsDer *stripped = NULL;
    int len = s ? i2d_SSL_SESSION(s, &der) : 0;
    if (len <= 0)
        goto done;
    const unsigned char *p = der;
    long body_len;
    int tag, xclass;
    if ((ASN1_get_object(&p, &body_len, &tag, &xclass, len) & 0x80) || tag != V_ASN1_SEQUENCE ||
        xclass != V_ASN1_UNIVERSAL)
        goto done;
    const unsigned char *end = p + body_len;
    /* the fields we keep, copied as they are; the new header is never longer than the old one */
    out = OPENSSL_malloc((size_t)len);
    if (!out)
        goto done;
    int hdr = ASN1_object_size(1, body_len, V_ASN1_SEQUENCE) - (int)body_len;
    unsigned char *q = out + hdr;
    size_t kept = 0;
    while (p < end) {
        const unsigned char *field = p;
        long flen;
        if (ASN1_get_object(&p, &flen, &tag, &xclass, end - p) & 0x80)
            goto done;
        p += flen;
        if (xclass == V_ASN1_CONTEXT_SPECIFIC && tag == PEER_TAG)
            continue;
        memcpy(q + kept, field, (size_t)(p - field));
        kept += (size_t)(p - field);
    }
    /* write the SEQUENCE header for the shorter body just before it */
    int new_hdr = ASN1_object_size(1, (int)kept, V_ASN1_SEQUENCE) - (int)kept;
    unsigned char *start = out + hdr - new_hdr, *h = start;
    ASN1_put_object(&h, 1, (int)kept, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    long total = new_hdr + (long)kept;
    /* decoded once here, so that what is kept is known to decode (as the decoded session kept before did) */
    const unsigned char *r = start;
    SSL_SESSION *check = d2i_SSL_SESSION(NULL, &r, total);
    if (!check || total > G_MAXUINT32)
        goto done;
    SSL_SESSION_free(check);
    stripped = g_malloc(sizeof *stripped + (size_t)total);
    stripped->ref = 1;
    stripped->len = (guint32)total;
    memcpy(stripped->data, start, (size_t)total);
done:
    OPENSSL_free(der);
    OPENSSL_free(out);
    return stripped;
}

TlsDer *tls_der_ref(TlsDer *d)
{
    g_atomic_int_inc(&d->ref);
    return d;
}

void tls_der_unref(TlsDer *d)
{
    if (d && g_atomic_int_dec_and_test(&d->ref))
        g_free(d);
}

SSL_SESSION *tls_der_session(const TlsDer *d)
{
    const unsigned char *p = d->data;
    return d2i_SSL_SESSION(NULL, &p, (long)d->len);
}

SSL_SESSION *hnb_tls_session_strip_peer(SSL_SESSION *s)
{
    TlsDer *d = tls_der_of(s);
    SSL_SESSION *out = d ? tls_der_session(d) : NULL;
    tls_der_unref(d);
    return out;
}

void hnb_tls_session_free(HnbTlsSession *s)
{
    if (!s)
        return;
    tls_der_unref(s->client);
    tls_der_unref(s->server);
    g_free(s->identity);
    g_free(s);
}

HnbTime hnb_tls_session_created(const HnbTlsSession *s) { return s ? s->created : HNB_TIME_NEVER; }
void hnb_tls_session_set_created(HnbTlsSession *s, HnbTime t) { s->created = t; }
