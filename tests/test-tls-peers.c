/* tests/test-tls-peers.c — the TLS endpoints against real peers over real loopback sockets: `openssl s_client`
 * against `hnbsim acs` (what the §8.3.4 profile accepts and what it refuses), and `hnbsim probe` against
 * `openssl s_server` set up compliant and not, and against `hnbsim acs` itself; and an HNB written here with OpenSSL
 * (its device certificate, the profile's suite) through a whole recovery: campaign, image, signed manifest.
 *
 * Every child runs under coreutils `timeout`, every wait has a deadline, and every server started here is stopped by
 * its PID in teardown, so a broken build fails instead of hanging CI. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/image.h"
#include "crypto/profile.h"
#include "tests/child-common.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/time.h>

#define WAIT_MS 10000 /* for a server to come up or a log line to appear */

static char *scratch; /* temp dir for the whole run */
static char *pki;     /* `hnbsim pki --out` there */

/* Paths in the PKI directory. */
static char *pki_file(const char *name)
{
    return g_build_filename(pki, name, NULL);
}


/* ---- the PKI ---------------------------------------------------------------------------------------------------- */

/* What `hnbsim pki --out` writes (crypto/pki.h, hnb_pki_export). */
#define PKI_ROOT_CA "root.pem"
#define PKI_HEMS_CERT "hems.pem"
#define PKI_HEMS_KEY "hems.key"
#define PKI_CLIENT_CA "mfr.pem"
/* Reason codes of crypto/tls.h (hnb_tls_reason_name), as `hnbsim acs` logs them. */
#define REASON_NO_CLIENT_CERT "no_client_cert"
#define REASON_PROTOCOL_VERSION "protocol_version"
#define REASON_NO_SHARED_CIPHER "no_shared_cipher"
#define REASON_EXPIRED "expired"
#define REASON_REVOKED "revoked"
#define REASON_UNKNOWN_CA "unknown_ca"

static char *hems_host; /* the H(e)MS FQDN its certificate names */

static int run(const char *const *argv, const char *input_file, char **out, char **err);
static int hnbsim(const char *const *args, char **out, char **err);

static char *device_cert(int i) { return g_strdup_printf("%s/dev%d.pem", pki, i); }
static char *device_key(int i) { return g_strdup_printf("%s/dev%d.key", pki, i); }

/* A certificate field via the openssl CLI: "subject" gives the CN, "ext subjectAltName" the first DNS name. */
static char *cert_name(const char *cert, gboolean san)
{
    char *out;
    const char *const subj[] = {"openssl", "x509", "-in", cert, "-noout", "-subject", "-nameopt", "multiline", NULL};
    const char *const ext[] = {"openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName", NULL};
    g_assert_cmpint(run(san ? ext : subj, NULL, &out, NULL), ==, 0);
    const char *key = san ? "DNS:" : "commonName";
    const char *p = strstr(out, key);
    g_assert_nonnull(p);
    p += strlen(key);
    p += strspn(p, " =");
    char *name = g_strndup(p, strcspn(p, ", \r\n"));
    g_free(out);
    return name;
}

/* HNB i's identity "<16 hex>.<realm>" and the CWMP DeviceId that maps to it: OUI = the first 6 digits, SerialNumber
 * = the next 10 (crypto/pki.h). */
static char *device_identity(int i)
{
    g_autofree char *cert = device_cert(i);
    return cert_name(cert, FALSE);
}
static char *device_oui(int i)
{
    g_autofree char *id = device_identity(i);
    return g_strndup(id, 6);
}
static char *device_serial(int i)
{
    g_autofree char *id = device_identity(i);
    return g_strndup(id + 6, 10);
}

/* `openssl ca` signing with the exported manufacturer CA: the only way the openssl CLI of OpenSSL 3.0 sets a past
 * validity window, and it keeps the index a CRL is made from. */
static const char ca_conf[] = "[ca]\ndefault_ca = mfr\n[mfr]\ndatabase = index.txt\nnew_certs_dir = .\n"
                              "serial = serial.txt\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\n"
                              "unique_subject = no\ndefault_crl_days = 30\n[any]\ncommonName = supplied\n";

/* A device certificate for HNB i's identity (so only validity or revocation can fail it), signed by the
 * manufacturer CA of the PKI with the given validity (openssl ca -startdate/-enddate format, NULL: 30 days). */
