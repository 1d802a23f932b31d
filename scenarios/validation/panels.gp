# scenarios/validation/panels.gp — the validation study's figure from run.sh's points.csv: four panels over the
# offered load (% of capacity): throughput, session p50, session p95, refused fraction.  The model: its mean over the
# replications with the 95% interval as a band; the measurement: points.
#   gnuplot -e "points='DIR/points.csv'; out='DIR/panels'; capacity='100'" panels.gp   (capacity: sessions/s)
set datafile separator ","
set key top left
set grid
if (!exists("capacity")) capacity = "100"
set xlabel "offered load (% of capacity: ".capacity." sessions/s)"
set xrange [10:130]
# columns: 1 load_pct 2 hnbs 3 variant 4,5 throughput 6,7 p50 8,9 p95 10,11 refused 12,13 handshake p50
# the two variants as two files, so the model's points join into a line and a band
mfile = "< grep ',model,' '".points."'"
xfile = "< grep ',measured,' '".points."'"
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo size 1200,900 font ",10"; set output out.".png" }
  else { set terminal svg size 1200,900 font ",10"; set output out.".svg" }
  set multiplot layout 2,2 title "hnbsim drive (measured against hnbsim acs on loopback) and the model calibrated on it"
  set ylabel "sessions completed / s"
  plot mfile using 1:($4-$5):($4+$5) with filledcurves lc rgb "#c0d0f0" title "model 95% CI", \
       mfile using 1:4 with linespoints lc rgb "#2050b0" title "model", \
       xfile using 1:4 with points pt 7 ps 1.2 lc rgb "#c03020" title "measured"
  set ylabel "session p50 (s)"
  plot mfile using 1:($6-$7):($6+$7) with filledcurves lc rgb "#c0d0f0" title "model 95% CI", \
       mfile using 1:6 with linespoints lc rgb "#2050b0" title "model", \
       xfile using 1:6 with points pt 7 ps 1.2 lc rgb "#c03020" title "measured"
  set ylabel "session p95 (s)"
  plot mfile using 1:($8-$9):($8+$9) with filledcurves lc rgb "#c0d0f0" title "model 95% CI", \
       mfile using 1:8 with linespoints lc rgb "#2050b0" title "model", \
       xfile using 1:8 with points pt 7 ps 1.2 lc rgb "#c03020" title "measured"
  set ylabel "refused fraction"
  plot mfile using 1:($10-$11):($10+$11) with filledcurves lc rgb "#c0d0f0" title "model 95% CI", \
       mfile using 1:10 with linespoints lc rgb "#2050b0" title "model", \
       xfile using 1:10 with points pt 7 ps 1.2 lc rgb "#c03020" title "measured"
  unset multiplot
  unset output
}
