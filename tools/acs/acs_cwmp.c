/* tools/acs/acs_cwmp.c — the ACS's answers to a CPE's requests (see acs_cwmp.h): envelopes and faults as text.
 *
 * Answers are written with printf and g_markup escaping, not built as trees: they are a handful of fixed shapes, and
 * every value put into them (the cwmp:ID echo, a fault's words) is escaped.  The namespace echoed is one of the five
 * accepted CWMP URIs (checked by acs_soap.c), or 1-0 when the request never showed one.
 */
#include "tools/acs/acs_cwmp.h"

#include <string.h>

const char *const hnb_acs_cwmp_methods[] = {"Inform", "GetRPCMethods", "TransferComplete", NULL};

void hnb_acs_cwmp_session_init(HnbAcsCwmpSession *s, const HnbAcsSoapLimits *limits, HnbAcsCwmpAuthorize authorize,
                               void *user_data)
{
    memset(s, 0, sizeof *s);
    s->limits = *limits;
    s->authorize = authorize;
    s->user_data = user_data;
    s->rpcs = g_string_new(NULL);
    g_snprintf(s->cookie, sizeof s->cookie, "%08x%08x%08x%08x", g_random_int(), g_random_int(), g_random_int(),
               g_random_int());
}

void hnb_acs_cwmp_session_set_image(HnbAcsCwmpSession *s, const HnbAcsCwmpImage *image)
{
    s->image = image;
}

void hnb_acs_cwmp_session_set_campaign(HnbAcsCwmpSession *s, HnbAcsCampaign *campaign)
{
    s->campaign = campaign;
}

void hnb_acs_cwmp_session_set_cookie(HnbAcsCwmpSession *s, const char *hex32)
{
    g_strlcpy(s->cookie, hex32, sizeof s->cookie);
}

void hnb_acs_cwmp_session_clear(HnbAcsCwmpSession *s)
{
    if (s->rpcs)
        g_string_free(s->rpcs, TRUE);
    g_free(s->cwmp_ns);
    g_free(s->download);
    g_free(s->transfer);
    g_free(s->device);
    g_free(s->campaign_log);
    memset(s, 0, sizeof *s);
}

void hnb_acs_cwmp_reply_clear(HnbAcsCwmpReply *reply)
{
    if (reply->body)
        g_string_free(reply->body, TRUE);
    g_free(reply->reason);
    g_free(reply->headers);
    memset(reply, 0, sizeof *reply);
}

/* ---- writing envelopes ------------------------------------------------------------------------------------------ */

/* The whole envelope around `body_xml`, echoing the request's cwmp:ID if it had one; `hold` adds
 * cwmp:HoldRequests true (A.4.1: the ACS's header, mustUnderstand). */
static void envelope_hold(HnbAcsCwmpReply *r, const char *ns, const char *id, gboolean hold, const char *body_xml)
{
    g_autofree char *id_esc = id ? g_markup_escape_text(id, -1) : NULL;
    g_string_append_printf(
        r->body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<soap-env:Envelope xmlns:soap-env=\"" HNB_SOAP_ENV_NS "\" "
        "xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:cwmp=\"%s\">\n"
        "<soap-env:Header>%s%s%s%s</soap-env:Header>\n"
        "<soap-env:Body>%s</soap-env:Body>\n"
        "</soap-env:Envelope>\n",
        hnb_acs_soap_is_cwmp_ns(ns) ? ns : HNB_CWMP_NS_DEFAULT, id ? "<cwmp:ID soap-env:mustUnderstand=\"1\">" : "",
        id ? id_esc : "", id ? "</cwmp:ID>" : "",
        hold ? "<cwmp:HoldRequests soap-env:mustUnderstand=\"1\">true</cwmp:HoldRequests>" : "", body_xml);
}

static void envelope(HnbAcsCwmpReply *r, const char *ns, const char *id, const char *body_xml)
{
    envelope_hold(r, ns, id, FALSE, body_xml);
}

static const char *cwmp_fault_name(int code)
{
    switch (code) {
    case 8000: return "Method not supported";
    case 8001: return "Request denied";
    case 8002: return "Internal error";
    case 8003: return "Invalid arguments";
    case 8004: return "Resources exceeded";
    case 8005: return "Retry request";
    default: return "Fault";
    }
}

/* `text` as XML 1.0 character data: valid UTF-8 (a parser's message may quote the peer's bytes), control characters
 * other than tab and newline as '?' (XML 1.0 has no way to write them, not even as references), then escaped. */
