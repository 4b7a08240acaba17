import { withBackoff } from '../../lambdas/core/support/retry';

class Throttled extends Error {
  override readonly name = 'Throttled';
}

const isThrottled = (error: unknown) => error instanceof Throttled;

/** A call that fails with the given errors in turn, then answers `value`. */
function failing<T>(errors: Error[], value: T): jest.Mock<Promise<T>, []> {
  const call = jest.fn<Promise<T>, []>();
  for (const error of errors) call.mockRejectedValueOnce(error);
  return call.mockResolvedValue(value);
}

/** Records the waits instead of waiting. */
function recordedSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('withBackoff', () => {
  it('returns the first success without waiting', async () => {
    const call = failing([], 'done');
    const { waits, sleep } = recordedSleep();

    await expect(withBackoff(call, isThrottled, { sleep })).resolves.toBe('done');

    expect(call).toHaveBeenCalledTimes(1);
    expect(waits).toEqual([]);
  });

  it('retries a retryable error until the call succeeds', async () => {
    const call = failing([new Throttled('slow down'), new Throttled('slow down')], 'done');
    const { sleep } = recordedSleep();

    await expect(withBackoff(call, isThrottled, { sleep })).resolves.toBe('done');

    expect(call).toHaveBeenCalledTimes(3);
  });

  it('rethrows an error that is not retryable without retrying', async () => {
    const fatal = new Error('access denied');
    const call = failing([fatal], 'never');
    const { waits, sleep } = recordedSleep();

    await expect(withBackoff(call, isThrottled, { sleep })).rejects.toBe(fatal);

    expect(call).toHaveBeenCalledTimes(1);
    expect(waits).toEqual([]);
  });

  it('gives up after the configured attempts and rethrows the last error', async () => {
    const errors = [new Throttled('first'), new Throttled('second'), new Throttled('third'), new Throttled('fourth')];
    const call = failing(errors, 'never');
    const { waits, sleep } = recordedSleep();

    await expect(withBackoff(call, isThrottled, { attempts: 3, sleep })).rejects.toBe(errors[2]);

    expect(call).toHaveBeenCalledTimes(3);
    expect(waits).toHaveLength(2);
  });

  it('tries six times by default', async () => {
    const call = jest.fn<Promise<string>, []>().mockRejectedValue(new Throttled('slow down'));
    const { sleep } = recordedSleep();

    await expect(withBackoff(call, isThrottled, { sleep })).rejects.toBeInstanceOf(Throttled);

    expect(call).toHaveBeenCalledTimes(6);
  });

  it('doubles the ceiling of each wait from baseMs', async () => {
    const call = jest.fn<Promise<string>, []>().mockRejectedValue(new Throttled('slow down'));
    const { waits, sleep } = recordedSleep();

    await expect(
      withBackoff(call, isThrottled, { attempts: 5, baseMs: 100, sleep, random: () => 1 }),
    ).rejects.toBeInstanceOf(Throttled);

    expect(waits).toEqual([100, 200, 400, 800]);
  });

  it('draws each wait uniformly below its ceiling (full jitter)', async () => {
    const call = jest.fn<Promise<string>, []>().mockRejectedValue(new Throttled('slow down'));
    const { waits, sleep } = recordedSleep();
    const draws = [0.5, 0, 0.25, 0.9];
    const random = () => draws.shift() ?? 0;

    await expect(withBackoff(call, isThrottled, { attempts: 5, baseMs: 100, sleep, random })).rejects.toBeInstanceOf(
      Throttled,
    );

    expect(waits).toEqual([50, 0, 100, 720]);
  });

  it('starts from 200 ms by default', async () => {
    const call = failing([new Throttled('slow down'), new Throttled('slow down')], 'done');
    const { waits, sleep } = recordedSleep();

    await withBackoff(call, isThrottled, { sleep, random: () => 1 });

    expect(waits).toEqual([200, 400]);
  });
});
