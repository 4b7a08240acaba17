import { apiBaseUrl, ConsoleApi } from '../../elements/console/api';

const API = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod';

/** Records the URL of each `fetch` and answers a new session. */
function recordCalls(): string[] {
  const urls: string[] = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
    urls.push(String(url));
    return new Response(JSON.stringify({ token: 'a-session-token' }), {
      status: 201,
      headers: { 'content-type': 'application/json' },
    });
  });
  return urls;
}

afterEach(() => jest.restoreAllMocks());

describe("the console's API", () => {
  it('is the one the page names in <meta name="keygate-api"> (the deployed console)', () => {
    const page = {
      querySelector: (selector: string) =>
        selector === 'meta[name="keygate-api"]' ? { getAttribute: () => `${API}/` } : null,
    };
    expect(apiBaseUrl(page)).toBe(`${API}/`);
  });

  it("is the page's own origin when the page names none (npm start)", () => {
    expect(apiBaseUrl({ querySelector: () => null })).toBe('');
    expect(apiBaseUrl({ querySelector: () => ({ getAttribute: () => null }) })).toBe('');
  });

  it('receives every call, the sign-in included, under its stage', async () => {
    const urls = recordCalls();
    const api = new ConsoleApi(() => undefined, `${API}/`);
    await api.signIn('an-operator-key', 'ops');
    await api.call('GET', '/v1/panel/tenants?limit=20');
    expect(urls).toEqual([`${API}/v1/panel/tenants/operator/sessions`, `${API}/v1/panel/tenants?limit=20`]);
  });

  it('is this origin by default: paths as they are', async () => {
    const urls = recordCalls();
    const api = new ConsoleApi(() => undefined);
    await api.signIn('an-operator-key', 'ops');
    expect(urls).toEqual(['/v1/panel/tenants/operator/sessions']);
  });
});
