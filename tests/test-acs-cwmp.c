/* tests/test-acs-cwmp.c — the SOAP and CWMP layers of `hnbsim acs` (tools/acs/acs_soap.h, acs_cwmp.h) on envelopes:
 * identity from the parsed DeviceId only (comments, CDATA and unknown headers cannot stand in for it), refusals of
 * documents that are not well-formed, DOCTYPEs and entities, limits, every answer of the session and its faults. */
#include "tools/acs/acs_cwmp.h"

#include <string.h>

static const HnbAcsSoapLimits limits = {.max_bytes = 64 * 1024, .max_depth = 16};

#define NS2 "urn:dslforum-org:cwmp-1-2"
#define ENV_OPEN                                                                                                     \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"" NS2 "\">"
#define HEADER_ID "<soap:Header><cwmp:ID soap:mustUnderstand=\"1\">id-7</cwmp:ID></soap:Header>"

/* An Inform with `device` as the DeviceId's content (NULL: no DeviceId) and `header_extra` in the Header. */
static char *inform(const char *device, const char *header_extra)
{
    return g_strdup_printf(ENV_OPEN "<soap:Header><cwmp:ID soap:mustUnderstand=\"1\">id-7</cwmp:ID>%s</soap:Header>"
                                    "<soap:Body><cwmp:Inform>%s%s%s<Event><EventStruct><EventCode>1 BOOT</EventCode>"
                                    "</EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>"
                                    "</cwmp:Inform></soap:Body></soap:Envelope>",
                           header_extra ? header_extra : "", device ? "<DeviceId>" : "", device ? device : "",
                           device ? "</DeviceId>" : "");
}

#define GOOD_DEVICE "<Manufacturer>m</Manufacturer><OUI>AABBCC</OUI><ProductClass>HNB</ProductClass>" \
                    "<SerialNumber>0000000001</SerialNumber>"

/* The authenticated device is OUI AABBCC, serial 0000000001. */
static gboolean authorize(const char *oui, const char *serial, void *user_data, char **why)
{
    int *calls = user_data;
    (*calls)++;
    if (strcmp(oui, "AABBCC") == 0 && strcmp(serial, "0000000001") == 0)
        return TRUE;
    *why = g_strdup("is not the certificate's device");
    return FALSE;
}

typedef struct {
    HnbAcsCwmpSession s;
    int calls;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    (void)data;
    f->calls = 0;
    hnb_acs_cwmp_session_init(&f->s, &limits, authorize, &f->calls);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    hnb_acs_cwmp_session_clear(&f->s);
}

/* Answer `body` and check the HTTP status; returns the reply (caller clears). */
static HnbAcsCwmpReply answer(Fixture *f, const char *body, int status)
{
    HnbAcsCwmpReply r;
    hnb_acs_cwmp_answer(&f->s, body, strlen(body), &r);
    g_test_message("%d %s %s", r.status, r.reason ? r.reason : "", r.body->str);
    g_assert_cmpint(r.status, ==, status);
    return r;
}

/* The fault code in a reply ("8003"), or NULL if none. */
static void assert_fault(const HnbAcsCwmpReply *r, int code)
{
    g_autofree char *want = g_strdup_printf("<FaultCode>%d</FaultCode>", code);
    g_assert_cmpint(r->status, ==, 500);
    g_assert_nonnull(strstr(r->body->str, want));
    g_assert_null(strstr(r->body->str, "InformResponse"));
}