static char *xml_safe(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    for (char *p = valid; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n')
            *p = '?';
    return g_markup_escape_text(valid, -1);
}

/* A SOAP Fault with HTTP 500.  cwmp_code 0: a SOAP-level fault (faultcode qualified, no CWMP detail). */
static void fault(HnbAcsCwmpReply *r, const char *ns, const char *id, const char *faultcode, int cwmp_code,
                  const char *words)
{
    g_autofree char *esc = xml_safe(words);
    g_autofree char *xml = NULL;
    if (cwmp_code)
        xml = g_strdup_printf("<soap-env:Fault><faultcode>%s</faultcode><faultstring>CWMP fault</faultstring><detail>"
                              "<cwmp:Fault><FaultCode>%d</FaultCode><FaultString>%s</FaultString></cwmp:Fault>"
                              "</detail></soap-env:Fault>",
                              faultcode, cwmp_code, esc);
    else
        xml = g_strdup_printf("<soap-env:Fault><faultcode>soap-env:%s</faultcode><faultstring>%s</faultstring>"
                              "</soap-env:Fault>",
                              faultcode, esc);
    r->status = 500;
    envelope(r, ns, id, xml);
}

/* A CWMP fault (faultcode Client) whose words start with the code's name: "Method not supported: ...". */
static void cwmp_fault(HnbAcsCwmpReply *r, const HnbAcsSoap *soap, int code, const char *detail)
{
    g_autofree char *words = g_strdup_printf("%s: %s", cwmp_fault_name(code), detail);
    fault(r, soap->cwmp_ns, soap->id, code == 8002 ? "Server" : "Client", code, words);
}

static void answer_ok(HnbAcsCwmpReply *r, const HnbAcsSoap *soap, const char *body_xml)
{
    r->status = 200;
    envelope(r, soap->cwmp_ns, soap->id, body_xml);
}

/* ---- the RPCs --------------------------------------------------------------------------------------------------- */

static void set_text(char **field, char *text)
{
    g_free(*field);
    *field = text;
}

/* The campaign's word on this Inform (acs_campaign.h): a Download due, none, or none any more (gave_up). */
static void campaign_inform(HnbAcsCwmpSession *s, const HnbAcsSoap *soap)
{
    HnbAcsRuns runs;
    HnbAcsOffer offer = hnb_acs_campaign_inform(s->campaign, s->device, soap->software_version, &runs);
    s->download_due = offer == HNB_ACS_OFFER_DUE;
    set_text(&s->campaign_log, g_strdup_printf("runs=%s", hnb_acs_runs_name(runs)));
    if (offer == HNB_ACS_OFFER_GAVE_UP) {
        set_text(&s->download, g_strdup("gave_up"));
        set_text(&s->campaign_log, g_strdup_printf("runs=%s attempts=%u", hnb_acs_runs_name(runs),
                                                   hnb_acs_campaign_attempts(s->campaign, s->device)));
    }
}

static void inform(HnbAcsCwmpSession *s, const HnbAcsSoap *soap, HnbAcsCwmpReply *r)
{
    if (!soap->has_device_id || !soap->oui || !soap->serial || !soap->oui[0] || !soap->serial[0]) {
        const char *missing = !soap->has_device_id ? "DeviceId" : !soap->oui || !soap->oui[0] ? "DeviceId/OUI"
                                                                                              : "DeviceId/SerialNumber";
        g_autofree char *detail = g_strdup_printf("the Inform has no %s, so it names no device", missing);
        cwmp_fault(r, soap, 8003, detail);
        r->end = TRUE;
        r->outcome = "rejected";
        r->reason = g_strdup_printf("no_device_id (%s missing)", missing);
        return;
    }
    g_autofree char *why = NULL;
    if (!s->authorize(soap->oui, soap->serial, s->user_data, &why)) {
        g_autofree char *detail = g_strdup_printf("DeviceId OUI=%s SerialNumber=%s %s", soap->oui, soap->serial,
                                                  why ? why : "is not the authenticated device");
        cwmp_fault(r, soap, 8001, detail);
        r->end = TRUE;
        r->outcome = "rejected";
        r->reason = g_strdup_printf("identity_mismatch (DeviceId OUI=%s SerialNumber=%s)", soap->oui, soap->serial);
        return;
    }
    s->informed = TRUE;
    g_free(s->cwmp_ns);
    s->cwmp_ns = g_strdup(soap->cwmp_ns);
    g_autofree char *oui = g_ascii_strup(soap->oui, -1), *serial = g_ascii_strup(soap->serial, -1);
    g_free(s->device);
    s->device = g_strdup_printf("%s-%s", oui, serial);
    s->tc_announced = soap->events && g_strv_contains((const char *const *)soap->events, "7 TRANSFER COMPLETE");
    if (s->image && s->campaign)
        campaign_inform(s, soap);
    else
        s->download_due = s->image && soap->software_version &&
                          strcmp(soap->software_version, s->image->version) != 0;
    answer_ok(r, soap, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>");
    r->outcome = "informed";
    if (!s->cookie_set) {
        s->cookie_set = TRUE;
        r->headers = g_strdup_printf("Set-Cookie: " HNB_ACS_COOKIE_NAME "=%s; Path=/; Secure; HttpOnly\r\n", s->cookie);
    }
}

char *hnb_acs_cwmp_cookie_value(const char *header)
{
    if (!header)
        return NULL;
    g_auto(GStrv) pairs = g_strsplit(header, ";", -1);
    for (char **p = pairs; *p; p++) {
        char *pair = g_strstrip(*p);
        if (g_str_has_prefix(pair, HNB_ACS_COOKIE_NAME "="))
            return g_strdup(pair + strlen(HNB_ACS_COOKIE_NAME "="));
    }
    return NULL;
}

/* A Host header fit to put in a URL: letters, digits, '.', '-', ':', '[', ']' only. */
static gboolean host_ok(const char *host)
{
    if (!host || !host[0] || strlen(host) > 255)
        return FALSE;
    for (const char *p = host; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr(".-:[]", *p))
            return FALSE;
    return TRUE;
}

/* The ACS's Download (TR-069 A.3.2.8), as the answer to the CPE's empty POST. */
static gboolean send_download(HnbAcsCwmpSession *s, const HnbAcsCwmpRequestInfo *info, HnbAcsCwmpReply *r)
{
    const HnbAcsCwmpImage *img = s->image;
    guint delay = 0, attempt = 0;
    s->download_due = FALSE;
    if (s->campaign && !hnb_acs_campaign_download(s->campaign, s->device, g_get_monotonic_time(), &delay, &attempt)) {
        set_text(&s->download, g_strdup("gave_up")); /* a parallel session took the last attempt */
        return FALSE;
    }
    const char *host = info && host_ok(info->host) ? info->host : img->default_host;
    g_autofree char *path = g_uri_escape_string(img->name, NULL, FALSE);
    g_autofree char *url = g_strdup_printf("https://%s/images/%s", host, path);
    g_autofree char *url_esc = g_markup_escape_text(url, -1);
    g_autofree char *name_esc = g_markup_escape_text(img->name, -1);
    g_autofree char *key_esc = g_markup_escape_text(img->command_key, -1);
    g_autofree char *xml = g_strdup_printf(
        "<cwmp:Download><CommandKey>%s</CommandKey><FileType>1 Firmware Upgrade Image</FileType><URL>%s</URL>"
        "<Username></Username><Password></Password><FileSize>%" G_GUINT64_FORMAT "</FileSize>"
        "<TargetFileName>%s</TargetFileName><DelaySeconds>%u</DelaySeconds><SuccessURL></SuccessURL>"
        "<FailureURL></FailureURL></cwmp:Download>",
        key_esc, url_esc, img->size, name_esc, delay);
    g_autofree char *id = g_strdup_printf("hnbsim-acs-%u", ++s->acs_requests);
    r->status = 200;
    envelope_hold(r, s->cwmp_ns, id, TRUE, xml);
    s->download_pending = TRUE;
    set_text(&s->download, g_strdup("sent"));
    if (s->campaign) {
        guint max = hnb_acs_campaign_max_attempts(s->campaign);
        g_autofree char *runs = g_strdup(s->campaign_log ? s->campaign_log : "runs=?");
        set_text(&s->campaign_log, max ? g_strdup_printf("%s attempt=%u/%u delay=%u", runs, attempt, max, delay)
                                       : g_strdup_printf("%s attempt=%u delay=%u", runs, attempt, delay));
    }
    r->outcome = "informed";
    return TRUE;
}

/* The CPE's answer to the Download: DownloadResponse or a SOAP Fault.  The ACS has nothing more: 204. */
static void download_answered(HnbAcsCwmpSession *s, const HnbAcsSoap *soap, HnbAcsCwmpReply *r)
{
    r->status = 204;
    r->end = TRUE;
    r->outcome = "ok";
    if (!s->download_pending) {
        r->reason = g_strdup_printf("unexpected_response (%s with no Download pending)", soap->method);
        return;
    }
    s->download_pending = FALSE;
    g_free(s->download);
    if (soap->is_soap_fault)
        s->download = soap->fault_code >= 0 ? g_strdup_printf("fault:%d", soap->fault_code) : g_strdup("fault:?");
    else
        s->download = soap->status >= 0 ? g_strdup_printf("status:%d", soap->status) : g_strdup("status:?");
}

static void get_rpc_methods(const HnbAcsSoap *soap, HnbAcsCwmpReply *r)
{
    GString *xml = g_string_new(NULL);
    guint n = g_strv_length((char **)hnb_acs_cwmp_methods);
    g_string_append_printf(xml, "<cwmp:GetRPCMethodsResponse><MethodList soap-enc:arrayType=\"xsd:string[%u]\">", n);
    for (const char *const *m = hnb_acs_cwmp_methods; *m; m++)
        g_string_append_printf(xml, "<string>%s</string>", *m);
    g_string_append(xml, "</MethodList></cwmp:GetRPCMethodsResponse>");
    answer_ok(r, soap, xml->str);
    g_string_free(xml, TRUE);
}

static gboolean is_empty(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isspace(body[i]))
            return FALSE;
    return TRUE;
}

/* `name` goes into the session's list for the log and, for the metrics, into the reply: the CPE's RPC in r->rpc, an
 * ACS request ("acs:Download") as r->download_sent. */
static void note_rpc(HnbAcsCwmpSession *s, HnbAcsCwmpReply *r, const char *name)
{
    if (strcmp(name, "acs:Download") == 0)
        r->download_sent = TRUE;
    else
        g_strlcpy(r->rpc, name, sizeof r->rpc);
    if (s->rpcs->len)
        g_string_append_c(s->rpcs, ',');
    /* bounded: a long session's list is cut, not grown without end */
    if (s->rpcs->len < 200)
        g_string_append(s->rpcs, name);
    else if (!g_str_has_suffix(s->rpcs->str, "..."))
        g_string_append(s->rpcs, "...");
}

/* After the Inform: is the request's cookie this session's?  FALSE (and *r a fault) if it names another. */
static gboolean check_cookie(HnbAcsCwmpSession *s, const HnbAcsCwmpRequestInfo *info, HnbAcsCwmpReply *r)
{
    if (!s->cookie_set)
        return TRUE;
    g_autofree char *value = hnb_acs_cwmp_cookie_value(info ? info->cookie : NULL);
    if (!value) {
        s->cookie_log = "missing";
        return TRUE;
    }
    if (strcmp(value, s->cookie) == 0) {
        if (!s->cookie_log)
            s->cookie_log = "echoed";
        return TRUE;
    }
    fault(r, s->cwmp_ns, NULL, "Client", 8001, "Request denied: the session cookie is not this session's");
    r->end = TRUE;
    r->outcome = "rejected";
    r->reason = g_strdup("bad_cookie (" HNB_ACS_COOKIE_NAME " names another session)");
    return FALSE;
}

void hnb_acs_cwmp_answer(HnbAcsCwmpSession *s, const char *body, size_t len, HnbAcsCwmpReply *r)
{
    hnb_acs_cwmp_answer_request(s, body, len, NULL, r);
}

static void answer_request(HnbAcsCwmpSession *s, const char *body, size_t len, const HnbAcsCwmpRequestInfo *info,
                           HnbAcsCwmpReply *r)
{
    memset(r, 0, sizeof *r);
    r->body = g_string_new(NULL);
    if (!check_cookie(s, info, r)) {
        note_rpc(s, r, "bad_cookie");
        return;
    }
    if (is_empty(body, len)) {
        note_rpc(s, r, "empty");
        if (s->informed && s->download_due && !s->download_pending && s->campaign && s->tc_announced &&
            !s->tc_received) {
            /* the Inform announced a TransferComplete that has not come: its fault decides the retry */
            s->download_due = FALSE;
            set_text(&s->download, g_strdup("awaiting_transfer_complete"));
        }
        if (s->informed && s->download_due && !s->download_pending && send_download(s, info, r)) {
            note_rpc(s, r, "acs:Download");
            return;
        }
        r->status = 204;
        r->end = TRUE;
        r->outcome = "ok";
        return;
    }
    HnbAcsSoap soap;
    HnbAcsSoapFault bad;
    if (!hnb_acs_soap_parse(body, len, &s->limits, &soap, &bad)) {
        note_rpc(s, r, "invalid");
        fault(r, soap.cwmp_ns, soap.id, bad.faultcode, bad.cwmp_code, bad.message);
        r->end = TRUE;
        r->outcome = "rejected";
        r->reason = g_strdup_printf("%s (%s)", bad.cwmp_code == 8004 ? "soap_limit" : "soap_invalid", bad.message);
        hnb_acs_soap_fault_clear(&bad);
        hnb_acs_soap_clear(&soap);
        return;
    }
    note_rpc(s, r, soap.method_is_cwmp || soap.is_soap_fault ? soap.method : "unknown");
    if (s->informed && (soap.is_soap_fault || (soap.method_is_cwmp && strcmp(soap.method, "DownloadResponse") == 0))) {
        download_answered(s, &soap, r);
        hnb_acs_soap_clear(&soap);
        return;
    }
    gboolean known = soap.method_is_cwmp && g_strv_contains(hnb_acs_cwmp_methods, soap.method);
    if (!known) {
        g_autofree char *detail = g_strdup_printf("this ACS answers %s, not %s", "Inform, GetRPCMethods and "
                                                  "TransferComplete", soap.method);
        cwmp_fault(r, &soap, 8000, detail);
        r->reason = g_strdup_printf("method_not_supported (%s)", soap.method);
    } else if (strcmp(soap.method, "Inform") == 0) {
        inform(s, &soap, r);
    } else if (!s->informed) {
        g_autofree char *detail = g_strdup_printf("%s before the session's Inform", soap.method);
        cwmp_fault(r, &soap, 8001, detail);
        r->end = TRUE;
        r->outcome = "rejected";
        r->reason = g_strdup_printf("no_inform (%s first)", soap.method);
    } else if (strcmp(soap.method, "GetRPCMethods") == 0) {
        get_rpc_methods(&soap, r);
    } else { /* TransferComplete (A.3.3.2): FaultCode 0 is success, 9010/9017 and the others a failed transfer */
        g_free(s->transfer);
        s->transfer = soap.fault_code == 0 ? g_strdup("ok")
                      : soap.fault_code > 0 ? g_strdup_printf("fault:%d", soap.fault_code) : g_strdup("fault:?");
        s->tc_received = TRUE;
        if (s->campaign)
            hnb_acs_campaign_transfer(s->campaign, s->device, soap.fault_code);
        answer_ok(r, &soap, "<cwmp:TransferCompleteResponse/>");
    }
    hnb_acs_soap_clear(&soap);
}

void hnb_acs_cwmp_answer_request(HnbAcsCwmpSession *s, const char *body, size_t len, const HnbAcsCwmpRequestInfo *info,
                                 HnbAcsCwmpReply *r)
{
    answer_request(s, body, len, info, r);
    if (r->end) /* every way a session ends goes through here: the loop must not park an ended one */
        s->ended = TRUE;
}

/* A refusal before any session state: the body parsed only to echo its cwmp:ID and namespace, the connection ends. */
static void answer_refusal(const char *body, size_t len, const HnbAcsSoapLimits *limits, const char *faultcode,
                           int code, const char *words, HnbAcsCwmpReply *r)
{
    memset(r, 0, sizeof *r);
    r->body = g_string_new(NULL);
    HnbAcsSoap soap = {0};
    HnbAcsSoapFault bad;
    if (!is_empty(body, len) && !hnb_acs_soap_parse(body, len, limits, &soap, &bad))
        hnb_acs_soap_fault_clear(&bad); /* what it showed of cwmp:ID and the namespace is still echoed */
    fault(r, soap.cwmp_ns, soap.id, faultcode, code, words);
    hnb_acs_soap_clear(&soap);
    r->end = TRUE;
}

void hnb_acs_cwmp_answer_overload(const char *body, size_t len, const HnbAcsSoapLimits *limits, guint retry_after,
                                  HnbAcsCwmpReply *r)
{
    answer_refusal(body, len, limits, "Server", 8005,
                   "Retry request: the ACS has as many sessions open as it allows; retry later", r);
    r->status = 503;
    r->outcome = "refused";
    r->reason = g_strdup("overload");
    r->headers = g_strdup_printf("Retry-After: %u\r\n", retry_after);
}

void hnb_acs_cwmp_answer_foreign_cookie(const char *body, size_t len, const HnbAcsSoapLimits *limits,
                                        HnbAcsCwmpReply *r)
{
    answer_refusal(body, len, limits, "Client", 8001,
                   "Request denied: the session cookie names a session of another device", r);
    r->outcome = "rejected";
    r->reason = g_strdup("foreign_cookie (" HNB_ACS_COOKIE_NAME " names a session of another certificate identity)");
}