static void issue_device(int i, const char *name, const char *start, const char *end)
{
    g_autofree char *ident = device_identity(i), *subj = g_strdup_printf("/CN=%s", ident);
    g_autofree char *ext_text = g_strdup_printf("subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth\n", ident);
    g_autofree char *mfr = pki_file("mfr.pem"), *mfr_key = pki_file("mfr.key");
    g_autofree char *key = g_strdup_printf("%s.key", name), *csr = g_strdup_printf("%s.csr", name);
    g_autofree char *cert = g_strdup_printf("%s.pem", name), *ext = g_strdup_printf("%s.ext", name);
    g_autofree char *ext_path = g_build_filename(scratch, ext, NULL);
    g_assert_true(g_file_set_contents(ext_path, ext_text, -1, NULL));
    g_assert_cmpint(run((const char *[]){"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                         "-nodes", "-keyout", key, "-out", csr, "-subj", subj, NULL},
                        NULL, NULL, NULL),
                    ==, 0);
    GPtrArray *a = g_ptr_array_new();
    const char *base[] = {"openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", mfr, "-keyfile", mfr_key, "-in",
                          csr, "-out", cert, "-extfile", ext, "-notext", NULL};
    for (const char *const *p = base; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    if (start) {
        g_ptr_array_add(a, "-startdate");
        g_ptr_array_add(a, (gpointer)start);
        g_ptr_array_add(a, "-enddate");
        g_ptr_array_add(a, (gpointer)end);
    } else {
        g_ptr_array_add(a, "-days");
        g_ptr_array_add(a, "30");
    }
    g_ptr_array_add(a, NULL);
    g_assert_cmpint(run((const char *const *)a->pdata, NULL, NULL, NULL), ==, 0);
    g_ptr_array_free(a, TRUE);
}

/* `hnbsim pki --out` into the scratch dir, plus an expired and a revoked device certificate of the same
 * manufacturer CA (the revoked one goes into a re-signed crl.pem, before `hnbsim acs` loads it). */
static void make_pki(void)
{
    pki = g_build_filename(scratch, "pki", NULL);
    char *err;
    int rc = hnbsim((const char *[]){"pki", "--out", pki, "--hnb", "3", NULL}, NULL, &err);
    if (rc != 0)
        g_printerr("hnbsim pki failed: %s\n", err);
    g_assert_cmpint(rc, ==, 0);
    g_free(err);
    g_autofree char *hems = pki_file(PKI_HEMS_CERT);
    hems_host = cert_name(hems, TRUE);

    g_autofree char *conf = g_build_filename(scratch, "ca.cnf", NULL), *index = g_build_filename(scratch, "index.txt", NULL),
                    *serial = g_build_filename(scratch, "serial.txt", NULL);
    g_assert_true(g_file_set_contents(conf, ca_conf, -1, NULL));
    g_assert_true(g_file_set_contents(index, "", -1, NULL));
    g_assert_true(g_file_set_contents(serial, "7E570001\n", -1, NULL)); /* far from the PKI's device serials */
    issue_device(0, "expired-dev", "20200101000000Z", "20200201000000Z");
    issue_device(1, "revoked-dev", NULL, NULL);
    g_autofree char *mfr = pki_file("mfr.pem"), *mfr_key = pki_file("mfr.key"), *crl = pki_file("crl.pem");
    g_assert_cmpint(run((const char *[]){"openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", mfr, "-keyfile",
                                         mfr_key, "-revoke", "revoked-dev.pem", NULL},
                        NULL, NULL, NULL),
                    ==, 0);
    g_assert_cmpint(run((const char *[]){"openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", mfr, "-keyfile",
                                         mfr_key, "-gencrl", "-out", crl, NULL},
                        NULL, NULL, NULL),
                    ==, 0);
}

static char *expired_cert(void) { return g_build_filename(scratch, "expired-dev.pem", NULL); }
static char *expired_key(void) { return g_build_filename(scratch, "expired-dev.key", NULL); }
static char *revoked_cert(void) { return g_build_filename(scratch, "revoked-dev.pem", NULL); }
static char *revoked_key(void) { return g_build_filename(scratch, "revoked-dev.key", NULL); }

/* ---- children --------------------------------------------------------------------------------------------------- */

typedef ChildServer Server;

static Server acs; /* one `hnbsim acs` shared by the s_client tests */

/* Run argv to completion under `timeout` (stdin from `input_file` or /dev/null).  Returns the exit status (124 on
 * timeout), fills out/err if not NULL. */
static int run(const char *const *argv, const char *input_file, char **out, char **err)
{
    GPtrArray *a = g_ptr_array_new();
    g_ptr_array_add(a, "/bin/sh");
    g_ptr_array_add(a, "-c");
    g_ptr_array_add(a, "f=$1; shift; exec timeout -k 5 30 \"$@\" < \"$f\"");
    g_ptr_array_add(a, "sh");
    g_ptr_array_add(a, (gpointer)(input_file ? input_file : "/dev/null"));
    for (const char *const *p = argv; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    char *o = NULL, *e = NULL;
    int status = -1;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(scratch, (char **)a->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error));
    g_assert_no_error(error);
    g_ptr_array_free(a, TRUE);
    g_test_message("$ %s ...\n%s%s", argv[0], o, e);
    if (out)
        *out = o;
    else
        g_free(o);
    if (err)
        *err = e;
    else
        g_free(e);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int hnbsim(const char *const *args, char **out, char **err)
{
    GPtrArray *a = g_ptr_array_new();
    g_ptr_array_add(a, (gpointer)g_getenv("HNBSIM"));
    for (const char *const *p = args; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    int rc = run((const char *const *)a->pdata, NULL, out, err);
    g_ptr_array_free(a, TRUE);
    return rc;
}





/* Start argv in the background (in the scratch dir), stderr to `log`; wait for `ready` on its stdout. */
static void server_start(Server *s, const char *const *argv, const char *ready, const char *log)
{
    child_server_start(s, scratch, argv, ready, log);
}

/* `hnbsim acs` on the test PKI, on a port of its choosing, with extra options; its log in the scratch dir. */
static void acs_start(Server *s, const char *const *opts, const char *log_name)
{
    g_autofree char *log = g_build_filename(scratch, log_name, NULL);
    child_acs_start(s, scratch, pki, opts, log);
}

/* A port free right now on 127.0.0.1 (for servers that cannot pick their own and report it). */
static char *free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &sl), ==, 0);
    close(fd);
    return g_strdup_printf("%u", ntohs(sa.sin_port));
}



/* ---- the HNB side: s_client ------------------------------------------------------------------------------------- */

/* An Inform envelope: `device` is the DeviceId's content (NULL: no DeviceId), `header` more Header entries and
 * `before` anything put in the Inform before the DeviceId (both may be NULL). */
static char *inform_body(const char *device, const char *header, const char *before)
{
    return g_strdup_printf(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">hnbsim-42"
        "</cwmp:ID>%s</soap:Header><soap:Body><cwmp:Inform>%s%s%s%s<Event><EventStruct><EventCode>1 BOOT</EventCode>"
        "<CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>"
        "</cwmp:Inform></soap:Body></soap:Envelope>",
        header ? header : "", before ? before : "", device ? "<DeviceId>" : "", device ? device : "",
        device ? "</DeviceId>" : "");
}

/* A DeviceId's content for OUI and serial. */
static char *device_id(const char *oui, const char *serial)
{
    return g_strdup_printf("<Manufacturer>hnbsim</Manufacturer><OUI>%s</OUI><ProductClass>HNB</ProductClass>"
                           "<SerialNumber>%s</SerialNumber>",
                           oui, serial);
}

/* HNB i's DeviceId. */
static char *device_id_of(int i)
{
    g_autofree char *oui = device_oui(i), *serial = device_serial(i);
    return device_id(oui, serial);
}

/* A POST of `body` with Content-Length. */
static char *post(const char *body)
{
    return g_strdup_printf("POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
                           "SOAPAction: \"\"\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
}

#define EMPTY_POST "POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\n\r\n"

static char *inform_request(const char *oui, const char *serial)
{
    g_autofree char *device = device_id(oui, serial);
    g_autofree char *body = inform_body(device, NULL, NULL);
    g_autofree char *inform = post(body);
    /* the Inform, then the empty POST that ends the session */
    return g_strconcat(inform, EMPTY_POST, NULL);
}

/* s_client against an `hnbsim acs` with the given options (NULL-terminated) and `request` on stdin; returns its exit
 * status, its stdout in *out, and the acs log line of this connection in *logline. */
static int s_client_to(Server *s, const char *const *opts, const char *request, char **out, char **logline)
{
    g_autofree char *connect = g_strdup_printf("127.0.0.1:%s", s->port);
    g_autofree char *root = pki_file(PKI_ROOT_CA);
    g_autofree char *req_file = g_build_filename(scratch, "request.http", NULL);
    g_assert_true(g_file_set_contents(req_file, request ? request : "", -1, NULL));
    GPtrArray *a = g_ptr_array_new();
    const char *base[] = {"openssl", "s_client", "-connect", connect, "-CAfile", root, "-ign_eof", NULL};
    for (const char *const *p = base; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    for (const char *const *p = opts; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    int rc = run((const char *const *)a->pdata, req_file, out, NULL);
    g_ptr_array_free(a, TRUE);
    *logline = child_acs_log_line(s, ++s->connections);
    g_test_message("%s", *logline);
    return rc;
}

static int s_client(const char *const *opts, const char *request, char **out, char **logline)
{
    return s_client_to(&acs, opts, request, out, logline);
}

/* A device certificate from a CA the ACS has never heard of (made with the openssl CLI). */
static void make_foreign_device(char **cert, char **key)
{
    g_autofree char *ext = g_build_filename(scratch, "foreign.ext", NULL);
    g_autofree char *ident = device_identity(0);
    g_autofree char *ext_text = g_strdup_printf("subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth\n", ident);
    g_assert_true(g_file_set_contents(ext, ext_text, -1, NULL));
    g_autofree char *subj = g_strdup_printf("/CN=%s", ident);
    *cert = g_build_filename(scratch, "foreign-dev.pem", NULL);
    *key = g_build_filename(scratch, "foreign-dev.key", NULL);
    g_assert_cmpint(run((const char *[]){"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                         "foreign-ca.key", "-out", "foreign-ca.pem", "-subj", "/CN=Foreign CA", "-days",
                                         "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                                         "keyUsage=critical,keyCertSign,cRLSign", NULL},
                        NULL, NULL, NULL),
                    ==, 0);
    g_assert_cmpint(run((const char *[]){"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                         "-nodes", "-keyout", *key, "-out", "foreign-dev.csr", "-subj", subj, NULL},
                        NULL, NULL, NULL),
                    ==, 0);
    g_assert_cmpint(run((const char *[]){"openssl", "x509", "-req", "-in", "foreign-dev.csr", "-CA", "foreign-ca.pem",
                                         "-CAkey", "foreign-ca.key", "-CAcreateserial", "-days", "30", "-sha256",
                                         "-extfile", ext, "-out", *cert, NULL},
                        NULL, NULL, NULL),
                    ==, 0);
}

static void assert_refused(int rc, const char *out, const char *logline, const char *reason)
{
    g_assert_cmpint(rc, !=, 0);
    g_assert_null(strstr(out, "HTTP/1.1"));
    g_assert_nonnull(strstr(logline, "outcome=refused"));
    g_autofree char *want = g_strdup_printf("reason=%s", reason);
    g_assert_nonnull(strstr(logline, want));
}

static void test_acs_accepts_profile(void)
{
    g_autofree char *cert = device_cert(0), *key = device_key(0), *oui = device_oui(0), *serial = device_serial(0);
    g_autofree char *req = inform_request(oui, serial);
    char *out, *logline;
    int rc = s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL}, req,
                      &out, &logline);
    g_assert_cmpint(rc, ==, 0);
    g_assert_nonnull(strstr(out, "HTTP/1.1 200 OK"));
    g_assert_nonnull(strstr(out, "InformResponse"));
    g_assert_nonnull(strstr(out, "<cwmp:ID soap-env:mustUnderstand=\"1\">hnbsim-42</cwmp:ID>"));
    g_assert_nonnull(strstr(out, "HTTP/1.1 204 No Content"));
    g_assert_nonnull(strstr(logline, "tls=TLSv1.2 cipher=AES128-SHA"));
    g_autofree char *ident = device_identity(0), *want = g_strdup_printf("identity=%s ", ident);
    g_assert_nonnull(strstr(logline, want));
    g_assert_nonnull(strstr(logline, "requests=2 outcome=ok"));
    g_free(out);
    g_free(logline);
}

static void test_acs_http(void)
{
    g_autofree char *cert = device_cert(1), *key = device_key(1);
    const char *const opts[] = {"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL};
    char *out, *logline;
    /* not a POST */
    s_client(opts, "GET / HTTP/1.1\r\nHost: acs\r\n\r\n", &out, &logline);
    g_assert_nonnull(strstr(out, "HTTP/1.1 405 Method Not Allowed"));
    g_assert_nonnull(strstr(out, "Allow: POST"));
    g_assert_nonnull(strstr(logline, "reason=http_405"));
    g_free(out);
    g_free(logline);
    /* a POST that is not a SOAP envelope */
    s_client(opts, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &out, &logline);
    g_assert_nonnull(strstr(out, "HTTP/1.1 500 Internal Server Error"));
    g_assert_nonnull(strstr(out, "<FaultCode>8003</FaultCode>"));
    g_free(out);
    g_free(logline);
    /* the empty POST alone */
    s_client(opts, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &out, &logline);
    g_assert_nonnull(strstr(out, "HTTP/1.1 204 No Content"));
    g_assert_nonnull(strstr(logline, "outcome=ok"));
    g_free(out);
    g_free(logline);
}

/* HNB 1's certificate with HNB 2's DeviceId: a valid handshake, then a CWMP fault and 403. */
static void test_acs_identity_mismatch(void)
{
    g_autofree char *cert = device_cert(1), *key = device_key(1), *oui = device_oui(2), *serial = device_serial(2);
    g_autofree char *req = inform_request(oui, serial);
    char *out, *logline;
    s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL}, req, &out,
             &logline);
    g_assert_nonnull(strstr(out, "HTTP/1.1 500 Internal Server Error")); /* SOAP 1.1 §6.2, not 403 */
    g_assert_nonnull(strstr(out, "<FaultCode>8001</FaultCode>"));
    g_assert_null(strstr(out, "InformResponse"));
    g_assert_nonnull(strstr(logline, "outcome=rejected reason=identity_mismatch"));
    g_free(out);
    g_free(logline);
}

/* ---- issue 14: the request path (HTTP, SOAP, CWMP) against real clients ----------------------------------------- */

/* Each of the NULL-terminated needles is in text. */
static void assert_all(const char *text, ...)
{
    va_list ap;
    va_start(ap, text);
    for (const char *n; (n = va_arg(ap, const char *));)
        if (!strstr(text, n))
            g_error("\"%s\" not found in:\n%s", n, text);
    va_end(ap);
}

/* HNB `dev`'s certificate, `request` sent by s_client; out and logline as s_client's. */
static void as_device(int dev, const char *request, char **out, char **logline)
{
    g_autofree char *cert = device_cert(dev), *key = device_key(dev);
    s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL}, request, out,
             logline);
}

/* The answer is a CWMP fault `code` in HTTP 500, never an InformResponse; the log says `reason`. */
static void assert_cwmp_fault(const char *out, const char *logline, int code, const char *reason)
{
    g_autofree char *want = g_strdup_printf("<FaultCode>%d</FaultCode>", code);
    assert_all(out, "HTTP/1.1 500 Internal Server Error", "Content-Type: text/xml", want, NULL);
    g_assert_null(strstr(out, "InformResponse"));
    g_assert_null(strstr(out, "HTTP/1.1 200"));
    g_autofree char *want_reason = g_strdup_printf("reason=%s", reason);
    g_assert_nonnull(strstr(logline, want_reason));
}

/* HNB 1's certificate claiming HNB 2's DeviceId, with HNB 1's own DeviceId where a text search finds it first: in an
 * XML comment, a CDATA section, an unknown SOAP header.  The identity is the parsed DeviceId's: denied each time. */
static void test_acs_identity_decoys(void)
{
    g_autofree char *mine = device_id_of(1), *other = device_id_of(2);
    g_autofree char *comment = g_strdup_printf("<!--<DeviceId>%s</DeviceId>-->", mine);
    g_autofree char *cdata = g_strdup_printf("<Note><![CDATA[<DeviceId>%s</DeviceId>]]></Note>", mine);
    g_autofree char *header = g_strdup_printf("<x:Extra xmlns:x=\"urn:example:x\"><DeviceId>%s</DeviceId></x:Extra>",
                                              mine);
    const char *before[] = {comment, cdata, NULL};
    const char *headers[] = {NULL, NULL, header};
    for (guint i = 0; i < G_N_ELEMENTS(before); i++) {
        g_autofree char *body = inform_body(other, headers[i], before[i]);
        g_autofree char *req = post(body);
        char *out, *logline;
        as_device(1, req, &out, &logline);
        assert_cwmp_fault(out, logline, 8001, "identity_mismatch");
        g_assert_nonnull(strstr(logline, "outcome=rejected"));
        g_free(out);
        g_free(logline);
    }
}

/* An Inform that names no device is refused, not taken for the certificate's. */
static void test_acs_no_device_id(void)
{
    g_autofree char *body = inform_body(NULL, NULL, NULL);
    g_autofree char *req = post(body);
    char *out, *logline;
    as_device(1, req, &out, &logline);
    assert_cwmp_fault(out, logline, 8003, "no_device_id");
    g_free(out);
    g_free(logline);
}

/* Documents that are not well-formed XML get a SOAP fault (Client, 8003), never an InformResponse. */
static void test_acs_not_well_formed(void)
{
    g_autofree char *mine = device_id_of(1);
    g_autofree char *good = inform_body(mine, NULL, NULL);
    const char *manufacturer = "<Manufacturer>hnbsim";
    char *m = strstr(good, manufacturer);
    g_assert_nonnull(m);
    g_autofree char *head = g_strndup(good, (gsize)(m - good));
    const char *rest = m + strlen(manufacturer);
    g_autofree char *entity = g_strdup_printf("%s<Manufacturer>&undefined;%s", head, rest);
    g_autofree char *bare_lt = g_strdup_printf("%s<Manufacturer>a < b%s", head, rest);
    g_autofree char *unclosed = g_strndup(good, strlen(good) - strlen("</soap:Envelope>"));
    const char *docs[] = {entity, bare_lt, unclosed};
    for (guint i = 0; i < G_N_ELEMENTS(docs); i++) {
        g_autofree char *req = post(docs[i]);
        char *out, *logline;
        as_device(1, req, &out, &logline);
        assert_cwmp_fault(out, logline, 8003, "soap_invalid");
        g_assert_nonnull(strstr(out, "<faultcode>Client</faultcode>"));
        g_free(out);
        g_free(logline);
    }
}

/* Over the real socket as well as in the unit tests: a DOCTYPE declaring an external entity is refused before any
 * entity is read (8003, nothing of the file in the answer), a header block over 16 KiB gets 431. */
static void test_acs_xxe_and_big_header(void)
{
    g_autofree char *mine = device_id_of(1);
    g_autofree char *good = inform_body(mine, NULL, NULL);
    g_autofree char *xxe = g_strdup_printf("<!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>%s", good);
    g_autofree char *req = post(xxe);
    char *out, *logline;
    as_device(1, req, &out, &logline);
    assert_cwmp_fault(out, logline, 8003, "soap_invalid");
    assert_all(out, "DOCTYPE", NULL);
    g_assert_null(strstr(out, "root:"));
    g_free(out);
    g_free(logline);
    GString *big = g_string_new("POST /cwmp HTTP/1.1\r\nHost: acs\r\n");
    for (int i = 0; i < 20; i++) { /* 20 fields of 1 KiB: the size limit, not the count (64) */
        g_string_append(big, "X-Padding: ");
        for (int k = 0; k < 64; k++)
            g_string_append(big, "0123456789abcdef");
        g_string_append(big, "\r\n");
    }
    g_string_append(big, "Content-Length: 0\r\n\r\n");
    as_device(1, big->str, &out, &logline);
    g_string_free(big, TRUE);
    assert_all(out, "HTTP/1.1 431", NULL);
    assert_all(logline, "outcome=error reason=http_431 (request header larger than", NULL);
    g_free(out);
    g_free(logline);
}

/* GetRPCMethods gets the ACS's methods; an unknown RPC fault 8000 with HTTP 500, and the session goes on to the
 * empty POST; every answer echoes cwmp:ID. */
static void test_acs_rpcs(void)
{
    g_autofree char *mine = device_id_of(1);
    g_autofree char *inform = inform_body(mine, NULL, NULL);
    const char *env = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                      "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">"
                      "rpc-%d</cwmp:ID></soap:Header><soap:Body>%s</soap:Body></soap:Envelope>";
    g_autofree char *get = g_strdup_printf(env, 1, "<cwmp:GetRPCMethods/>");
    g_autofree char *unknown = g_strdup_printf(env, 2, "<cwmp:RequestDownload><FileType>1 Firmware Upgrade Image"
                                                       "</FileType></cwmp:RequestDownload>");
    g_autofree char *r1 = post(inform), *r2 = post(get), *r3 = post(unknown);
    g_autofree char *req = g_strconcat(r1, r2, r3, EMPTY_POST, NULL); /* pipelined */
    char *out, *logline;
    as_device(1, req, &out, &logline);
    assert_all(out, "InformResponse",
               "<cwmp:GetRPCMethodsResponse><MethodList soap-enc:arrayType=\"xsd:string[3]\"><string>Inform</string>"
               "<string>GetRPCMethods</string><string>TransferComplete</string></MethodList>"
               "</cwmp:GetRPCMethodsResponse>",
               ">rpc-1</cwmp:ID>", "HTTP/1.1 500 Internal Server Error", "<FaultCode>8000</FaultCode>",
               ">rpc-2</cwmp:ID>", "HTTP/1.1 204 No Content", NULL);
    assert_all(logline, "rpcs=Inform,GetRPCMethods,RequestDownload,empty requests=4 outcome=ok", NULL);
    g_free(out);
    g_free(logline);
}

/* A chunked body is read (not 411); Expect: 100-continue is answered with 100 Continue before the final status. */
static void test_acs_chunked_and_continue(void)
{
    g_autofree char *mine = device_id_of(1);
    g_autofree char *body = inform_body(mine, NULL, NULL);
    size_t half = strlen(body) / 2;
    g_autofree char *req = g_strdup_printf(
        "POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Type: text/xml\r\nExpect: 100-continue\r\n"
        "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%.*s\r\n%zx\r\n%s\r\n0\r\n\r\n" EMPTY_POST,
        half, (int)half, body, strlen(body) - half, body + half);
    char *out, *logline;
    as_device(1, req, &out, &logline);
    char *cont = strstr(out, "HTTP/1.1 100 Continue\r\n\r\n"), *ok = strstr(out, "HTTP/1.1 200 OK");
    g_assert_nonnull(cont);
    g_assert_nonnull(ok);
    g_assert_true(cont < ok);
    g_assert_nonnull(strstr(out, "InformResponse"));
    g_assert_null(strstr(out, "HTTP/1.1 411"));
    g_assert_nonnull(strstr(logline, "outcome=ok"));
    g_free(out);
    g_free(logline);
}

/* curl as HNB 1 to `hnbsim acs` with extra arguments (NULL-terminated) and the body in `body`; returns curl's exit
 * status (-1: no curl, the test is skipped), its stdout (the response body) and stderr (-v's trace). */
static int curl_to_acs(const char *body, const char *const *args, char **out, char **err)
{
    g_autofree char *curl = g_find_program_in_path("curl");
    if (!curl) {
        g_test_skip("no curl");
        return -1;
    }
    g_autofree char *body_file = g_build_filename(scratch, "curl-body", NULL);
    g_assert_true(g_file_set_contents(body_file, body, -1, NULL));
    g_autofree char *cert = device_cert(1), *key = device_key(1), *root = pki_file(PKI_ROOT_CA);
    g_autofree char *url = g_strdup_printf("https://%s:%s/cwmp", hems_host, acs.port);
    g_autofree char *to = g_strdup_printf("%s:%s:127.0.0.1:%s", hems_host, acs.port, acs.port);
    g_autofree char *data = g_strdup_printf("@%s", body_file);
    GPtrArray *a = g_ptr_array_new();
    const char *base[] = {"curl", "-sS", "-v", "--tls-max", "1.2", "--cacert", root, "--cert", cert, "--key", key,
                          "--connect-to", to, "-H", "Content-Type: text/xml", "--data-binary", data, NULL};
    for (const char *const *p = base; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    for (const char *const *p = args; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, url);
    g_ptr_array_add(a, NULL);
    int rc = run((const char *const *)a->pdata, NULL, out, err);
    g_ptr_array_free(a, TRUE);
    return rc;
}

/* curl waits for 100 Continue (here up to 20 s) before sending a chunked body: answered at once, the whole exchange
 * takes well under that. */
static void test_acs_curl_expect(void)
{
    g_autofree char *mine = device_id_of(1);
    g_autofree char *body = inform_body(mine, NULL, NULL);
    gint64 t0 = g_get_monotonic_time();
    char *out, *err;
    int rc = curl_to_acs(body, (const char *[]){"--expect100-timeout", "20", "-H", "Transfer-Encoding: chunked", "-H",
                                                "Expect: 100-continue", NULL},
                         &out, &err);
    if (rc < 0)
        return;
    double secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    g_assert_cmpint(rc, ==, 0);
    assert_all(err, "< HTTP/1.1 100 Continue", "< HTTP/1.1 200 OK", NULL);
    assert_all(out, "InformResponse", NULL);
    g_assert_cmpfloat(secs, <, 15.0);
    g_autofree char *logline = child_acs_log_line(&acs, ++acs.connections);
    g_test_message("%s", logline);
    g_assert_nonnull(strstr(logline, "rpcs=Inform"));
    g_free(out);
    g_free(err);
}

/* A body over the limit, sent at once (no Expect): the client reads the 413 (the server drains what it refused
 * instead of resetting the connection under it) and the log says why. */
static void test_acs_curl_too_large(void)
{
    GString *big = g_string_new(NULL);
    while (big->len < 3 * 1024 * 1024)
        g_string_append(big, "<padding>0123456789abcdef</padding>");
    char *out, *err;
    int rc = curl_to_acs(big->str, (const char *[]){"-H", "Expect:", "-w", "status=%{http_code}", NULL}, &out, &err);
    g_string_free(big, TRUE);
    if (rc < 0)
        return;
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "413 Content Too Large", "status=413", NULL);
    g_autofree char *logline = child_acs_log_line(&acs, ++acs.connections);
    g_test_message("%s", logline);
    assert_all(logline, "outcome=error reason=http_413 (body of ", NULL);
    g_free(out);
    g_free(err);
}

/* A POST with a body but neither Content-Length nor chunked framing is refused (411), not taken for the empty POST
 * that ends the session. */
static void test_acs_post_without_length(void)
{
    g_autofree char *mine = device_id_of(1);
    g_autofree char *body = inform_body(mine, NULL, NULL);
    g_autofree char *req = g_strdup_printf("POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Type: text/xml\r\n\r\n%s",
                                           body);
    char *out, *logline;
    as_device(1, req, &out, &logline);
    g_assert_nonnull(strstr(out, "HTTP/1.1 411 Length Required"));
    g_assert_null(strstr(out, "HTTP/1.1 204"));
    g_assert_nonnull(strstr(logline, "outcome=error reason=http_411"));
    g_free(out);
    g_free(logline);
}

/* A bare TCP connection that closes before the TLS handshake (a port check) is logged as such. */
static void test_acs_closed_before_handshake(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)atoi(acs.port))};
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    close(fd);
    g_autofree char *logline = child_acs_log_line(&acs, ++acs.connections);
    g_test_message("%s", logline);
    g_assert_nonnull(strstr(logline, "tls=- "));
    g_assert_nonnull(strstr(logline, "outcome=closed reason=closed_before_handshake"));
    g_assert_null(strstr(logline, "unexpected eof"));
}

static void test_acs_refuses_no_client_cert(void)
{
    char *out, *logline;
    int rc = s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", NULL}, "", &out, &logline);
    assert_refused(rc, out, logline, REASON_NO_CLIENT_CERT);
    g_free(out);
    g_free(logline);
}

static void test_acs_refuses_tls10(void)
{
    g_autofree char *cert = device_cert(0), *key = device_key(0);
    char *out, *logline;
    int rc = s_client((const char *[]){"-tls1", "-cipher", "DEFAULT@SECLEVEL=0", "-cert", cert, "-key", key, NULL}, "",
                      &out, &logline);
    assert_refused(rc, out, logline, REASON_PROTOCOL_VERSION);
    g_free(out);
    g_free(logline);
}

static void test_acs_refuses_non_a5_suite(void)
{
    g_autofree char *cert = device_cert(0), *key = device_key(0);
    char *out, *logline;
    int rc = s_client(
        (const char *[]){"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-cert", cert, "-key", key, NULL}, "",
        &out, &logline);
    assert_refused(rc, out, logline, REASON_NO_SHARED_CIPHER);
    g_free(out);
    g_free(logline);
}

static void test_acs_refuses_expired(void)
{
    g_autofree char *cert = expired_cert(), *key = expired_key();
    char *out, *logline;
    int rc = s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL}, "",
                      &out, &logline);
    assert_refused(rc, out, logline, REASON_EXPIRED);
    g_free(out);
    g_free(logline);
}

static void test_acs_refuses_revoked(void)
{
    g_autofree char *cert = revoked_cert(), *key = revoked_key();
    char *out, *logline;
    int rc = s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL}, "",
                      &out, &logline);
    assert_refused(rc, out, logline, REASON_REVOKED);
    g_free(out);
    g_free(logline);
}

