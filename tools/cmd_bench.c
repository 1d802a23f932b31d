/* tools/cmd_bench.c — `hnbsim bench kernel|mm1|handshake|ike|creds`. */
#include "tools/bench/bench.h"
#include "tools/cli.h"

#include <stdio.h>
#include <string.h>

int hnb_cmd_bench(int argc, char **argv)
{
    gint64 pending = 1000000, events = 5000000, customers = 1000000, seed = 1, threads = 1, count = 2000,
           group = 19;
    gboolean resume = FALSE, dispatch = FALSE;
    GOptionEntry entries[] = {
        {"pending", 0, 0, G_OPTION_ARG_INT64, &pending, "kernel: events kept pending (default 1e6)", "N"},
        {"events", 0, 0, G_OPTION_ARG_INT64, &events, "kernel: events to run (default 5e6)", "M"},
        {"dispatch", 0, 0, G_OPTION_ARG_NONE, &dispatch,
         "kernel: through hnb_sim_run() and a handler, as a model runs, instead of on the queue alone", NULL},
        {"customers", 0, 0, G_OPTION_ARG_INT64, &customers, "mm1: customers to serve (default 1e6)", "N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "mm1: seed (default 1)", "S"},
        {"threads", 0, 0, G_OPTION_ARG_INT64, &threads, "handshake, ike: threads running jobs (default 1)", "T"},
        {"count", 0, 0, G_OPTION_ARG_INT64, &count, "handshake, ike, creds: handshakes / set-ups / credentials to time (default 2000)",
         "N"},
        {"group", 0, 0, G_OPTION_ARG_INT64, &group,
         "ike: IKEv2 Diffie-Hellman group: 14, 19 (P-256, default), 20, 21, 31", "G"},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume, "handshake: resumed (session ID) instead of full handshakes",
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("kernel|mm1|handshake|ike|creds — measure the kernel, the TLS engine, the IKE job or "
                                                         "credential reading");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "kernel: the hold model (pop-min + push(now + exp(1 s))) over the real event queue — its front, "
             "stale check, slot release, slot allocation and replace-front, as the run loop uses them; with "
             "--dispatch through hnb_sim_run() and a handler; last line `events_per_s=<n> pending=<N>`.\n"
             "mm1: an M/M/1 queue (arrivals 0.9/s, service 1/s) on the kernel; last line "
             "`customers_per_s=<n> mean_wait=<w>` (theory: 9 s).\n"
             "handshake: TLS 1.2 AES128-SHA mutual-auth handshakes (RSA-2048 H(e)MS, EC P-256 devices) through the "
             "simulation's engine and worker pool; last line `full_hs_per_s=<n> threads=<T>` (`resumed_hs_per_s=` "
             "with --resume); exit 1 if any handshake does not succeed as expected.\n"
             "ike: IKEv2 tunnel set-ups (crypto/ike_job.h: the public-key work and certificate checks of IKE_SA_INIT "
             "and IKE_AUTH with certificates, not an IKE implementation; RSA-2048 SeGW, EC P-256 devices) through the "
             "worker pool, then as many full TLS handshakes in the same process; last line `ike_setups_per_s=<n> "
             "threads=<T> full_hs_per_s=<m> ratio=<n/m>`; exit 1 if any does not succeed.\n"
             "creds: reading --count device credentials of an export (PEM key and certificate, matched) the general "
             "way (PEM_read_bio_PrivateKey) and through hnbsim's kept decoder, 5 alternating rounds; last line "
             "`general_us=<a> kept_decoder_us=<b> ratio=<a/b> count=<N>` (medians, µs a credential).\n"
             "tools/bench/run-kernel-bench.sh runs kernel and mm1 beside a std::priority_queue baseline; "
             "tools/bench/run-handshake-bench.sh runs handshake beside a plain OpenSSL loop and openssl s_time.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    if (argc != 2 ||
        (strcmp(argv[1], "kernel") != 0 && strcmp(argv[1], "mm1") != 0 && strcmp(argv[1], "handshake") != 0 &&
         strcmp(argv[1], "ike") != 0 && strcmp(argv[1], "creds") != 0)) {
        fprintf(stderr, "hnbsim bench: say which benchmark: kernel, mm1, handshake, ike or creds\n");
        return HNB_EXIT_INPUT;
    }
    if ((dispatch && strcmp(argv[1], "kernel") != 0) || (resume && strcmp(argv[1], "handshake") != 0)) {
        fprintf(stderr, "hnbsim bench: %s applies to %s only, not to %s\n", dispatch ? "--dispatch" : "--resume",
                dispatch ? "kernel" : "handshake", argv[1]);
        return HNB_EXIT_INPUT;
    }
    if (pending < 1 || events < 1 || customers < 1 || seed < 0) {
        fprintf(stderr, "hnbsim bench: --pending, --events and --customers must be >= 1, --seed >= 0\n");
        return HNB_EXIT_INPUT;
    }
    if (threads < 1 || threads > 256 || count < 1) {
        fprintf(stderr, "hnbsim bench: --threads must be in 1..256, --count >= 1\n");
        return HNB_EXIT_INPUT;
    }
    if (group != 19 && strcmp(argv[1], "ike") != 0) {
        fprintf(stderr, "hnbsim bench: --group applies to ike only, not to %s\n", argv[1]);
        return HNB_EXIT_INPUT;
    }
    if (strcmp(argv[1], "creds") == 0)
        return hnb_bench_creds((uint64_t)count);
    if (strcmp(argv[1], "ike") == 0)
        return hnb_bench_ike((unsigned)threads, (uint64_t)count, (int)group);
    if (strcmp(argv[1], "handshake") == 0)
        return hnb_bench_handshake((unsigned)threads, (uint64_t)count, resume);
    if (strcmp(argv[1], "kernel") == 0)
        return hnb_bench_hold((size_t)pending, (uint64_t)events, dispatch);
    return hnb_bench_mm1((uint64_t)customers, (uint64_t)seed);
}
