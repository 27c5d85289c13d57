package dev.shopmesh.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.HistogramIterationValue;

/**
 * {@code latency.svg}: latency by percentile, one line per scenario and one for the ceiling, in
 * the style of HdrHistogram's plots: the x axis stretches the tail (0%, 90%, 99%, 99.9%...), the
 * y axis is logarithmic so that the ceiling's microseconds and the saga's milliseconds both show.
 * Plain SVG, opened by any browser.
 */
final class PercentilePlot {
  private static final String[] COLORS = {
    "#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"
  };
  private static final int WIDTH = 1040;
  private static final int HEIGHT = 560;
  private static final int LEFT = 80;
  private static final int RIGHT = 300;
  private static final int TOP = 60;
  private static final int BOTTOM = 60;

  private PercentilePlot() {}

  private record Point(double x, double ms) {}

  private record Line(String name, String label, List<Point> points) {}

  static Path write(RunResult run, Path file) throws IOException {
    List<ScenarioResult> all = new ArrayList<>();
    all.add(run.ceiling());
    all.addAll(run.scenarios());
    List<Line> lines = new ArrayList<>();
    double xMax = 2; // at least up to 99%
    double minMs = Double.MAX_VALUE;
    double maxMs = 0;
    for (ScenarioResult r : all) {
      if (r.latency().getTotalCount() == 0) {
        continue;
      }
      List<Point> points = new ArrayList<>();
      for (HistogramIterationValue v : r.latency().percentiles(5)) {
        double p = v.getPercentileLevelIteratedTo() / 100.0;
        double x = p >= 1 ? Double.POSITIVE_INFINITY : Math.log10(1 / (1 - p));
        double ms = Math.max(v.getValueIteratedTo() / 1e6, 1e-3);
        points.add(new Point(x, ms));
        if (!Double.isInfinite(x)) {
          xMax = Math.max(xMax, Math.ceil(x));
        }
        minMs = Math.min(minMs, ms);
        maxMs = Math.max(maxMs, ms);
      }
      lines.add(
          new Line(
              r.name(),
              String.format(Locale.ROOT, "%s  p50 %s  p99 %s", r.name(), Report.ms(r.percentileMs(50)), Report.ms(r.percentileMs(99))),
              points));
    }
    xMax = Math.min(xMax, 6);
    if (lines.isEmpty()) {
      minMs = 0.01;
      maxMs = 1;
    }
    double yMin = Math.floor(Math.log10(minMs));
    double yMax = Math.max(yMin + 1, Math.ceil(Math.log10(maxMs)));
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    double xm = xMax;
    java.util.function.DoubleUnaryOperator sx = x -> LEFT + Math.min(x, xm) / xm * plotW;
    java.util.function.DoubleUnaryOperator sy = ms -> TOP + (yMax - Math.log10(ms)) / (yMax - yMin) * plotH;

    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH, HEIGHT, WIDTH, HEIGHT));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">Latency by percentile (%s, warm-up excluded)</text>%n",
            LEFT, esc(run.options().load().label())));
    svg.append(
        String.format(
            Locale.ROOT, "<text x=\"%d\" y=\"44\" fill=\"#555\">%s</text>%n", LEFT, esc(run.machine().summary())));
    // grid and axes
    for (int d = (int) yMin; d <= (int) yMax; d++) {
      for (int k : new int[] {1, 2, 5}) {
        double ms = k * Math.pow(10, d);
        if (Math.log10(ms) > yMax + 1e-9) {
          continue;
        }
        double y = sy.applyAsDouble(ms);
        svg.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                LEFT, y, LEFT + plotW, y, k == 1 ? "#ccc" : "#eee"));
        if (k == 1) {
          svg.append(
              String.format(
                  Locale.ROOT,
                  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                  LEFT - 6, y + 4, msLabel(ms)));
        }
      }
    }
    String[] xLabels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
    for (int i = 0; i <= (int) xMax; i++) {
      double x = sx.applyAsDouble(i);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>%n",
              x, TOP, x, TOP + plotH));
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n",
              x, TOP + plotH + 18, xLabels[i]));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>%n",
            LEFT, TOP, plotW, plotH));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
            LEFT + plotW / 2, HEIGHT - 16));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">latency (log scale)</text>%n",
            TOP + plotH / 2));
    // lines and legend
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      String color = COLORS[i % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (Point p : line.points()) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx.applyAsDouble(p.x()), sy.applyAsDouble(p.ms())));
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>%n",
              color, line.name().equals("ceiling") ? " stroke-dasharray=\"6 4\"" : "", pts.toString().trim()));
      double ly = TOP + 10 + i * 36;
      double lx = LEFT + plotW + 16;
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>%n",
              lx, ly, lx + 22, ly, color));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">%s</text>%n", lx + 28, ly + 4, esc(line.name())));
      String stats = line.label().substring(line.name().length()).trim();
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">%s</text>%n", lx + 28, ly + 19, esc(stats)));
    }
    svg.append("</svg>\n");
    Files.writeString(file, svg);
    return file;
  }

  private static String msLabel(double ms) {
    if (ms >= 1000) {
      return String.format(Locale.ROOT, "%.0f s", ms / 1000);
    }
    if (ms >= 1) {
      return String.format(Locale.ROOT, "%.0f ms", ms);
    }
    return String.format(Locale.ROOT, "%.0f µs", ms * 1000);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