static void test_acs_refuses_foreign_ca(void)
{
    char *cert, *key;
    make_foreign_device(&cert, &key);
    char *out, *logline;
    int rc = s_client((const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-cert", cert, "-key", key, NULL}, "",
                      &out, &logline);
    assert_refused(rc, out, logline, REASON_UNKNOWN_CA);
    g_free(out);
    g_free(logline);
    g_free(cert);
    g_free(key);
}

/* ---- the probe -------------------------------------------------------------------------------------------------- */

static int probe(const char *port, char **out)
{
    g_autofree char *url = g_strdup_printf("https://%s:%s", hems_host, port);
    return hnbsim((const char *[]){"probe", url, "--pki", pki, "--connect", "127.0.0.1", NULL}, out, NULL);
}

static void test_probe_acs(void)
{
    char *out;
    g_assert_cmpint(probe(acs.port, &out), ==, 0);
    g_assert_nonnull(strstr(out, "COMPLIANT: 0 FAIL"));
    g_assert_null(strstr(out, "\nFAIL"));
    g_free(out);
    /* the probe's connections are in the log like any other; count them so later log reads stay aligned */
    char **lines = child_log_lines(&acs, 0);
    guint n = 0;
    for (char **l = lines; *l; l++)
        n += g_str_has_prefix(*l, "acs: peer=");
    g_strfreev(lines);
    acs.connections = n;
}

/* openssl s_server with extra options; waits for its ACCEPT line. */
static void s_server_start(Server *s, const char *const *opts)
{
    g_autofree char *cert = pki_file(PKI_HEMS_CERT), *key = pki_file(PKI_HEMS_KEY), *ca = pki_file(PKI_CLIENT_CA);
    g_autofree char *port = free_port();
    g_autofree char *log = g_build_filename(scratch, "s_server.log", NULL);
    GPtrArray *a = g_ptr_array_new();
    const char *base[] = {"openssl", "s_server", "-accept", port, "-cert", cert, "-key", key, "-CAfile", ca, "-www",
                          NULL};
    for (const char *const *p = base; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    for (const char *const *p = opts; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    server_start(s, (const char *const *)a->pdata, "ACCEPT", log);
    g_ptr_array_free(a, TRUE);
    s->port = g_steal_pointer(&port);
}

static void test_probe_s_server_compliant(void)
{
    Server s;
    s_server_start(&s, (const char *[]){"-tls1_2", "-cipher", "AES128-SHA", "-Verify", "1", "-verify_return_error",
                                        NULL});
    char *out;
    int rc = probe(s.port, &out);
    child_server_stop(&s);
    g_assert_cmpint(rc, ==, 0);
    g_assert_nonnull(strstr(out, "COMPLIANT: 0 FAIL"));
    g_assert_nonnull(strstr(out, "demands a client certificate"));
    /* every rule in the words `hnbsim check` uses (crypto/profile.c), in the table's order */
    const char *at = out;
    for (int r = 0; r < HNB_PROFILE_RULE_COUNT; r++) {
        const char *words = hnb_profile_rule(r)->words;
        const char *found = strstr(at, words);
        if (!found)
            g_error("rule %s: \"%s\" not (in order) in:\n%s", hnb_profile_rule(r)->id, words, out);
        at = found + strlen(words);
    }
    g_free(out);
}

/* Everything a default s_server allows: TLS 1.0 to 1.3, GCM/ECDHE suites, no client certificate needed. */
static void test_probe_s_server_permissive(void)
{
    Server s;
    s_server_start(&s, (const char *[]){"-cipher", "ALL:@SECLEVEL=0", "-verify", "1", NULL});
    char *out;
    int rc = probe(s.port, &out);
    child_server_stop(&s);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(out, "NOT COMPLIANT"));
    g_assert_nonnull(strstr(out, "FAIL  [profile] TLS 1.0 shall not be used.\n      -> accepts TLS 1.0"));
    g_assert_nonnull(strstr(out, "accepts suites outside RFC 5246 A.5: ECDHE-RSA-AES128-GCM-SHA256"));
    g_assert_nonnull(strstr(out, "accepts TLS 1.3"));
    g_assert_nonnull(strstr(out, "completes a handshake without a client certificate (asked for one but did not"));
    g_free(out);
}

/* TLS 1.2 with a GCM suite only: no mandatory AES128-SHA, a non-A.5 suite. */
static void test_probe_s_server_gcm_only(void)
{
    Server s;
    s_server_start(&s, (const char *[]){"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-Verify", "1", NULL});
    char *out;
    int rc = probe(s.port, &out);
    child_server_stop(&s);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(out, "FAIL  The support of TLS cipher suite RSA_WITH_AES_128_CBC_SHA shall be mandatory."));
    g_assert_nonnull(strstr(out, "accepts suites outside RFC 5246 A.5: ECDHE-RSA-AES128-GCM-SHA256"));
    g_free(out);
}

static void test_probe_bad_input(void)
{
    char *err;
    g_assert_cmpint(hnbsim((const char *[]){"probe", "http://127.0.0.1:1", "--pki", pki, NULL}, NULL, &err), ==, 2);
    g_assert_nonnull(strstr(err, "HTTPS"));
    g_free(err);
    g_assert_cmpint(hnbsim((const char *[]){"probe", "https://127.0.0.1:99999", "--pki", pki, NULL}, NULL, &err), ==,
                    2);
    g_assert_nonnull(strstr(err, "bad URL"));
    g_free(err);
    g_assert_cmpint(hnbsim((const char *[]){"probe", "https://127.0.0.1:1", "--pki", "no-such-dir", NULL}, NULL, &err),
                    ==, 2);
    g_assert_nonnull(strstr(err, "no-such-dir"));
    g_free(err);
    g_assert_cmpint(hnbsim((const char *[]){"probe", "https://127.0.0.1:1", NULL}, NULL, &err), ==, 2);
    g_free(err);
    /* nobody listening: a run failure, not bad input */
    g_autofree char *port = free_port(), *url = g_strdup_printf("https://127.0.0.1:%s", port);
    g_assert_cmpint(hnbsim((const char *[]){"probe", url, "--pki", pki, NULL}, NULL, &err), ==, 1);
    g_assert_nonnull(strstr(err, "cannot connect"));
    g_free(err);
}

static void test_acs_bad_input(void)
{
    char *err;
    g_assert_cmpint(hnbsim((const char *[]){"acs", "--pki", pki, NULL}, NULL, &err), ==, 2);
    g_free(err);
    g_assert_cmpint(hnbsim((const char *[]){"acs", "--listen", "127.0.0.1", "--pki", pki, NULL}, NULL, &err), ==, 2);
    g_assert_nonnull(strstr(err, "HOST:PORT"));
    g_free(err);
    g_assert_cmpint(hnbsim((const char *[]){"acs", "--listen", "127.0.0.1:0", "--pki", "no-such-dir", NULL}, NULL,
                           &err),
                    ==, 2);
    g_assert_nonnull(strstr(err, "no-such-dir"));
    g_free(err);
    /* the metrics page is for the local operator only; a Retry-After must say something */
    const char *const bad[][2] = {{"--metrics", "0.0.0.0:1"}, {"--metrics", "[::]:1"}, {"--retry-after", "0"},
                                  {"--session-linger", "-1"}, {"--session-linger", "nan"}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(hnbsim((const char *[]){"acs", "--listen", "127.0.0.1:0", "--pki", pki, bad[i][0], bad[i][1],
                                                NULL},
                               NULL, &err),
                        ==, 2);
        if (strcmp(bad[i][0], "--metrics") == 0)
            g_assert_nonnull(strstr(err, "loopback"));
        g_free(err);
    }
}

/* --tls11 lowers the floor to TLS 1.1 (never 1.0); --exit-after ends the server by itself, with status 0. */
static void test_acs_tls11_and_exit_after(void)
{
    Server s;
    acs_start(&s, (const char *[]){"--tls11", "--exit-after", "2", NULL}, "acs-tls11.log");
    g_autofree char *cert = device_cert(0), *key = device_key(0);
    char *out, *logline;
    int rc = s_client_to(&s, (const char *[]){"-tls1_1", "-cipher", "AES128-SHA@SECLEVEL=0", "-cert", cert, "-key",
                                              key, NULL},
                         "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &out, &logline);
    g_assert_cmpint(rc, ==, 0);
    g_assert_nonnull(strstr(out, "HTTP/1.1 204 No Content"));
    g_assert_nonnull(strstr(logline, "tls=TLSv1.1 cipher=AES128-SHA"));
    g_free(out);
    g_free(logline);
    rc = s_client_to(&s, (const char *[]){"-tls1", "-cipher", "DEFAULT@SECLEVEL=0", "-cert", cert, "-key", key, NULL},
                     "", &out, &logline);
    assert_refused(rc, out, logline, REASON_PROTOCOL_VERSION);
    g_free(out);
    g_free(logline);
    /* two sessions served: it exits by itself */
    int status = 0;
    pid_t r = 0;
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * (gint64)1000;
    while ((r = waitpid(s.pid, &status, WNOHANG)) == 0 && g_get_monotonic_time() < deadline)
        g_usleep(10000);
    g_assert_cmpint(r, ==, s.pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    s.pid = 0;
    close(s.out_fd);
    g_free(s.log);
    g_free(s.banner);
    g_free(s.port);
}

/* SIGTERM ends `hnbsim acs` cleanly, also with a connection open. */
static void test_acs_sigterm(void)
{
    Server s;
    acs_start(&s, (const char *[]){NULL}, "acs-term.log");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)atoi(s.port))};
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    char **lines = NULL;
    g_usleep(100000); /* let it accept */
    g_autofree char *log = g_strdup(s.log);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
    close(fd);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "reason=server_stopped"));
    (void)lines;
}

/* ---- setup ------------------------------------------------------------------------------------------------------ */

/* ---- recovery: Download, the image over HTTPS, TransferComplete (issue 14, second slice) ----------------------- */

/* curl as HNB `dev` against server `s`, each of `args` (URLs included, "--next" allowed) after the common options,
 * which are repeated after every --next.  Returns curl's exit status (-1: no curl, the test is skipped). */
static int curl_as(Server *s, int dev, const char *const *args, char **out, char **err)
{
    g_autofree char *curl = g_find_program_in_path("curl");
    if (!curl) {
        g_test_skip("no curl");
        return -1;
    }
    g_autofree char *cert = device_cert(dev), *key = device_key(dev), *root = pki_file(PKI_ROOT_CA);
    g_autofree char *to = g_strdup_printf("%s:%s:127.0.0.1:%s", hems_host, s->port, s->port);
    const char *common[] = {"--tls-max", "1.2", "--cacert", root, "--cert", cert, "--key", key, "--connect-to", to,
                            NULL};
    GPtrArray *a = g_ptr_array_new();
    g_ptr_array_add(a, "curl");
    g_ptr_array_add(a, "-sS");
    for (const char *const *p = common; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    for (const char *const *p = args; *p; p++) {
        g_ptr_array_add(a, (gpointer)*p);
        if (strcmp(*p, "--next") == 0)
            for (const char *const *q = common; *q; q++)
                g_ptr_array_add(a, (gpointer)*q);
    }
    g_ptr_array_add(a, NULL);
    int rc = run((const char *const *)a->pdata, NULL, out, err);
    g_ptr_array_free(a, TRUE);
    return rc;
}

/* A file in scratch holding `text`; returns "@path" for --data-binary. */
static char *data_file(const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(scratch, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return g_strdup_printf("@%s", path);
}

#define CWMP_ENV(id, body)                                                                                           \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "                                       \
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">" id "</cwmp:ID>"      \
    "</soap:Header><soap:Body>" body "</soap:Body></soap:Envelope>"

/* HNB 1's Inform with `event` and SoftwareVersion `version`, as a --data-binary argument. */
static char *inform_with_version(const char *event, const char *version)
{
    g_autofree char *device = device_id_of(1);
    g_autofree char *params = g_strdup_printf("<EventCode>%s</EventCode><CommandKey></CommandKey></EventStruct>"
                                              "</Event><MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>"
                                              "<ParameterList><ParameterValueStruct><Name>"
                                              "Device.DeviceInfo.SoftwareVersion</Name><Value>%s</Value>"
                                              "</ParameterValueStruct></ParameterList>",
                                              event, version);
    g_autofree char *body = g_strdup_printf(CWMP_ENV("in-1", "<cwmp:Inform><DeviceId>%s</DeviceId><Event>"
                                                             "<EventStruct>%s</cwmp:Inform>"),
                                            device, params);
    g_autofree char *name = g_strdup_printf("inform-%s.xml", version);
    return data_file(name, body);
}

static Server img_acs; /* `hnbsim acs --image` */
static char *img_path;  /* the image it serves */

static char *img_url(void)
{
    return g_strdup_printf("https://%s:%s/images/hnb-2.0.img", hems_host, img_acs.port);
}

static char *img_log(void)
{
    char *line = child_acs_log_line(&img_acs, ++img_acs.connections);
    g_test_message("%s", line);
    return line;
}

#define IMG_SIZE 300000
static char img_command_key[17]; /* the first 16 hex digits of its SHA-256, as the ACS's CommandKey */

/* The image file (once): IMG_SIZE random bytes. */
static void make_image(void)
{
    if (img_path)
        return;
    img_path = g_build_filename(scratch, "hnb-2.0.img", NULL);
    GRand *rand = g_rand_new_with_seed(14);
    GString *bytes = g_string_sized_new(IMG_SIZE);
    for (int i = 0; i < IMG_SIZE; i++)
        g_string_append_c(bytes, (char)g_rand_int_range(rand, 0, 256));
    g_rand_free(rand);
    g_assert_true(g_file_set_contents(img_path, bytes->str, (gssize)bytes->len, NULL));
    g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes->str, bytes->len);
    g_strlcpy(img_command_key, hex, sizeof img_command_key);
    g_string_free(bytes, TRUE);
}

static void img_acs_start(void)
{
    if (img_acs.pid)
        return;
    make_image();
    acs_start(&img_acs, (const char *[]){"--image", img_path, "--image-version", "2.0", NULL}, "acs-image.log");
}

/* An Inform with an old SoftwareVersion, then the empty POST: a Download naming this server's image URL and size;
 * the DownloadResponse ends the session with 204.  One TLS connection, the cookie set and returned by curl. */
static void test_acs_download(void)
{
    img_acs_start();
    g_autofree char *inform = inform_with_version("1 BOOT", "1.0");
    g_autofree char *empty = data_file("empty", "");
    g_autofree char *dlresp = data_file("dlresp.xml", CWMP_ENV("hnbsim-acs-1", "<cwmp:DownloadResponse><Status>1"
                                                               "</Status><StartTime>0001-01-01T00:00:00Z</StartTime>"
                                                               "<CompleteTime>0001-01-01T00:00:00Z</CompleteTime>"
                                                               "</cwmp:DownloadResponse>"));
    g_autofree char *jar = g_build_filename(scratch, "cookies", NULL);
    g_autofree char *url = g_strdup_printf("https://%s:%s/cwmp", hems_host, img_acs.port);
    const char *ct = "Content-Type: text/xml; charset=\"utf-8\"";
    char *out, *err;
    int rc = curl_as(&img_acs, 1,
                     (const char *[]){"-c", jar, "-b", jar, "-H", ct, "--data-binary", inform, "-D", "-", url,
                                      "--next", "-c", jar, "-b", jar, "-H", ct, "--data-binary", empty, url,
                                      "--next", "-c", jar, "-b", jar, "-H", ct, "--data-binary", dlresp, "-w",
                                      "code=%{http_code}", url, NULL},
                     &out, &err);
    if (rc < 0)
        return;
    g_test_message("%s\n%s", out, err);
    g_assert_cmpint(rc, ==, 0);
    g_autofree char *image_url = img_url();
    g_autofree char *want_url = g_strdup_printf("<URL>%s</URL>", image_url);
    assert_all(out, "Set-Cookie: hnbsim-session=", "; Secure; HttpOnly", "InformResponse",
               "<cwmp:Download><CommandKey>", "<FileType>1 Firmware Upgrade Image</FileType>", want_url,
               "<FileSize>300000</FileSize>", "<TargetFileName>hnb-2.0.img</TargetFileName>",
               "<DelaySeconds>0</DelaySeconds>", ">hnbsim-acs-1</cwmp:ID>", NULL);
    g_assert_true(g_str_has_suffix(out, "code=204"));
    g_autofree char *cookies = NULL;
    g_assert_true(g_file_get_contents(jar, &cookies, NULL, NULL));
    g_assert_nonnull(strstr(cookies, "hnbsim-session"));
    g_autofree char *line = img_log();
    assert_all(line, "rpcs=Inform,empty,acs:Download,DownloadResponse requests=3 outcome=ok", "cookie=echoed",
               "download=status:1", NULL);
    g_free(out);
    g_free(err);
}

/* The published version: no Download, the empty POST gets 204. */
static void test_acs_no_download(void)
{
    img_acs_start();
    g_autofree char *inform = inform_with_version("1 BOOT", "2.0");
    g_autofree char *empty = data_file("empty", "");
    g_autofree char *url = g_strdup_printf("https://%s:%s/cwmp", hems_host, img_acs.port);
    char *out, *err;
    int rc = curl_as(&img_acs, 1,
                     (const char *[]){"-b", "", "-H", "Content-Type: text/xml", "--data-binary", inform, url, "--next",
                                      "-b", "", "--data-binary", empty, "-w", "code=%{http_code}", url, NULL},
                     &out, &err);
    if (rc < 0)
        return;
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "InformResponse", NULL);
    g_assert_null(strstr(out, "Download"));
    g_assert_true(g_str_has_suffix(out, "code=204"));
    g_autofree char *line = img_log();
    assert_all(line, "rpcs=Inform,empty requests=2 outcome=ok", "cookie=echoed", NULL);
    g_assert_null(strstr(line, "download="));
    g_free(out);
    g_free(err);
}

/* The image: a range then the rest (bytes identical to the file), a resume after a cut transfer, the same strong
 * ETag (the SHA-256) every time, 416 past the end, HEAD, 404 for another name. */
