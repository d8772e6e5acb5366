# local_slope.gp: the local slope of log W on log N between neighbouring N, at their geometric
# mean, one colour per d (data: N_mid slope bound_slope d N1 N2; one block per d); black
# dashed: the bound's own secant slope of ln^5 N / N on the same pairs; grey: -1.
load scriptdir.'/style.gp'
unset logscale y
set yrange [* < -1.1 : *]
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  set format y L('%g', '$%g$')
  set xlabel L('N (steps)', '$N$ (steps)')
  set ylabel L('local slope {/Symbol \266} ln W / {/Symbol \266} ln N', 'local slope $\partial \ln W / \partial \ln N$')
  # what W is, inside the frame at the bottom right (the top holds the settings line)
  set label 98 L('W: '.wsym_e, '$W$: '.wsym_t) at graph 0.98, graph 0.04 right front
  plot for [i=0:nblocks-1] datafile index i using 1:2 with linespoints lt col(i) title key(i+1), \
       datafile index 0 using 1:3 with lines ls 102 title L('bound ln^5 N / N (secant)', 'bound $\ln^5 N / N$ (secant)'), \
       -1 with lines ls 100 title L('-1', '$-1$')
  unset output
}
