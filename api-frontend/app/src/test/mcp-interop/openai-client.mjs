// The official OpenAI SDK (openai) as an agent would use it, for Gatehouse's model interop tests:
//   node openai-client.mjs <base URL, e.g. http://127.0.0.1:PORT/v1> <key> <model> <mode>
// Modes: chat, stream, stream-usage (stream_options.include_usage), tools, stream-tools, models,
// embeddings, error (a chat call expected to fail: prints the SDK's error class); the Responses API:
// responses, responses-stream, responses-tools (a call, then its output sent back as a second turn),
// responses-stream-tools, responses-error (a request asking for a stored response).
// Prints one JSON line. The SDK retries nothing (maxRetries 0), so what is printed is one call's result.
import OpenAI from 'openai';

const [baseURL, apiKey, model, mode] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello to the interop test.' },
];
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
const weather = [{ role: 'user', content: 'What is the weather in Paris?' }];

function calls(message) {
  return (message.tool_calls || []).map((c) => ({
    id: c.id,
    type: c.type,
    name: c.function.name,
    arguments: JSON.parse(c.function.arguments),
  }));
}

async function run() {
  switch (mode) {
    case 'chat': {
      const r = await client.chat.completions.create({ model, messages });
      return { id: r.id, object: r.object, model: r.model, content: r.choices[0].message.content,
        role: r.choices[0].message.role, finish_reason: r.choices[0].finish_reason, usage: r.usage ?? null };
    }
    case 'stream':
    case 'stream-usage': {
      const params = { model, messages, stream: true };
      if (mode === 'stream-usage') params.stream_options = { include_usage: true };
      const stream = await client.chat.completions.create(params);
      let content = '';
      let chunks = 0;
      let finish = null;
      let usage = null;
      let usageChunks = 0;
      for await (const chunk of stream) {
        chunks++;
        if (chunk.usage) { usage = chunk.usage; usageChunks++; }
        const choice = chunk.choices[0];
        if (choice) {
          content += choice.delta?.content ?? '';
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
      return { content, chunks, finish_reason: finish, usage, usageChunks };
    }
    case 'tools': {
      const r = await client.chat.completions.create({ model, messages: weather, tools });
      const m = r.choices[0].message;
      return { content: m.content, finish_reason: r.choices[0].finish_reason, toolCalls: calls(m), usage: r.usage ?? null };
    }
    case 'stream-tools': {
      // The SDK's own stream helper assembles tool calls from their fragments (and checks their indexes).
      const runner = client.chat.completions.stream({ model, messages: weather, tools });
      let chunks = 0;
      runner.on('chunk', () => chunks++);
      // The helper's own events: it takes a new index for the end of the call before it.
      const argumentsDone = [];
      runner.on('tool_calls.function.arguments.done', (e) => argumentsDone.push({ index: e.index, arguments: e.arguments }));
      const done = await runner.finalChatCompletion();
      const m = done.choices[0].message;
      return { content: m.content, finish_reason: done.choices[0].finish_reason, toolCalls: calls(m), chunks, argumentsDone };
    }
    case 'models': {
      const ids = [];
      for await (const m of client.models.list()) ids.push(m.id);
      return { models: ids };
    }
    case 'embeddings': {
      // The SDK asks for base64 and decodes it to floats.
      const r = await client.embeddings.create({ model, input: ['one', 'two'] });
      return { count: r.data.length, dimensions: r.data[0].embedding.length,
        numbers: r.data[0].embedding.every((x) => typeof x === 'number'), usage: r.usage ?? null };
    }
    case 'responses': {
      const r = await client.responses.create({ model, instructions: 'You are terse.', input: 'Say hello to the interop test.',
        max_output_tokens: 64, store: false });
      return { id: r.id, object: r.object, status: r.status, model: r.model, text: r.output_text,
        items: r.output.map((i) => i.type), usage: r.usage ?? null };
    }
    case 'responses-stream': {
      // The SDK's stream helper rebuilds the response from the events, and checks their indexes.
      const stream = client.responses.stream({ model, instructions: 'You are terse.', input: 'Say hello to the interop test.' });
      const types = [];
      let deltas = '';
      const sequence = [];
      stream.on('event', (e) => { types.push(e.type); sequence.push(e.sequence_number); });
      stream.on('response.output_text.delta', (e) => { deltas += e.delta; });
      const r = await stream.finalResponse();
      return { status: r.status, text: r.output_text, deltas, types, ordered: sequence.every((n, i) => n === i),
        usage: r.usage ?? null, id: r.id };
    }
    case 'responses-tools': {
      const rtools = tools.map((t) => ({ type: 'function', ...t.function }));
      const first = await client.responses.create({ model, input: weather, tools: rtools, store: false });
      const fc = first.output.filter((i) => i.type === 'function_call');
      const input = [...weather, ...first.output, ...fc.map((c) => ({ type: 'function_call_output', call_id: c.call_id,
        output: JSON.stringify({ city: JSON.parse(c.arguments).city, celsius: 12 }) }))];
      const second = await client.responses.create({ model, input, tools: rtools, store: false });
      return { calls: fc.map((c) => ({ call_id: c.call_id, name: c.name, arguments: JSON.parse(c.arguments) })),
        second: second.output_text, secondStatus: second.status };
    }
    case 'responses-stream-tools': {
      const rtools = tools.map((t) => ({ type: 'function', ...t.function }));
      const stream = client.responses.stream({ model, input: weather, tools: rtools });
      const types = new Set();
      stream.on('event', (e) => types.add(e.type));
      const r = await stream.finalResponse();
      const fc = r.output.filter((i) => i.type === 'function_call');
      return { status: r.status, calls: fc.map((c) => ({ call_id: c.call_id, name: c.name, arguments: JSON.parse(c.arguments),
        status: c.status })), types: [...types] };
    }
    case 'responses-error': {
      try {
        const r = await client.responses.create({ model, input: 'hello', previous_response_id: 'resp_earlier' });
        return { unexpected: r };
      } catch (e) {
        return describe(e);
      }
    }
    case 'error': {
      try {
        const r = await client.chat.completions.create({ model, messages });
        return { unexpected: r };
      } catch (e) {
        return describe(e);
      }
    }
    default:
      throw new Error('unknown mode ' + mode);
  }
}

function describe(e) {
  return {
    errorClass: e?.constructor?.name,
    apiError: e instanceof OpenAI.APIError,
    notFound: e instanceof OpenAI.NotFoundError,
    permissionDenied: e instanceof OpenAI.PermissionDeniedError,
    status: e?.status ?? null,
    code: e?.code ?? null,
    type: e?.type ?? null,
    param: e?.param ?? null,
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
