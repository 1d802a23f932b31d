/* tools/cmd_pki.c — `hnbsim pki`: export the simulated PKI (TS 33.320) as PEM files for external tools. */
#include "tools/cli.h"
#include "models/model.h"
#include "crypto/pki.h"

#include <stdio.h>
#include <string.h>

#define MAX_EXPORT_DEVICES 1000000

int hnb_cmd_pki(int argc, char **argv)
{
    g_autofree char *out = NULL, *scenario = NULL;
    g_auto(GStrv) sets = NULL;
    gint64 nhnb = 1;
    gboolean force = FALSE;
    GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Directory to write (required)", "DIR"},
        {"hnb", 'n', 0, G_OPTION_ARG_INT64, &nhnb, "Device certificates to export, HNBs 0..N-1 (default 1)", "N"},
        {"scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario, "Take the [pki] parameters from this scenario", "FILE"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a key, e.g. pki.device_key=rsa-2048 (repeatable)",
         "GROUP.KEY=VALUE"},
        {"force", 'f', 0, G_OPTION_ARG_NONE, &force, "Write into a non-empty DIR", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("— export the simulated PKI as PEM files");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Writes the operator root CA, the H(e)MS certificate and key (and chain), the SeGW certificate and key\n"
             "(segw.pem, segw.key: TS 33.320 7.3, issued by the root), the manufacturer CA, N device\n"
             "certificates and keys (identity <EUI-64>.<realm>), the software-signing key and verification certificate,\n"
             "a CA nobody trusts with one device of its own, the CRL, the recovery CA with its CRL and each HNB's\n"
             "recovery certificate and key (the golden module's, rec-dev<i>.*), pki.ini and a README.txt listing the\n"
             "files.\n"
             "The material comes from the same cache a simulation run uses (keyed by the [pki] parameters), so\n"
             "external tools see the certificates the simulated HNBs and H(e)MS use.\n\n"
             "Examples:\n  hnbsim pki --out /tmp/pki --hnb 3\n"
             "  hnbsim pki --out /tmp/pki --set pki.device_key=rsa-2048 --set pki.revoked=1\n\n"
             "Exit status: 0 ok, 1 I/O or OpenSSL failure, 2 bad input.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (argc > 1) {
        fprintf(stderr, "hnbsim pki: unexpected argument \"%s\" (see --help)\n", argv[1]);
        return HNB_EXIT_INPUT;
    }
    if (!out) {
        fprintf(stderr, "hnbsim pki: --out DIR is required\n");
        return HNB_EXIT_INPUT;
    }
    if (nhnb < 0 || nhnb > MAX_EXPORT_DEVICES) {
        fprintf(stderr, "hnbsim pki: --hnb %" G_GINT64_FORMAT ": expected 0..%d\n", nhnb, MAX_EXPORT_DEVICES);
        return HNB_EXIT_INPUT;
    }
    g_autoptr(HnbScenario) sc = NULL;
    if (scenario) {
        sc = hnb_cli_load(scenario, sets, &error);
    } else {
        static const HnbKeySpec *const schemas[] = {hnb_pki_schema, NULL};
        sc = hnb_scenario_load_data("", 0, "--set", schemas, sets, &error);
    }
    if (!sc)
        return hnb_cli_fail(error);
    if (scenario) {
        const HnbModel *m = hnb_model_find(hnb_scenario_string(sc, "scenario", "model"));
        gboolean has_pki = FALSE;
        for (const HnbKeySpec *const *x = m ? m->more_schemas : NULL; x && *x; x++)
            has_pki |= *x == hnb_pki_schema;
        if (!has_pki) {
            fprintf(stderr, "hnbsim pki: %s: model \"%s\" has no [pki] group (no TLS in it)\n", scenario,
                    hnb_scenario_string(sc, "scenario", "model"));
            return HNB_EXIT_INPUT;
        }
    }
    HnbPkiParams p;
    hnb_pki_params_init(&p);
    if (!hnb_pki_params_from_scenario(&p, sc, &error)) {
        hnb_pki_params_clear(&p);
        return hnb_cli_fail(error);
    }
    g_autoptr(HnbPki) pki = hnb_pki_new(&p, &error);
    hnb_pki_params_clear(&p);
    if (!pki || !hnb_pki_export(pki, out, (uint32_t)nhnb, force, &error))
        return hnb_cli_fail(error);
    HnbPkiStats st;
    hnb_pki_stats(pki, &st);
    printf("wrote %s: root, H(e)MS, SeGW, manufacturer, recovery and foreign CA, signing key, CRLs, %" G_GINT64_FORMAT
           " device(s) with their recovery credentials (%u made, %u from the cache %s); see %s/README.txt\n",
           out, nhnb, st.devices_generated, st.devices_loaded, hnb_pki_cache_path(pki), out);
    return HNB_EXIT_OK;
}
