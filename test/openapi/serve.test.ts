import { readFileSync } from 'node:fs';
import { OPENAPI_FILES } from '../../bin/openapi';
import { startTestKeygate } from '../support/local';

let keygate: Awaited<ReturnType<typeof startTestKeygate>>;

beforeAll(async () => {
  keygate = await startTestKeygate();
});
afterAll(async () => {
  await keygate.stop();
});

describe('GET /openapi.json on the local gateway', () => {
  it('answers the committed document, without a key', async () => {
    const response = await fetch(`${keygate.url}/openapi.json`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe(readFileSync(OPENAPI_FILES.document, 'utf8'));
    expect(keygate.requests.at(-1)).toMatch(/^GET \/openapi\.json 200 /);
  });

  it('answers it with a key too, and no other method', async () => {
    expect(
      (await fetch(`${keygate.url}/openapi.json`, { headers: { authorization: `Bearer ${keygate.operatorKey}` } }))
        .status,
    ).toBe(200);
    const post = await fetch(`${keygate.url}/openapi.json`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
