# style.gp: the one style of every paper figure, loaded first by each NAME.gp.
# ctrate plot runs, in the output directory,
#   gnuplot -e "datafile='data/NAME.dat'; outbase='NAME'; formats='pdf png tex';
#               scriptdir='...'; keys_e='...'; keys_t='...'; wsym_e='...'; wsym_t='...';
#               nblocks=K" NAME.gp
# keys_*: one title per data block, '|'-separated; *_e in gnuplot's enhanced text (pdf, png),
# *_t in LaTeX (cairolatex, whose NAME-inc.tex ctrate renames to NAME.tex).
if (!exists("formats")) formats = 'pdf png'
if (!exists("outbase")) outbase = 'figure'
if (!exists("keys_e")) keys_e = ''
if (!exists("keys_t")) keys_t = keys_e
if (!exists("wsym_e")) wsym_e = 'W'
if (!exists("wsym_t")) wsym_t = '$W$'
xlab = ''  # each script's x label (the bottom row of panels shows it)
stats datafile using 1 nooutput
if (!exists("nblocks")) nblocks = STATS_blocks
xlo = STATS_min; xhi = STATS_max  # column 1: the x axis of every figure

# Fonts: DejaVu Sans by name (Debian fonts-dejavu-core, which scripts/setup.sh installs), so a
# PNG looks the same on every machine instead of whatever fontconfig substitutes for Helvetica.
# caption_e / caption_t: one line of the figure's settings (target, schedule, engine, error,
# what splits the curves), set by ctrate plot, drawn small at the top of every format.
if (!exists("caption_e")) caption_e = ''
if (!exists("caption_t")) caption_t = caption_e
# A long caption comes in two lines ('|' between them).
capline(k) = field(tex ? caption_t : caption_e, k)
capcmd = "set label 99 capline(1) at screen 0.5, screen 0.975 center front font sprintf(',%d', capfs) tc rgb '#444444'; if (capline(2) ne '') { set label 97 capline(2) at screen 0.5, screen 0.975 - 1.25 * fsz * capfs / basefs center front font sprintf(',%d', capfs) tc rgb '#444444'; set tmargin at screen 0.975 - 2.6 * fsz * capfs / basefs - 0.02 } else { set tmargin at screen 0.93 }"
# terminals: eval start(fmt) opens one; text is L(enhanced, latex) of the current one
tex = 0
L(e, t) = tex ? t : e
start(fmt) = fmt eq 'pdf' ? "set terminal pdfcairo enhanced color size 5in,3.75in font 'DejaVu Sans,9' linewidth 1 pointscale 0.5; set output outbase.'.pdf'; tex = 0; capfs = 8; basefs = 9; fsz = 9.0 / 270; eval capcmd" : \
             fmt eq 'png' ? "set terminal pngcairo enhanced color size 1200,900 font 'DejaVu Sans,19' linewidth 2.4; set output outbase.'.png'; tex = 0; capfs = 15; basefs = 19; fsz = 19.0 / 900; eval capcmd" : \
             "set terminal cairolatex pdf input color size 5in,3.75in linewidth 1 pointscale 0.5; set output outbase.'-inc.tex'; tex = 1; capfs = 8; basefs = 9; fsz = 9.0 / 270; eval capcmd"