static void test_inform(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *body = inform(GOOD_DEVICE, NULL);
    HnbAcsCwmpReply r = answer(f, body, 200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>"));
    g_assert_nonnull(strstr(r.body->str, "<cwmp:ID soap-env:mustUnderstand=\"1\">id-7</cwmp:ID>"));
    g_assert_nonnull(strstr(r.body->str, "xmlns:cwmp=\"" NS2 "\""));
    g_assert_cmpstr(r.outcome, ==, "informed");
    g_assert_false(r.end);
    g_assert_cmpint(f->calls, ==, 1);
    hnb_acs_cwmp_reply_clear(&r);
    /* the session goes on: GetRPCMethods, TransferComplete, an unknown RPC, the empty POST */
    r = answer(f, ENV_OPEN HEADER_ID "<soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>", 200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:GetRPCMethodsResponse><MethodList soap-enc:arrayType=\"xsd:string[3]\">"
                                         "<string>Inform</string><string>GetRPCMethods</string>"
                                         "<string>TransferComplete</string></MethodList>"));
    hnb_acs_cwmp_reply_clear(&r);
    r = answer(f, ENV_OPEN "<soap:Body><cwmp:TransferComplete><CommandKey>k</CommandKey><FaultStruct><FaultCode>0"
                           "</FaultCode><FaultString></FaultString></FaultStruct></cwmp:TransferComplete></soap:Body>"
                           "</soap:Envelope>",
               200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:TransferCompleteResponse/>"));
    g_assert_null(strstr(r.body->str, "cwmp:ID")); /* none to echo */
    hnb_acs_cwmp_reply_clear(&r);
    r = answer(f, ENV_OPEN HEADER_ID "<soap:Body><cwmp:RequestDownload><FileType>x</FileType></cwmp:RequestDownload>"
                                     "</soap:Body></soap:Envelope>",
               500);
    assert_fault(&r, 8000);
    g_assert_nonnull(strstr(r.body->str, "<faultcode>Client</faultcode>"));
    g_assert_nonnull(strstr(r.body->str, "<cwmp:ID soap-env:mustUnderstand=\"1\">id-7</cwmp:ID>"));
    g_assert_false(r.end);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer(f, "  \r\n", 204);
    g_assert_true(r.end);
    g_assert_cmpstr(r.outcome, ==, "ok");
    g_assert_cmpuint(r.body->len, ==, 0);
    hnb_acs_cwmp_reply_clear(&r);
    g_assert_cmpstr(f->s.rpcs->str, ==, "Inform,GetRPCMethods,TransferComplete,RequestDownload,empty");
}

/* Device 1's certificate, device 2's DeviceId, device 1's DeviceId where a text search would find it. */
static void test_identity_not_from_text(Fixture *f, gconstpointer data)
{
    (void)data;
    const char *other = "<OUI>DDEEFF</OUI><SerialNumber>0000000002</SerialNumber>";
    const char *decoys[] = {
        "<!--<DeviceId><OUI>AABBCC</OUI><SerialNumber>0000000001</SerialNumber></DeviceId>-->",
        "<X><![CDATA[<DeviceId><OUI>AABBCC</OUI><SerialNumber>0000000001</SerialNumber></DeviceId>]]></X>",
    };
    for (guint i = 0; i < G_N_ELEMENTS(decoys); i++) {
        /* the decoy before the DeviceId, in the Inform */
        g_autofree char *device = g_strdup_printf("%s", other);
        g_autofree char *body = inform(device, NULL);
        g_autofree char *with_decoy = g_strdup_printf("%.*s%s%s", (int)(strstr(body, "<DeviceId>") - body), body,
                                                      decoys[i], strstr(body, "<DeviceId>"));
        HnbAcsCwmpReply r = answer(f, with_decoy, 500);
        assert_fault(&r, 8001);
        g_assert_true(r.end);
        g_assert_cmpstr(r.outcome, ==, "rejected");
        g_assert_true(g_str_has_prefix(r.reason, "identity_mismatch"));
        hnb_acs_cwmp_reply_clear(&r);
    }
    /* an unknown SOAP header holding device 1's DeviceId */
    g_autofree char *hdr = inform(other, "<x:Extra xmlns:x=\"urn:x\"><DeviceId><OUI>AABBCC</OUI><SerialNumber>"
                                         "0000000001</SerialNumber></DeviceId></x:Extra>");
    HnbAcsCwmpReply r = answer(f, hdr, 500);
    assert_fault(&r, 8001);
    hnb_acs_cwmp_reply_clear(&r);
    /* a DeviceId in another namespace is not the Inform's */
    g_autofree char *foreign = g_strdup_printf(
        ENV_OPEN "<soap:Body><cwmp:Inform><y:DeviceId xmlns:y=\"urn:y\">" GOOD_DEVICE "</y:DeviceId>"
                 "</cwmp:Inform></soap:Body></soap:Envelope>");
    r = answer(f, foreign, 500);
    assert_fault(&r, 8003);
    hnb_acs_cwmp_reply_clear(&r);
    /* the real DeviceId written with CDATA, a comment inside and character references is the same device */
    g_autofree char *spelled = inform("<OUI><![CDATA[AABB]]>&#x43;C</OUI><!-- x --><SerialNumber> 000000000<!-- -->1 "
                                      "</SerialNumber>",
                                      NULL);
    r = answer(f, spelled, 200);
    g_assert_nonnull(strstr(r.body->str, "InformResponse"));
    hnb_acs_cwmp_reply_clear(&r);
}

static void test_no_device_id(Fixture *f, gconstpointer data)
{
    (void)data;
    const char *bodies[] = {NULL, "<OUI>AABBCC</OUI>", "<SerialNumber>0000000001</SerialNumber>",
                            "<OUI></OUI><SerialNumber>0000000001</SerialNumber>",
                            "<OUI><b>AABBCC</b></OUI><SerialNumber>0000000001</SerialNumber>",
                            GOOD_DEVICE "<OUI>AABBCC</OUI>"};
    for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
        g_autofree char *body = inform(bodies[i], NULL);
        HnbAcsCwmpReply r = answer(f, body, 500);
        assert_fault(&r, 8003);
        g_assert_true(r.end);
        g_assert_cmpstr(r.outcome, ==, "rejected");
        hnb_acs_cwmp_reply_clear(&r);
    }
    /* two DeviceIds */
    g_autofree char *two = inform(GOOD_DEVICE "</DeviceId><DeviceId>" GOOD_DEVICE, NULL);
    HnbAcsCwmpReply r = answer(f, two, 500);
    assert_fault(&r, 8003);
    hnb_acs_cwmp_reply_clear(&r);
    g_assert_cmpint(f->calls, ==, 0);
}

static void test_not_well_formed(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *good = inform(GOOD_DEVICE, NULL);
    g_autofree char *entity = g_strdup(good);
    char *p = strstr(entity, "<Manufacturer>m");
    g_assert_nonnull(p);
    g_autofree char *undefined = g_strdup_printf("%.*s<Manufacturer>&undefined;%s", (int)(p - entity), entity,
                                                 p + strlen("<Manufacturer>m"));
    g_autofree char *lt = g_strdup_printf("%.*s<Manufacturer>a < b%s", (int)(p - entity), entity,
                                          p + strlen("<Manufacturer>m"));
    g_autofree char *unclosed = g_strndup(good, strlen(good) - strlen("</soap:Envelope>"));
    const char *docs[] = {undefined, lt, unclosed, "<a></b>", "hello", "<?xml version=\"1.0\"?>", "\xff\xfe<a/>",
                          "<soap:Envelope><soap:Body/></soap:Envelope>" /* an undeclared prefix */};
    for (guint i = 0; i < G_N_ELEMENTS(docs); i++) {
        HnbAcsCwmpReply r = answer(f, docs[i], 500);
        assert_fault(&r, 8003);
        g_assert_nonnull(strstr(r.body->str, "<faultcode>Client</faultcode>"));
        g_assert_true(r.end);
        g_assert_true(g_str_has_prefix(r.reason, "soap_invalid"));
        hnb_acs_cwmp_reply_clear(&r);
    }
    g_assert_cmpint(f->calls, ==, 0);
}

/* DOCTYPEs are refused whatever they declare: external entities, entity expansion, an external subset. */
static void test_doctype(Fixture *f, gconstpointer data)
{
    (void)data;
    const char *docs[] = {
        "<!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" ENV_OPEN "<soap:Body><cwmp:Inform><DeviceId>"
        "<OUI>&x;</OUI></DeviceId></cwmp:Inform></soap:Body></soap:Envelope>",
        "<!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><e>&c;</e>",
        "<!DOCTYPE e SYSTEM \"http://127.0.0.1:1/x.dtd\"><e/>",
    };
    for (guint i = 0; i < G_N_ELEMENTS(docs); i++) {
        HnbAcsCwmpReply r = answer(f, docs[i], 500);
        assert_fault(&r, 8003);
        g_assert_nonnull(strstr(r.body->str, "DOCTYPE"));
        g_assert_null(strstr(r.body->str, "root:"));
        hnb_acs_cwmp_reply_clear(&r);
    }
}

static void test_limits(Fixture *f, gconstpointer data)
{
    (void)data;
    GString *deep = g_string_new(ENV_OPEN "<soap:Body><cwmp:Inform>");
    for (int i = 0; i < 20; i++)
        g_string_append(deep, "<d>");
    for (int i = 0; i < 20; i++)
        g_string_append(deep, "</d>");
    g_string_append(deep, "</cwmp:Inform></soap:Body></soap:Envelope>");
    HnbAcsCwmpReply r = answer(f, deep->str, 500);
    assert_fault(&r, 8004);
    hnb_acs_cwmp_reply_clear(&r);
    g_string_free(deep, TRUE);
    GString *big = g_string_new(ENV_OPEN "<soap:Body><cwmp:GetRPCMethods>");
    while (big->len < limits.max_bytes)
        g_string_append(big, "<x/>");
    g_string_append(big, "</cwmp:GetRPCMethods></soap:Body></soap:Envelope>");
    r = answer(f, big->str, 500);
    assert_fault(&r, 8004);
    hnb_acs_cwmp_reply_clear(&r);
    g_string_free(big, TRUE);
}

