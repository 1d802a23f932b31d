/* sim/error.c — the error domain (sim/error.h). */
#include "sim/error.h"

G_DEFINE_QUARK(hnb-error-quark, hnb_error)
