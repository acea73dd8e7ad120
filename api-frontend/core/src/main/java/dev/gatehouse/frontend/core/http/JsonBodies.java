package dev.gatehouse.frontend.core.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.errors.UnreadableBody;
import java.io.IOException;
import java.io.InputStream;

/**
 * Request bodies: read at most the configured size, parse strictly (no trailing data, no unknown
 * fields), refuse text PostgreSQL cannot hold ({@link TextChecks}), and turn every problem into a
 * 4xx with a stable code and a message in the client's terms ({@link JsonProblems}): the field's
 * JSON path and the JSON type expected there, never a Java name.
 */
public final class JsonBodies {
  private final ObjectMapper mapper;
  private final ObjectMapper strict;
  private final int maxBytes;

  public JsonBodies(ObjectMapper mapper, int maxBytes) {
    // Strict: no trailing data; a member given twice is refused (parsers disagree on which one
    // counts, which lets a body mean one thing here and another further on); a fraction where a
    // whole number belongs is refused rather than rounded.
    this.mapper =
        mapper.copy()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
    // Bodies read as a schema also refuse a value of the wrong JSON type instead of converting it
    // ("goal": 5 is not text, "maxSteps": "5" not a number, "stream": "false" not a boolean): a
    // client that sends them has a bug it should hear about, and a converted value is not what was
    // sent. A whole number where a fraction belongs stays allowed (1 is a valid JSON 1.0).
    this.strict =
        this.mapper.copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS);
    // The feature above covers numbers and booleans; text is configured on its own.
    this.strict
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    this.maxBytes = maxBytes;
  }

  public int maxBytes() {
    return maxBytes;
  }

  /**
   * These bodies, read up to {@code maxBytes} (a face whose bodies outgrow the common limit), a
   * string in them as long as the body (the reader's default stops at 20 million characters, which
   * a base64 document of 15 MB passes).
   */
  public JsonBodies withMaxBytes(int maxBytes) {
    ObjectMapper larger = mapper.copy();
    StreamReadConstraints given = larger.getFactory().streamReadConstraints();
    larger.getFactory().setStreamReadConstraints(
        given.rebuild().maxStringLength(Math.max(given.getMaxStringLength(), maxBytes)).build());
    return new JsonBodies(larger, maxBytes);
  }

  /**
   * The JSON tokens of {@code bytes} (each value, member name, start and end) up to the first
   * error, read without building anything: what a body will take in memory once it is a tree is
   * about its size plus some 100 bytes a token, and a body of many small values ({@code [{},{},...]})
   * takes far more than its size. The parse that builds the tree reports what is wrong with it.
   */
  public long tokens(byte[] bytes) {
    long n = 0;
    try (JsonParser p = mapper.getFactory().createParser(bytes)) {
      while (p.nextToken() != null) {
        n++;
      }
    } catch (IOException | RuntimeException e) {
      // counted so far
    }
    return n;
  }

  public JsonNode read(InputStream body) {
    byte[] bytes;
    try {
      bytes = body.readNBytes(maxBytes + 1);
    } catch (IOException | RuntimeException e) {
      throw UnreadableBody.of(e).orElseGet(() -> new ApiException(ErrorCode.INVALID_REQUEST, "the body could not be read"));
    }
    if (bytes.length > maxBytes) {
      throw new ApiException(ErrorCode.REQUEST_TOO_LARGE, "the body is larger than " + maxBytes + " bytes");
    }
    if (bytes.length == 0) {
      throw new ApiException(ErrorCode.INVALID_JSON, "the body is empty; send a JSON object");
    }
    if (!Utf8.json(bytes)) {
      throw new ApiException(ErrorCode.INVALID_JSON, "the body is not valid UTF-8");
    }
    JsonNode json;
    try {
      json = mapper.readTree(bytes);
    } catch (IOException e) {
      String duplicate = JsonProblems.duplicateKey(e);
      if (duplicate != null) {
        throw new ApiException(ErrorCode.INVALID_JSON, "the body gives the member '" + duplicate + "' twice");
      }
      String limit = JsonProblems.limitExceeded(e);
      throw new ApiException(ErrorCode.INVALID_JSON, limit != null ? "the body " + limit : "the body is not valid JSON");
    }
    if (json == null || json.isMissingNode()) {
      throw new ApiException(ErrorCode.INVALID_JSON, "the body holds only white space; send a JSON object");
    }
    TextChecks.require(json);
    return json;
  }

  /** Like {@link #read(InputStream)}, but an empty body is allowed and gives null. */
  public JsonNode readOptional(InputStream body) {
    try {
      if (body == null) {
        return null;
      }
      java.io.PushbackInputStream in = new java.io.PushbackInputStream(body);
      int first = in.read();
      if (first < 0) {
        return null;
      }
      in.unread(first);
      return read(in);
    } catch (IOException e) {
      throw UnreadableBody.of(e).orElseGet(() -> new ApiException(ErrorCode.INVALID_REQUEST, "the body could not be read"));
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      throw UnreadableBody.of(e).orElseThrow(() -> e);
    }
  }

  /** The body as {@code type}; unknown fields and wrong types are 400 {@code invalid_request}. */
  public <T> T read(InputStream body, Class<T> type) {
    return convert(read(body), type);
  }

  public <T> T convert(JsonNode json, Class<T> type) {
    if (json == null || !json.isObject()) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body must be a JSON object");
    }
    try {
      return strict.treeToValue(json, type);
    } catch (JsonMappingException e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body does not fit the schema: " + JsonProblems.describe(e, json));
    } catch (Exception e) {
      throw new ApiException(ErrorCode.INVALID_REQUEST, "the body does not fit the schema");
    }
  }
}