static void test_soap_shape(Fixture *f, gconstpointer data)
{
    (void)data;
    /* the Envelope in another namespace: VersionMismatch, no CWMP detail */
    HnbAcsCwmpReply r = answer(f, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>",
                               500);
    g_assert_nonnull(strstr(r.body->str, "<faultcode>soap-env:VersionMismatch</faultcode>"));
    g_assert_null(strstr(r.body->str, "FaultCode"));
    hnb_acs_cwmp_reply_clear(&r);
    /* a header we must understand and do not */
    g_autofree char *mu = inform(GOOD_DEVICE, "<x:Must xmlns:x=\"urn:x\" soap:mustUnderstand=\"1\">1</x:Must>");
    r = answer(f, mu, 500);
    g_assert_nonnull(strstr(r.body->str, "<faultcode>soap-env:MustUnderstand</faultcode>"));
    g_assert_nonnull(strstr(r.body->str, "<cwmp:ID soap-env:mustUnderstand=\"1\">id-7</cwmp:ID>"));
    hnb_acs_cwmp_reply_clear(&r);
    /* HoldRequests is understood */
    g_autofree char *hold = inform(GOOD_DEVICE, "<cwmp:HoldRequests soap:mustUnderstand=\"1\">0</cwmp:HoldRequests>");
    r = answer(f, hold, 200);
    hnb_acs_cwmp_reply_clear(&r);
    /* an empty Body, two RPCs, a Body element outside any CWMP namespace, a CWMP version this ACS does not speak */
    r = answer(f, ENV_OPEN "<soap:Body></soap:Body></soap:Envelope>", 500);
    assert_fault(&r, 8003);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer(f, ENV_OPEN "<soap:Body><cwmp:GetRPCMethods/><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>", 500);
    assert_fault(&r, 8003);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer(f, ENV_OPEN "<soap:Body><GetRPCMethods/></soap:Body></soap:Envelope>", 500);
    assert_fault(&r, 8000);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer(f, "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                  "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-9\"><soap:Body><cwmp:Inform/></soap:Body></soap:Envelope>",
               500);
    assert_fault(&r, 8000);
    hnb_acs_cwmp_reply_clear(&r);
}

static void test_inform_first(Fixture *f, gconstpointer data)
{
    (void)data;
    HnbAcsCwmpReply r = answer(f, ENV_OPEN "<soap:Body><cwmp:TransferComplete/></soap:Body></soap:Envelope>", 500);
    assert_fault(&r, 8001);
    g_assert_true(r.end);
    hnb_acs_cwmp_reply_clear(&r);
}

/* Each accepted CWMP version is echoed; the ID is escaped. */
static void test_versions(Fixture *f, gconstpointer data)
{
    (void)data;
    for (int v = 0; v <= 4; v++) {
        g_autofree char *body = g_strdup_printf(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:c=\"urn:dslforum-org:cwmp-1-%d\">"
            "<s:Header><c:ID s:mustUnderstand=\"1\">a&amp;b&lt;</c:ID></s:Header><s:Body><c:Inform><DeviceId>"
            GOOD_DEVICE "</DeviceId></c:Inform></s:Body></s:Envelope>", v);
        HnbAcsCwmpReply r = answer(f, body, 200);
        g_autofree char *ns = g_strdup_printf("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-%d\"", v);
        g_assert_nonnull(strstr(r.body->str, ns));
        g_assert_nonnull(strstr(r.body->str, ">a&amp;b&lt;</cwmp:ID>"));
        hnb_acs_cwmp_reply_clear(&r);
    }
    g_assert_true(hnb_acs_soap_is_cwmp_ns("urn:dslforum-org:cwmp-1-4"));
    g_assert_false(hnb_acs_soap_is_cwmp_ns("urn:dslforum-org:cwmp-1-5"));
    g_assert_false(hnb_acs_soap_is_cwmp_ns("urn:dslforum-org:cwmp-1-44"));
    g_assert_false(hnb_acs_soap_is_cwmp_ns(NULL));
}

/* ---- second slice: cookie, Download, DownloadResponse, TransferComplete ----------------------------------------- */

static const HnbAcsCwmpImage image = {
    .name = "hnb-2.0.img", .version = "2.0", .size = 123456, .command_key = "0123456789abcdef",
    .default_host = "127.0.0.1:7547"};

/* An Inform from the good device whose ParameterList says `param` = `version` (param NULL: no ParameterList). */
static char *inform_version(const char *param, const char *version)
{
    g_autofree char *list = param ? g_strdup_printf("<ParameterList><ParameterValueStruct><Name>%s</Name>"
                                                    "<Value>%s</Value></ParameterValueStruct></ParameterList>",
                                                    param, version)
                                  : g_strdup("");
    return g_strdup_printf(ENV_OPEN HEADER_ID "<soap:Body><cwmp:Inform><DeviceId>" GOOD_DEVICE "</DeviceId>"
                           "<Event><EventStruct><EventCode>1 BOOT</EventCode></EventStruct></Event>"
                           "<MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>%s</cwmp:Inform></soap:Body>"
                           "</soap:Envelope>", list);
}

static HnbAcsCwmpReply answer_with(Fixture *f, const char *body, const char *host, const char *cookie, int status)
{
    HnbAcsCwmpReply r;
    HnbAcsCwmpRequestInfo info = {.host = host, .cookie = cookie};
    hnb_acs_cwmp_answer_request(&f->s, body, strlen(body), &info, &r);
    g_test_message("%d %s %s", r.status, r.reason ? r.reason : "", r.body->str);
    g_assert_cmpint(r.status, ==, status);
    return r;
}

/* The cookie the InformResponse set ("hnbsim-session=HEX"). */
static char *cookie_of(const HnbAcsCwmpReply *r)
{
    g_assert_nonnull(r->headers);
    const char *p = strstr(r->headers, "Set-Cookie: " HNB_ACS_COOKIE_NAME "=");
    g_assert_nonnull(p);
    p += strlen("Set-Cookie: ");
    g_assert_nonnull(strstr(p, "; Secure; HttpOnly\r\n"));
    return g_strndup(p, strcspn(p, ";"));
}

