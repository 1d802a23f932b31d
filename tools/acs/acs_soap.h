/* tools/acs/acs_soap.h — a CWMP request envelope (SOAP 1.1, TR-069 Annex A) parsed with libxml2.
 *
 * The envelope is parsed into a tree with namespaces, then read by namespace URI and local name, never by prefix or
 * by searching the text: what a comment, a CDATA section or an unknown header says cannot stand in for an element.
 * What the parser is allowed to do is narrow, because the bytes come from the network:
 *   - no DTD: a document with a DOCTYPE is refused as soon as the parser meets it (so no entity declarations, no
 *     external subset, no entity expansion attacks); no network access (XML_PARSE_NONET); the five predefined
 *     entities and character references only — any other entity is undefined, hence not well-formed;
 *   - well-formed, namespaces included (an undeclared prefix), or refused: no recovery mode;
 *   - limits: the document's size (bytes) and its element depth.
 * Why libxml2 and not GLib's GMarkup is in docs/DESIGN.md ("hnbsim acs").
 *
 * Refusals come back as a fault ready for the answer: the SOAP faultcode (Client, VersionMismatch, MustUnderstand),
 * the CWMP fault code (8003 invalid arguments, 8004 resources exceeded; 0 where SOAP alone speaks) and the words.
 */
#ifndef HNB_ACS_SOAP_H
#define HNB_ACS_SOAP_H

#include <glib.h>
#include <stddef.h>

#define HNB_SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define HNB_CWMP_NS_PREFIX "urn:dslforum-org:cwmp-1-" /* the versions 1-0 .. 1-4 are accepted */
#define HNB_CWMP_NS_DEFAULT HNB_CWMP_NS_PREFIX "0"

#define HNB_ACS_SOAP_MAX_EVENTS 64

typedef struct {
    size_t max_bytes; /* the document */
    unsigned max_depth; /* element nesting, the Envelope at 1 */
} HnbAcsSoapLimits;

/* A refusal: what the SOAP Fault says. */
typedef struct {
    const char *faultcode; /* "Client", "VersionMismatch", "MustUnderstand" (static) */
    int cwmp_code;         /* 8003, 8004, ...; 0: no CWMP detail (SOAP-level fault) */
    char *message;         /* for the client and the log */
} HnbAcsSoapFault;

/* What the CWMP layer needs of one envelope. */
typedef struct {
    char *cwmp_ns;      /* the CWMP namespace of the RPC element (or of the cwmp:ID header, or NULL) */
    char *id;           /* the cwmp:ID header's text, NULL if absent */
    gboolean hold_requests; /* cwmp:HoldRequests true/1 */
    char *method;       /* local name of the Body's element: "Inform", "GetRPCMethods", ... */
    gboolean method_is_cwmp; /* that element is in a CWMP namespace */
    /* Inform only: the DeviceId element's OUI and SerialNumber (text, whitespace trimmed) */
    gboolean has_device_id;
    char *oui, *serial;
    /* Inform only: the value of InternetGatewayDevice.DeviceInfo.SoftwareVersion or Device.DeviceInfo.SoftwareVersion
     * in the ParameterList (the image the CPE runs), NULL if absent */
    char *software_version;
    /* Inform only: the EventCode of each Event/EventStruct ("1 BOOT", "7 TRANSFER COMPLETE", "M Download"), in order,
     * NULL-terminated (never NULL after a successful parse of an Inform); at most HNB_ACS_SOAP_MAX_EVENTS are kept */
    char **events;
    /* The Body holds a SOAP Fault (the CPE's refusal of an ACS request, TR-069 A.4): method is "Fault" */
    gboolean is_soap_fault;
    /* DownloadResponse only: Status (0 downloaded and applied, 1 not yet: a TransferComplete follows); -1 if absent
     * or not an integer */
    int status;
    /* TransferComplete and Download: CommandKey (NULL if absent) */
    char *command_key;
    /* Download only (the ACS's request, A.3.2.8, as the drive's client reads it): URL (NULL if absent), FileSize and
     * DelaySeconds (-1 if absent or not an integer) */
    char *url;
    gint64 file_size;
    int delay_seconds;
    /* TransferComplete's FaultStruct/FaultCode, or a SOAP Fault's detail/cwmp:Fault/FaultCode: 0 none or success,
     * -1 present but not an integer */
    int fault_code;
} HnbAcsSoap;

void hnb_acs_soap_clear(HnbAcsSoap *soap);
void hnb_acs_soap_fault_clear(HnbAcsSoapFault *fault);

/* Once per process, before any thread parses (libxml2's own initialisation). */
void hnb_acs_soap_init(void);

/* Parse one envelope.  TRUE: *soap filled (clear it after).  FALSE: *fault filled (clear it after), *soap left
 * cleared, except cwmp_ns and id when the document got far enough to show them (so the fault can echo them). */
gboolean hnb_acs_soap_parse(const char *text, size_t len, const HnbAcsSoapLimits *limits, HnbAcsSoap *soap,
                            HnbAcsSoapFault *fault);

/* TRUE if `ns` is one of the CWMP namespaces this ACS speaks (urn:dslforum-org:cwmp-1-0 .. 1-4). */
gboolean hnb_acs_soap_is_cwmp_ns(const char *ns);

#endif
