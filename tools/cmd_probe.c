/* tools/cmd_probe.c — `hnbsim probe https://HOST:PORT`: act as an HNB against a real server and print how it measures
 * up to the TR-069 TLS profile of TS 33.320 §8.3.4: the rules of crypto/profile.h in their order and words (the same
 * as `hnbsim check` prints), each with one or more findings (PASS / FAIL / WARN), or "--" with why a rule is not a
 * property of a server.
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
#include "crypto/profile.h"
#include "crypto/tls.h"
#include "tools/cli.h"
#include "tools/probe_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the table -------------------------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int version;
} versions[] = {
    {"TLS 1.0", TLS1_VERSION},
    {"TLS 1.1", TLS1_1_VERSION},
    {"TLS 1.2", TLS1_2_VERSION},
    {"TLS 1.3", TLS1_3_VERSION},
};
enum { V10, V11, V12, V13 };

/* One probe of a server: the handshakes every rule may look at, the tally of verdicts, a probe failure. */
typedef struct {
    const Probe *p;
    Attempt by_version[G_N_ELEMENTS(versions)]; /* one handshake per version, every suite offered */
    gboolean acc[G_N_ELEMENTS(versions)];       /* ... which the server took */
    int best;              /* the suite questions' version: the best the server takes, at most TLS 1.2 */
    const Attempt *usual;  /* the handshake whose server certificate is checked: as an HNB would see it */
    unsigned fails, warns;
    GError *error;         /* why the probe itself could not go on */
} Run;

static void line(Run *run, const char *verdict, HnbProfileRule rule, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void line(Run *run, const char *verdict, HnbProfileRule rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *finding = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (strcmp(verdict, "FAIL") == 0)
        run->fails++;
    else if (strcmp(verdict, "WARN") == 0)
        run->warns++;
    printf("%-4s  %s\n      -> %s\n", verdict, hnb_profile_rule(rule)->words, finding);
}

/* Offer each suite of list `which` alone at TLS 1.2 and report on `rule`: FAIL "<accepts><the suites the server
 * chose>", else PASS "<refuses><the suites tried>" (WARN if this OpenSSL has none of them).  FALSE on a probe failure
 * (run->error set). */
static gboolean offer_forbidden(Run *run, HnbProfileRule rule, HnbProfileOffer which, const char *accepts,
                                const char *refuses)
{
    g_autoptr(GString) accepted = g_string_new(NULL), tried = g_string_new(NULL);
    size_t n;
    const char *const *list = hnb_profile_offers(which, &n);
    for (size_t i = 0; i < n; i++) {
        Attempt a;
        gboolean unavailable;
        if (!probe_attempt(run->p, TLS1_2_VERSION, TLS1_2_VERSION, list[i], TRUE, &a, &unavailable, &run->error))
            return FALSE;
        if (!unavailable) {
            g_string_append_printf(tried, "%s%s", tried->len ? " " : "", list[i]);
            if (a.chosen)
                g_string_append_printf(accepted, "%s%s", accepted->len ? " " : "", list[i]);
        }
        probe_attempt_clear(&a);
    }
    if (accepted->len)
        line(run, "FAIL", rule, "%s%s", accepts, accepted->str);
    else if (tried->len)
        line(run, "PASS", rule, "%s%s", refuses, tried->str);
    else
        line(run, "WARN", rule, "not testable: this OpenSSL has none of the suites %s..%s", list[0], list[n - 1]);
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

/* The server certificate of the usual handshake, or NULL after a FAIL line for `rule`. */
static X509 *server_cert(Run *run, HnbProfileRule rule)
{
    if (!run->usual->server_cert)
        line(run, "FAIL", rule, "no server certificate was seen (no handshake got that far)");
    return run->usual->server_cert;
}

/* ---- one test per rule (what each tests: crypto/profile.c) ------------------------------------------------------ */

static gboolean live_ssl3(Run *run)
{
    line(run, "WARN", HNB_PROFILE_SSL3, "not testable: OpenSSL %s cannot offer SSL 3.0 (built without it)",
         OpenSSL_version(OPENSSL_VERSION_STRING));
    return TRUE;
}

static gboolean live_tls10(Run *run)
{
    if (run->acc[V10])
        line(run, "FAIL", HNB_PROFILE_TLS10, "accepts TLS 1.0 (%s)", run->by_version[V10].cipher);
    else
        line(run, "PASS", HNB_PROFILE_TLS10, "refuses TLS 1.0 (%s)", run->by_version[V10].why);
    return TRUE;
}

static gboolean live_versions(Run *run)
{
    const Attempt *v = run->by_version;
    if (!run->acc[V11] && !run->acc[V12])
        line(run, "FAIL", HNB_PROFILE_VERSIONS, "refuses TLS 1.1 (%s) and TLS 1.2 (%s)", v[V11].why, v[V12].why);
    else if (!run->acc[V12])
        line(run, "WARN", HNB_PROFILE_VERSIONS, "accepts TLS 1.1 (%s), refuses TLS 1.2 (%s)", v[V11].cipher,
             v[V12].why);
    else
        line(run, "PASS", HNB_PROFILE_VERSIONS, "accepts%s TLS 1.2 (%s)", run->acc[V11] ? " TLS 1.1 and" : "",
             v[V12].cipher);
    return TRUE;
}

/* Shared-secret suites refused, and the server authenticated by a certificate chaining to the operator root CA (time
 * ignored there: the validity is the local-clock rule's). */
static gboolean live_cert_only(Run *run)
{
    if (!offer_forbidden(run, HNB_PROFILE_CERT_ONLY, HNB_PROFILE_OFFER_SHARED_SECRET, "accepts ",
                         "refuses PSK/SRP suites: "))
        return FALSE;
    X509 *cert = server_cert(run, HNB_PROFILE_CERT_ONLY);
    if (!cert)
        return TRUE;
    X509_STORE_CTX *vc = X509_STORE_CTX_new();
    X509_STORE_CTX_init(vc, run->p->roots, cert, run->usual->server_chain);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(vc), X509_V_FLAG_NO_CHECK_TIME);
    if (X509_verify_cert(vc) == 1) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(vc);
        g_autofree char *top = name_of(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)));
        line(run, "PASS", HNB_PROFILE_CERT_ONLY, "the server's certificate chains to %s", top);
    } else {
        g_autofree char *issuer = name_of(X509_get_issuer_name(cert));
        line(run, "FAIL", HNB_PROFILE_CERT_ONLY, "the server's certificate does not chain to %s: %s (issuer %s)",
             run->p->root_name, X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)), issuer);
    }
    X509_STORE_CTX_free(vc);
    return TRUE;
}

