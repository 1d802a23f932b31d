/* tools/acs/acs_soap.c — the envelope parsed with libxml2 under the limits of acs_soap.h, then read by namespace.
 *
 * Parser set-up: a fresh parser context per document with
 *   - the SAX internalSubset callback replaced by one that records the DOCTYPE and stops the parser, so nothing of a
 *     DTD (entity declarations included) is ever read;
 *   - the structured-error callback replaced by one that ignores the message (libxml2 keeps the last error in the
 *     context, which becomes the fault's words; nothing is printed on the server's stderr);
 *   - options NONET | NOCDATA (CDATA sections become text, read like any text) | NOERROR | NOWARNING, and neither
 *     NOENT, DTDLOAD, DTDATTR, RECOVER nor HUGE (so libxml2's own size and depth caps stay on too).
 * Reading: Envelope (SOAP 1.1 namespace) → optional Header, Body; the Body's one element is the RPC.  The children of
 * the RPC element are unqualified in TR-069's schema (elementFormDefault unqualified); the RPC's own CWMP namespace
 * is accepted too.  An element whose text the ACS uses must hold text only.
 */
#include "tools/acs/acs_soap.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>

void hnb_acs_soap_init(void)
{
    xmlInitParser();
}

void hnb_acs_soap_clear(HnbAcsSoap *soap)
{
    g_free(soap->cwmp_ns);
    g_free(soap->id);
    g_free(soap->method);
    g_free(soap->oui);
    g_free(soap->serial);
    g_free(soap->software_version);
    g_strfreev(soap->events);
    g_free(soap->command_key);
    g_free(soap->url);
    memset(soap, 0, sizeof *soap);
}

void hnb_acs_soap_fault_clear(HnbAcsSoapFault *fault)
{
    g_free(fault->message);
    memset(fault, 0, sizeof *fault);
}

gboolean hnb_acs_soap_is_cwmp_ns(const char *ns)
{
    size_t n = strlen(HNB_CWMP_NS_PREFIX);
    return ns && strncmp(ns, HNB_CWMP_NS_PREFIX, n) == 0 && ns[n] >= '0' && ns[n] <= '4' && ns[n + 1] == '\0';
}

static gboolean refuse(HnbAcsSoapFault *fault, const char *faultcode, int cwmp_code, char *message)
{
    fault->faultcode = faultcode;
    fault->cwmp_code = cwmp_code;
    fault->message = message;
    return FALSE;
}

/* ---- the parser ------------------------------------------------------------------------------------------------- */

typedef struct {
    gboolean doctype; /* the document has a DOCTYPE: parse stopped */
} ParseState;

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    ((ParseState *)ctxt->_private)->doctype = TRUE;
    xmlStopParser(ctxt);
}

static void ignore_error(void *data, xmlErrorPtr error)
{
    (void)data;
    (void)error;
}

/* The parsed document, or NULL with *fault filled. */
static xmlDocPtr parse(const char *text, size_t len, HnbAcsSoapFault *fault)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        refuse(fault, "Server", 8002, g_strdup("Internal error: no memory for an XML parser"));
        return NULL;
    }
    ParseState st = {0};
    ctxt->_private = &st;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->serror = ignore_error;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, text, (int)len, "cwmp", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (st.doctype || (doc && (doc->intSubset || doc->extSubset))) {
        refuse(fault, "Client", 8003, g_strdup("Invalid arguments: a DOCTYPE is not allowed in a CWMP message"));
    } else if (!doc || !ctxt->wellFormed || !ctxt->nsWellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        g_autofree char *what = g_strdup(e && e->message ? e->message : "parse error");
        g_strchomp(what);
        refuse(fault, "Client", 8003,
               g_strdup_printf("Invalid arguments: not well-formed XML (line %d: %s)", e ? e->line : 0, what));
    }
    if (fault->faultcode) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* ---- reading the tree ------------------------------------------------------------------------------------------- */

static gboolean is(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
           (ns ? n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0 : !n->ns);
}

