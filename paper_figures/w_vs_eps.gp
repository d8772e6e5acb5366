# w_vs_eps.gp: W at the largest N over the injected error eps > 0, versus eps, a curve per
# family and d (data: eps W W_lo W_hi replicates N d; one block per curve, colours, dashes and
# the legend set by ctrate plot), with the line W = eps. With --facet a panel per value.
load scriptdir.'/style.gp'
stats datafile using ($2 / $1) nooutput
ylo = STATS_min / 1.5; yhi = STATS_max * 1.5
ylo = ylo < 0.8 ? ylo : 0.8; yhi = yhi > 1.25 ? yhi : 1.25  # W = eps (1) always in view
set yrange [ylo : yhi]
load scriptdir.'/ticks.gp'
do for [fmt in formats] {
  eval start(fmt)
  eval logx(xlo, xhi)
  eval logy
  xlab = L('{/Symbol e}', '$\varepsilon$'); set xlabel xlab
  # W / eps: the floor's approach (W -> eps) is the approach of the curves to 1
  set ylabel L('W / {/Symbol e} at the largest N (W: '.wsym_e.')', '$W / \varepsilon$ at the largest $N$ ($W$: '.wsym_t.')')
  eval PANELS
  do for [jpanel=0:lastpanel] {
    eval PANEL
    plot for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):($5 > 1 ? $2 / $1 : NaN):($3 / $1):($4 / $1) with yerrorbars lt col(i) pt 7 ps 0.3 notitle, \
         for [i=0:nblocks-1] datafile index i using ($1 * (panel(i) ? 1 : NaN)):($2 / $1) with linespoints lt col(i) dt dtof(i) pt ptof(i) notitle, \
         @LEGEND, \
         1 with lines ls 101 title L('W = {/Symbol e}', '$W = \varepsilon$')
  }
  eval PANELS_END
  unset output
}