static gboolean live_aes128_sha(Run *run)
{
    Attempt a;
    if (!probe_attempt(run->p, run->best, run->best, "AES128-SHA", TRUE, &a, NULL, &run->error))
        return FALSE;
    if (a.chosen)
        line(run, "PASS", HNB_PROFILE_AES128_SHA, "accepts AES128-SHA with %s", a.version);
    else
        line(run, "FAIL", HNB_PROFILE_AES128_SHA, "refuses AES128-SHA (%s)", a.why);
    probe_attempt_clear(&a);
    return TRUE;
}

/* Suites outside A.5 (tried at TLS 1.2), TLS 1.3 (whose suites are not RFC 5246 suites) and RC4. */
static gboolean live_a5_only(Run *run)
{
    if (!offer_forbidden(run, HNB_PROFILE_A5_ONLY, HNB_PROFILE_OFFER_NON_A5, "accepts suites outside RFC 5246 A.5: ",
                         "refuses every non-A.5 suite tried: "))
        return FALSE;
    if (run->acc[V13])
        line(run, "FAIL", HNB_PROFILE_A5_ONLY, "accepts TLS 1.3 (%s), whose suites are not RFC 5246 suites",
             run->by_version[V13].cipher);
    else
        line(run, "PASS", HNB_PROFILE_A5_ONLY, "refuses TLS 1.3 (its suites are not RFC 5246 suites)");
    return offer_forbidden(run, HNB_PROFILE_A5_ONLY, HNB_PROFILE_OFFER_RC4, "accepts RC4: ", "refuses RC4: ");
}

static gboolean live_no_weak(Run *run)
{
    return offer_forbidden(run, HNB_PROFILE_NO_WEAK, HNB_PROFILE_OFFER_WEAK, "accepts ",
                           "refuses NULL, anonymous and 3DES suites: ");
}

static gboolean live_local_clock(Run *run)
{
    X509 *cert = server_cert(run, HNB_PROFILE_LOCAL_CLOCK);
    if (!cert)
        return TRUE;
    g_autofree char *nb = time_of(X509_get0_notBefore(cert)), *na = time_of(X509_get0_notAfter(cert));
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
        line(run, "FAIL", HNB_PROFILE_LOCAL_CLOCK, "not yet valid: notBefore %s is in the future", nb);
    else if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        line(run, "FAIL", HNB_PROFILE_LOCAL_CLOCK, "expired: notAfter %s has passed", na);
    else
        line(run, "PASS", HNB_PROFILE_LOCAL_CLOCK, "valid now (%s to %s)", nb, na);
    return TRUE;
}

static gboolean live_client_cert(Run *run)
{
    Attempt a;
    if (!probe_attempt(run->p, run->best, run->best, "AES128-SHA:ALL", FALSE, &a, NULL, &run->error))
        return FALSE;
    if (a.completed)
        line(run, "FAIL", HNB_PROFILE_CLIENT_CERT, "completes a handshake without a client certificate (%s)",
             a.cert_requested ? "asked for one but did not demand it" : "never asked for one");
    else if (!a.cert_requested)
        line(run, "WARN", HNB_PROFILE_CLIENT_CERT,
             "refused a handshake without a client certificate but never asked for one (%s)", a.why);
    else
        line(run, "PASS", HNB_PROFILE_CLIENT_CERT, "demands a client certificate (without one: %s)", a.why);
    probe_attempt_clear(&a);
    return TRUE;
}