static void test_acs_image_ranges(void)
{
    img_acs_start();
    g_autofree char *url = img_url();
    g_autofree char *p1 = g_build_filename(scratch, "part1", NULL), *p2 = g_build_filename(scratch, "part2", NULL);
    char *out, *err;
    int rc = curl_as(&img_acs, 1, (const char *[]){"--range", "0-99999", "-o", p1, "-D", "-", url, NULL}, &out, &err);
    if (rc < 0)
        return;
    g_assert_cmpint(rc, ==, 0);
    g_free(err);
    g_free(img_log());
    g_autofree char *h2 = NULL;
    rc = curl_as(&img_acs, 1, (const char *[]){"--range", "100000-", "-o", p2, "-D", "-", url, NULL}, &h2, &err);
    g_assert_cmpint(rc, ==, 0);
    g_free(err);
    g_free(img_log());
    g_autofree char *file = NULL, *a = NULL, *b = NULL;
    gsize flen = 0, alen = 0, blen = 0;
    g_assert_true(g_file_get_contents(img_path, &file, &flen, NULL));
    g_assert_true(g_file_get_contents(p1, &a, &alen, NULL));
    g_assert_true(g_file_get_contents(p2, &b, &blen, NULL));
    g_assert_cmpuint(alen, ==, 100000);
    g_assert_cmpuint(alen + blen, ==, flen);
    g_assert_true(memcmp(file, a, alen) == 0 && memcmp(file + alen, b, blen) == 0);
    g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)file, flen);
    g_autofree char *etag = g_strdup_printf("ETag: \"%s\"", sha);
    assert_all(out, "HTTP/1.1 206 Partial Content", "Content-Range: bytes 0-99999/300000", "Accept-Ranges: bytes",
               etag, NULL);
    assert_all(h2, "HTTP/1.1 206", "Content-Range: bytes 100000-299999/300000", "Content-Length: 200000", etag, NULL);
    g_free(out);
    /* cut: curl gives up after a second at 20 kB/s; the resume (-C -, If-Range with the ETag) completes the file */
    g_autofree char *p3 = g_build_filename(scratch, "part3", NULL);
    rc = curl_as(&img_acs, 1, (const char *[]){"--limit-rate", "20k", "-m", "1", "-o", p3, url, NULL}, &out, &err);
    g_free(out);
    g_free(err);
    g_free(img_log()); /* closed mid_download, or served if the kernel's buffers took it all before the cut */
    {   /* what curl kept, cut at an odd length whatever it got */
        g_autofree char *got = NULL;
        gsize glen = 0;
        g_assert_true(g_file_get_contents(p3, &got, &glen, NULL));
        g_assert_true(g_file_set_contents(p3, got, (gssize)MIN(glen, (gsize)123457), NULL));
    }
    g_autofree char *if_range = g_strdup_printf("If-Range: \"%s\"", sha);
    rc = curl_as(&img_acs, 1, (const char *[]){"-C", "-", "-H", if_range, "-o", p3, "-D", "-", url, NULL}, &out,
                 &err);
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "HTTP/1.1 206", etag, NULL);
    g_free(out);
    g_free(err);
    g_free(img_log());
    g_autofree char *c = NULL;
    gsize clen = 0;
    g_assert_true(g_file_get_contents(p3, &c, &clen, NULL));
    g_assert_cmpuint(clen, ==, flen);
    g_assert_true(memcmp(c, file, flen) == 0);
    /* 416, HEAD, 404 */
    g_autofree char *other = g_strdup_printf("https://%s:%s/images/other.img", hems_host, img_acs.port);
    rc = curl_as(&img_acs, 1, (const char *[]){"--range", "300000-", "-o", "/dev/null", "-D", "-", url, NULL}, &out,
                 &err);
    assert_all(out, "HTTP/1.1 416", "Content-Range: bytes */300000", NULL);
    g_free(out);
    g_free(err);
    g_autofree char *l416 = img_log();
    assert_all(l416, "outcome=served", "images=416", NULL);
    rc = curl_as(&img_acs, 1, (const char *[]){"-I", url, NULL}, &out, &err);
    assert_all(out, "HTTP/1.1 200 OK", "Content-Length: 300000", etag, NULL);
    g_free(out);
    g_free(err);
    g_free(img_log());
    rc = curl_as(&img_acs, 1, (const char *[]){"-o", "/dev/null", "-w", "code=%{http_code}", other, NULL}, &out, &err);
    g_assert_cmpstr(out, ==, "code=404");
    g_free(out);
    g_free(err);
    g_free(img_log());
}

/* TransferComplete: answered, its fault logged; the Inform of that session still shows the old version, so the
 * empty POST gets the Download again (the retry); with the new version, success and 204. */
static void test_acs_transfer_complete(void)
{
    img_acs_start();
    g_autofree char *url = g_strdup_printf("https://%s:%s/cwmp", hems_host, img_acs.port);
    g_autofree char *empty = data_file("empty", "");
    g_autofree char *old = inform_with_version("7 TRANSFER COMPLETE", "1.0");
    g_autofree char *tc_fault = data_file("tc-fault.xml",
                                          CWMP_ENV("tc-1", "<cwmp:TransferComplete><CommandKey>k</CommandKey>"
                                                           "<FaultStruct><FaultCode>9010</FaultCode><FaultString>"
                                                           "Download failure</FaultString></FaultStruct><StartTime>"
                                                           "2026-01-01T00:00:00Z</StartTime><CompleteTime>"
                                                           "2026-01-01T00:00:01Z</CompleteTime>"
                                                           "</cwmp:TransferComplete>"));
    char *out, *err;
    int rc = curl_as(&img_acs, 1,
                     (const char *[]){"-b", "", "-H", "Content-Type: text/xml", "--data-binary", old, url, "--next",
                                      "-b", "", "-H", "Content-Type: text/xml", "--data-binary", tc_fault, url,
                                      "--next", "-b", "", "--data-binary", empty, url, NULL},
                     &out, &err);
    if (rc < 0)
        return;
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "InformResponse", "<cwmp:TransferCompleteResponse/>", ">tc-1</cwmp:ID>", "<cwmp:Download>",
               NULL);
    g_free(out);
    g_free(err);
    g_autofree char *l1 = img_log();
    assert_all(l1, "rpcs=Inform,TransferComplete,empty,acs:Download", "transfer=fault:9010", "download=sent", NULL);

    g_autofree char *fresh = inform_with_version("7 TRANSFER COMPLETE", "2.0");
    g_autofree char *tc_ok = data_file("tc-ok.xml", CWMP_ENV("tc-2", "<cwmp:TransferComplete><CommandKey>k"
                                                                     "</CommandKey><FaultStruct><FaultCode>0"
                                                                     "</FaultCode><FaultString></FaultString>"
                                                                     "</FaultStruct></cwmp:TransferComplete>"));
    rc = curl_as(&img_acs, 1,
                 (const char *[]){"-b", "", "-H", "Content-Type: text/xml", "--data-binary", fresh, url, "--next",
                                  "-b", "", "-H", "Content-Type: text/xml", "--data-binary", tc_ok, url, "--next",
                                  "-b", "", "--data-binary", empty, "-w", "code=%{http_code}", url, NULL},
                 &out, &err);
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "<cwmp:TransferCompleteResponse/>", ">tc-2</cwmp:ID>", NULL);
    g_assert_null(strstr(out, "<cwmp:Download>"));
    g_assert_true(g_str_has_suffix(out, "code=204"));
    g_free(out);
    g_free(err);
    g_autofree char *l2 = img_log();
    assert_all(l2, "rpcs=Inform,TransferComplete,empty requests=3 outcome=ok", "transfer=ok", NULL);
}

/* ---- capacity, metrics, a clean stop (issue 14, third slice) ----------------------------------------------------- */

typedef ChildHeld Held;

/* HNB dev's s_client to s, holding its session open after sending `first`. */
static void held_start(Held *h, Server *s, int dev, const char *first)
{
    g_autofree char *root = pki_file(PKI_ROOT_CA), *cert = device_cert(dev), *key = device_key(dev);
    child_held_start(h, scratch, s->port, root, cert, key, first);
}






/* The metrics port `hnbsim acs --metrics 127.0.0.1:0` printed. */
static char *metrics_port(const Server *s)
{
    static const char tag[] = "metrics on http://127.0.0.1:";
    const char *p = strstr(s->banner, tag);
    g_assert_nonnull(p);
    p += strlen(tag);
    return g_strndup(p, strspn(p, "0123456789"));
}

/* curl of http://127.0.0.1:port/path: the body, then "code=STATUS" on a line of its own (NULL: no curl). */
static char *scrape(const char *port, const char *path)
{
    g_autofree char *curl = g_find_program_in_path("curl");
    if (!curl)
        return NULL;
    g_autofree char *url = g_strdup_printf("http://127.0.0.1:%s%s", port, path);
    char *out = NULL;
    g_assert_cmpint(run((const char *[]){"curl", "-sS", "-w", "\ncode=%{http_code}", url, NULL}, NULL, &out, NULL), ==,
                    0);
    return out;
}

/* The value of sample `series` on a metrics page (-1: absent). */
static gint64 metric(const char *page, const char *series)
{
    g_auto(GStrv) lines = g_strsplit(page, "\n", -1);
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, series) && (*l)[strlen(series)] == ' ')
            return g_ascii_strtoll(*l + strlen(series) + 1, NULL, 10);
    return -1;
}

/* HNB dev's Inform alone, as one POST (the session stays open after its InformResponse). */
static char *inform_only(int dev)
{
    g_autofree char *device = device_id_of(dev), *body = inform_body(device, NULL, NULL);
    return post(body);
}

/* --max-sessions 1: while one session is open, the next connection completes its handshake and its first POST gets
 * CWMP fault 8005 with HTTP 503 and Retry-After, then the connection closes; once the first session has ended a new
 * one is served.  /metrics on its own loopback port counts it all. */
static void test_acs_overload_and_metrics(void)
{
    g_autofree char *curl = g_find_program_in_path("curl");
    if (!curl) {
        g_test_skip("no curl");
        return;
    }
    Server s;
    acs_start(&s, (const char *[]){"--max-sessions", "1", "--retry-after", "7", "--metrics", "127.0.0.1:0", NULL},
              "acs-overload.log");
    g_autofree char *mport = metrics_port(&s);
    g_autofree char *req0 = inform_only(0);
    Held a;
    held_start(&a, &s, 0, req0);
    g_free(child_held_wait(&a, "InformResponse"));
    g_autofree char *page0 = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page0, "hnbsim_acs_sessions_open"), ==, 1);

    /* the second HNB: handshake done, then 8005 in 503 with Retry-After, its cwmp:ID echoed, no InformResponse */
    g_autofree char *cert1 = device_cert(1), *key1 = device_key(1), *oui1 = device_oui(1), *serial1 = device_serial(1);
    g_autofree char *req1 = inform_request(oui1, serial1), *ident1 = device_identity(1);
    char *out, *logline;
    s_client_to(&s, (const char *[]){"-cert", cert1, "-key", key1, NULL}, req1, &out, &logline);
    assert_all(out, "HTTP/1.1 503 Service Unavailable", "Retry-After: 7\r\n", "<FaultCode>8005</FaultCode>",
               "Retry request", ">hnbsim-42</cwmp:ID>", "Connection: close", NULL);
    g_assert_null(strstr(out, "InformResponse"));
    g_autofree char *who1 = g_strdup_printf("identity=%s", ident1);
    assert_all(logline, who1, "tls=TLSv1.2", "outcome=refused reason=overload", NULL);
    g_free(out);
    g_free(logline);

    /* the first session ends; a third HNB is served */
    child_held_send(&a, EMPTY_POST);
    g_assert_cmpint(child_held_end(&a), ==, 0);
    g_autofree char *line_a = child_acs_log_line(&s, ++s.connections);
    assert_all(line_a, "rpcs=Inform,empty requests=2 outcome=ok", NULL);
    g_autofree char *cert2 = device_cert(2), *key2 = device_key(2), *oui2 = device_oui(2), *serial2 = device_serial(2);
    g_autofree char *req2 = inform_request(oui2, serial2);
    int rc = s_client_to(&s, (const char *[]){"-cert", cert2, "-key", key2, NULL}, req2, &out, &logline);
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "InformResponse", "HTTP/1.1 204 No Content", NULL);
    assert_all(logline, "rpcs=Inform,empty requests=2 outcome=ok", NULL);
    g_free(out);
    g_free(logline);

    /* the page: exactly what happened */
    g_autofree char *page = scrape(mport, "/metrics");
    g_test_message("%s", page);
    g_assert_true(g_str_has_suffix(page, "\ncode=200"));
    assert_all(page, "# HELP hnbsim_acs_connections_total ", "# TYPE hnbsim_acs_connections_total counter\n",
               "# TYPE hnbsim_acs_sessions_open gauge\n", NULL);
    g_assert_cmpint(metric(page, "hnbsim_acs_connections_total"), ==, 3);
    g_assert_cmpint(metric(page, "hnbsim_acs_handshakes_total{outcome=\"ok\"}"), ==, 3);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_total{outcome=\"ok\"}"), ==, 2);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_total{outcome=\"refused\"}"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_total{outcome=\"closed\"}"), ==, 0);
    g_assert_cmpint(metric(page, "hnbsim_acs_refused_total{reason=\"overload\"}"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_open"), ==, 0);
    g_assert_cmpint(metric(page, "hnbsim_acs_rpcs_total{rpc=\"Inform\"}"), ==, 2);
    g_assert_cmpint(metric(page, "hnbsim_acs_rpcs_total{rpc=\"empty\"}"), ==, 2);
    g_assert_cmpint(metric(page, "hnbsim_acs_downloads_total"), ==, 0);
    g_assert_cmpint(metric(page, "hnbsim_acs_image_bytes_total"), ==, 0);
    /* nothing else on that port */
    g_autofree char *other = scrape(mport, "/");
    g_assert_true(g_str_has_suffix(other, "\ncode=404"));
    g_autofree char *other2 = scrape(mport, "/metrics/x");
    g_assert_true(g_str_has_suffix(other2, "\ncode=404"));
    g_autofree char *log = g_strdup(s.log);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "acs: stopped by=SIGTERM connections=3 sessions=3 refused_overload=1 sessions_cut=0"));
}

/* SIGTERM: no new connections; an open session may finish within --grace (then the exit is at once), one that does
 * not is closed when the grace period ends and logged; exit 0 either way. */
static void test_acs_sigterm_grace(void)
{
    Server s;
    acs_start(&s, (const char *[]){"--grace", "5", NULL}, "acs-grace.log");
    g_autofree char *req0 = inform_only(0);
    Held a;
    held_start(&a, &s, 0, req0);
    g_free(child_held_wait(&a, "InformResponse"));
    kill(s.pid, SIGTERM);
    g_usleep(300000);
    int status;
    g_assert_cmpint(waitpid(s.pid, &status, WNOHANG), ==, 0); /* still there for the session */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)atoi(s.port))};
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), !=, 0); /* not accepting any more */
    close(fd);
    gint64 t0 = g_get_monotonic_time();
    child_held_send(&a, EMPTY_POST);
    g_assert_cmpint(child_held_end(&a), ==, 0);
    g_autofree char *log = g_strdup(s.log);
    g_assert_cmpint(child_server_reap(&s, 2000), ==, 0);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 2 * G_USEC_PER_SEC); /* not the whole grace period */
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_test_message("%s", text);
    assert_all(text, "rpcs=Inform,empty requests=2 outcome=ok", "acs: stopped by=SIGTERM", "sessions_cut=0", NULL);

    /* a session that does not finish: cut when --grace 1 is over */
    acs_start(&s, (const char *[]){"--grace", "1", NULL}, "acs-grace-cut.log");
    g_autofree char *req1 = inform_only(1);
    held_start(&a, &s, 1, req1);
    g_free(child_held_wait(&a, "InformResponse"));
    t0 = g_get_monotonic_time();
    kill(s.pid, SIGTERM);
    g_autofree char *log2 = g_strdup(s.log);
    g_assert_cmpint(child_server_reap(&s, 2000), ==, 0); /* within grace + 1 s */
    gint64 took = g_get_monotonic_time() - t0;
    g_test_message("stopped after %.2f s", took / 1e6);
    g_assert_cmpint(took, >=, G_USEC_PER_SEC * 9 / 10);
    child_held_end(&a);
    g_autofree char *text2 = NULL;
    g_assert_true(g_file_get_contents(log2, &text2, NULL, NULL));
    g_test_message("%s", text2);
    g_autofree char *ident1 = device_identity(1), *who1 = g_strdup_printf("identity=%s", ident1);
    assert_all(text2, who1, "rpcs=Inform requests=1 outcome=closed reason=server_stopped",
               "acs: stopped by=SIGTERM connections=1 sessions=1 refused_overload=0 sessions_cut=1", NULL);
}

/* ---- a whole recovery over real sockets (issue 14: campaign, signed image) --------------------------------------- */

/* The HNB's side written here with OpenSSL: the device certificate, TLS 1.2 with the profile's mandatory suite, the
 * H(e)MS certificate checked against the operator root and its name; one blocking socket with 10 s timeouts. */
typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    char *port;
    char *host;   /* the Host header: the H(e)MS name and port */
    char *cookie; /* "hnbsim-session=HEX" once an InformResponse set it */
    SSL_SESSION *resume; /* offered by the next hnb_connect (the caller owns it), or NULL */
} Hnb;

typedef struct {
    int status;
    char *head;    /* status line and header fields */
    GString *body;
} Resp;

static void resp_clear(Resp *r)
{
    g_free(r->head);
    if (r->body)
        g_string_free(r->body, TRUE);
    memset(r, 0, sizeof *r);
}