# --facet: block i (0-based) belongs to panel word(facet_of, i + 1); panel(i) is true when
# it is drawn in the current panel jpanel (every block when there are no panels)
if (!exists("nfacets")) nfacets = 0
if (!exists("facet_of")) facet_of = ''
if (!exists("facets_e")) facets_e = ''
if (!exists("facets_t")) facets_t = facets_e
jpanel = 0
panel(i) = nfacets < 2 || int(word(facet_of, i + 1)) == jpanel
# the line type of block i: one per distinct key (a curve keeps its colour in every panel)
if (!exists("colour_of")) colour_of = ''
col(i) = colour_of eq '' ? i + 1 : int(word(colour_of, i + 1))
# the title of block i (1-based)
bar(s) = strstrt(s, '|')
field(s, i) = i <= 1 ? (bar(s) ? s[1:bar(s) - 1] : s) : (bar(s) ? field(s[bar(s) + 1:], i - 1) : '')
key(i) = field(tex ? keys_t : keys_e, i)
ptitle(j) = field(tex ? facets_t : facets_e, j + 1)
# log axes labelled 10^k (eval after eval start(fmt)); on x, data holding fewer than three
# decades 10^k get tics at 1, 2 and 5 times 10^k instead, as plain
# numbers; on y, the tics ticks.gp chose
# (YTCMD, for a range holding fewer than three decades: at least three labelled ones)
YTCMD = ''
yfmt = '%g'
logy = "if (YTCMD eq '') { set ytics autofreq; yfmt = L('10^{%L}', '$10^{%L}$') } else { eval YTCMD; yfmt = L('%h', '$%h$') }; set format y yfmt"
ndec(lo, hi) = floor(log10(hi) + 1e-9) - ceil(log10(lo) - 1e-9) + 1  # decades 10^k in [lo, hi]
logx(lo, hi) = ndec(lo, hi) < 3 ? \
  sprintf("set xtics (1); do for [k=%d:%d] { set xtics add (10.0**k, 2*10.0**k, 5*10.0**k) }; set format x L('%%g', '$%%g$')", \
          floor(log10(lo)), ceil(log10(hi))) : \
  "set xtics autofreq; set format x L('10^{%L}', '$10^{%L}$')"
# the same for an x axis of dimensions d, narrow ones with tics at every factor 2 from the smallest
logd(lo, hi) = log10(hi / lo) < 2 ? sprintf("set xtics %.17g, 2; set format x L('%%g', '$%%g$')", lo) : \
               "set xtics autofreq; set format x L('10^{%L}', '$10^{%L}$')"

# per block: dash type and point type (ctrate sets dt_of and pt_of when a figure marks two
# things, e.g. colour the family and dash the N; else solid, and the colour's own point type)
PTS = "7 5 9 11 13 15 7 5"
COLS = "#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9 #332288 #999933"
if (!exists("dt_of")) dt_of = ''
if (!exists("pt_of")) pt_of = ''
dtof(i) = dt_of eq '' ? 1 : int(word(dt_of, i + 1))
ptof(i) = pt_of eq '' ? int(word(PTS, (col(i) - 1) % 8 + 1)) : int(word(pt_of, i + 1))
# the legend: nlegend entries, each a text, a colour (0: black), a dash type and a point type
# (0: a line only, point size 0), drawn by empty plots so that it lists each colour and each
# style once
# however many curves (and panels) share them: plot ..., @LEGEND
if (!exists("nlegend")) nlegend = 0
if (!exists("legend_e")) legend_e = ''
if (!exists("legend_t")) legend_t = legend_e
if (!exists("nfirst")) nfirst = 1
legkey(j) = field(tex ? legend_t : legend_e, j)
legc(j) = int(word(legend_lt, j))
legrgb(j) = legc(j) > 0 ? word(COLS, (legc(j) - 1) % 8 + 1) : '#000000'
legdt(j) = int(word(legend_dt, j))
legpt(j) = int(word(legend_pt, j))
LEGEND = "for [j=1:nlegend] NaN with linespoints lc rgb legrgb(j) lw 1.5 dt legdt(j) pt (legpt(j) ? legpt(j) : 7) ps (legpt(j) ? 0.5 : 0) title legkey(j)"

