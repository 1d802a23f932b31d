/* models/paths.c — the fleet's compliance per path (models/paths.h). */
#include "models/paths.h"

#include <string.h>

void hnb_paths_from_scenario(HnbPaths *p, const HnbScenario *sc)
{
    const char *layout = hnb_scenario_string(sc, "hnb", "layout");
    *p = (HnbPaths){
        .segw = strcmp(hnb_scenario_string(sc, "hems", "reach"), "segw") == 0,
        .golden = strcmp(layout, "golden") == 0 || strcmp(layout, "ab+golden") == 0,
        .credential = hnb_scenario_string(sc, "golden", "credential"),
        .golden_tls = hnb_scenario_bool(sc, "golden", "tls"),
    };
}

/* Which certificate the golden module holds; NULL: none (an unknown word is no credential either: the line must not
 * pass a configuration it cannot read). */
static const char *golden_certificate(const HnbPaths *p)
{
    if (p->credential != NULL && strcmp(p->credential, "device") == 0)
        return "device";
    if (p->credential != NULL && strcmp(p->credential, "recovery") == 0)
        return "recovery";
    return NULL;
}

/* TS 33.320 clause 7.1/7.3: the SeGW admits an HNB only after IKEv2 certificate authentication. */
static void golden_to_segw(const HnbPaths *p, GString *out)
{
    const char *cert = golden_certificate(p);
    if (cert == NULL)
        g_string_append(out, "FAIL  golden module -> SeGW: no credential, so it cannot build a tunnel (TS 33.320 "
                             "clause 7.1/7.3 authenticates the HNB by certificate in IKEv2) and cannot recover behind "
                             "the SeGW\n");
    else if (strcmp(cert, "device") == 0)
        g_string_append(out, "PASS  golden module -> SeGW: IKEv2 with the device certificate, the TrE releasing the "
                             "device key to the golden module once secure boot has verified it (TS 33.320 clause 6.1 "
                             "ties the key's use to a successful integrity check; clause 7.1/7.3)\n");
    else
        g_string_append(out, "PASS  golden module -> SeGW: IKEv2 with a separate recovery certificate, which the SeGW "
                             "accepts for recovery only (TS 33.320 clause 7.1/7.3; the device key stays with the "
                             "release image)\n");
}

/* TS 33.320 clause 8.3.4: TLS with mutual certificate authentication to an H(e)MS on the public internet; behind the
 * SeGW the tunnel protects the traffic and TLS is the operator's choice. */
static void golden_to_hems(const HnbPaths *p, GString *out)
{
    const char *cert = golden_certificate(p);
    if (p->golden_tls && cert != NULL)
        g_string_append_printf(out, "PASS  golden module -> H(e)MS: TLS per clause 8.3.4, mutually authenticated with "
                                    "the %s certificate\n", cert);
    else if (p->golden_tls)
        g_string_append(out, "FAIL  golden module -> H(e)MS: TLS with no client certificate, so no mutual "
                             "authentication as clause 8.3.4 requires (the HNB authenticated by its certificate)\n");
    else if (p->segw)
        g_string_append_printf(out, "PASS  golden module -> H(e)MS: plain HTTP inside the SeGW's tunnel (clause 8.3.4 "
                                    "allows it behind the SeGW)%s\n",
                               cert == NULL ? "; without a credential it has no tunnel to use (golden module -> SeGW)"
                                            : "");
    else
        g_string_append(out, "FAIL  golden module -> H(e)MS: plain HTTP on the public internet (clause 8.3.4 makes TLS "
                             "mandatory there; such a scenario runs only with [tls] profile = custom)\n");
}

void hnb_paths_report(const HnbPaths *p, GString *out)
{
    if (p->segw)
        g_string_append(out, "PASS  HNB (release image) -> SeGW: IKEv2 with the device certificate (TS 33.320 clause "
                             "7.1/7.3)\n");
    g_string_append_printf(out, "PASS  HNB (release image) -> H(e)MS: TLS per clause 8.3.4 with the device "
                                "certificate, %s\n",
                           p->segw ? "inside the SeGW's tunnel" : "over the public internet");
    if (!p->golden)
        return;
    if (p->segw)
        golden_to_segw(p, out);
    golden_to_hems(p, out);
}

void hnb_paths_compliance(const HnbScenario *sc, GString *out)
{
    HnbPaths p;
    hnb_paths_from_scenario(&p, sc);
    hnb_paths_report(&p, out);
}