static void test_cookie(Fixture *f, gconstpointer data)
{
    (void)data;
    hnb_acs_cwmp_session_set_cookie(&f->s, "00112233445566778899aabbccddeeff");
    g_autofree char *body = inform(GOOD_DEVICE, NULL);
    HnbAcsCwmpReply r = answer_with(f, body, NULL, NULL, 200);
    g_autofree char *cookie = cookie_of(&r);
    g_assert_cmpstr(cookie, ==, HNB_ACS_COOKIE_NAME "=00112233445566778899aabbccddeeff");
    hnb_acs_cwmp_reply_clear(&r);
    g_autofree char *with_others = g_strdup_printf("lang=en; %s; x=1", cookie);
    r = answer_with(f, ENV_OPEN "<soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>", NULL, with_others,
                    200);
    g_assert_null(r.headers); /* set once */
    hnb_acs_cwmp_reply_clear(&r);
    g_assert_cmpstr(f->s.cookie_log, ==, "echoed");
    /* another session's id: denied, the session ends */
    r = answer_with(f, "", NULL, HNB_ACS_COOKIE_NAME "=ffffffffffffffffffffffffffffffff", 500);
    assert_fault(&r, 8001);
    g_assert_true(r.end);
    g_assert_cmpstr(r.outcome, ==, "rejected");
    hnb_acs_cwmp_reply_clear(&r);
}

static void test_cookie_missing(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *body = inform(GOOD_DEVICE, NULL);
    HnbAcsCwmpReply r = answer_with(f, body, NULL, NULL, 200);
    g_autofree char *cookie = cookie_of(&r);
    g_assert_cmpuint(strlen(cookie), ==, strlen(HNB_ACS_COOKIE_NAME "=") + 32);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer_with(f, "", NULL, NULL, 204);
    g_assert_cmpstr(f->s.cookie_log, ==, "missing");
    hnb_acs_cwmp_reply_clear(&r);
}

static void test_download(Fixture *f, gconstpointer data)
{
    (void)data;
    hnb_acs_cwmp_session_set_image(&f->s, &image);
    g_autofree char *body = inform_version("InternetGatewayDevice.DeviceInfo.SoftwareVersion", "1.0");
    HnbAcsCwmpReply r = answer_with(f, body, "hems.example:7547", NULL, 200);
    g_autofree char *cookie = cookie_of(&r);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer_with(f, "", "hems.example:7547", cookie, 200);
    g_assert_false(r.end);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:ID soap-env:mustUnderstand=\"1\">hnbsim-acs-1</cwmp:ID>"));
    g_assert_nonnull(strstr(r.body->str, "xmlns:cwmp=\"" NS2 "\""));
    g_assert_nonnull(strstr(r.body->str,
                            "<cwmp:Download><CommandKey>0123456789abcdef</CommandKey><FileType>1 Firmware Upgrade Image"
                            "</FileType><URL>https://hems.example:7547/images/hnb-2.0.img</URL><Username></Username>"
                            "<Password></Password><FileSize>123456</FileSize><TargetFileName>hnb-2.0.img"
                            "</TargetFileName><DelaySeconds>0</DelaySeconds>"));
    g_assert_cmpstr(f->s.download, ==, "sent");
    /* read back as the drive's client reads it (tools/drive/client.c): the same reader, the Download's arguments */
    HnbAcsSoap soap;
    HnbAcsSoapFault bad;
    g_assert_true(hnb_acs_soap_parse(r.body->str, r.body->len, &limits, &soap, &bad));
    g_assert_cmpstr(soap.method, ==, "Download");
    g_assert_true(soap.method_is_cwmp);
    g_assert_cmpstr(soap.id, ==, "hnbsim-acs-1");
    g_assert_cmpstr(soap.url, ==, "https://hems.example:7547/images/hnb-2.0.img");
    g_assert_cmpstr(soap.command_key, ==, "0123456789abcdef");
    g_assert_cmpint(soap.file_size, ==, 123456);
    g_assert_cmpint(soap.delay_seconds, ==, 0);
    hnb_acs_soap_clear(&soap);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer_with(f, ENV_OPEN "<soap:Body><cwmp:DownloadResponse><Status>1</Status><StartTime>"
                               "0001-01-01T00:00:00Z</StartTime></cwmp:DownloadResponse></soap:Body></soap:Envelope>",
                    NULL, cookie, 204);
    g_assert_true(r.end);
    g_assert_cmpstr(r.outcome, ==, "ok");
    g_assert_cmpstr(f->s.download, ==, "status:1");
    g_assert_cmpstr(f->s.rpcs->str, ==, "Inform,empty,acs:Download,DownloadResponse");
    hnb_acs_cwmp_reply_clear(&r);
}

/* A Host header unfit for a URL: the listener's address instead; the CPE refuses with a SOAP Fault. */
static void test_download_refused(Fixture *f, gconstpointer data)
{
    (void)data;
    hnb_acs_cwmp_session_set_image(&f->s, &image);
    g_autofree char *body = inform_version("Device.DeviceInfo.SoftwareVersion", "golden-0.9");
    HnbAcsCwmpReply r = answer_with(f, body, NULL, NULL, 200);
    hnb_acs_cwmp_reply_clear(&r);
    r = answer_with(f, "", "evil\"/><x>", NULL, 200);
    g_assert_nonnull(strstr(r.body->str, "<URL>https://127.0.0.1:7547/images/hnb-2.0.img</URL>"));
    hnb_acs_cwmp_reply_clear(&r);
    r = answer_with(f, ENV_OPEN "<soap:Body><soap:Fault><faultcode>Client</faultcode><faultstring>CWMP fault"
                               "</faultstring><detail><cwmp:Fault><FaultCode>9010</FaultCode><FaultString>no"
                               "</FaultString></cwmp:Fault></detail></soap:Fault></soap:Body></soap:Envelope>",
                    NULL, NULL, 204);
    g_assert_true(r.end);
    g_assert_cmpstr(f->s.download, ==, "fault:9010");
    hnb_acs_cwmp_reply_clear(&r);
}

/* The published version, no SoftwareVersion, or no image: no Download, the empty POST ends the session. */
static void test_no_download(Fixture *f, gconstpointer data)
{
    (void)data;
    const char *params[] = {"Device.DeviceInfo.SoftwareVersion", NULL, "Device.DeviceInfo.HardwareVersion"};
    for (int i = 0; i < 4; i++) {
        hnb_acs_cwmp_session_clear(&f->s);
        hnb_acs_cwmp_session_init(&f->s, &limits, authorize, &f->calls);
        if (i < 3)
            hnb_acs_cwmp_session_set_image(&f->s, &image);
        g_autofree char *body = inform_version(i < 3 ? params[i] : "Device.DeviceInfo.SoftwareVersion",
                                               i == 0 ? "2.0" : "1.0");
        HnbAcsCwmpReply r = answer_with(f, body, NULL, NULL, 200);
        hnb_acs_cwmp_reply_clear(&r);
        r = answer_with(f, "", NULL, NULL, 204);
        g_assert_true(r.end);
        g_assert_null(f->s.download);
        hnb_acs_cwmp_reply_clear(&r);
    }
}

