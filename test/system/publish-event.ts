// Usage: node publish-event.js <nats-url> <event name in contracts' `events`> <payload json>
// Publishes through the same validating helper the services use.
import { connect } from '@nats-io/transport-node';
import { events, publish } from '@boottorrent/contracts';

const [natsUrl, eventName, payload] = process.argv.slice(2);
if (!natsUrl || !eventName || !payload || !(eventName in events)) {
  process.stderr.write(`usage: publish-event.js <nats-url> <${Object.keys(events).join('|')}> <json>\n`);
  process.exit(2);
}
const nc = await connect({ servers: natsUrl });
publish(nc, events[eventName as keyof typeof events] as (typeof events)['nodeDhcp'], JSON.parse(payload));
await nc.flush();
await nc.close();
