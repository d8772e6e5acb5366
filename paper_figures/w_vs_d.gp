# w_vs_d.gp: W versus d, a curve per family at its largest N shared by two or more d and at
# one mid N (data: d W W_lo W_hi replicates N; one block per curve, colours, dashes and the
# legend set by ctrate plot), with grey lines d^(1/2) (solid) and d^(5/2) (dashed) through the
# first curve's point at the smallest d. With --facet a panel per value, on the same axes.
load scriptdir.'/style.gp'
stats datafile using 2 nooutput
Wmin = STATS_min; Wmax = STATS_max
stats datafile index 0 every ::0::0 using 1 nooutput; d0 = STATS_min
stats datafile index 0 every ::0::0 using 2 nooutput; W0 = STATS_min
ylo = Wmin / 2; yhi = Wmax * 4  # room above for the d^(5/2) line to show its slope
set yrange [ylo : yhi]
load scriptdir.'/ticks.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logd(xlo, xhi)
  eval logy
  xlab = L('d', '$d$'); set xlabel xlab
  set ylabel L(wsym_e, wsym_t)
  eval PANELS
  do for [jpanel=0:lastpanel] {
    eval PANEL
    plot for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):($5 > 1 ? $2 : NaN):3:4 with yerrorbars lt col(i) pt 7 ps 0.3 notitle, \
         for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):2 with linespoints lt col(i) dt dtof(i) pt ptof(i) notitle, \
         @LEGEND, \
         W0 * sqrt(x / d0) with lines ls 100 title L('d^{1/2}', '$d^{1/2}$'), \
         W0 * (x / d0)**2.5 with lines ls 101 title L('d^{5/2}', '$d^{5/2}$')
  }
  eval PANELS_END
  unset output
}
