/* crypto/profile.c — the TS 33.320 clause 8.3.4 rules and the RFC 5246 Appendix A.5 suites (see profile.h).
 *
 * The words below are printed by `hnbsim check` into the results of every run (report.html); keep them unchanged
 * unless results are meant to change.
 */
#include "crypto/profile.h"

static const HnbProfileRuleInfo rules[HNB_PROFILE_RULE_COUNT] = {
    [HNB_PROFILE_SSL3] = {"ssl3", "SSL 3.0 shall not be used as it is outdated.",
                          "SSL 3.0 is within the configured protocol bounds",
                          "not testable: OpenSSL 3 is built without SSL 3.0, so it cannot be offered", FALSE},
    [HNB_PROFILE_TLS10] = {"tls1.0", "[profile] TLS 1.0 shall not be used.",
                           "TLS 1.0 is within the configured protocol bounds",
                           "a handshake offering only TLS 1.0 is refused", TRUE},
    [HNB_PROFILE_VERSIONS] = {"versions", "At least TLS 1.1 shall be supported. TLS 1.2 should be supported.",
                              "TLS 1.1 or 1.2 is usable at the context's security level (TLS 1.2 or a WARN)",
                              "a handshake offering only TLS 1.1, and one offering only TLS 1.2, is accepted", TRUE},
    [HNB_PROFILE_CERT_ONLY] = {"certificates-only",
                               "Shared-secret-based authentication between H(e)NB acting as CPE and H(e)MS acting as "
                               "ACS shall not be allowed. Only certificate-based authentication shall be allowed.",
                               "no PSK/SRP suite is enabled and the H(e)MS demands a client certificate",
                               "PSK and SRP suites offered one at a time are refused, and the server's certificate "
                               "chains to the operator root CA",
                               TRUE},
    [HNB_PROFILE_TLS_TRANSPORT] = {"tls-transport",
                                   "The use of TLS to transport the CPE WAN Management Protocol shall be mandatory ...",
                                   "the simulated H(e)MS speaks only HTTPS",
                                   "not a property of the server: the probe only ever speaks TLS", FALSE},
    [HNB_PROFILE_HTTPS_URL] = {"https-url", "The H(e)MS URI shall be specified as an HTTPS URL ...",
                               "the HNB's URL is https://<hems_fqdn>/",
                               "not a property of the server: the probe refuses a URL that is not https://", FALSE},
    [HNB_PROFILE_AES128_SHA] = {"aes128-sha",
                                "The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory.",
                                "AES128-SHA is enabled at a usable version",
                                "a handshake offering only AES128-SHA, at the best version the server takes, is "
                                "accepted",
                                TRUE},
    [HNB_PROFILE_A5_ONLY] = {"a5-only",
                             "Only TLS cipher suites listed in TLS 1.2 shall be used. Ciphersuites with RC4 shall not "
                             "be used.",
                             "every enabled suite is an RFC 5246 Appendix A.5 suite and none uses RC4",
                             "suites outside A.5, TLS 1.3 and RC4 suites offered one at a time are refused", TRUE},
    [HNB_PROFILE_NO_WEAK] = {"no-weak", "[profile] No NULL, anonymous, export or 3DES suites.",
                             "no enabled suite is without encryption or authentication, export grade or 3DES",
                             "NULL, anonymous and 3DES suites offered one at a time are refused", TRUE},
    [HNB_PROFILE_NO_WAIT] = {"no-wait",
                             "The H(e)NB acting as CPE shall not be obliged to wait until it has accurate absolute "
                             "time before it contacts the H(e)MS acting as ACS.",
                             "the simulated HNB connects with its local clock",
                             "not a property of the server: it concerns the client", FALSE},
    [HNB_PROFILE_LOCAL_CLOCK] = {"local-clock",
                                 "If the H(e)NB contacts the H(e)MS without having the accurate absolute time, it "
                                 "shall not ignore components of the H(e)MS certificate related to absolute time ... "
                                 "but use the local clock.",
                                 "the HNB's context checks certificate validity (no X509_V_FLAG_NO_CHECK_TIME)",
                                 "the server's certificate is valid by the probe's clock now", TRUE},
    [HNB_PROFILE_CLIENT_CERT] = {"client-cert",
                                 "The support for H(e)NB authentication using client-side (CPE side) certificates "
                                 "shall be mandatory.",
                                 "the H(e)MS asks for a client certificate",
                                 "a handshake without a client certificate is refused after the server asked for one",
                                 TRUE},
    [HNB_PROFILE_IDENTITY] = {"identity",
                              "The H(e)NB acting as CPE shall be authenticated to the H(e)MS by the globally unique "
                              "H(e)NB identity contained in the H(e)NB certificate.",
                              "the H(e)MS demands a client certificate, whose identity must match the CWMP DeviceId",
                              "not testable from the TLS handshake: the identity is compared with the CWMP DeviceId "
                              "after it",
                              FALSE},
    [HNB_PROFILE_HOSTNAME] = {"hostname", "[profile] The HNB checks the H(e)MS certificate name against the URL host.",
                              "the HNB sets the host to check (SSL_set1_host)",
                              "the server's certificate names the URL host (subjectAltName or CN)", TRUE},
};