static void hnb_connect(Hnb *h)
{
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(h->fd, >=, 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(h->port)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_assert_cmpint(connect(h->fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    h->ssl = SSL_new(h->ctx);
    g_assert_nonnull(h->ssl);
    SSL_set_fd(h->ssl, h->fd);
    SSL_set_tlsext_host_name(h->ssl, hems_host);
    g_assert_cmpint(SSL_set1_host(h->ssl, hems_host), ==, 1);
    if (h->resume)
        g_assert_cmpint(SSL_set_session(h->ssl, h->resume), ==, 1);
    g_assert_cmpint(SSL_connect(h->ssl), ==, 1);
    g_assert_cmpint(SSL_get_verify_result(h->ssl), ==, X509_V_OK);
}

/* Close the connection: with close_notify (clean) or by just closing the socket (a cut). */
static void hnb_disconnect(Hnb *h, gboolean clean)
{
    if (!h->ssl)
        return;
    if (clean)
        SSL_shutdown(h->ssl);
    SSL_free(h->ssl);
    close(h->fd);
    h->ssl = NULL;
    h->fd = -1;
}

static void hnb_open(Hnb *h, int dev, const Server *s)
{
    memset(h, 0, sizeof *h);
    g_autofree char *cert = device_cert(dev), *key = device_key(dev), *root = pki_file(PKI_ROOT_CA);
    h->ctx = SSL_CTX_new(TLS_client_method());
    g_assert_nonnull(h->ctx);
    g_assert_cmpint(SSL_CTX_set_max_proto_version(h->ctx, TLS1_2_VERSION), ==, 1);
    g_assert_cmpint(SSL_CTX_set_cipher_list(h->ctx, "AES128-SHA"), ==, 1);
    g_assert_cmpint(SSL_CTX_use_certificate_chain_file(h->ctx, cert), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey_file(h->ctx, key, SSL_FILETYPE_PEM), ==, 1);
    g_assert_cmpint(SSL_CTX_load_verify_locations(h->ctx, root, NULL), ==, 1);
    SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
    h->port = g_strdup(s->port);
    h->host = g_strdup_printf("%s:%s", hems_host, s->port);
    hnb_connect(h);
}

static void hnb_free(Hnb *h)
{
    hnb_disconnect(h, TRUE);
    SSL_CTX_free(h->ctx);
    g_free(h->port);
    g_free(h->host);
    g_free(h->cookie);
    memset(h, 0, sizeof *h);
}

static void hnb_send(Hnb *h, const char *data, size_t len)
{
    while (len) {
        int n = SSL_write(h->ssl, data, (int)MIN(len, 16384));
        g_assert_cmpint(n, >, 0);
        data += n;
        len -= (size_t)n;
    }
}

/* One response; its body read up to Content-Length, or only its first `max_body` bytes (then the caller cuts). */
static void hnb_read(Hnb *h, Resp *r, size_t max_body)
{
    memset(r, 0, sizeof *r);
    GString *in = g_string_new(NULL);
    char buf[16384];
    const char *end;
    while (!(end = strstr(in->str, "\r\n\r\n"))) {
        int n = SSL_read(h->ssl, buf, sizeof buf);
        g_assert_cmpint(n, >, 0);
        g_string_append_len(in, buf, n);
    }
    size_t hlen = (size_t)(end - in->str) + 4;
    r->head = g_strndup(in->str, hlen);
    r->status = atoi(in->str + strlen("HTTP/1.1 "));
    const char *cl = strstr(r->head, "\r\nContent-Length: ");
    size_t want = cl ? (size_t)g_ascii_strtoull(cl + strlen("\r\nContent-Length: "), NULL, 10) : 0;
    want = MIN(want, max_body);
    r->body = g_string_new_len(in->str + hlen, (gssize)(in->len - hlen));
    g_string_free(in, TRUE);
    while (r->body->len < want) {
        int n = SSL_read(h->ssl, buf, (int)MIN(sizeof buf, want - r->body->len));
        g_assert_cmpint(n, >, 0);
        g_string_append_len(r->body, buf, n);
    }
    g_string_truncate(r->body, want);
}

/* POST `body` to /cwmp with the session's cookie; keeps the cookie an answer sets. */
static void hnb_post(Hnb *h, const char *body, Resp *r)
{
    g_autofree char *cookie = h->cookie ? g_strdup_printf("Cookie: %s\r\n", h->cookie) : g_strdup("");
    g_autofree char *req = g_strdup_printf("POST /cwmp HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml; "
                                           "charset=\"utf-8\"\r\nSOAPAction: \"\"\r\n%sContent-Length: %zu\r\n\r\n%s",
                                           h->host, cookie, strlen(body), body);
    hnb_send(h, req, strlen(req));
    hnb_read(h, r, G_MAXSIZE);
    const char *set = strstr(r->head, "\r\nSet-Cookie: ");
    if (set) {
        set += strlen("\r\nSet-Cookie: ");
        g_free(h->cookie);
        h->cookie = g_strndup(set, strcspn(set, ";\r"));
    }
}

/* GET `path` with `extra` header lines; the body up to max_body bytes. */
static void hnb_get(Hnb *h, const char *path, const char *extra, Resp *r, size_t max_body)
{
    g_autofree char *req = g_strdup_printf("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, h->host, extra ? extra : "");
    hnb_send(h, req, strlen(req));
    hnb_read(h, r, max_body);
}

/* The text of the first <name> element in `xml` (NULL if none). */
static char *xml_text(const char *xml, const char *name)
{
    g_autofree char *open = g_strdup_printf("<%s>", name), *close_tag = g_strdup_printf("</%s>", name);
    const char *a = strstr(xml, open);
    const char *b = a ? strstr(a, close_tag) : NULL;
    return b ? g_strndup(a + strlen(open), (size_t)(b - a - strlen(open))) : NULL;
}

/* HNB `dev`'s Inform with these event codes and SoftwareVersion. */
static char *recovery_inform(int dev, const char *const *events, const char *version)
{
    g_autofree char *device = device_id_of(dev);
    GString *ev = g_string_new(NULL);
    for (const char *const *e = events; *e; e++)
        g_string_append_printf(ev, "<EventStruct><EventCode>%s</EventCode><CommandKey></CommandKey></EventStruct>", *e);
    char *body = g_strdup_printf(CWMP_ENV("in-1", "<cwmp:Inform><DeviceId>%s</DeviceId><Event>%s</Event>"
                                                  "<MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>"
                                                  "<ParameterList><ParameterValueStruct><Name>"
                                                  "Device.DeviceInfo.SoftwareVersion</Name><Value>%s</Value>"
                                                  "</ParameterValueStruct></ParameterList></cwmp:Inform>"),
                                 device, ev->str, version);
    g_string_free(ev, TRUE);
    return body;
}

#define DOWNLOAD_RESPONSE                                                                                            \
    CWMP_ENV("hnbsim-acs-1", "<cwmp:DownloadResponse><Status>1</Status><StartTime>0001-01-01T00:00:00Z</StartTime>" \
                             "<CompleteTime>0001-01-01T00:00:00Z</CompleteTime></cwmp:DownloadResponse>")

/* The Download a session brings: what it said (an empty POST answered with it), or NULL when the answer was 204.
 * One session on a new connection: the Inform, then (tc_fault >= 0) a TransferComplete with that FaultCode, then the
 * empty POST and, after a Download, its DownloadResponse. */
static char *recovery_session(Hnb *h, int dev, const char *const *events, const char *version, int tc_fault)
{
    g_clear_pointer(&h->cookie, g_free);
    if (!h->ssl)
        hnb_connect(h);
    Resp r;
    g_autofree char *inform = recovery_inform(dev, events, version);
    hnb_post(h, inform, &r);
    g_assert_cmpint(r.status, ==, 200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:InformResponse>"));
    g_assert_null(strstr(r.body->str, "HoldRequests")); /* only the ACS's own request holds the CPE's */
    g_assert_nonnull(h->cookie);
    resp_clear(&r);
    if (tc_fault >= 0) {
        g_autofree char *tc = g_strdup_printf(CWMP_ENV("tc-1", "<cwmp:TransferComplete><CommandKey>%s</CommandKey>"
                                                               "<FaultStruct><FaultCode>%d</FaultCode><FaultString>"
                                                               "</FaultString></FaultStruct><StartTime>"
                                                               "2026-01-01T00:00:00Z</StartTime><CompleteTime>"
                                                               "2026-01-01T00:00:01Z</CompleteTime>"
                                                               "</cwmp:TransferComplete>"),
                                              img_command_key, tc_fault);
        hnb_post(h, tc, &r);
        g_assert_cmpint(r.status, ==, 200);
        g_assert_nonnull(strstr(r.body->str, "<cwmp:TransferCompleteResponse/>"));
        resp_clear(&r);
    }
    hnb_post(h, "", &r);
    char *download = NULL;
    if (r.status == 200) {
        g_assert_nonnull(strstr(r.body->str, "<cwmp:Download>"));
        download = g_strdup(r.body->str);
        resp_clear(&r);
        hnb_post(h, DOWNLOAD_RESPONSE, &r);
    }
    g_assert_cmpint(r.status, ==, 204);
    resp_clear(&r);
    hnb_disconnect(h, TRUE); /* the session ended with the 204 (Connection: close) */
    return download;
}

/* `hnbsim acs` publishing the test image with campaign options. */
static void campaign_start(Server *s, const char *const *campaign_opts, const char *log_name)
{
    make_image();
    GPtrArray *a = g_ptr_array_new();
    const char *base[] = {"--image", img_path, "--image-version", "2.0", "--golden-version", "golden-0.9", NULL};
    for (const char *const *p = base; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    for (const char *const *p = campaign_opts; *p; p++)
        g_ptr_array_add(a, (gpointer)*p);
    g_ptr_array_add(a, NULL);
    acs_start(s, (const char *const *)a->pdata, log_name);
    g_ptr_array_free(a, TRUE);
}

/* Stop the server; its whole log. */
static char *campaign_stop(Server *s)
{
    g_autofree char *log = g_strdup(s->log);
    g_assert_cmpint(child_server_stop(s), ==, 0);
    char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_test_message("%s", text);
    return text;
}

/* Lines of `log` containing every one of the NULL-terminated needles. */
static guint log_count(const char *log, ...)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    guint n = 0;
    for (char **l = lines; *l; l++) {
        va_list ap;
        va_start(ap, log);
        gboolean all = TRUE;
        for (const char *w; (w = va_arg(ap, const char *));)
            all = all && strstr(*l, w);
        va_end(ap);
        n += all;
    }
    return n;
}

/* The image over HTTPS as the HNB fetches it: `path` from the Download's URL, cut after `cut` bytes (0: not cut)
 * and resumed on a new connection with a Range request for the rest that names the first answer's ETag in If-Range. */
static GString *fetch_image(Hnb *h, const char *path, size_t cut)
{
    Resp r;
    hnb_connect(h);
    hnb_get(h, path, NULL, &r, cut ? cut : G_MAXSIZE);
    g_assert_cmpint(r.status, ==, 200);
    const char *et = strstr(r.head, "\r\nETag: ");
    g_assert_nonnull(et);
    g_autofree char *etag = g_strndup(et + strlen("\r\nETag: "), strcspn(et + strlen("\r\nETag: "), "\r"));
    GString *got = g_string_new_len(r.body->str, (gssize)r.body->len);
    resp_clear(&r);
    if (!cut) {
        hnb_disconnect(h, TRUE);
        return got;
    }
    hnb_disconnect(h, FALSE); /* mid-body: no close_notify, the socket just goes */
    g_assert_cmpuint(got->len, ==, cut);
    hnb_connect(h);
    g_autofree char *range = g_strdup_printf("Range: bytes=%zu-\r\nIf-Range: %s\r\n", cut, etag);
    hnb_get(h, path, range, &r, G_MAXSIZE);
    g_assert_cmpint(r.status, ==, 206);
    g_autofree char *cr = g_strdup_printf("Content-Range: bytes %zu-%d/%d", cut, IMG_SIZE - 1, IMG_SIZE);
    g_assert_nonnull(strstr(r.head, cr));
    g_string_append_len(got, r.body->str, (gssize)r.body->len);
    resp_clear(&r);
    hnb_disconnect(h, TRUE);
    return got;
}

/* What the HNB's TrE says of the bytes it got: the manifest fetched beside the image (NAME.manifest), verified with
 * the verification certificate (signing.pem) against the SHA-256 of those bytes (TS 33.320 §6.1). */
static HnbImageReason tre_verify(Hnb *h, const char *path, const GString *bytes, HnbImageManifest *m)
{
    Resp r;
    hnb_connect(h);
    g_autofree char *mpath = g_strconcat(path, ".manifest", NULL);
    hnb_get(h, mpath, NULL, &r, G_MAXSIZE);
    hnb_disconnect(h, TRUE);
    g_assert_cmpint(r.status, ==, 200);
    HnbSignedImage signed_image;
    g_assert_true(hnb_image_signed_from_text(&signed_image, r.body->str, r.body->len));
    resp_clear(&r);
    g_autofree char *cert_path = pki_file("signing.pem");
    BIO *b = BIO_new_file(cert_path, "r");
    X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    g_assert_nonnull(cert);
    uint8_t digest[32];
    gsize dlen = sizeof digest;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, (const guchar *)bytes->str, (gssize)bytes->len);
    g_checksum_get_digest(sum, digest, &dlen);
    g_checksum_free(sum);
    HnbImageReason why = hnb_image_verify(&signed_image, cert, digest, m);
    X509_free(cert);
    hnb_image_signed_clear(&signed_image);
    return why;
}

/* The URL's path, after https://HOST:PORT. */
static char *url_path(const char *download)
{
    g_autofree char *url = xml_text(download, "URL");
    g_autofree char *prefix = g_strdup_printf("https://%s:", hems_host);
    g_assert_nonnull(url);
    g_assert_true(g_str_has_prefix(url, prefix));
    const char *slash = strchr(url + strlen(prefix), '/');
    g_assert_nonnull(slash);
    return g_strdup(slash);
}

static void assert_field(const char *xml, const char *name, const char *want)
{
    g_autofree char *got = xml_text(xml, name);
    g_assert_cmpstr(got, ==, want);
}

/* The golden module informs, gets the Download (HoldRequests, URL, FileSize, DelaySeconds, CommandKey), fetches the
 * image with a cut and a Range resume, verifies the signed manifest, reports TransferComplete from the new image,
 * and gets nothing more. */
static void test_acs_recovery(void)
{
    Server s;
    campaign_start(&s, (const char *[]){NULL}, "acs-recovery.log");
    Hnb h;
    hnb_open(&h, 0, &s);
    const char *boot[] = {"1 BOOT", NULL};
    g_autofree char *dl = recovery_session(&h, 0, boot, "golden-0.9", -1);
    g_assert_nonnull(dl);
    g_assert_nonnull(strstr(dl, "<cwmp:HoldRequests soap-env:mustUnderstand=\"1\">true</cwmp:HoldRequests>"));
    g_autofree char *want_url = g_strdup_printf("https://%s/images/hnb-2.0.img", h.host);
    assert_field(dl, "URL", want_url);
    g_autofree char *size = g_strdup_printf("%d", IMG_SIZE);
    assert_field(dl, "FileSize", size);
    assert_field(dl, "DelaySeconds", "0");
    assert_field(dl, "CommandKey", img_command_key);
    assert_field(dl, "FileType", "1 Firmware Upgrade Image");
    g_autofree char *path = url_path(dl);

    g_autoptr(GString) bytes = fetch_image(&h, path, 100000);
    g_autofree char *file = NULL;
    gsize flen = 0;
    g_assert_true(g_file_get_contents(img_path, &file, &flen, NULL));
    g_assert_cmpuint(bytes->len, ==, flen);
    g_assert_true(memcmp(bytes->str, file, flen) == 0);
    HnbImageManifest m;
    g_assert_cmpint(tre_verify(&h, path, bytes, &m), ==, HNB_IMAGE_OK);
    g_assert_cmpstr(m.name, ==, "hnb-2.0.img");
    g_assert_cmpstr(m.version, ==, "2.0");
    g_assert_cmpuint(m.size, ==, IMG_SIZE);

    /* installed and rebooted into 2.0: TransferComplete in the next session, then nothing to do */
    const char *tc[] = {"1 BOOT", "M Download", "7 TRANSFER COMPLETE", NULL}, *periodic[] = {"2 PERIODIC", NULL};
    g_assert_null(recovery_session(&h, 0, tc, "2.0", 0));
    g_assert_null(recovery_session(&h, 0, periodic, "2.0", -1));
    hnb_free(&h);
    g_autofree char *log = campaign_stop(&s);
    g_assert_cmpuint(log_count(log, "rpcs=Inform,empty,acs:Download,DownloadResponse requests=3 outcome=ok",
                               "cookie=echoed", "download=status:1", "runs=golden attempt=1/3 delay=0", NULL), ==, 1);
    /* the cut GET and the manifest's; the resumed range */
    g_assert_cmpuint(log_count(log, "images=200 bytes=", NULL), ==, 2);
    g_assert_cmpuint(log_count(log, "images=206:100000-299999 bytes=200000", "outcome=served", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "rpcs=Inform,TransferComplete,empty requests=3 outcome=ok", "transfer=ok",
                               "runs=published", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "rpcs=Inform,empty requests=2 outcome=ok", "runs=published", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "download=", NULL), ==, 1);
}

/* ---- a session across connections (TR-069 §3.4.1) -------------------------------------------------------------- */

/* The server log once `needle` stands in at least n lines (bounded wait). */
static char *log_wait_count(const Server *s, const char *needle, guint n)
{
    for (int waited = 0;; waited += 20) {
        char *text = NULL;
        if (g_file_get_contents(s->log, &text, NULL, NULL) && log_count(text, needle, NULL) >= n)
            return text;
        g_free(text);
        if (waited >= WAIT_MS) {
            g_test_message("waited for %u lines with \"%s\"", n, needle);
            g_assert_not_reached();
        }
        g_usleep(20000);
    }
}

/* The worker (0 or 1) named by the last line of `log` containing both needles. */
static int last_worker(const char *log, const char *a, const char *b)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    int worker = -1;
    for (char **l = lines; *l; l++) {
        const char *w = strstr(*l, " worker=");
        if (strstr(*l, a) && strstr(*l, b) && w)
            worker = atoi(w + strlen(" worker="));
    }
    g_assert_cmpint(worker, >=, 0);
    return worker;
}

/* HNB dev informs on a new connection (its cookie kept in h), which is then cut with no close_notify: the server
 * parks the session. */
static void inform_and_cut(Hnb *h, int dev, const char *const *events, const char *version)
{
    g_clear_pointer(&h->cookie, g_free);
    hnb_connect(h);
    Resp r;
    g_autofree char *inform = recovery_inform(dev, events, version);
    hnb_post(h, inform, &r);
    g_assert_cmpint(r.status, ==, 200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:InformResponse>"));
    g_assert_nonnull(h->cookie);
    resp_clear(&r);
    hnb_disconnect(h, FALSE);
}

/* One session on two connections: HNB dev informs (SoftwareVersion 1.0: a Download is due), the connection is cut
 * with no close_notify (the server parks the session: its log line says parked=1), then a new connection's first POST
 * is the empty POST with the cookie: the Download comes as the session's next answer, the DownloadResponse ends it.
 * The log lines of the parked and the resumed connection, as a pair (a, b) of the strings to find them by. */
static void session_over_two_connections(Hnb *h, const Server *s, int dev, guint round)
{
    inform_and_cut(h, dev, (const char *[]){"1 BOOT", NULL}, "1.0");
    g_free(log_wait_count(s, "parked=1", round));
    Resp r;
    hnb_connect(h);
    hnb_post(h, "", &r);
    g_assert_cmpint(r.status, ==, 200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:Download>"));
    g_assert_null(strstr(r.head, "Set-Cookie")); /* the same session: no new cookie */
    resp_clear(&r);
    hnb_post(h, DOWNLOAD_RESPONSE, &r);
    g_assert_cmpint(r.status, ==, 204);
    resp_clear(&r);
    hnb_disconnect(h, TRUE);
}

/* The metrics page, in this order: sessions resumed, sessions ended ok, sessions ended closed, parked sessions
 * expired, foreign cookies refused, Downloads sent; none open or parked now.  (No curl: nothing checked.) */
static void assert_resume_metrics(const char *mport, const gint64 *want)
{
    static const char *const series[] = {"hnbsim_acs_sessions_resumed_total",
                                         "hnbsim_acs_sessions_total{outcome=\"ok\"}",
                                         "hnbsim_acs_sessions_total{outcome=\"closed\"}",
                                         "hnbsim_acs_sessions_expired_total",
                                         "hnbsim_acs_refused_total{reason=\"foreign_cookie\"}",
                                         "hnbsim_acs_downloads_total"};
    g_autofree char *page = scrape(mport, "/metrics");
    if (!page)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(series); i++) {
        g_test_message("%s", series[i]);
        g_assert_cmpint(metric(page, series[i]), ==, want[i]);
    }
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_open"), ==, 0);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_parked"), ==, 0);
}

/* --workers 2 --session-linger 2: sessions whose connection is cut go on over the next connection by their cookie,
 * whichever worker each connection lands on (rounds until one session was parked by one worker and resumed by the
 * other); each is counted once (sessions_total{outcome="ok"}), resumed counted, nothing left open.  Then the cookie
 * replayed under another device's certificate is denied (8001) and the session stays its owner's; and after the
 * linger a cookie names nothing: the empty POST is a new session's (204, no Download), the parked one ended by the
 * sweep (session_ended reason=session_linger). */
static void test_acs_session_resume(void)
{
    Server s;
    campaign_start(&s, (const char *[]){"--workers", "2", "--session-linger", "2", "--max-attempts", "0",
                                        "--metrics", "127.0.0.1:0", NULL},
                   "acs-resume.log");
    g_autofree char *mport = metrics_port(&s);
    Hnb h[3];
    for (int d = 0; d < 3; d++) {
        hnb_open(&h[d], d, &s);
        hnb_disconnect(&h[d], TRUE); /* an image-less connection of nothing: logged, not a session */
    }
    guint rounds = 0;
    gboolean crossed = FALSE;
    while (!crossed && rounds < 30) {
        int dev = (int)(rounds % 3);
        rounds++;
        session_over_two_connections(&h[dev], &s, dev, rounds);
        g_autofree char *log = log_wait_count(&s, "cwmp_resumed=1", rounds);
        g_autofree char *id = device_identity(dev);
        crossed = last_worker(log, "parked=1", id) != last_worker(log, "cwmp_resumed=1", id);
    }
    g_assert_true(crossed);
    g_autofree char *log = log_wait_count(&s, "cwmp_resumed=1", rounds);
    g_assert_cmpuint(log_count(log, "rpcs=Inform requests=1 outcome=closed", "parked=1", NULL),
                     ==, rounds);
    g_assert_cmpuint(log_count(log, "rpcs=Inform,empty,acs:Download,DownloadResponse requests=2 outcome=ok",
                               "download=status:1", "cookie=echoed", "cwmp_resumed=1", NULL), ==, rounds);
    assert_resume_metrics(mport, (const gint64[]){rounds, rounds, 0, 0, 0, rounds});

    /* another device's certificate with HNB 0's cookie: denied; HNB 0 then takes its session up */
    Resp r;
    const char *periodic[] = {"2 PERIODIC", NULL};
    inform_and_cut(&h[0], 0, periodic, "2.0");
    g_free(log_wait_count(&s, "parked=1", rounds + 1));
    g_free(h[1].cookie);
    h[1].cookie = g_strdup(h[0].cookie);
    hnb_connect(&h[1]);
    hnb_post(&h[1], "", &r);
    g_assert_cmpint(r.status, ==, 500);
    g_assert_nonnull(strstr(r.body->str, "<FaultCode>8001</FaultCode>"));
    g_assert_nonnull(strstr(r.head, "Connection: close"));
    resp_clear(&r);
    hnb_disconnect(&h[1], TRUE);
    g_autofree char *id1 = device_identity(1);
    g_free(log_wait_count(&s, "reason=foreign_cookie", 1));
    hnb_connect(&h[0]);
    hnb_post(&h[0], "", &r); /* version 2.0: nothing to do, the session ends */
    g_assert_cmpint(r.status, ==, 204);
    resp_clear(&r);
    hnb_disconnect(&h[0], TRUE);

    /* after the linger: the cookie names nothing any more */
    inform_and_cut(&h[2], 2, (const char *[]){"1 BOOT", NULL}, "1.0");
    g_free(log_wait_count(&s, "reason=session_linger", 1));
    hnb_connect(&h[2]);
    hnb_post(&h[2], "", &r);
    g_assert_cmpint(r.status, ==, 204); /* a new session without an Inform: no Download, the session ends */
    resp_clear(&r);
    hnb_disconnect(&h[2], TRUE);
    for (int d = 0; d < 3; d++)
        hnb_free(&h[d]);
    assert_resume_metrics(mport, (const gint64[]){rounds + 1, rounds + 2, 1, 1, 1, rounds});
    /* one left parked when the server stops: ended then, counted in the summary */
    Hnb last;
    hnb_open(&last, 1, &s);
    hnb_disconnect(&last, TRUE);
    inform_and_cut(&last, 1, periodic, "2.0");
    hnb_free(&last);
    g_free(log);
    log = log_wait_count(&s, "parked=1", rounds + 3);
    g_free(log);
    log = campaign_stop(&s);
    g_assert_cmpuint(log_count(log, "acs: session_ended", id1, "reason=server_stopped", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "acs: stopped by=SIGTERM", NULL), ==, 1);
    g_assert_null(strstr(log, "Sanitizer"));
    g_assert_cmpuint(log_count(log, "outcome=rejected reason=foreign_cookie", id1, NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "rpcs=Inform,empty requests=1 outcome=ok", "cwmp_resumed=1", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "acs: session_ended", "rpcs=Inform", "reason=session_linger", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "rpcs=empty requests=1 outcome=ok", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "rpcs=empty", "cwmp_resumed=1", NULL), ==, 0);
}

/* Bytes damaged on the way (one flipped at the HNB): the TrE refuses them (corrupted), the HNB reports 9017 and is
 * offered the image again in that session, until --max-attempts Downloads; then the ACS gives up on it. */
static void test_acs_recovery_corrupted(void)
{
    Server s;
    campaign_start(&s, (const char *[]){"--max-attempts", "2", "--metrics", "127.0.0.1:0", NULL}, "acs-corrupted.log");
    g_autofree char *mport = metrics_port(&s);
    Hnb h;
    hnb_open(&h, 1, &s);
    const char *boot[] = {"1 BOOT", NULL}, *tc[] = {"M Download", "7 TRANSFER COMPLETE", NULL};
    char *dl = recovery_session(&h, 1, boot, "golden-0.9", -1);
    for (int attempt = 1; dl; attempt++) {
        g_assert_cmpint(attempt, <=, 2);
        g_autofree char *path = url_path(dl);
        g_autoptr(GString) bytes = fetch_image(&h, path, 0);
        bytes->str[12345] ^= 0x20;
        g_assert_cmpint(tre_verify(&h, path, bytes, NULL), ==, HNB_IMAGE_CORRUPTED);
        g_free(dl);
        dl = recovery_session(&h, 1, tc, "golden-0.9", 9017);
        if (attempt == 2)
            g_assert_null(dl);
    }
    g_assert_null(recovery_session(&h, 1, boot, "golden-0.9", -1)); /* still given up at its next boot */
    hnb_free(&h);
    g_autofree char *page = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page, "hnbsim_acs_campaign_devices"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_campaign_gave_up"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_campaign_done"), ==, 0);
    g_assert_cmpint(metric(page, "hnbsim_acs_campaign_transfers_total{result=\"failed\"}"), ==, 2);
    g_assert_cmpint(metric(page, "hnbsim_acs_downloads_total"), ==, 2);
    g_autofree char *log = campaign_stop(&s);
    g_assert_cmpuint(log_count(log, "runs=golden attempt=1/2 delay=0", "download=status:1", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "transfer=fault:9017", "runs=golden attempt=2/2 delay=0", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "transfer=fault:9017", "download=gave_up", "runs=golden attempts=2", NULL), ==, 1);
    g_assert_cmpuint(log_count(log, "rpcs=Inform,empty requests=2", "download=gave_up", NULL), ==, 1);
}

