package dev.gatehouse.frontend.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The metadata document is public: a client asking for it as fast as it can does not make a
 * database read of each request. The issuers are read again only once the last read is {@link
 * ProtectedResourceMetadataResource#ISSUERS_TTL} old.
 */
class ProtectedResourceMetadataResourceTest {

  @Test
  void theIssuersAreReadAtMostOncePerTtl() {
    AtomicInteger reads = new AtomicInteger();
    AtomicLong now = new AtomicLong(1_000);
    List<List<String>> registered = new java.util.ArrayList<>(List.of(List.of("https://a.example")));
    ProtectedResourceMetadataResource resource =
        new ProtectedResourceMetadataResource(
            () -> {
              reads.incrementAndGet();
              return registered.get(registered.size() - 1);
            },
            now::get,
            null);

    for (int i = 0; i < 1000; i++) {
      assertThat(resource.issuers()).containsExactly("https://a.example");
    }
    assertThat(reads.get()).isEqualTo(1);

    registered.add(List.of("https://a.example", "https://b.example"));
    now.addAndGet(ProtectedResourceMetadataResource.ISSUERS_TTL.toNanos() - 1);
    assertThat(resource.issuers()).as("still within the TTL").containsExactly("https://a.example");
    now.addAndGet(1);
    assertThat(resource.issuers()).as("an added provider is listed once the TTL has passed").containsExactly("https://a.example", "https://b.example");
    assertThat(reads.get()).isEqualTo(2);
  }
}