/* TransferComplete (A.3.3.2): success and the faults a retry follows; a DownloadResponse with none pending. */
static void test_transfer_complete(Fixture *f, gconstpointer data)
{
    (void)data;
    const struct {
        const char *fault;
        const char *log;
    } cases[] = {
        {"<FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></FaultStruct>", "ok"},
        {"<FaultStruct><FaultCode>9010</FaultCode><FaultString>Download failure</FaultString></FaultStruct>",
         "fault:9010"},
        {"<FaultStruct><FaultCode>9017</FaultCode><FaultString>file corrupted</FaultString></FaultStruct>",
         "fault:9017"},
        {"", "ok"},
        {"<FaultStruct><FaultCode>x</FaultCode></FaultStruct>", "fault:?"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        hnb_acs_cwmp_session_clear(&f->s);
        hnb_acs_cwmp_session_init(&f->s, &limits, authorize, &f->calls);
        g_autofree char *body = inform(GOOD_DEVICE, NULL);
        HnbAcsCwmpReply r = answer(f, body, 200);
        hnb_acs_cwmp_reply_clear(&r);
        g_autofree char *tc = g_strdup_printf(ENV_OPEN HEADER_ID "<soap:Body><cwmp:TransferComplete><CommandKey>k"
                                              "</CommandKey>%s<StartTime>2026-01-01T00:00:00Z</StartTime>"
                                              "</cwmp:TransferComplete></soap:Body></soap:Envelope>",
                                              cases[i].fault);
        r = answer(f, tc, 200);
        g_assert_nonnull(strstr(r.body->str, "<cwmp:TransferCompleteResponse/>"));
        g_assert_nonnull(strstr(r.body->str, ">id-7</cwmp:ID>"));
        g_assert_cmpstr(f->s.transfer, ==, cases[i].log);
        hnb_acs_cwmp_reply_clear(&r);
    }
    HnbAcsCwmpReply r = answer(f, ENV_OPEN "<soap:Body><cwmp:DownloadResponse><Status>0</Status>"
                                          "</cwmp:DownloadResponse></soap:Body></soap:Envelope>", 204);
    g_assert_nonnull(r.reason);
    g_assert_nonnull(strstr(r.reason, "unexpected_response"));
    hnb_acs_cwmp_reply_clear(&r);
}

/* ---- third slice: the campaign (acs_campaign.h) ----------------------------------------------------------------- */

#define T0 1000000000 /* µs: any clock that does not go back */

/* Classification by SoftwareVersion, exact and prefix golden versions. */
static void test_campaign_classify(void)
{
    HnbAcsCampaignParams p = {.published_version = "2.0", .golden_version = "golden-*"};
    g_autoptr(HnbAcsCampaign) c = hnb_acs_campaign_new(&p);
    g_assert_cmpint(hnb_acs_campaign_classify(c, NULL), ==, HNB_ACS_RUNS_UNKNOWN);
    g_assert_cmpint(hnb_acs_campaign_classify(c, "2.0"), ==, HNB_ACS_RUNS_PUBLISHED);
    g_assert_cmpint(hnb_acs_campaign_classify(c, "golden-0.9"), ==, HNB_ACS_RUNS_GOLDEN);
    g_assert_cmpint(hnb_acs_campaign_classify(c, "golden"), ==, HNB_ACS_RUNS_OTHER);
    g_assert_cmpint(hnb_acs_campaign_classify(c, "1.0"), ==, HNB_ACS_RUNS_OTHER);
    p.golden_version = "golden-0.9";
    g_autoptr(HnbAcsCampaign) exact = hnb_acs_campaign_new(&p);
    g_assert_cmpint(hnb_acs_campaign_classify(exact, "golden-0.9"), ==, HNB_ACS_RUNS_GOLDEN);
    g_assert_cmpint(hnb_acs_campaign_classify(exact, "golden-0.91"), ==, HNB_ACS_RUNS_OTHER);
    p.golden_version = NULL;
    g_autoptr(HnbAcsCampaign) none = hnb_acs_campaign_new(&p);
    g_assert_cmpint(hnb_acs_campaign_classify(none, "golden-0.9"), ==, HNB_ACS_RUNS_OTHER);
    g_assert_cmpstr(hnb_acs_runs_name(HNB_ACS_RUNS_GOLDEN), ==, "golden");
    HnbAcsRuns runs;
    g_assert_cmpint(hnb_acs_campaign_inform(c, "D", NULL, &runs), ==, HNB_ACS_OFFER_NONE);
    g_assert_cmpint(runs, ==, HNB_ACS_RUNS_UNKNOWN);
    g_assert_cmpint(hnb_acs_campaign_inform(c, "D", "golden-1", &runs), ==, HNB_ACS_OFFER_DUE);
    g_assert_cmpint(runs, ==, HNB_ACS_RUNS_GOLDEN);
    g_assert_cmpint(hnb_acs_campaign_inform(c, "D", "2.0", &runs), ==, HNB_ACS_OFFER_NONE);
}

/* DelaySeconds: start_k = max(now_k, start_(k-1) + 1/rate), delay = ceil(start_k - now_k).  At 0.5/s (2 s apart):
 * three devices 0.3 s apart get 0, 2, 4; one coming after the slots ran out starts at once, the next 2 s after it. */
static void test_campaign_stagger(void)
{
    HnbAcsCampaignParams p = {.published_version = "2.0", .rate = 0.5};
    g_autoptr(HnbAcsCampaign) c = hnb_acs_campaign_new(&p);
    const struct {
        const char *dev;
        gint64 at_us;
        guint delay;
    } steps[] = {{"A", T0, 0}, {"B", T0 + 300000, 2}, {"C", T0 + 600000, 4}, {"D", T0 + 10000000, 0},
                 {"E", T0 + 10500000, 2}, {"F", T0 + 10500000, 4}, {"G", T0 + 14000000, 2}};
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        guint delay = 99, attempt = 0;
        g_assert_true(hnb_acs_campaign_download(c, steps[i].dev, steps[i].at_us, &delay, &attempt));
        g_assert_cmpuint(delay, ==, steps[i].delay);
        g_assert_cmpuint(attempt, ==, 1);
    }
    /* no rate: no delay, however many at once */
    p.rate = 0;
    g_autoptr(HnbAcsCampaign) flat = hnb_acs_campaign_new(&p);
    for (int i = 0; i < 5; i++) {
        guint delay = 99, attempt = 0;
        g_assert_true(hnb_acs_campaign_download(flat, "A", T0, &delay, &attempt));
        g_assert_cmpuint(delay, ==, 0);
        g_assert_cmpuint(attempt, ==, (guint)i + 1);
    }
    /* the k-th of a burst gets ceil(k / rate): 3/s → 0, 1, 1, 1, 2 */
    p.rate = 3;
    g_autoptr(HnbAcsCampaign) burst = hnb_acs_campaign_new(&p);
    const guint want[] = {0, 1, 1, 1, 2};
    for (guint k = 0; k < G_N_ELEMENTS(want); k++) {
        guint delay = 99, attempt = 0;
        g_autofree char *dev = g_strdup_printf("dev%u", k);
        g_assert_true(hnb_acs_campaign_download(burst, dev, T0, &delay, &attempt));
        g_assert_cmpuint(delay, ==, want[k]);
    }
}