/* --campaign-rate 0.1: three golden HNBs informing together get DelaySeconds 0, 10 and 20 (the k-th ceil(k / R)).
 * The k-th is ceil(10 k - e) for e the seconds since the first Download went out: exactly 10 k while the three
 * sessions take less than a second, and never below 10 k minus the time they did take (a slow, sanitized build). */
static void test_acs_campaign_stagger(void)
{
    Server s;
    campaign_start(&s, (const char *[]){"--campaign-rate", "0.1", NULL}, "acs-stagger.log");
    const char *boot[] = {"1 BOOT", NULL};
    int delays[3];
    gint64 t0 = g_get_monotonic_time();
    for (int dev = 0; dev < 3; dev++) {
        Hnb h;
        hnb_open(&h, dev, &s);
        g_autofree char *dl = recovery_session(&h, dev, boot, "golden-0.9", -1);
        g_autofree char *delay = xml_text(dl, "DelaySeconds");
        g_assert_nonnull(delay);
        delays[dev] = atoi(delay);
        double elapsed = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
        g_test_message("HNB %d: DelaySeconds %d after %.3f s", dev, delays[dev], elapsed);
        g_assert_cmpint(delays[dev], <=, 10 * dev);
        g_assert_cmpint(delays[dev], >=, 10 * dev - (int)elapsed); /* ceil(10 k - e) > 10 k - floor(e) - 1 */
        if (elapsed < 1)
            g_assert_cmpint(delays[dev], ==, 10 * dev);
        hnb_free(&h);
    }
    g_autofree char *log = campaign_stop(&s);
    for (int dev = 0; dev < 3; dev++) {
        g_autofree char *ident = device_identity(dev), *who = g_strdup_printf("identity=%s ", ident);
        g_autofree char *delay = g_strdup_printf("runs=golden attempt=1/3 delay=%d", delays[dev]);
        g_assert_cmpuint(log_count(log, who, delay, NULL), ==, 1);
    }
}

/* --image needs the PKI's software-signing key; --golden-version needs --image. */
static void test_acs_campaign_bad_input(void)
{
    make_image();
    g_autofree char *nosign = g_build_filename(scratch, "pki-nosign", NULL);
    g_autofree char *key = g_build_filename(nosign, "signing.key", NULL);
    g_assert_cmpint(run((const char *[]){"cp", "-r", pki, nosign, NULL}, NULL, NULL, NULL), ==, 0);
    g_assert_cmpint(g_unlink(key), ==, 0);
    char *err = NULL;
    int rc = hnbsim((const char *[]){"acs", "--listen", "127.0.0.1:0", "--pki", nosign, "--image", img_path,
                                     "--image-version", "2.0", NULL},
                    NULL, &err);
    g_assert_cmpint(rc, ==, 2);
    assert_all(err, "--image needs the PKI's software-signing key", "signing.key is missing", NULL);
    g_free(err);
    const char *bad[][9] = {{"--golden-version", "golden-0.9", NULL},
                            {"--image", img_path, "--image-version", "2.0", "--golden-version", "2.0", NULL},
                            {"--image", img_path, "--image-version", "2.0", "--golden-version", "*", NULL},
                            {"--image", img_path, "--image-version", "2.0", "--campaign-rate", "-1", NULL},
                            {"--image", img_path, "--image-version", "2.0", "--max-attempts", "-2", NULL}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GPtrArray *a = g_ptr_array_new();
        const char *base[] = {"acs", "--listen", "127.0.0.1:0", "--pki", pki, NULL};
        for (const char *const *p = base; *p; p++)
            g_ptr_array_add(a, (gpointer)*p);
        for (int j = 0; bad[i][j]; j++)
            g_ptr_array_add(a, (gpointer)bad[i][j]);
        g_ptr_array_add(a, NULL);
        rc = hnbsim((const char *const *)a->pdata, NULL, NULL);
        g_ptr_array_free(a, TRUE);
        g_assert_cmpint(rc, ==, 2);
    }
}

/* ---- bad peers, bounded (issue 14, capacity) -------------------------------------------------------------------- */

/* A TCP connection to 127.0.0.1:port (blocking). */
static int tcp_dial(const char *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)atoi(port))};
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    return fd;
}

/* The test's own TLS client: HNB dev's certificate, the H(e)MS verified against the root, TLS 1.2; blocking. */
typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
} Tls;

static void tls_dial(Tls *t, const char *port, int dev)
{
    g_autofree char *cert = device_cert(dev), *key = device_key(dev), *root = pki_file(PKI_ROOT_CA);
    t->ctx = SSL_CTX_new(TLS_client_method());
    g_assert_nonnull(t->ctx);
    SSL_CTX_set_max_proto_version(t->ctx, TLS1_2_VERSION);
    g_assert_cmpint(SSL_CTX_use_certificate_chain_file(t->ctx, cert), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM), ==, 1);
    g_assert_cmpint(SSL_CTX_load_verify_locations(t->ctx, root, NULL), ==, 1);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    t->fd = tcp_dial(port);
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, t->fd);
    g_assert_cmpint(SSL_connect(t->ssl), ==, 1);
}

/* Close without a word: a reset (SO_LINGER 0), as a client that vanishes. */
static void tls_vanish(Tls *t)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    close(t->fd);
}

/* Is the peer still there?  FALSE once the server has closed (EOF, reset, close_notify). */
static gboolean still_open(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 0) <= 0)
        return TRUE;
    char b;
    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* The server log once it contains `want` (bounded wait). */
static char *log_wait(const Server *s, const char *want)
{
    return child_file_wait(s->log, want);
}

/* Trickle: one byte every 200 ms (from `bytes`, round and round) until the server closes or `limit_s` passes;
 * returns the seconds it took.  `send_byte` sends one byte (TRUE) or sees the connection gone (FALSE). */
typedef gboolean (*SendByte)(void *ctx, char b);
static double trickle(SendByte send_byte, void *ctx, int fd, const char *bytes, double limit_s)
{
    gint64 t0 = g_get_monotonic_time();
    for (size_t i = 0; (g_get_monotonic_time() - t0) / 1e6 < limit_s; i++) {
        if (!still_open(fd) || !send_byte(ctx, bytes[i % strlen(bytes)]))
            break;
        g_usleep(200000);
    }
    return (g_get_monotonic_time() - t0) / 1e6;
}

static gboolean send_tcp(void *ctx, char b)
{
    return send(*(int *)ctx, &b, 1, MSG_NOSIGNAL) == 1;
}

static gboolean send_tls(void *ctx, char b)
{
    return SSL_write(ctx, &b, 1) == 1;
}

/* Slowloris: a handshake trickled a byte at a time is cut at --handshake-timeout, a request header trickled a byte
 * at a time at --header-timeout, a body at --body-timeout (the idle timer, restarted by every byte, would never end
 * either); a real session meanwhile is served as usual. */
