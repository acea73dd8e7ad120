package dev.gatehouse.activities.model.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelUsage;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.sse.SseEvent;
import dev.gatehouse.activities.sse.SseParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reading the golden files under {@code src/test/resources/translate/}, and what the tests share. */
final class Golden {
  static final ObjectMapper MAPPER = new ObjectMapper();
  /** The time {@code created} says in OpenAI answers made from Anthropic ones (the golden files expect it). */
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_750_000_000L), ZoneOffset.UTC);

  private Golden() {}

  /** The case files ({@code *.json}) of one folder, by name. */
  static Stream<Path> cases(String folder) {
    try (Stream<Path> files = Files.list(folder(folder))) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path folder(String folder) {
    try {
      return Path.of(Golden.class.getResource("/translate/" + folder).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode read(Path file) {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String name(Path file) {
    return file.getFileName().toString().replace(".json", "");
  }

  static Dialect dialect(JsonNode testCase, String member) {
    return Dialect.valueOf(testCase.get(member).asText().toUpperCase());
  }

  /** A tree as it reads back from its JSON text, so that numbers compare by value whatever node type built them. */
  static JsonNode normalized(JsonNode node) {
    try {
      return MAPPER.readTree(MAPPER.writeValueAsString(node));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ModelUsage usage(JsonNode expected) {
    if (expected == null || expected.isNull()) {
      return null;
    }
    return new ModelUsage(
        expected.get("inputTokens").asLong(),
        expected.get("cachedInputTokens").asLong(),
        expected.path("cacheWriteInputTokens").asLong(0),
        expected.get("outputTokens").asLong(),
        expected.get("reasoningTokens").asLong(),
        false);
  }

  /** The events of a recorded SSE transcript, read by the real parser. */
  static List<SseEvent> transcript(String file) {
    List<SseEvent> events = new ArrayList<>();
    SseParser parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void event(SseEvent event) {
                events.add(event);
              }

              @Override
              public void tooLarge(int maxEventBytes) {
                throw new AssertionError("a transcript event is too large");
              }
            });
    try {
      parser.feed(Files.readAllBytes(folder("streams").resolve(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return events;
  }

  /** One event a translator wrote. */
  record Written(String name, String data) {}

  /** A sink that keeps what it is given. */
  static final class RecordingSink implements StreamSink {
    final List<Written> events = new ArrayList<>();

    @Override
    public void open() {}

    @Override
    public void event(String name, String data) {
      events.add(new Written(name, data));
    }
  }
}