/* Retries: a fault (9017, 9010) and the old version again → another Download, until max_attempts; then gave_up
 * (counted once); the published version later makes the device done. */
static void test_campaign_retries(void)
{
    HnbAcsCampaignParams p = {.published_version = "2.0", .golden_version = "golden-0.9", .max_attempts = 2};
    g_autoptr(HnbAcsCampaign) c = hnb_acs_campaign_new(&p);
    const int faults[] = {9017, 9010};
    guint delay, attempt;
    for (guint i = 0; i < 2; i++) {
        g_assert_cmpint(hnb_acs_campaign_inform(c, "AABBCC-01", "golden-0.9", NULL), ==, HNB_ACS_OFFER_DUE);
        g_assert_true(hnb_acs_campaign_download(c, "AABBCC-01", T0, &delay, &attempt));
        g_assert_cmpuint(attempt, ==, i + 1);
        hnb_acs_campaign_transfer(c, "AABBCC-01", faults[i]);
    }
    for (int i = 0; i < 2; i++)
        g_assert_cmpint(hnb_acs_campaign_inform(c, "AABBCC-01", "golden-0.9", NULL), ==, HNB_ACS_OFFER_GAVE_UP);
    g_assert_false(hnb_acs_campaign_download(c, "AABBCC-01", T0, &delay, &attempt));
    g_assert_cmpuint(hnb_acs_campaign_attempts(c, "AABBCC-01"), ==, 2);
    /* another device is not touched by the first's count */
    g_assert_cmpint(hnb_acs_campaign_inform(c, "AABBCC-02", "1.0", NULL), ==, HNB_ACS_OFFER_DUE);
    g_assert_cmpuint(hnb_acs_campaign_attempts(c, "AABBCC-02"), ==, 0);
    HnbAcsCampaignStats st;
    hnb_acs_campaign_stats(c, &st);
    g_assert_cmpuint(st.devices, ==, 2);
    g_assert_cmpuint(st.downloads, ==, 2);
    g_assert_cmpuint(st.transfers_failed, ==, 2);
    g_assert_cmpuint(st.transfers_ok, ==, 0);
    g_assert_cmpuint(st.gave_up, ==, 1);
    g_assert_cmpuint(st.done, ==, 0);
    /* recovered some other way (a local tool): the published version, done */
    g_assert_cmpint(hnb_acs_campaign_inform(c, "AABBCC-01", "2.0", NULL), ==, HNB_ACS_OFFER_NONE);
    hnb_acs_campaign_stats(c, &st);
    g_assert_cmpuint(st.done, ==, 1);
}

/* Several threads on one campaign (the server's workers): every Download counted once, per device and in all, and
 * the slots of one burst are handed out one by one (the last of 8 × 500 at 1000/s starts 4 s later). */
typedef struct {
    HnbAcsCampaign *c;
    int id;
    guint max_delay;
} Worker;

static gpointer worker_run(gpointer data)
{
    Worker *w = data;
    g_autofree char *dev = g_strdup_printf("dev%d", w->id);
    for (int i = 0; i < 500; i++) {
        guint delay = 0, attempt = 0;
        g_assert_cmpint(hnb_acs_campaign_inform(w->c, dev, "1.0", NULL), ==, HNB_ACS_OFFER_DUE);
        g_assert_true(hnb_acs_campaign_download(w->c, dev, T0, &delay, &attempt));
        w->max_delay = MAX(w->max_delay, delay);
        hnb_acs_campaign_transfer(w->c, dev, 9010);
    }
    return NULL;
}

static void test_campaign_threads(void)
{
    HnbAcsCampaignParams p = {.published_version = "2.0", .rate = 1000};
    g_autoptr(HnbAcsCampaign) c = hnb_acs_campaign_new(&p);
    Worker w[8];
    GThread *t[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (Worker){.c = c, .id = i};
        t[i] = g_thread_new("campaign", worker_run, &w[i]);
    }
    guint max_delay = 0;
    for (int i = 0; i < 8; i++) {
        g_thread_join(t[i]);
        max_delay = MAX(max_delay, w[i].max_delay);
        g_autofree char *dev = g_strdup_printf("dev%d", i);
        g_assert_cmpuint(hnb_acs_campaign_attempts(c, dev), ==, 500);
    }
    HnbAcsCampaignStats st;
    hnb_acs_campaign_stats(c, &st);
    g_assert_cmpuint(st.downloads, ==, 4000);
    g_assert_cmpuint(st.transfers_failed, ==, 4000);
    g_assert_cmpuint(st.devices, ==, 8);
    g_assert_cmpuint(max_delay, ==, 4); /* slot 3999 at 3.999 s */
}

/* An Inform with these EventStructs (EventCode text each) and SoftwareVersion. */
static char *inform_events(const char *const *codes, const char *version)
{
    GString *ev = g_string_new(NULL);
    for (const char *const *c = codes; *c; c++)
        g_string_append_printf(ev, "<EventStruct><EventCode>%s</EventCode><CommandKey></CommandKey></EventStruct>", *c);
    char *body = g_strdup_printf(ENV_OPEN HEADER_ID "<soap:Body><cwmp:Inform><DeviceId>" GOOD_DEVICE "</DeviceId>"
                                 "<Event>%s</Event><MaxEnvelopes>1</MaxEnvelopes><RetryCount>0</RetryCount>"
                                 "<ParameterList><ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name>"
                                 "<Value>%s</Value></ParameterValueStruct></ParameterList></cwmp:Inform></soap:Body>"
                                 "</soap:Envelope>", ev->str, version);
    g_string_free(ev, TRUE);
    return body;
}

