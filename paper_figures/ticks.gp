# ticks.gp: the labelled tics of a log y axis from ylo to yhi (set them, then load this once,
# before the format loop; style.gp's logy applies the result). Holding three decades or more:
# decades. Less: the first of 10^k; 1, 2, 5 times 10^k; 1, 2, ..., 9 times 10^k; a linear
# step, that gives three or more tics in the range, so that a short range is never left with
# one or no label. Writes YTCMD ('' for decades).
YT = ''
if (floor(log10(yhi) + 1e-9) - ceil(log10(ylo) - 1e-9) + 1 < 3) { # fewer than 3 decades inside
  k0 = floor(log10(ylo)); k1 = ceil(log10(yhi))
  do for [pass = 1:3] {
    if (words(YT) < 3) {
      YT = ''
      ms = pass == 1 ? "1" : (pass == 2 ? "1 2 5" : "1 2 3 4 5 6 7 8 9")
      do for [k = k0:k1] {
        do for [mm in ms] {
          v = real(mm) * 10.0**k
          if (v >= ylo * (1 - 1e-9) && v <= yhi * (1 + 1e-9)) { YT = YT.sprintf(' %.6g', v) }
        }
      }
    }
  }
  if (words(YT) < 3) { # a linear step with 3 to 7.5 steps in the range
    YT = ''
    ystep = 10.0**floor(log10((yhi - ylo) / 3))
    ystep = (yhi - ylo) / ystep > 15 ? 5 * ystep : ((yhi - ylo) / ystep > 7.5 ? 2 * ystep : ystep)
    v0 = ceil(ylo / ystep) * ystep
    do for [q = 0:20] {
      v = v0 + q * ystep
      if (v <= yhi * (1 + 1e-9)) { YT = YT.sprintf(' %.6g', v) }
    }
  }
}
YTCMD = ''
if (words(YT) >= 3) {
  YTCMD = 'set ytics ('
  do for [q = 1:words(YT)] { YTCMD = YTCMD.(q > 1 ? ', ' : '').word(YT, q) }
  YTCMD = YTCMD.')'
}
