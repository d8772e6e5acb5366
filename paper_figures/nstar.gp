# nstar.gp: N*(d, eps), the N at which W falls to 2 eps, versus d, a curve per family and eps
# (data: d Nstar eps; one block per curve, colours, dashes and the legend set by ctrate plot).
# Thin dashed in the curve's colour: the bound's N* proportional to d^(5/2) / eps through the
# first curve's first point, for each eps of the first family. With --facet a panel per value.
load scriptdir.'/style.gp'
stats datafile using 2 nooutput
Nmin = STATS_min; Nmax = STATS_max
stats datafile index 0 every ::0::0 using 1 nooutput; d0 = STATS_min
stats datafile index 0 every ::0::0 using 2 nooutput; N0 = STATS_min
stats datafile index 0 every ::0::0 using 3 nooutput; e0 = STATS_min
array E[nblocks]
do for [i=1:nblocks] { stats datafile index (i - 1) using 3 nooutput; E[i] = STATS_min }
ylo = Nmin / 2; yhi = Nmax * 4
set yrange [ylo : yhi]
load scriptdir.'/ticks.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logd(xlo, xhi)
  eval logy
  xlab = L('d', '$d$'); set xlabel xlab
  set ylabel L('N*(d, {/Symbol e}): first N with W <= 2{/Symbol e}', '$N^*(d, \varepsilon)$: first $N$ with $W \le 2\varepsilon$')
  eval PANELS
  do for [jpanel=0:lastpanel] {
    eval PANEL
    plot for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):2 with linespoints lt col(i) dt dtof(i) pt ptof(i) notitle, \
         for [i=1:nfirst] (panel(i - 1) ? N0 * (x / d0)**2.5 * e0 / E[i] : NaN) with lines lt col(i - 1) dt (2, 3) lw 0.8 notitle, \
         @LEGEND, \
         NaN with lines lc rgb '#ffffff' title L('W: '.wsym_e, '$W$: '.wsym_t), \
         NaN with lines lc rgb '#000000' dt (2, 3) lw 0.8 title L('d^{5/2} / {/Symbol e}', '$d^{5/2} / \varepsilon$')
  }
  eval PANELS_END
  unset output
}