static void test_acs_slow_peers(void)
{
    Server s;
    acs_start(&s, (const char *[]){"--handshake-timeout", "1", "--header-timeout", "2", "--body-timeout", "2",
                                   "--idle-timeout", "8", "--metrics", "127.0.0.1:0", NULL},
              "acs-slow.log");
    g_autofree char *mport = metrics_port(&s);
    /* a TLS record header announcing a 256-byte ClientHello, then its bytes one by one */
    int fd = tcp_dial(s.port);
    g_assert_cmpint(send(fd, "\x16\x03\x01\x01\x00", 5, MSG_NOSIGNAL), ==, 5);
    double took = trickle(send_tcp, &fd, fd, "\x01", 6);
    close(fd);
    g_test_message("slow handshake closed after %.2f s", took);
    g_assert_cmpfloat(took, >=, 0.8);
    g_assert_cmpfloat(took, <, 4); /* the deadline, not the idle timer (8 s) */
    g_autofree char *l1 = child_acs_log_line(&s, ++s.connections);
    assert_all(l1, "tls=- ", "outcome=refused reason=handshake_timeout (not done within 1 s)", " duration_ms=", NULL);
    g_assert_null(strstr(l1, "handshake_ms=")); /* no handshake was done */
    double ms = g_ascii_strtod(strstr(l1, " duration_ms=") + 13, NULL);
    g_assert_cmpfloat(ms, >=, 900); /* the deadline's second, on the server's clock */
    g_assert_cmpfloat(ms, <, 4000);

    /* a request header a byte at a time, after a real handshake; a real session is served meanwhile */
    Tls slow;
    tls_dial(&slow, s.port, 2);
    g_assert_cmpint(SSL_write(slow.ssl, "POST /cwmp HTTP/1.1\r\n", 21), ==, 21);
    g_autofree char *cert = device_cert(0), *key = device_key(0), *oui = device_oui(0), *serial = device_serial(0);
    g_autofree char *req = inform_request(oui, serial);
    char *out, *logline;
    int rc = s_client_to(&s, (const char *[]){"-cert", cert, "-key", key, NULL}, req, &out, &logline);
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "InformResponse", "HTTP/1.1 204 No Content", NULL);
    assert_all(logline, "rpcs=Inform,empty requests=2 outcome=ok", NULL);
    g_free(out);
    g_free(logline);
    took = trickle(send_tls, slow.ssl, slow.fd, "X-Slow: a\r\n", 10);
    g_test_message("slow header closed after %.2f s of trickling", took);
    g_assert_cmpfloat(took, <, 4);
    tls_vanish(&slow);
    g_autofree char *l3 = child_acs_log_line(&s, ++s.connections);
    assert_all(l3, "outcome=timeout reason=slow_header (request header not complete within 2 s", "tls=TLSv1.2",
               " handshake_ms=", " duration_ms=", NULL);

    /* a whole header at once, then its announced body a byte at a time: the body's own deadline */
    Tls body;
    tls_dial(&body, s.port, 1);
    static const char head[] = "POST /cwmp HTTP/1.1\r\nHost: acs\r\nContent-Length: 4000\r\n\r\n";
    g_assert_cmpint(SSL_write(body.ssl, head, (int)strlen(head)), ==, (int)strlen(head));
    took = trickle(send_tls, body.ssl, body.fd, "<", 10);
    g_test_message("slow body closed after %.2f s of trickling", took);
    g_assert_cmpfloat(took, >=, 1.5);
    g_assert_cmpfloat(took, <, 5); /* the body's deadline, not the idle timer (8 s) */
    tls_vanish(&body);
    g_autofree char *l4 = child_acs_log_line(&s, ++s.connections);
    assert_all(l4, "outcome=timeout reason=slow_body (request body not complete within 2 s", NULL);

    g_autofree char *page = scrape(mport, "/metrics");
    g_test_message("%s", page);
    g_assert_cmpint(metric(page, "hnbsim_acs_timeouts_total{reason=\"handshake\"}"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_timeouts_total{reason=\"slow_header\"}"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_timeouts_total{reason=\"slow_body\"}"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_handshakes_total{outcome=\"handshake_timeout\"}"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_connections_open"), ==, 0);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* VmRSS of a process, KiB (-1: unknown). */
static gint64 rss_kib(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid), *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const char *p = strstr(text, "VmRSS:");
    return p ? g_ascii_strtoll(p + 6, NULL, 10) : -1;
}

/* Thousands of idle TCP connections against --max-connections 100: never more than 100 open (each new one closes
 * the oldest idle one), the server's memory does not follow the crowd, and a real session is still served. */
static void test_acs_idle_crowd(void)
{
    enum { CROWD = 2000, CAP = 100 };
    struct rlimit rl;
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
    if (rl.rlim_cur < CROWD + 100) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= CROWD + 100 ? CROWD + 100 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < CROWD + 100) {
        g_test_skip("RLIMIT_NOFILE too low for the crowd");
        return;
    }
    g_autofree char *cap = g_strdup_printf("%d", CAP);
    Server s;
    acs_start(&s, (const char *[]){"--max-connections", cap, "--metrics", "127.0.0.1:0", NULL}, "acs-crowd.log");
    g_autofree char *mport = metrics_port(&s);
    gint64 rss0 = rss_kib(s.pid);
    int *fds = g_new(int, CROWD);
    for (int i = 0; i < CROWD; i++)
        fds[i] = tcp_dial(s.port);
    g_autofree char *evicted = g_strdup_printf("reason=max_connections (the oldest idle connection");
    g_free(log_wait(&s, evicted));
    g_autofree char *page = scrape(mport, "/metrics");
    g_test_message("%s", page);
    /* every connection beyond the cap closed an older one (the last few may still be in the accept queue) */
    g_assert_cmpint(metric(page, "hnbsim_acs_connections_open"), <=, CAP);
    g_assert_cmpint(metric(page, "hnbsim_acs_refused_total{reason=\"max_connections\"}"), >=, CROWD - CAP - 200);
    gint64 rss1 = rss_kib(s.pid);
    g_test_message("VmRSS %" G_GINT64_FORMAT " KiB before the crowd, %" G_GINT64_FORMAT " KiB with it", rss0, rss1);
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer keeps freed memory in quarantine: RSS says nothing there */
    if (rss0 > 0 && rss1 > 0)
        g_assert_cmpint(rss1 - rss0, <, 64 * 1024);
#endif

    /* a real session: its connection takes the place of the oldest idle one */
    g_autofree char *cert = device_cert(1), *key = device_key(1), *oui = device_oui(1), *serial = device_serial(1);
    g_autofree char *req = inform_request(oui, serial);
    g_autofree char *connect = g_strdup_printf("127.0.0.1:%s", s.port), *root = pki_file(PKI_ROOT_CA);
    g_autofree char *req_file = data_file("crowd-request.http", req);
    char *out;
    int rc = run((const char *[]){"openssl", "s_client", "-connect", connect, "-CAfile", root, "-ign_eof", "-cert",
                                  cert, "-key", key, NULL},
                 req_file + 1, &out, NULL);
    g_assert_cmpint(rc, ==, 0);
    assert_all(out, "InformResponse", "HTTP/1.1 204 No Content", NULL);
    g_free(out);
    g_free(log_wait(&s, "rpcs=Inform,empty requests=2 outcome=ok"));
    for (int i = 0; i < CROWD; i++)
        close(fds[i]);
    g_free(fds);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* A client that vanishes in the middle of an image: logged (reason=mid_download), its connection freed. */
static void test_acs_vanish_mid_download(void)
{
    g_autofree char *path = g_build_filename(scratch, "big.img", NULL);
    {   /* large enough that the kernel's buffers cannot take it all while the client reads nothing */
        gsize len = 32 * 1024 * 1024;
        g_autofree char *bytes = g_malloc(len);
        for (gsize i = 0; i < len; i++)
            bytes[i] = (char)(i * 2654435761u >> 24);
        g_assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
    }
    Server s;
    acs_start(&s, (const char *[]){"--image", path, "--image-version", "2.0", "--metrics", "127.0.0.1:0", NULL},
              "acs-vanish.log");
    g_autofree char *mport = metrics_port(&s);
    Tls t;
    tls_dial(&t, s.port, 1);
    static const char get[] = "GET /images/big.img HTTP/1.1\r\nHost: acs\r\n\r\n";
    g_assert_cmpint(SSL_write(t.ssl, get, (int)strlen(get)), ==, (int)strlen(get));
    char buf[4096];
    g_assert_cmpint(SSL_read(t.ssl, buf, sizeof buf), >, 0);
    g_usleep(200000); /* the server fills the socket's buffers and waits */
    tls_vanish(&t);
    g_autofree char *line = child_acs_log_line(&s, ++s.connections);
    g_test_message("%s", line);
    assert_all(line, "outcome=closed reason=mid_download", "images=200 bytes=", NULL);
    g_autofree char *page = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page, "hnbsim_acs_connections_open"), ==, 0);
    g_assert_cmpint(metric(page, "hnbsim_acs_image_bytes_total"), <, 32 * 1024 * 1024);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* What the server sent until `want` shows (or it closes, or WAIT_MS pass: SO_RCVTIMEO). */
static char *tls_read_until(Tls *t, const char *want)
{
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    GString *got = g_string_new(NULL);
    char buf[4096];
    int n;
    while (!strstr(got->str, want) && (n = SSL_read(t->ssl, buf, sizeof buf)) > 0)
        g_string_append_len(got, buf, n);
    return g_string_free(got, FALSE);
}

static void tls_send(Tls *t, const char *text)
{
    g_assert_cmpint(SSL_write(t->ssl, text, (int)strlen(text)), ==, (int)strlen(text));
}

/* How many lines of `text` contain `what`. */
static guint count_lines(const char *text, const char *what)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = 0;
    for (char **l = lines; *l; l++)
        n += strstr(*l, what) != NULL;
    return n;
}

/* --workers 2: two loops on one port (SO_REUSEPORT).  Twelve HNBs inform at once against --max-sessions 4: exactly
 * four sessions, eight 8005 refusals, whichever worker took them (both took some); once those end, four more are
 * served; /metrics sums both workers; SIGTERM stops both, the sessions still open cut after --grace. */
static void test_acs_workers(void)
{
    enum { N = 12, MAX = 4 };
    Server s;
    acs_start(&s, (const char *[]){"--workers", "2", "--max-sessions", "4", "--grace", "1", "--metrics",
                                   "127.0.0.1:0", NULL},
              "acs-workers.log");
    g_autofree char *mport = metrics_port(&s);
    Tls t[N];
    guint served = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        tls_dial(&t[i], s.port, i % 3);
        g_autofree char *inform = inform_only(i % 3);
        tls_send(&t[i], inform);
    }
    gboolean open_[N];
    for (int i = 0; i < N; i++) {
        g_autofree char *got = tls_read_until(&t[i], ":Envelope>");
        open_[i] = strstr(got, "InformResponse") != NULL;
        served += open_[i];
        if (strstr(got, "HTTP/1.1 503") && strstr(got, "<FaultCode>8005</FaultCode>"))
            refused++;
    }
    g_assert_cmpuint(served, ==, MAX);
    g_assert_cmpuint(refused, ==, N - MAX);
    char *page = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_open"), ==, MAX);
    g_assert_cmpint(metric(page, "hnbsim_acs_refused_total{reason=\"overload\"}"), ==, N - MAX);
    for (int i = 0; i < N; i++)
        if (open_[i]) {
            tls_send(&t[i], EMPTY_POST);
            g_autofree char *got = tls_read_until(&t[i], "204 No Content");
            g_assert_nonnull(strstr(got, "HTTP/1.1 204"));
        }
    for (int i = 0; i < N; i++)
        tls_vanish(&t[i]);
    char *log = log_wait(&s, "requests=2 outcome=ok");
    /* the four more, two of them left open for the stop */
    served = 0;
    for (int i = 0; i < MAX; i++) {
        tls_dial(&t[i], s.port, i % 3);
        g_autofree char *inform = inform_only(i % 3);
        tls_send(&t[i], inform);
        g_autofree char *got = tls_read_until(&t[i], ":Envelope>");
        served += strstr(got, "InformResponse") != NULL;
    }
    g_assert_cmpuint(served, ==, MAX);
    for (int i = 0; i < 2; i++) {
        tls_send(&t[i], EMPTY_POST);
        g_free(tls_read_until(&t[i], "204 No Content"));
    }
    g_free(log);
    log = NULL;
    for (int tries = 0; tries < 500; tries++) { /* the two ended sessions' lines */
        g_free(log);
        g_assert_true(g_file_get_contents(s.log, &log, NULL, NULL));
        if (count_lines(log, "outcome=ok") == MAX + 2)
            break;
        g_usleep(20000);
    }
    g_assert_cmpuint(count_lines(log, "outcome=ok"), ==, MAX + 2);
    g_assert_cmpuint(count_lines(log, "outcome=refused reason=overload"), ==, N - MAX);
    g_assert_cmpuint(count_lines(log, " worker=0"), >, 0);
    g_assert_cmpuint(count_lines(log, " worker=1"), >, 0);
    g_assert_cmpuint(count_lines(log, " worker=0") + count_lines(log, " worker=1"), ==, N + 2); /* 2 still open */
    g_free(page);
    page = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page, "hnbsim_acs_connections_total"), ==, N + MAX);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_open"), ==, 2);
    g_assert_cmpint(metric(page, "hnbsim_acs_sessions_total{outcome=\"ok\"}"), ==, MAX + 2);

    gint64 t0 = g_get_monotonic_time();
    g_autofree char *logpath = g_strdup(s.log);
    kill(s.pid, SIGTERM);
    g_assert_cmpint(child_server_reap(&s, 5000), ==, 0);
    g_test_message("stopped after %.2f s", (g_get_monotonic_time() - t0) / 1e6);
    for (int i = 0; i < MAX; i++)
        tls_vanish(&t[i]);
    g_free(log);
    g_assert_true(g_file_get_contents(logpath, &log, NULL, NULL));
    g_test_message("%s", log);
    assert_all(log, "acs: stopped by=SIGTERM connections=16 sessions=16 refused_overload=8 sessions_cut=2", NULL);
    g_assert_cmpuint(count_lines(log, "outcome=closed reason=server_stopped"), ==, 2);
    g_free(log);
    g_free(page);
}

/* A non-blocking connect to 127.0.0.1:port; *connected once the handshake is done within wait_ms. */
static int tcp_dial_wait(const char *port, int wait_ms, gboolean *connected)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)atoi(port))};
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    g_assert_true(rc == 0 || errno == EINPROGRESS);
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    *connected = rc == 0 || poll(&pf, 1, wait_ms) == 1;
    return fd;
}

/* --queue-limit 2: while the worker is busy (here: stopped with SIGSTOP) two connections wait in the accept queue
 * and the third's SYN is dropped, as the model's overload = drop_syn; once the worker runs again, the two are taken
 * and the third gets in with a retransmitted SYN. */
static void test_acs_queue_limit(void)
{
    Server s;
    acs_start(&s, (const char *[]){"--queue-limit", "2", NULL}, "acs-queue.log");
    kill(s.pid, SIGSTOP);
    gboolean c1, c2, c3;
    int fd1 = tcp_dial_wait(s.port, 500, &c1), fd2 = tcp_dial_wait(s.port, 500, &c2);
    int fd3 = tcp_dial_wait(s.port, 500, &c3);
    g_assert_true(c1 && c2);
    g_assert_false(c3); /* the queue is full: its SYN was dropped */
    kill(s.pid, SIGCONT);
    struct pollfd pf = {.fd = fd3, .events = POLLOUT};
    gint64 t0 = g_get_monotonic_time();
    g_assert_cmpint(poll(&pf, 1, 5000), ==, 1); /* the SYN retransmitted 1 s (then 3 s) after the first */
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd3, SOL_SOCKET, SO_ERROR, &err, &el);
    g_assert_cmpint(err, ==, 0);
    g_test_message("the third connected %.2f s after the worker ran again", (g_get_monotonic_time() - t0) / 1e6);
    close(fd1);
    close(fd2);
    close(fd3);
    g_free(log_wait(&s, "closed_before_handshake"));
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* --bandwidth 4000000 --max-downloads 1: a 1 MiB image takes about 1048576 × 8 / 4e6 ≈ 2.1 s (a rate limiter's
 * bound, with room for a loaded machine); while one download holds the slot, the next GET gets 503 with Retry-After;
 * once the holder vanishes, its slot is free again. */
static void test_acs_download_caps(void)
{
    g_autofree char *curl = g_find_program_in_path("curl");
    if (!curl) {
        g_test_skip("no curl");
        return;
    }
    g_autofree char *path = g_build_filename(scratch, "mib.img", NULL);
    {
        gsize len = 1024 * 1024;
        g_autofree char *bytes = g_malloc(len);
        for (gsize i = 0; i < len; i++)
            bytes[i] = (char)(i * 2654435761u >> 24);
        g_assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
    }
    Server s;
    acs_start(&s, (const char *[]){"--image", path, "--image-version", "2.0", "--bandwidth", "4000000",
                                   "--max-downloads", "1", "--retry-after", "9", "--metrics", "127.0.0.1:0", NULL},
              "acs-caps.log");
    g_autofree char *mport = metrics_port(&s);
    g_autofree char *url = g_strdup_printf("https://%s:%s/images/mib.img", hems_host, s.port);
    g_autofree char *got = g_build_filename(scratch, "mib.got", NULL);
    char *out, *err;
    gint64 t0 = g_get_monotonic_time();
    int rc = curl_as(&s, 1, (const char *[]){"-o", got, "-w", "code=%{http_code}", url, NULL}, &out, &err);
    double took = (g_get_monotonic_time() - t0) / 1e6;
    g_test_message("1 MiB at 4 Mbit/s took %.2f s", took);
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpstr(out, ==, "code=200");
    g_free(out);
    g_free(err);
    g_assert_cmpfloat(took, >=, 1.5);
    g_assert_cmpfloat(took, <=, 4.0);
    g_autofree char *a = NULL, *b = NULL;
    gsize alen = 0, blen = 0;
    g_assert_true(g_file_get_contents(path, &a, &alen, NULL) && g_file_get_contents(got, &b, &blen, NULL));
    g_assert_true(alen == blen && memcmp(a, b, alen) == 0);

    /* one download holds the slot: the next gets 503 */
    Tls t;
    tls_dial(&t, s.port, 2);
    tls_send(&t, "GET /images/mib.img HTTP/1.1\r\nHost: acs\r\n\r\n");
    g_free(tls_read_until(&t, "\r\n\r\n"));
    rc = curl_as(&s, 1, (const char *[]){"-D", "-", "-o", "/dev/null", url, NULL}, &out, &err);
    assert_all(out, "HTTP/1.1 503", "Retry-After: 9\r\n", NULL);
    g_free(out);
    g_free(err);
    g_free(log_wait(&s, "images=503 "));
    g_autofree char *page = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page, "hnbsim_acs_downloads_open"), ==, 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_refused_total{reason=\"max_downloads\"}"), ==, 1);
    /* the holder vanishes: logged, its slot free for the next */
    tls_vanish(&t);
    g_free(log_wait(&s, "reason=mid_download"));
    rc = curl_as(&s, 1, (const char *[]){"--range", "0-999", "-o", "/dev/null", "-w", "code=%{http_code}", url, NULL},
                 &out, &err);
    g_assert_cmpstr(out, ==, "code=206");
    g_free(out);
    g_free(err);
    g_autofree char *page2 = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page2, "hnbsim_acs_downloads_open"), ==, 0);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* --scenario: [acs] and [download] capacities from a scenario file through the project's loader, the options given
 * on the command line winning; a key the loader refuses is named with its file and line, exit 2. */
static void test_acs_scenario(void)
{
    g_autofree char *sc = g_build_filename(scratch, "capacity.ini", NULL);
    g_assert_true(g_file_set_contents(sc, "[scenario]\nname = capacity\nmodel = fleet\n[acs]\nworkers = 2\n"
                                          "max_sessions = 4\nqueue_limit = 6\n[download]\nbandwidth = 4Mbps\n"
                                          "max_concurrent = 3\ncampaign_rate = 0.5/s\n", -1, NULL));
    Server s;
    acs_start(&s, (const char *[]){"--scenario", sc, "--max-sessions", "5", NULL}, "acs-scenario.log");
    g_free(log_wait(&s, "acs: capacity workers=2 max_sessions=5 queue_limit=6 bandwidth=4e+06 max_downloads=3 "
                           "campaign_rate=0.5\n"));
    g_assert_cmpint(child_server_stop(&s), ==, 0);
    g_autofree char *bad = g_build_filename(scratch, "capacity-bad.ini", NULL);
    g_assert_true(g_file_set_contents(bad, "[scenario]\nname = capacity\nmodel = fleet\n[acs]\nwrkers = 2\n", -1,
                                      NULL));
    char *out, *err;
    int rc = hnbsim((const char *[]){"acs", "--listen", "127.0.0.1:0", "--pki", pki, "--scenario", bad, NULL}, &out,
                    &err);
    g_assert_cmpint(rc, ==, 2);
    g_autofree char *want = g_strdup_printf("%s:5: unknown key \"wrkers\" in [acs]", bad);
    assert_all(err, want, NULL);
    g_free(out);
    g_free(err);
}

