import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorize, ThrottledLastUse, type AuthorizeDeps } from '../../lambdas/core/auth/authorize';
import { DynamoDbHttp } from '../../lambdas/runtime/dynamodb-http';
import { DynamoDbError, SignedKeyReader } from '../../lambdas/runtime/signed-key-reader';
import { mintKey } from '../../lambdas/core/keys/format';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { createTestTable, testEndpoint, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * The authorizer's signed reader speaks DynamoDB's JSON protocol itself (node:http(s), SigV4 on
 * node:crypto): it must read and write exactly what the SDK store does, against the real
 * protocol of DynamoDB Local. Its requests go through a counting proxy, over real HTTP: the
 * authorizer's contract is one read, and the proxy can also drop connections as a server does.
 */
let table: TestTable;
let reader: SignedKeyReader;
let proxy: CountingProxy;

/** How the proxy treats a request that arrives on a connection that already carried one. */
type ReusedConnections = 'serve' | 'reset';

interface CountingProxy {
  readonly endpoint: string;
  /** `x-amz-target` of every request that reached the proxy, served or not. */
  readonly requests: string[];
  reused: ReusedConnections;
  /** Whether every request is dropped, new connection or not. */
  resetAll: boolean;
  /** Connections opened to the proxy so far. */
  connections(): number;
  close(): Promise<void>;
}

async function countingProxy(target: string): Promise<CountingProxy> {
  const served = new WeakSet<Socket>();
  const state = { requests: [] as string[], reused: 'serve' as ReusedConnections, resetAll: false };
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    state.requests.push(String(incoming.headers['x-amz-target']));
    const socket = incoming.socket;
    // a server closing a kept-alive connection just as a request arrives on it, or any connection.
    if (state.resetAll || (state.reused === 'reset' && served.has(socket))) {
      socket.destroy();
      return;
    }
    served.add(socket);
    const upstream = httpRequest(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(outgoing);
    });
    incoming.pipe(upstream);
  });
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

const readerVia = (endpoint: string, tableName = table.tableName): SignedKeyReader =>
  new SignedKeyReader({
    tableName,
    region: LOCAL_AWS.region,
    accessKeyId: LOCAL_AWS.credentials.accessKeyId,
    secretAccessKey: LOCAL_AWS.credentials.secretAccessKey,
    sessionToken: 'session-token',
    endpoint,
  });

beforeAll(async () => {
  table = await createTestTable('signed');
  proxy = await countingProxy(testEndpoint());
  reader = readerVia(proxy.endpoint);
});
afterAll(async () => {
  await proxy.close();
  await table.drop();
});
beforeEach(() => {
  proxy.requests.length = 0;
  proxy.reused = 'serve';
  proxy.resetAll = false;
});