const HnbProfileRuleInfo *hnb_profile_rule(HnbProfileRule r)
{
    g_return_val_if_fail(r < HNB_PROFILE_RULE_COUNT, NULL);
    return &rules[r];
}

/* RFC 5246 Appendix A.5, by IANA code point. */
static const uint16_t a5_suites[] = {
    0x0000, 0x0001, 0x0002, 0x003B, 0x0004, 0x0005, 0x000A, 0x002F, 0x0035, 0x003C, 0x003D, /* RSA */
    0x000D, 0x0010, 0x0013, 0x0016, 0x0030, 0x0031, 0x0032, 0x0033, 0x0036, 0x0037, 0x0038, 0x0039, /* DH/DHE */
    0x003E, 0x003F, 0x0040, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x0018, 0x001B, 0x0034, 0x003A, 0x006C, 0x006D, /* DH_anon */
};

gboolean hnb_profile_in_a5(uint16_t id)
{
    for (size_t i = 0; i < G_N_ELEMENTS(a5_suites); i++)
        if (a5_suites[i] == id)
            return TRUE;
    return FALSE;
}

static const char *const non_a5[] = {
    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "AES128-GCM-SHA256", "AES256-GCM-SHA384",
    "DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
    "CAMELLIA128-SHA", "AES128-CCM", "ECDHE-RSA-DES-CBC3-SHA",
};
/* DES-CBC3-SHA is in A.5 (TLS_RSA_WITH_3DES_EDE_CBC_SHA, 0x000A) but refused by the profile, like NULL and anon. */
static const char *const weak[] = {"NULL-SHA", "NULL-SHA256", "NULL-MD5", "ADH-AES128-SHA", "ADH-AES256-SHA256",
                                   "DES-CBC3-SHA"};
static const char *const rc4[] = {"RC4-SHA", "RC4-MD5"};
static const char *const shared_secret[] = {"PSK-AES128-CBC-SHA", "RSA-PSK-AES128-CBC-SHA", "DHE-PSK-AES128-CBC-SHA",
                                            "SRP-AES-128-CBC-SHA"};

const char *const *hnb_profile_offers(HnbProfileOffer which, size_t *n)
{
    static const struct {
        const char *const *list;
        size_t n;
    } offers[HNB_PROFILE_OFFER_COUNT] = {
        [HNB_PROFILE_OFFER_NON_A5] = {non_a5, G_N_ELEMENTS(non_a5)},
        [HNB_PROFILE_OFFER_WEAK] = {weak, G_N_ELEMENTS(weak)},
        [HNB_PROFILE_OFFER_RC4] = {rc4, G_N_ELEMENTS(rc4)},
        [HNB_PROFILE_OFFER_SHARED_SECRET] = {shared_secret, G_N_ELEMENTS(shared_secret)},
    };
    g_return_val_if_fail(which < HNB_PROFILE_OFFER_COUNT, NULL);
    *n = offers[which].n;
    return offers[which].list;
}
