package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which URIs a resource template takes, and which URIs no resource permission can be checked on
 * as written: an agent allowed {@code file:///public/{name}} read {@code file:///secret/key.txt}
 * as {@code file:///public/../secret/key.txt}.
 */
class UriTemplatesTest {

  @Test
  void aSimpleVariableIsOneSegmentAndAReservedOrPathExpansionMaySpanSeveral() {
    assertThat(UriTemplates.matches("file:///public/{name}", "file:///public/report.txt")).isTrue();
    assertThat(UriTemplates.matches("file:///public/{name}", "file:///public/a/b")).isFalse();
    assertThat(UriTemplates.matches("file:///public/{name}", "file:///public/x?y")).isFalse();
    assertThat(UriTemplates.matches("file:///public/{name}", "file:///public/")).isFalse();
    assertThat(UriTemplates.matches("test://template/{id}/data", "test://template/42/data")).isTrue();
    assertThat(UriTemplates.matches("test://template/{id}/data", "test://template/4/2/data")).isFalse();
    assertThat(UriTemplates.matches("repo://{owner}/{repo}", "repo://alice/notes")).isTrue();
    assertThat(UriTemplates.matches("file:///{+path}", "file:///a/b/c.txt")).isTrue();
    assertThat(UriTemplates.matches("file://{/segments}", "file:///a/b")).isTrue();
    assertThat(UriTemplates.matches("page://{#section}", "page://a/b")).isTrue();
    assertThat(UriTemplates.matches("static://exact", "static://exact")).isTrue();
    assertThat(UriTemplates.matches("static://exact", "static://exact/more")).isFalse();
  }

  @Test
  void aDotSegmentInAnyEncodingOrAControlCharacterTraverses() {
    for (String uri : List.of(
        "file:///public/../secret/key.txt", "file:///public/./x", "file:///public/..", "file:///public/%2e%2e/secret",
        "file:///public/%2E%2e/secret", "file:///public/.%2E/secret", "file:///public/..%2fsecret", "file:///public/..%5Csecret",
        "file:///public/..\\secret", "file:///public/%252e%252e%252fsecret", "file:///public/%25252e%25252e/secret",
        "file:///public/.\t./secret", "file:///public/x\n", "file:///public/\u0000")) {
      assertThat(UriTemplates.traverses(uri)).as(uri).isTrue();
    }
    for (String uri : List.of(
        "file:///public/report.txt", "file:///public/..report", "file:///public/report..", "file:///public/.hidden",
        "file:///public/a%2Fb", "file:///public/x?path=../y", "file:///public/x#../y", "test://template/42/data",
        "file:///public/100%25", "file:///My%20Documents/x", "ui://widget/é")) {
      assertThat(UriTemplates.traverses(uri)).as(uri).isFalse();
    }
  }
}