async function seeded() {
  const tenant = tenantFixture({
    tenantId: `signed-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
    usageKeys: { live: { id: 'ak', value: 'usagevalue0123456789abcdef' } },
  });
  const key = keyFixture({ tenant, role: 'admin', expiresAt: instant(31) });
  await table.store.createTenant(tenant, key.item);
  return key;
}

/** The authorizer's dependencies over `store`, its clock at the test's base instant. */
function authorizerDeps(
  store: AuthorizeDeps['store'],
  lastUse?: (logger: ReturnType<typeof recordingLogger>) => AuthorizeDeps['lastUse'],
) {
  const logger = recordingLogger();
  const clock = fixedClock(instant(0, '10:00'));
  return {
    store,
    prefix: 'sk',
    acceptBareKeys: true,
    clock,
    logger,
    lastUse: lastUse?.(logger) ?? { record: () => undefined },
  };
}

describe('SignedKeyReader against DynamoDB Local', () => {
  it('reads a key exactly as the SDK store does, in one signed GetItem', async () => {
    const { item } = await seeded();
    expect(await reader.getKey(item.id)).toEqual(await table.store.getKey(item.id));
    expect(proxy.requests).toEqual(['DynamoDB_20120810.GetItem']);
  });

  it('reads an unknown key as undefined', async () => {
    expect(await reader.getKey('key_000000000000000000000000')).toBeUndefined();
  });

  it('records last use at most once per interval, as the store does', async () => {
    const { item } = await seeded();
    const at = new Date(instant(0, '10:00'));
    expect(await reader.touchLastUsed(item.id, at, 60_000)).toBe(true);
    expect(await reader.touchLastUsed(item.id, new Date(at.getTime() + 59_000), 60_000)).toBe(false);
    expect((await table.store.getKey(item.id))?.lastUsedAt).toBe(at.toISOString());
    expect(await reader.touchLastUsed(item.id, new Date(at.getTime() + 61_000), 60_000)).toBe(true);
  });

  it('never creates an item when recording use of an unknown key', async () => {
    expect(await reader.touchLastUsed('key_111111111111111111111111', new Date(), 60_000)).toBe(false);
    expect(await table.store.getKey('key_111111111111111111111111')).toBeUndefined();
  });

  it('throws DynamoDB errors by their type, for the authorizer to fail closed on', async () => {
    const wrong = new SignedKeyReader({
      tableName: 'no-such-table',
      region: 'us-east-1',
      accessKeyId: 'local',
      secretAccessKey: 'local',
      endpoint: testEndpoint(),
    });
    await expect(wrong.getKey('key_000000000000000000000000')).rejects.toMatchObject({
      type: 'ResourceNotFoundException',
    });
    await expect(wrong.getKey('key_000000000000000000000000')).rejects.toBeInstanceOf(DynamoDbError);
  });

  it('serves the authorizer: an Allow for a good key with one read, a refusal with none for a bad checksum', async () => {
    const { item, plaintext } = await seeded();
    const deps = authorizerDeps(reader);
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/v1/me';
    const result = await authorize(deps, `Bearer ${plaintext}`, arn);
    expect(result.context).toMatchObject({ tenantId: item.tenantId, keyId: item.id, role: 'admin' });
    expect(result.usageIdentifierKey).toBe('usagevalue0123456789abcdef');
    expect(proxy.requests).toEqual(['DynamoDB_20120810.GetItem']);
    proxy.requests.length = 0;
    const broken = `${plaintext.slice(0, -1)}${plaintext.endsWith('0') ? '1' : '0'}`;
    await expect(authorize(deps, `Bearer ${broken}`, arn)).rejects.toThrow('Unauthorized');
    expect(proxy.requests).toEqual([]);
  });

  it('costs one GetItem and no write for a made-up key with a valid checksum', async () => {
    const lastUse = new ThrottledLastUse(reader, recordingLogger());
    const deps = authorizerDeps(reader, () => lastUse);
    const madeUp = `Bearer ${mintKey('sk', 'live').plaintext}`;
    await expect(authorize(deps, madeUp, 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/me')).rejects.toThrow(
      'Unauthorized',
    );
    await lastUse.settle();
    expect(proxy.requests).toEqual(['DynamoDB_20120810.GetItem']);
  });

  it('records the use of a real key once its hash matched', async () => {
    const { item, plaintext } = await seeded();
    const lastUse = new ThrottledLastUse(reader, recordingLogger());
    const deps = authorizerDeps(reader, () => lastUse);
    await authorize(deps, `Bearer ${plaintext}`, 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/me');
    expect(proxy.requests).toEqual(['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.UpdateItem']);
    expect((await table.store.getKey(item.id))?.lastUsedAt).toBe(instant(0, '10:00'));
  });

  it('fails closed when DynamoDB cannot be reached', async () => {
    const { plaintext } = await seeded();
    const down = new SignedKeyReader({
      tableName: table.tableName,
      region: 'us-east-1',
      accessKeyId: 'local',
      secretAccessKey: 'local',
      endpoint: 'http://127.0.0.1:9',
    });
    const deps = authorizerDeps(down, (logger) => new ThrottledLastUse(down, logger));
    await expect(
      authorize(deps, `Bearer ${plaintext}`, 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/me'),
    ).rejects.toThrow('Unauthorized');
    expect(deps.logger.text()).toContain('"reason":"error"');
    expect(deps.logger.text()).not.toContain(plaintext);
  });

  it('reads a key and records its use in one request each, on one kept-alive connection', async () => {
    const { item } = await seeded();
    const fresh = readerVia(proxy.endpoint);
    const before = proxy.connections();
    for (let i = 0; i < 3; i += 1) expect((await fresh.getKey(item.id))?.id).toBe(item.id);
    expect(await fresh.touchLastUsed(item.id, new Date(instant(0, '10:00')), 60_000)).toBe(true);
    expect(proxy.requests).toEqual([...Array(3).fill('DynamoDB_20120810.GetItem'), 'DynamoDB_20120810.UpdateItem']);
    expect(proxy.connections() - before).toBe(1);
  });

  it('sends a request once more, on a new connection, when the server had closed the kept-alive one', async () => {
    const { item } = await seeded();
    const fresh = readerVia(proxy.endpoint);
    const before = proxy.connections();
    expect((await fresh.getKey(item.id))?.id).toBe(item.id);
    proxy.reused = 'reset';
    expect((await fresh.getKey(item.id))?.id).toBe(item.id);
    expect(await fresh.touchLastUsed(item.id, new Date(instant(0, '11:00')), 60_000)).toBe(true);
    // each call: one attempt on the closed connection, one on a new one.
    expect(proxy.requests).toEqual(
      ['GetItem', 'GetItem', 'GetItem', 'UpdateItem', 'UpdateItem'].map((action) => `DynamoDB_20120810.${action}`),
    );
    expect(proxy.connections() - before).toBe(3);
  });

  it('does not retry a request dropped on a new connection: the authorizer refuses', async () => {
    const { plaintext } = await seeded();
    proxy.resetAll = true;
    const fresh = readerVia(proxy.endpoint);
    await expect(fresh.getKey('key_000000000000000000000000')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(proxy.requests).toEqual(['DynamoDB_20120810.GetItem']);
    const deps = authorizerDeps(fresh);
    await expect(
      authorize(deps, `Bearer ${plaintext}`, 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/me'),
    ).rejects.toThrow('Unauthorized');
    expect(deps.logger.text()).toContain('"reason":"error"');
  });

  it('reads an answer cut short by a closed connection as an error', async () => {
    const cut = createServer((incoming, outgoing) => {
      incoming.resume();
      outgoing.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': '400' });
      outgoing.write('{"Item":{"pk":{"S":"KEY#');
      setTimeout(() => outgoing.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => cut.listen(0, '127.0.0.1', resolve));
    try {
      const fresh = readerVia(`http://127.0.0.1:${(cut.address() as AddressInfo).port}`);
      await expect(fresh.getKey('key_000000000000000000000000')).rejects.toThrow();
    } finally {
      cut.closeAllConnections();
      await new Promise((resolve) => cut.close(resolve));
    }
  });

  it('reads a DynamoDB answer that is not JSON as an error, never as no item', async () => {
    const garbage = createServer((incoming, outgoing) => {
      incoming.resume();
      outgoing.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>');
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    try {
      const fresh = readerVia(`http://127.0.0.1:${(garbage.address() as AddressInfo).port}`);
      await expect(fresh.getKey('key_000000000000000000000000')).rejects.toThrow(SyntaxError);
    } finally {
      garbage.closeAllConnections();
      await new Promise((resolve) => garbage.close(resolve));
    }
  });
});

