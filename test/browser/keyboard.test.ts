import type { Page } from 'playwright-core';
import { expectNoSeriousA11yViolations, saveScreenshot } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { dialog, elementText, row, useBrowserSuite } from '../support/keys-page';

// a flow is many browser round trips, each bounded by DEADLINES.browser: the test's own limit is a slow one.
jest.setTimeout(DEADLINES.slowTest);

const suite = useBrowserSuite();

/** The accessible name of the focused control, shadow roots included. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    return element ? (element.getAttribute('aria-label') || element.textContent || '').trim() : '';
  })()`) as Promise<string>;
}

/**
 * Waits until the focus is on the control named `name`: a dialog moves the focus once it has
 * rendered, a moment after it shows, and a loaded machine makes that moment long.
 */
async function focusMovesTo(page: Page, name: string): Promise<void> {
  const deadline = Date.now() + DEADLINES.browser;
  let focused = await focusedName(page);
  while (focused !== name && Date.now() < deadline) {
    await page.waitForTimeout(50);
    focused = await focusedName(page);
  }
  expect(focused).toBe(name);
}

/** Presses Tab until the control named `name` has the focus, as a keyboard user would. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let presses = 0; presses < 80; presses += 1) {
    if ((await focusedName(page)) === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`no control named ${JSON.stringify(name)} is reachable with Tab`);
}

test('every flow completes with Tab, Enter and Escape alone: create, copy, revoke, enable, rotate, delete', async () => {
  const watched = await suite.openHost(suite.fixture.admin);
  const { page } = watched;
  const { keyboard } = page;
  await row(page, 'member').waitFor();

  await tabTo(page, 'Create API key');
  await keyboard.press('Enter');
  await dialog(page).waitFor();
  await focusMovesTo(page, '');
  await keyboard.type('Keyboard Key');
  await keyboard.press('Enter');
  await dialog(page).getByRole('textbox', { name: 'New API key' }).waitFor();
  const key = await dialog(page).getByRole('textbox', { name: 'New API key' }).inputValue();
  await focusMovesTo(page, 'Copy');
  await keyboard.press('Enter');
  await dialog(page).getByText('Copied to the clipboard.').waitFor();
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
  await keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'hidden' });
  const created = row(page, 'Keyboard Key');
  await created.waitFor();
  expect(await elementText(page)).not.toContain(key);

  // Escape backs out of a confirmation and changes nothing.
  await tabTo(page, 'Revoke Keyboard Key');
  await keyboard.press('Enter');
  await dialog(page).waitFor();
  await keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'hidden' });
  await expect(created.getByText('Active').isVisible()).resolves.toBe(true);

  await tabTo(page, 'Revoke Keyboard Key');
  await keyboard.press('Enter');
  await tabTo(page, 'Revoke key');
  await saveScreenshot(page, 'keyboard-revoke');
  await expectNoSeriousA11yViolations(page, 'keyboard: revoke confirmation');
  await keyboard.press('Enter');
  await created.getByText('Revoked').waitFor();

  await tabTo(page, 'Enable Keyboard Key');
  await keyboard.press('Enter');
  await created.getByText('Active').waitFor();

  await tabTo(page, 'Rotate Keyboard Key');
  await keyboard.press('Enter');
  await dialog(page).getByRole('combobox', { name: 'Grace period for the old key' }).waitFor();
  await saveScreenshot(page, 'rotate-form');
  await expectNoSeriousA11yViolations(page, 'rotate form');
  await tabTo(page, 'Rotate key');
  await keyboard.press('Enter');
  const rotated = await dialog(page).getByRole('textbox', { name: 'New API key' }).inputValue();
  expect(rotated).not.toBe(key);
  await keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'hidden' });
  // the grace period keeps the old key alongside its successor, both under the same name.
  await row(page, 'Keyboard Key').nth(1).waitFor();

  await tabTo(page, 'Delete Keyboard Key');
  await keyboard.press('Enter');
  await tabTo(page, 'Delete key');
  await keyboard.press('Enter');
  await row(page, 'Keyboard Key').nth(1).waitFor({ state: 'detached' });
  expect(await row(page, 'Keyboard Key').count()).toBe(1);
  expect(watched.consoleErrors).toEqual([]);
});
