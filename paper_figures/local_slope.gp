# local_slope.gp: the local slope of log W on log N between neighbouring N, at their geometric
# mean, one colour per curve (data: N_mid slope bound_slope d N1 N2; one block per curve); black
# dashed: the bound's own secant slope of ln^5 N / N on the same pairs; grey: -1. With --facet
# a panel per value, on the same axes.
load scriptdir.'/style.gp'
unset logscale y
stats datafile using 2 nooutput
ylo = STATS_min < -1.1 ? STATS_min : -1.1; yhi = STATS_max
stats datafile using 3 nooutput
ylo = STATS_min < ylo ? STATS_min : ylo; yhi = STATS_max > yhi ? STATS_max : yhi
ypad = (yhi - ylo) * 0.05
ylo = ylo - ypad; yhi = yhi + ypad
set yrange [ylo : yhi]
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  set ytics autofreq
  yfmt = L('%g', '$%g$'); set format y yfmt
  xlab = L('N (steps)', '$N$ (steps)'); set xlabel xlab
  set ylabel L('local slope {/Symbol \266} ln W / {/Symbol \266} ln N', 'local slope $\partial \ln W / \partial \ln N$')
  eval PANELS
  do for [jpanel=0:lastpanel] {
    eval PANEL
    plot for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):2 with linespoints lt col(i) dt dtof(i) pt ptof(i) notitle, \
         @LEGEND, \
         NaN with lines lc rgb '#ffffff' title L('W: '.wsym_e, '$W$: '.wsym_t), \
         datafile index 0 using 1:3 with lines ls 102 title L('bound ln^5 N / N (secant)', 'bound $\ln^5 N / N$ (secant)'), \
         -1 with lines ls 100 title L('-1', '$-1$')
  }
  eval PANELS_END
  unset output
}
