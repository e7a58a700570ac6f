// Accessibility audit of the open widget with axe-core (npm `axe-core`) in
// Chromium, in light, dark and right-to-left: no serious or critical
// finding. The panel holds a real exchange (a reply with its sources and
// rating buttons, a failed-send notice is not staged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  W, useWidgetEnv, newHost, openPanel, waitForConversation, ask,
} from './widget-support.mjs';

useWidgetEnv();

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's serious and critical findings on the widget, one line each. */
async function audit(page) {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async (sel) => {
    const r = await window.axe.run({ include: [[sel]] }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact,
      nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  }, W);
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

for (const [name, opts, ctx] of [
  ['light', {}, { colorScheme: 'light' }],
  ['dark', {}, { colorScheme: 'dark' }],
  ['right to left', { lang: 'ar', dir: 'rtl' }, { colorScheme: 'light' }],
]) {
  test(`axe-core finds nothing serious in the open widget (${name})`, async () => {
    const { context, page, problems } = await newHost(opts, ctx);
    await openPanel(page);
    await waitForConversation(page);
    await ask(page, 'What is Lantern?');
    const findings = await audit(page);
    assert.deepEqual(findings, [], JSON.stringify(findings, null, 1));
    // The closed widget (the launcher alone) too.
    await page.locator(`${W} .head button`).last().click();
    assert.deepEqual(await audit(page), []);
    // And the audit does see into the shadow root: a launcher without its
    // name is reported.
    await page.evaluate((sel) => document.querySelector(sel).shadowRoot
      .querySelector('.lantern-launcher').removeAttribute('aria-label'), W);
    assert.deepEqual((await audit(page)).map((v) => v.id), ['button-name']);
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
}