# --facet: the panels on shared axes (each script sets x and y ranges from all the data:
# yrange [ylo:yhi]), equal in size: one or two side by side, more in rows of two (narrower
# panels would crowd the x tic labels); fixed margins, y tic labels in the first column and
# the y label on the first panel only, the caption once, each panel titled with the column and
# its value; then a last, empty "panel" that holds the legend for all of them (the free cell
# of an odd grid, else a strip across the bottom; its y range holds no data, so the same plot
# command draws only the key).
# Use: eval PANELS; do for [jpanel=0:lastpanel] { eval PANEL; plot ... }; eval PANELS_END
npanel = nfacets > 1 ? nfacets : 1
lastpanel = nfacets > 1 ? nfacets : 0
pcols = npanel > 2 ? 2 : npanel
prows = (npanel + pcols - 1) / pcols
legcell = npanel > 2 && npanel % 2 == 1
# sizes in lines of text (fsz: a line's height as a part of the canvas, set by start(fmt))
pl = 0.11; pr = 0.98; pgap = 0.035
ptop(x) = 0.975 - 2.6 * fsz * capfs / basefs - 0.02 - 1.6 * fsz  # below the caption and a title
pbot(x) = legcell ? 4.8 * fsz : 5.0 * fsz + 4.6 * fsz  # x tic labels and label (+ a 4-row legend)
pvgap(x) = 4.4 * fsz  # x tic labels and the next panel's title (the x label: bottom row only)
pw = (pr - pl - (pcols - 1) * pgap) / pcols
ph(x) = (ptop(0) - pbot(0) - (prows - 1) * pvgap(0)) / prows
px(j) = pl + (j % pcols) * (pw + pgap)
py(j) = ptop(0) - (j / pcols) * (ph(0) + pvgap(0))
panelcmd(j) = sprintf("set lmargin at screen %g; set rmargin at screen %g; set tmargin at screen %g; set bmargin at screen %g", \
                      px(j), px(j) + pw, py(j), py(j) - ph(0))
GRID = "set grid xtics ytics lc rgb '#e6e6e6' lw 0.6 dt 1"
KEY = "set key outside below center horizontal Left reverse samplen 2.5 spacing 1.1 width -1 height 0.6 maxrows 3 noautotitle"
legcellcmd(x) = legcell ? sprintf("set lmargin at screen %g; set rmargin at screen %g; set tmargin at screen %g; set bmargin at screen %g; eval KEY; set key inside center center width -3 maxcols 1", \
                               px(npanel), px(npanel) + pw, py(npanel), 0.0) : \
  sprintf("set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen 0.0; set tmargin at screen %g; eval KEY; set key inside center center width -3 maxrows 4", 4.8 * fsz)
LEGENDPANEL = "unset border; unset tics; unset grid; unset xlabel; unset ylabel; unset title; unset label 98; unset label 99; unset label 97; set yrange [1e300 : 1e301]; eval legcellcmd(0)"
PANELS = "if (nfacets > 1) { set multiplot; unset key }"
PANEL = "if (nfacets > 1) { if (jpanel == nfacets) { eval LEGENDPANEL } else { eval panelcmd(jpanel); set title ptitle(jpanel) offset 0, -0.5; set format y (jpanel % pcols ? '' : yfmt); if (jpanel + pcols < nfacets + legcell) { unset xlabel } else { set xlabel xlab }; if (jpanel > 0) { unset ylabel; unset label 99; unset label 98; unset label 97 } } }"
PANELS_END = "if (nfacets > 1) { unset multiplot; unset title; set border; set tics; eval GRID; eval KEY; set yrange [ylo : yhi] }"

# colours: Okabe-Ito (colour-blind safe), one per curve, repeating after 8
set linetype 1 lc rgb '#0072B2' lw 1.5 pt 7 ps 0.5
set linetype 2 lc rgb '#D55E00' lw 1.5 pt 5 ps 0.5
set linetype 3 lc rgb '#009E73' lw 1.5 pt 9 ps 0.6
set linetype 4 lc rgb '#CC79A7' lw 1.5 pt 11 ps 0.6
set linetype 5 lc rgb '#E69F00' lw 1.5 pt 13 ps 0.6
set linetype 6 lc rgb '#56B4E9' lw 1.5 pt 15 ps 0.6
set linetype 7 lc rgb '#332288' lw 1.5 pt 7 ps 0.5
set linetype 8 lc rgb '#999933' lw 1.5 pt 5 ps 0.5
set linetype cycle 8
# references: thin grey, solid and dashed; the bound: black dashed (key entries)
set style line 100 lc rgb '#888888' lw 0.8 dt 1
set style line 101 lc rgb '#888888' lw 0.8 dt (6, 4)
set style line 102 lc rgb '#000000' lw 1 dt (8, 4)
set errorbars small

set logscale xy
eval GRID
eval KEY
set tics front
set samples 300
# x spans the data (no widening to the next decade), with a little room at both ends
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
# with panels the x range is fixed from all the data (the same in every panel)
xpad = (xhi / xlo)**0.03
if (nfacets > 1) { set xrange [xlo / xpad : xhi * xpad]; set offsets 0, 0, 0, 0 }
