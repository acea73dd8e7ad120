package dev.gatehouse.policies.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Precision and recall of each inspector on a labelled corpus
 * ({@code src/test/resources/guardrails/corpus.tsv}; its header documents the format and the
 * configuration used here). Writes {@code target/guardrails-report.md} with the table, every miss
 * and every false alarm, and fails when a kind falls below its floor. The floors sit just under the
 * measured values, so a change that loses a case shows here; raise them when the inspectors improve.
 */
class GuardrailCorpusTest {
  private static final List<FindingKind> KINDS =
      List.of(FindingKind.PROMPT_INJECTION, FindingKind.HIDDEN_UNICODE, FindingKind.EXFIL_LINK, FindingKind.DENY_PATTERN);
  /** {precision, recall} each kind must reach on the corpus. */
  private static final Map<FindingKind, double[]> FLOORS = new EnumMap<>(Map.of(
      FindingKind.PROMPT_INJECTION, new double[] {0.93, 0.88},
      FindingKind.HIDDEN_UNICODE, new double[] {0.85, 0.85},
      FindingKind.EXFIL_LINK, new double[] {0.90, 0.85},
      FindingKind.DENY_PATTERN, new double[] {0.95, 0.85}));
  /** Documentation that quotes injection phrases on purpose. */
  private static final Set<String> QUOTES_PHRASES = Set.of("guardrails.md");

  record Sample(int line, Set<FindingKind> labels, String text) {}

  static GuardrailConfig.Builder corpusConfig() {
    return GuardrailConfig.builder()
        .allowedLinkHosts(List.of("docs.example.com", "github.com", "*.github.com", "en.wikipedia.org", "*.gatehouse.dev"))
        .denyPatterns(List.of("AKIA[0-9A-Z]{16}", "-----BEGIN [A-Z ]*PRIVATE KEY-----", "\\b\\d{3}-\\d{2}-\\d{4}\\b"));
  }