/* Session resumption over real sockets: s_client keeps the session of its first connection (-sess_out) and offers
 * it on each of the next (-sess_in): by session ID (RFC 5246 §7.3, §7.4.1.2: the server finds the ClientHello's
 * session_id in its cache and echoes it) or by ticket (RFC 5077).  The first connection says nothing and is closed
 * by the idle timeout, with no close_notify from either side: its session must survive that (OpenSSL drops the session
 * of an SSL freed without a shutdown from the cache).  With --workers 2 the next connections land on both workers
 * (SO_REUSEPORT hashes each new source port; twelve of them all on one worker is a 1 in 2048 chance), and every
 * one resumes: one cache, one set of ticket keys. */
static void resumption_case(const char *mode, const char *workers, gboolean want)
{
    enum { N = 12 };
    Server s;
    g_autofree char *log_name = g_strdup_printf("acs-resume-%s-%s.log", mode, workers);
    acs_start(&s, (const char *[]){"--resumption", mode, "--workers", workers, "--idle-timeout", "1", "--metrics",
                                   "127.0.0.1:0", NULL},
              log_name);
    g_autofree char *mport = metrics_port(&s);
    g_autofree char *cert = device_cert(1), *key = device_key(1), *oui = device_oui(1), *serial = device_serial(1);
    g_autofree char *req = inform_request(oui, serial), *ident = device_identity(1);
    g_autofree char *want_ident = g_strdup_printf("identity=%s ", ident);
    g_autofree char *sess = g_build_filename(scratch, "resume.sess", NULL);
    unlink(sess);
    char *out, *logline;
    s_client_to(&s, (const char *[]){"-cert", cert, "-key", key, "-sess_out", sess, NULL}, NULL, &out, &logline);
    g_assert_nonnull(strstr(out, "New, TLSv1.2"));
    g_assert_nonnull(strstr(logline, "outcome=timeout"));
    g_assert_null(strstr(logline, "tls_resumed=1"));
    /* with none the ServerHello's session_id is empty and no ticket comes: s_client has nothing to keep or offer */
    gboolean kept = g_file_test(sess, G_FILE_TEST_EXISTS);
    g_assert_true(kept == want);
    g_free(out);
    g_free(logline);
    gboolean on[2] = {FALSE, FALSE};
    for (int i = 0; i < N; i++) {
        int rc = s_client_to(&s, (const char *[]){"-cert", cert, "-key", key, kept ? "-sess_in" : NULL, sess, NULL},
                             req, &out, &logline);
        g_assert_cmpint(rc, ==, 0);
        g_assert_nonnull(strstr(out, "HTTP/1.1 204 No Content"));
        g_assert_nonnull(strstr(out, want ? "Reused, TLSv1.2" : "New, TLSv1.2"));
        g_assert_nonnull(strstr(logline, want_ident)); /* a resumed session still knows its device */
        g_assert_nonnull(strstr(logline, "outcome=ok"));
        g_assert_true((strstr(logline, " tls_resumed=1") != NULL) == want);
        const char *w = strstr(logline, " worker=");
        if (w)
            on[atoi(w + strlen(" worker=")) == 1] = TRUE;
        g_free(out);
        g_free(logline);
    }
    if (strcmp(workers, "2") == 0)
        g_assert_true(on[0] && on[1]);
    g_autofree char *page = scrape(mport, "/metrics");
    g_assert_cmpint(metric(page, "hnbsim_acs_handshakes_total{outcome=\"ok\"}"), ==, N + 1);
    g_assert_cmpint(metric(page, "hnbsim_acs_handshakes_resumed_total"), ==, want ? N : 0);
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

static void test_acs_resumption_none(void) { resumption_case("none", "1", FALSE); }
static void test_acs_resumption_ids(void) { resumption_case("ids", "1", TRUE); }
static void test_acs_resumption_tickets(void) { resumption_case("tickets", "1", TRUE); }
static void test_acs_resumption_ids_workers(void) { resumption_case("ids", "2", TRUE); }
static void test_acs_resumption_tickets_workers(void) { resumption_case("tickets", "2", TRUE); }

/* The number after ` name=` in a log line. */
static double log_field(const char *line, const char *name)
{
    g_autofree char *tag = g_strdup_printf(" %s=", name);
    const char *at = strstr(line, tag);
    g_assert_nonnull(at);
    return g_ascii_strtod(at + strlen(tag), NULL);
}

/* A sample's value on a metrics page as a real number (seconds have decimals; -1: absent). */
static double metric_real(const char *page, const char *series)
{
    g_auto(GStrv) lines = g_strsplit(page, "\n", -1);
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, series) && (*l)[strlen(series)] == ' ')
            return g_ascii_strtod(*l + strlen(series) + 1, NULL);
    return -1;
}

/* Per-connection CPU (slice 4 of the validation study): 50 real CWMP sessions, one in five with a full handshake, the
 * others resuming the TLS session of the one before.  Each line's cpu_us is > 0 and less than the connection's
 * wall-clock duration (CPU time of one thread cannot exceed the time it spans); its handshake share is within it and
 * > 0; the page's counters add up to the lines' sums; the histograms counted each kind; and a resumed handshake,
 * which skips the RSA key exchange and the chain's verification, costs less on average than a full one, which a
 * split in the wrong place (or none) would not show. */
static void test_acs_cpu_accounting(void)
{
    enum { N = 50, FULL_EVERY = 5 };
    Server s;
    acs_start(&s, (const char *[]){"--metrics", "127.0.0.1:0", NULL}, "acs-cpu.log");
    g_autofree char *mport = metrics_port(&s);
    g_autofree char *device = device_id_of(1), *body = inform_body(device, NULL, NULL);
    Hnb h;
    hnb_open(&h, 1, &s);
    for (int i = 0; i < N; i++) {
        if (i > 0)
            hnb_connect(&h);
        Resp r;
        g_clear_pointer(&h.cookie, g_free);
        hnb_post(&h, body, &r);
        g_assert_cmpint(r.status, ==, 200);
        resp_clear(&r);
        hnb_post(&h, "", &r);
        g_assert_cmpint(r.status, ==, 204);
        resp_clear(&r);
        g_clear_pointer(&h.resume, SSL_SESSION_free);
        if ((i + 1) % FULL_EVERY != 0) /* the next one resumes this one's session; every fifth starts afresh */
            h.resume = SSL_get1_session(h.ssl);
        hnb_disconnect(&h, TRUE);
    }
    g_clear_pointer(&h.resume, SSL_SESSION_free);
    hnb_free(&h);
    g_free(child_acs_log_line(&s, N)); /* all N logged */
    g_autofree char *page = scrape(mport, "/metrics");
    g_auto(GStrv) lines = child_log_lines(&s, N);
    double sum_us = 0, sum_hs_us = 0, hs_full = 0, hs_resumed = 0;
    guint n = 0, resumed = 0;
    for (char **l = lines; *l; l++) {
        if (!g_str_has_prefix(*l, "acs: peer="))
            continue;
        n++;
        g_assert_nonnull(strstr(*l, "outcome=ok"));
        double cpu = log_field(*l, "cpu_us"), hs = log_field(*l, "hs_cpu_us"), ms = log_field(*l, "duration_ms");
        /* the fields' place: after the others, before the durations */
        g_assert_true(strstr(*l, " cpu_us=") < strstr(*l, " hs_cpu_us=") &&
                      strstr(*l, " hs_cpu_us=") < strstr(*l, " handshake_ms="));
        g_assert_cmpfloat(cpu, >, 0);
        g_assert_cmpfloat(hs, >, 0);
        g_assert_cmpfloat(hs, <, cpu); /* the requests cost something too */
        g_assert_cmpfloat(cpu, <, ms * 1000);
        sum_us += cpu;
        sum_hs_us += hs;
        gboolean res = strstr(*l, " tls_resumed=1") != NULL;
        resumed += res;
        *(res ? &hs_resumed : &hs_full) += hs;
    }
    g_assert_cmpuint(n, ==, N);
    g_assert_cmpuint(resumed, ==, N - N / FULL_EVERY);
    double hs_s = metric_real(page, "hnbsim_acs_cpu_seconds_total{phase=\"handshake\"}");
    double req_s = metric_real(page, "hnbsim_acs_cpu_seconds_total{phase=\"request\"}");
    g_test_message("log: sum cpu_us %.0f (handshakes %.0f); page: %.6f + %.6f s; mean handshake full %.0f us, "
                   "resumed %.0f us", sum_us, sum_hs_us, hs_s, req_s, hs_full / (N / FULL_EVERY), hs_resumed / resumed);
    g_assert_cmpfloat(ABS((hs_s + req_s) * 1e6 - sum_us), <=, 0.1 * sum_us);
    g_assert_cmpfloat(ABS(hs_s * 1e6 - sum_hs_us), <=, 0.1 * sum_hs_us);
    g_assert_cmpint(metric(page, "hnbsim_acs_cpu_per_connection_seconds_count{kind=\"handshake_full\"}"), ==,
                    N / FULL_EVERY);
    g_assert_cmpint(metric(page, "hnbsim_acs_cpu_per_connection_seconds_count{kind=\"handshake_resumed\"}"), ==,
                    resumed);
    g_assert_cmpint(metric(page, "hnbsim_acs_cpu_per_connection_seconds_bucket{kind=\"session\",le=\"+Inf\"}"), ==,
                    N);
    double session_sum = metric_real(page, "hnbsim_acs_cpu_per_connection_seconds_sum{kind=\"session\"}");
    g_assert_cmpfloat(ABS(session_sum * 1e6 - sum_us), <=, 0.1 * sum_us);
    g_assert_cmpfloat(hs_resumed / resumed, <, hs_full / (N / FULL_EVERY));
    g_assert_cmpint(child_server_stop(&s), ==, 0);
}

/* --scenario gives [tls] resumption and session_lifetime; --resumption given wins; a bad value is refused. */
static void test_acs_resumption_scenario(void)
{
    g_autofree char *sc = g_build_filename(scratch, "resumption.ini", NULL);
    g_assert_true(g_file_set_contents(sc, "[scenario]\nname = resumption\nmodel = fleet\n[tls]\nresumption = none\n"
                                          "session_lifetime = 2h\n", -1, NULL));
    Server s;
    acs_start(&s, (const char *[]){"--scenario", sc, NULL}, "acs-resumption-scenario.log");
    g_free(log_wait(&s, "acs: tls resumption=none session_lifetime=7200s\n"));
    g_assert_cmpint(child_server_stop(&s), ==, 0);
    acs_start(&s, (const char *[]){"--scenario", sc, "--resumption", "tickets", NULL}, "acs-resumption-scenario2.log");
    g_free(log_wait(&s, "acs: tls resumption=tickets session_lifetime=7200s\n"));
    g_assert_cmpint(child_server_stop(&s), ==, 0);
    char *out, *err;
    int rc = hnbsim((const char *[]){"acs", "--listen", "127.0.0.1:0", "--pki", pki, "--resumption", "cache", NULL},
                    &out, &err);
    g_assert_cmpint(rc, ==, 2);
    assert_all(err, "--resumption must be none, ids or tickets", NULL);
    g_free(out);
    g_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("HNBSIM")) {
        g_printerr("set HNBSIM to the hnbsim binary\n");
        return 1;
    }
    scratch = g_dir_make_tmp("hnbsim-tls-peers-XXXXXX", NULL);
    g_assert_nonnull(scratch);
    make_pki();
    acs_start(&acs, (const char *[]){NULL}, "acs.log");

    g_test_add_func("/tls-peers/acs/accepts-profile", test_acs_accepts_profile);
    g_test_add_func("/tls-peers/acs/http", test_acs_http);
    g_test_add_func("/tls-peers/acs/identity-mismatch", test_acs_identity_mismatch);
    g_test_add_func("/tls-peers/acs/identity-decoys", test_acs_identity_decoys);
    g_test_add_func("/tls-peers/acs/no-device-id", test_acs_no_device_id);
    g_test_add_func("/tls-peers/acs/not-well-formed", test_acs_not_well_formed);
    g_test_add_func("/tls-peers/acs/xxe-and-big-header", test_acs_xxe_and_big_header);
    g_test_add_func("/tls-peers/acs/rpcs", test_acs_rpcs);
    g_test_add_func("/tls-peers/acs/chunked-and-continue", test_acs_chunked_and_continue);
    g_test_add_func("/tls-peers/acs/curl-expect", test_acs_curl_expect);
    g_test_add_func("/tls-peers/acs/curl-too-large", test_acs_curl_too_large);
    g_test_add_func("/tls-peers/acs/post-without-length", test_acs_post_without_length);
    g_test_add_func("/tls-peers/acs/closed-before-handshake", test_acs_closed_before_handshake);
    g_test_add_func("/tls-peers/acs/refuses-no-client-cert", test_acs_refuses_no_client_cert);
    g_test_add_func("/tls-peers/acs/refuses-tls10", test_acs_refuses_tls10);
    g_test_add_func("/tls-peers/acs/refuses-non-a5-suite", test_acs_refuses_non_a5_suite);
    g_test_add_func("/tls-peers/acs/refuses-expired", test_acs_refuses_expired);
    g_test_add_func("/tls-peers/acs/refuses-revoked", test_acs_refuses_revoked);
    g_test_add_func("/tls-peers/acs/refuses-foreign-ca", test_acs_refuses_foreign_ca);
    g_test_add_func("/tls-peers/probe/acs", test_probe_acs);
    g_test_add_func("/tls-peers/probe/s_server-compliant", test_probe_s_server_compliant);
    g_test_add_func("/tls-peers/probe/s_server-permissive", test_probe_s_server_permissive);
    g_test_add_func("/tls-peers/probe/s_server-gcm-only", test_probe_s_server_gcm_only);
    g_test_add_func("/tls-peers/probe/bad-input", test_probe_bad_input);
    g_test_add_func("/tls-peers/acs/bad-input", test_acs_bad_input);
    g_test_add_func("/tls-peers/acs/tls11-exit-after", test_acs_tls11_and_exit_after);
    g_test_add_func("/tls-peers/acs/sigterm", test_acs_sigterm);
    g_test_add_func("/tls-peers/acs/download", test_acs_download);
    g_test_add_func("/tls-peers/acs/no-download", test_acs_no_download);
    g_test_add_func("/tls-peers/acs/image-ranges", test_acs_image_ranges);
    g_test_add_func("/tls-peers/acs/transfer-complete", test_acs_transfer_complete);
    g_test_add_func("/tls-peers/acs/overload-and-metrics", test_acs_overload_and_metrics);
    g_test_add_func("/tls-peers/acs/sigterm-grace", test_acs_sigterm_grace);
    g_test_add_func("/tls-peers/acs/recovery", test_acs_recovery);
    g_test_add_func("/tls-peers/acs/session-resume", test_acs_session_resume);
    g_test_add_func("/tls-peers/acs/recovery-corrupted", test_acs_recovery_corrupted);
    g_test_add_func("/tls-peers/acs/campaign-stagger", test_acs_campaign_stagger);
    g_test_add_func("/tls-peers/acs/campaign-bad-input", test_acs_campaign_bad_input);
    g_test_add_func("/tls-peers/acs/slow-peers", test_acs_slow_peers);
    g_test_add_func("/tls-peers/acs/idle-crowd", test_acs_idle_crowd);
    g_test_add_func("/tls-peers/acs/vanish-mid-download", test_acs_vanish_mid_download);
    g_test_add_func("/tls-peers/acs/workers", test_acs_workers);
    g_test_add_func("/tls-peers/acs/queue-limit", test_acs_queue_limit);
    g_test_add_func("/tls-peers/acs/download-caps", test_acs_download_caps);
    g_test_add_func("/tls-peers/acs/scenario", test_acs_scenario);
    g_test_add_func("/tls-peers/acs/resumption/none", test_acs_resumption_none);
    g_test_add_func("/tls-peers/acs/resumption/ids", test_acs_resumption_ids);
    g_test_add_func("/tls-peers/acs/resumption/tickets", test_acs_resumption_tickets);
    g_test_add_func("/tls-peers/acs/resumption/ids-workers", test_acs_resumption_ids_workers);
    g_test_add_func("/tls-peers/acs/resumption/tickets-workers", test_acs_resumption_tickets_workers);
    g_test_add_func("/tls-peers/acs/resumption/scenario", test_acs_resumption_scenario);
    g_test_add_func("/tls-peers/acs/cpu-accounting", test_acs_cpu_accounting);
    int rc = g_test_run();
    if (img_acs.pid && child_server_stop(&img_acs) != 0 && rc == 0) {
        g_printerr("hnbsim acs --image did not exit with 0 on SIGTERM\n");
        rc = 1;
    }
    g_free(img_path);

    int acs_rc = child_server_stop(&acs);
    if (rc == 0 && acs_rc != 0) {
        g_printerr("hnbsim acs did not exit with 0 on SIGTERM (%d)\n", acs_rc);
        rc = 1;
    }
    if (rc == 0 && !g_getenv("HNB_KEEP_SCRATCH"))
        run((const char *[]){"rm", "-rf", scratch, NULL}, NULL, NULL, NULL);
    else
        g_printerr("scratch kept: %s\n", scratch);
    g_free(hems_host);
    g_free(pki);
    g_free(scratch);
    return rc;
}
