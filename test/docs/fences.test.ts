import { join } from 'node:path';
import { docFiles, ROOT, serverStart, type Fence } from './fences';

const block = (body: string): Fence => ({ where: 'page.md:1', lang: 'sh', body, expect: [] });

describe('the docs commands test', () => {
  it('reads a start line whose settings are single-quoted JSON as a shell would', () => {
    expect(
      serverStart(
        block(`KEYGATE_KEY_FORMAT='{"prefix":"sk","environment":false}' KEYGATE_ACCEPT_BARE_KEYS=false npm start`),
      ),
    ).toEqual({ KEYGATE_KEY_FORMAT: '{"prefix":"sk","environment":false}', KEYGATE_ACCEPT_BARE_KEYS: 'false' });
    expect(serverStart(block('KEYGATE_UPSTREAM_URL=http://localhost:4110 npm start   # prints the secret'))).toEqual({
      KEYGATE_UPSTREAM_URL: 'http://localhost:4110',
    });
    expect(serverStart(block('npm start'))).toEqual({});
  });

  it('leaves a block that does more than start keygate to be run as commands', () => {
    for (const body of [
      `KEYGATE_X='{"a":1} npm start`,
      'KEYGATE_X=1 npm start && curl -s $B/v1/me',
      'KEYGATE_X=1 npm test',
      'npm start\ncurl -s $B/v1/me',
    ])
      expect({ body, env: serverStart(block(body)) }).toEqual({ body, env: undefined });
  });

  it('checks the pages in the folders of docs/ too', () => {
    expect(docFiles()).toContain(join(ROOT, 'docs', 'seeds', 'README.md'));
  });
});
