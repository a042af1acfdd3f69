// Docker HEALTHCHECK of every BootTorrent service image: healthy while the service answers
// ready on its health endpoint (BT_HEALTH_HOST:BT_HEALTH_PORT/readyz, as the service binds it).
// Node's own fetch: the slim images carry no curl or wget.
const configured = process.env.BT_HEALTH_HOST ?? '127.0.0.1';
const host = ['', '0.0.0.0', '::'].includes(configured) ? '127.0.0.1' : configured;
const port = process.env.BT_HEALTH_PORT;
if (!port) {
  console.log('BT_HEALTH_PORT is not set');
  process.exit(1);
}
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2500) });
  const body = await response.text();
  console.log(`${url}: ${response.status} ${body.slice(0, 300)}`);
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  console.log(`${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
