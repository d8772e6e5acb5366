# rate_curve.gp: W versus N per d (data: N W W_lo W_hi replicates d C bound; one block per d).
# Lines with points: W (mean over replicates), bars: its 95% interval when there are several
# replicates; dashed in the same colour: the bound's shape C L^3 d^(5/2) ln^5 N / N with the
# family's fitted constant C (asymptotic N only, see ctrate fit); grey: slopes N^-1 (solid) and N^-1/2 (dashed) from the first
# point of the largest d. With --facet a panel per value, on the same axes.
load scriptdir.'/style.gp'
stats datafile using 2 nooutput
Wmin = STATS_min; Wmax = STATS_max
stats datafile index (nblocks - 1) every ::0::0 using 1 nooutput; N0 = STATS_min
stats datafile index (nblocks - 1) every ::0::0 using 2 nooutput; W0 = STATS_min
# y spans the data (W), not the bound: a bound far above or below is clipped at the frame, and
# an arrow at the frame marks where it leaves (see the dashed line running into the edge)
ylo = Wmin / 3; yhi = Wmax * 3
set yrange [ylo : yhi]
load scriptdir.'/ticks.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  eval logy
  xlab = L('N (steps)', '$N$ (steps)'); set xlabel xlab
  set ylabel L(wsym_e, wsym_t)
  eval PANELS
  do for [jpanel=0:lastpanel] {
    eval PANEL
    plot for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):($5 > 1 ? $2 : NaN):3:4 with yerrorbars lt col(i) pt 7 ps 0.3 notitle, \
         for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):($5 > 1 || !($9 > 0) ? NaN : $2):($2 - 1.96 * $9):($2 + 1.96 * $9) with yerrorbars lt col(i) pt 7 ps 0.3 notitle, \
         for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):($8 > yhi ? yhi : ($8 < ylo ? ylo : NaN)) with points lt col(i) pt 8 ps 0.8 notitle, \
         for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):2 with linespoints lt col(i) dt dtof(i) pt ptof(i) notitle, \
         for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):8 with lines lt col(i) dt (8, 4) lw 1 notitle, \
         @LEGEND, \
         NaN with lines ls 102 title L('C L^3 d^{5/2} ln^5 N / N', '$C L^3 d^{5/2} \ln^5 N / N$'), \
         W0 * N0 / x with lines ls 100 title L('N^{-1}', '$N^{-1}$'), \
         W0 * sqrt(N0 / x) with lines ls 101 title L('N^{-1/2}', '$N^{-1/2}$')
  }
  eval PANELS_END
  unset output
}
