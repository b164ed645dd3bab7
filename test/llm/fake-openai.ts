/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) that speaks the OpenAI chat-completions protocol
 * (`POST /v1/chat/completions`, the request and answer shapes vLLM and Ollama use) and answers scripted
 * replies in order. It records every request so tests can check what the client sent. It is a stand-in
 * for a VLM server: no model runs behind it.
 */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deadUrl } from '../helpers/replay-server.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export type Reply =
  /** A normal completion whose message content is this text. */
  | { content: string }
  /** Any status and body (an object is sent as JSON). */
  | { status: number; body: unknown }
  /** Never answer (the client must time out). */
  | { hang: true };

export interface FakeOpenAI {
  /** Base URL including `/v1`, as `vlm.url` takes it. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Queues replies; once they are used up, `fallback` answers. */
  script(...replies: Reply[]): void;
  fallback: Reply;
  close(): Promise<void>;
}

export function completion(content: string, model = 'llava') {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  const fake: FakeOpenAI = {
    baseUrl: '',
    requests,
    script: (...r) => {
      queue.push(...r);
    },
    fallback: { status: 500, body: { error: { message: 'no scripted reply left' } } },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any = raw;
      try {
        body = JSON.parse(raw);
      } catch {}
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const send = (status: number, payload: unknown) => {
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json' });
        res.end(text);
      };
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        send(404, { error: { message: `no route ${req.method} ${req.url}` } });
        return;
      }
      const reply = queue.shift() ?? fake.fallback;
      if ('hang' in reply) return;
      if ('content' in reply) send(200, completion(reply.content, typeof body?.model === 'string' ? body.model : ''));
      else send(reply.status, reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just free). */
export async function deadBaseUrl(): Promise<string> {
  return `${await deadUrl()}/v1`;
}
