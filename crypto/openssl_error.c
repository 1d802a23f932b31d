/* crypto/openssl_error.c — OpenSSL's error queue as an hnbsim error (crypto/openssl_error.h). */
#include "crypto/openssl_error.h"

#include <openssl/err.h>

void hnb_set_openssl_error(GError **error, int code, const char *what)
{
    GString *s = g_string_new(what);
    unsigned long e;
    const char *sep = ": ";
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        g_string_append_printf(s, "%s%s", sep, buf);
        sep = "; ";
    }
    if (*sep == ':')
        g_string_append(s, ": (no OpenSSL error)");
    g_set_error_literal(error, HNB_ERROR, code, s->str);
    g_string_free(s, TRUE);
}
