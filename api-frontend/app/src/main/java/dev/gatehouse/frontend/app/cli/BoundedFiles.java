package dev.gatehouse.frontend.app.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Input files read whole, but never more than a cap: a registry file or a workflow history is read
 * into memory, and a file of any size (or a link to {@code /dev/zero}) would take the process's
 * memory and minutes before anything could say it is too large. At most the cap and one byte more
 * are read; a larger file is refused.
 */
public final class BoundedFiles {
  private BoundedFiles() {}

  /** The most a registry file may be: its documented 64 Mi characters, as bytes. */
  public static final int MAX_REGISTRY_BYTES = 64 * 1024 * 1024;
  /** The most a workflow history file may be (Temporal's own limit for a history is 50 MB). */
  public static final int MAX_HISTORY_BYTES = 64 * 1024 * 1024;

  /** A file over its cap. */
  public static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(Path file, int cap) {
      super(file + " is larger than " + cap / (1024 * 1024) + " MiB, the most it may be");
    }
  }

  /** The file's bytes; {@link TooLarge} when it holds more than {@code cap}. */
  public static byte[] read(Path file, int cap) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(cap + 1);
      if (bytes.length > cap) {
        throw new TooLarge(file, cap);
      }
      return bytes;
    }
  }
}
