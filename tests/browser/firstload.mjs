// firstload.mjs: the page's first load from chat-serve in headless
// chromium: bytes transferred (headers and bodies, cache off) and the time
// from navigation to interactive (the page's 'confab-ready' mark: its
// scripts run and the session list in).  For make bench; prints JSON.
//
//   node tests/browser/firstload.mjs URL [LOGIN_URL]
//
// With LOGIN_URL (the one chat-serve prints) the session list is fetched
// logged in; without, it answers 401 and the page says to log in.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

export async function firstLoad(browser, url, storageState) {
	const ctx = await browser.newContext(storageState ? { storageState } : {});
	const page = await ctx.newPage();
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
	let bytes = 0, requests = 0;
	cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });
	await page.goto(url.replace(/\/?$/, '/'));
	await page.waitForSelector('html[data-ready="1"]', { timeout: 20000 });
	const ms = await page.evaluate(() => {
		const m = performance.getEntriesByName('confab-ready')[0];
		return m ? Math.round(m.startTime * 10) / 10 : null;
	});
	await page.waitForLoadState('networkidle').catch(() => {});
	await ctx.close();
	return { bytes, ms, requests };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
	const [url, login] = process.argv.slice(2);
	if (!url) {
		console.error('usage: node firstload.mjs URL [LOGIN_URL]');
		process.exit(2);
	}
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
	});
	try {
		let state;
		if (login) {
			const ctx = await browser.newContext();
			await (await ctx.newPage()).goto(login);
			state = await ctx.storageState();
			await ctx.close();
		}
		// one load to warm the server and the browser, then the one measured
		await firstLoad(browser, url, state);
		console.log(JSON.stringify(await firstLoad(browser, url, state)));
	} finally {
		await browser.close();
	}
}