static const char *ns_of(const xmlNode *n)
{
    return n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

/* The next element sibling from n (n included); NULL at the end.  Non-element nodes (text, comments, PIs) are
 * skipped; *stray is set if any of the skipped text is not whitespace. */
static xmlNode *element_from(xmlNode *n, gboolean *stray)
{
    for (; n && n->type != XML_ELEMENT_NODE; n = n->next)
        if (stray && n->type == XML_TEXT_NODE && n->content) {
            for (const xmlChar *c = n->content; *c; c++)
                if (!g_ascii_isspace(*c))
                    *stray = TRUE;
        }
    return n;
}

/* Depth of the deepest element (the root at 1), walking without recursion; only elements are descended into. */
static unsigned depth_of(xmlNode *root)
{
    unsigned depth = 1, max = 1;
    xmlNode *n = root;
    for (;;) {
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            depth++;
        } else {
            while (n != root && !n->next) {
                n = n->parent;
                depth--;
            }
            if (n == root)
                break;
            n = n->next;
        }
        if (n->type == XML_ELEMENT_NODE && depth > max)
            max = depth;
    }
    return max;
}

/* The text of a leaf element, whitespace trimmed; NULL if it has element children. */
static char *leaf_text(xmlNode *n)
{
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return NULL;
    xmlChar *content = xmlNodeGetContent(n);
    char *text = g_strstrip(g_strdup(content ? (const char *)content : ""));
    xmlFree(content);
    return text;
}

/* The one child element `name` of `parent`, unqualified or in namespace `ns`: NULL if none, *dup set if several. */
static xmlNode *only_child(xmlNode *parent, const char *ns, const char *name, gboolean *dup)
{
    xmlNode *found = NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (is(c, NULL, name) || (ns && is(c, ns, name))) {
            if (found)
                *dup = TRUE;
            found = c;
        }
    return found;
}

/* A header entry: cwmp:ID, cwmp:HoldRequests, cwmp:NoMoreRequests are understood; any other with
 * mustUnderstand="1" is a MustUnderstand fault (SOAP 1.1 §4.2.3); others are ignored. */
static gboolean read_header(xmlNode *header, HnbAcsSoap *soap, HnbAcsSoapFault *fault)
{
    for (xmlNode *h = element_from(header->children, NULL); h; h = element_from(h->next, NULL)) {
        const char *ns = ns_of(h);
        if (hnb_acs_soap_is_cwmp_ns(ns)) {
            const char *name = (const char *)h->name;
            if (strcmp(name, "ID") == 0 || strcmp(name, "HoldRequests") == 0) {
                char *text = leaf_text(h);
                if (!text || (strcmp(name, "ID") == 0 && soap->id)) {
                    g_free(text);
                    return refuse(fault, "Client", 8003,
                                  g_strdup_printf("Invalid arguments: cwmp:%s header is not a single text", name));
                }
                if (strcmp(name, "ID") == 0) {
                    soap->id = text;
                    if (!soap->cwmp_ns)
                        soap->cwmp_ns = g_strdup(ns);
                } else {
                    soap->hold_requests = strcmp(text, "1") == 0 || strcmp(text, "true") == 0;
                    g_free(text);
                }
                continue;
            }
            if (strcmp(name, "NoMoreRequests") == 0) /* deprecated in Amendment 1; harmless */
                continue;
        }
        xmlChar *mu = xmlGetNsProp(h, (const xmlChar *)"mustUnderstand", (const xmlChar *)HNB_SOAP_ENV_NS);
        gboolean must = mu && (strcmp((const char *)mu, "1") == 0 || strcmp((const char *)mu, "true") == 0);
        xmlFree(mu);
        if (must)
            return refuse(fault, "MustUnderstand", 0,
                          g_strdup_printf("header %s%s%s is not understood", ns ? ns : "", ns ? ":" : "", h->name));
    }
    return TRUE;
}

/* Inform: DeviceId/OUI and DeviceId/SerialNumber. */
static gboolean read_inform(xmlNode *rpc, HnbAcsSoap *soap, HnbAcsSoapFault *fault)
{
    gboolean dup = FALSE;
    xmlNode *dev = only_child(rpc, soap->cwmp_ns, "DeviceId", &dup);
    if (!dev)
        return TRUE; /* the CWMP layer refuses it: its words name the missing identity */
    if (dup)
        return refuse(fault, "Client", 8003, g_strdup("Invalid arguments: more than one DeviceId in the Inform"));
    soap->has_device_id = TRUE;
    xmlNode *oui = only_child(dev, soap->cwmp_ns, "OUI", &dup);
    xmlNode *serial = only_child(dev, soap->cwmp_ns, "SerialNumber", &dup);
    if (dup)
        return refuse(fault, "Client", 8003,
                      g_strdup("Invalid arguments: DeviceId holds more than one OUI or SerialNumber"));
    if (oui && !(soap->oui = leaf_text(oui)))
        return refuse(fault, "Client", 8003, g_strdup("Invalid arguments: DeviceId/OUI is not text"));
    if (serial && !(soap->serial = leaf_text(serial)))
        return refuse(fault, "Client", 8003, g_strdup("Invalid arguments: DeviceId/SerialNumber is not text"));
    return TRUE;
}

