package dev.gatehouse.frontend.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.activities.model.Dialect;
import dev.gatehouse.activities.model.ModelAnswer;
import dev.gatehouse.activities.model.ModelCall;
import dev.gatehouse.activities.model.ModelCallException;
import dev.gatehouse.activities.model.ModelCodes;
import dev.gatehouse.activities.model.ModelInvoker;
import dev.gatehouse.activities.model.StreamSink;
import dev.gatehouse.activities.model.translate.ResponsesAnswer;
import dev.gatehouse.activities.model.translate.ResponsesRequest;
import dev.gatehouse.activities.model.translate.ResponsesStream;
import dev.gatehouse.activities.policy.RateLimitStatus;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.auth.BearerAuth;
import dev.gatehouse.frontend.core.auth.Caller.AgentCaller;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.BoundedBody;
import dev.gatehouse.frontend.core.http.RequestIds;
import dev.gatehouse.frontend.core.http.RequestIdFilter;
import dev.gatehouse.frontend.models.ModelErrors.Refusal;
import dev.gatehouse.frontend.models.ModelRequests.ModelRequest;
import dev.gatehouse.workflows.tool.Caller;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The model gateway's HTTP endpoints ({@link Endpoint}), served by a plain servlet on the request's
 * thread (no Jersey on the path: less latency, and a stream written event by event). Each request:
 * a request id ({@code X-Request-Id} as the rest of the API gives it), the method, the agent (a
 * bearer key or token; on the Anthropic face also {@code x-api-key}; admin keys are refused), the
 * body ({@link ModelRequests}), a slot for a direct call ({@link Admission}), then the call through
 * {@link ModelInvoker}. Every refusal is answered in the endpoint's SDK shape ({@link ModelErrors});
 * nothing unexpected reaches the client as more than a 500 with the request id.
 */
final class ModelsServlet extends HttpServlet {
  private static final Logger LOG = LoggerFactory.getLogger(ModelsServlet.class);
  /** What {@link RequestIdFilter} accepts as a caller's request id. */
  private static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final String SURFACE = "the model API";
  /**
   * Where Anthropic's API gives its request id, which Anthropic's SDKs read ({@code _request_id},
   * an error's {@code requestID}); the Anthropic face sends it beside {@code X-Request-Id}.
   */
  private static final String ANTHROPIC_REQUEST_ID = "request-id";
  /**
   * Who counted a token count's tokens: {@code provider} (an Anthropic-type provider) or {@code
   * estimated} (Gatehouse, for a model an OpenAI-type provider serves).
   */
  static final String TOKEN_COUNT_HEADER = "Gatehouse-Token-Count";
  /** A Responses API answer's id: {@code resp_} and random hex (none is stored, so none is looked up). */
  private static final String RESPONSE_ID_PREFIX = "resp_";
  /** The top-level members of a Responses API request Gatehouse left out, not knowing them. */
  static final String IGNORED_MEMBERS_HEADER = "Gatehouse-Ignored-Members";
  /** The tools of a Responses API request no chat request can offer, left out (web search, custom tools, ...). */
  static final String DROPPED_TOOLS_HEADER = "Gatehouse-Dropped-Tools";

  private final transient ModelInvoker invoker;
  private final transient BearerAuth auth;
  private final transient ModelRequests requests;
  private final transient Admission admission;
  private final long maxBody;
  private final transient AnthropicBetas betas;
  private final transient AnthropicServerTools serverTools;

  ModelsServlet(
      ModelInvoker invoker,
      BearerAuth auth,
      ModelRequests requests,
      Admission admission,
      long maxBody,
      AnthropicBetas betas,
      AnthropicServerTools serverTools) {
    this.invoker = invoker;
    this.auth = auth;
    this.requests = requests;
    this.admission = admission;
    this.maxBody = maxBody;
    this.betas = betas;
    this.serverTools = serverTools;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) {
    String requestId = requestId(request.getHeader(RequestIdFilter.HEADER));
    response.setHeader(RequestIdFilter.HEADER, requestId);
    MDC.put(RequestIdFilter.MDC_KEY, requestId);
    try {
      serve(request, response, requestId);
    } catch (IOException e) {
      // The client went away while its answer was written: no one is left to tell.
      LOG.debug("model request {}: the client left before its answer was written", requestId);
    } finally {
      MDC.remove(RequestIdFilter.MDC_KEY);
    }
  }

