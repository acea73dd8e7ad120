package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a registry file (YAML, or JSON) into a {@link RegistryFile}, strictly: a field the format
 * does not have is an error rather than ignored, so a misspelt setting cannot silently fall back to
 * its default. Whether the entries make sense is {@link RegistryChecker}'s business.
 */
public final class RegistryParser {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final RegistryFile EMPTY = new RegistryFile(null, null, null, null);

  private RegistryParser() {}

  /** The file as written; throws {@code invalid_registry} saying where and what is wrong. */
  public static RegistryFile parse(InputStream in) {
    RegistryFile file;
    try {
      file = YAML.readValue(in, RegistryFile.class);
    } catch (StreamReadException e) {
      throw notYaml(e.getOriginalMessage());
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof StreamReadException || e.getOriginalMessage().contains("end-of-input")) {
        throw notYaml(e.getOriginalMessage());
      }
      throw wrongShape(e);
    } catch (IOException e) {
      throw new RegistryException("invalid_registry", "registry file is not valid YAML: " + e.getMessage());
    }
    // A document with nothing in it ("---") declares nothing.
    return file == null ? EMPTY : file;
  }

  private static RegistryException notYaml(String message) {
    return new RegistryException(
        "invalid_registry", "registry file is not valid YAML: " + message.lines().findFirst().orElse(""));
  }

  private static RegistryException wrongShape(JsonMappingException e) {
    return new RegistryException(
        "invalid_registry", "registry file: " + e.getOriginalMessage() + " at " + e.getPathReference());
  }
}