static gboolean live_hostname(Run *run)
{
    X509 *cert = server_cert(run, HNB_PROFILE_HOSTNAME);
    if (!cert)
        return TRUE;
    const char *host = run->p->host;
    int ok = probe_is_ip_literal(host) ? X509_check_ip_asc(cert, host, 0) : X509_check_host(cert, host, 0, 0, NULL);
    g_autofree char *subject = name_of(X509_get_subject_name(cert));
    if (ok == 1)
        line(run, "PASS", HNB_PROFILE_HOSTNAME, "certificate %s matches \"%s\"", subject, host);
    else
        line(run, "FAIL", HNB_PROFILE_HOSTNAME,
             "certificate %s does not name \"%s\" (neither in subjectAltName nor CN)", subject, host);
    return TRUE;
}

/* NULL: the rule is not a property of a server (the table's `live` says why); printed as "--". */
static gboolean (*const live[HNB_PROFILE_RULE_COUNT])(Run *) = {
    [HNB_PROFILE_SSL3] = live_ssl3,
    [HNB_PROFILE_TLS10] = live_tls10,
    [HNB_PROFILE_VERSIONS] = live_versions,
    [HNB_PROFILE_CERT_ONLY] = live_cert_only,
    [HNB_PROFILE_AES128_SHA] = live_aes128_sha,
    [HNB_PROFILE_A5_ONLY] = live_a5_only,
    [HNB_PROFILE_NO_WEAK] = live_no_weak,
    [HNB_PROFILE_LOCAL_CLOCK] = live_local_clock,
    [HNB_PROFILE_CLIENT_CERT] = live_client_cert,
    [HNB_PROFILE_HOSTNAME] = live_hostname,
};

/* ---- the probe -------------------------------------------------------------------------------------------------- */

/* One handshake per protocol version, every suite offered: what the version rules read, and the best version for the
 * suite questions.  FALSE on a probe failure (run->error set; the attempts made are cleared). */
static gboolean probe_versions(Run *run)
{
    const char *all = "ALL:COMPLEMENTOFALL";
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++) {
        if (!probe_attempt(run->p, versions[i].version, versions[i].version, all, TRUE, &run->by_version[i], NULL,
                     &run->error)) {
            for (size_t k = 0; k < i; k++)
                probe_attempt_clear(&run->by_version[k]);
            return FALSE;
        }
        run->acc[i] = run->by_version[i].chosen;
    }
    run->best = run->acc[V12] ? TLS1_2_VERSION : run->acc[V11] ? TLS1_1_VERSION
                : run->acc[V10]                ? TLS1_VERSION
                                               : TLS1_2_VERSION;
    run->usual = &run->by_version[run->acc[V12] ? V12 : run->acc[V11] ? V11 : run->acc[V10] ? V10 : V13];
    return TRUE;
}

static int run_probe(const Probe *p, const char *url)
{
    Run run = {.p = p};
    if (!probe_versions(&run)) {
        fprintf(stderr, "hnbsim probe: %s\n", run.error->message);
        g_error_free(run.error);
        return HNB_EXIT_RUN;
    }
    printf("hnbsim probe %s — TS 33.320 §8.3.4 TR-069 TLS profile\n", url);
    printf("versions: SSL 3.0 not testable");
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++)
        printf(", %s %s", versions[i].name, run.acc[i] ? "accepted" : "refused");
    printf("\n\n");
    gboolean ok = TRUE;
    for (int r = 0; r < HNB_PROFILE_RULE_COUNT && ok; r++) {
        if (live[r])
            ok = live[r](&run);
        else
            printf("%-4s  %s\n      -> %s\n", "--", hnb_profile_rule(r)->words, hnb_profile_rule(r)->live);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(versions); i++)
        probe_attempt_clear(&run.by_version[i]);
    if (!ok) {
        fflush(stdout);
        fprintf(stderr, "hnbsim probe: %s\n", run.error->message);
        g_error_free(run.error);
        return HNB_EXIT_RUN;
    }
    printf("\n%s: %u FAIL, %u WARN\n", run.fails ? "NOT COMPLIANT" : "COMPLIANT", run.fails, run.warns);
    return run.fails ? HNB_EXIT_RUN : HNB_EXIT_OK;
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
    if (!parse_url(argv[1], &p, &error) || !probe_load_pki(&p, pki_dir, (int)hnb, &error)) {
        rc = hnb_cli_fail(error);
    } else {
        p.connect_host = g_strdup(connect_to ? connect_to : p.host);
        signal(SIGPIPE, SIG_IGN);
        rc = run_probe(&p, argv[1]);
    }
    probe_clear(&p);
    return rc;
}
