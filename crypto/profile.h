/* crypto/profile.h — the TR-069 TLS profile of TS 33.320 clause 8.3.4 as one table of rules, shared by the two
 * checkers: `hnbsim check` decides each rule from a [tls] configuration (crypto/tls_check.c), `hnbsim probe` tests
 * each against a live server (tools/cmd_probe.c).  Both print a rule with the words given here, so a rule reads the
 * same in a report, on the terminal and in a test.
 *
 * The words are the clause's (an ellipsis marks a shortened one, e.g. the TR-069 URI and transport rules), or, marked
 * "[profile]", hnbsim's reading of it (TLS 1.0 refused, no NULL/anonymous/export/3DES suites, the H(e)MS name
 * checked).  They appear in the results of runs (report.html's clause 8.3.4 table): changing them changes results.
 *
 * The cipher-suite facts are here too: the suites of RFC 5246 Appendix A.5 by IANA code point (what "only TLS cipher
 * suites listed in TLS 1.2" allows) and the suites a live test offers to see whether a server takes what the profile
 * forbids.
 */
#ifndef HNB_PROFILE_H
#define HNB_PROFILE_H

#include <glib.h>
#include <stdint.h>

/* The rules in the order both checkers print them. */
typedef enum {
    HNB_PROFILE_SSL3,          /* SSL 3.0 shall not be used */
    HNB_PROFILE_TLS10,         /* [profile] TLS 1.0 shall not be used */
    HNB_PROFILE_VERSIONS,      /* at least TLS 1.1 shall, TLS 1.2 should be supported */
    HNB_PROFILE_CERT_ONLY,     /* no shared-secret authentication, certificates only */
    HNB_PROFILE_TLS_TRANSPORT, /* TLS mandatory for CWMP */
    HNB_PROFILE_HTTPS_URL,     /* the H(e)MS URI is an HTTPS URL */
    HNB_PROFILE_AES128_SHA,    /* RSA_WITH_AES_128_CBC_SHA mandatory */
    HNB_PROFILE_A5_ONLY,       /* only RFC 5246 suites, no RC4 */
    HNB_PROFILE_NO_WEAK,       /* [profile] no NULL, anonymous, export or 3DES suites */
    HNB_PROFILE_NO_WAIT,       /* the HNB need not wait for accurate absolute time */
    HNB_PROFILE_LOCAL_CLOCK,   /* ... but checks the H(e)MS certificate's validity against its local clock */
    HNB_PROFILE_CLIENT_CERT,   /* client certificates supported */
    HNB_PROFILE_IDENTITY,      /* the HNB is authenticated by the identity in its certificate */
    HNB_PROFILE_HOSTNAME,      /* [profile] the HNB checks the H(e)MS certificate name against the URL host */
    HNB_PROFILE_RULE_COUNT
} HnbProfileRule;

typedef struct {
    const char *id;     /* a short stable name: "ssl3", "tls1.0", "versions", ... */
    const char *words;  /* what both checkers print for the rule */
    const char *config; /* how `hnbsim check` decides it from a configuration */
    const char *live;   /* how `hnbsim probe` tests it against a server, or why it cannot */
    gboolean testable;  /* whether a server's behaviour shows it (FALSE: a property of the client or the URL) */
} HnbProfileRuleInfo;

/* The rule r (r < HNB_PROFILE_RULE_COUNT); static storage. */
const HnbProfileRuleInfo *hnb_profile_rule(HnbProfileRule r);

/* The IANA code point of TLS_RSA_WITH_AES_128_CBC_SHA (OpenSSL: AES128-SHA), the suite the clause makes mandatory. */
#define HNB_PROFILE_AES128_SHA_ID 0x002F

/* Whether the suite with IANA code point id is listed in RFC 5246 Appendix A.5. */
gboolean hnb_profile_in_a5(uint16_t id);

/* Suites a live test offers one at a time (OpenSSL names; a caller skips those its library lacks). */
typedef enum {
    HNB_PROFILE_OFFER_NON_A5,        /* outside RFC 5246 A.5: GCM, ECDHE, CCM, Camellia, ChaCha20 (A5_ONLY) */
    HNB_PROFILE_OFFER_WEAK,          /* in A.5 but never acceptable: NULL, anonymous, 3DES (NO_WEAK) */
    HNB_PROFILE_OFFER_RC4,           /* RC4 (A5_ONLY) */
    HNB_PROFILE_OFFER_SHARED_SECRET, /* RFC 4279 PSK, RFC 5054 SRP (CERT_ONLY) */
    HNB_PROFILE_OFFER_COUNT
} HnbProfileOffer;

/* The suites of list `which`, *n of them; static storage. */
const char *const *hnb_profile_offers(HnbProfileOffer which, size_t *n);

#endif