static void test_soap_events(void)
{
    const char *codes[] = {"1 BOOT", "M Download", "7 TRANSFER COMPLETE", NULL};
    g_autofree char *body = inform_events(codes, "golden-0.9");
    HnbAcsSoap soap;
    HnbAcsSoapFault bad;
    g_assert_true(hnb_acs_soap_parse(body, strlen(body), &limits, &soap, &bad));
    g_assert_nonnull(soap.events);
    g_assert_cmpuint(g_strv_length(soap.events), ==, 3);
    g_assert_cmpstr(soap.events[0], ==, "1 BOOT");
    g_assert_cmpstr(soap.events[2], ==, "7 TRANSFER COMPLETE");
    hnb_acs_soap_clear(&soap);
    g_autofree char *none = inform(GOOD_DEVICE, NULL);
    g_assert_true(hnb_acs_soap_parse(none, strlen(none), &limits, &soap, &bad));
    g_assert_cmpuint(g_strv_length(soap.events), ==, 1);
    hnb_acs_soap_clear(&soap);
}

/* One session of the good device on `c`: the Inform (events, version), then each of `posts` (NULL-terminated) with
 * its expected status; returns the last reply (caller clears). */
static HnbAcsCwmpReply campaign_session(Fixture *f, HnbAcsCampaign *c, const char *const *events, const char *version,
                                        const char *const *posts, const int *statuses)
{
    hnb_acs_cwmp_session_clear(&f->s);
    hnb_acs_cwmp_session_init(&f->s, &limits, authorize, &f->calls);
    hnb_acs_cwmp_session_set_image(&f->s, &image);
    hnb_acs_cwmp_session_set_campaign(&f->s, c);
    g_autofree char *body = inform_events(events, version);
    HnbAcsCwmpReply r = answer_with(f, body, NULL, NULL, 200);
    g_assert_null(strstr(r.body->str, "HoldRequests"));
    for (size_t i = 0; posts[i]; i++) {
        hnb_acs_cwmp_reply_clear(&r);
        r = answer_with(f, posts[i], NULL, NULL, statuses[i]);
    }
    return r;
}

#define TC(code)                                                                                                     \
    ENV_OPEN HEADER_ID "<soap:Body><cwmp:TransferComplete><CommandKey>0123456789abcdef</CommandKey><FaultStruct>"    \
                       "<FaultCode>" code "</FaultCode><FaultString></FaultString></FaultStruct></cwmp:TransferComplete>" \
                       "</soap:Body></soap:Envelope>"
#define DL_RESPONSE                                                                                                  \
    ENV_OPEN "<soap:Body><cwmp:DownloadResponse><Status>1</Status></cwmp:DownloadResponse></soap:Body></soap:Envelope>"

/* The golden module through the campaign: Download with HoldRequests and the staggered delay; a session announcing
 * TransferComplete without sending it gets no Download; a 9017 is retried (the second Download 10 s after the first
 * at 0.1/s); after max_attempts, gave_up. */
static void test_campaign_session(Fixture *f, gconstpointer data)
{
    (void)data;
    HnbAcsCampaignParams p = {.published_version = "2.0", .golden_version = "golden-0.9", .rate = 0.1,
                              .max_attempts = 2};
    g_autoptr(HnbAcsCampaign) c = hnb_acs_campaign_new(&p);
    const char *boot[] = {"1 BOOT", NULL}, *tc[] = {"M Download", "7 TRANSFER COMPLETE", NULL};
    HnbAcsCwmpReply r = campaign_session(f, c, boot, "golden-0.9", (const char *[]){"", NULL}, (int[]){200});
    g_assert_nonnull(strstr(r.body->str, "<cwmp:HoldRequests soap-env:mustUnderstand=\"1\">true</cwmp:HoldRequests>"));
    g_assert_nonnull(strstr(r.body->str, "<DelaySeconds>0</DelaySeconds>"));
    g_assert_cmpstr(f->s.campaign_log, ==, "runs=golden attempt=1/2 delay=0");
    hnb_acs_cwmp_reply_clear(&r);
    r = answer_with(f, DL_RESPONSE, NULL, NULL, 204);
    hnb_acs_cwmp_reply_clear(&r);
    /* the TransferComplete announced but not sent: held */
    r = campaign_session(f, c, tc, "golden-0.9", (const char *[]){"", NULL}, (int[]){204});
    g_assert_cmpstr(f->s.download, ==, "awaiting_transfer_complete");
    hnb_acs_cwmp_reply_clear(&r);
    /* 9017 (the image failed its check): retried, 10 s after the first Download's slot */
    r = campaign_session(f, c, tc, "golden-0.9", (const char *[]){TC("9017"), "", NULL}, (int[]){200, 200});
    g_assert_cmpstr(f->s.transfer, ==, "fault:9017");
    g_assert_nonnull(strstr(r.body->str, "<cwmp:Download>"));
    g_assert_nonnull(strstr(r.body->str, "<DelaySeconds>10</DelaySeconds>"));
    g_assert_nonnull(strstr(r.body->str, "HoldRequests"));
    g_assert_cmpstr(f->s.campaign_log, ==, "runs=golden attempt=2/2 delay=10");
    hnb_acs_cwmp_reply_clear(&r);
    /* 9010 again: two attempts used, no more */
    r = campaign_session(f, c, tc, "golden-0.9", (const char *[]){TC("9010"), "", NULL}, (int[]){200, 204});
    g_assert_cmpstr(f->s.download, ==, "gave_up");
    g_assert_cmpstr(f->s.campaign_log, ==, "runs=golden attempts=2");
    g_assert_cmpstr(f->s.rpcs->str, ==, "Inform,TransferComplete,empty");
    hnb_acs_cwmp_reply_clear(&r);
    HnbAcsCampaignStats st;
    hnb_acs_campaign_stats(c, &st);
    g_assert_cmpuint(st.downloads, ==, 2);
    g_assert_cmpuint(st.transfers_failed, ==, 2);
    g_assert_cmpuint(st.gave_up, ==, 1);
    /* the published version: nothing */
    r = campaign_session(f, c, boot, "2.0", (const char *[]){"", NULL}, (int[]){204});
    g_assert_null(f->s.download);
    g_assert_cmpstr(f->s.campaign_log, ==, "runs=published");
    hnb_acs_cwmp_reply_clear(&r);
}

/* Overload: fault 8005 (Retry request) with HTTP 503 and Retry-After, the request's cwmp:ID echoed, the connection
 * to end; an empty or broken body still gets the fault, without an ID. */
