package dev.shopmesh.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The repository's Dockerfile, split into stages of instructions (continuations joined). */
final class Dockerfile {
  static final String FILE = "Dockerfile";

  record Instruction(String keyword, String arguments) {}

  private Dockerfile() {}

  /** Global ARG defaults (before the first FROM). */
  static Map<String, String> globalArgs() {
    Map<String, String> args = new LinkedHashMap<>();
    for (Instruction i : instructions()) {
      if (i.keyword().equals("FROM")) {
        break;
      }
      if (i.keyword().equals("ARG") && i.arguments().contains("=")) {
        String[] kv = i.arguments().split("=", 2);
        args.put(kv[0].strip(), kv[1].strip());
      }
    }
    return args;
  }

  /** Stage name -> its instructions, FROM first. */
  static Map<String, List<Instruction>> stages() {
    Map<String, List<Instruction>> stages = new LinkedHashMap<>();
    List<Instruction> current = null;
    for (Instruction i : instructions()) {
      if (i.keyword().equals("FROM")) {
        Matcher m = Pattern.compile("(?i)\\S+\\s+AS\\s+(\\S+)").matcher(i.arguments());
        String name = m.find() ? m.group(1) : "stage" + stages.size();
        current = new ArrayList<>();
        stages.put(name, current);
      }
      if (current != null) {
        current.add(i);
      }
    }
    return stages;
  }

  static List<Instruction> stage(String name) {
    List<Instruction> stage = stages().get(name);
    if (stage == null) {
      throw new AssertionError("Dockerfile has no stage " + name + " (has " + stages().keySet() + ")");
    }
    return stage;
  }

  /** The image a stage starts from, with global ARG defaults substituted. */
  static String baseImage(String stage) {
    String image = stage(stage).get(0).arguments().split("\\s+")[0];
    for (var arg : globalArgs().entrySet()) {
      image = image.replace("${" + arg.getKey() + "}", arg.getValue()).replace("$" + arg.getKey(), arg.getValue());
    }
    return image;
  }

  /** Where a stage's COPY puts the file whose source path ends with {@code sourceSuffix}. */
  static Optional<String> copyDestination(String stage, String sourceSuffix) {
    for (Instruction i : stage(stage)) {
      if (i.keyword().equals("COPY")) {
        List<String> words = new ArrayList<>(List.of(i.arguments().split("\\s+")));
        words.removeIf(w -> w.startsWith("--"));
        String destination = words.get(words.size() - 1);
        for (String source : words.subList(0, words.size() - 1)) {
          if (source.endsWith(sourceSuffix)) {
            return Optional.of(destination);
          }
        }
      }
    }
    return Optional.empty();
  }

  static List<Instruction> instructions() {
    List<Instruction> result = new ArrayList<>();
    StringBuilder logical = new StringBuilder();
    for (String line : Repo.read(FILE).split("\n")) {
      String trimmed = line.strip();
      if (logical.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (!logical.isEmpty() && trimmed.startsWith("#")) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      logical.append(trimmed);
      String text = logical.toString().strip();
      logical.setLength(0);
      int space = text.indexOf(' ');
      result.add(new Instruction(text.substring(0, space).toUpperCase(), text.substring(space + 1).strip()));
    }
    return result;
  }
}
