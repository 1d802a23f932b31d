/* sim/error.h — hnbsim's one GError domain and its two codes, which decide the exit status of every command.
 *
 * Every layer (kernel, crypto, models, results, commands) reports through it, so a command maps any error it is
 * handed to an exit status without knowing where it came from.
 */
#ifndef HNB_SIM_ERROR_H
#define HNB_SIM_ERROR_H

#include <glib.h>

#define HNB_ERROR (hnb_error_quark())
GQuark hnb_error_quark(void);
typedef enum {
    HNB_ERROR_INPUT = 1, /* bad user input: scenario, CLI, certificate, network peer's data — exit status 2 */
    HNB_ERROR_RUN,       /* a run failed: I/O, resources — exit status 1 */
} HnbErrorCode;

#endif
