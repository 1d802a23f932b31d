/* results/gnuplot.h — what every figure script shares (results/ and the sizing figure of tools/cmd_size.c): quoting, the common head with the
 * reproducibility footer, the two terminals, and running gnuplot on the scripts. */
#ifndef HNB_GNUPLOT_H
#define HNB_GNUPLOT_H

#include "results/results.h"

/* A gnuplot single-quoted string ('' escapes a quote; newlines become spaces). */
void hnb_gp_quote(GString *out, const char *s);

/* The caption of one figure: what it shows (`shows`, e.g. "replication 0 of 10"; NULL: nothing) and the run's
 * assumptions (stamp->caption; without one, the replications).  Returns a new string. */
char *hnb_gp_caption(const HnbStamp *stamp, const char *shows);

/* The script's head: a comment naming the script and its data, a "# Caption: TITLE. CAPTION." line (report.html
 * reads it), encoding, CSV input, the title with the caption (hnb_gp_caption) under it, axis labels, grid, key and
 * the footer "scenario NAME · seed S · hnbsim VERSION". */
void hnb_gp_head(GString *gp, const HnbStamp *stamp, const char *name, const char *data, const char *title,
                 const char *shows, const char *xlabel, const char *ylabel);

/* The figure drawn on both terminals: png, then svg.  `plot` is the whole plot command (with its trailing newline);
 * with a zoom it is drawn twice in one picture, the whole run above and [zoom->from, zoom->to] of the x axis below,
 * the lower panel headed by hnb_gp_zoom_text (the picture is taller to keep each panel readable). */
void hnb_gp_draw(GString *gp, const char *name, const char *plot, const HnbZoom *zoom);
/* "lower panel: zoom on 0.92 to 1.4 h, WHY", for the caption of a zoomed figure.  Returns a new string. */
char *hnb_gp_zoom_text(const HnbZoom *zoom);

/* A mean over replications drawn as a line over its 95% CI band (results/bands.h): the band is one plot element,
 * the line another, both in the colour of linetype lc.  Each appends one element, "FILE using X:..." with no
 * separator; `x` is a gnuplot expression for the x value (e.g. "column('time_h')", or one that is NaN on rows to
 * leave out), `mean` and `half` column names of FILE.  Plot every band before every line, so no band veils a line. */
void hnb_gp_band_fill(GString *plot, const char *file, const char *x, const char *mean, const char *half, guint lc);
void hnb_gp_band_line(GString *plot, const char *file, const char *x, const char *mean, guint lc, const char *title);
/* What such lines show, for the caption: "mean of REPLICATIONS, band: 95% CI (values held from each replication's
 * last sample)", REPLICATIONS being e.g. "3 replications".  Returns a new string. */
char *hnb_gp_band_text(const char *replications);

/* `plot` goes between these: png first, then the svg terminal replots (a single panel). */
void hnb_gp_begin_png(GString *gp, const char *name);
void hnb_gp_end_svg(GString *gp, const char *name);

/* Run gnuplot on figures/NAME.gp of each name (already written into rd).  No gnuplot on PATH: *rendered = FALSE and
 * TRUE.  A gnuplot that fails: HNB_ERROR_RUN with its stderr. */
gboolean hnb_gp_render(HnbRunDir *rd, const char *const *names, guint n, gboolean *rendered, GError **error);

#endif