  private void serve(HttpServletRequest request, HttpServletResponse response, String requestId) throws IOException {
    Endpoint endpoint = Endpoint.of(request.getServletPath(), request.getPathInfo());
    Dialect dialect = endpoint == null ? unservedDialect(request) : dialect(endpoint, request);
    if (dialect == Dialect.ANTHROPIC) {
      response.setHeader(ANTHROPIC_REQUEST_ID, requestId);
    }
    EventStream stream = null;
    LargeBodies.Held held = null;
    ResponsesRequest.Translated responses = null;
    try {
      if (endpoint == null) {
        authenticate(request, dialect, requestId);
        throw new ApiException(ErrorCode.NOT_FOUND, Endpoint.unserved(request.getServletPath(), request.getPathInfo()));
      }
      if (!endpoint.method.equals(request.getMethod())) {
        throw new ApiException(
            ErrorCode.METHOD_NOT_ALLOWED,
            "method not allowed on " + endpoint.path + "; use " + endpoint.method,
            Map.of("Allow", endpoint.method));
      }
      AgentCaller agent = authenticate(request, dialect, requestId);
      if (endpoint == Endpoint.MODELS) {
        var models = invoker.models(agent.agent(), agent.scopes());
        String one = request.getPathInfo();
        if (one == null || one.equals("/")) {
          writeJson(
              response,
              dialect == Dialect.ANTHROPIC
                  ? ModelListing.anthropic(models, request.getParameter("limit"), request.getParameter("after_id"), request.getParameter("before_id"))
                  : ModelListing.openAi(models));
          return;
        }
        String id = one.substring(1);
        ModelDefinition model = models.stream().filter(m -> m.name().equals(id)).findFirst().orElse(null);
        if (model == null) {
          // One the agent may not use is not found either: its existence is none of the agent's business.
          String named = id.length() > 128 ? id.substring(0, 128) + "..." : id;
          throw new ModelCallException(ModelCodes.MODEL_NOT_FOUND, 404, "no model '" + named + "' is available to this agent", "model", null, false);
        }
        writeJson(response, dialect == Dialect.ANTHROPIC ? ModelListing.anthropic(model) : ModelListing.openAi(model));
        return;
      }
      AnthropicBetas.Asked asked =
          endpoint.dialect == Dialect.ANTHROPIC ? betas.asked(request.getHeaders(AnthropicBetas.HEADER)) : AnthropicBetas.NONE;
      ModelRequest body = requests.read(request, endpoint, agent.agent().tenantId());
      held = body.held();
      responses = body.responses();
      if (endpoint.dialect == Dialect.ANTHROPIC) {
        serverTools.check(body.body());
      }
      named(response, AnthropicBetas.DROPPED_HEADER, asked.dropped());
      if (body.responses() != null) {
        named(response, IGNORED_MEMBERS_HEADER, body.responses().ignoredMembers());
        named(response, DROPPED_TOOLS_HEADER, body.responses().droppedTools());
      }
      ModelCall call =
          new ModelCall(
              endpoint.kind,
              endpoint.dialect,
              body.alias(),
              body.body(),
              body.stream(),
              new Caller(agent.agent().tenantId(), agent.agent().id(), agent.scopes()),
              agent.agent(),
              requestId,
              null,
              null,
              1,
              null,
              asked.passed());
      ObjectNode answered = null;
      try (Admission.Permit running = admission.directCall(agent.agent().tenantId())) {
        if (endpoint == Endpoint.COUNT_TOKENS) {
          ModelAnswer count = invoker.count(call, limits -> rateLimitHeaders(response, dialect, limits));
          response.setHeader(TOKEN_COUNT_HEADER, count.usage() != null && count.usage().estimated() ? "estimated" : "provider");
          answered = count.body();
        } else if (body.stream()) {
          // The stream's last bytes (its closing chunk) go out when this request ends, after the
          // slot has come back.
          stream = new EventStream(response);
          StreamSink sink =
              body.responses() == null
                  ? stream
                  : new ResponsesStream(stream, body.responses(), ResponsesAnswer.newId(RESPONSE_ID_PREFIX), Instant.now().getEpochSecond());
          invoker.stream(call, sink, limits -> rateLimitHeaders(response, dialect, limits));
        } else {
          ModelAnswer answer = invoker.call(call, limits -> rateLimitHeaders(response, dialect, limits));
          if (answer == null || answer.body() == null) {
            throw new IllegalStateException("the invoker gave no answer body");
          }
          answered =
              body.responses() == null
                  ? answer.body()
                  : ResponsesAnswer.of(
                      body.responses(), answer.body(), answer.usage(), ResponsesAnswer.newId(RESPONSE_ID_PREFIX), Instant.now().getEpochSecond());
        }
      }
      if (answered != null) {
        // Written once the slot is back, and the body let go: a client that has the whole answer
        // (its Content-Length reached) and sends its next call at once must not find this one
        // still counted, in calls or in large bodies' bytes.
        if (held != null) {
          held.close();
        }
        writeJson(response, answered);
      }
    } catch (ApiException e) {
      refuse(request, response, dialect, Refusal.of(e), requestId, stream);
    } catch (ModelCallException e) {
      // A Responses API caller is told the member it sent, not the chat request's it became.
      refuse(request, response, dialect, Refusal.of(responses == null ? e : responses.asAsked(e), dialect), requestId, stream);
    } catch (RuntimeException e) {
      LOG.error("a model request failed inside Gatehouse (request {})", requestId, e);
      refuse(request, response, dialect, Refusal.internal(requestId), requestId, stream);
    } finally {
      if (held != null) {
        held.close(); // the call has ended, and its body is let go (closing twice is nothing)
      }
    }
  }

