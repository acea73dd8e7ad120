package dev.gatehouse.frontend.mcp;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** A request as {@link McpHttpFilter} hands it on to the SDK's transport, after checking it. */
final class ForwardedRequests {
  private ForwardedRequests() {}

  /** A request to {@code /mcp/{virtualServer}} as the SDK's single endpoint sees it. */
  static final class EndpointRequest extends HttpServletRequestWrapper {
    EndpointRequest(HttpServletRequest request) {
      super(request);
    }

    @Override
    public String getRequestURI() {
      return "/mcp";
    }

    @Override
    public StringBuffer getRequestURL() {
      StringBuffer url = super.getRequestURL();
      return new StringBuffer(url.substring(0, url.indexOf("/mcp/")) + "/mcp");
    }

    @Override
    public String getPathInfo() {
      return null;
    }
  }

  /** The request with its already-read body available again to the SDK. */
  static final class CachedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBodyRequest(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException();
        }

        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }

}