describe('DynamoDbHttp endpoints', () => {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

  it('goes to the regional HTTPS endpoint unless told otherwise', () => {
    expect(new DynamoDbHttp({ ...credentials, region: 'eu-west-1' }).url.href).toBe(
      'https://dynamodb.eu-west-1.amazonaws.com/',
    );
  });

  it('refuses an endpoint with a path, a query or another scheme', () => {
    expect(() => new DynamoDbHttp({ ...credentials, region: 'x', endpoint: 'http://127.0.0.1:8000/prefix' })).toThrow(
      /no path or query/,
    );
    expect(() => new DynamoDbHttp({ ...credentials, region: 'x', endpoint: 'http://127.0.0.1:8000/?a=1' })).toThrow(
      /no path or query/,
    );
    expect(() => new DynamoDbHttp({ ...credentials, region: 'x', endpoint: 'ftp://127.0.0.1' })).toThrow(
      /must be http/,
    );
  });

  it('checks the server certificate over HTTPS: a self-signed one is refused before any request is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-tls-'));
    let requests = 0;
    const server = await (async () => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=127.0.0.1',
          '-days',
          '1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const https = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_incoming, outgoing) => {
          requests += 1;
          outgoing.end('{}');
        },
      );
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
      return https;
    })();
    try {
      const client = new DynamoDbHttp({
        ...credentials,
        region: 'x',
        endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
      await expect(client.call('GetItem', {})).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(requests).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
