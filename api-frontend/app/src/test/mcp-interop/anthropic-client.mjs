// The official Anthropic SDK (@anthropic-ai/sdk) as an agent would use it, for Gatehouse's model
// interop tests:
//   node anthropic-client.mjs <base URL, e.g. http://127.0.0.1:PORT> <key> <model> <mode> [auth]
// Modes: chat, stream, tools, stream-tools, models, count (messages.countTokens of the tools
// request, with its system prompt), error (a call expected to fail: prints the SDK's error class),
// count-error (the same for a count). auth: "bearer" (default: the SDK's apiKey, which this version sends as
// Authorization: Bearer) or "x-api-key" (the key in an x-api-key header, as older SDKs send it).
// Prints one JSON line. The SDK retries nothing (maxRetries 0).
import Anthropic from '@anthropic-ai/sdk';

const [baseURL, key, model, mode, auth = 'bearer'] = process.argv.slice(2);
const credentials = auth === 'x-api-key'
  ? { apiKey: null, authToken: null, defaultHeaders: { 'x-api-key': key } }
  : { apiKey: key };
const client = new Anthropic({ baseURL, ...credentials, maxRetries: 0, timeout: 30_000 });

const hello = {
  model,
  max_tokens: 256,
  system: 'You are terse.',
  messages: [{ role: 'user', content: 'Say hello to the interop test.' }],
};
const weather = {
  model,
  max_tokens: 256,
  messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
  tools: [
    {
      name: 'get_weather',
      description: 'The weather in a city',
      input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
};

function summary(m) {
  return {
    id: m.id,
    type: m.type,
    role: m.role,
    model: m.model,
    text: m.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    toolUses: m.content.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, name: b.name, input: b.input })),
    stop_reason: m.stop_reason,
    usage: m.usage ?? null,
  };
}

async function streamed(params) {
  // The SDK's stream helper accumulates the events (text deltas, input_json_delta fragments).
  const stream = client.messages.stream(params);
  const events = [];
  let text = '';
  stream.on('streamEvent', (e) => events.push(e.type));
  stream.on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  return { ...summary(final), events, streamedText: text };
}

async function run() {
  switch (mode) {
    case 'chat':
      return summary(await client.messages.create(hello));
    case 'stream':
      return streamed(hello);
    case 'tools':
      return summary(await client.messages.create(weather));
    case 'stream-tools':
      return streamed(weather);
    case 'models': {
      const ids = [];
      for await (const m of client.models.list()) ids.push(m.id);
      return { models: ids };
    }
    case 'count': {
      const { max_tokens, ...params } = weather;
      const counted = await client.messages.countTokens({ ...params, system: 'You are terse.' }).withResponse();
      return { ...counted.data, tokenCount: counted.response.headers.get('gatehouse-token-count'), requestId: counted.request_id };
    }
    case 'count-error':
      try {
        return { unexpected: await client.messages.countTokens({ model, messages: hello.messages }) };
      } catch (e) {
        return describe(e);
      }
    case 'error':
      try {
        return { unexpected: await client.messages.create(hello) };
      } catch (e) {
        return describe(e);
      }
    default:
      throw new Error('unknown mode ' + mode);
  }
}

function describe(e) {
  return {
    errorClass: e?.constructor?.name,
    apiError: e instanceof Anthropic.APIError,
    notFound: e instanceof Anthropic.NotFoundError,
    permissionDenied: e instanceof Anthropic.PermissionDeniedError,
    status: e?.status ?? null,
    type: e?.error?.error?.type ?? null,
    envelope: e?.error?.type ?? null,
    message: e?.message ?? String(e),
    requestId: e?.requestID ?? null,
  };
}

try {
  console.log(JSON.stringify(await run()));
} catch (e) {
  console.log(JSON.stringify({ failed: describe(e), stack: String(e?.stack ?? e) }));
  process.exitCode = 1;
}