  static List<Sample> load() throws IOException {
    List<Sample> out = new ArrayList<>();
    try (InputStream in = GuardrailCorpusTest.class.getResourceAsStream("/guardrails/corpus.tsv")) {
      assertThat(in).as("corpus.tsv on the test class path").isNotNull();
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i];
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int tab = line.indexOf('\t');
        if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
          throw new IllegalStateException("corpus.tsv line " + (i + 1) + ": expected LABELS<TAB>TEXT");
        }
        Set<FindingKind> labels = EnumSet.noneOf(FindingKind.class);
        String l = line.substring(0, tab);
        if (!l.equals("NONE")) {
          for (String k : l.split(",")) {
            FindingKind kind = FindingKind.valueOf(k);
            if (!KINDS.contains(kind) || !labels.add(kind)) {
              throw new IllegalStateException("corpus.tsv line " + (i + 1) + ": bad label " + k);
            }
          }
        }
        out.add(new Sample(i + 1, labels, unescape(line.substring(tab + 1), i + 1)));
      }
    }
    return out;
  }

  /** {@code \n \t \\ \\uXXXX \U{X...} \T{ascii}} (see the corpus header). */
  static String unescape(String s, int line) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case '\\' -> b.append('\\');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
          i += 4;
        }
        case 'U', 'T' -> {
          int close = s.indexOf('}', i);
          if (s.charAt(i + 1) != '{' || close < 0) {
            throw new IllegalStateException("corpus.tsv line " + line + ": \\" + e + " needs {...}");
          }
          String body = s.substring(i + 2, close);
          if (e == 'U') {
            b.appendCodePoint(Integer.parseInt(body, 16));
          } else {
            body.chars().forEach(ch -> b.appendCodePoint(0xE0000 + ch));
          }
          i = close;
        }
        default -> throw new IllegalStateException("corpus.tsv line " + line + ": unknown escape \\" + e);
      }
    }
    return b.toString();
  }

  /** What every inspector finds in {@code text}, with every kind set to FLAG. */
  private static Set<FindingKind> found(GuardrailPolicy policy, String text) {
    Set<FindingKind> kinds = EnumSet.noneOf(FindingKind.class);
    kinds.addAll(policy.inspectResponse(text).counts().keySet());
    return kinds;
  }

  private static GuardrailPolicy flagging() {
    GuardrailConfig.Builder b = corpusConfig();
    for (FindingKind k : FindingKind.values()) {
      b.action(k, GuardrailAction.FLAG);
    }
    return new GuardrailPolicy(b.build());
  }

  @Test
  void theCorpusHasEnoughOfEveryKind() throws IOException {
    List<Sample> samples = load();
    assertThat(samples).hasSizeGreaterThanOrEqualTo(150);
    assertThat(samples.stream().filter(s -> s.labels.isEmpty()).count()).isGreaterThanOrEqualTo(80);
    for (FindingKind k : KINDS) {
      assertThat(samples.stream().filter(s -> s.labels.contains(k)).count()).as(k.code()).isGreaterThanOrEqualTo(10);
    }
  }

  @Test
  void precisionAndRecallOfEachKindMeetTheirFloors() throws IOException {
    List<Sample> samples = load();
    GuardrailPolicy policy = flagging();
    Map<FindingKind, int[]> tally = new EnumMap<>(FindingKind.class); // tp, fp, fn
    Map<FindingKind, List<String>> misses = new EnumMap<>(FindingKind.class);
    Map<FindingKind, List<String>> alarms = new EnumMap<>(FindingKind.class);
    for (FindingKind k : KINDS) {
      tally.put(k, new int[3]);
      misses.put(k, new ArrayList<>());
      alarms.put(k, new ArrayList<>());
    }
    for (Sample s : samples) {
      Set<FindingKind> found = found(policy, s.text);
      for (FindingKind k : KINDS) {
        boolean want = s.labels.contains(k);
        boolean got = found.contains(k);
        int[] t = tally.get(k);
        if (want && got) {
          t[0]++;
        } else if (got) {
          t[1]++;
          alarms.get(k).add(describe(s));
        } else if (want) {
          t[2]++;
          misses.get(k).add(describe(s));
        }
      }
    }
    StringBuilder report = new StringBuilder();
    report.append("# Guardrails: precision and recall on the labelled corpus\n\n")
        .append("Corpus: `policies/src/test/resources/guardrails/corpus.tsv`, ").append(samples.size()).append(" samples (")
        .append(samples.stream().filter(s -> s.labels.isEmpty()).count()).append(" benign). ")
        .append("Every kind set to FLAG; a sample counts for a kind when at least one finding of that kind is reported.\n")
        .append("Re-run: `mvn -B -o verify -pl policies -Dtest=GuardrailCorpusTest`.\n\n")
        .append("| kind | labelled | reported | true pos. | false pos. | false neg. | precision | recall | floor (P / R) |\n")
        .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    List<String> failures = new ArrayList<>();
    for (FindingKind k : KINDS) {
      int[] t = tally.get(k);
      double precision = t[0] + t[1] == 0 ? 1 : (double) t[0] / (t[0] + t[1]);
      double recall = t[0] + t[2] == 0 ? 1 : (double) t[0] / (t[0] + t[2]);
      double[] floor = FLOORS.get(k);
      report.append(String.format(Locale.ROOT, "| `%s` | %d | %d | %d | %d | %d | %.3f | %.3f | %.2f / %.2f |%n",
          k.code(), t[0] + t[2], t[0] + t[1], t[0], t[1], t[2], precision, recall, floor[0], floor[1]));
      if (precision < floor[0] || recall < floor[1]) {
        failures.add(String.format(Locale.ROOT, "%s: precision %.3f (floor %.2f), recall %.3f (floor %.2f)",
            k.code(), precision, floor[0], recall, floor[1]));
      }
    }
    for (FindingKind k : KINDS) {
      report.append("\n## ").append(k.code()).append("\n\nMissed (labelled, not reported):\n\n");
      list(report, misses.get(k));
      report.append("\nFalse alarms (reported, not labelled):\n\n");
      list(report, alarms.get(k));
    }
    report.append(documentation(policy));
    Path target = Path.of("target");
    Files.createDirectories(target);
    Files.writeString(target.resolve("guardrails-report.md"), report.toString(), StandardCharsets.UTF_8);
    System.out.println(report);
    assertThat(failures).as("kinds below their floors (see target/guardrails-report.md)").isEmpty();
  }

  /**
   * Text written without these inspectors in mind: the project's own Markdown (the README files and
   * docs/, but not docs/guardrails.md, which quotes phrases on purpose) raises no prompt-injection
   * and no hidden-Unicode finding. (A page that must quote such phrases joins QUOTES_PHRASES.)
   */
  @Test
  void theProjectsOwnDocumentationRaisesNoInjectionOrHiddenUnicodeFinding() throws IOException {
    GuardrailPolicy policy = flagging();
    List<String> alarms = new ArrayList<>();
    List<Path> files = markdown();
    assertThat(files).hasSizeGreaterThan(10);
    for (Path f : files) {
      GuardrailResult<String> r = policy.inspectResponse(Files.readString(f, StandardCharsets.UTF_8));
      for (Finding x : r.findings()) {
        if (x.kind() == FindingKind.PROMPT_INJECTION || x.kind() == FindingKind.HIDDEN_UNICODE) {
          alarms.add(f + " [" + x.start() + "," + x.end() + ") " + x.kind() + ": " + x.excerpt());
        }
      }
    }
    assertThat(alarms).isEmpty();
  }

  /** The repository's Markdown files, outside build output. */
  private static List<Path> markdown() throws IOException {
    try (var walk = Files.walk(Path.of(".."))) {
      return walk.filter(f -> f.getFileName().toString().endsWith(".md"))
          .filter(f -> !QUOTES_PHRASES.contains(f.getFileName().toString()))
          .filter(f -> !f.toString().contains("/target/") && !f.toString().contains("/.git/") && !f.toString().contains("/node_modules/"))
          .sorted()
          .toList();
    }
  }

  /** A section of the report: what the inspectors report on the project's documentation. */
  private static String documentation(GuardrailPolicy policy) throws IOException {
    Map<FindingKind, Integer> counts = new EnumMap<>(FindingKind.class);
    long chars = 0;
    List<Path> files = markdown();
    for (Path f : files) {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      chars += text.length();
      policy.inspectResponse(text).counts().forEach((k, n) -> counts.merge(k, n, Integer::sum));
    }
    StringBuilder b = new StringBuilder("\n## The project's own documentation\n\n");
    b.append(files.size()).append(" Markdown files (").append(chars).append(" characters; docs/guardrails.md left out), all benign. ")
        .append("Findings by kind (the same configuration; links with a query to hosts it does not allow, and a PEM header, ")
        .append("are what `exfil_link` and `deny_pattern` are for):\n\n");
    for (FindingKind k : KINDS) {
      b.append("- `").append(k.code()).append("`: ").append(counts.getOrDefault(k, 0)).append('\n');
    }
    return b.toString();
  }

  @Test
  void redactingEverythingLeavesNothingToRedact() throws IOException {
    GuardrailConfig.Builder b = corpusConfig();
    for (FindingKind k : FindingKind.values()) {
      b.action(k, GuardrailAction.REDACT);
    }
    GuardrailPolicy policy = new GuardrailPolicy(b.build());
    for (Sample s : load()) {
      GuardrailResult<String> once = policy.inspectResponse(s.text);
      GuardrailResult<String> twice = policy.inspectResponse(once.value());
      assertThat(twice.counts()).as("line " + s.line + " redacted: " + once.value()).isEmpty();
    }
  }

  private static void list(StringBuilder b, List<String> lines) {
    if (lines.isEmpty()) {
      b.append("- none\n");
    }
    for (String l : lines) {
      b.append("- ").append(l).append('\n');
    }
  }

  /** The line and its text, escaped to printable ASCII and cut to 100 characters. */
  private static String describe(Sample s) {
    StringBuilder b = new StringBuilder();
    s.text.codePoints().forEach(cp -> {
      if (cp >= 0x20 && cp < 0x7f && cp != '`' && cp != '|') {
        b.append((char) cp);
      } else if (cp == '\n') {
        b.append("\\n");
      } else {
        b.append(String.format("\\u{%X}", cp));
      }
    });
    String t = b.length() > 100 ? b.substring(0, 97) + "..." : b.toString();
    return "line " + s.line + ": `" + t + "`";
  }
}