/* The text of the child element `name` of `parent` (unqualified or in `ns`), NULL if absent or not text. */
static char *child_text(xmlNode *parent, const char *ns, const char *name)
{
    gboolean dup = FALSE;
    xmlNode *n = parent ? only_child(parent, ns, name, &dup) : NULL;
    return n ? leaf_text(n) : NULL;
}

/* An integer field: `dflt` if absent, -1 if not an integer in [0, G_MAXINT]. */
static int int_text(xmlNode *parent, const char *ns, const char *name, int dflt)
{
    g_autofree char *text = child_text(parent, ns, name);
    guint64 v = 0;
    if (!text)
        return dflt;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT, &v, NULL))
        return -1;
    return (int)v;
}

/* Inform's ParameterList: the software version the CPE runs (TR-098 InternetGatewayDevice. or TR-181 Device.). */
static void read_parameters(xmlNode *rpc, HnbAcsSoap *soap)
{
    gboolean dup = FALSE;
    xmlNode *list = only_child(rpc, soap->cwmp_ns, "ParameterList", &dup);
    for (xmlNode *p = list ? list->children : NULL; p; p = p->next) {
        if (!is(p, NULL, "ParameterValueStruct") && !is(p, soap->cwmp_ns, "ParameterValueStruct"))
            continue;
        g_autofree char *name = child_text(p, soap->cwmp_ns, "Name");
        if (name && (strcmp(name, "InternetGatewayDevice.DeviceInfo.SoftwareVersion") == 0 ||
                     strcmp(name, "Device.DeviceInfo.SoftwareVersion") == 0)) {
            g_free(soap->software_version);
            soap->software_version = child_text(p, soap->cwmp_ns, "Value");
        }
    }
}

/* Inform's Event list (A.3.3.1): the EventCode of each EventStruct, as text; a code that is not text is skipped. */
static void read_events(xmlNode *rpc, HnbAcsSoap *soap)
{
    gboolean dup = FALSE;
    xmlNode *list = only_child(rpc, soap->cwmp_ns, "Event", &dup);
    GPtrArray *codes = g_ptr_array_new();
    for (xmlNode *e = list ? list->children : NULL; e && codes->len < HNB_ACS_SOAP_MAX_EVENTS; e = e->next) {
        if (!is(e, NULL, "EventStruct") && !is(e, soap->cwmp_ns, "EventStruct"))
            continue;
        char *code = child_text(e, soap->cwmp_ns, "EventCode");
        if (code)
            g_ptr_array_add(codes, code);
    }
    g_ptr_array_add(codes, NULL);
    soap->events = (char **)g_ptr_array_free(codes, FALSE);
}

/* The CPE's answers: DownloadResponse, TransferComplete, a SOAP Fault. */
static void read_download_response(xmlNode *rpc, HnbAcsSoap *soap)
{
    soap->status = int_text(rpc, soap->cwmp_ns, "Status", -1);
}

static void read_transfer_complete(xmlNode *rpc, HnbAcsSoap *soap)
{
    gboolean dup = FALSE;
    soap->command_key = child_text(rpc, soap->cwmp_ns, "CommandKey");
    xmlNode *fs = only_child(rpc, soap->cwmp_ns, "FaultStruct", &dup);
    soap->fault_code = int_text(fs, soap->cwmp_ns, "FaultCode", 0);
}

/* The ACS's Download (A.3.2.8), read by the drive's client: what the CPE needs to fetch and report the file. */
static void read_download(xmlNode *rpc, HnbAcsSoap *soap)
{
    soap->command_key = child_text(rpc, soap->cwmp_ns, "CommandKey");
    soap->url = child_text(rpc, soap->cwmp_ns, "URL");
    soap->delay_seconds = int_text(rpc, soap->cwmp_ns, "DelaySeconds", -1);
    g_autofree char *size = child_text(rpc, soap->cwmp_ns, "FileSize");
    guint64 v = 0;
    soap->file_size = size && g_ascii_string_to_unsigned(size, 10, 0, G_MAXINT64, &v, NULL) ? (gint64)v : -1;
}