static void test_overload(void)
{
    g_autofree char *body = inform(GOOD_DEVICE, NULL);
    HnbAcsCwmpReply r;
    hnb_acs_cwmp_answer_overload(body, strlen(body), &limits, 7, &r);
    g_assert_cmpint(r.status, ==, 503);
    g_assert_true(r.end);
    g_assert_cmpstr(r.outcome, ==, "refused");
    g_assert_cmpstr(r.reason, ==, "overload");
    g_assert_cmpstr(r.headers, ==, "Retry-After: 7\r\n");
    g_assert_nonnull(strstr(r.body->str, "<FaultCode>8005</FaultCode>"));
    g_assert_nonnull(strstr(r.body->str, "Retry request"));
    g_assert_nonnull(strstr(r.body->str, ">id-7</cwmp:ID>"));
    g_assert_nonnull(strstr(r.body->str, "xmlns:cwmp=\"" NS2 "\""));
    g_assert_cmpstr(r.rpc, ==, "");
    hnb_acs_cwmp_reply_clear(&r);
    for (int i = 0; i < 2; i++) {
        const char *other = i ? "<not-xml" : "";
        hnb_acs_cwmp_answer_overload(other, strlen(other), &limits, 30, &r);
        g_assert_cmpint(r.status, ==, 503);
        g_assert_cmpstr(r.headers, ==, "Retry-After: 30\r\n");
        g_assert_nonnull(strstr(r.body->str, "<FaultCode>8005</FaultCode>"));
        g_assert_null(strstr(r.body->str, "cwmp:ID"));
        hnb_acs_cwmp_reply_clear(&r);
    }
}

/* A session moved to another holder (the loop parks a cut connection's session and a new connection takes it up,
 * TR-069 §3.4.1): a struct copy carries on where it was, the next request answered as the session's next; `ended`
 * says when nothing is left to resume. */
static void test_session_moved(Fixture *f, gconstpointer data)
{
    (void)data;
    hnb_acs_cwmp_session_set_image(&f->s, &image);
    g_autofree char *body = inform_version("Device.DeviceInfo.SoftwareVersion", "1.0");
    HnbAcsCwmpReply r = answer_with(f, body, NULL, NULL, 200);
    g_autofree char *cookie = cookie_of(&r);
    hnb_acs_cwmp_reply_clear(&r);
    g_assert_true(f->s.informed);
    g_assert_false(f->s.ended);
    HnbAcsCwmpSession moved = f->s;
    memset(&f->s, 0, sizeof f->s);
    int calls = 0;
    moved.user_data = &calls;
    HnbAcsCwmpRequestInfo info = {.cookie = cookie};
    hnb_acs_cwmp_answer_request(&moved, "", 0, &info, &r);
    g_assert_cmpint(r.status, ==, 200);
    g_assert_nonnull(strstr(r.body->str, "<cwmp:Download>"));
    g_assert_null(r.headers); /* the cookie is set once per session, not per connection */
    g_assert_false(moved.ended);
    hnb_acs_cwmp_reply_clear(&r);
    static const char resp[] = ENV_OPEN "<soap:Body><cwmp:DownloadResponse><Status>1</Status></cwmp:DownloadResponse>"
                                        "</soap:Body></soap:Envelope>";
    hnb_acs_cwmp_answer_request(&moved, resp, strlen(resp), &info, &r);
    g_assert_cmpint(r.status, ==, 204);
    g_assert_true(moved.ended);
    g_assert_cmpstr(moved.rpcs->str, ==, "Inform,empty,acs:Download,DownloadResponse");
    g_assert_cmpstr(moved.cookie_log, ==, "echoed");
    hnb_acs_cwmp_reply_clear(&r);
    hnb_acs_cwmp_session_clear(&moved);
    /* a refusal ends a session too */
    hnb_acs_cwmp_session_init(&f->s, &limits, authorize, &f->calls);
    r = answer(f, ENV_OPEN "<soap:Body><cwmp:TransferComplete/></soap:Body></soap:Envelope>", 500);
    g_assert_true(f->s.ended);
    hnb_acs_cwmp_reply_clear(&r);
}

/* The cookie's value among others (RFC 6265 §4.2.1), and the denial of another identity's session. */
static void test_foreign_cookie(void)
{
    g_autofree char *a = hnb_acs_cwmp_cookie_value("lang=en;  " HNB_ACS_COOKIE_NAME "=abc ; x=1");
    g_assert_cmpstr(a, ==, "abc");
    g_autofree char *b = hnb_acs_cwmp_cookie_value("x" HNB_ACS_COOKIE_NAME "=abc");
    g_assert_null(b);
    g_assert_null(hnb_acs_cwmp_cookie_value(NULL));
    g_autofree char *body = inform(GOOD_DEVICE, NULL);
    HnbAcsCwmpReply r;
    hnb_acs_cwmp_answer_foreign_cookie(body, strlen(body), &limits, &r);
    g_assert_cmpint(r.status, ==, 500);
    g_assert_true(r.end);
    g_assert_cmpstr(r.outcome, ==, "rejected");
    g_assert_true(g_str_has_prefix(r.reason, "foreign_cookie"));
    g_assert_null(r.headers);
    assert_fault(&r, 8001);
    g_assert_nonnull(strstr(r.body->str, ">id-7</cwmp:ID>"));
    hnb_acs_cwmp_reply_clear(&r);
    hnb_acs_cwmp_answer_foreign_cookie("", 0, &limits, &r);
    assert_fault(&r, 8001);
    g_assert_null(strstr(r.body->str, "cwmp:ID"));
    hnb_acs_cwmp_reply_clear(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    hnb_acs_soap_init();
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
    ADD("/acs-cwmp/inform-session", test_inform);
    ADD("/acs-cwmp/identity-not-from-text", test_identity_not_from_text);
    ADD("/acs-cwmp/no-device-id", test_no_device_id);
    ADD("/acs-cwmp/not-well-formed", test_not_well_formed);
    ADD("/acs-cwmp/doctype", test_doctype);
    ADD("/acs-cwmp/limits", test_limits);
    ADD("/acs-cwmp/soap-shape", test_soap_shape);
    ADD("/acs-cwmp/inform-first", test_inform_first);
    ADD("/acs-cwmp/versions", test_versions);
    ADD("/acs-cwmp/cookie", test_cookie);
    ADD("/acs-cwmp/cookie-missing", test_cookie_missing);
    ADD("/acs-cwmp/download", test_download);
    ADD("/acs-cwmp/download-refused", test_download_refused);
    ADD("/acs-cwmp/no-download", test_no_download);
    ADD("/acs-cwmp/transfer-complete", test_transfer_complete);
    g_test_add_func("/acs-cwmp/overload", test_overload);
    g_test_add_func("/acs-cwmp/foreign-cookie", test_foreign_cookie);
    ADD("/acs-cwmp/session-moved", test_session_moved);
    g_test_add_func("/acs-cwmp/soap-events", test_soap_events);
    g_test_add_func("/acs-cwmp/campaign/classify", test_campaign_classify);
    g_test_add_func("/acs-cwmp/campaign/stagger", test_campaign_stagger);
    g_test_add_func("/acs-cwmp/campaign/retries", test_campaign_retries);
    g_test_add_func("/acs-cwmp/campaign/threads", test_campaign_threads);
    ADD("/acs-cwmp/campaign/session", test_campaign_session);
    return g_test_run();
}