  /** The Anthropic face, and a model listing asked for by an Anthropic SDK (it sends {@code anthropic-version}). */
  private static Dialect dialect(Endpoint endpoint, HttpServletRequest request) {
    if (endpoint == Endpoint.MODELS && request.getHeader("anthropic-version") != null) {
      return Dialect.ANTHROPIC;
    }
    return endpoint.dialect;
  }

  /** An endpoint not served answers in Anthropic's shape when it is Anthropic's, or asked by an Anthropic SDK. */
  private static Dialect unservedDialect(HttpServletRequest request) {
    return Endpoint.anthropicPath(request.getServletPath()) || request.getHeader("anthropic-version") != null
        ? Dialect.ANTHROPIC
        : Dialect.OPENAI;
  }

  /**
   * The agent behind the request. Anthropic's SDKs send the key as {@code x-api-key}; it is
   * checked as a bearer credential would be ({@code Authorization} wins when both are sent).
   */
  private AgentCaller authenticate(HttpServletRequest request, Dialect dialect, String requestId) {
    String authorization = request.getHeader("Authorization");
    String apiKey = dialect == Dialect.ANTHROPIC ? request.getHeader("x-api-key") : null;
    if (authorization == null && apiKey != null) {
      authorization = "Bearer " + apiKey.trim();
    }
    try {
      return (AgentCaller)
          auth.authenticate(
              new BearerAuth.Attempt(authorization, request.getRemoteAddr(), request.getServletPath(), requestId),
              BearerAuth.Audience.AGENT,
              SURFACE);
    } catch (ApiException e) {
      if (e.error() == ErrorCode.UNAUTHORIZED && authorization == null && dialect == Dialect.ANTHROPIC) {
        throw ApiException.unauthorized("send your agent key as 'x-api-key: <key>' or 'Authorization: Bearer <credential>'");
      }
      throw e;
    }
  }

  private void refuse(
      HttpServletRequest request, HttpServletResponse response, Dialect dialect, Refusal refusal, String requestId, EventStream stream)
      throws IOException {
    if (response.isCommitted() || (stream != null && stream.opened())) {
      // The stream has begun: the invoker ends it with an error event; nothing more can be said here.
      LOG.info("model request {} ended after its answer began: {}", requestId, refusal.code());
      return;
    }
    // Whatever is left of the body is read (bounded), so a client still sending sees this answer.
    BoundedBody.drainBefore(refusal.status(), request.getInputStream(), maxBody);
    ModelErrors.write(response, dialect, refusal, requestId);
  }

  /** What the rate limits left, as the face's SDKs read it; set before the answer (or stream) begins. */
  private static void rateLimitHeaders(HttpServletResponse response, Dialect dialect, RateLimitStatus limits) {
    if (!response.isCommitted()) {
      RateLimitHeaders.of(dialect, limits).forEach(response::setHeader);
    }
  }

  /** A header listing {@code names}, when there are any: what Gatehouse left out of a request. */
  private static void named(HttpServletResponse response, String header, java.util.List<String> names) {
    if (!names.isEmpty()) {
      response.setHeader(header, String.join(",", names));
    }
  }

  private static void writeJson(HttpServletResponse response, ObjectNode body) throws IOException {
    byte[] bytes = ModelErrors.JSON.writeValueAsBytes(body);
    response.setStatus(200);
    response.setContentType("application/json");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  private static String requestId(String given) {
    return given != null && SANE_REQUEST_ID.matcher(given).matches() ? given : RequestIds.newId();
  }


}