static void read_soap_fault(xmlNode *rpc, HnbAcsSoap *soap)
{
    gboolean dup = FALSE;
    soap->is_soap_fault = TRUE;
    xmlNode *detail = only_child(rpc, NULL, "detail", &dup);
    xmlNode *f = NULL;
    for (xmlNode *c = detail ? detail->children : NULL; c && !f; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "Fault") == 0 &&
            hnb_acs_soap_is_cwmp_ns(ns_of(c)))
            f = c;
    soap->fault_code = f ? int_text(f, ns_of(f), "FaultCode", -1) : -1;
}

static gboolean read_envelope(xmlNode *env, const HnbAcsSoapLimits *limits, HnbAcsSoap *soap, HnbAcsSoapFault *fault)
{
    if (!env || env->type != XML_ELEMENT_NODE || strcmp((const char *)env->name, "Envelope") != 0)
        return refuse(fault, "Client", 8003, g_strdup("Invalid arguments: the document is not a SOAP Envelope"));
    if (!is(env, HNB_SOAP_ENV_NS, "Envelope"))
        return refuse(fault, "VersionMismatch", 0,
                      g_strdup("the Envelope is not in the SOAP 1.1 namespace " HNB_SOAP_ENV_NS));
    unsigned depth = depth_of(env);
    if (depth > limits->max_depth)
        return refuse(fault, "Client", 8004,
                      g_strdup_printf("Resources exceeded: elements nested %u deep, more than %u", depth,
                                      limits->max_depth));
    gboolean stray = FALSE;
    xmlNode *n = element_from(env->children, &stray);
    if (is(n, HNB_SOAP_ENV_NS, "Header")) {
        if (!read_header(n, soap, fault))
            return FALSE;
        n = element_from(n->next, &stray);
    }
    if (!is(n, HNB_SOAP_ENV_NS, "Body") || element_from(n->next, &stray) || stray)
        return refuse(fault, "Client", 8003,
                      g_strdup("Invalid arguments: the Envelope must hold an optional Header and one Body"));
    gboolean body_stray = FALSE;
    xmlNode *rpc = element_from(n->children, &body_stray);
    if (!rpc || body_stray)
        return refuse(fault, "Client", 8003, g_strdup("Invalid arguments: the Body holds no RPC element"));
    if (element_from(rpc->next, &body_stray) || body_stray)
        return refuse(fault, "Client", 8003,
                      g_strdup("Invalid arguments: more than one RPC in one envelope (MaxEnvelopes is 1)"));
    soap->method = g_strdup((const char *)rpc->name);
    soap->method_is_cwmp = hnb_acs_soap_is_cwmp_ns(ns_of(rpc));
    if (soap->method_is_cwmp) {
        g_free(soap->cwmp_ns);
        soap->cwmp_ns = g_strdup(ns_of(rpc));
    }
    if (soap->method_is_cwmp && strcmp(soap->method, "Inform") == 0) {
        if (!read_inform(rpc, soap, fault))
            return FALSE;
        read_parameters(rpc, soap);
        read_events(rpc, soap);
    } else if (soap->method_is_cwmp && strcmp(soap->method, "DownloadResponse") == 0) {
        read_download_response(rpc, soap);
    } else if (soap->method_is_cwmp && strcmp(soap->method, "TransferComplete") == 0) {
        read_transfer_complete(rpc, soap);
    } else if (soap->method_is_cwmp && strcmp(soap->method, "Download") == 0) {
        read_download(rpc, soap);
    } else if (is(rpc, HNB_SOAP_ENV_NS, "Fault")) {
        read_soap_fault(rpc, soap);
    }
    return TRUE;
}

gboolean hnb_acs_soap_parse(const char *text, size_t len, const HnbAcsSoapLimits *limits, HnbAcsSoap *soap,
                            HnbAcsSoapFault *fault)
{
    memset(soap, 0, sizeof *soap);
    memset(fault, 0, sizeof *fault);
    if (len > limits->max_bytes || len > G_MAXINT)
        return refuse(fault, "Client", 8004,
                      g_strdup_printf("Resources exceeded: an envelope of %zu bytes, more than %zu", len,
                                      limits->max_bytes));
    xmlDocPtr doc = parse(text, len, fault);
    if (!doc)
        return FALSE;
    gboolean ok = read_envelope(xmlDocGetRootElement(doc), limits, soap, fault);
    xmlFreeDoc(doc);
    if (!ok) { /* keep what the fault can echo */
        char *ns = g_steal_pointer(&soap->cwmp_ns), *id = g_steal_pointer(&soap->id);
        hnb_acs_soap_clear(soap);
        soap->cwmp_ns = ns;
        soap->id = id;
    }
    return ok;
}
